//! The real pool (its three programs on one host) and the real queue (its three programs on
//! another) calling each other natively, as on chain: requests take pool shares through the
//! pool's `transferSharesFrom`, deposits keep `unfinalizedStETH` in the buffer, and the
//! oracle report finalizes requests through `prefinalize` and `finalize` (with the ETH) and
//! burns their shares, after which claims pay ETH out.

#![allow(clippy::unwrap_used)]

mod world;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::SolEvent;
use tidepool_pool::events as pool_events;
use tidepool_withdrawal_queue::events::*;
use world::*;

/// The wrapped token: not used here (see `wrapped_requests.rs`).
const WRAPPED: Address = address!("00000000000000000000000000000000000000b2");

fn events<E: SolEvent>(host: &TestHost) -> Vec<E> {
    host.events()
}

#[test]
fn the_pools_report_finalizes_requests_and_claims_pay_them() {
    let mut w = Protocol::new(WRAPPED, &[ALICE, BOB]);
    w.stake_and_approve_queue(ALICE, eth(40));
    w.stake_and_approve_queue(BOB, eth(10));
    let queue = queue_address();

    let alice = w.request(ALICE, &[eth(3), eth(2)]);
    let bob = w.request(BOB, &[eth(4)]);
    assert_eq!(w.pool.shares_of(queue), eth(9), "the queue holds the requests' shares (rate 1)");
    assert_eq!(w.ledger.unfinalized_steth(), Ok(eth(9)));

    // Deposits keep the unfinalized requests' ETH in the buffer.
    w.pool_host.set_sender(ADMIN);
    assert_eq!(w.accounting.get_depositable_ether(), Ok(eth(51) - eth(9)));
    w.accounting.deposit(U256::from(1)).unwrap();
    assert_eq!(w.received.borrow()[0], (MODULE, eth(32)));

    // The report finalizes Alice's two requests at the current rate.
    let rate = w.rate();
    let buffered = w.accounting.get_buffered_ether();
    w.report(0, U256::ZERO, vec![alice[1]], rate);
    assert_eq!(w.ledger.get_last_finalized_request_id(), alice[1]);
    assert_eq!(w.ledger.get_locked_ether_amount(), eth(5));
    assert_eq!(w.accounting.get_buffered_ether(), buffered - eth(5));
    assert_eq!(w.pool.shares_of(queue), eth(4), "the report burnt the finalized shares");
    let finalized = &events::<WithdrawalsFinalized>(&w.queue_host)[0];
    assert_eq!(
        (finalized.from, finalized.to, finalized.amountOfETHLocked),
        (alice[0], alice[1], eth(5))
    );
    let pool_side = &events::<pool_events::WithdrawalsFinalized>(&w.pool_host)[0];
    assert_eq!(
        (pool_side.lastRequestId, pool_side.amount, pool_side.sharesToBurn),
        (alice[1], eth(5), eth(5))
    );

    w.claim(ALICE, &alice);
    assert_eq!(w.received.borrow()[1], (ALICE, eth(5)));
    assert_eq!(w.ledger.get_locked_ether_amount(), U256::ZERO);

    // A loss on the consensus layer: the report that records it finalizes Bob's request at
    // the lower rate, so Bob bears his part of the loss.
    let request_rate = w.rate();
    let after_loss = (w.pool.get_total_pooled_ether() - eth(2)) * e27() / w.pool.get_total_shares();
    w.report(1, eth(30), bob.clone(), after_loss);
    assert!(after_loss < request_rate);
    let paid = eth(4) * after_loss / e27();
    assert_eq!(w.ledger.get_locked_ether_amount(), paid);
    assert_eq!(w.pool.shares_of(queue), U256::ZERO);
    w.claim(BOB, &bob);
    assert_eq!(w.received.borrow()[2], (BOB, paid));
    assert!(paid < eth(4));
    assert_eq!(w.ledger.balance_of(BOB), Ok(U256::ZERO));
    let _ = pool_address();
}
