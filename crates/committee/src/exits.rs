//! Which validators to ask to exit, and how many each operator has exited: the committee's
//! exit report.
//!
//! The rule (one function, [`plan`], so every member computes the same report from the same
//! sources):
//! - **Need.** The ether the withdrawal queue waits for (`unfinalizedStETH`) minus what will
//!   be there without new exits: the pool's buffer, both vaults' balances, the balances of the
//!   protocol's validators already leaving or already asked to leave (they arrive in full),
//!   and the expected skims (every active validator's balance above 32 ETH, swept within one
//!   sweep cycle). Rounded up to whole validators of 32 ETH: a request never leaves part of
//!   the need uncovered.
//! - **Whom.** One validator at a time, from the operator with the most running validators
//!   not yet asked to exit (ties: the lower id), so exits spread across operators in
//!   proportion to their size; within an operator its oldest deposit first (the lowest key
//!   index not yet asked), which is what the staking module's per-operator request count
//!   means. Keys already on their way out (slashed, exiting, exited) are passed over within
//!   the request (they bring nothing new); an operator whose next key is not active on the
//!   beacon chain (pending, or unknown to it) is skipped: it cannot exit yet.
//! - **Bounded.** At most `max` keys per report; the rest waits for the next frame, when the
//!   need is measured again.
//! - **Exited counts.** Each operator's validators the beacon chain shows as exited (or
//!   withdrawable, or withdrawn), where that is more than the module knows; never less (the
//!   module refuses a decrease, and a beacon node that lags must not stop the report).

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use tidepool_beacon::FULL_DEPOSIT_GWEI;
use tidepool_deploy::{
    deposit::{self, OperatorCounts},
    exit_report::{self, exit_digest, ExitReport},
    Client, Deployment, Receipt,
};
use tidepool_interfaces::{
    staking_module::MAX_EXIT_REQUESTS_PER_REPORT, IPool, IStakingModule, IWithdrawalQueue,
};

use crate::beacon::{BeaconSource, OwnValidator, Ownership, ValidatorStatus};
use crate::report::{
    aggregate, current_frame, frame, same_digest, CommitteeError, Frame, Signable, SignatureFile,
};

/// Wei per gwei.
const GWEI: u64 = 1_000_000_000;

/// One node operator as the staking module knows it at the report's block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OperatorKeys {
    /// Its id.
    pub id: u64,
    /// Keys deposited.
    pub deposited: u64,
    /// Validators the module counts as exited.
    pub exited: u64,
    /// Keys already asked to exit (its oldest deposits: keys `0..exit_requested`).
    pub exit_requested: u64,
}

/// The ether on hand or on its way, and what the queue waits for, at the report's block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Liquidity {
    /// `unfinalizedStETH`: the ether of every unfinalized withdrawal request.
    pub unfinalized: U256,
    /// The pool's buffered ether.
    pub buffered: U256,
    /// The withdrawal vault's balance.
    pub withdrawal_vault: U256,
    /// The execution-layer rewards vault's balance.
    pub rewards_vault: U256,
}

/// What the exit report says, and why.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ExitPlan {
    /// `(operator, count)`, ids ascending: ask the operator's next `count` keys to exit.
    pub requests: Vec<(u64, u64)>,
    /// `(operator, total exited)`, ids ascending, only where it grew.
    pub exited: Vec<(u64, u64)>,
    /// The ether expected without new exits (buffer, vaults, leaving validators, skims).
    pub expected: U256,
    /// What the queue waits for beyond `expected` (zero when covered).
    pub shortfall: U256,
    /// Validators the shortfall needs that could not be asked this report (over `max`, or no
    /// active validator left to ask).
    pub deferred: u64,
}

