import type { Controller } from '../controller';
import { formatEth } from '../format';
import { balanceHistory, rewardsCsv, type RewardRow } from '../rewards';
import { useStore } from '../store';
import { Amount, Card } from './common';

export function RewardsPage({ ctl }: { ctl: Controller }) {
  const signer = useStore(ctl.signer);
  const history = useStore(ctl.history);
  if (!signer) return <Card title="Rewards"><p>Connect a wallet or pick a dev account above to see your rewards.</p></Card>;
  if (history.movesFor !== signer.address) return <Card title="Rewards"><p>Loading your history…</p></Card>;
  const rows = balanceHistory(history.rebases, history.moves);
  const total = rows.reduce((s, r) => s + r.reward, 0n);

  const download = () => {
    const blob = new Blob([rewardsCsv(rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `tidepool-rewards-${signer.address}.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };

  return (
    <Card title="Rewards" id="rewards-title">
      <p>
        {rows.length} oracle report{rows.length === 1 ? '' : 's'} · rewards earned in total: <Amount wei={total} unit="ETH" />
      </p>
      <BalanceChart rows={rows} />
      <p><button type="button" onClick={download} disabled={rows.length === 0}>Download CSV</button></p>
      {rows.length > 0 && (
        <div class="table-wrap">
          <table aria-label="Balance per report">
            <thead><tr><th scope="col">Report time</th><th scope="col">Balance (ETH)</th><th scope="col">Reward (ETH)</th></tr></thead>
            <tbody>
              {rows.slice(-20).reverse().map((r) => (
                <tr key={`${r.blockNumber}-${r.reportTimestamp}`}>
                  <td>{new Date(Number(r.reportTimestamp) * 1000).toLocaleString()}</td>
                  <td><Amount wei={r.balance} /></td>
                  <td><Amount wei={r.reward} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small-text">
        Per report: your shares just before it (tpETH shares plus wtpETH, one share each, from your transfers) valued at the
        report's post-rebase rate; the reward is those shares × (post rate − pre rate). The CSV holds every report with exact wei.
      </p>
    </Card>
  );
}

/** Inline SVG line chart of the balance per report. Plot coordinates only are floats; amounts stay bigint. */
function BalanceChart({ rows }: { rows: RewardRow[] }) {
  if (rows.length < 2) return <p class="muted">The chart needs at least two reports.</p>;
  const W = 640, H = 220, P = 36;
  const t0 = Number(rows[0]!.reportTimestamp), t1 = Number(rows[rows.length - 1]!.reportTimestamp);
  const bals = rows.map((r) => r.balance);
  const max = bals.reduce((m, b) => (b > m ? b : m), 0n);
  const min = bals.reduce((m, b) => (b < m ? b : m), max);
  const span = max - min === 0n ? (max === 0n ? 1n : max / 100n + 1n) : max - min;
  const lo = min - span / 10n < 0n ? 0n : min - span / 10n;
  const hi = max + span / 10n;
  const x = (t: number) => P + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * P);
  // scale in bigint to 1e6 steps first, so the float only carries a plot position
  const y = (b: bigint) => H - P - (Number(((b - lo) * 1_000_000n) / (hi - lo)) / 1_000_000) * (H - 2 * P);
  const pts = rows.map((r) => `${x(Number(r.reportTimestamp)).toFixed(1)},${y(r.balance).toFixed(1)}`).join(' ');
  const last = rows[rows.length - 1]!;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Balance per report, from ${formatEth(rows[0]!.balance)} to ${formatEth(last.balance)} ETH over ${rows.length} reports`}>
        <line x1={P} y1={H - P} x2={W - P} y2={H - P} class="axis" />
        <line x1={P} y1={P} x2={P} y2={H - P} class="axis" />
        <text x={P - 4} y={P} class="tick" text-anchor="end">{formatEth(hi, 4)}</text>
        <text x={P - 4} y={H - P} class="tick" text-anchor="end">{formatEth(lo, 4)}</text>
        <text x={P} y={H - P + 16} class="tick">{new Date(t0 * 1000).toLocaleTimeString()}</text>
        <text x={W - P} y={H - P + 16} class="tick" text-anchor="end">{new Date(t1 * 1000).toLocaleTimeString()}</text>
        <polyline points={pts} class="line" fill="none" />
        {rows.map((r) => <circle key={`${r.blockNumber}`} cx={x(Number(r.reportTimestamp))} cy={y(r.balance)} r={2.5} class="dot" />)}
      </svg>
      <figcaption>Balance (ETH) after each oracle report</figcaption>
    </figure>
  );
}
