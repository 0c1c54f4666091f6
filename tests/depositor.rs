//! Depositors' flows on the built wasm, through alloy-provider: stake with `submit` and with
//! a plain ether transfer, approve by permit, transfer tokens and shares; the invariants
//! after each flow.

use alloy_primitives::{Address, Bytes, U256};
use tidepool_deploy::{report::Observation, Client};
use tidepool_e2e::{eth, milli, reverted, Addresses, World};
use tidepool_interfaces::IPool;

#[tokio::test]
async fn staking_by_submit_and_by_plain_transfer_mints_shares_at_the_rate() {
    let Some(w) = World::new().await else { return };
    let alice = w.alice.address();
    let receipt = w.stake(alice, eth(5)).await;
    let submitted = Client::events::<IPool::Submitted>(&receipt, w.pool());
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].amount, eth(5));
    assert_eq!(w.balance_of(alice).await, eth(5), "1:1 before any report");
    assert_eq!(w.shares_of(alice).await, eth(5));

    // Rewards move the rate; a plain transfer (a wallet's "send") stakes at the new rate.
    w.tip(milli(3)).await;
    w.report(Observation::default()).await;
    let rate = w.rate().await;
    assert!(rate > eth(1), "rewards raised the rate");
    let bob = w.bob.address();
    let pooled = w.view(w.pool(), IPool::getTotalPooledEtherCall {}).await;
    let total = w.view(w.pool(), IPool::getTotalSharesCall {}).await;
    w.client.transfer(bob, w.pool(), eth(2), Bytes::new()).await.expect("plain send stakes");
    // Shares round down: never more than 2 ether's worth.
    assert_eq!(w.shares_of(bob).await, eth(2) * total / pooled, "floor(amount · S / P)");
    assert!(w.balance_of(bob).await <= eth(2));

    // Zero is refused, and refused before anything is sent.
    let zero = w
        .client
        .send(alice, w.pool(), IPool::submitCall { referral: Address::ZERO }, U256::ZERO)
        .await;
    reverted::<_, IPool::ZeroDeposit>(zero);
    w.check_invariants().await;
}

#[tokio::test]
async fn transfers_deliver_at_least_the_amount_and_share_transfers_are_exact() {
    let Some(w) = World::new().await else { return };
    let (alice, bob) = (w.alice.address(), w.bob.address());
    w.stake(alice, eth(10)).await;
    w.tip(milli(7)).await;
    w.report(Observation::default()).await;

    let amount = U256::from(1_234_567_890_123_456_789u64);
    let before = w.balance_of(bob).await;
    let receipt =
        w.send(alice, w.pool(), IPool::transferCall { to: bob, amount }).await.expect("transfer");
    assert!(w.balance_of(bob).await - before >= amount, "the receiver gets at least the amount");
    let logged = Client::events::<IPool::Transfer>(&receipt, w.pool());
    assert_eq!(logged[0].value, amount);

    let shares = U256::from(777_777_777_777u64);
    let (alice_shares, bob_shares) = (w.shares_of(alice).await, w.shares_of(bob).await);
    w.send(alice, w.pool(), IPool::transferSharesCall { to: bob, shares_amount: shares })
        .await
        .expect("transferShares");
    assert_eq!(w.shares_of(alice).await, alice_shares - shares);
    assert_eq!(w.shares_of(bob).await, bob_shares + shares);

    // More than the balance, or to the zero address: specific errors, nothing moves.
    let too_much = w.balance_of(alice).await + U256::from(1u8);
    let r = w.send(alice, w.pool(), IPool::transferCall { to: bob, amount: too_much }).await;
    reverted::<_, IPool::ERC20InsufficientBalance>(r);
    let r = w.send(alice, w.pool(), IPool::transferCall { to: Address::ZERO, amount }).await;
    reverted::<_, IPool::ERC20InvalidReceiver>(r);
    assert_eq!(w.shares_of(bob).await, bob_shares + shares);
    w.check_invariants().await;
}

#[tokio::test]
async fn a_permit_signed_offline_lets_a_spender_pull_once() {
    let Some(w) = World::new().await else { return };
    let (alice, carol) = (w.alice.address(), w.carol.address());
    w.stake(alice, eth(3)).await;
    let value = eth(1);
    let deadline = U256::from(u64::MAX);
    let (v, r, s) = w.permit(w.pool(), &w.alice, carol, value, deadline).await;
    // Anyone may carry the permit: Dave relays it.
    let permit = IPool::permitCall { owner: alice, spender: carol, value, deadline, v, r, s };
    w.send(w.dave.address(), w.pool(), permit.clone()).await.expect("permit");
    assert_eq!(
        w.view(w.pool(), IPool::allowanceCall { owner: alice, spender: carol }).await,
        value
    );
    assert_eq!(w.view(w.pool(), IPool::noncesCall { owner: alice }).await, U256::from(1u8));
    // Replayed, the signature no longer matches the nonce.
    reverted::<_, IPool::ERC2612InvalidSigner>(w.send(w.dave.address(), w.pool(), permit).await);

    let pull = IPool::transferFromCall { from: alice, to: carol, amount: value };
    w.send(carol, w.pool(), pull.clone()).await.expect("transferFrom");
    assert!(w.balance_of(carol).await >= value);
    reverted::<_, IPool::ERC20InsufficientAllowance>(w.send(carol, w.pool(), pull).await);

    // An expired permit is refused with its deadline.
    let (v, r, s) = w.permit(w.pool(), &w.alice, carol, value, U256::from(1u8)).await;
    let expired = IPool::permitCall {
        owner: alice,
        spender: carol,
        value,
        deadline: U256::from(1u8),
        v,
        r,
        s,
    };
    let e = reverted::<_, IPool::ERC2612ExpiredSignature>(w.send(carol, w.pool(), expired).await);
    assert_eq!(e.deadline, U256::from(1u8));
    w.check_invariants().await;
}
