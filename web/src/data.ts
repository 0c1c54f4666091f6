// Chain state for the pages: one snapshot per new block, and the logs the history needs.
import type { ReadClient } from './chain';
import { getBalance, getContractEvents, readContract } from 'viem/actions';
import type { Address } from 'viem';
import { oracleAbi, poolAbi, withdrawalQueueAbi, wrappedAbi } from './abi.generated';
import type { Addresses } from './config';
import type { RebaseEvent } from './math';
import type { ShareMove } from './rewards';
import { ticketStatus, type FrameTiming, type TicketStatus } from './withdrawals';

export interface Ticket {
  id: bigint;
  amountOfStETH: bigint;
  amountOfShares: bigint;
  owner: Address;
  timestamp: bigint;
  status: TicketStatus;
  /** nominal ether of every unfinalized request up to and including this one (pending only) */
  etherAhead: bigint | null;
}

export interface Snapshot {
  blockNumber: bigint;
  blockTime: bigint;
  totalShares: bigint;
  totalPooledEther: bigint;
  stakingPaused: boolean;
  stopped: boolean;
  currentStakeLimit: bigint;
  stakeLimitSet: boolean;
  bufferedEther: bigint;
  treasuryFeeBp: number;
  moduleFeeBp: number;
  totalFeeBp: number;
  depositedValidators: bigint;
  beaconValidators: bigint;
  beaconBalance: bigint;
  lastFinalizedId: bigint;
  lastRequestId: bigint;
  unfinalizedEther: bigint;
  lastCheckpointIndex: bigint;
  lockedEther: bigint;
  queuePaused: boolean;
  timing: FrameTiming | null;
  members: readonly Address[];
  quorum: bigint;
  account: AccountState | null;
}

export interface AccountState {
  address: Address;
  eth: bigint;
  tpEth: bigint;
  shares: bigint;
  wtpEth: bigint;
  allowancePoolToWrapped: bigint;
  allowancePoolToQueue: bigint;
  allowanceWrappedToQueue: bigint;
  tickets: Ticket[];
}

const MAX_AHEAD_SCAN = 400n;

/**
 * The state at `block`. `claimedIds`: the account's claimed request ids (from
 * WithdrawalClaimed logs, see loadClaimed), which getWithdrawalRequests no longer lists.
 */
