// Clients: every read and every dev-account write goes to the same-origin RPC proxy.
import { createClient, defineChain, http, type Chain, type Client, type Transport } from 'viem';

/** A bare client: actions are imported one by one from viem/actions, so unused ones are not bundled. */
export type ReadClient = Client<Transport, Chain>;
import type { TidepoolConfig } from './config';

export function chainOf(cfg: TidepoolConfig): Chain {
  return defineChain({
    id: cfg.chainId,
    name: cfg.chainName,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [cfg.rpcUrl] } },
  });
}

/** The same-origin proxy's absolute URL (viem's http transport wants one). */
export function proxyUrl(cfg: TidepoolConfig): string {
  return new URL(cfg.rpcPath, window.location.href).toString();
}

export function proxyTransport(cfg: TidepoolConfig) {
  return http(proxyUrl(cfg), { retryCount: 1, timeout: 20_000 });
}

export function makeClient(cfg: TidepoolConfig): ReadClient {
  // ccipRead off: no offchain lookups, so the page never fetches another origin.
  return createClient({ chain: chainOf(cfg), transport: proxyTransport(cfg), pollingInterval: 2_000, ccipRead: false });
}
