//! The withdrawal queue's flows on the built wasm, through alloy-provider: requests and their
//! ERC-721 tickets, ticket transfers, claims by approved operators, with hints and to another
//! recipient, finalization at the nominal amount and at a discount, and a paused queue that
//! refuses requests but keeps paying claims; the invariants after each flow.

use alloy_primitives::{Address, U256};
use tidepool_deploy::{
    report::{Observation, RATE_PRECISION},
    Client, Receipt,
};
use tidepool_e2e::{eth, milli, reverted, Addresses, World};
use tidepool_interfaces::{roles, IPool, IWithdrawalQueue};

const GWEI_PER_ETH: u64 = 1_000_000_000;

/// `owner` approves the queue and asks to withdraw `amounts`; returns the ticket ids.
async fn request(w: &World, owner: Address, amounts: Vec<U256>) -> Vec<U256> {
    // The queue takes the shares rounded up (each ticket pays its amount) and the pool charges
    // their value rounded up: a few wei per request above the amounts.
    let total = amounts.iter().fold(U256::ZERO, |a, b| a + b) + U256::from(1_000u64);
    w.send(owner, w.pool(), IPool::approveCall { spender: w.queue(), amount: total })
        .await
        .expect("approve");
    let receipt = w
        .send(
            owner,
            w.queue(),
            IWithdrawalQueue::requestWithdrawalsCall { amounts: amounts.clone(), owner },
        )
        .await
        .expect("request");
    let requested = Client::events::<IWithdrawalQueue::WithdrawalRequested>(&receipt, w.queue());
    assert_eq!(requested.len(), amounts.len());
    for (event, amount) in requested.iter().zip(&amounts) {
        assert_eq!((event.owner, event.amountOfStETH), (owner, *amount));
    }
    requested.iter().map(|e| e.requestId).collect()
}

/// Hints for `ids` from the queue's checkpoints.
async fn hints(w: &World, ids: &[U256]) -> Vec<U256> {
    let last = w.view(w.queue(), IWithdrawalQueue::getLastCheckpointIndexCall {}).await;
    let call = IWithdrawalQueue::findCheckpointHintsCall {
        request_ids: ids.to_vec(),
        first_index: U256::from(1u8),
        last_index: last,
    };
    w.view(w.queue(), call).await
}

async fn claimable(w: &World, ids: &[U256]) -> Vec<U256> {
    let hints = hints(w, ids).await;
    w.view(w.queue(), IWithdrawalQueue::getClaimableEtherCall { request_ids: ids.to_vec(), hints })
        .await
}

/// Ether received by `who` in `receipt`, gas added back when `who` paid it.
async fn received(
    w: &World,
    who: Address,
    before: U256,
    receipt: &Receipt,
    paid_gas: bool,
) -> U256 {
    let gas = if paid_gas {
        U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
    } else {
        U256::ZERO
    };
    w.client.balance(who).await.expect("balance") + gas - before
}

