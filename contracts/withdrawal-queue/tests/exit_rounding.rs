//! The no-shortfall promise at the exit (issue 19): a request records the shares rounded up,
//! so its ticket pays exactly its amount when the rate has not fallen, the discounted value
//! when it has, and never more than the shares were worth; wrapped requests record as
//! nominal what their shares pay at the current rate. Direct requests count the shares the
//! pool delivered.

#![allow(clippy::unwrap_used)]

mod common;

use alloy_primitives::{Address, U256};
use common::*;
use proptest::prelude::*;
use tidepool_pool::errors::InsufficientShares;
use tidepool_withdrawal_queue::{errors::*, events::*, roles};

fn u(x: u128) -> U256 {
    U256::from(x)
}

/// `(totalShares, totalPooledEther)` of the pool model.
fn totals(env: &Env) -> (U256, U256) {
    let pool = env.pool.borrow();
    (pool.total_shares, pool.total_pooled)
}

/// Finalizes every request at `rate` and claims `id` for its owner `who`; the ETH paid.
fn finalize_and_claim(env: &mut Env, who: Address, id: U256, rate: U256) -> U256 {
    let last = env.ledger.get_last_request_id();
    env.finalize_to(last, rate);
    env.clear_logs();
    env.claim(who, &[id]).unwrap();
    env.events::<WithdrawalClaimed>()[0].amountOfETH
}

#[test]
fn a_direct_request_pays_its_amount_at_an_unchanged_rate() {
    let mut env = Env::new();
    env.rebase(11, 10); // a share is worth 1.1 ETH
    let id = env.request_one(ALICE, eth(2));
    let rate = env.rate();
    // Measured on the previous tree: 2 ETH - 1 wei.
    assert_eq!(finalize_and_claim(&mut env, ALICE, id, rate), eth(2));
}

#[test]
fn a_wrapped_request_pays_its_nominal_at_an_unchanged_rate() {
    let mut env = Env::new();
    // A share is worth exactly 1/3 wei, so the oracle's rate (1e27 / 3, rounded down) values
    // 3,000 shares at 999.99.. wei: the pool says 1,000.
    {
        let mut pool = env.pool.borrow_mut();
        pool.shares.insert(WRAPPED, u(3_000));
        pool.total_shares = eth(3_000_000) + u(3_000);
        pool.total_pooled = eth(1_000_000) + u(1_000);
    }
    install_wrapped(&env);
    env.as_(ALICE);
    let id = env.queue.request_withdrawals_wrapped(vec![u(3_000)], Address::ZERO).unwrap()[0];
    let status = env.admin.get_withdrawal_status(vec![id]).unwrap()[0].clone();
    let rate = env.rate();
    let paid = finalize_and_claim(&mut env, ALICE, id, rate);
    assert_eq!(paid, status.amountOfStETH);
    assert_eq!(paid, u(999));
}

/// A wrapped token that takes any `transferFrom` and, on `unwrap`, moves its own pool shares
/// to the caller one for one.
fn install_wrapped(env: &Env) {
    use alloy_sol_types::SolCall;
    use tidepool_withdrawal_queue::calls::IWrappedToken;
    let pool = env.pool.clone();
    env.vm.on_call(WRAPPED, move |call| {
        let selector: [u8; 4] = call.calldata[..4].try_into().unwrap();
        if selector == IWrappedToken::unwrapCall::SELECTOR {
            let c = IWrappedToken::unwrapCall::abi_decode(&call.calldata).unwrap();
            let mut pool = pool.borrow_mut();
            *pool.shares.get_mut(&WRAPPED).unwrap() -= c.wrapped_amount;
            *pool.shares.entry(call.caller).or_default() += c.wrapped_amount;
        }
        Ok(U256::from(1).to_be_bytes::<32>().to_vec())
    });
}

#[test]
fn a_pool_that_delivers_fewer_shares_than_it_takes_is_refused() {
    let mut env = Env::new();
    env.rebase(11, 10);
    let (s, p) = totals(&env);
    let shares = (eth(1) * e27()).div_ceil(mul_div(p, e27(), s));
    env.pool.borrow_mut().short_transfer = u(1);
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[eth(1)], Address::ZERO));
    assert_eq!(err, qerr(TransferredSharesMismatch { expected: shares, received: shares - u(1) }));
}

