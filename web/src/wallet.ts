// Wallets: EIP-6963 discovery of injected EIP-1193 providers (window.ethereum as fallback),
// EIP-3085/3326 chain adding and switching, and the local "dev account" signer.
import { createClient, custom, numberToHex, getAddress, type Address, type EIP1193Provider, type Hex, type Client, type Account, type Chain, type Transport } from 'viem';
import { chainOf, proxyTransport } from './chain';
import type { TidepoolConfig } from './config';

export interface ProviderInfo { uuid: string; name: string; icon: string; rdns: string }
export interface DiscoveredWallet { info: ProviderInfo; provider: EIP1193Provider }

export interface Signer {
  kind: 'dev' | 'injected';
  label: string;
  address: Address;
  client: Client<Transport, Chain, Account>;
  /** the injected provider (for chain checks and events); null for the dev account */
  provider: EIP1193Provider | null;
}

/** Listens for EIP-6963 announcements; calls `onChange` with the list so far. */
export function discoverWallets(onChange: (w: DiscoveredWallet[]) => void): () => void {
  const found = new Map<string, DiscoveredWallet>();
  const onAnnounce = (ev: Event) => {
    const detail = (ev as CustomEvent<DiscoveredWallet>).detail;
    if (!detail?.info?.uuid || !detail.provider) return;
    found.set(detail.info.uuid, { info: detail.info, provider: detail.provider });
    onChange([...found.values()]);
  };
  window.addEventListener('eip6963:announceProvider', onAnnounce);
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  // The legacy fallback, shown only if nothing announced itself.
  const t = window.setTimeout(() => {
    const eth = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
    if (found.size === 0 && eth) {
      found.set('window.ethereum', { info: { uuid: 'window.ethereum', name: 'Browser wallet', icon: '', rdns: '' }, provider: eth });
      onChange([...found.values()]);
    }
  }, 500);
  return () => {
    window.removeEventListener('eip6963:announceProvider', onAnnounce);
    window.clearTimeout(t);
  };
}

/** Makes the wallet use our chain: switch (EIP-3326), adding it first (EIP-3085) if unknown. */
export async function ensureChain(provider: EIP1193Provider, cfg: TidepoolConfig): Promise<void> {
  const want = numberToHex(cfg.chainId);
  const current = (await provider.request({ method: 'eth_chainId' })) as Hex;
  if (current.toLowerCase() === want.toLowerCase()) return;
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: want }] });
  } catch (e) {
    const code = (e as { code?: number; data?: { originalError?: { code?: number } } }).code ?? (e as { data?: { originalError?: { code?: number } } }).data?.originalError?.code;
    if (code !== 4902 && code !== -32603) throw e;
    await provider.request({
      method: 'wallet_addEthereumChain',
      params: [{ chainId: want, chainName: cfg.chainName, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: [cfg.rpcUrl] }],
    });
  }
}

export async function connectInjected(w: DiscoveredWallet, cfg: TidepoolConfig): Promise<Signer> {
  const accounts = (await w.provider.request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts.length) throw new Error(`${w.info.name} gave no account`);
  await ensureChain(w.provider, cfg);
  return injectedSigner(w, getAddress(accounts[0]!), cfg);
}

export function injectedSigner(w: DiscoveredWallet, address: Address, cfg: TidepoolConfig): Signer {
  const client = createClient({ account: address, chain: chainOf(cfg), transport: custom(w.provider), ccipRead: false });
  return { kind: 'injected', label: w.info.name, address, client, provider: w.provider };
}

/** The dev-account code (secp256k1 signing) loads only when a dev account is used. */
export async function devSigner(key: Hex, index: number, cfg: TidepoolConfig): Promise<Signer> {
  const { privateKeyToAccount } = await import('viem/accounts');
  const account = privateKeyToAccount(key);
  const client = createClient({ account, chain: chainOf(cfg), transport: proxyTransport(cfg), ccipRead: false });
  return { kind: 'dev', label: `Dev account ${index}`, address: account.address, client, provider: null };
}

export async function devAddresses(keys: readonly Hex[]): Promise<Address[]> {
  const { privateKeyToAccount } = await import('viem/accounts');
  return keys.map((k) => privateKeyToAccount(k).address);
}
