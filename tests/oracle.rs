//! The oracle committee's flows on the built wasm, through alloy-provider: quorum reached and
//! not, duplicate, non-member, removed and out-of-order signers, forged data, replays in the
//! same and a later frame, a missed frame's report, and each sanity limit refusing a report just beyond it while an honest
//! report passes; the invariants after each flow.

use alloy_primitives::{Address, Bytes, U256};
use tidepool_deploy::{report::Observation, Client};
use tidepool_e2e::{eth, key, milli, reverted, Addresses, World};
use tidepool_interfaces::{roles, IOracle, IPool, IWithdrawalQueue};

const GWEI_PER_ETH: u64 = 1_000_000_000;

#[tokio::test]
async fn reports_need_a_quorum_of_distinct_current_members_once_per_frame() {
    let Some(w) = World::new().await else { return };
    w.stake(w.alice.address(), eth(5)).await;
    let data = w.prepare(Observation::default()).await.data;
    let m = &w.committee;

    let e = reverted::<_, IOracle::QuorumNotReached>(w.submit(data.clone(), 2).await);
    assert_eq!((e.signatures, e.quorum), (U256::from(2u8), U256::from(3u8)));
    let twice = w.sign(&data, &[&m[0], &m[0], &m[1]]);
    let dave = w.dave.address();
    let submit = |sigs: Vec<Bytes>| {
        let call = IOracle::submitReportCall { data: data.clone(), signatures: sigs };
        w.send(dave, w.oracle(), call)
    };
    reverted::<_, IOracle::DuplicateSigner>(submit(twice).await);
    let outsider = key("outsider");
    let e = reverted::<_, IOracle::SignerNotMember>(
        submit(w.sign(&data, &[&m[0], &m[1], &outsider])).await,
    );
    assert_eq!(e.signer, outsider.address());
    let mut descending = w.sign(&data, &[&m[0], &m[1], &m[2]]);
    descending.reverse();
    reverted::<_, IOracle::SignersNotAscending>(submit(descending).await);
    let mut other_slot = data.clone();
    other_slot.refSlot += U256::from(1u8);
    let e = reverted::<_, IOracle::UnexpectedRefSlot>(w.submit(other_slot, 3).await);
    assert_eq!(e.expected, data.refSlot);
    let mut other_version = data.clone();
    other_version.consensusVersion = U256::from(2u8);
    reverted::<_, IOracle::UnexpectedConsensusVersion>(w.submit(other_version, 3).await);
    // A signature over other data recovers to someone else: not a member.
    let mut forged = data.clone();
    forged.clBalanceGwei = U256::from(1u8);
    let sigs = w.sign(&data, &[&m[0], &m[1], &m[2]]);
    let call = IOracle::submitReportCall { data: forged, signatures: sigs };
    reverted::<_, IOracle::SignerNotMember>(w.send(dave, w.oracle(), call).await);

    let receipt = w.submit(data.clone(), 3).await.expect("a quorum of 3");
    let accepted = Client::events::<IOracle::ReportAccepted>(&receipt, w.oracle());
    let mut signers: Vec<Address> = m[..3].iter().map(|k| k.address()).collect();
    signers.sort();
    assert_eq!(accepted[0].signers, signers);
    assert_eq!(U256::from(w.last_ref_slot().await), data.refSlot);
    reverted::<_, IOracle::RefSlotAlreadyProcessed>(w.submit(data.clone(), 5).await);
    w.check_invariants().await;

    // Next frame: the applied report, replayed, is refused; so is a report made for a frame
    // that has passed without being submitted in it.
    w.next_frame().await;
    reverted::<_, IOracle::RefSlotAlreadyProcessed>(w.submit(data.clone(), 3).await);
    let missed = w.prepare(Observation::default()).await.data;
    w.next_frame().await;
    let e = reverted::<_, IOracle::ProcessingDeadlineMissed>(w.submit(missed.clone(), 3).await);
    assert_eq!(e.refSlot, missed.refSlot);
    // A removed member's signature no longer counts.
    let grant = IOracle::grantRoleCall {
        role: roles::oracle::MANAGE_MEMBERS_AND_QUORUM_ROLE,
        account: w.deployer,
    };
    w.send(w.deployer, w.oracle(), grant).await.expect("grant");
    let remove = IOracle::removeMemberCall { member: m[0].address(), quorum: 3 };
    w.send(w.deployer, w.oracle(), remove).await.expect("remove");
    let next = w.prepare(Observation::default()).await.data;
    reverted::<_, IOracle::SignerNotMember>(w.submit(next.clone(), 3).await);
    let sigs = w.sign(&next, &[&m[1], &m[2], &m[3]]);
    let call = IOracle::submitReportCall { data: next, signatures: sigs };
    w.send(dave, w.oracle(), call).await.expect("the remaining members");
    w.check_invariants().await;
}

