// Reverts → human sentences, decoded with the contracts' own custom errors.
import { decodeErrorResult, type Abi, type Hex } from 'viem';
import {
  depositGuardAbi, oracleAbi, poolAbi, rateFeedAbi, stakingModuleAbi, vaultAbi, withdrawalQueueAbi, wrappedAbi,
} from './abi.generated';
import { formatEth } from './format';

type AbiError = Extract<Abi[number], { type: 'error' }>;

/** Every custom error of every contract, once per signature. */
export const allErrorsAbi: readonly AbiError[] = (() => {
  const seen = new Map<string, AbiError>();
  for (const abi of [poolAbi, wrappedAbi, withdrawalQueueAbi, oracleAbi, stakingModuleAbi, rateFeedAbi, depositGuardAbi, vaultAbi] as readonly Abi[]) {
    for (const item of abi) {
      if (item.type !== 'error') continue;
      const sig = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
      if (!seen.has(sig)) seen.set(sig, item);
    }
  }
  return [...seen.values()];
})();

export interface DecodedError {
  name: string;
  args: readonly unknown[];
}

export function decodeRevertData(data: Hex): DecodedError | null {
  if (data === '0x' || data.length < 10) return null;
  if (data.startsWith('0x08c379a0') || data.startsWith('0x4e487b71')) {
    try {
      const r = decodeErrorResult({ abi: [], data });
      return { name: r.errorName, args: r.args ?? [] };
    } catch {
      return null;
    }
  }
  try {
    const r = decodeErrorResult({ abi: allErrorsAbi as Abi, data });
    return { name: r.errorName, args: (r.args ?? []) as readonly unknown[] };
  } catch {
    return null;
  }
}

const isHex = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]*$/.test(v) && v.length >= 10;

/** Finds revert data anywhere in an error's cause chain (viem errors, EIP-1193 errors, JSON-RPC errors). */
export function findRevertData(err: unknown): Hex | null {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (isHex(o.data)) return o.data;
    if (o.data && typeof o.data === 'object') {
      const d = o.data as Record<string, unknown>;
      if (isHex(d.data)) return d.data;
      if (isHex(d.originalError)) return d.originalError;
      stack.push(d);
    }
    if (isHex(o.raw)) return o.raw;
    stack.push(o.cause, o.error, o.originalError);
  }
  return null;
}

const eth = (v: unknown) => `${formatEth(v as bigint)} ETH`;
const MAX_UINT = 2n ** 256n - 1n;

/** Human sentences for the errors a depositor can meet. */
const sentences: Record<string, (a: readonly unknown[]) => string> = {
  StakingIsPaused: () => 'Staking is paused',
  StakingNotPaused: () => 'Staking is not paused',
  StakeLimitExceeded: ([, available]) => `At most ${eth(available)} can be staked right now`,
  ZeroDeposit: () => 'Enter an amount above zero',
  ZeroAmount: () => 'Enter an amount above zero',
  ZeroSharesMinted: ([amount]) => `${eth(amount)} is too small to mint a single share`,
  ProtocolStopped: () => 'The protocol is stopped',
  ERC20InsufficientBalance: ([, balance, needed]) => `Insufficient balance: you have ${eth(balance)}, this needs ${eth(needed)}`,
  InsufficientShares: ([, shares, needed]) => `Insufficient shares: you hold ${eth(shares)} shares, this needs ${eth(needed)}`,
  ERC20InsufficientAllowance: ([, allowance, needed]) => `The allowance is ${eth(allowance)}; this needs ${eth(needed)}: approve first`,
  ERC2612ExpiredSignature: () => 'The permit signature has expired: try again',
  ERC2612InvalidSigner: () => 'The permit signature does not match the account',
  RequestAmountTooSmall: ([amount]) => `A withdrawal request of ${formatEth(amount as bigint, 18)} ETH is below the minimum of 100 wei`,
  RequestAmountTooLarge: ([amount]) => `A withdrawal request of ${eth(amount)} is above the maximum of 1000 ETH per request`,
  RequestAlreadyClaimed: ([id]) => `Request #${id} is already claimed`,
  RequestNotFoundOrNotFinalized: ([id]) => `Request #${id} is not finalized yet`,
  RequestIdsNotSorted: () => 'The requests must be claimed in ascending order',
  NotOwner: ([sender, owner]) => `Only the owner ${owner} can do this (you are ${sender})`,
  InvalidHint: ([hint]) => `The checkpoint hint ${hint} is stale: refresh and try again`,
  InvalidRequestId: ([id]) => `There is no withdrawal request #${id}`,
  PausedExpected: () => 'The withdrawal queue is not paused',
  ResumedExpected: () => 'Withdrawals are paused',
  EmptyArray: () => 'Nothing to request',
  ReentrantCall: () => 'Reentrant call refused',
  AccessControlUnauthorizedAccount: ([account, role]) => `The account ${account} lacks the role ${role}`,
  InsufficientDepositableEther: ([requested, depositable]) => `Only ${eth(depositable)} can be deposited, not ${eth(requested)}`,
  Error: ([message]) => String(message),
  Panic: ([code]) => `The contract panicked (code ${code})`,
};

export function describeDecoded(d: DecodedError): string {
  const f = sentences[d.name];
  if (f) return f(d.args);
  const args = d.args.map((a) => (typeof a === 'bigint' ? (a === MAX_UINT ? 'max' : a.toString()) : String(a)));
  return `The contract refused: ${d.name}(${args.join(', ')})`;
}

/** Any error (from viem, a wallet or the node) → one sentence for the page. */
export function humanizeError(err: unknown): string {
  const data = findRevertData(err);
  if (data) {
    const decoded = decodeRevertData(data);
    if (decoded) return describeDecoded(decoded);
    return `The transaction would revert with unknown data ${data.slice(0, 10)}`;
  }
  const o = (err ?? {}) as { code?: number; shortMessage?: string; message?: string; name?: string; cause?: { code?: number } };
  const code = o.code ?? o.cause?.code;
  if (code === 4001 || o.name === 'UserRejectedRequestError') return 'You rejected the request in your wallet';
  if (code === 4902) return 'The wallet does not know this chain';
  if (o.shortMessage) return o.shortMessage;
  if (o.message) return o.message.split('\n')[0]!;
  return String(err);
}
