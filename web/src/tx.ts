// Writes: every transaction is simulated first (so a revert is explained before signing),
// then signed, sent and awaited, with its progress in `txLog`.
import type { ReadClient } from './chain';
import { call as ethCall, getBlock, readContract, sendTransaction, signTypedData, simulateContract, waitForTransactionReceipt, writeContract } from 'viem/actions';
import { parseSignature, zeroAddress, type Abi, type Address, type Hash, type Hex } from 'viem';
import { poolAbi, withdrawalQueueAbi, wrappedAbi } from './abi.generated';
import type { Addresses } from './config';
import { humanizeError } from './errors';
import { formatEth } from './format';
import { Store } from './store';
import type { Signer } from './wallet';

export type TxStage = 'signing' | 'signed' | 'sent' | 'confirmed' | 'failed';
export interface TxEntry { id: number; label: string; stage: TxStage; hash?: Hash; message?: string }

export const txLog = new Store<TxEntry[]>([]);
let nextId = 1;

function upsert(e: TxEntry) {
  txLog.update((list) => {
    const i = list.findIndex((x) => x.id === e.id);
    const next = i < 0 ? [e, ...list] : list.map((x) => (x.id === e.id ? e : x));
    return next.slice(0, 8);
  });
}

export class TxFailed extends Error {}

const fmt = (w: bigint) => formatEth(w);

/** Runs one transaction through signing → sent → confirmed/failed; throws TxFailed on failure. */
export async function track(client: ReadClient, label: string, send: () => Promise<Hash>): Promise<void> {
  const entry: TxEntry = { id: nextId++, label, stage: 'signing' };
  upsert(entry);
  let hash: Hash;
  try {
    hash = await send();
  } catch (e) {
    const message = humanizeError(e);
    upsert({ ...entry, stage: 'failed', message });
    throw new TxFailed(message);
  }
  upsert({ ...entry, stage: 'sent', hash });
  const receipt = await waitForTransactionReceipt(client, { hash, pollingInterval: 1_000, timeout: 120_000 }).catch((e: unknown) => {
    const message = humanizeError(e);
    upsert({ ...entry, stage: 'failed', hash, message });
    throw new TxFailed(message);
  });
  if (receipt.status !== 'success') {
    const message = `Reverted in block ${receipt.blockNumber}`;
    upsert({ ...entry, stage: 'failed', hash, message });
    throw new TxFailed(message);
  }
  upsert({ ...entry, stage: 'confirmed', hash, message: `Confirmed in block ${receipt.blockNumber}` });
}

export interface Ctx { client: ReadClient; signer: Signer; a: Addresses }

/** Simulate then write a contract call. */
async function call(ctx: Ctx, label: string, req: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint }) {
  await track(ctx.client, label, async () => {
    const { request } = await simulateContract(ctx.client, { ...req, account: ctx.signer.address } as never);
    return writeContract(ctx.signer.client, { ...(request as object), account: ctx.signer.client.account } as never);
  });
}

export async function stake(ctx: Ctx, amount: bigint, to: 'tpETH' | 'wtpETH'): Promise<void> {
  if (to === 'tpETH') {
    await call(ctx, `Stake ${fmt(amount)} ETH for tpETH`, { address: ctx.a.pool, abi: poolAbi, functionName: 'submit', args: [zeroAddress], value: amount });
  } else {
    await track(ctx.client, `Stake ${fmt(amount)} ETH for wtpETH`, async () => {
      await ethCall(ctx.client, { account: ctx.signer.address, to: ctx.a.wrapped, value: amount });
      return sendTransaction(ctx.signer.client, { to: ctx.a.wrapped, value: amount, account: ctx.signer.client.account, chain: ctx.signer.client.chain });
    });
  }
}

/** The token contract a user's tpETH or wtpETH lives in; both have the same ERC-20 and permit functions. */
function tokenContract(ctx: Ctx, token: 'tpETH' | 'wtpETH') {
  return token === 'tpETH' ? { address: ctx.a.pool, abi: poolAbi } : { address: ctx.a.wrapped, abi: wrappedAbi as unknown as typeof poolAbi };
}

export async function approve(ctx: Ctx, token: 'tpETH' | 'wtpETH', spender: Address, amount: bigint, label: string): Promise<void> {
  const { address, abi } = tokenContract(ctx, token);
  await call(ctx, label, { address, abi: abi as Abi, functionName: 'approve', args: [spender, amount] });
}

export async function wrap(ctx: Ctx, amount: bigint): Promise<void> {
  await call(ctx, `Wrap ${fmt(amount)} tpETH`, { address: ctx.a.wrapped, abi: wrappedAbi, functionName: 'wrap', args: [amount] });
}

export async function unwrap(ctx: Ctx, amount: bigint): Promise<void> {
  await call(ctx, `Unwrap ${fmt(amount)} wtpETH`, { address: ctx.a.wrapped, abi: wrappedAbi, functionName: 'unwrap', args: [amount] });
}