/// Stakes 90 ether and puts one validator on the beacon chain, reported in frame 1.
async fn one_validator(w: &World) -> u64 {
    w.stake(w.alice.address(), eth(50)).await;
    w.stake(w.bob.address(), eth(40)).await;
    w.deposit_validators(1).await;
    let balance = 32 * GWEI_PER_ETH;
    w.report(Observation { cl_validators: 1, cl_balance_gwei: balance, ..Default::default() })
        .await;
    balance
}

#[tokio::test]
async fn consensus_layer_limits_refuse_growth_losses_and_validators_beyond_them() {
    let Some(w) = World::new().await else { return };
    let mut balance = one_validator(&w).await;
    let seen = |gwei: u64, validators: u64| Observation {
        cl_validators: validators,
        cl_balance_gwei: gwei,
        ..Default::default()
    };

    // 10% a year pro-rated over a day: 32 ETH may grow by 8,767,123 gwei, not 10,000,000.
    w.next_frame().await;
    let data = w.prepare(seen(balance + 10_000_000, 1)).await.data;
    let e = reverted::<_, IOracle::IncorrectCLBalanceIncrease>(w.submit(data, 3).await);
    assert!(e.increase > e.maxIncrease);
    balance += 8_000_000;
    w.report(seen(balance, 1)).await;

    // A one-off loss above 5% (1.6 ETH of 32) is refused; 1.5 ETH is a slashing it accepts.
    w.next_frame().await;
    let data = w.prepare(seen(balance - 1_700_000_000, 1)).await.data;
    reverted::<_, IOracle::IncorrectCLBalanceDecrease>(w.submit(data, 3).await);
    let rate = w.rate().await;
    balance -= 1_500_000_000;
    w.report(seen(balance, 1)).await;
    assert!(w.rate().await < rate, "the loss reached every holder");

    // At most one new validator a day, then two appear at once.
    let grant =
        IOracle::grantRoleCall { role: roles::oracle::MANAGE_LIMITS_ROLE, account: w.deployer };
    w.send(w.deployer, w.oracle(), grant).await.expect("grant");
    let mut limits = w.view(w.oracle(), IOracle::getOracleReportLimitsCall {}).await;
    limits.appearedValidatorsPerDayLimit = U256::from(1u8);
    w.send(w.deployer, w.oracle(), IOracle::setOracleReportLimitsCall { limits })
        .await
        .expect("limits");
    w.stake(w.carol.address(), eth(20)).await;
    w.deposit_validators(2).await;
    w.next_frame().await;
    let data = w.prepare(seen(balance + 64 * GWEI_PER_ETH, 3)).await.data;
    let e = reverted::<_, IOracle::IncorrectAppearedValidators>(w.submit(data, 3).await);
    assert_eq!((e.appeared, e.maxAppeared), (U256::from(2u8), U256::from(1u8)));
    // More validators than were ever deposited: refused against the pool's own count.
    let mut data = w.prepare(seen(balance + 32 * GWEI_PER_ETH, 2)).await.data;
    data.numValidators = U256::from(4u8);
    data.clBalanceGwei = U256::from(balance + 96 * GWEI_PER_ETH);
    reverted::<_, IOracle::ReportedValidatorsExceedDeposited>(w.submit(data, 3).await);
    w.report(seen(balance + 32 * GWEI_PER_ETH, 2)).await;
    w.check_invariants().await;
}

