import { describe, expect, it } from 'vitest';
import { estimateWait, maxWrappedPerRequest, nextReportTime, queuePosition, splitRequests, ticketStatus, tpEthAllowanceFor, MAX_REQUEST_WEI } from '../src/withdrawals';

const E = 10n ** 18n;

describe('splitting requests', () => {
  it('keeps one request up to the max', () => {
    expect(splitRequests(E)).toEqual({ ok: true, amounts: [E] });
    expect(splitRequests(1000n * E)).toEqual({ ok: true, amounts: [1000n * E] });
  });
  it('splits above the max', () => {
    expect(splitRequests(2500n * E)).toEqual({ ok: true, amounts: [1000n * E, 1000n * E, 500n * E] });
  });
  it('never leaves a tail below the min', () => {
    const r = splitRequests(1000n * E + 50n);
    expect(r).toEqual({ ok: true, amounts: [1000n * E - 50n, 100n] });
    if (r.ok) expect(r.amounts.reduce((a, b) => a + b)).toBe(1000n * E + 50n);
  });
  it('rejects below the min and zero', () => {
    expect(splitRequests(99n)).toEqual({ ok: false, error: 'A withdrawal request must be at least 100 wei' });
    expect(splitRequests(0n).ok).toBe(false);
    expect(splitRequests(100n)).toEqual({ ok: true, amounts: [100n] });
  });
  it('caps wrapped requests by their ether value', () => {
    // 1 share = 1.1 ETH: 1000 ETH is 909.09… wtpETH
    const max = maxWrappedPerRequest(100n * E, 110n * E);
    expect(max).toBe(909_090_909_090_909_090_909n);
    expect((max * 110n * E) / (100n * E) <= MAX_REQUEST_WEI).toBe(true);
  });
});

describe('queue position and wait', () => {
  const timing = { genesisTime: 1000n, secondsPerSlot: 2n, slotsPerEpoch: 8n, epochsPerFrame: 4n, currentRefSlot: 63n, lastProcessedRefSlot: 31n };
  it('positions', () => {
    expect(queuePosition(12n, 9n)).toBe(3n);
    expect(queuePosition(9n, 9n)).toBe(0n);
    expect(ticketStatus({ isFinalized: false, isClaimed: false })).toBe('pending');
    expect(ticketStatus({ isFinalized: true, isClaimed: false })).toBe('finalized');
    expect(ticketStatus({ isFinalized: true, isClaimed: true })).toBe('claimed');
  });
  it('next report: the running frame if unprocessed, else the next one', () => {
    expect(nextReportTime(timing)).toBe(1000n + 64n * 2n);
    expect(nextReportTime({ ...timing, lastProcessedRefSlot: 63n })).toBe(1000n + 96n * 2n);
  });
  it('a request made after the running frame\'s reference slot waits for a later frame', () => {
    // ref slot 63 is at 1126; a request at 1130 misses it: frames are 64 s, so ref slot 95 (1190)
    expect(nextReportTime(timing, 1130n)).toBe(1000n + 96n * 2n);
    expect(nextReportTime(timing, 1126n)).toBe(1000n + 64n * 2n);
    expect(nextReportTime(timing, 1000n + 200n * 2n)).toBe(1000n + 224n * 2n);
    expect(estimateWait('pending', 1n, 2n, timing, 1130n)).toMatchObject({ kind: 'next-report', at: 1192n });
  });
  it('estimates from pending ether vs buffered ether', () => {
    expect(estimateWait('pending', 5n * E, 10n * E, timing)).toMatchObject({ kind: 'next-report', at: 1128n });
    expect(estimateWait('pending', 15n * E, 10n * E, timing)).toMatchObject({ kind: 'needs-exits', shortfall: 5n * E });
    expect(estimateWait('finalized', 15n * E, 0n, timing).kind).toBe('ready');
  });
});

import { blockRanges } from '../src/data';
describe('log scan ranges', () => {
  it('covers [from, to] in chunks', () => {
    expect(blockRanges(1n, 10n, 4n)).toEqual([[1n, 4n], [5n, 8n], [9n, 10n]]);
    expect(blockRanges(5n, 5n, 4n)).toEqual([[5n, 5n]]);
    expect(blockRanges(6n, 5n, 4n)).toEqual([]);
  });
});

describe('tpEthAllowanceFor covers what the queue spends', () => {
  // The queue's own arithmetic (contracts/withdrawal-queue `request`, crates/math `queue`):
  // the report rate rounded down, per amount the shares that pay it rounded up, the last
  // request giving up a rounding excess over the owner's shares, the pool charging the
  // shares' value rounded up.
  const E27 = 10n ** 27n;
  const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
  function queueSpends(amounts: bigint[], S: bigint, P: bigint, held: bigint): bigint {
    const rate = (P * E27) / S;
    const shares = amounts.map((a) => ceilDiv(a * E27, rate));
    let total = shares.reduce((x, y) => x + y, 0n);
    const asked = amounts.reduce((x, y) => x + y, 0n);
    const balance = (held * P) / S;
    const last = shares[shares.length - 1]!;
    if (total > held && asked <= balance && total - held < last) total = held;
    return ceilDiv(total * P, S);
  }
  // A small deterministic generator: the same cases every run.
  let seed = 0x2545f491n;
  const next = (bits: bigint) => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return seed % (1n << bits);
  };
  it('for random totals and amounts, whole balances included, never needs more', () => {
    let needMore = 0;
    for (let i = 0; i < 5_000; i++) {
      const S = 10n ** 16n + next(80n);
      const P = S + next(80n) % S; // a rate from 1 to 2, as rewards (and no losses) leave it
      const held = 1n + next(72n);
      const balance = (held * P) / S;
      if (balance < 200n) continue;
      const n = 1 + Number(next(3n));
      const amounts: bigint[] = [];
      const whole = next(1n) === 0n;
      let left = whole ? balance : 1n + next(64n) % balance;
      for (let k = 0; k < n && left >= 100n; k++) {
        const a = k === n - 1 ? left : 100n + next(60n) % (left - 99n);
        amounts.push(a);
        left -= a;
      }
      if (amounts.length === 0 || amounts.reduce((x, y) => x + y, 0n) > balance) continue;
      const spends = queueSpends(amounts, S, P, held);
      const allowed = tpEthAllowanceFor(amounts, S, P);
      expect(spends <= allowed, `S=${S} P=${P} held=${held} amounts=${amounts}`).toBe(true);
      if (spends > amounts.reduce((x, y) => x + y, 0n)) needMore++;
    }
    // And the margin is needed: an allowance of exactly the sum often falls short.
    expect(needMore).toBeGreaterThan(100);
  });
  it('adds two shares\' worth and a wei per request: 3 wei for one request at rate 1', () => {
    expect(tpEthAllowanceFor([10n ** 18n], 10n ** 18n, 10n ** 18n)).toBe(10n ** 18n + 3n);
  });
});