/// Plans the exit report: see the module's documentation for the rule.
///
/// `ours` are the protocol's validators at the reference slot (from
/// [`crate::beacon::Ownership::keys`]), `operators` the module's operators at the report's
/// block, `max` the most validators one report may ask.
pub fn plan(
    ours: &[OwnValidator],
    operators: &[OperatorKeys],
    liquidity: &Liquidity,
    max: u64,
) -> ExitPlan {
    let wei = |gwei: u64| U256::from(gwei) * U256::from(GWEI);
    let requested = |v: &OwnValidator| {
        operators.iter().any(|o| o.id == v.operator && v.key_index < o.exit_requested)
    };
    let mut expected = liquidity.buffered + liquidity.withdrawal_vault + liquidity.rewards_vault;
    for v in ours {
        if v.status == Some(ValidatorStatus::WithdrawalDone) {
            continue;
        }
        expected += if v.status.is_some_and(ValidatorStatus::is_leaving) || requested(v) {
            wei(v.balance_gwei)
        } else if v.status == Some(ValidatorStatus::ActiveOngoing) {
            wei(v.balance_gwei.saturating_sub(FULL_DEPOSIT_GWEI))
        } else {
            U256::ZERO
        };
    }
    let shortfall = liquidity.unfinalized.saturating_sub(expected);
    let per_validator = wei(FULL_DEPOSIT_GWEI);
    let needed = shortfall.div_ceil(per_validator);
    let needed = u64::try_from(needed).unwrap_or(u64::MAX);

    // Each operator's next keys in order (oldest first, not yet asked), as far as a request
    // can reach now: `true` for an active key (its exit brings ether), `false` for a key already
    // on its way out (slashed, exiting, exited: a request passes over it at no use, since
    // requests name "the next keys"), ending at the first key that cannot exit yet.
    let sequences: Vec<Vec<bool>> = operators
        .iter()
        .map(|o| {
            let mut keys: Vec<(u64, Option<ValidatorStatus>)> = ours
                .iter()
                .filter(|v| v.operator == o.id && v.key_index >= o.exit_requested)
                .map(|v| (v.key_index, v.status))
                .collect();
            keys.sort_unstable_by_key(|k| k.0);
            let mut sequence = Vec::new();
            for (index, status) in keys {
                let active = status == Some(ValidatorStatus::ActiveOngoing);
                if index != o.exit_requested + sequence.len() as u64
                    || !(active || status.is_some_and(ValidatorStatus::is_leaving))
                {
                    break;
                }
                sequence.push(active);
            }
            // Trailing leaving keys serve nothing: a request stops at its last active key.
            while sequence.last() == Some(&false) {
                sequence.pop();
            }
            sequence
        })
        .collect();
    let running = |o: &OperatorKeys| o.deposited.saturating_sub(o.exited.max(o.exit_requested));
    let mut remaining: Vec<u64> = operators.iter().map(running).collect();
    // Keys each operator's request covers so far (a prefix of its sequence).
    let mut counts = vec![0u64; operators.len()];
    let (mut asked, mut keys) = (0u64, 0u64);
    while asked < needed {
        // The operator with the most running validators not yet asked that can exit one now
        // within the bound on keys per report.
        let step = |i: usize| {
            let rest = sequences[i].get(counts[i] as usize..).unwrap_or_default();
            rest.iter().position(|active| *active).map(|p| p as u64 + 1)
        };
        let pick = (0..operators.len())
            .filter_map(|i| step(i).filter(|n| keys + n <= max).map(|n| (i, n)))
            .max_by(|&(a, _), &(b, _)| remaining[a].cmp(&remaining[b]).then(b.cmp(&a)));
        let Some((i, n)) = pick else { break };
        counts[i] += n;
        keys += n;
        remaining[i] = remaining[i].saturating_sub(n);
        asked += 1;
    }
    let mut requests: Vec<(u64, u64)> =
        operators.iter().zip(&counts).filter(|(_, &c)| c > 0).map(|(o, &c)| (o.id, c)).collect();
    requests.sort_unstable();

    let mut exited: Vec<(u64, u64)> = operators
        .iter()
        .filter_map(|o| {
            let seen = ours
                .iter()
                .filter(|v| v.operator == o.id && v.status.is_some_and(ValidatorStatus::has_exited))
                .count() as u64;
            let total = seen.min(o.deposited);
            (total > o.exited).then_some((o.id, total))
        })
        .collect();
    exited.sort_unstable();

    ExitPlan { requests, exited, expected, shortfall, deferred: needed.saturating_sub(asked) }
}