#[test]
fn a_whole_balance_split_in_several_requests_takes_every_share() {
    let mut env = Env::new();
    env.pool.borrow_mut().shares.insert(BOB, eth(2_000) + u(7));
    env.rebase(11, 10);
    let (s, p) = totals(&env);
    let held = env.pool.borrow().shares_of(BOB);
    let balance = mul_div(held, p, s);
    // Three parts of the whole balance: rounded up one by one they come to more shares than
    // Bob holds.
    let parts = [balance / u(3), balance / u(3), balance - u(2) * (balance / u(3))];
    let rate = env.rate();
    let up: Vec<U256> = parts.iter().map(|a| (*a * e27()).div_ceil(rate)).collect();
    assert!(up.iter().copied().sum::<U256>() > held);
    let ids = env.request(BOB, &parts, Address::ZERO).unwrap();
    assert_eq!(env.pool.borrow().shares_of(BOB), U256::ZERO);
    let statuses = env.admin.get_withdrawal_status(ids.clone()).unwrap();
    let recorded: Vec<U256> = statuses.iter().map(|s| s.amountOfShares).collect();
    assert_eq!(recorded[..2], up[..2]);
    assert_eq!(recorded.iter().copied().sum::<U256>(), held);
    // The last ticket keeps its amount as nominal and pays what its shares are worth.
    assert_eq!(statuses[2].amountOfStETH, parts[2]);
    env.finalize_to(ids[2], rate);
    env.clear_logs();
    env.claim(BOB, &ids).unwrap();
    let paid: Vec<U256> = env.events::<WithdrawalClaimed>().iter().map(|e| e.amountOfETH).collect();
    assert_eq!(paid[..2], parts[..2]);
    assert_eq!(paid[2], mul_div(recorded[2], rate, e27()));
    // One wei more than the balance is refused, with the rounded-up shares as the need.
    let mut env = Env::new();
    env.pool.borrow_mut().shares.insert(BOB, eth(2_000) + u(7));
    env.rebase(11, 10);
    let parts = [parts[0], parts[1], parts[2] + u(1)];
    let needed: U256 = parts.iter().map(|a| (*a * e27()).div_ceil(rate)).sum();
    let err = env.reverts_unchanged(|e| e.request(BOB, &parts, Address::ZERO));
    assert_eq!(err, serr(InsufficientShares { account: BOB, shares: held, needed }));
}

// ---------------------------------------------------------------- the surplus sweep

#[test]
fn the_sweep_returns_exactly_what_claims_cannot_take() {
    let mut env = Env::new();
    env.rebase(11, 10);
    // Two requests at 1.1, a loss to 1.0 and one request there, then a rise to 1.05: one
    // batch mixing the discounted pair and one paid in full (whose shares are worth more
    // than its nominal) locks more than they claim.
    let a = env.request_one(ALICE, eth(11));
    let b = env.request_one(BOB, u(1_000_000_007));
    env.rebase(10, 11);
    let c = env.request_one(CAROL, eth(3));
    env.rebase(105, 100);
    let rate = env.rate();
    let (locked, _) = env.ledger.prefinalize(vec![c], rate).unwrap();
    env.finalize(c, rate, locked).unwrap();
    let due: Vec<U256> = env.admin.get_claimable_ether(vec![a, b, c], vec![u(1); 3]).unwrap();
    let owed: U256 = due.iter().copied().sum();
    assert!(locked > owed, "a mixed batch locks more than its requests claim");
    env.add_balance(u(5)); // forced in

    // Only the role may sweep; counting one request at a time sends nothing until the end.
    let err = env.reverts_unchanged_as(BOB, |e| e.admin.sweep_surplus(U256::MAX));
    assert_eq!(err, unauthorized(BOB, roles::SWEEP_SURPLUS_ROLE));
    assert_eq!(env.sweep(u(1)), Ok(U256::ZERO));
    assert_eq!(env.sweep(u(1)), Ok(U256::ZERO));
    env.clear_logs();
    assert_eq!(env.sweep(u(1)), Ok(locked + u(5) - owed));
    assert_eq!(env.pool.borrow().surplus_received, locked + u(5) - owed);
    let event = &env.events::<SurplusSwept>()[0];
    assert_eq!((event.amount, event.lockedEther), (locked + u(5) - owed, owed));
    assert_eq!(env.ledger.get_locked_ether_amount(), owed);
    assert_eq!(env.balance(), owed);
    assert_eq!(env.sweep(U256::MAX), Ok(U256::ZERO));

    // Every claim still pays in full, and nothing is left.
    for (who, id, due) in [(ALICE, a, due[0]), (BOB, b, due[1]), (CAROL, c, due[2])] {
        env.clear_logs();
        env.claim(who, &[id]).unwrap();
        assert_eq!(env.events::<WithdrawalClaimed>()[0].amountOfETH, due);
    }
    assert_eq!(env.ledger.get_locked_ether_amount(), U256::ZERO);
}

