import { useState } from 'preact/hooks';
import type { Controller } from '../controller';
import { formatEth } from '../format';
import { aprFromRebases, etherPerShare, formatPpmPercent, previewStake } from '../math';
import { useStore } from '../store';
import { stake } from '../tx';
import { ActionStatus, Amount, AmountField, amountProblem, Card, Row, signedAccount, useAction, useAmount } from './common';

const MAX_UINT = 2n ** 256n - 1n;

export function StakePage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  const signer = useStore(ctl.signer);
  const history = useStore(ctl.history);
  const [text, setText, parsed] = useAmount();
  const [to, setTo] = useState<'tpETH' | 'wtpETH'>('tpETH');
  const { busy, result, run } = useAction(ctl);
  const apr = aprFromRebases(history.rebases);

  if (!snap) return <Card title="Stake">Loading…</Card>;
  const acct = signedAccount(snap, signer);
  const unlimited = !snap.stakeLimitSet || snap.currentStakeLimit === MAX_UINT;
  const amount = parsed?.ok ? parsed.wei : null;
  let error = amountProblem(parsed, acct ? acct.eth : null, 'ETH');
  if (!error && amount !== null && !unlimited && amount > snap.currentStakeLimit) {
    error = `At most ${formatEth(snap.currentStakeLimit)} ETH can be staked right now`;
  }
  const preview = amount && !error ? previewStake(amount, snap.totalShares, snap.totalPooledEther) : null;
  const paused = snap.stakingPaused || snap.stopped;

  const submit = (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    void run(async () => {
      await stake(ctx, amount, to);
      setText('');
      return `Staked ${formatEth(amount)} ETH for ${to}`;
    });
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
              <Row k="Rate"><Amount wei={etherPerShare(snap.totalShares, snap.totalPooledEther)} unit="ETH per share" /></Row>
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
        <ActionStatus result={result} />
      </Card>
      <p class="muted small-text">
        Shares = amount × total shares ÷ total pooled ether, rounded down; the balance is those shares at the new totals.
        The APR is the change of the share rate between the oldest and newest of the last {Math.min(8, Math.max(2, history.rebases.length))} oracle reports, annualized (not compounded), after fees.
      </p>
    </>
  );
}
