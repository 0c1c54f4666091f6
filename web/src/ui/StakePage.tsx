import { useState } from 'preact/hooks';
import type { Controller } from '../controller';
import { formatEth } from '../format';
import { aprFromRebases, formatPpmPercent, previewStake } from '../math';
import { useStore } from '../store';
import { stake, TxFailed } from '../tx';
import { humanizeError } from '../errors';
import { Amount, AmountField, Card, Row, useAmount } from './common';

const MAX_UINT = 2n ** 256n - 1n;

export function StakePage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  const signer = useStore(ctl.signer);
  const history = useStore(ctl.history);
  const [text, setText, parsed] = useAmount();
  const [to, setTo] = useState<'tpETH' | 'wtpETH'>('tpETH');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const apr = aprFromRebases(history.rebases);

  if (!snap) return <Card title="Stake">Loading…</Card>;
  const acct = snap.account && signer && snap.account.address === signer.address ? snap.account : null;
  const unlimited = !snap.stakeLimitSet || snap.currentStakeLimit === MAX_UINT;
  let error: string | null = parsed && !parsed.ok ? parsed.error : null;
  const amount = parsed?.ok ? parsed.wei : null;
  if (!error && amount !== null) {
    if (amount === 0n) error = 'Enter an amount above zero';
    else if (acct && amount > acct.eth) error = `You have only ${formatEth(acct.eth)} ETH`;
    else if (!unlimited && amount > snap.currentStakeLimit) error = `At most ${formatEth(snap.currentStakeLimit)} ETH can be staked right now`;
  }
  const preview = amount && !error ? previewStake(amount, snap.totalShares, snap.totalPooledEther) : null;
  const paused = snap.stakingPaused || snap.stopped;

  const submit = async (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    setBusy(true); setResult(null);
    try {
      await stake(ctx, amount, to);
      setResult({ ok: true, text: `Staked ${formatEth(amount)} ETH for ${to}` });
      setText('');
    } catch (err) {
      setResult({ ok: false, text: err instanceof TxFailed ? err.message : humanizeError(err) });
    } finally {
      setBusy(false);
      void ctl.refresh();
    }
  };

  return (
    <>
      <Card title="Stake ETH" id="stake-title">
        {paused && (
          <p class="notice" role="alert" data-testid="staking-paused">
            {snap.stopped ? 'The protocol is stopped: staking is not possible.' : 'Staking is paused: new deposits are not accepted right now. Your tokens, wrapping and withdrawals are not affected.'}
          </p>
        )}
        <form onSubmit={submit} aria-labelledby="stake-title">
          <fieldset disabled={paused || busy}>
            <legend class="sr-only">Stake</legend>
            <AmountField id="stake-amount" label="Amount to stake (ETH)" unit="ETH" value={text} onInput={setText} error={error} />
            <fieldset class="choice">
              <legend>Receive</legend>
              <label><input type="radio" name="stake-to" value="tpETH" checked={to === 'tpETH'} onChange={() => setTo('tpETH')} /> tpETH (rebasing: the balance grows each report)</label>
              <label><input type="radio" name="stake-to" value="wtpETH" checked={to === 'wtpETH'} onChange={() => setTo('wtpETH')} /> wtpETH (wrapped: fixed balance, value grows)</label>
            </fieldset>
            <dl class="summary" aria-label="Stake preview">
              <Row k="You receive">
                {preview ? (to === 'tpETH' ? <span data-testid="stake-receive"><Amount wei={preview.balance} unit="tpETH" /></span> : <span data-testid="stake-receive"><Amount wei={preview.wrapped} unit="wtpETH" /></span>) : '—'}
              </Row>
              {preview && <Row k="Shares minted"><Amount wei={preview.shares} /></Row>}
              <Row k="Rate"><Amount wei={snap.totalShares === 0n ? 10n ** 18n : (10n ** 18n * snap.totalPooledEther) / snap.totalShares} unit="ETH per share" /></Row>
              <Row k="APR">
                <span data-testid="apr">
                  {apr.kind === 'apr'
                    ? `${formatPpmPercent(apr.ppm)} (over the last ${apr.reports} reports)`
                    : `not enough history (${apr.reports} report${apr.reports === 1 ? '' : 's'} so far; two are needed)`}
                </span>
              </Row>
              <Row k="Stake limit left">{paused ? 'none while staking is paused' : unlimited ? 'no limit' : <Amount wei={snap.currentStakeLimit} unit="ETH" />}</Row>
            </dl>
            {!signer ? (
              <p class="muted">Connect a wallet or pick a dev account above to stake.</p>
            ) : (
              <button type="submit" class="primary" disabled={amount === null || !!error || busy}>{busy ? 'Staking…' : 'Stake'}</button>
            )}
          </fieldset>
        </form>
        {result && <p class={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}
      </Card>
      <p class="muted small-text">
        Shares = amount × total shares ÷ total pooled ether, rounded down; the balance is those shares at the new totals.
        The APR is the change of the share rate between the oldest and newest of the last {Math.min(8, Math.max(2, history.rebases.length))} oracle reports, annualized (not compounded), after fees.
      </p>
    </>
  );
}