#[test]
fn the_sweep_needs_its_role() {
    let mut env = Env::new();
    env.add_balance(u(9));
    env.as_(ADMIN);
    env.admin.revoke_role(roles::SWEEP_SURPLUS_ROLE, ADMIN).unwrap();
    let err = env.reverts_unchanged_as(ADMIN, |e| e.admin.sweep_surplus(U256::MAX));
    assert_eq!(err, unauthorized(ADMIN, roles::SWEEP_SURPLUS_ROLE));
    assert_eq!(env.pool.borrow().surplus_received, U256::ZERO);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Request then claim: at an unchanged rate exactly the amount; at a lower one, the
    /// shares' value at that rate; never more than the shares were worth when requested.
    #[test]
    fn a_request_pays_its_amount_unless_the_rate_fell(
        rate_num in 1u64..=3_000_000,
        rate_den in 1u64..=3_000_000,
        amounts in prop::collection::vec(100u128..=1_000_000_000_000_000_000_000, 1..4),
        loss_ppm in prop_oneof![Just(0u64), 1u64..=300_000],
    ) {
        let mut env = Env::new();
        env.rebase(rate_num, rate_den);
        let amounts: Vec<U256> = amounts.into_iter().map(U256::from).collect();
        let (s, p) = totals(&env);
        let held = env.pool.borrow().shares_of(ALICE);
        let balance = mul_div(held, p, s);
        let ids = match env.request(ALICE, &amounts, Address::ZERO) {
            Ok(ids) => ids,
            Err(_) => {
                // Only amounts beyond the balance, or worth less than a share, are refused.
                let rate = env.rate();
                prop_assert!(
                    amounts.iter().copied().sum::<U256>() > balance
                        || amounts.iter().any(|a| *a * e27() < rate)
                );
                return Ok(());
            }
        };
        let statuses = env.admin.get_withdrawal_status(ids.clone()).unwrap();
        let rate = env.rate();
        let final_rate = mul_div(rate, u(1_000_000 - u128::from(loss_ppm)), u(1_000_000));
        env.finalize_to(*ids.last().unwrap(), final_rate);
        env.clear_logs();
        env.claim(ALICE, &ids).unwrap();
        let paid: Vec<U256> =
            env.events::<WithdrawalClaimed>().iter().map(|e| e.amountOfETH).collect();
        for ((amount, status), paid) in amounts.iter().zip(&statuses).zip(&paid) {
            prop_assert_eq!(status.amountOfStETH, *amount);
            let shares = status.amountOfShares;
            // Never more than the shares were worth at the pool's rate, nor at the final one.
            prop_assert!(*paid <= mul_div(shares, p, s));
            prop_assert!(*paid <= mul_div(shares, final_rate, e27()));
            if loss_ppm == 0 {
                prop_assert_eq!(*paid, *amount);
            } else {
                prop_assert_eq!(*paid, (*amount).min(mul_div(shares, final_rate, e27())));
            }
        }
    }
}
