import { describe, expect, it } from 'vitest';
import { estimateWait, maxWrappedPerRequest, nextReportTime, queuePosition, splitRequests, ticketStatus, MAX_REQUEST_WEI } from '../src/withdrawals';

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
