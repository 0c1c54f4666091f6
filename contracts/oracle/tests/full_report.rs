//! Oracle → pool → queue, all real and each on its own host: committee-signed reports that
//! pay rewards with fees, that record a slashing in bunker mode, and that finalize queued
//! withdrawal requests, which their owners then claim.

mod common;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::SolError;
use common::*;
use tidepool_math::{fee, queue::share_rate};
use tidepool_oracle::ReportAccepted;
use tidepool_pool::{errors::WithdrawalQueueCallFailed, events as pool_events, Pool};
use tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin;
use tidepool_withdrawal_queue::programs::WithdrawalQueueLedger;
use tidepool_withdrawal_queue::{roles, WithdrawalQueue};

/// The queue's wrapped token: not used here, any non-zero address.
const WRAPPED: Address = address!("00000000000000000000000000000000000000b2");
/// Deploys the queue at [`QUEUE`] with its first transaction.
const QUEUE_DEPLOYER: Address = address!("00000000000000000000000000000000000000d1");

/// The real queue at [`QUEUE`], on its own host, wired to the pool both ways (and to the
/// oracle, which reads `prefinalize`).
struct Queue {
    host: TestHost,
    queue: WithdrawalQueue,
    ledger: WithdrawalQueueLedger,
    admin: WithdrawalQueueAdmin,
    /// ETH the queue paid out: `(to, amount)`.
    paid: Payments,
}

impl Queue {
    fn install(env: &Env) -> Self {
        assert_eq!(
            QUEUE,
            QUEUE_DEPLOYER.create(0),
            "QUEUE is where its deployer's first CREATE goes"
        );
        let host = TestHost::new();
        host.set_contract_address(QUEUE);
        host.set_chain_id(CHAIN_ID);
        install::<WithdrawalQueueLedger>(&host, LEDGER);
        install::<WithdrawalQueueAdmin>(&host, QUEUE_ADMIN);
        for caller in [&env.pool_vm, &env.vm] {
            serve::<WithdrawalQueue>(caller, QUEUE, &host);
        }
        serve::<Pool>(&host, pool_address(), &env.pool_vm);
        let paid = record_payments(&[(&host, ALICE), (&host, BOB)]);
        let mut queue = Queue {
            queue: WithdrawalQueue::from(&host),
            ledger: WithdrawalQueueLedger::from(&host),
            admin: WithdrawalQueueAdmin::from(&host),
            host,
            paid,
        };
        queue.host.set_sender(QUEUE_DEPLOYER);
        queue
            .queue
            .initialize(0, ADMIN, pool_address(), WRAPPED, LEDGER, QUEUE_ADMIN)
            .expect("queue init");
        queue.host.set_sender(ADMIN);
        for role in [roles::PAUSE_ROLE, roles::RESUME_ROLE] {
            queue.admin.grant_role(role, ADMIN).expect("grant");
        }
        queue
    }

    /// `who` approves the queue and asks to withdraw `amounts` of the token.
    fn request(&mut self, env: &mut Env, who: Address, amounts: &[U256]) -> Vec<U256> {
        env.pool_vm.set_sender(who);
        env.pool_vm.set_value(U256::ZERO);
        env.pool.approve(QUEUE, U256::MAX).expect("approve");
        self.host.set_sender(who);
        self.queue.request_withdrawals(amounts.to_vec(), Address::ZERO).expect("request")
    }

    fn claim(&mut self, who: Address, ids: &[U256]) {
        let last = self.ledger.get_last_checkpoint_index();
        let hints =
            self.admin.find_checkpoint_hints(ids.to_vec(), U256::from(1), last).expect("hints");
        self.host.set_sender(who);
        self.queue.claim_withdrawals(ids.to_vec(), hints).expect("claim");
    }
}

/// The pool's rate (ether per 1e27 shares) after adding `rewards` with the default fee.
fn rate_after_rewards(env: &Env, rewards: U256) -> (U256, U256) {
    let (pooled, shares) = (env.total_pooled(), env.total_shares());
    let fee_bp = env.pool_admin.get_fee();
    let minted = fee::fee_shares(rewards, fee_bp, shares, pooled).expect("fee");
    (share_rate(pooled + rewards, shares + minted).expect("rate"), minted)
}