#[tokio::test]
async fn tickets_move_and_are_claimed_by_operators_with_hints_and_to_other_recipients() {
    let Some(w) = World::new().await else { return };
    let (alice, bob, carol, dave) =
        (w.alice.address(), w.bob.address(), w.carol.address(), w.dave.address());
    w.stake(alice, eth(20)).await;
    let ids = request(&w, alice, vec![eth(1), eth(2), eth(3)]).await;
    assert_eq!(ids, vec![U256::from(1u8), U256::from(2u8), U256::from(3u8)]);
    assert_eq!(
        w.view(w.queue(), IWithdrawalQueue::balanceOfCall { owner: alice }).await,
        U256::from(3u8)
    );
    // Claiming before finalization is refused.
    let early = IWithdrawalQueue::claimWithdrawalCall { request_id: ids[0] };
    reverted::<_, IWithdrawalQueue::RequestNotFoundOrNotFinalized>(
        w.send(alice, w.queue(), early).await,
    );

    // Ticket 2 goes to Bob, who makes Dave his operator; Carol may move ticket 1.
    let give = IWithdrawalQueue::transferFromCall { from: alice, to: bob, token_id: ids[1] };
    w.send(alice, w.queue(), give).await.expect("ticket to Bob");
    assert_eq!(w.view(w.queue(), IWithdrawalQueue::ownerOfCall { token_id: ids[1] }).await, bob);
    let stranger = IWithdrawalQueue::transferFromCall { from: bob, to: carol, token_id: ids[1] };
    reverted::<_, IWithdrawalQueue::ERC721InsufficientApproval>(
        w.send(carol, w.queue(), stranger).await,
    );
    w.send(
        bob,
        w.queue(),
        IWithdrawalQueue::setApprovalForAllCall { operator: dave, approved: true },
    )
    .await
    .expect("operator");
    w.send(alice, w.queue(), IWithdrawalQueue::approveCall { to: carol, token_id: ids[0] })
        .await
        .expect("approve Carol");

    // Rewards, then every request finalized at its nominal amount (the rate went up).
    w.tip(milli(10)).await;
    w.next_frame().await;
    w.report(Observation { finalize: true, ..Default::default() }).await;
    assert_eq!(w.view(w.queue(), IWithdrawalQueue::getLastFinalizedRequestIdCall {}).await, ids[2]);
    assert_eq!(claimable(&w, &ids).await, vec![eth(1), eth(2), eth(3)]);
    w.check_invariants().await;

    // Carol, approved for ticket 1, claims it: the ether goes to its owner, Alice.
    let before = w.client.balance(alice).await.expect("balance");
    let receipt = w
        .send(carol, w.queue(), IWithdrawalQueue::claimWithdrawalCall { request_id: ids[0] })
        .await
        .expect("approved claim");
    assert_eq!(received(&w, alice, before, &receipt, false).await, eth(1));
    // Dave, Bob's operator, claims ticket 2 with hints: Bob is paid.
    let before = w.client.balance(bob).await.expect("balance");
    let h = hints(&w, &ids[1..2]).await;
    let claim =
        IWithdrawalQueue::claimWithdrawalsCall { request_ids: ids[1..2].to_vec(), hints: h };
    let receipt = w.send(dave, w.queue(), claim.clone()).await.expect("operator claim");
    assert_eq!(received(&w, bob, before, &receipt, false).await, eth(2));
    let claimed = Client::events::<IWithdrawalQueue::WithdrawalClaimed>(&receipt, w.queue());
    assert_eq!((claimed[0].owner, claimed[0].receiver, claimed[0].amountOfETH), (bob, bob, eth(2)));
    reverted::<_, IWithdrawalQueue::RequestAlreadyClaimed>(w.send(dave, w.queue(), claim).await);
    // Alice sends ticket 3's ether to Carol.
    let before = w.client.balance(carol).await.expect("balance");
    let h = hints(&w, &ids[2..]).await;
    let to = IWithdrawalQueue::claimWithdrawalsToCall {
        request_ids: ids[2..].to_vec(),
        hints: h,
        recipient: carol,
    };
    let receipt = w.send(alice, w.queue(), to).await.expect("claim to Carol");
    assert_eq!(received(&w, carol, before, &receipt, false).await, eth(3));
    assert_eq!(w.view(w.queue(), IWithdrawalQueue::getLockedEtherAmountCall {}).await, U256::ZERO);
    w.check_invariants().await;
}

#[tokio::test]
async fn a_slashing_finalizes_at_a_discount_and_a_paused_queue_still_pays_claims() {
    let Some(w) = World::new().await else { return };
    let (alice, bob) = (w.alice.address(), w.bob.address());
    w.stake(alice, eth(50)).await;
    w.deposit_validators(1).await;
    let balance = 32 * GWEI_PER_ETH;
    w.report(Observation { cl_validators: 1, cl_balance_gwei: balance, ..Default::default() })
        .await;
    let ids = request(&w, alice, vec![eth(2)]).await;

    // 1 ETH lost in bunker mode: the request is finalized at the post-loss rate.
    w.next_frame().await;
    let seen = Observation {
        cl_validators: 1,
        cl_balance_gwei: balance - GWEI_PER_ETH,
        bunker: true,
        finalize: true,
        ..Default::default()
    };
    let prepared = w.prepare(seen).await;
    assert_eq!(prepared.data.withdrawalFinalizationBatches, ids);
    w.submit(prepared.data.clone(), 3).await.expect("slashing report");
    let status = w
        .view(w.queue(), IWithdrawalQueue::getWithdrawalStatusCall { request_ids: ids.clone() })
        .await;
    let discounted = status[0].amountOfShares * prepared.data.simulatedShareRate / RATE_PRECISION;
    let got = claimable(&w, &ids).await[0];
    assert!(got < eth(2), "the ticket shares the loss");
    assert_eq!(got, discounted, "shares x the report's rate, rounded down");
    w.check_invariants().await;

    // Paused: no new requests, but the finalized ticket is paid.
    let grant = IWithdrawalQueue::grantRoleCall {
        role: roles::withdrawal_queue::PAUSE_ROLE,
        account: w.deployer,
    };
    w.send(w.deployer, w.queue(), grant).await.expect("grant");
    w.send(w.deployer, w.queue(), IWithdrawalQueue::pauseForCall { duration: U256::MAX })
        .await
        .expect("pause");
    w.stake(bob, eth(1)).await;
    w.send(bob, w.pool(), IPool::approveCall { spender: w.queue(), amount: eth(1) })
        .await
        .expect("approve");
    let refused =
        IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![milli(500)], owner: bob };
    reverted::<_, IWithdrawalQueue::ResumedExpected>(w.send(bob, w.queue(), refused.clone()).await);
    let before = w.client.balance(alice).await.expect("balance");
    let receipt = w
        .send(alice, w.queue(), IWithdrawalQueue::claimWithdrawalCall { request_id: ids[0] })
        .await
        .expect("claim while paused");
    assert_eq!(received(&w, alice, before, &receipt, true).await, got);
    let grant = IWithdrawalQueue::grantRoleCall {
        role: roles::withdrawal_queue::RESUME_ROLE,
        account: w.deployer,
    };
    w.send(w.deployer, w.queue(), grant).await.expect("grant");
    w.send(w.deployer, w.queue(), IWithdrawalQueue::resumeCall {}).await.expect("resume");
    w.send(bob, w.queue(), refused).await.expect("requests again after resume");
    w.check_invariants().await;
}

