// Protocol arithmetic, in bigint, mirroring the contracts' rounding.

/** Shares minted for `amount` wei staked: amount × totalShares / totalPooledEther, rounded down. */
export function sharesForStake(amount: bigint, totalShares: bigint, totalPooledEther: bigint): bigint {
  if (totalPooledEther === 0n) return amount;
  return (amount * totalShares) / totalPooledEther;
}

/** Pooled ether of `shares`: shares × totalPooledEther / totalShares, rounded down (the token balance). */
export function etherForShares(shares: bigint, totalShares: bigint, totalPooledEther: bigint): bigint {
  if (totalShares === 0n) return shares;
  return (shares * totalPooledEther) / totalShares;
}

/** Wei of pooled ether per whole share (1e18 shares), rounded down: the share rate shown. */
export function etherPerShare(totalShares: bigint, totalPooledEther: bigint): bigint {
  return etherForShares(10n ** 18n, totalShares, totalPooledEther);
}

/** What a stake of `amount` gives: the shares, the tpETH balance they are worth, and (same number) the wtpETH. */
export function previewStake(amount: bigint, totalShares: bigint, totalPooledEther: bigint) {
  const shares = sharesForStake(amount, totalShares, totalPooledEther);
  // After the stake both totals grow; the balance is read with the new totals.
  const balance = etherForShares(shares, totalShares + shares, totalPooledEther + amount);
  return { shares, balance, wrapped: shares };
}

export const SECONDS_PER_YEAR = 365n * 24n * 3600n;

export interface RebaseEvent {
  reportTimestamp: bigint;
  timeElapsed: bigint;
  preTotalShares: bigint;
  preTotalEther: bigint;
  postTotalShares: bigint;
  postTotalEther: bigint;
  sharesMintedAsFees: bigint;
  blockNumber: bigint;
  logIndex: number;
}

/** APR in parts per million (1% = 10_000), from two share rates E/S over `seconds`. */
export function annualizedPpm(e0: bigint, s0: bigint, e1: bigint, s1: bigint, seconds: bigint): bigint {
  if (seconds <= 0n || e0 === 0n || s1 === 0n) return 0n;
  // (E1/S1 − E0/S0) / (E0/S0) = (E1·S0 − E0·S1) / (E0·S1)
  return ((e1 * s0 - e0 * s1) * SECONDS_PER_YEAR * 1_000_000n) / (e0 * s1 * seconds);
}

export type Apr = { kind: 'apr'; ppm: bigint; reports: number; seconds: bigint } | { kind: 'not-enough-history'; reports: number };

/**
 * The APR from the rate history: the change of the share rate (post-report ether per share)
 * from the first to the last of the given `TokenRebased` events, over the report time
 * between them, annualized (simple, not compounded). Fewer than two reports: not enough history.
 */
export function aprFromRebases(events: readonly RebaseEvent[], window = 7): Apr {
  const sorted = [...events].sort((a, b) => (a.reportTimestamp < b.reportTimestamp ? -1 : a.reportTimestamp > b.reportTimestamp ? 1 : 0));
  const recent = sorted.slice(-Math.max(2, window + 1));
  if (recent.length < 2) return { kind: 'not-enough-history', reports: recent.length };
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const seconds = last.reportTimestamp - first.reportTimestamp;
  if (seconds <= 0n) return { kind: 'not-enough-history', reports: recent.length };
  return {
    kind: 'apr',
    ppm: annualizedPpm(first.postTotalEther, first.postTotalShares, last.postTotalEther, last.postTotalShares, seconds),
    reports: recent.length,
    seconds,
  };
}

/** ppm → "3.4567%" (rounded toward zero to 4 decimals of a percent... shown with 2). */
export function formatPpmPercent(ppm: bigint, places = 2): string {
  const negative = ppm < 0n;
  const abs = negative ? -ppm : ppm;
  // ppm / 10_000 = percent
  const scale = 10n ** BigInt(places);
  const scaled = (abs * scale) / 10_000n;
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(places, '0');
  return `${negative && scaled !== 0n ? '-' : ''}${whole}${places ? `.${frac}` : ''}%`;
}
