import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Controller } from '../controller';
import type { AccountState, Snapshot } from '../data';
import { humanizeError } from '../errors';
import { formatEth, formatEthExact, parseEth, type ParseResult } from '../format';
import { TxFailed } from '../tx';
import type { Signer } from '../wallet';

/** An amount, rounded down for display, exact in the tooltip. */
export function Amount({ wei, unit }: { wei: bigint; unit?: string }) {
  return <span class="amount" title={`${formatEthExact(wei)}${unit ? ` ${unit}` : ''} (exact)`}>{formatEth(wei, undefined, true)}{unit ? ` ${unit}` : ''}</span>;
}

export function Card({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id ?? undefined}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A text amount field with its label and validation message. */
export function AmountField(props: { id: string; label: string; value: string; onInput: (v: string) => void; error?: string | null; unit: string; onMax?: () => void }) {
  const errId = `${props.id}-error`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <div class="amount-input">
        <input
          id={props.id}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          spellcheck={false}
          placeholder="0.0"
          value={props.value}
          aria-invalid={props.error ? 'true' : 'false'}
          aria-describedby={props.error ? errId : undefined}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
        <span class="unit" aria-hidden="true">{props.unit}</span>
        {props.onMax && <button type="button" class="small" onClick={props.onMax} aria-label={`Use the whole ${props.unit} balance`}>Max</button>}
      </div>
      {props.error && <p id={errId} class="error" role="alert">{props.error}</p>}
    </div>
  );
}

/** Parsed amount state for a form. */
export function useAmount(): [string, (v: string) => void, ParseResult | null] {
  const [text, setText] = useState('');
  return [text, setText, text.trim() === '' ? null : parseEth(text)];
}

/**
 * The snapshot's account when it is the one signing: right after a wallet switches
 * accounts the snapshot still describes the previous one, and no form acts on it.
 */
export function signedAccount(snap: Snapshot, signer: Signer | null): AccountState | null {
  return snap.account && signer && snap.account.address === signer.address ? snap.account : null;
}

/**
 * The first problem with a typed amount, or null: it does not parse, is zero, or is more
 * than the account holds (`available`, when an account is signing).
 */
export function amountProblem(parsed: ParseResult | null, available: bigint | null, unit: string): string | null {
  if (!parsed) return null;
  if (!parsed.ok) return parsed.error;
  if (parsed.wei === 0n) return 'Enter an amount above zero';
  if (available !== null && parsed.wei > available) return `You have only ${formatEth(available)} ${unit}`;
  return null;
}

export type Outcome = { ok: boolean; text: string } | null;

/**
 * A form's transactions: `busy` while `run`'s action goes on (with its `step`, when it
 * has several), then its outcome (the text the action returns, or the failure as a
 * sentence), and the page's data refreshed either way.
 */
export function useAction(ctl: Controller) {
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<string | null>(null);
  const [result, setResult] = useState<Outcome>(null);
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setResult(null);
    try {
      setResult({ ok: true, text: await action() });
    } catch (err) {
      setResult({ ok: false, text: err instanceof TxFailed ? err.message : humanizeError(err) });
    } finally {
      setBusy(false);
      setStep(null);
      void ctl.refresh();
    }
  };
  return { busy, step, setStep, result, run };
}

/** The action's progress and outcome, announced to screen readers. */
export function ActionStatus({ step, result }: { step?: string | null; result: Outcome }) {
  return (
    <>
      {step && <p role="status">{step}</p>}
      {result && <p class={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}
    </>
  );
}

export function Row({ k, children }: { k: string; children: ComponentChildren }) {
  return (
    <div class="row">
      <dt>{k}</dt>
      <dd>{children}</dd>
    </div>
  );
}
