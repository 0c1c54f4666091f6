import { useState } from 'preact/hooks';
import type { Controller } from '../controller';
import type { Snapshot, Ticket } from '../data';
import { formatDuration, formatEth } from '../format';
import { etherForShares } from '../math';
import { useStore } from '../store';
import { claim, requestWithdrawals } from '../tx';
import { estimateWait, maxWrappedPerRequest, MAX_REQUEST_WEI, MIN_REQUEST_WEI, queuePosition, splitRequests, tpEthAllowanceFor } from '../withdrawals';
import { ActionStatus, Amount, AmountField, amountProblem, Card, Row, signedAccount, useAction, useAmount } from './common';

export function WithdrawPage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  if (!snap) return <Card title="Withdraw">Loading…</Card>;
  return (
    <>
      <RequestForm ctl={ctl} />
      <Tickets ctl={ctl} />
    </>
  );
}

function RequestForm({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot)!;
  const signer = useStore(ctl.signer);
  const [token, setToken] = useState<'tpETH' | 'wtpETH'>('tpETH');
  const [text, setText, parsed] = useAmount();
  const { busy, step, setStep, result, run } = useAction(ctl);
  const acct = signedAccount(snap, signer);
  const amount = parsed?.ok ? parsed.wei : null;
  const balance = acct ? (token === 'tpETH' ? acct.tpEth : acct.wtpEth) : null;
  let error = amountProblem(parsed, balance, token);
  let split: bigint[] | null = null;
  if (!error && amount !== null) {
    // wtpETH requests are limited by their ether value, so their maximum is in shares.
    const max = token === 'tpETH' ? MAX_REQUEST_WEI : maxWrappedPerRequest(snap.totalShares, snap.totalPooledEther);
    const s = splitRequests(amount, max, MIN_REQUEST_WEI);
    if (!s.ok) error = s.error;
    else if (token === 'wtpETH' && etherForShares(s.amounts[s.amounts.length - 1]!, snap.totalShares, snap.totalPooledEther) < MIN_REQUEST_WEI) error = 'Each request must be worth at least 100 wei';
    else split = s.amounts;
  }
  const ethValue = amount !== null && !error ? (token === 'tpETH' ? amount : etherForShares(amount, snap.totalShares, snap.totalPooledEther)) : null;
  const allowance = acct ? (token === 'tpETH' ? acct.allowancePoolToQueue : acct.allowanceWrappedToQueue) : 0n;
  const needed = split === null ? null
    : token === 'tpETH' ? tpEthAllowanceFor(split, snap.totalShares, snap.totalPooledEther)
    : split.reduce((a, b) => a + b, 0n);

  const submit = (e: Event) => {
    e.preventDefault();
    const ctx = ctl.ctx();
    if (!ctx || !split || needed === null || error) return;
    const requests = split;
    void run(async () => {
      const mode = await requestWithdrawals(ctx, token, requests, allowance, needed, setStep);
      setText('');
      return `Requested ${requests.length} withdrawal${requests.length > 1 ? 's' : ''} (${mode === 'permit' ? 'with a permit' : 'with an approval'})`;
    });
  };

  return (
    <Card title="Request a withdrawal" id="withdraw-title">
      {snap.queuePaused && <p class="notice" role="alert">Withdrawal requests are paused.</p>}
      <form onSubmit={submit} aria-labelledby="withdraw-title">
        <fieldset disabled={busy || !acct || snap.queuePaused}>
          <fieldset class="choice">
            <legend>Withdraw from</legend>
            <label><input type="radio" name="withdraw-token" checked={token === 'tpETH'} onChange={() => setToken('tpETH')} /> tpETH</label>
            <label><input type="radio" name="withdraw-token" checked={token === 'wtpETH'} onChange={() => setToken('wtpETH')} /> wtpETH</label>
          </fieldset>
          <AmountField id="withdraw-amount" label={`Amount to withdraw (${token})`} unit={token} value={text} onInput={setText} error={error}
            onMax={balance !== null ? () => setText(formatEth(balance, 18)) : undefined} />
          <dl class="summary">
            <Row k="Worth now">{ethValue !== null ? <Amount wei={ethValue} unit="ETH" /> : '—'}</Row>
            <Row k="Requests">{split ? `${split.length} (at most 1000 ETH each, at least 100 wei)` : '—'}</Row>
            <Row k="Signing">{acct && needed !== null && allowance >= needed ? 'allowance in place: 1 transaction' : 'a permit signature, then 1 transaction (an approval first if the wallet cannot sign permits)'}</Row>
          </dl>
          <button type="submit" class="primary" disabled={!split || !!error || busy}>Request withdrawal</button>
        </fieldset>
      </form>
      {!acct && <p class="muted">Connect a wallet or pick a dev account above to withdraw.</p>}
      <ActionStatus step={step} result={result} />
      <p class="muted small-text">The ETH you get is fixed when the request is finalized: at most the amount requested (less if the share rate falls before then).</p>
    </Card>
  );
}

