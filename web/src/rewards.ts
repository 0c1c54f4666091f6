// A holder's balance per oracle report, from TokenRebased logs and the holder's share transfers.
import { formatEthExact } from './format';
import type { RebaseEvent } from './math';

/** A change of the account's shares: tpETH TransferShares, or wtpETH Transfer (1 wtpETH = 1 share). */
export interface ShareMove {
  blockNumber: bigint;
  logIndex: number;
  /** positive in, negative out */
  delta: bigint;
  token: 'tpETH' | 'wtpETH';
}

export interface RewardRow {
  reportTimestamp: bigint;
  blockNumber: bigint;
  tpShares: bigint;
  wrapped: bigint;
  /** tpETH balance after the report, plus the wtpETH's value: what the account holds in ETH */
  balance: bigint;
  /** the rebase's gain on the shares held across the report */
  reward: bigint;
}

const before = (a: { blockNumber: bigint; logIndex: number }, b: { blockNumber: bigint; logIndex: number }) =>
  a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

/**
 * One row per report: the shares held at the report (moves before it in chain order),
 * their value at the post-report rate, and the reward = shares × (post rate − pre rate),
 * each rounded down like the token's balances.
 */
export function balanceHistory(rebases: readonly RebaseEvent[], moves: readonly ShareMove[]): RewardRow[] {
  const rs = [...rebases].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const ms = [...moves].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const rows: RewardRow[] = [];
  let tp = 0n;
  let wr = 0n;
  let i = 0;
  for (const r of rs) {
    while (i < ms.length && before(ms[i]!, r)) {
      const m = ms[i]!;
      if (m.token === 'tpETH') tp += m.delta;
      else wr += m.delta;
      i++;
    }
    const shares = tp + wr;
    const post = r.postTotalShares === 0n ? 0n : (shares * r.postTotalEther) / r.postTotalShares;
    const pre = r.preTotalShares === 0n ? 0n : (shares * r.preTotalEther) / r.preTotalShares;
    rows.push({ reportTimestamp: r.reportTimestamp, blockNumber: r.blockNumber, tpShares: tp, wrapped: wr, balance: post, reward: post - pre });
  }
  return rows;
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** CSV (RFC 4180, CRLF): amounts in wei and in ETH with all 18 decimals, times in ISO 8601 UTC. */
export function rewardsCsv(rows: readonly RewardRow[]): string {
  const header = ['report_time_utc', 'report_timestamp', 'block', 'tpeth_shares', 'wtpeth', 'balance_wei', 'balance_eth', 'reward_wei', 'reward_eth'];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        new Date(Number(r.reportTimestamp) * 1000).toISOString(),
        r.reportTimestamp.toString(),
        r.blockNumber.toString(),
        r.tpShares.toString(),
        r.wrapped.toString(),
        r.balance.toString(),
        formatEthExact(r.balance),
        r.reward.toString(),
        formatEthExact(r.reward),
      ].map(csvCell).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
