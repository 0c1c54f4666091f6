// The app/server contract: `./tidepool.json` on the app's own origin.
import { getAddress, type Address, type Hex } from 'viem';

export interface ContractRecord { address: string; codeHash?: string }
export interface DeploymentRecord {
  chainId: number;
  block?: number;
  stakingModule?: string;
  contracts: Record<string, ContractRecord | undefined>;
  oracle?: { members?: string[]; quorum?: number };
  module?: { stakingModule?: ContractRecord; operators?: string[] };
  [k: string]: unknown;
}
export interface TidepoolConfig {
  chainId: number;
  rpcPath: string;
  rpcUrl: string;
  chainName: string;
  deployment: DeploymentRecord;
  devKeys?: Hex[];
}

export interface Addresses {
  pool: Address;
  wrapped: Address;
  withdrawalQueue: Address;
  oracle: Address;
  rateFeed: Address | null;
  stakingModule: Address | null;
}

export function validateConfig(raw: unknown): TidepoolConfig {
  const c = raw as Partial<TidepoolConfig> | null;
  const problems: string[] = [];
  if (!c || typeof c !== 'object') throw new Error('tidepool.json is not a JSON object');
  if (typeof c.chainId !== 'number') problems.push('chainId (number)');
  if (typeof c.rpcPath !== 'string') problems.push('rpcPath (string)');
  if (typeof c.rpcUrl !== 'string') problems.push('rpcUrl (string)');
  if (!c.deployment || typeof c.deployment !== 'object' || !c.deployment.contracts) problems.push('deployment.contracts');
  for (const k of ['pool', 'wrapped', 'withdrawalQueue', 'oracle']) {
    if (!c.deployment?.contracts?.[k]?.address) problems.push(`deployment.contracts.${k}.address`);
  }
  if (c.devKeys !== undefined && (!Array.isArray(c.devKeys) || c.devKeys.some((k) => !/^0x[0-9a-fA-F]{64}$/.test(k)))) problems.push('devKeys (array of 32-byte hex keys)');
  if (problems.length) throw new Error(`tidepool.json lacks or mistypes: ${problems.join(', ')}`);
  return { chainName: 'Tidepool', ...c } as TidepoolConfig;
}

export function addressesOf(d: DeploymentRecord): Addresses {
  const a = (k: string) => getAddress(d.contracts[k]!.address);
  const sm = d.contracts.stakingModule?.address ?? d.module?.stakingModule?.address ?? d.stakingModule;
  return {
    pool: a('pool'),
    wrapped: a('wrapped'),
    withdrawalQueue: a('withdrawalQueue'),
    oracle: a('oracle'),
    rateFeed: d.contracts.rateFeed ? a('rateFeed') : null,
    stakingModule: sm ? getAddress(sm) : null,
  };
}

export async function loadConfig(): Promise<TidepoolConfig> {
  const res = await fetch('./tidepool.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`./tidepool.json answered ${res.status} ${res.statusText}`);
  return validateConfig(await res.json());
}