/// The most gas a report finalizing withdrawals may use at quorum 3 with the largest batch
/// list a report may carry (36): the quorum's signature checks, the pool's accounting and
/// `prefinalize`'s loop twice (oracle and pool), whose 512-bit division costs more with
/// larger amounts. Measured: 625,846 here (110-wei batches) and 2,153,229 in the bench
/// (0.001-ETH batches, `docs/BENCHMARKS.md`), a fraction of Arbitrum's 32 million block gas.
/// Before the cap the review's 10,000 requests made 10,000 batches: hundreds of millions.
const REPORT_GAS_BOUND: u64 = 3_000_000;

#[tokio::test]
async fn ten_thousand_alternating_requests_cannot_stop_a_report() {
    let Some(w) = World::new().await else { return };
    let alice = w.alice.address();
    w.stake(alice, eth(1)).await;
    // The review's requests: 110 and 109 wei alternating, 10,000 of them, in 100 calls.
    let amounts: Vec<U256> =
        (0..100u64).map(|i| U256::from(if i % 2 == 0 { 110u64 } else { 109 })).collect();
    w.send(alice, w.pool(), IPool::approveCall { spender: w.queue(), amount: U256::MAX })
        .await
        .expect("approve");
    for _ in 0..100 {
        let call =
            IWithdrawalQueue::requestWithdrawalsCall { amounts: amounts.clone(), owner: alice };
        w.send(alice, w.queue(), call).await.expect("requests");
    }
    let last = U256::from(10_000u64);
    assert_eq!(w.view(w.queue(), IWithdrawalQueue::getLastRequestIdCall {}).await, last);

    w.next_frame().await;
    let prepared = w.prepare(Observation { finalize: true, ..Default::default() }).await;
    // The committee's builder: requests of one report period share a batch.
    let built = prepared.data.withdrawalFinalizationBatches.clone();
    assert_eq!(built, vec![last], "one report period, one batch");

    // The largest list a report may carry, and one more.
    let step = 10_000 / 36;
    let mut most: Vec<U256> = (1..36u64).map(|i| U256::from(i * step)).collect();
    most.push(last);
    let mut too_many = prepared.data.clone();
    too_many.withdrawalFinalizationBatches = (1..=37u64).map(|i| U256::from(i * 270)).collect();
    let refused = reverted::<_, IWithdrawalQueue::TooManyBatches>(w.submit(too_many, 3).await);
    assert_eq!((refused.batches, refused.maxBatches), (U256::from(37u8), U256::from(36u8)));

    let mut data = prepared.data;
    data.withdrawalFinalizationBatches = most;
    let receipt = w.submit(data, 3).await.expect("a report with 36 batches");
    eprintln!("report finalizing 10,000 requests in 36 batches: {} gas", receipt.gas_used);
    assert!(receipt.gas_used <= REPORT_GAS_BOUND, "{} gas", receipt.gas_used);
    assert_eq!(w.view(w.queue(), IWithdrawalQueue::getLastFinalizedRequestIdCall {}).await, last);
    // Every ticket is claimable and the queue holds what they pay.
    let sample: Vec<U256> = [1u64, 2, 5_000, 9_999, 10_000].into_iter().map(U256::from).collect();
    for (id, paid) in sample.iter().zip(claimable(&w, &sample).await) {
        assert!(paid >= U256::from(108u8), "request {id} pays {paid}");
    }
    w.check_invariants().await;
}
