// Withdrawal requests: splitting, and where a request stands in the queue.
import { sharesForStake } from './math';

export const MIN_REQUEST_WEI = 100n;
export const MAX_REQUEST_WEI = 1000n * 10n ** 18n;

export type SplitResult = { ok: true; amounts: bigint[] } | { ok: false; error: string };

/**
 * Splits `total` into requests of at most `max` each (all full but the last). The limits
 * are on each request; a remainder below `min` is merged by shaving the previous request,
 * so no request is below `min`. `total` below `min` is rejected.
 */
export function splitRequests(total: bigint, max: bigint = MAX_REQUEST_WEI, min: bigint = MIN_REQUEST_WEI): SplitResult {
  if (total <= 0n) return { ok: false, error: 'Enter an amount' };
  if (total < min) return { ok: false, error: `A withdrawal request must be at least ${min} wei` };
  if (max < min * 2n) throw new RangeError('max must be at least twice min');
  const amounts: bigint[] = [];
  let left = total;
  while (left > max) {
    amounts.push(max);
    left -= max;
  }
  if (left < min) {
    // e.g. 1000 ETH + 50 wei: 999.99…99950 + 100 wei... take from the previous request
    const prev = amounts.pop()!;
    amounts.push(prev - (min - left), min);
  } else {
    amounts.push(left);
  }
  return { ok: true, amounts };
}

/**
 * The largest wtpETH amount whose pooled-ether value (rounded down, as the queue values it)
 * stays within `maxEth`: floor(maxEth × totalShares / totalPooledEther).
 */
export function maxWrappedPerRequest(totalShares: bigint, totalPooledEther: bigint, maxEth: bigint = MAX_REQUEST_WEI): bigint {
  return sharesForStake(maxEth, totalShares, totalPooledEther);
}

/**
 * The tpETH allowance (permit or approval) a request of `amounts` may spend. The queue takes,
 * for each amount, the fewest shares that pay it at the report rate (its rate rounded down,
 * the division rounded up, so the ticket pays its whole amount), and the pool charges the
 * allowance for those shares valued rounded up; together that can exceed the amounts' sum by
 * a few wei (asking for a whole balance at a rate above 1 does). Each amount adds less than
 * two shares to the exact conversion and the valuation one wei, so two shares' worth per
 * amount plus one wei always covers it; the queue spends only what it takes, so at most that
 * much allowance is left over. wtpETH requests need exactly their sum (one token, one share).
 */
export function tpEthAllowanceFor(amounts: readonly bigint[], totalShares: bigint, totalPooledEther: bigint): bigint {
  const sum = amounts.reduce((a, b) => a + b, 0n);
  if (totalShares === 0n) return sum;
  const perShare = (totalPooledEther + totalShares - 1n) / totalShares;
  return sum + 2n * BigInt(amounts.length) * perShare + 1n;
}

export type TicketStatus = 'pending' | 'finalized' | 'claimed';

export function ticketStatus(s: { isFinalized: boolean; isClaimed: boolean }): TicketStatus {
  return s.isClaimed ? 'claimed' : s.isFinalized ? 'finalized' : 'pending';
}

/** Position in the queue: 1 = next to finalize; 0 once finalized. */
export function queuePosition(requestId: bigint, lastFinalizedId: bigint): bigint {
  return requestId > lastFinalizedId ? requestId - lastFinalizedId : 0n;
}

export interface FrameTiming {
  genesisTime: bigint;
  secondsPerSlot: bigint;
  slotsPerEpoch: bigint;
  epochsPerFrame: bigint;
  /** the running frame's reference slot (oracle getCurrentFrame) */
  currentRefSlot: bigint;
  /** the last reference slot a report was processed for (oracle getLastProcessingRefSlot) */
  lastProcessedRefSlot: bigint;
}

/**
 * The unix time at which the next report can be made: the end of the next unprocessed
 * reference slot. With `notBefore` (a request's timestamp), the first such slot at or after
 * it: a report only finalizes requests made before its reference slot.
 */
export function nextReportTime(t: FrameTiming, notBefore = 0n): bigint {
  const frameSlots = t.epochsPerFrame * t.slotsPerEpoch;
  let ref = t.lastProcessedRefSlot >= t.currentRefSlot ? t.currentRefSlot + frameSlots : t.currentRefSlot;
  const refTime = (slot: bigint) => t.genesisTime + slot * t.secondsPerSlot;
  if (frameSlots > 0n && refTime(ref) < notBefore) {
    const frames = (notBefore - refTime(ref) + frameSlots * t.secondsPerSlot - 1n) / (frameSlots * t.secondsPerSlot);
    ref += frames * frameSlots;
  }
  return refTime(ref + 1n);
}

export type WaitEstimate =
  | { kind: 'ready'; basis: string }
  | { kind: 'next-report'; at: bigint; basis: string }
  | { kind: 'needs-exits'; shortfall: bigint; basis: string };

/**
 * Estimated wait for a pending request. `etherAhead` is the nominal ether of every
 * unfinalized request up to and including this one; `bufferedEther` is what the pool holds
 * unstaked. If the buffer covers it, the next report finalizes it; otherwise it waits for
 * validators to exit (not predictable from chain state: the shortfall is stated).
 */
export function estimateWait(status: TicketStatus, etherAhead: bigint, bufferedEther: bigint, timing: FrameTiming | null, requestTime = 0n): WaitEstimate {
  if (status !== 'pending') return { kind: 'ready', basis: 'finalized' };
  if (etherAhead <= bufferedEther) {
    const at = timing ? nextReportTime(timing, requestTime) : 0n;
    return {
      kind: 'next-report',
      at,
      basis: 'the pending ether up to this request is covered by the buffered ether, so the first oracle report whose reference slot is after the request should finalize it',
    };
  }
  return {
    kind: 'needs-exits',
    shortfall: etherAhead - bufferedEther,
    basis: 'the pending ether up to this request exceeds the buffered ether; the rest must come from validator exits or rewards, over later reports',
  };
}