export async function loadSnapshot(client: ReadClient, a: Addresses, account: Address | null, claimedIds: readonly bigint[], block: { number: bigint; timestamp: bigint }): Promise<Snapshot> {
  const pool = { address: a.pool, abi: poolAbi } as const;
  const queue = { address: a.withdrawalQueue, abi: withdrawalQueueAbi } as const;
  const oracle = { address: a.oracle, abi: oracleAbi } as const;
  const blockNumber = block.number;
  const at = { blockNumber } as const;
  const [
    totals, stakingPaused, stopped, limitInfo, bufferedEther, feeDist, fee, beacon,
    lastFinalizedId, lastRequestId, unfinalizedEther, lastCheckpointIndex, lockedEther, queuePaused,
    chainCfg, frameCfg, currentFrame, lastRef, members, quorum,
  ] = await Promise.all([
    readContract(client, { ...pool, functionName: 'getTotalSharesAndPooledEther', ...at }),
    readContract(client, { ...pool, functionName: 'isStakingPaused', ...at }),
    readContract(client, { ...pool, functionName: 'isStopped', ...at }),
    readContract(client, { ...pool, functionName: 'getStakeLimitFullInfo', ...at }),
    readContract(client, { ...pool, functionName: 'getBufferedEther', ...at }),
    readContract(client, { ...pool, functionName: 'getFeeDistribution', ...at }),
    readContract(client, { ...pool, functionName: 'getFee', ...at }),
    readContract(client, { ...pool, functionName: 'getBeaconStat', ...at }),
    readContract(client, { ...queue, functionName: 'getLastFinalizedRequestId', ...at }),
    readContract(client, { ...queue, functionName: 'getLastRequestId', ...at }),
    readContract(client, { ...queue, functionName: 'unfinalizedStETH', ...at }),
    readContract(client, { ...queue, functionName: 'getLastCheckpointIndex', ...at }),
    readContract(client, { ...queue, functionName: 'getLockedEtherAmount', ...at }),
    readContract(client, { ...queue, functionName: 'isPaused', ...at }),
    readContract(client, { ...oracle, functionName: 'getChainConfig', ...at }),
    readContract(client, { ...oracle, functionName: 'getFrameConfig', ...at }),
    // reverts InitialEpochNotYetReached before the first frame
    readContract(client, { ...oracle, functionName: 'getCurrentFrame', ...at }).catch(() => null),
    readContract(client, { ...oracle, functionName: 'getLastProcessingRefSlot', ...at }),
    readContract(client, { ...oracle, functionName: 'getMembers', ...at }),
    readContract(client, { ...oracle, functionName: 'getQuorum', ...at }),
  ]);
  const [totalShares, totalPooledEther] = totals;
  const timing: FrameTiming | null = currentFrame
    ? {
        slotsPerEpoch: chainCfg[0], secondsPerSlot: chainCfg[1], genesisTime: chainCfg[2],
        epochsPerFrame: frameCfg[1], currentRefSlot: currentFrame[0], lastProcessedRefSlot: lastRef,
      }
    : null;
  const snap: Snapshot = {
    blockNumber, blockTime: block.timestamp, totalShares, totalPooledEther, stakingPaused, stopped,
    currentStakeLimit: limitInfo[2], stakeLimitSet: limitInfo[1], bufferedEther,
    treasuryFeeBp: feeDist[0], moduleFeeBp: feeDist[1], totalFeeBp: fee,
    depositedValidators: beacon[0], beaconValidators: beacon[1], beaconBalance: beacon[2],
    lastFinalizedId, lastRequestId, unfinalizedEther, lastCheckpointIndex, lockedEther, queuePaused,
    timing, members, quorum, account: null,
  };
  if (account) snap.account = await loadAccount(client, a, account, snap, claimedIds);
  return snap;
}

async function loadAccount(client: ReadClient, a: Addresses, address: Address, s: Snapshot, claimedIds: readonly bigint[]): Promise<AccountState> {
  const pool = { address: a.pool, abi: poolAbi } as const;
  const wrapped = { address: a.wrapped, abi: wrappedAbi } as const;
  const queue = { address: a.withdrawalQueue, abi: withdrawalQueueAbi } as const;
  const at = { blockNumber: s.blockNumber } as const;
  const [eth, tpEth, shares, wtpEth, aPW, aPQ, aWQ, openIds] = await Promise.all([
    getBalance(client, { address, ...at }),
    readContract(client, { ...pool, functionName: 'balanceOf', args: [address], ...at }),
    readContract(client, { ...pool, functionName: 'sharesOf', args: [address], ...at }),
    readContract(client, { ...wrapped, functionName: 'balanceOf', args: [address], ...at }),
    readContract(client, { ...pool, functionName: 'allowance', args: [address, a.wrapped], ...at }),
    readContract(client, { ...pool, functionName: 'allowance', args: [address, a.withdrawalQueue], ...at }),
    readContract(client, { ...wrapped, functionName: 'allowance', args: [address, a.withdrawalQueue], ...at }),
    readContract(client, { ...queue, functionName: 'getWithdrawalRequests', args: [address], ...at }),
  ]);
  // getWithdrawalRequests lists unclaimed tickets only (a claim burns the NFT).
  const ids = new Set<bigint>([...openIds, ...claimedIds]);
  const sortedIds = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const statuses = sortedIds.length
    ? await readContract(client, { ...queue, functionName: 'getWithdrawalStatus', args: [sortedIds], ...at })
    : [];
  // The ether ahead of each pending ticket: every unfinalized request from the first pending
  // id up to ours (others' too), bounded to keep the page light.
  const pendingIds = sortedIds.filter((_, i) => !statuses[i]!.isFinalized);
  const ahead = new Map<bigint, bigint>();
  if (pendingIds.length) {
    const last = pendingIds[pendingIds.length - 1]!;
    const first = s.lastFinalizedId + 1n;
    if (last - first < MAX_AHEAD_SCAN) {
      const range: bigint[] = [];
      for (let id = first; id <= last; id++) range.push(id);
      const all = await readContract(client, { ...queue, functionName: 'getWithdrawalStatus', args: [range], ...at });
      let sum = 0n;
      range.forEach((id, i) => { sum += all[i]!.amountOfStETH; ahead.set(id, sum); });
    }
  }
  const tickets: Ticket[] = sortedIds.map((id, i) => {
    const st = statuses[i]!;
    return {
      id, amountOfStETH: st.amountOfStETH, amountOfShares: st.amountOfShares, owner: st.owner, timestamp: st.timestamp,
      status: ticketStatus(st), etherAhead: ahead.get(id) ?? null,
    };
  });
  return { address, eth, tpEth, shares, wtpEth, allowancePoolToWrapped: aPW, allowancePoolToQueue: aPQ, allowanceWrappedToQueue: aWQ, tickets };
}

