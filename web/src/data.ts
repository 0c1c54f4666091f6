// Chain state for the pages: one snapshot per new block, and the logs the history needs.
import type { Address, PublicClient } from 'viem';
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

export async function loadSnapshot(client: PublicClient, a: Addresses, account: Address | null, fromBlock = 0n): Promise<Snapshot> {
  const pool = { address: a.pool, abi: poolAbi } as const;
  const queue = { address: a.withdrawalQueue, abi: withdrawalQueueAbi } as const;
  const oracle = { address: a.oracle, abi: oracleAbi } as const;
  const block = await client.getBlock({ blockTag: 'latest' });
  const blockNumber = block.number;
  const at = { blockNumber } as const;
  const [
    totals, stakingPaused, stopped, limitInfo, bufferedEther, feeDist, fee, beacon,
    lastFinalizedId, lastRequestId, unfinalizedEther, lastCheckpointIndex, lockedEther, queuePaused,
    chainCfg, frameCfg, currentFrame, lastRef, members, quorum,
  ] = await Promise.all([
    client.readContract({ ...pool, functionName: 'getTotalSharesAndPooledEther', ...at }),
    client.readContract({ ...pool, functionName: 'isStakingPaused', ...at }),
    client.readContract({ ...pool, functionName: 'isStopped', ...at }),
    client.readContract({ ...pool, functionName: 'getStakeLimitFullInfo', ...at }),
    client.readContract({ ...pool, functionName: 'getBufferedEther', ...at }),
    client.readContract({ ...pool, functionName: 'getFeeDistribution', ...at }),
    client.readContract({ ...pool, functionName: 'getFee', ...at }),
    client.readContract({ ...pool, functionName: 'getBeaconStat', ...at }),
    client.readContract({ ...queue, functionName: 'getLastFinalizedRequestId', ...at }),
    client.readContract({ ...queue, functionName: 'getLastRequestId', ...at }),
    client.readContract({ ...queue, functionName: 'unfinalizedStETH', ...at }),
    client.readContract({ ...queue, functionName: 'getLastCheckpointIndex', ...at }),
    client.readContract({ ...queue, functionName: 'getLockedEtherAmount', ...at }),
    client.readContract({ ...queue, functionName: 'isPaused', ...at }),
    client.readContract({ ...oracle, functionName: 'getChainConfig', ...at }),
    client.readContract({ ...oracle, functionName: 'getFrameConfig', ...at }),
    // reverts InitialEpochNotYetReached before the first frame
    client.readContract({ ...oracle, functionName: 'getCurrentFrame', ...at }).catch(() => null),
    client.readContract({ ...oracle, functionName: 'getLastProcessingRefSlot', ...at }),
    client.readContract({ ...oracle, functionName: 'getMembers', ...at }),
    client.readContract({ ...oracle, functionName: 'getQuorum', ...at }),
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
  if (account) snap.account = await loadAccount(client, a, account, snap, fromBlock);
  return snap;
}

async function loadAccount(client: PublicClient, a: Addresses, address: Address, s: Snapshot, fromBlock: bigint): Promise<AccountState> {
  const pool = { address: a.pool, abi: poolAbi } as const;
  const wrapped = { address: a.wrapped, abi: wrappedAbi } as const;
  const queue = { address: a.withdrawalQueue, abi: withdrawalQueueAbi } as const;
  const at = { blockNumber: s.blockNumber } as const;
  const [eth, tpEth, shares, wtpEth, aPW, aPQ, aWQ, openIds, claimedLogs] = await Promise.all([
    client.getBalance({ address, ...at }),
    client.readContract({ ...pool, functionName: 'balanceOf', args: [address], ...at }),
    client.readContract({ ...pool, functionName: 'sharesOf', args: [address], ...at }),
    client.readContract({ ...wrapped, functionName: 'balanceOf', args: [address], ...at }),
    client.readContract({ ...pool, functionName: 'allowance', args: [address, a.wrapped], ...at }),
    client.readContract({ ...pool, functionName: 'allowance', args: [address, a.withdrawalQueue], ...at }),
    client.readContract({ ...wrapped, functionName: 'allowance', args: [address, a.withdrawalQueue], ...at }),
    client.readContract({ ...queue, functionName: 'getWithdrawalRequests', args: [address], ...at }),
    // getWithdrawalRequests lists unclaimed tickets only (a claim burns the NFT): the
    // claimed ones come from the queue's WithdrawalClaimed logs.
    client.getContractEvents({ ...queue, eventName: 'WithdrawalClaimed', args: { owner: address }, fromBlock, toBlock: s.blockNumber, strict: true }),
  ]);
  const ids = new Set<bigint>(openIds);
  for (const l of claimedLogs) ids.add(l.args.requestId);
  const sortedIds = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const statuses = sortedIds.length
    ? await client.readContract({ ...queue, functionName: 'getWithdrawalStatus', args: [sortedIds], ...at })
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
      const all = await client.readContract({ ...queue, functionName: 'getWithdrawalStatus', args: [range], ...at });
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
export async function loadRebases(client: PublicClient, a: Addresses, fromBlock: bigint, toBlock: bigint): Promise<RebaseEvent[]> {
  if (toBlock < fromBlock) return [];
  const logs = await client.getContractEvents({ address: a.pool, abi: poolAbi, eventName: 'TokenRebased', fromBlock, toBlock, strict: true });
  return logs.map((l) => ({ ...l.args, blockNumber: l.blockNumber, logIndex: l.logIndex }));
}

/** The account's share moves: tpETH TransferShares and wtpETH Transfer, in and out. */
export async function loadMoves(client: PublicClient, a: Addresses, account: Address, fromBlock: bigint, toBlock: bigint): Promise<ShareMove[]> {
  if (toBlock < fromBlock) return [];
  const range = { fromBlock, toBlock, strict: true } as const;
  const [tpIn, tpOut, wIn, wOut] = await Promise.all([
    client.getContractEvents({ address: a.pool, abi: poolAbi, eventName: 'TransferShares', args: { to: account }, ...range }),
    client.getContractEvents({ address: a.pool, abi: poolAbi, eventName: 'TransferShares', args: { from: account }, ...range }),
    client.getContractEvents({ address: a.wrapped, abi: wrappedAbi, eventName: 'Transfer', args: { to: account }, ...range }),
    client.getContractEvents({ address: a.wrapped, abi: wrappedAbi, eventName: 'Transfer', args: { from: account }, ...range }),
  ]);
  const moves: ShareMove[] = [];
  for (const l of tpIn) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: l.args.sharesValue, token: 'tpETH' });
  for (const l of tpOut) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: -l.args.sharesValue, token: 'tpETH' });
  for (const l of wIn) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: l.args.value, token: 'wtpETH' });
  for (const l of wOut) moves.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, delta: -l.args.value, token: 'wtpETH' });
  return moves;
}
