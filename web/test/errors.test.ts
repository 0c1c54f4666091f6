import { encodeErrorResult, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { poolAbi, withdrawalQueueAbi, wrappedAbi } from '../src/abi.generated';
import { allErrorsAbi, decodeRevertData, findRevertData, humanizeError } from '../src/errors';

const E = 10n ** 18n;

describe('custom errors from the ABIs', () => {
  it('StakeLimitExceeded → the amount that can be staked', () => {
    const data = encodeErrorResult({ abi: poolAbi, errorName: 'StakeLimitExceeded', args: [20n * E, 12_500_000_000_000_000_000n] });
    expect(decodeRevertData(data)).toEqual({ name: 'StakeLimitExceeded', args: [20n * E, 12_500_000_000_000_000_000n] });
    expect(humanizeError({ data })).toBe('At most 12.5 ETH can be staked right now');
  });
  it('StakingIsPaused', () => {
    const data = encodeErrorResult({ abi: poolAbi, errorName: 'StakingIsPaused' });
    expect(humanizeError({ data })).toBe('Staking is paused');
  });
  it('queue limits and claims', () => {
    const small = encodeErrorResult({ abi: withdrawalQueueAbi, errorName: 'RequestAmountTooSmall', args: [99n] });
    expect(humanizeError({ data: small })).toBe('A withdrawal request of 0.000000000000000099 ETH is below the minimum of 100 wei');
    const large = encodeErrorResult({ abi: withdrawalQueueAbi, errorName: 'RequestAmountTooLarge', args: [1001n * E] });
    expect(humanizeError({ data: large })).toBe('A withdrawal request of 1001 ETH is above the maximum of 1000 ETH per request');
    const nf = encodeErrorResult({ abi: withdrawalQueueAbi, errorName: 'RequestNotFoundOrNotFinalized', args: [7n] });
    expect(humanizeError({ data: nf })).toBe('Request #7 is not finalized yet');
  });
  it('ERC-20 balance errors of the wrapped token', () => {
    const data = encodeErrorResult({
      abi: wrappedAbi, errorName: 'ERC20InsufficientBalance', args: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8', E, 2n * E],
    });
    expect(humanizeError({ data })).toBe('Insufficient balance: you have 1 ETH, this needs 2 ETH');
  });
  it('unknown-to-the-sentences errors show their name and args', () => {
    const data = encodeErrorResult({ abi: poolAbi, errorName: 'InvalidFee', args: [6000n, 5000n] });
    expect(humanizeError({ data })).toBe('The contract refused: InvalidFee(6000, 5000)');
  });
  it('data that matches no ABI error says so', () => {
    expect(humanizeError({ data: '0xdeadbeef' as Hex })).toBe('The transaction would revert with unknown data 0xdeadbeef');
  });
  it('finds revert data nested in causes (viem and EIP-1193 shapes)', () => {
    const data = encodeErrorResult({ abi: poolAbi, errorName: 'StakingIsPaused' });
    expect(findRevertData({ shortMessage: 'x', cause: { cause: { data } } })).toBe(data);
    expect(findRevertData({ code: -32603, data: { data } })).toBe(data);
    expect(findRevertData(new Error('plain'))).toBeNull();
  });
  it('Error(string) reverts and wallet rejections', () => {
    const data = encodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'm' }] }], errorName: 'Error', args: ['nope'] });
    expect(humanizeError({ data })).toBe('nope');
    expect(humanizeError({ code: 4001, message: 'User rejected' })).toBe('You rejected the request in your wallet');
  });
  it('knows each error signature once', () => {
    const sigs = allErrorsAbi.map((e) => `${e.name}(${e.inputs.map((i) => i.type).join(',')})`);
    expect(new Set(sigs).size).toBe(sigs.length);
    expect(sigs).toContain('StakeLimitExceeded(uint256,uint256)');
  });
});
