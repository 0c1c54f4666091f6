import { describe, expect, it } from 'vitest';
import { formatBps, formatDuration, formatEth, formatRatio, parseEth } from '../src/format';

describe('formatEth (rounded down to 6 decimals)', () => {
  it.each([
    [0n, '0'],
    [1n, '0'],
    [10n ** 18n, '1'],
    [1_500_000_000_000_000_000n, '1.5'],
    [1_234_567_890_123_456_789n, '1.234567'],
    [999_999_999_999_999_999n, '0.999999'],
    [12_000_000n * 10n ** 18n, '12000000'],
    [-1_500_000_000_000_000_000n, '-1.5'],
    [-1n, '0'],
  ])('%s wei → %s', (wei, text) => expect(formatEth(wei)).toBe(text));
  it('groups thousands on request and keeps 18 decimals when asked', () => {
    expect(formatEth(1_234_567n * 10n ** 18n + 1n, 18, true)).toBe('1,234,567.000000000000000001');
  });
  it('rejects impossible decimals', () => expect(() => formatEth(1n, 19)).toThrow());
});

describe('parseEth', () => {
  it.each([
    ['1', 10n ** 18n],
    ['1.5', 1_500_000_000_000_000_000n],
    [' 0.000000000000000001 ', 1n],
    ['.5', 5n * 10n ** 17n],
    ['2.', 2n * 10n ** 18n],
    ['0', 0n],
    ['1000000.123456789012345678', 1_000_000_123_456_789_012_345_678n],
  ])('%j → %s wei', (text, wei) => expect(parseEth(text)).toEqual({ ok: true, wei }));
  it.each([
    ['', 'Enter an amount'],
    ['-1', 'The amount cannot be negative'],
    ['1.0000000000000000001', 'At most 18 decimals'],
    ['abc', 'Enter a number such as 1.5'],
    ['1e18', 'Enter a number such as 1.5'],
    ['1,5', 'Enter a number such as 1.5'],
    ['.', 'Enter a number such as 1.5'],
    ['0x10', 'Enter a number such as 1.5'],
    ['1 000', 'Enter a number such as 1.5'],
    ['+1', 'Enter a number such as 1.5'],
  ])('%j is rejected', (text, error) => expect(parseEth(text)).toEqual({ ok: false, error }));
  it('round-trips with formatEth at 18 decimals', () => {
    const wei = 123_456_789_012_345_678_901n;
    const p = parseEth(formatEth(wei, 18));
    expect(p.ok && p.wei).toBe(wei);
  });
});

describe('small formatters', () => {
  it('formats ratios and basis points', () => {
    expect(formatRatio(1n, 3n, 4)).toBe('0.3333');
    expect(formatRatio(-2n, 3n, 2)).toBe('-0.66');
    expect(formatRatio(1n, 0n, 2)).toBe('—');
    expect(formatBps(1000)).toBe('10%');
    expect(formatBps(125n)).toBe('1.25%');
    expect(formatBps(0)).toBe('0%');
  });
  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min');
    expect(formatDuration(3 * 3600 + 300)).toBe('3 h 5 min');
    expect(formatDuration(5 * 86400)).toBe('5 days');
  });
});