function waitText(t: Ticket, snap: Snapshot, nowSec: bigint): { text: string; basis: string } {
  if (t.status !== 'pending') return { text: t.status === 'finalized' ? 'ready to claim' : '—', basis: '' };
  if (t.etherAhead === null) return { text: 'unknown', basis: 'too many requests ahead to sum' };
  const est = estimateWait(t.status, t.etherAhead, snap.bufferedEther, snap.timing, t.timestamp);
  if (est.kind === 'next-report') {
    if (est.at === 0n) return { text: 'at the next report', basis: est.basis };
    const left = Number(est.at - nowSec);
    return { text: left > 0 ? `next report, in about ${formatDuration(left)}` : 'next report, due now', basis: est.basis };
  }
  if (est.kind === 'needs-exits') return { text: `after validator exits (${formatEth(est.shortfall)} ETH short)`, basis: est.basis };
  return { text: '—', basis: '' };
}

function Tickets({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot)!;
  const signer = useStore(ctl.signer);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const { busy, result, run } = useAction(ctl);
  const acct = signedAccount(snap, signer);
  if (!acct) return null;
  const nowSec = BigInt(Math.floor(Date.now() / 1000));
  const claimable = acct.tickets.filter((t) => t.status === 'finalized');
  const chosen = claimable.filter((t) => selected.has(t.id.toString()));

  const doClaim = (ids: bigint[]) => {
    const ctx = ctl.ctx();
    if (!ctx || ids.length === 0) return;
    void run(async () => {
      await claim(ctx, ids);
      setSelected(new Set());
      return `Claimed request${ids.length > 1 ? 's' : ''} #${ids.join(', #')}`;
    });
  };

  return (
    <Card title="Your withdrawal requests" id="tickets-title">
      <p class="muted small-text">
        Last finalized request: #{snap.lastFinalizedId.toString()} · last request: #{snap.lastRequestId.toString()} · pending in the queue: <Amount wei={snap.unfinalizedEther} unit="ETH" /> · buffered in the pool: <Amount wei={snap.bufferedEther} unit="ETH" />
      </p>
      {acct.tickets.length === 0 ? (
        <p>No withdrawal requests yet.</p>
      ) : (
        <div class="table-wrap">
          <table aria-labelledby="tickets-title">
            <thead>
              <tr><th scope="col">Select</th><th scope="col">Request</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Position</th><th scope="col">Estimated wait</th><th scope="col">Action</th></tr>
            </thead>
            <tbody>
              {[...acct.tickets].reverse().map((t) => {
                const w = waitText(t, snap, nowSec);
                const pos = queuePosition(t.id, snap.lastFinalizedId);
                return (
                  <tr key={t.id.toString()} data-testid={`ticket-${t.id}`} data-status={t.status}>
                    <td>
                      {t.status === 'finalized' && (
                        <input type="checkbox" aria-label={`Select request #${t.id}`} checked={selected.has(t.id.toString())}
                          onChange={(e) => {
                            const s = new Set(selected);
                            if ((e.target as HTMLInputElement).checked) s.add(t.id.toString()); else s.delete(t.id.toString());
                            setSelected(s);
                          }} />
                      )}
                    </td>
                    <th scope="row">#{t.id.toString()}</th>
                    <td><Amount wei={t.amountOfStETH} unit="ETH" /></td>
                    <td><span class={`badge ${t.status}`}>{t.status}</span></td>
                    <td>{pos > 0n ? `${pos} (id − last finalized)` : '—'}</td>
                    <td title={w.basis}>{w.text}</td>
                    <td>{t.status === 'finalized' && <button type="button" disabled={busy} onClick={() => void doClaim([t.id])}>Claim #{t.id.toString()}</button>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {claimable.length > 1 && (
        <p>
          <button type="button" disabled={busy || chosen.length === 0} onClick={() => void doClaim(chosen.map((t) => t.id))}>Claim selected ({chosen.length})</button>{' '}
          <button type="button" disabled={busy} onClick={() => void doClaim(claimable.map((t) => t.id))}>Claim all ({claimable.length})</button>
        </p>
      )}
      <ActionStatus result={result} />
      <p class="muted small-text">
        Estimated wait: a pending request is finalized by an oracle report when the ether of all unfinalized requests up to it is covered by the
        pool's buffered ether; the time shown is the first unprocessed reference slot after the request (oracle chain and frame config, current frame, last processed reference slot), as a report only finalizes requests made before its reference slot.
        Otherwise it waits for validator exits, which the chain cannot predict. Claiming pays the finalized amount to your account.
      </p>
    </Card>
  );
}
