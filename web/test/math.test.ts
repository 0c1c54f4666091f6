import { describe, expect, it } from 'vitest';
import { aprFromRebases, etherPerShare, formatPpmPercent, previewStake, sharesForStake, type RebaseEvent } from '../src/math';

const E = 10n ** 18n;
const rebase = (t: bigint, e: bigint, s: bigint, pre: [bigint, bigint] = [e, s]): RebaseEvent => ({
  reportTimestamp: t, timeElapsed: 0n, preTotalShares: pre[1], preTotalEther: pre[0], postTotalShares: s, postTotalEther: e,
  sharesMintedAsFees: 0n, blockNumber: t, logIndex: 0,
});

describe('stake preview', () => {
  it('rounds shares down and values them at the new totals', () => {
    expect(sharesForStake(E, 100n * E, 105n * E)).toBe(952_380_952_380_952_380n);
    const p = previewStake(E, 100n * E, 105n * E);
    expect(p.shares).toBe(952_380_952_380_952_380n);
    expect(p.balance).toBe(999_999_999_999_999_999n);
    expect(p.wrapped).toBe(p.shares);
  });
  it('is 1:1 on an empty pool', () => expect(previewStake(5n, 0n, 0n).shares).toBe(5n));
  it('shows the share rate per whole share, rounded down, and 1 on an empty pool', () => {
    expect(etherPerShare(3n * E, 4n * E)).toBe(1_333_333_333_333_333_333n);
    expect(etherPerShare(100n * E, 105n * E)).toBe(105n * E / 100n);
    expect(etherPerShare(0n, 0n)).toBe(E);
  });
});

describe('APR from TokenRebased history', () => {
  it('needs two reports', () => {
    expect(aprFromRebases([])).toEqual({ kind: 'not-enough-history', reports: 0 });
    expect(aprFromRebases([rebase(100n, E, E)])).toEqual({ kind: 'not-enough-history', reports: 1 });
  });
  it('annualizes the share-rate change', () => {
    const year = 365n * 86400n;
    // the rate goes 1.00 → 1.05 in half a year: 10% a year (simple)
    const apr = aprFromRebases([rebase(0n, 100n * E, 100n * E), rebase(year / 2n, 105n * E, 100n * E)]);
    expect(apr).toMatchObject({ kind: 'apr', ppm: 100_000n, reports: 2 });
    if (apr.kind === 'apr') expect(formatPpmPercent(apr.ppm)).toBe('10.00%');
  });
  it('ignores share growth that keeps the rate (stakes) and sorts by time', () => {
    const day = 86400n;
    const apr = aprFromRebases([rebase(day, 220n * E, 200n * E), rebase(0n, 110n * E, 100n * E)]);
    expect(apr).toMatchObject({ kind: 'apr', ppm: 0n });
  });
  it('uses only the last window+1 reports', () => {
    const r = [rebase(0n, 1n * E, E), rebase(10n, 2n * E, E), rebase(20n, 2n * E, E), rebase(30n, 2n * E, E)];
    expect(aprFromRebases(r, 2)).toMatchObject({ kind: 'apr', ppm: 0n, reports: 3 });
  });
  it('shows negative rates (slashing) with a sign', () => {
    expect(formatPpmPercent(-12_345n)).toBe('-1.23%');
    expect(formatPpmPercent(5n)).toBe('0.00%');
  });
});