/** All TokenRebased logs from `fromBlock` to `toBlock`. */
export async function loadRebases(client: ReadClient, a: Addresses, fromBlock: bigint, toBlock: bigint): Promise<RebaseEvent[]> {
  if (toBlock < fromBlock) return [];
  const logs = await getContractEvents(client, { address: a.pool, abi: poolAbi, eventName: 'TokenRebased', fromBlock, toBlock, strict: true });
  return logs.map((l) => ({ ...l.args, blockNumber: l.blockNumber, logIndex: l.logIndex }));
}

/** The account's share moves: tpETH TransferShares and wtpETH Transfer, in and out. */
export async function loadMoves(client: ReadClient, a: Addresses, account: Address, fromBlock: bigint, toBlock: bigint): Promise<ShareMove[]> {
  if (toBlock < fromBlock) return [];
  const range = { fromBlock, toBlock, strict: true } as const;
  const [tpIn, tpOut, wIn, wOut] = await Promise.all([
    getContractEvents(client, { address: a.pool, abi: poolAbi, eventName: 'TransferShares', args: { to: account }, ...range }),
    getContractEvents(client, { address: a.pool, abi: poolAbi, eventName: 'TransferShares', args: { from: account }, ...range }),
    getContractEvents(client, { address: a.wrapped, abi: wrappedAbi, eventName: 'Transfer', args: { to: account }, ...range }),
    getContractEvents(client, { address: a.wrapped, abi: wrappedAbi, eventName: 'Transfer', args: { from: account }, ...range }),
  ]);
  const moves: ShareMove[] = [];
  for (const l of tpIn) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: l.args.sharesValue, token: 'tpETH' });
  for (const l of tpOut) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: -l.args.sharesValue, token: 'tpETH' });
  for (const l of wIn) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: l.args.value, token: 'wtpETH' });
  for (const l of wOut) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: -l.args.value, token: 'wtpETH' });
  return moves;
}

/** The account's claimed request ids, from the queue's WithdrawalClaimed logs. */
export async function loadClaimed(client: ReadClient, a: Addresses, account: Address, fromBlock: bigint, toBlock: bigint): Promise<bigint[]> {
  if (toBlock < fromBlock) return [];
  const logs = await getContractEvents(client, {
    address: a.withdrawalQueue, abi: withdrawalQueueAbi, eventName: 'WithdrawalClaimed', args: { owner: account }, fromBlock, toBlock, strict: true,
  });
  return logs.map((l) => l.args.requestId);
}

/** Splits [from, to] into ranges of at most `size` blocks (log queries stay within node limits). */
export function blockRanges(from: bigint, to: bigint, size: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (let f = from; f <= to; f += size) out.push([f, f + size - 1n < to ? f + size - 1n : to]);
  return out;
}
