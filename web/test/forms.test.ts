import { describe, expect, it } from 'vitest';
import { parseEth } from '../src/format';
import { amountProblem } from '../src/ui/common';

describe('amountProblem: the one check every amount form makes', () => {
  it('says nothing while the field is empty', () => {
    expect(amountProblem(null, 10n ** 18n, 'ETH')).toBeNull();
  });
  it('passes on what the parser refused', () => {
    expect(amountProblem(parseEth('1e18'), null, 'ETH')).toBe('Enter a number such as 1.5');
    expect(amountProblem(parseEth('0.0000000000000000001'), null, 'ETH')).toBe('At most 18 decimals');
  });
  it('refuses zero, with or without an account', () => {
    expect(amountProblem(parseEth('0'), null, 'ETH')).toBe('Enter an amount above zero');
    expect(amountProblem(parseEth('0.000'), 5n, 'ETH')).toBe('Enter an amount above zero');
  });
  it('refuses a wei more than the balance, names the balance rounded down, and takes all of it', () => {
    const balance = 1_234_567_890_123_456_789n;
    expect(amountProblem({ ok: true, wei: balance + 1n }, balance, 'tpETH')).toBe('You have only 1.234567 tpETH');
    expect(amountProblem({ ok: true, wei: balance }, balance, 'tpETH')).toBeNull();
  });
  it('cannot check a balance it does not know (no account signing)', () => {
    expect(amountProblem(parseEth('1000000'), null, 'wtpETH')).toBeNull();
  });
});
