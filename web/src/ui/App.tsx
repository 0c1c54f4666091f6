import { useEffect, useState } from 'preact/hooks';
import type { Controller } from '../controller';
import { ROUNDING_NOTE, shortAddress } from '../format';
import { useStore } from '../store';
import { txLog } from '../tx';
import { devAddresses, ensureChain } from '../wallet';
import { humanizeError } from '../errors';
import { Amount } from './common';
import { StakePage } from './StakePage';
import { WrapPage } from './WrapPage';
import { WithdrawPage } from './WithdrawPage';
import { RewardsPage } from './RewardsPage';
import { ProtocolPage } from './ProtocolPage';

const pages = [
  { path: 'stake', title: 'Stake' },
  { path: 'wrap', title: 'Wrap' },
  { path: 'withdraw', title: 'Withdraw' },
  { path: 'rewards', title: 'Rewards' },
  { path: 'protocol', title: 'Protocol' },
] as const;
type PagePath = (typeof pages)[number]['path'];

function useRoute(): PagePath {
  const read = (): PagePath => {
    const p = window.location.hash.replace(/^#\/?/, '');
    return (pages.find((x) => x.path === p)?.path ?? 'stake');
  };
  const [route, setRoute] = useState<PagePath>(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App({ ctl }: { ctl: Controller }) {
  const route = useRoute();
  const status = useStore(ctl.status);
  useEffect(() => {
    const t = pages.find((p) => p.path === route)?.title;
    document.title = `${t} · Tidepool`;
  }, [route]);
  return (
    <div class="layout">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/stake">Tidepool</a>
        <nav aria-label="Pages">
          <ul>
            {pages.map((p) => (
              <li key={p.path}><a href={`#/${p.path}`} aria-current={route === p.path ? 'page' : undefined}>{p.title}</a></li>
            ))}
          </ul>
        </nav>
      </header>
      <p class={status.ok ? 'chain-status' : 'chain-status bad'} role={status.ok ? undefined : 'alert'}>
        {ctl.cfg.chainName} (chain {ctl.cfg.chainId}) · {status.message}
      </p>
      <AccountPanel ctl={ctl} />
      <main id="main" tabIndex={-1}>
        {route === 'stake' && <StakePage ctl={ctl} />}
        {route === 'wrap' && <WrapPage ctl={ctl} />}
        {route === 'withdraw' && <WithdrawPage ctl={ctl} />}
        {route === 'rewards' && <RewardsPage ctl={ctl} />}
        {route === 'protocol' && <ProtocolPage ctl={ctl} />}
      </main>
      <TxLog />
      <footer><p>{ROUNDING_NOTE} Hover an amount for its exact value.</p></footer>
    </div>
  );
}

function AccountPanel({ ctl }: { ctl: Controller }) {
  const signer = useStore(ctl.signer);
  const wallets = useStore(ctl.wallets);
  const walletChain = useStore(ctl.walletChainId);
  const snap = useStore(ctl.snapshot);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [devIndex, setDevIndex] = useState(1);
  const keys = ctl.cfg.devKeys ?? [];
  const [devAddrs, setDevAddrs] = useState<string[]>([]);
  useEffect(() => { if (keys.length) void devAddresses(keys).then(setDevAddrs); }, [keys]);
  const acct = snap?.account && signer && snap.account.address === signer.address ? snap.account : null;

  if (signer) {
    return (
      <section class="account" aria-label="Account">
        <p>
          <strong>{signer.label}</strong> <code title={signer.address}>{shortAddress(signer.address)}</code>{' '}
          <button type="button" class="small" onClick={() => ctl.disconnect()}>Disconnect</button>
        </p>
        {walletChain !== null && walletChain !== ctl.cfg.chainId && (
          <p role="alert" class="error">
            Your wallet is on chain {walletChain}, not {ctl.cfg.chainId}.{' '}
            <button type="button" class="small" onClick={() => { if (signer.provider) void ensureChain(signer.provider, ctl.cfg).catch((e: unknown) => setError(humanizeError(e))); }}>Switch network</button>
          </p>
        )}
        {acct && (
          <dl class="balances" aria-label="Balances">
            <div><dt>ETH</dt><dd data-testid="balance-eth"><Amount wei={acct.eth} /></dd></div>
            <div><dt>tpETH</dt><dd data-testid="balance-tpeth"><Amount wei={acct.tpEth} /></dd></div>
            <div><dt>wtpETH</dt><dd data-testid="balance-wtpeth"><Amount wei={acct.wtpEth} /></dd></div>
          </dl>
        )}
        {error && <p class="error" role="alert">{error}</p>}
      </section>
    );
  }
  return (
    <section class="account" aria-label="Connect">
      <h2 class="sr-only">Connect</h2>
      <div class="connect">
        {wallets.length > 0 ? (
          <ul class="wallets" aria-label="Wallets">
            {wallets.map((w) => (
              <li key={w.info.uuid}>
                <button type="button" disabled={busy} onClick={async () => {
                  setBusy(true); setError(null);
                  try { await ctl.connect(w); } catch (e) { setError(humanizeError(e)); } finally { setBusy(false); }
                }}>
                  {w.info.icon && <img src={w.info.icon} alt="" width={20} height={20} />}
                  Connect {w.info.name}
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">No browser wallet found.</p>
        )}
        {keys.length > 0 && (
          <div class="dev">
            <label for="dev-account">Dev account</label>
            <select id="dev-account" value={String(devIndex)} onChange={(e) => setDevIndex(Number((e.target as HTMLSelectElement).value))}>
              {keys.map((k, i) => (
                <option key={k} value={String(i)}>{i}: {devAddrs[i] ? shortAddress(devAddrs[i]) : '…'}</option>
              ))}
            </select>
            <button type="button" onClick={() => { void ctl.useDevKey(devIndex).catch((e: unknown) => setError(humanizeError(e))); }}>Use dev account</button>
            <p class="muted small-text">Local chain only: the key signs in this page.</p>
          </div>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

const stageText = { signing: 'waiting for signature', signed: 'signed', sent: 'sent, waiting for confirmation', confirmed: 'confirmed', failed: 'failed' } as const;

function TxLog() {
  const list = useStore(txLog);
  return (
    <section class="txlog" aria-label="Transactions" aria-live="polite">
      {list.length > 0 && <h2>Transactions</h2>}
      <ul>
        {list.map((t) => (
          <li key={t.id} class={`tx ${t.stage}`} data-stage={t.stage}>
            <span class="tx-label">{t.label}</span>: <strong>{stageText[t.stage]}</strong>
            {t.hash && <> · <code title={t.hash}>{shortAddress(t.hash)}</code></>}
            {t.message && <> · <span class="tx-message">{t.message}</span></>}
          </li>
        ))}
      </ul>
    </section>
  );
}