/// What `report build-exits` writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitReportFile {
    /// The chain.
    pub chain_id: u64,
    /// The oracle the digest is bound to.
    pub oracle: Address,
    /// The last slot at which the oracle takes this report.
    pub deadline_slot: u64,
    /// The block whose state the report reads.
    pub state_block: u64,
    /// The ether expected without new exits, in wei (see [`plan`]).
    pub expected: U256,
    /// What the withdrawal queue waits for beyond it, in wei.
    pub shortfall: U256,
    /// Validators the shortfall needs that this report could not ask.
    pub deferred: u64,
    /// The report, as the oracle's ABI defines it.
    pub data: ExitReport,
    /// Its EIP-712 digest, what members sign.
    pub digest: B256,
}

impl Signable for ExitReportFile {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }
    fn oracle(&self) -> Address {
        self.oracle
    }
    fn ref_slot(&self) -> u64 {
        self.data.refSlot.saturating_to()
    }
    fn digest(&self) -> B256 {
        self.digest
    }
    fn check_digest(&self) -> Result<(), CommitteeError> {
        same_digest(self.digest, exit_digest(&self.data, self.chain_id, self.oracle))
    }
}

/// The staking module's operators at `block`: their counts (read once, with the keys) and
/// how many keys each was already asked to exit.
///
/// # Errors
/// Chain errors.
pub async fn operators(
    client: &Client,
    module: Address,
    counts: &[OperatorCounts],
    block: u64,
) -> Result<Vec<OperatorKeys>, CommitteeError> {
    let mut out = Vec::with_capacity(counts.len());
    for &OperatorCounts { id, deposited, exited } in counts {
        let exit_requested = client
            .call_at(
                None,
                module,
                IStakingModule::getExitRequestedCountCall { node_operator_id: U256::from(id) },
                U256::ZERO,
                Some(block),
            )
            .await?;
        out.push(OperatorKeys { id, deposited, exited, exit_requested });
    }
    Ok(out)
}

/// The queue's demand and the ether on hand at `block`.
///
/// # Errors
/// Chain errors.
pub async fn liquidity(
    client: &Client,
    d: &Deployment,
    block: u64,
) -> Result<Liquidity, CommitteeError> {
    let at = Some(block);
    let c = &d.contracts;
    Ok(Liquidity {
        unfinalized: client
            .call_at(
                None,
                c.withdrawal_queue.address,
                IWithdrawalQueue::unfinalizedStETHCall {},
                U256::ZERO,
                at,
            )
            .await?,
        buffered: client
            .call_at(None, c.pool.address, IPool::getBufferedEtherCall {}, U256::ZERO, at)
            .await?,
        withdrawal_vault: client.balance_at(c.withdrawal_vault.address, at).await?,
        rewards_vault: client.balance_at(c.rewards_vault.address, at).await?,
    })
}

