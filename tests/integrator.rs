//! An integrator's view: a Solidity contract (`crates/node/tests/solidity/Integrator.sol`,
//! compiled offline by the pinned solc) pulls the Stylus pool token and wrapped token with
//! `transferFrom`, insists on having received at least the amount asked, and returns it.
//! This is Solidity calling Stylus through the standard ERC-20 ABI, and the no-shortfall rule
//! checked by a third party at awkward amounts and a rate that is not 1.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::sol;
use tidepool_deploy::{report::Observation, Client};
use tidepool_e2e::{eth, milli, reverted, Addresses, World};
use tidepool_interfaces::{IPool, IWrapped};

sol! {
    #[sol(all_derives)]
    interface IIntegrator {
        error Shortfall(uint256 asked, uint256 received);
        error TransferFailed();
        event RoundTrip(address indexed token, address indexed from, uint256 asked, uint256 received);
        function roundTrip(address token, uint256 amount) external returns (uint256 received);
    }
}

/// Deploys the compiled Integrator from `from`.
async fn integrator(w: &World, from: Address) -> Address {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/node/tests/solidity/out/Integrator.json");
    let artifact: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("artifact")).expect("json");
    let code: Bytes = artifact["bytecode"].as_str().expect("bytecode").parse().expect("hex");
    w.client.create(from, code).await.expect("deploy Integrator").0
}

/// Amounts that do not divide evenly at a rate other than 1.
fn awkward() -> [U256; 4] {
    [
        U256::from(1u8),
        U256::from(3u8),
        U256::from(999_999_999_999_999_999u64),
        milli(1_234) + U256::from(7u8),
    ]
}

#[tokio::test]
async fn a_solidity_integrator_receives_at_least_what_it_pulls_of_either_token() {
    let Some(w) = World::new().await else { return };
    let alice = w.alice.address();
    let app = integrator(&w, alice).await;
    w.stake(alice, eth(10)).await;
    // Move the rate away from 1 so every conversion rounds.
    w.tip(milli(7)).await;
    w.report(Observation::default()).await;
    assert_ne!(w.rate().await, eth(1));

    // No allowance: the pool's own error comes back through the Solidity frame.
    let trip = IIntegrator::roundTripCall { token: w.pool(), amount: eth(1) };
    reverted::<_, IPool::ERC20InsufficientAllowance>(w.send(alice, app, trip).await);

    w.send(alice, w.pool(), IPool::approveCall { spender: app, amount: U256::MAX })
        .await
        .expect("approve");
    for amount in awkward() {
        let before = w.balance_of(alice).await;
        let receipt = w
            .send(alice, app, IIntegrator::roundTripCall { token: w.pool(), amount })
            .await
            .expect("round trip of the pool token");
        let trip = &Client::events::<IIntegrator::RoundTrip>(&receipt, app)[0];
        assert!(trip.received >= trip.asked, "{} asked, {} received", trip.asked, trip.received);
        // The contract keeps nothing; Alice loses at most the rounding of two transfers.
        assert_eq!(w.shares_of(app).await, U256::ZERO);
        assert!(before - w.balance_of(alice).await <= U256::from(2u8));
    }

    // The wrapped token: exact, 1 token = 1 share, nothing to round.
    let wrapped = w.wrapped();
    w.send(alice, w.pool(), IPool::approveCall { spender: wrapped, amount: eth(5) })
        .await
        .expect("approve");
    w.send(alice, wrapped, IWrapped::wrapCall { pooled_amount: eth(5) }).await.expect("wrap");
    w.send(alice, wrapped, IWrapped::approveCall { spender: app, amount: U256::MAX })
        .await
        .expect("approve");
    for amount in awkward() {
        let before = w.view(wrapped, IWrapped::balanceOfCall { account: alice }).await;
        let receipt = w
            .send(alice, app, IIntegrator::roundTripCall { token: wrapped, amount })
            .await
            .expect("round trip of the wrapped token");
        let trip = &Client::events::<IIntegrator::RoundTrip>(&receipt, app)[0];
        assert_eq!(trip.received, trip.asked);
        assert_eq!(w.view(wrapped, IWrapped::balanceOfCall { account: alice }).await, before);
    }
    // More than Alice holds: the wrapper's error, through Solidity.
    let too_much = IIntegrator::roundTripCall { token: wrapped, amount: eth(6) };
    reverted::<_, IWrapped::ERC20InsufficientBalance>(w.send(alice, app, too_much).await);
    w.check_invariants().await;
}
