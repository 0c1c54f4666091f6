import { describe, expect, it } from 'vitest';
import { addressesOf, validateConfig } from '../src/config';

const deployment = {
  chainId: 412346,
  block: 1,
  stakingModule: '0x0dcd1bf9a1b36ce34237eeafef220932846bcd82',
  contracts: {
    pool: { address: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0' },
    wrapped: { address: '0x2279b7a0a67db372996a5fab50d91eaa73d2ebe6' },
    withdrawalQueue: { address: '0xa513e6e4b8f2a923d98304ec87f64353c4d5c853' },
    oracle: { address: '0xb7f8bc63bbcad18155201308c8f3540b07f84f5e' },
  },
};

describe('tidepool.json', () => {
  it('accepts the contract document and checksums addresses', () => {
    const cfg = validateConfig({ chainId: 412346, rpcPath: '/rpc', rpcUrl: 'http://127.0.0.1:8547', chainName: 'Tidepool local', deployment });
    expect(cfg.devKeys).toBeUndefined();
    const a = addressesOf(cfg.deployment);
    expect(a.pool).toBe('0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0');
    expect(a.stakingModule).toBe('0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82');
    expect(a.rateFeed).toBeNull();
  });
  it('names what is missing or mistyped', () => {
    expect(() => validateConfig({ chainId: '1', rpcPath: '/rpc', rpcUrl: 'x', deployment: { contracts: {} } })).toThrow(
      'tidepool.json lacks or mistypes: chainId (number), deployment.contracts.pool.address, deployment.contracts.wrapped.address, deployment.contracts.withdrawalQueue.address, deployment.contracts.oracle.address',
    );
    expect(() => validateConfig({ chainId: 1, rpcPath: '/rpc', rpcUrl: 'x', deployment, devKeys: ['0x12'] })).toThrow('devKeys');
    expect(() => validateConfig(null)).toThrow('not a JSON object');
  });
});