export interface PermitInput { value: bigint; deadline: bigint; v: number; r: Hex; s: Hex }

/** An EIP-2612 permit signed as typed data, with the token's own EIP-712 domain (eip712Domain()). */
export async function signPermit(ctx: Ctx, token: 'tpETH' | 'wtpETH', spender: Address, value: bigint): Promise<PermitInput> {
  const { address, abi } = tokenContract(ctx, token);
  const [domain, nonce, block] = await Promise.all([
    readContract(ctx.client, { address, abi, functionName: 'eip712Domain' }),
    readContract(ctx.client, { address, abi, functionName: 'nonces', args: [ctx.signer.address] }),
    getBlock(ctx.client),
  ]);
  const [, name, version, chainId, verifyingContract] = domain;
  const deadline = block.timestamp + 3600n;
  const signature = await signTypedData(ctx.signer.client, {
    account: ctx.signer.client.account,
    domain: { name, version, chainId, verifyingContract },
    types: {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner: ctx.signer.address, spender, value, nonce, deadline },
  });
  const sig = parseSignature(signature);
  const v = sig.v !== undefined ? Number(sig.v) : sig.yParity + 27;
  return { value, deadline, v, r: sig.r, s: sig.s };
}

/** Is this a "the wallet cannot sign typed data" error (as opposed to a refusal)? */
function unsupported(e: unknown): boolean {
  const code = (e as { code?: number; cause?: { code?: number } }).code ?? (e as { cause?: { code?: number } }).cause?.code;
  return code === 4200 || code === -32601 || code === -32602;
}

export type WithdrawMode = 'permit' | 'approve';

/**
 * Requests withdrawals of `amounts` (already split) of `token`. Uses a permit when the
 * signer can sign typed data, else approve (if the allowance is short) + request.
 * Returns the mode used.
 */
/**
 * Requests withdrawals of `amounts`, with a permit (or an approval) for `needed` when the
 * queue's `allowance` is below it (`tpEthAllowanceFor`: a few wei above the sum for tpETH).
 */
export async function requestWithdrawals(ctx: Ctx, token: 'tpETH' | 'wtpETH', amounts: bigint[], allowance: bigint, needed: bigint, onStep: (s: string) => void): Promise<WithdrawMode> {
  const total = amounts.reduce((x, y) => x + y, 0n);
  const queue = { address: ctx.a.withdrawalQueue, abi: withdrawalQueueAbi as Abi };
  const label = `Request withdrawal of ${fmt(total)} ${token}${amounts.length > 1 ? ` in ${amounts.length} requests` : ''}`;
  if (allowance < needed) {
    let permit: PermitInput | null = null;
    const entry: TxEntry = { id: nextId++, label: `Sign a permit for ${fmt(total)} ${token}`, stage: 'signing' };
    upsert(entry);
    onStep('Sign the permit (no transaction, no gas)');
    try {
      permit = await signPermit(ctx, token, ctx.a.withdrawalQueue, needed);
      upsert({ ...entry, stage: 'signed', message: 'No transaction: the request carries it' });
    } catch (e) {
      if (!unsupported(e)) {
        upsert({ ...entry, stage: 'failed', message: humanizeError(e) });
        throw new TxFailed(humanizeError(e));
      }
      upsert({ ...entry, stage: 'failed', message: 'This wallet cannot sign permits: using an approval instead' });
    }
    if (permit) {
      onStep('Send the request');
      await call(ctx, label, {
        ...queue,
        functionName: token === 'tpETH' ? 'requestWithdrawalsWithPermit' : 'requestWithdrawalsWrappedWithPermit',
        args: [amounts, ctx.signer.address, permit],
      });
      return 'permit';
    }
    onStep('Step 1 of 2: approve the queue');
    await approve(ctx, token, ctx.a.withdrawalQueue, needed, `Approve the withdrawal queue for ${fmt(total)} ${token}`);
    onStep('Step 2 of 2: send the request');
  } else {
    onStep('Send the request');
  }
  await call(ctx, label, {
    ...queue,
    functionName: token === 'tpETH' ? 'requestWithdrawals' : 'requestWithdrawalsWrapped',
    args: [amounts, ctx.signer.address],
  });
  return 'approve';
}

/** Claims finalized requests (ascending ids), with checkpoint hints from findCheckpointHints(ids, 1, last). */
export async function claim(ctx: Ctx, ids: bigint[]): Promise<void> {
  const sorted = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const queue = { address: ctx.a.withdrawalQueue, abi: withdrawalQueueAbi } as const;
  const last = await readContract(ctx.client, { ...queue, functionName: 'getLastCheckpointIndex' });
  const hints = await readContract(ctx.client, { ...queue, functionName: 'findCheckpointHints', args: [sorted, 1n, last] });
  await call(ctx, `Claim request${sorted.length > 1 ? 's' : ''} #${sorted.join(', #')}`, {
    ...queue, abi: withdrawalQueueAbi as Abi, functionName: 'claimWithdrawals', args: [sorted, hints],
  });
}