#[tokio::test]
async fn vault_rate_and_rebase_limits_refuse_reports_that_overstate_them() {
    let Some(w) = World::new().await else { return };
    let alice = w.alice.address();
    w.stake(alice, eth(10)).await;
    w.tip(milli(5)).await;
    // A request made before the next frame's reference slot, so that report may finalize it.
    // A few wei above the amount: the queue takes the shares rounded up.
    let allowance = eth(1) + U256::from(1_000u64);
    w.send(alice, w.pool(), IPool::approveCall { spender: w.queue(), amount: allowance })
        .await
        .expect("approve");
    let request = IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![eth(1)], owner: alice };
    w.send(alice, w.queue(), request).await.expect("request");
    w.next_frame().await;

    // Vault balances above what the vaults hold.
    let honest = w.prepare(Observation::default()).await.data;
    let mut data = honest.clone();
    data.elRewardsVaultBalance = milli(6);
    let e = reverted::<_, IOracle::IncorrectELRewardsVaultBalance>(w.submit(data, 3).await);
    assert_eq!((e.reported, e.actual), (milli(6), milli(5)));
    let mut data = honest.clone();
    data.withdrawalVaultBalance = U256::from(1u8);
    reverted::<_, IOracle::IncorrectWithdrawalsVaultBalance>(w.submit(data, 3).await);

    // A simulated share rate 1% off (the limit is 0.5%), when it is used to finalize.
    let honest = w.prepare(Observation { finalize: true, ..Default::default() }).await.data;
    assert_eq!(honest.withdrawalFinalizationBatches, vec![U256::from(1u8)]);
    let mut data = honest.clone();
    data.simulatedShareRate = data.simulatedShareRate * U256::from(101u8) / U256::from(100u8);
    reverted::<_, IOracle::IncorrectSimulatedShareRate>(w.submit(data, 3).await);
    w.submit(honest, 3).await.expect("the honest report");
    assert_eq!(
        w.view(w.queue(), IWithdrawalQueue::getLastFinalizedRequestIdCall {}).await,
        U256::from(1u8)
    );

    // One cap, the pool's (issue 19, item 6): loosened there to 100%, 1 ether of rewards on
    // about 9 pooled goes through whole, and the oracle, which reads the same setting, accepts
    // it (with a cap of its own it used to refuse the report).
    let grant = IPool::grantRoleCall { role: roles::pool::FEE_MANAGER_ROLE, account: w.deployer };
    w.send(w.deployer, w.pool(), grant).await.expect("grant");
    let loose = IPool::setMaxPositiveRebaseCall { max_positive_rebase: 1_000_000_000 };
    w.send(w.deployer, w.pool(), loose).await.expect("loosen the pool's cap");
    w.tip(eth(1)).await; // a big MEV payout
    w.next_frame().await;
    let rate = w.rate().await;
    let data = w.prepare(Observation::default()).await.data;
    w.submit(data, 3).await.expect("within the pool's loosened cap");
    assert!(w.rate().await > rate + rate / U256::from(100u8), "the payout went through whole");
    w.check_invariants().await;
}

/// A minimum report interval longer than a frame would refuse every report (the first covers
/// one frame): the oracle refuses that limit instead, and a report exactly one frame after the
/// last is accepted at an interval of exactly one frame.
#[tokio::test]
async fn a_minimum_interval_beyond_a_frame_is_refused_and_one_frame_is_enough() {
    let Some(w) = World::new().await else { return };
    w.stake(w.alice.address(), eth(2)).await;
    let grant =
        IOracle::grantRoleCall { role: roles::oracle::MANAGE_LIMITS_ROLE, account: w.deployer };
    w.send(w.deployer, w.oracle(), grant).await.expect("grant");
    let frame = U256::from(86_400u64);
    let before = w.view(w.oracle(), IOracle::getOracleReportLimitsCall {}).await;
    let mut limits = before.clone();
    limits.minReportInterval = frame + U256::from(1u8);
    let e = reverted::<_, IOracle::FrameShorterThanReportInterval>(
        w.send(
            w.deployer,
            w.oracle(),
            IOracle::setOracleReportLimitsCall { limits: limits.clone() },
        )
        .await,
    );
    assert_eq!((e.frameSeconds, e.minReportInterval), (frame, frame + U256::from(1u8)));
    assert_eq!(w.view(w.oracle(), IOracle::getOracleReportLimitsCall {}).await, before);
    limits.minReportInterval = frame;
    w.send(w.deployer, w.oracle(), IOracle::setOracleReportLimitsCall { limits })
        .await
        .expect("limits");
    let data = w.prepare(Observation::default()).await.data;
    w.submit(data, 3).await.expect("exactly one frame apart");
    w.check_invariants().await;
}
