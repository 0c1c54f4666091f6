import type { Controller } from '../controller';
import { formatEth } from '../format';
import { etherForShares, sharesForStake } from '../math';
import { useStore } from '../store';
import { approve, unwrap, wrap } from '../tx';
import { ActionStatus, Amount, AmountField, amountProblem, Card, Row, signedAccount, useAction, useAmount } from './common';

export function WrapPage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  const signer = useStore(ctl.signer);
  if (!snap) return <Card title="Wrap">Loading…</Card>;
  const acct = signedAccount(snap, signer);
  return (
    <>
      <WrapForm ctl={ctl} />
      <UnwrapForm ctl={ctl} />
      {!acct && <p class="muted">Connect a wallet or pick a dev account above to wrap.</p>}
      <p class="muted small-text">1 wtpETH is 1 pool share. Wrapping gives shares = tpETH × total shares ÷ total pooled ether (rounded down); unwrapping gives their tpETH value (rounded down).</p>
    </>
  );
}

function WrapForm({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot)!;
  const signer = useStore(ctl.signer);
  const [text, setText, parsed] = useAmount();
  const { busy, step, setStep, result, run } = useAction(ctl);
  const acct = signedAccount(snap, signer);
  const amount = parsed?.ok ? parsed.wei : null;
  const error = amountProblem(parsed, acct ? acct.tpEth : null, 'tpETH');
  const receive = amount && !error ? sharesForStake(amount, snap.totalShares, snap.totalPooledEther) : null;
  const needsApproval = !!acct && amount !== null && acct.allowancePoolToWrapped < amount;

  const submit = (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    void run(async () => {
      if (needsApproval) {
        setStep('Step 1 of 2: approve wtpETH to take your tpETH');
        await approve(ctx, 'tpETH', ctx.a.wrapped, amount, `Approve wtpETH for ${formatEth(amount)} tpETH`);
        setStep('Step 2 of 2: wrap');
      } else setStep('Wrap');
      await wrap(ctx, amount);
      setText('');
      return `Wrapped ${formatEth(amount)} tpETH`;
    });
  };

  return (
    <Card title="Wrap tpETH → wtpETH" id="wrap-title">
      <form onSubmit={submit} aria-labelledby="wrap-title">
        <fieldset disabled={busy || !acct}>
          <AmountField id="wrap-amount" label="tpETH to wrap" unit="tpETH" value={text} onInput={setText} error={error}
            onMax={acct ? () => setText(formatEth(acct.tpEth, 18)) : undefined} />
          <dl class="summary">
            <Row k="You receive">{receive !== null ? <Amount wei={receive} unit="wtpETH" /> : '—'}</Row>
            <Row k="Steps">{needsApproval ? '2 transactions: approve, then wrap' : '1 transaction: wrap'}</Row>
          </dl>
          <button type="submit" class="primary" disabled={amount === null || !!error || busy}>{needsApproval ? 'Approve and wrap' : 'Wrap'}</button>
        </fieldset>
      </form>
      <ActionStatus step={step} result={result} />
    </Card>
  );
}

function UnwrapForm({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot)!;
  const signer = useStore(ctl.signer);
  const [text, setText, parsed] = useAmount();
  const { busy, result, run } = useAction(ctl);
  const acct = signedAccount(snap, signer);
  const amount = parsed?.ok ? parsed.wei : null;
  const error = amountProblem(parsed, acct ? acct.wtpEth : null, 'wtpETH');
  const receive = amount && !error ? etherForShares(amount, snap.totalShares, snap.totalPooledEther) : null;

  const submit = (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    void run(async () => {
      await unwrap(ctx, amount);
      setText('');
      return `Unwrapped ${formatEth(amount)} wtpETH`;
    });
  };

  return (
    <Card title="Unwrap wtpETH → tpETH" id="unwrap-title">
      <form onSubmit={submit} aria-labelledby="unwrap-title">
        <fieldset disabled={busy || !acct}>
          <AmountField id="unwrap-amount" label="wtpETH to unwrap" unit="wtpETH" value={text} onInput={setText} error={error}
            onMax={acct ? () => setText(formatEth(acct.wtpEth, 18)) : undefined} />
          <dl class="summary">
            <Row k="You receive">{receive !== null ? <Amount wei={receive} unit="tpETH" /> : '—'}</Row>
          </dl>
          <button type="submit" class="primary" disabled={amount === null || !!error || busy}>Unwrap</button>
        </fieldset>
      </form>
      <ActionStatus result={result} />
    </Card>
  );
}
