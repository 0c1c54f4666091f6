import { readContract } from 'viem/actions';
import { useEffect, useState } from 'preact/hooks';
import type { Address } from 'viem';
import { stakingModuleAbi } from '../abi.generated';
import type { Controller } from '../controller';
import { formatBps, formatDuration, shortAddress } from '../format';
import { aprFromRebases, etherPerShare, formatPpmPercent } from '../math';
import { useStore } from '../store';
import { nextReportTime } from '../withdrawals';
import { Amount, Card, Row } from './common';

interface Operator { id: bigint; active: boolean; name: string; reward: Address; total: bigint; vetted: bigint; deposited: bigint; exited: bigint }
interface ModuleView { operators: Operator[]; summary: readonly [bigint, bigint, bigint] }

export function ProtocolPage({ ctl }: { ctl: Controller }) {
  const snap = useStore(ctl.snapshot);
  const history = useStore(ctl.history);
  const [mod, setMod] = useState<ModuleView | null>(null);
  const [modError, setModError] = useState<string | null>(null);
  const block = snap?.blockNumber;

  useEffect(() => {
    const sm = ctl.a.stakingModule;
    if (!sm) return;
    let live = true;
    const c = { address: sm, abi: stakingModuleAbi } as const;
    (async () => {
      const [count, summary] = await Promise.all([
        readContract(ctl.client, { ...c, functionName: 'getNodeOperatorsCount' }),
        readContract(ctl.client, { ...c, functionName: 'getStakingModuleSummary' }),
      ]);
      const ids = await readContract(ctl.client, { ...c, functionName: 'getNodeOperatorIds', args: [0n, count < 50n ? count : 50n] });
      const ops = await Promise.all(ids.map(async (id) => {
        const o = await readContract(ctl.client, { ...c, functionName: 'getNodeOperator', args: [id] });
        return { id, active: o[0], name: o[1], reward: o[2], total: BigInt(o[4]), vetted: BigInt(o[5]), deposited: BigInt(o[6]), exited: BigInt(o[7]) };
      }));
      if (live) { setMod({ operators: ops, summary }); setModError(null); }
    })().catch((e: unknown) => live && setModError(e instanceof Error ? e.message.split('\n')[0]! : String(e)));
    return () => { live = false; };
  }, [block]);

  if (!snap) return <Card title="Protocol">Loading…</Card>;
  const apr = aprFromRebases(history.rebases);
  const last = history.rebases[history.rebases.length - 1];
  const nowSec = Math.floor(Date.now() / 1000);
  const next = snap.timing ? nextReportTime(snap.timing) : null;
  const frameSeconds = snap.timing ? snap.timing.epochsPerFrame * snap.timing.slotsPerEpoch * snap.timing.secondsPerSlot : null;

  return (
    <>
      <Card title="Pool" id="pool-title">
        <dl class="summary">
          <Row k="Total pooled ether"><span data-testid="total-pooled"><Amount wei={snap.totalPooledEther} unit="ETH" /></span></Row>
          <Row k="Total shares"><Amount wei={snap.totalShares} /></Row>
          <Row k="Share rate"><Amount wei={etherPerShare(snap.totalShares, snap.totalPooledEther)} unit="ETH per share" /></Row>
          <Row k="APR">{apr.kind === 'apr' ? `${formatPpmPercent(apr.ppm)} (last ${apr.reports} reports)` : 'not enough history'}</Row>
          <Row k="Buffered ether"><Amount wei={snap.bufferedEther} unit="ETH" /></Row>
          <Row k="Validators">{snap.depositedValidators.toString()} deposited, {snap.beaconValidators.toString()} seen by the oracle</Row>
          <Row k="Beacon balance"><Amount wei={snap.beaconBalance} unit="ETH" /></Row>
          <Row k="Fee on rewards">{formatBps(snap.totalFeeBp)}: treasury {formatBps(snap.treasuryFeeBp)}, node operators {formatBps(snap.moduleFeeBp)}</Row>
          <Row k="Staking">{snap.stopped ? 'protocol stopped' : snap.stakingPaused ? 'paused' : 'open'}</Row>
          <Row k="Withdrawal queue">{snap.queuePaused ? 'paused' : 'open'}; pending <Amount wei={snap.unfinalizedEther} unit="ETH" /> in {(snap.lastRequestId - snap.lastFinalizedId).toString()} request(s); locked for claims <Amount wei={snap.lockedEther} unit="ETH" /></Row>
        </dl>
      </Card>
      <Card title="Oracle" id="oracle-title">
        <dl class="summary">
          <Row k="Last report">{last ? `${new Date(Number(last.reportTimestamp) * 1000).toLocaleString()} (block ${last.blockNumber})` : 'none yet'}</Row>
          <Row k="Reports so far">{history.rebases.length}</Row>
          <Row k="Frame">{snap.timing && frameSeconds !== null ? `${snap.timing.epochsPerFrame} epochs of ${snap.timing.slotsPerEpoch} slots × ${snap.timing.secondsPerSlot} s = ${frameSeconds} s` : 'frames have not begun'}</Row>
          <Row k="Last processed reference slot">{snap.timing ? snap.timing.lastProcessedRefSlot.toString() : '—'}</Row>
          <Row k="Current frame reference slot">{snap.timing ? snap.timing.currentRefSlot.toString() : '—'}</Row>
          <Row k="Next report">{next !== null ? `${new Date(Number(next) * 1000).toLocaleTimeString()} (${Number(next) > nowSec ? `in about ${formatDuration(Number(next) - nowSec)}` : 'due now'})` : '—'}</Row>
          <Row k="Quorum">{snap.quorum.toString()} of {snap.members.length}</Row>
        </dl>
        <h3>Committee members</h3>
        <ul class="mono-list">{snap.members.map((m) => <li key={m}><code title={m}>{m}</code></li>)}</ul>
      </Card>
      <Card title="Staking module" id="module-title">
        {!ctl.a.stakingModule && <p>The deployment record names no staking module.</p>}
        {modError && <p class="error" role="alert">Cannot read the staking module: {modError}</p>}
        {mod && (
          <>
            <p>{mod.summary[1].toString()} validators deposited, {mod.summary[0].toString()} exited, {mod.summary[2].toString()} keys ready for deposits.</p>
            <div class="table-wrap">
              <table aria-label="Node operators">
                <thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Active</th><th scope="col">Keys (total / vetted / deposited / exited)</th><th scope="col">Rewards to</th></tr></thead>
                <tbody>
                  {mod.operators.map((o) => (
                    <tr key={o.id.toString()}>
                      <td>{o.id.toString()}</td><td>{o.name}</td><td>{o.active ? 'yes' : 'no'}</td>
                      <td>{o.total.toString()} / {o.vetted.toString()} / {o.deposited.toString()} / {o.exited.toString()}</td>
                      <td><code title={o.reward}>{shortAddress(o.reward)}</code></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Card>
    </>
  );
}
