import { useState } from 'preact/hooks';
import type { Controller } from '../controller';
import { formatEth } from '../format';
import { etherForShares, sharesForStake } from '../math';
import { useStore } from '../store';
import { approve, unwrap, wrap, TxFailed } from '../tx';
import { humanizeError } from '../errors';
import { Amount, AmountField, Card, Row, useAmount } from './common';

type Result = { ok: boolean; text: string } | null;

export function WrapPage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  const signer = useStore(ctl.signer);
  if (!snap) return <Card title="Wrap">Loading…</Card>;
  const acct = snap.account && signer && snap.account.address === signer.address ? snap.account : null;
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
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<string | null>(null);
  const [result, setResult] = useState<Result>(null);
  const acct = snap.account && signer && snap.account.address === signer.address ? snap.account : null;
  const amount = parsed?.ok ? parsed.wei : null;
  let error = parsed && !parsed.ok ? parsed.error : null;
  if (!error && amount !== null && acct && amount > acct.tpEth) error = `You have only ${formatEth(acct.tpEth)} tpETH`;
  if (!error && amount === 0n) error = 'Enter an amount above zero';
  const receive = amount && !error ? sharesForStake(amount, snap.totalShares, snap.totalPooledEther) : null;
  const needsApproval = !!acct && amount !== null && acct.allowancePoolToWrapped < amount;

  const submit = async (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    setBusy(true); setResult(null);
    try {
      if (needsApproval) {
        setStep('Step 1 of 2: approve wtpETH to take your tpETH');
        await approve(ctx, 'tpETH', ctx.a.wrapped, amount, `Approve wtpETH for ${formatEth(amount)} tpETH`);
        setStep('Step 2 of 2: wrap');
      } else setStep('Wrap');
      await wrap(ctx, amount);
      setResult({ ok: true, text: `Wrapped ${formatEth(amount)} tpETH` });
      setText('');
    } catch (err) {
      setResult({ ok: false, text: err instanceof TxFailed ? err.message : humanizeError(err) });
    } finally {
      setBusy(false); setStep(null); void ctl.refresh();
    }
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
      {step && <p role="status">{step}</p>}
      {result && <p class={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}
    </Card>
  );
}

function UnwrapForm({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot)!;
  const signer = useStore(ctl.signer);
  const [text, setText, parsed] = useAmount();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result>(null);
  const acct = snap.account && signer && snap.account.address === signer.address ? snap.account : null;
  const amount = parsed?.ok ? parsed.wei : null;
  let error = parsed && !parsed.ok ? parsed.error : null;
  if (!error && amount !== null && acct && amount > acct.wtpEth) error = `You have only ${formatEth(acct.wtpEth)} wtpETH`;
  if (!error && amount === 0n) error = 'Enter an amount above zero';
  const receive = amount && !error ? etherForShares(amount, snap.totalShares, snap.totalPooledEther) : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || amount === null || error) return;
    setBusy(true); setResult(null);
    try {
      await unwrap(ctx, amount);
      setResult({ ok: true, text: `Unwrapped ${formatEth(amount)} wtpETH` });
      setText('');
    } catch (err) {
      setResult({ ok: false, text: err instanceof TxFailed ? err.message : humanizeError(err) });
    } finally {
      setBusy(false); void ctl.refresh();
    }
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
      {result && <p class={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}
    </Card>
  );
}
