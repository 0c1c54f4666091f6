import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { formatEth, formatEthExact, parseEth, type ParseResult } from '../format';

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

export function Row({ k, children }: { k: string; children: ComponentChildren }) {
  return (
    <div class="row">
      <dt>{k}</dt>
      <dd>{children}</dd>
    </div>
  );
}
