// The one place where wei become text and text becomes wei. Everything is bigint:
// no floating point touches an amount.

export const WEI_PER_ETH = 10n ** 18n;
/** Amounts are shown rounded DOWN (toward zero) to this many decimals. */
export const DISPLAY_DECIMALS = 6;
export const ROUNDING_NOTE = `Amounts are rounded down to ${DISPLAY_DECIMALS} decimals.`;

/**
 * wei → decimal string, rounded toward zero to `decimals` places, trailing zeros
 * trimmed, thousands grouped with a thin comma when `group` is set.
 * formatUnits18(1_234_567_890_123_456_789n) === "1.234567"
 */
export function formatEth(wei: bigint, decimals: number = DISPLAY_DECIMALS, group = false): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) throw new RangeError('decimals must be 0..18');
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / WEI_PER_ETH;
  const frac = abs % WEI_PER_ETH;
  let fracText = frac.toString().padStart(18, '0').slice(0, decimals).replace(/0+$/, '');
  let wholeText = whole.toString();
  if (group) wholeText = wholeText.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = fracText ? `${wholeText}.${fracText}` : wholeText;
  // "-0" is not a number anyone wants to read: a tiny negative rounds to 0.
  return negative && (whole > 0n || fracText !== '') ? `-${text}` : text;
}

/** Exact decimal (all 18 places, trailing zeros trimmed): for CSV and tooltips. */
export function formatEthExact(wei: bigint): string {
  return formatEth(wei, 18);
}

export type ParseResult = { ok: true; wei: bigint } | { ok: false; error: string };

/**
 * User input → wei. Accepts "1", "1.5", ".5", "1.", with surrounding spaces and "_" or ","
 * NOT allowed (ambiguous across locales). Rejects empty, negatives, exponents, more than
 * 18 decimals, and anything else that is not plain digits.
 */
export function parseEth(input: string): ParseResult {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'Enter an amount' };
  if (text.startsWith('-')) return { ok: false, error: 'The amount cannot be negative' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return { ok: false, error: 'Enter a number such as 1.5' };
  const whole = m[1] ?? '';
  const frac = m[2] ?? '';
  if (frac.length > 18) return { ok: false, error: 'At most 18 decimals' };
  const wei = BigInt(whole || '0') * WEI_PER_ETH + BigInt(frac.padEnd(18, '0') || '0');
  return { ok: true, wei };
}

/** A ratio of two bigints as a decimal string with `places` decimals, rounded down. */
export function formatRatio(num: bigint, den: bigint, places: number): string {
  if (den === 0n) return '—';
  const negative = (num < 0n) !== (den < 0n) && num !== 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const scale = 10n ** BigInt(places);
  const scaled = (n * scale) / d;
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(places, '0');
  return `${negative ? '-' : ''}${whole}${places > 0 ? `.${frac}` : ''}`;
}

/** Basis points → percent text: 1000 → "10%", 125 → "1.25%". */
export function formatBps(bps: bigint | number): string {
  const b = BigInt(bps);
  return `${formatRatio(b, 100n, 2).replace(/\.?0+$/, '')}%`;
}

export function shortAddress(a: string): string {
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}

/** Seconds → "about 3 min", "about 2 h 5 min", for estimates. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}