/// Builds the exit report for the frame now running: the protocol's validators from `beacon`
/// at the reference slot, the module's operators and the queue's demand at the reference
/// slot's block, then [`plan`].
///
/// # Errors
/// [`CommitteeError::NoModule`] for a deployment with an outside staking module; as
/// [`crate::report::build`].
pub async fn build(
    client: &Client,
    d: &Deployment,
    beacon: &BeaconSource,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExitReportFile, CommitteeError> {
    let module = d.module.as_ref().ok_or(CommitteeError::NoModule)?.staking_module.address;
    let oracle = d.contracts.oracle.address;
    let Frame { ref_slot, deadline_slot, state_block } = frame(client, d, beacon).await?;
    // The operators' counts serve both the keys that say which validators are ours and the
    // plan: one read of them.
    let counts = deposit::operator_counts(client, module, Some(state_block)).await?;
    let keys = deposit::keys_of(client, module, &counts, Some(state_block)).await?;
    let ownership = Ownership::keys(d.contracts.withdrawal_vault.address, &keys);
    let summary = beacon.validators(ref_slot, &ownership, progress).await?;
    let operators = operators(client, module, &counts, state_block).await?;
    let liquidity = liquidity(client, d, state_block).await?;
    let plan = plan(&summary.ours, &operators, &liquidity, MAX_EXIT_REQUESTS_PER_REPORT);
    let version = client
        .call_at(
            None,
            oracle,
            tidepool_interfaces::IOracle::getConsensusVersionCall {},
            U256::ZERO,
            None,
        )
        .await?;
    let data = exit_report::build(version, ref_slot, &plan.requests, &plan.exited)?;
    let digest = exit_digest(&data, d.chain_id, oracle);
    Ok(ExitReportFile {
        chain_id: d.chain_id,
        oracle,
        deadline_slot,
        state_block,
        expected: plan.expected,
        shortfall: plan.shortfall,
        deferred: plan.deferred,
        data,
        digest,
    })
}

/// Checks the signature files as [`aggregate`] does and submits the exit report from `from`.
///
/// # Errors
/// As [`aggregate`]; [`CommitteeError::WrongFrame`]; the oracle's or module's revert, decoded.
pub async fn submit(
    client: &Client,
    d: &Deployment,
    report: &ExitReportFile,
    signatures: &[(String, SignatureFile)],
    from: Address,
) -> Result<Receipt, CommitteeError> {
    let ordered = aggregate(client, d, report, signatures).await?;
    let (current, _) = current_frame(client, d).await?;
    if current != report.ref_slot() {
        return Err(CommitteeError::WrongFrame { report: report.ref_slot(), current });
    }
    let oracle = d.contracts.oracle.address;
    Ok(exit_report::submit_exit_report(client, oracle, from, report.data.clone(), ordered).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ETH: u64 = 1_000_000_000; // in gwei

    fn eth(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    fn active(operator: u64, key_index: u64, validator_index: u64) -> OwnValidator {
        OwnValidator {
            operator,
            key_index,
            validator_index,
            status: Some(ValidatorStatus::ActiveOngoing),
            balance_gwei: 32 * ETH,
        }
    }

    fn operator(id: u64, deposited: u64) -> OperatorKeys {
        OperatorKeys { id, deposited, ..OperatorKeys::default() }
    }

    #[test]
    fn nothing_is_asked_when_the_buffer_covers_the_queue() {
        let ours = [active(0, 0, 0), active(0, 1, 1)];
        let liquidity =
            Liquidity { unfinalized: eth(10), buffered: eth(10), ..Liquidity::default() };
        let plan = plan(&ours, &[operator(0, 2)], &liquidity, 100);
        assert!(plan.requests.is_empty());
        assert_eq!(plan.shortfall, U256::ZERO);
        assert_eq!(plan.expected, eth(10));
    }

    #[test]
    fn a_shortfall_asks_whole_validators_rounded_up_oldest_first() {
        let ours = [active(0, 0, 0), active(0, 1, 1), active(0, 2, 2)];
        // 33 ETH short: two validators, keys 0 and 1.
        let liquidity =
            Liquidity { unfinalized: eth(40), buffered: eth(7), ..Liquidity::default() };
        let plan = plan(&ours, &[operator(0, 3)], &liquidity, 100);
        assert_eq!(plan.shortfall, eth(33));
        assert_eq!(plan.requests, vec![(0, 2)]);
        assert_eq!(plan.deferred, 0);
    }

    #[test]
    fn exits_spread_across_operators_by_running_validators() {
        // Operator 0 runs 4, operator 1 runs 2: four exits go 0, 0 (4→3, then 3 vs 2 → 0 again
        // gives 2 vs 2), then ties to the lower id, then operator 1.
        let ours: Vec<_> =
            (0..4).map(|k| active(0, k, k)).chain((0..2).map(|k| active(1, k, 10 + k))).collect();
        let liquidity = Liquidity { unfinalized: eth(4 * 32), ..Liquidity::default() };
        let plan = plan(&ours, &[operator(0, 4), operator(1, 2)], &liquidity, 100);
        assert_eq!(plan.requests, vec![(0, 3), (1, 1)]);
    }

    #[test]
    fn validators_already_leaving_or_asked_count_as_coming() {
        let mut exiting = active(0, 0, 0);
        exiting.status = Some(ValidatorStatus::ActiveExiting);
        // Key 1 was asked last frame and has not started exiting: it counts in full too.
        let ours = [exiting, active(0, 1, 1), active(0, 2, 2)];
        let ops = [OperatorKeys { id: 0, deposited: 3, exited: 0, exit_requested: 2 }];
        let liquidity = Liquidity { unfinalized: eth(64), ..Liquidity::default() };
        let plan = plan(&ours, &ops, &liquidity, 100);
        assert_eq!(plan.expected, eth(64));
        assert!(plan.requests.is_empty());
    }

    #[test]
    fn skims_above_32_eth_count_and_pending_keys_are_never_asked() {
        let mut rich = active(0, 0, 0);
        rich.balance_gwei = 33 * ETH;
        let mut pending = active(0, 1, 1);
        pending.status = Some(ValidatorStatus::PendingQueued);
        let ours = [rich, pending];
        let liquidity = Liquidity { unfinalized: eth(65), ..Liquidity::default() };
        let plan = plan(&ours, &[operator(0, 2)], &liquidity, 100);
        assert_eq!(plan.expected, eth(1));
        assert_eq!(plan.requests, vec![(0, 1)]);
        assert_eq!(plan.deferred, 1, "the pending key cannot exit yet");
    }

    #[test]
    fn the_bound_defers_the_rest_and_exited_counts_only_grow() {
        let mut ours: Vec<_> = (0..10).map(|k| active(0, k, k)).collect();
        ours[9].status = Some(ValidatorStatus::WithdrawalDone);
        ours[9].balance_gwei = 0;
        let ops = [OperatorKeys { id: 0, deposited: 10, exited: 0, exit_requested: 0 }];
        let liquidity = Liquidity { unfinalized: eth(32 * 5), ..Liquidity::default() };
        let plan = plan(&ours, &ops, &liquidity, 3);
        assert_eq!(plan.requests, vec![(0, 3)]);
        assert_eq!(plan.deferred, 2);
        assert_eq!(plan.exited, vec![(0, 1)]);
        let known = [OperatorKeys { exited: 2, ..ops[0] }];
        assert!(plan_exits_exited(&ours, &known).is_empty(), "a lagging beacon never lowers it");
    }

    #[test]
    fn a_slashed_oldest_key_is_passed_over_not_a_wall() {
        let mut slashed = active(0, 0, 0);
        slashed.status = Some(ValidatorStatus::ExitedSlashed);
        slashed.balance_gwei = 0;
        let ours = [slashed, active(0, 1, 1), active(0, 2, 2)];
        let liquidity = Liquidity { unfinalized: eth(40), ..Liquidity::default() };
        let plan = plan(&ours, &[operator(0, 3)], &liquidity, 100);
        // Two validators needed: keys 1 and 2, so the request covers keys 0..3.
        assert_eq!(plan.requests, vec![(0, 3)]);
        assert_eq!(plan.deferred, 0);
        // Within a bound of 2 keys, only key 1 fits (keys 0 and 1).
        let bounded = super::plan(&ours, &[operator(0, 3)], &liquidity, 2);
        assert_eq!((bounded.requests, bounded.deferred), (vec![(0, 2)], 1));
    }

    fn plan_exits_exited(ours: &[OwnValidator], ops: &[OperatorKeys]) -> Vec<(u64, u64)> {
        plan(ours, ops, &Liquidity::default(), 0).exited
    }

    proptest! {
        /// Whatever the state: requests stay within the bound, within each operator's active
        /// keys not yet asked (so the module accepts them), ids ascending; and they cover the
        /// shortfall unless something was deferred.
        #[test]
        fn requests_are_valid_and_cover_the_shortfall(
            sizes in proptest::collection::vec((0u64..8, 0u64..4), 1..6),
            unfinalized in 0u64..1_000,
            buffered in 0u64..200,
            max in 0u64..20,
        ) {
            let mut ours = Vec::new();
            let mut ops = Vec::new();
            for (id, (deposited, asked)) in sizes.iter().enumerate() {
                let asked = (*asked).min(*deposited);
                ops.push(OperatorKeys { id: id as u64, deposited: *deposited, exited: 0, exit_requested: asked });
                for k in 0..*deposited {
                    ours.push(active(id as u64, k, (id as u64) * 100 + k));
                }
            }
            let liquidity = Liquidity { unfinalized: eth(unfinalized), buffered: eth(buffered), ..Liquidity::default() };
            let plan = plan(&ours, &ops, &liquidity, max);
            let total: u64 = plan.requests.iter().map(|r| r.1).sum();
            prop_assert!(total <= max);
            prop_assert!(plan.requests.windows(2).all(|w| w[0].0 < w[1].0));
            for (id, count) in &plan.requests {
                let o = ops[*id as usize];
                prop_assert!(o.exit_requested + count <= o.deposited);
            }
            if plan.deferred == 0 {
                prop_assert!(plan.expected + eth(32) * U256::from(total) >= liquidity.unfinalized);
            }
        }
    }
}
