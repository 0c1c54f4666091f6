// The app's live state: config, clients, the signer, and a snapshot refreshed on every block.
import { getBlock, watchBlockNumber } from 'viem/actions';
import type { Address } from 'viem';
import { makeClient, type ReadClient } from './chain';
import { addressesOf, type Addresses, type TidepoolConfig } from './config';
import { blockRanges, loadClaimed, loadMoves, loadRebases, loadSnapshot, type Snapshot } from './data';
import { humanizeError } from './errors';
import type { RebaseEvent } from './math';
import type { ShareMove } from './rewards';
import { Store } from './store';
import type { Ctx } from './tx';
import { devSigner, discoverWallets, injectedSigner, connectInjected, type DiscoveredWallet, type Signer } from './wallet';

export interface History { rebases: RebaseEvent[]; moves: ShareMove[]; claimed: bigint[]; scannedTo: bigint; movesFor: Address | null }

/** Log queries cover at most this many blocks each. */
const LOG_CHUNK = 20_000n;

export class Controller {
  readonly client: ReadClient;
  readonly a: Addresses;
  readonly snapshot = new Store<Snapshot | null>(null);
  readonly signer = new Store<Signer | null>(null);
  readonly wallets = new Store<DiscoveredWallet[]>([]);
  readonly walletChainId = new Store<number | null>(null);
  readonly status = new Store<{ ok: boolean; message: string }>({ ok: true, message: 'Connecting to the chain…' });
  readonly history = new Store<History>({ rebases: [], moves: [], claimed: [], scannedTo: -1n, movesFor: null });
  private refreshing: Promise<void> | null = null;
  private again = false;
  private detachWallet: (() => void) | null = null;

  constructor(readonly cfg: TidepoolConfig) {
    this.client = makeClient(cfg);
    this.a = addressesOf(cfg.deployment);
  }

  start(): void {
    discoverWallets((w) => this.wallets.set(w));
    void this.refresh();
    watchBlockNumber(this.client, {
      emitOnBegin: false,
      pollingInterval: 2_000,
      onBlockNumber: () => void this.refresh(),
      onError: (e) => this.status.set({ ok: false, message: `The chain does not answer: ${humanizeError(e)}` }),
    });
    // Time moves even without blocks (frame countdowns): a slow heartbeat.
    window.setInterval(() => void this.refresh(), 15_000);
  }

  ctx(): Ctx | null {
    const signer = this.signer.get();
    return signer ? { client: this.client, signer, a: this.a } : null;
  }

  /** Refreshes the snapshot and history; calls made while one runs coalesce into one more. */
  refresh(): Promise<void> {
    if (this.refreshing) { this.again = true; return this.refreshing; }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const account = this.signer.get()?.address ?? null;
          const block = await getBlock(this.client, { blockTag: 'latest' });
          await this.loadHistory(block.number, account);
          const snap = await loadSnapshot(this.client, this.a, account, this.history.get().claimed, block);
          this.snapshot.set(snap);
          this.status.set({ ok: true, message: `Block ${snap.blockNumber}` });
        } while (this.again);
      } catch (e) {
        this.status.set({ ok: false, message: `Cannot read the chain: ${humanizeError(e)}` });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async loadHistory(toBlock: bigint, account: Address | null): Promise<void> {
    const h = this.history.get();
    const start = BigInt(this.cfg.deployment.block ?? 0);
    const accountChanged = h.movesFor !== account;
    const from = h.scannedTo + 1n > start ? h.scannedTo + 1n : start;
    const rebases: RebaseEvent[] = [];
    for (const [f, t] of blockRanges(from, toBlock, LOG_CHUNK)) rebases.push(...(await loadRebases(this.client, this.a, f, t)));
    let moves = accountChanged ? [] : h.moves;
    let claimed = accountChanged ? [] : h.claimed;
    if (account) {
      for (const [f, t] of blockRanges(accountChanged ? start : from, toBlock, LOG_CHUNK)) {
        const [m, c] = await Promise.all([loadMoves(this.client, this.a, account, f, t), loadClaimed(this.client, this.a, account, f, t)]);
        moves = moves.concat(m);
        claimed = claimed.concat(c);
      }
    }
    this.history.set({ rebases: h.rebases.concat(rebases), moves, claimed, scannedTo: toBlock, movesFor: account });
  }

  async useDevKey(index: number): Promise<void> {
    const key = this.cfg.devKeys?.[index];
    if (!key) return;
    this.setSigner(await devSigner(key, index, this.cfg));
  }

  async connect(w: DiscoveredWallet): Promise<void> {
    const signer = await connectInjected(w, this.cfg);
    this.setSigner(signer);
    const p = w.provider;
    const onAccounts = (accs: unknown) => {
      const list = accs as string[];
      if (!list.length) this.disconnect();
      else this.setSigner(injectedSigner(w, list[0] as Address, this.cfg), true);
    };
    const onChain = (id: unknown) => this.walletChainId.set(Number(id as string));
    p.on('accountsChanged', onAccounts);
    p.on('chainChanged', onChain);
    this.walletChainId.set(this.cfg.chainId);
    this.detachWallet = () => { p.removeListener('accountsChanged', onAccounts); p.removeListener('chainChanged', onChain); };
  }

  disconnect(): void {
    this.detachWallet?.();
    this.detachWallet = null;
    this.walletChainId.set(null);
    this.signer.set(null);
    void this.refresh();
  }

  private setSigner(s: Signer, keepListeners = false): void {
    if (!keepListeners && this.detachWallet && s.kind === 'dev') { this.detachWallet(); this.detachWallet = null; this.walletChainId.set(null); }
    this.signer.set(s);
    void this.refresh();
  }
}
