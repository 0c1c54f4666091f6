import { describe, expect, it } from 'vitest';
import type { RebaseEvent } from '../src/math';
import { balanceHistory, rewardsCsv } from '../src/rewards';

const E = 10n ** 18n;
const rb = (block: bigint, t: bigint, pre: [bigint, bigint], post: [bigint, bigint]): RebaseEvent => ({
  reportTimestamp: t, timeElapsed: 64n, preTotalEther: pre[0], preTotalShares: pre[1], postTotalEther: post[0], postTotalShares: post[1],
  sharesMintedAsFees: 0n, blockNumber: block, logIndex: 3,
});

describe('balance history', () => {
  const rebases = [rb(10n, 1_800_000_000n, [100n * E, 100n * E], [101n * E, 100n * E]), rb(20n, 1_800_000_064n, [101n * E, 100n * E], [102n * E, 100n * E])];
  it('counts shares held before each report, tpETH and wtpETH', () => {
    const rows = balanceHistory(rebases, [
      { blockNumber: 5n, logIndex: 0, delta: 10n * E, token: 'tpETH' },
      { blockNumber: 10n, logIndex: 5, delta: 5n * E, token: 'tpETH' }, // after the first report in the same block
      { blockNumber: 15n, logIndex: 0, delta: -5n * E, token: 'tpETH' },
      { blockNumber: 15n, logIndex: 1, delta: 5n * E, token: 'wtpETH' },
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ tpShares: 10n * E, wrapped: 0n, balance: 10_100_000_000_000_000_000n, reward: 100_000_000_000_000_000n });
    expect(rows[1]).toMatchObject({ tpShares: 10n * E, wrapped: 5n * E, balance: 15_300_000_000_000_000_000n, reward: 150_000_000_000_000_000n });
  });
  it('makes a CSV with exact amounts', () => {
    const csv = rewardsCsv(balanceHistory(rebases, [{ blockNumber: 1n, logIndex: 0, delta: E, token: 'tpETH' }]));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('report_time_utc,report_timestamp,block,tpeth_shares,wtpeth,balance_wei,balance_eth,reward_wei,reward_eth');
    expect(lines[1]).toBe('2027-01-15T08:00:00.000Z,1800000000,10,1000000000000000000,0,1010000000000000000,1.01,10000000000000000,0.01');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
  });
});