#[test]
fn reports_pay_rewards_with_fees_record_a_slashing_and_finalize_requests() {
    let mut env = Env::new(5, 3);
    let mut q = Queue::install(&env);
    // Bob's stake stays in the buffer, which is what pays for finalized requests.
    env.pool_vm.set_sender(BOB);
    env.pool_vm.set_value(eth(20));
    env.pool.submit(Address::ZERO).expect("stake");
    let alice = q.request(&mut env, ALICE, &[eth(10), eth(5)]);
    assert_eq!(env.pool.shares_of(QUEUE), eth(15), "the queue holds its requests' shares");

    // Frame 1: 0.05 ether earned on the consensus layer, 0.01 in the rewards vault; the
    // first request is finalized at the rate the report produces.
    env.fund_vaults(U256::ZERO, eth(1) / U256::from(100));
    let rewards = U256::from(50_000_000u64) * GWEI + eth(1) / U256::from(100);
    let (post_rate, minted) = rate_after_rewards(&env, rewards);
    let (pooled_before, shares_before) = (env.total_pooled(), env.total_shares());
    let mut data = env.report(320_050_000_000);
    data.elRewardsVaultBalance = eth(1) / U256::from(100);
    data.withdrawalFinalizationBatches = vec![alice[0]];
    data.simulatedShareRate = post_rate;
    env.submit(&data, env.quorum_signatures(3, &data)).expect("rewards report");

    assert_eq!(env.events::<ReportAccepted>().len(), 1);
    // Rewards in, fee shares out to the treasury and the module, 10 ether locked.
    assert_eq!(env.total_pooled(), pooled_before + rewards - eth(10));
    let (treasury_bp, module_bp) = env.pool_admin.get_fee_distribution();
    let (to_treasury, to_module) =
        fee::split_fee_shares(minted, treasury_bp, module_bp).expect("split");
    assert_eq!(env.pool.shares_of(TREASURY), to_treasury);
    assert_eq!(env.pool.shares_of(MODULE), to_module);
    assert!(to_treasury > U256::ZERO && to_module > U256::ZERO);
    let rebased = env.pool_events::<pool_events::TokenRebased>();
    assert_eq!(rebased.last().expect("rebased").sharesMintedAsFees, minted);
    // Requested before the rewards: paid the requested amount, not more.
    assert_eq!(q.ledger.get_last_finalized_request_id(), alice[0]);
    assert_eq!(q.ledger.get_locked_ether_amount(), eth(10));
    assert_eq!(env.pool.shares_of(QUEUE), eth(5), "finalized shares burnt");
    // The queued shares earned nothing after their request: their part of the rewards
    // stayed with the holders, whose rate ends above the report's.
    assert_eq!(env.total_shares(), shares_before + minted - eth(10));
    let rate_now = share_rate(env.total_pooled(), env.total_shares()).expect("rate");
    assert!(rate_now > post_rate);

    // Frame 2: the queue is paused. A report that would finalize is refused whole (the
    // committee then reports with no batches, as its tooling does while the queue is paused).
    env.set_time(env.frame_start(2));
    q.host.set_sender(ADMIN);
    q.admin.pause_for(U256::MAX).expect("pause");
    let mut data = env.report(320_100_000_000);
    data.withdrawalFinalizationBatches = vec![alice[1]];
    data.simulatedShareRate = rate_after_rewards(&env, U256::from(50_000_000u64) * GWEI).0;
    let err = env.submit(&data, env.quorum_signatures(3, &data)).expect_err("paused");
    // The queue's `ResumedExpected` reaches the oracle as the pool's own error.
    assert_eq!(err, WithdrawalQueueCallFailed {}.abi_encode());
    data.withdrawalFinalizationBatches = vec![];
    env.submit(&data, env.quorum_signatures(3, &data)).expect("no finalization");
    assert_eq!(q.ledger.get_last_finalized_request_id(), alice[0]);
    q.host.set_sender(ADMIN);
    q.admin.resume().expect("resume");

    // Bob takes the second ticket.
    q.host.set_sender(ALICE);
    q.ledger.transfer_from(ALICE, BOB, alice[1]).expect("ticket to Bob");

    // Frame 3: a slashing takes 3.2 ether (1%, within the 5% one-off limit). In bunker mode
    // the pending request is finalized at the post-loss rate, so its owner shares the loss.
    env.set_time(env.frame_start(3));
    let loss = U256::from(3_200_000_000u64) * GWEI;
    let loss_rate = share_rate(env.total_pooled() - loss, env.total_shares()).expect("rate");
    let rate_before = share_rate(env.total_pooled(), env.total_shares()).expect("rate");
    let mut data = env.report(320_100_000_000 - 3_200_000_000);
    data.withdrawalFinalizationBatches = vec![alice[1]];
    data.simulatedShareRate = loss_rate;
    data.isBunkerMode = true;
    env.submit(&data, env.quorum_signatures(3, &data)).expect("slashing report");
    assert!(loss_rate < rate_before);
    let paid = eth(5) * loss_rate / e27();
    assert!(paid < eth(5));
    assert_eq!(q.ledger.get_locked_ether_amount(), eth(10) + paid);
    assert_eq!(env.pool.shares_of(QUEUE), U256::ZERO);
    assert_eq!(env.pool_events::<pool_events::TokenRebased>().len(), 3);

    // Both tickets pay out to their owners.
    q.claim(ALICE, &alice[..1]);
    q.claim(BOB, &alice[1..]);
    assert_eq!(*q.paid.borrow(), vec![(ALICE, eth(10)), (BOB, paid)]);
    assert_eq!(q.ledger.get_locked_ether_amount(), U256::ZERO);
    let claimed = q.host.events::<tidepool_withdrawal_queue::events::WithdrawalClaimed>();
    assert_eq!(claimed.len(), 2);
}
