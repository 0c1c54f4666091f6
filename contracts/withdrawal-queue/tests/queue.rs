//! Native tests of the queue's requests, finalization and claims: every entry point's success
//! path, each custom error (with storage left untouched where the check comes before any
//! write), and the events.

#![allow(clippy::unwrap_used)]

mod common;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolError;
use common::*;
use tidepool_common::{access_control, initializable, pausable};
use tidepool_pool::errors::{ERC20InsufficientAllowance, InsufficientShares, ProtocolStopped};
use tidepool_withdrawal_queue::programs::WithdrawalRequestStatus;
use tidepool_withdrawal_queue::{
    errors::*, events::*, roles, PermitInput, QueueError, WithdrawalQueue,
    MAX_STETH_WITHDRAWAL_AMOUNT, MIN_STETH_WITHDRAWAL_AMOUNT,
};

fn ids(range: std::ops::RangeInclusive<u64>) -> Vec<U256> {
    range.map(U256::from).collect()
}

// ---------------------------------------------------------------- initialisation

#[test]
fn initialize_sets_the_queue_up_running() {
    let env = Env::new();
    assert!(env.admin.has_role(B256::ZERO, ADMIN));
    assert!(env.admin.has_role(roles::PAUSE_ROLE, ADMIN));
    assert_eq!(env.admin.get_queue_contracts(), (POOL, LEDGER, ADMIN_CONTRACT));
    assert_eq!(env.admin.wsteth(), WRAPPED);
    assert!(!env.admin.is_paused());
    assert_eq!(env.admin.get_resume_since_timestamp(), U256::ZERO);
    assert_eq!(env.ledger.get_last_request_id(), U256::ZERO);
    assert_eq!(env.ledger.get_last_finalized_request_id(), U256::ZERO);
    assert_eq!(env.ledger.get_last_checkpoint_index(), U256::ZERO);
    assert_eq!(env.ledger.get_locked_ether_amount(), U256::ZERO);
    assert_eq!(env.ledger.unfinalized_steth(), Ok(U256::ZERO));
    assert_eq!(env.ledger.unfinalized_request_number(), U256::ZERO);
}

#[test]
fn initialize_emits_and_refuses_a_second_run() {
    let mut env = Env::uninitialised();
    env.vm.set_sender(DEPLOYER);
    env.queue.initialize(0, ADMIN, POOL, WRAPPED, LEDGER, ADMIN_CONTRACT).unwrap();
    let inits = env.events::<initializable::Initialized>();
    assert_eq!(inits.len(), 1);
    assert_eq!(inits[0].deployer, DEPLOYER);
    let grants = env.events::<access_control::RoleGranted>();
    assert_eq!((grants[0].role, grants[0].account), (B256::ZERO, ADMIN));
    let err = env
        .reverts_unchanged(|e| e.queue.initialize(0, ADMIN, POOL, WRAPPED, LEDGER, ADMIN_CONTRACT));
    assert_eq!(err, qerr(initializable::AlreadyInitialized {}));
}

#[test]
fn initialize_refuses_bad_addresses_and_front_runners() {
    let mut env = Env::uninitialised();
    env.vm.set_sender(DEPLOYER);
    let cases = [
        (Address::ZERO, POOL, WRAPPED, LEDGER, ADMIN_CONTRACT),
        (ADMIN, Address::ZERO, WRAPPED, LEDGER, ADMIN_CONTRACT),
        (ADMIN, POOL, Address::ZERO, LEDGER, ADMIN_CONTRACT),
        (ADMIN, POOL, WRAPPED, Address::ZERO, ADMIN_CONTRACT),
        (ADMIN, POOL, WRAPPED, LEDGER, Address::ZERO),
    ];
    for (admin, pool, wrapped, ledger, admin_contract) in cases {
        let err = env.reverts_unchanged(|e| {
            e.queue.initialize(0, admin, pool, wrapped, ledger, admin_contract)
        });
        assert_eq!(err, qerr(ZeroAddress {}));
    }
    for (ledger, admin_contract) in [(ALICE, ADMIN_CONTRACT), (LEDGER, BOB)] {
        let err = env.reverts_unchanged(|e| {
            e.queue.initialize(0, ADMIN, POOL, WRAPPED, ledger, admin_contract)
        });
        let extension = if ledger == ALICE { ALICE } else { BOB };
        assert_eq!(err, qerr(ExtensionWithoutCode { extension }));
    }
    for (caller, nonce) in [(ALICE, 0), (DEPLOYER, 1)] {
        env.vm.set_sender(caller);
        let err = env.reverts_unchanged(|e| {
            e.queue.initialize(nonce, ADMIN, POOL, WRAPPED, LEDGER, ADMIN_CONTRACT)
        });
        assert_eq!(err, qerr(initializable::NotDeployer { caller, nonce }));
    }
}

#[test]
fn nothing_runs_before_initialize() {
    let mut env = Env::uninitialised();
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[ETH], Address::ZERO));
    assert_eq!(err, qerr(initializable::NotInitialized {}));
    // The fallback has nowhere to delegate to.
    let call = alloy_sol_types::SolCall::abi_encode(&IQueue::getLastRequestIdCall {});
    assert_eq!(
        env.route(ALICE, U256::ZERO, call),
        Err(initializable::NotInitialized {}.abi_encode())
    );
}

// ---------------------------------------------------------------- requests

#[test]
fn requests_lock_tokens_record_prefix_sums_and_mint_tickets() {
    let mut env = Env::new();
    env.rebase(11, 10); // a share is worth 1.1 ETH
    let (s, p) = {
        let pool = env.pool.borrow();
        (pool.total_shares, pool.total_pooled)
    };
    let amounts = [ETH, eth(2) + U256::from(1), U256::from(100)];
    let alice_shares = env.pool.borrow().shares_of(ALICE);
    let ids = env.request(ALICE, &amounts, Address::ZERO).unwrap();
    assert_eq!(ids, self::ids(1..=3));

    // Rounded up at the oracle's rate for this pool, so each ticket pays its amount.
    let rate = mul_div(p, e27(), s);
    let shares: Vec<U256> = amounts.iter().map(|a| mul_div_up(*a, e27(), rate)).collect();
    let total: U256 = shares.iter().copied().sum();
    assert_eq!(
        env.pool.borrow().shares_of(env.address()),
        total,
        "the queue holds exactly the shares recorded"
    );
    assert_eq!(env.pool.borrow().shares_of(ALICE), alice_shares - total);

    let statuses = env.admin.get_withdrawal_status(ids.clone()).unwrap();
    for (i, status) in statuses.iter().enumerate() {
        assert_eq!(
            *status,
            WithdrawalRequestStatus {
                amountOfStETH: amounts[i],
                amountOfShares: shares[i],
                owner: ALICE,
                timestamp: U256::from(NOW),
                isFinalized: false,
                isClaimed: false,
            }
        );
    }
    let sum: U256 = amounts.iter().copied().sum();
    assert_eq!(env.ledger.unfinalized_steth(), Ok(sum));
    assert_eq!(env.ledger.unfinalized_request_number(), U256::from(3));
    assert_eq!(env.ledger.get_last_request_id(), U256::from(3));
    assert_eq!(env.ledger.balance_of(ALICE), Ok(U256::from(3)));
    assert_eq!(env.admin.get_withdrawal_requests(ALICE), ids);
    assert_eq!(env.ledger.owner_of(U256::from(2)), Ok(ALICE));

    let requested = env.events::<WithdrawalRequested>();
    let minted = env.events::<Transfer>();
    for i in 0..3 {
        assert_eq!(requested[i].requestId, ids[i]);
        assert_eq!((requested[i].requestor, requested[i].owner), (ALICE, ALICE));
        assert_eq!(
            (requested[i].amountOfStETH, requested[i].amountOfShares),
            (amounts[i], shares[i])
        );
        assert_eq!(
            (minted[i].from, minted[i].to, minted[i].tokenId),
            (Address::ZERO, ALICE, ids[i])
        );
    }
    // One pool transfer for the whole call.
    assert_eq!(env.vm.calls().len(), 1);
}

#[test]
fn a_request_costs_its_shares_value_of_allowance() {
    let mut env = Env::new();
    env.rebase(3, 1); // rounding in both directions
    let queue = env.address();
    let amount = U256::from(1_000_000_000_000_000_007u128);
    // The shares are rounded up from the amount and the pool charges their value rounded up:
    // the amount alone is not enough allowance (issue 19: the ticket must pay the amount).
    env.pool.borrow_mut().allowances.insert((ALICE, queue), amount);
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[amount], Address::ZERO));
    let needed = mul_div_up(mul_div_up(amount, e27(), env.rate()), U256::from(3), U256::from(1));
    assert_eq!(err, serr(ERC20InsufficientAllowance { spender: queue, allowance: amount, needed }));
    // At most one share's worth, rounded up (3 wei here), above the amount.
    assert!(needed > amount && needed - amount <= U256::from(3));
    env.pool.borrow_mut().allowances.insert((ALICE, queue), amount + U256::from(3));
    env.request(ALICE, &[amount], Address::ZERO).unwrap();
    let left = env.pool.borrow().allowances[&(ALICE, queue)];
    assert_eq!(left, amount + U256::from(3) - needed);
}

#[test]
fn the_limits_are_lidos_and_inclusive() {
    let mut env = Env::new();
    assert_eq!(MIN_STETH_WITHDRAWAL_AMOUNT, U256::from(100));
    assert_eq!(MAX_STETH_WITHDRAWAL_AMOUNT, eth(1000));
    env.request(ALICE, &[MIN_STETH_WITHDRAWAL_AMOUNT, MAX_STETH_WITHDRAWAL_AMOUNT], Address::ZERO)
        .unwrap();
    let small = MIN_STETH_WITHDRAWAL_AMOUNT - U256::from(1);
    let large = MAX_STETH_WITHDRAWAL_AMOUNT + U256::from(1);
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[ETH, small], Address::ZERO));
    assert_eq!(err, qerr(RequestAmountTooSmall { amountOfStETH: small }));
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[large, ETH], Address::ZERO));
    assert_eq!(err, qerr(RequestAmountTooLarge { amountOfStETH: large }));
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[], Address::ZERO));
    assert_eq!(err, qerr(EmptyArray {}));
}

#[test]
fn an_amount_worth_no_share_is_too_small() {
    let mut env = Env::new();
    env.rebase(1000, 1); // a share is worth 1000 wei-per-wei: 100 wei buys none
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[U256::from(999)], Address::ZERO));
    assert_eq!(err, qerr(RequestAmountTooSmall { amountOfStETH: U256::from(999) }));
}

#[test]
fn tickets_go_to_another_owner_only_with_consent() {
    let mut env = Env::new();
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[ETH], BOB));
    assert_eq!(err, qerr(NotApprovedByOwner { caller: ALICE, owner: BOB }));
    env.as_(BOB);
    env.queue_set_operator(ALICE, true);
    let ids = env.request(ALICE, &[ETH], BOB).unwrap();
    assert_eq!(env.ledger.owner_of(ids[0]), Ok(BOB));
    let requested = &env.events::<WithdrawalRequested>()[0];
    assert_eq!((requested.requestor, requested.owner), (ALICE, BOB));
    // Naming oneself is the same as zero.
    let ids = env.request(CAROL, &[ETH], CAROL).unwrap();
    assert_eq!(env.ledger.owner_of(ids[0]), Ok(CAROL));
}

#[test]
fn pool_refusals_pass_through_unchanged() {
    let mut env = Env::new();
    let queue = env.address();
    env.pool.borrow_mut().allowances.insert((ALICE, queue), ETH - U256::from(1));
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[ETH], Address::ZERO));
    assert_eq!(
        err,
        serr(ERC20InsufficientAllowance {
            spender: queue,
            allowance: ETH - U256::from(1),
            needed: ETH
        })
    );
    let held = env.pool.borrow().shares_of(BOB);
    let err = env.reverts_unchanged(|e| e.request(BOB, &[eth(1000); 11], Address::ZERO));
    assert_eq!(err, serr(InsufficientShares { account: BOB, shares: held, needed: eth(11_000) }));
    env.pool.borrow_mut().stopped = true;
    let err = env.reverts_unchanged(|e| e.request(BOB, &[ETH], Address::ZERO));
    assert_eq!(err, serr(ProtocolStopped {}));
    env.pool.borrow_mut().stopped = false;
    env.pool.borrow_mut().broken_views = true;
    let err = env.reverts_unchanged(|e| e.request(BOB, &[ETH], Address::ZERO));
    assert_eq!(err, qerr(PoolCallFailed {}));
}

#[test]
fn requests_wait_while_paused() {
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.pause_for(U256::from(100)).unwrap();
    let err = env.reverts_unchanged(|e| e.request(ALICE, &[ETH], Address::ZERO));
    assert_eq!(err, qerr(pausable::ResumedExpected {}));
    env.vm.set_block_timestamp(NOW + 100);
    env.request(ALICE, &[ETH], Address::ZERO).unwrap();
}

fn permit(value: U256) -> PermitInput {
    PermitInput {
        value,
        deadline: U256::MAX,
        v: 27,
        r: B256::repeat_byte(1),
        s: B256::repeat_byte(2),
    }
}

#[test]
fn requests_with_permit_apply_it_first() {
    let mut env = Env::new();
    let queue = env.address();
    env.pool.borrow_mut().allowances.remove(&(ALICE, queue));
    env.as_(ALICE);
    let ids = env
        .queue
        .request_withdrawals_with_permit(vec![ETH, ETH], Address::ZERO, permit(eth(2)))
        .unwrap();
    assert_eq!(ids, self::ids(1..=2));
    assert_eq!(env.pool.borrow().allowances[&(ALICE, queue)], U256::ZERO);
    // The permit call carried the caller, the queue and the signature.
    let (to, data, _) = &env.vm.calls()[0];
    let call = <tidepool_withdrawal_queue::calls::IPoolToken::permitCall as alloy_sol_types::SolCall>::abi_decode(data).unwrap();
    assert_eq!(*to, POOL);
    assert_eq!((call.owner, call.spender, call.value, call.v), (ALICE, queue, eth(2), 27));
}

#[test]
fn a_used_permit_does_not_block_the_request() {
    let mut env = Env::new();
    let queue = env.address();
    let refusal = serr(tidepool_common::permit::ERC2612InvalidSigner { signer: BOB, owner: ALICE });
    env.pool.borrow_mut().permit_revert = Some(refusal.clone());
    // Someone already submitted the permit: the allowance is there.
    env.pool.borrow_mut().allowances.insert((ALICE, queue), eth(2));
    env.as_(ALICE);
    env.queue.request_withdrawals_with_permit(vec![eth(2)], Address::ZERO, permit(eth(2))).unwrap();
    // Otherwise the permit's own error comes back.
    env.pool.borrow_mut().allowances.insert((ALICE, queue), ETH);
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_with_permit(vec![eth(2)], Address::ZERO, permit(eth(2)))
    });
    assert_eq!(err, refusal);
    env.pool.borrow_mut().permit_revert = Some(vec![]);
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_with_permit(vec![eth(2)], Address::ZERO, permit(eth(2)))
    });
    assert_eq!(err, qerr(PoolCallFailed {}));
}

// ---------------------------------------------------------------- wrapped-token requests
// Against a scripted wrapper here; against the real wrapper and pool in wrapped_requests.rs.

/// A wrapped token at `WRAPPED` as the queue sees it: `transferFrom` succeeds, `unwrap(n)`
/// hands the caller `n - short` shares of the pool model, `permit` and `allowance` answer
/// as told; `silent` makes every call succeed with no data (no code at the address) and
/// `revert` makes every mutating call revert with that data.
#[derive(Default)]
struct ScriptedWrapper {
    short: U256,
    silent: bool,
    revert: Option<Vec<u8>>,
    permit_revert: Option<Vec<u8>>,
    allowance: U256,
}

fn install_wrapper(env: &Env, script: ScriptedWrapper) {
    use alloy_sol_types::SolCall;
    use tidepool_withdrawal_queue::calls::{IPoolToken, IWrappedToken};
    let pool = env.pool.clone();
    env.vm.on_call(WRAPPED, move |call| {
        if script.silent {
            return Ok(vec![]);
        }
        let selector: [u8; 4] = call.calldata[..4].try_into().unwrap();
        if selector == IPoolToken::allowanceCall::SELECTOR {
            return Ok(script.allowance.to_be_bytes::<32>().to_vec());
        }
        if let Some(reason) = &script.revert {
            return Err(reason.clone());
        }
        if selector == IPoolToken::permitCall::SELECTOR {
            return script.permit_revert.clone().map_or(Ok(vec![]), Err);
        }
        if selector == IWrappedToken::unwrapCall::SELECTOR {
            let amount =
                IWrappedToken::unwrapCall::abi_decode(&call.calldata).unwrap().wrapped_amount;
            *pool.borrow_mut().shares.entry(call.caller).or_default() += amount - script.short;
        }
        Ok(U256::from(1).to_be_bytes::<32>().to_vec())
    });
}

#[test]
fn wrapped_requests_pull_then_unwrap_the_total_and_record_its_shares() {
    use alloy_sol_types::SolCall;
    use tidepool_withdrawal_queue::calls::IWrappedToken;
    let mut env = Env::new();
    env.rebase(11, 10);
    install_wrapper(&env, ScriptedWrapper::default());
    let (s, p) = {
        let pool = env.pool.borrow();
        (pool.total_shares, pool.total_pooled)
    };
    let amounts = vec![ETH, U256::from(91)];
    env.as_(ALICE);
    let ids = env.queue.request_withdrawals_wrapped(amounts.clone(), Address::ZERO).unwrap();
    assert_eq!(ids, self::ids(1..=2));
    let total = ETH + U256::from(91);
    let queue = env.address();
    assert_eq!(
        env.vm.calls(),
        [
            (
                WRAPPED,
                IWrappedToken::transferFromCall { from: ALICE, to: queue, amount: total }
                    .abi_encode(),
                U256::ZERO
            ),
            (WRAPPED, IWrappedToken::unwrapCall { wrapped_amount: total }.abi_encode(), U256::ZERO),
        ]
    );
    let statuses = env.admin.get_withdrawal_status(ids).unwrap();
    for (status, shares) in statuses.iter().zip(&amounts) {
        assert_eq!(
            (status.amountOfShares, status.amountOfStETH),
            (*shares, mul_div(*shares, p, s))
        );
    }
    assert_eq!(env.pool.borrow().shares_of(queue), total);
}

#[test]
fn unwrapped_shares_are_counted_not_trusted() {
    let mut env = Env::new();
    let total = eth(3);
    install_wrapper(&env, ScriptedWrapper { short: U256::from(1), ..Default::default() });
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH, eth(2)], Address::ZERO)
    });
    assert_eq!(
        err,
        qerr(UnwrappedSharesMismatch { expected: total, received: total - U256::from(1) })
    );
    // No contract at the address: every call "succeeds" and no share arrives.
    install_wrapper(&env, ScriptedWrapper { silent: true, ..Default::default() });
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH, eth(2)], Address::ZERO)
    });
    assert_eq!(err, qerr(UnwrappedSharesMismatch { expected: total, received: U256::ZERO }));
    // Revert data passes through; a revert without any is named.
    let reason = serr(ProtocolStopped {});
    install_wrapper(&env, ScriptedWrapper { revert: Some(reason.clone()), ..Default::default() });
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH], Address::ZERO)
    });
    assert_eq!(err, reason);
    install_wrapper(&env, ScriptedWrapper { revert: Some(vec![]), ..Default::default() });
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH], Address::ZERO)
    });
    assert_eq!(err, qerr(WrappedCallFailed {}));
    // The pool's views come first: a pool that cannot answer stops the request before any
    // wrapped token moves.
    install_wrapper(&env, ScriptedWrapper::default());
    env.pool.borrow_mut().broken_views = true;
    env.vm.clear_calls();
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH], Address::ZERO)
    });
    assert_eq!(err, qerr(PoolCallFailed {}));
    assert!(env.vm.calls().is_empty());
}

#[test]
fn wrapped_requests_check_before_pulling() {
    let mut env = Env::new();
    install_wrapper(&env, ScriptedWrapper::default());
    let cases: [(Vec<U256>, Address, Vec<u8>); 4] = [
        (vec![], Address::ZERO, qerr(EmptyArray {})),
        (
            vec![ETH, U256::from(99)],
            Address::ZERO,
            qerr(RequestAmountTooSmall { amountOfStETH: U256::from(99) }),
        ),
        (
            vec![MAX_STETH_WITHDRAWAL_AMOUNT + U256::from(1)],
            Address::ZERO,
            qerr(RequestAmountTooLarge {
                amountOfStETH: MAX_STETH_WITHDRAWAL_AMOUNT + U256::from(1),
            }),
        ),
        (vec![ETH], BOB, qerr(NotApprovedByOwner { caller: ALICE, owner: BOB })),
    ];
    for (amounts, owner, expected) in cases {
        let err = env.reverts_unchanged(|e| {
            e.as_(ALICE);
            e.queue.request_withdrawals_wrapped(amounts, owner)
        });
        assert_eq!(err, expected);
    }
    assert!(env.vm.calls().is_empty(), "nothing was pulled");
    env.as_(ADMIN);
    env.admin.pause_for(U256::from(10)).unwrap();
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped(vec![ETH], Address::ZERO)
    });
    assert_eq!(err, qerr(pausable::ResumedExpected {}));
}

#[test]
fn a_wrapped_permit_that_fails_silently_is_named() {
    let mut env = Env::new();
    install_wrapper(
        &env,
        ScriptedWrapper { permit_revert: Some(vec![]), allowance: ETH, ..Default::default() },
    );
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.request_withdrawals_wrapped_with_permit(vec![eth(2)], Address::ZERO, permit(eth(2)))
    });
    assert_eq!(err, qerr(WrappedCallFailed {}));
    // With the allowance already there, it goes on.
    env.as_(ALICE);
    env.queue
        .request_withdrawals_wrapped_with_permit(vec![ETH], Address::ZERO, permit(ETH))
        .unwrap();
}

// ---------------------------------------------------------------- finalization

#[test]
fn prefinalize_prices_batches_at_nominal_or_at_the_rate() {
    let mut env = Env::new();
    env.request(ALICE, &[ETH, eth(2)], Address::ZERO).unwrap();
    let rate_at_request = env.rate();
    env.rebase(9, 10);
    let low = env.rate();
    env.request(BOB, &[eth(3)], Address::ZERO).unwrap();
    let shares =
        |id: u64| env.admin.get_withdrawal_status(vec![U256::from(id)]).unwrap()[0].amountOfShares;
    let (s1, s2, s3) = (shares(1), shares(2), shares(3));
    // At the request-time rate everything is nominal.
    assert_eq!(env.ledger.prefinalize(ids(1..=3), rate_at_request), Ok((eth(6), s1 + s2 + s3)));
    // At the lower rate the first two are discounted, the third (made at it) is nominal.
    let discounted = mul_div(s1 + s2, low, e27());
    assert_eq!(
        env.ledger.prefinalize(vec![U256::from(2), U256::from(3)], low),
        Ok((discounted + eth(3).min(mul_div(s3, low, e27())), s1 + s2 + s3))
    );
}

#[test]
fn prefinalize_refuses_bad_batches() {
    let mut env = Env::new();
    env.request(ALICE, &[ETH, ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(1), env.rate());
    let rate = env.rate();
    let cases: [(Vec<U256>, U256, Vec<u8>); 6] = [
        (ids(2..=3), U256::ZERO, qerr(ZeroShareRate {})),
        (vec![], rate, qerr(EmptyBatches {})),
        (
            vec![U256::from(1), U256::from(3)],
            rate,
            qerr(InvalidRequestId { requestId: U256::from(1) }),
        ),
        (
            vec![U256::from(2), U256::from(4)],
            rate,
            qerr(InvalidRequestId { requestId: U256::from(4) }),
        ),
        (vec![U256::from(3), U256::from(2)], rate, qerr(BatchesAreNotSorted {})),
        (vec![U256::from(2), U256::from(2)], rate, qerr(BatchesAreNotSorted {})),
    ];
    for (batches, rate, expected) in cases {
        assert_eq!(env.ledger.prefinalize(batches, rate).map_err(Vec::<u8>::from), Err(expected));
    }
}

#[test]
fn finalize_locks_ether_and_writes_a_checkpoint() {
    let mut env = Env::new();
    env.request(ALICE, &[ETH, eth(2), eth(3)], Address::ZERO).unwrap();
    env.clear_logs();
    let rate = env.rate();
    env.vm.set_block_timestamp(NOW + 60);
    env.finalize(U256::from(2), rate, eth(3)).unwrap();
    assert_eq!(env.ledger.get_last_finalized_request_id(), U256::from(2));
    assert_eq!(env.ledger.get_last_checkpoint_index(), U256::from(1));
    assert_eq!(env.ledger.get_locked_ether_amount(), eth(3));
    assert_eq!(env.ledger.unfinalized_steth(), Ok(eth(3)));
    assert_eq!(env.ledger.unfinalized_request_number(), U256::from(1));
    let finalized = &env.events::<WithdrawalsFinalized>()[0];
    assert_eq!((finalized.from, finalized.to), (U256::from(1), U256::from(2)));
    assert_eq!(finalized.amountOfETHLocked, eth(3));
    assert_eq!(finalized.sharesToBurn, eth(3));
    assert_eq!(finalized.timestamp, U256::from(NOW + 60));
    let update = &env.events::<BatchMetadataUpdate>()[0];
    assert_eq!((update._fromTokenId, update._toTokenId), (U256::from(1), U256::from(3)));
    let statuses = env.admin.get_withdrawal_status(ids(1..=3)).unwrap();
    assert_eq!(statuses.iter().map(|s| s.isFinalized).collect::<Vec<_>>(), [true, true, false]);

    env.finalize(U256::from(3), rate, eth(3)).unwrap();
    assert_eq!(env.ledger.get_last_checkpoint_index(), U256::from(2));
    assert_eq!(env.ledger.get_locked_ether_amount(), eth(6));
    assert_eq!(env.hints(&ids(1..=3)), vec![U256::from(1), U256::from(1), U256::from(2)]);
}

#[test]
fn finalize_refuses_bad_calls() {
    let mut env = Env::new();
    env.request(ALICE, &[ETH, ETH, ETH], Address::ZERO).unwrap();
    let rate = env.rate();
    env.finalize(U256::from(1), rate, ETH).unwrap();

    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.vm.set_value(ETH);
        e.ledger.finalize(U256::from(2), rate)
    });
    assert_eq!(err, qerr(NotPool { caller: ALICE }));
    let err = env.reverts_unchanged(|e| e.finalize(U256::from(2), U256::ZERO, ETH));
    assert_eq!(err, qerr(ZeroShareRate {}));
    for bad in [U256::from(1), U256::ZERO, U256::from(4), U256::MAX] {
        let err = env.reverts_unchanged(|e| e.finalize(bad, rate, U256::ZERO));
        assert_eq!(err, qerr(InvalidRequestId { requestId: bad }));
    }
    let err = env.reverts_unchanged(|e| e.finalize(U256::from(3), rate, eth(2) + U256::from(1)));
    assert_eq!(
        err,
        qerr(TooMuchEtherToFinalize { sent: eth(2) + U256::from(1), maxExpected: eth(2) })
    );

    env.as_(ADMIN);
    env.admin.pause_until(U256::MAX).unwrap();
    let err = env.reverts_unchanged(|e| e.finalize(U256::from(2), rate, ETH));
    assert_eq!(err, qerr(pausable::ResumedExpected {}));
}

#[test]
fn a_huge_rate_is_stored_capped_without_changing_payouts() {
    let mut env = Env::new();
    let id = env.request_one(ALICE, eth(1000));
    env.finalize(id, U256::MAX, eth(1000)).unwrap();
    let hints = env.hints(&[id]);
    assert_eq!(env.admin.get_claimable_ether(vec![id], hints), Ok(vec![eth(1000)]));
}

// ---------------------------------------------------------------- claims

#[test]
fn claims_pay_the_owner_burn_the_ticket_and_release_locked_ether() {
    let mut env = Env::new();
    let ids = env.request(ALICE, &[ETH, eth(2)], Address::ZERO).unwrap();
    let rate = env.rate();
    env.finalize_to(U256::from(2), rate);
    env.clear_logs();
    env.claim(ALICE, &ids).unwrap();
    // One transfer of the sum.
    assert_eq!(env.payments(), vec![(ALICE, eth(3))]);
    assert_eq!(env.ledger.get_locked_ether_amount(), U256::ZERO);
    assert_eq!(env.ledger.balance_of(ALICE), Ok(U256::ZERO));
    assert_eq!(env.admin.get_withdrawal_requests(ALICE), Vec::<U256>::new());
    assert_eq!(
        env.ledger.owner_of(ids[0]).map_err(Vec::<u8>::from),
        Err(qerr(ERC721NonexistentToken { tokenId: ids[0] }))
    );
    let status = &env.admin.get_withdrawal_status(ids.clone()).unwrap()[1];
    assert!(status.isClaimed && status.isFinalized);
    assert_eq!(status.owner, ALICE);
    let claimed = env.events::<WithdrawalClaimed>();
    let burnt = env.events::<Transfer>();
    for (i, amount) in [ETH, eth(2)].into_iter().enumerate() {
        assert_eq!(
            (claimed[i].requestId, claimed[i].owner, claimed[i].receiver),
            (ids[i], ALICE, ALICE)
        );
        assert_eq!(claimed[i].amountOfETH, amount);
        assert_eq!((burnt[i].from, burnt[i].to, burnt[i].tokenId), (ALICE, Address::ZERO, ids[i]));
    }
    assert_eq!(
        env.admin.get_claimable_ether(ids.clone(), env.hints(&ids)),
        Ok(vec![U256::ZERO; 2])
    );
}

#[test]
fn losses_while_waiting_are_borne_and_rewards_are_not_paid() {
    let mut env = Env::new();
    let loser = env.request_one(ALICE, eth(10));
    env.rebase(95, 100);
    let low = env.rate();
    let at_low = env.request_one(BOB, eth(10));
    env.rebase(110, 100);
    let high = env.rate();
    // Finalized at the low rate: Alice's request (made at 1.0) is discounted, Bob's is not.
    env.finalize_to(at_low, low);
    let shares = |id| env.admin.get_withdrawal_status(vec![id]).unwrap()[0].amountOfShares;
    let expected = mul_div(shares(loser), low, e27());
    assert!(expected < eth(10) - ETH / U256::from(25));
    // Made at the finalization rate: nominal, less the rounding of shares and rate (a wei).
    let bob = mul_div(shares(at_low), low, e27()).min(eth(10));
    assert!(bob >= eth(10) - U256::from(1));
    let claimable = env.admin.get_claimable_ether(vec![loser, at_low], env.hints(&[loser, at_low]));
    assert_eq!(claimable, Ok(vec![expected, bob]));
    // A request finalized after a rise pays its nominal amount only.
    let later = env.request_one(CAROL, eth(10));
    env.rebase(120, 100);
    env.finalize_to(later, env.rate());
    assert!(env.rate() > high);
    env.clear_logs();
    env.claim(ALICE, &[loser]).unwrap();
    env.claim(BOB, &[at_low]).unwrap();
    env.claim(CAROL, &[later]).unwrap();
    assert_eq!(env.payments(), vec![(ALICE, expected), (BOB, bob), (CAROL, eth(10))]);
}

#[test]
fn claim_withdrawal_finds_its_own_hint() {
    let mut env = Env::new();
    for _ in 0..5 {
        let id = env.request_one(ALICE, ETH);
        env.finalize_to(id, env.rate());
    }
    env.clear_logs();
    env.as_(ALICE);
    env.queue.claim_withdrawal(U256::from(3)).unwrap();
    assert_eq!(env.payments(), vec![(ALICE, ETH)]);
    assert_eq!(env.events::<WithdrawalClaimed>()[0].requestId, U256::from(3));
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawal(U256::from(3))
    });
    assert_eq!(err, qerr(RequestAlreadyClaimed { requestId: U256::from(3) }));
}

#[test]
fn claim_withdrawals_to_sends_everything_to_the_recipient() {
    let mut env = Env::new();
    let ids = env.request(ALICE, &[ETH, ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(3), env.rate());
    env.clear_logs();
    let hints = env.hints(&ids);
    env.as_(ALICE);
    env.queue.claim_withdrawals_to(ids.clone(), hints.clone(), CAROL).unwrap();
    assert_eq!(env.payments(), vec![(CAROL, eth(3))]);
    let claimed = env.events::<WithdrawalClaimed>();
    assert!(claimed.iter().all(|c| c.owner == ALICE && c.receiver == CAROL));
}

#[test]
fn approved_addresses_and_operators_claim_for_the_owner() {
    let mut env = Env::new();
    let ids = env.request(ALICE, &[ETH, ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(3), env.rate());
    env.as_(ALICE);
    env.queue_approve(BOB, ids[0]);
    env.as_(ALICE);
    env.queue_set_operator(CAROL, true);
    env.clear_logs();
    env.claim(BOB, &ids[..1]).unwrap();
    env.claim(CAROL, &ids[1..2]).unwrap();
    assert_eq!(env.payments(), vec![(ALICE, ETH), (ALICE, ETH)]);
    // Neither may redirect the ETH, and strangers may not claim at all.
    let hints = env.hints(&ids[2..]);
    let err = env.reverts_unchanged(|e| {
        e.as_(CAROL);
        e.queue.claim_withdrawals_to(ids[2..].to_vec(), hints.clone(), CAROL)
    });
    assert_eq!(err, qerr(NotOwner { sender: CAROL, owner: ALICE }));
    let err = env.reverts_unchanged(|e| e.claim(DAVE, &ids[2..]));
    assert_eq!(err, qerr(ERC721InsufficientApproval { operator: DAVE, tokenId: ids[2] }));
}

#[test]
fn an_operator_claims_for_several_owners_each_paid_their_own() {
    let mut env = Env::new();
    let a = env.request_one(ALICE, ETH);
    let b = env.request_one(BOB, eth(2));
    let a2 = env.request_one(ALICE, eth(3));
    env.finalize_to(a2, env.rate());
    for owner in [ALICE, BOB] {
        env.as_(owner);
        env.queue_set_operator(DAVE, true);
    }
    env.clear_logs();
    env.claim(DAVE, &[a, a2, b]).unwrap();
    // Consecutive payments to the same owner are one transfer.
    assert_eq!(env.payments(), vec![(ALICE, eth(4)), (BOB, eth(2))]);
}

#[test]
fn claims_refuse_bad_input() {
    let mut env = Env::new();
    let ids = env.request(ALICE, &[ETH, ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(2), env.rate());
    let one = U256::from(1);
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawals(vec![], vec![])
    });
    assert_eq!(err, qerr(EmptyArray {}));
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawals(vec![one, one], vec![one])
    });
    assert_eq!(
        err,
        qerr(ArraysLengthMismatch { firstArrayLength: U256::from(2), secondArrayLength: one })
    );
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawals_to(vec![one], vec![one, one], BOB)
    });
    assert_eq!(
        err,
        qerr(ArraysLengthMismatch { firstArrayLength: one, secondArrayLength: U256::from(2) })
    );
    for bad in [U256::ZERO, U256::from(4), U256::MAX] {
        let err = env.reverts_unchanged(|e| {
            e.as_(ALICE);
            e.queue.claim_withdrawals(vec![bad], vec![one])
        });
        assert_eq!(err, qerr(InvalidRequestId { requestId: bad }));
    }
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawals(vec![ids[2]], vec![one])
    });
    assert_eq!(err, qerr(RequestNotFoundOrNotFinalized { requestId: ids[2] }));
    for hint in [U256::ZERO, U256::from(2), U256::MAX] {
        let err = env.reverts_unchanged(|e| {
            e.as_(ALICE);
            e.queue.claim_withdrawals(vec![one], vec![hint])
        });
        assert_eq!(err, qerr(InvalidHint { hint }));
    }
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawals_to(vec![one], vec![one], Address::ZERO)
    });
    assert_eq!(err, qerr(ZeroRecipient {}));
    // ETH claimed to the queue, the pool (which would stake it for the queue) or the wrapped
    // token (which would stake and wrap it for the queue) would be lost to the owner.
    for recipient in [env.address(), POOL, WRAPPED] {
        let err = env.reverts_unchanged(|e| {
            e.as_(ALICE);
            e.queue.claim_withdrawals_to(vec![one], vec![one], recipient)
        });
        assert_eq!(err, qerr(InvalidRecipient { recipient }));
    }
    let err = env.reverts_unchanged(|e| {
        e.as_(ALICE);
        e.queue.claim_withdrawal(ids[2])
    });
    assert_eq!(err, qerr(RequestNotFoundOrNotFinalized { requestId: ids[2] }));
    // An id twice: the second sees the first claimed (on chain the whole call reverts).
    env.as_(ALICE);
    let err = env.queue.claim_withdrawals(vec![one, one], vec![one, one]).unwrap_err();
    assert_eq!(Vec::<u8>::from(err), qerr(RequestAlreadyClaimed { requestId: one }));
}

#[test]
fn a_recipient_refusing_ether_fails_the_claim() {
    let mut env = Env::new();
    let id = env.request_one(ALICE, ETH);
    env.finalize_to(id, env.rate());
    let hints = env.hints(&[id]);
    env.as_(ALICE);
    let err = env.queue.claim_withdrawals_to(vec![id], hints, REJECTER).unwrap_err();
    assert_eq!(Vec::<u8>::from(err), qerr(EtherSendFailed { recipient: REJECTER, amount: ETH }));
}

#[test]
fn claims_go_on_while_paused() {
    let mut env = Env::new();
    let id = env.request_one(ALICE, ETH);
    env.finalize_to(id, env.rate());
    env.as_(ADMIN);
    env.admin.pause_for(U256::MAX).unwrap();
    env.claim(ALICE, &[id]).unwrap();
}

// ---------------------------------------------------------------- hints and claimable ETH

#[test]
fn hints_are_found_by_binary_search_and_only_they_are_accepted() {
    let mut env = Env::new();
    // Finalizations of 1, 2, 3, ... requests: checkpoint k starts at request k(k-1)/2 + 1.
    let mut last = 0u64;
    for k in 1..=9u64 {
        env.request(ALICE, &vec![ETH; k as usize], Address::ZERO).unwrap();
        last += k;
        env.finalize_to(U256::from(last), env.rate());
    }
    env.request_one(ALICE, ETH);
    let all = ids(1..=last + 1);
    let hints = env.hints(&all);
    for (i, hint) in hints.iter().enumerate() {
        let id = i as u64 + 1;
        let expected =
            if id > last { 0 } else { (1..=9u64).find(|k| id <= k * (k + 1) / 2).unwrap() };
        assert_eq!(*hint, U256::from(expected), "request {id}");
        if id <= last {
            for wrong in 0..=10u64 {
                let got =
                    env.admin.get_claimable_ether(vec![U256::from(id)], vec![U256::from(wrong)]);
                if wrong == expected {
                    assert_eq!(got, Ok(vec![ETH]));
                } else {
                    assert_eq!(
                        got.map_err(Vec::<u8>::from),
                        Err(qerr(InvalidHint { hint: U256::from(wrong) }))
                    );
                }
            }
        }
    }
    // Narrower ranges: the checkpoint when inside, 0 when outside.
    let find = |id: u64, a: u64, b: u64| {
        env.admin
            .find_checkpoint_hints(vec![U256::from(id)], U256::from(a), U256::from(b))
            .map(|h| h[0])
    };
    assert_eq!(find(20, 5, 7), Ok(U256::from(6)));
    assert_eq!(find(20, 7, 9), Ok(U256::ZERO));
    assert_eq!(find(20, 1, 5), Ok(U256::ZERO));
    assert_eq!(find(20, 6, 6), Ok(U256::from(6)));
    assert_eq!(find(20, 7, 6), Ok(U256::ZERO));
}

#[test]
fn hint_searches_refuse_bad_input() {
    let mut env = Env::new();
    env.request(ALICE, &[ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(1), env.rate());
    let (one, two) = (U256::from(1), U256::from(2));
    let err = env.admin.find_checkpoint_hints(vec![two, one], one, one).map_err(Vec::<u8>::from);
    assert_eq!(err, Err(qerr(RequestIdsNotSorted {})));
    for bad in [U256::ZERO, U256::from(3)] {
        let err = env.admin.find_checkpoint_hints(vec![bad], one, one).map_err(Vec::<u8>::from);
        assert_eq!(err, Err(qerr(InvalidRequestId { requestId: bad })));
    }
    for (a, b) in [(U256::ZERO, one), (one, two)] {
        let err = env.admin.find_checkpoint_hints(vec![one], a, b).map_err(Vec::<u8>::from);
        assert_eq!(err, Err(qerr(InvalidRequestIdRange { startId: a, endId: b })));
    }
    // Unlike Lido, two unfinalized ids in a row are fine.
    env.request_one(ALICE, ETH);
    assert_eq!(env.hints(&ids(1..=3)), vec![one, U256::ZERO, U256::ZERO]);
    let err = env.admin.get_claimable_ether(vec![one], vec![]).map_err(Vec::<u8>::from);
    assert_eq!(
        err,
        Err(qerr(ArraysLengthMismatch { firstArrayLength: one, secondArrayLength: U256::ZERO }))
    );
    let err =
        env.admin.get_claimable_ether(vec![U256::from(9)], vec![one]).map_err(Vec::<u8>::from);
    assert_eq!(err, Err(qerr(InvalidRequestId { requestId: U256::from(9) })));
    assert_eq!(env.admin.get_claimable_ether(vec![two], vec![U256::ZERO]), Ok(vec![U256::ZERO]));
    let err = env.admin.get_withdrawal_status(vec![U256::ZERO]).map_err(Vec::<u8>::from);
    assert_eq!(err, Err(qerr(InvalidRequestId { requestId: U256::ZERO })));
}

// ---------------------------------------------------------------- the oracle's batches

#[test]
fn batches_group_requests_by_side_of_the_rate_and_respect_limits() {
    use tidepool_withdrawal_queue::programs::BatchesCalculationState;
    let mut env = Env::new();
    // Rates: 1.0, 1.0, 0.9, 0.9, 1.0 (after a recovery), each set by a report; finalized at
    // 0.95.
    env.request(ALICE, &[ETH, ETH], Address::ZERO).unwrap();
    env.vm.set_block_timestamp(NOW + 5);
    env.rebase(90, 100);
    env.report_applied();
    env.request(ALICE, &[ETH, ETH], Address::ZERO).unwrap();
    env.vm.set_block_timestamp(NOW + 10);
    env.rebase(100, 90);
    env.report_applied();
    env.request_one(ALICE, ETH);
    let rate = e27() * U256::from(95) / U256::from(100);
    let start = |budget| BatchesCalculationState {
        remainingEthBudget: budget,
        finished: false,
        batches: vec![],
    };
    let state = env
        .admin
        .calculate_finalization_batches(rate, U256::MAX, U256::from(100), start(U256::MAX))
        .unwrap();
    assert!(state.finished);
    assert_eq!(state.batches, vec![U256::from(2), U256::from(4), U256::from(5)]);
    // prefinalize of those batches locks what the requests will claim, to the wei here.
    let (eth_to_lock, _) = env.ledger.prefinalize(state.batches.clone(), rate).unwrap();
    assert_eq!(U256::MAX - state.remainingEthBudget, eth_to_lock);
    // One request per call gives the same answer.
    let (resumed, calls) = env.calculate_batches(rate, 1);
    assert_eq!(
        (resumed.batches, resumed.remainingEthBudget),
        (state.batches.clone(), state.remainingEthBudget)
    );
    assert_eq!(calls, 5);
    // Requests after `maxTimestamp` wait, and so does what the budget cannot pay.
    let by_time = env
        .admin
        .calculate_finalization_batches(
            rate,
            U256::from(NOW + 5),
            U256::from(100),
            start(U256::MAX),
        )
        .unwrap();
    assert!(by_time.finished);
    assert_eq!(by_time.batches, vec![U256::from(2), U256::from(4)]);
    let by_budget = env
        .admin
        .calculate_finalization_batches(rate, U256::MAX, U256::from(100), start(eth(3)))
        .unwrap();
    assert_eq!(by_budget.batches, vec![U256::from(2), U256::from(3)]);
    assert!(by_budget.finished);
}

/// Whether request `id` is paid less than its nominal amount at `rate` (the side of the
/// rate it is on).
fn discounted(env: &Env, id: u64, rate: U256) -> bool {
    let status = env.admin.get_withdrawal_status(vec![U256::from(id)]).unwrap().remove(0);
    let paid =
        tidepool_math::queue::eth_to_finalize(status.amountOfStETH, status.amountOfShares, rate)
            .unwrap();
    paid < status.amountOfStETH
}

#[test]
fn requests_of_one_report_period_share_a_batch_whatever_their_side() {
    // The review's attack: at a rate of 1.1, requests of 110 and 109 wei alternate between
    // "paid nominal" and "discounted by a wei", which used to start a batch per request, so
    // 10,000 of them pushed a report past block gas. Made between the same two reports, they
    // now share one batch.
    let mut env = Env::new();
    env.rebase(110, 100);
    env.report_applied();
    env.vm.set_block_timestamp(NOW + 1);
    let amounts: Vec<U256> =
        (0..100).map(|i| U256::from(if i % 2 == 0 { 110u64 } else { 109 })).collect();
    for _ in 0..100 {
        env.request(BOB, &amounts, Address::ZERO).unwrap();
    }
    let last = 10_000u64;
    // The report's rate: the pool's, or a hair below it, whichever splits the sides more
    // often (which one does depends on how requests round their shares).
    let rate = [env.rate(), env.rate() - e27() / U256::from(1_000)]
        .into_iter()
        .max_by_key(|&rate| {
            (2..=last)
                .filter(|&id| discounted(&env, id, rate) != discounted(&env, id - 1, rate))
                .count()
        })
        .unwrap();
    let changes = (2..=last)
        .filter(|&id| discounted(&env, id, rate) != discounted(&env, id - 1, rate))
        .count();
    assert!(changes >= 5_000, "the requests change side {changes} times");

    let (state, calls) = env.calculate_batches(rate, 1_000);
    assert_eq!(state.batches, vec![U256::from(last)]);
    assert_eq!(calls, 10);
    // One batch locks at least what every request claims, and at most a wei more per
    // request.
    let (locked, _) = env.ledger.prefinalize(state.batches.clone(), rate).unwrap();
    env.finalize(U256::from(last), rate, locked).unwrap();
    let ids: Vec<U256> = (1..=last).map(U256::from).collect();
    let hints = env.hints(&ids);
    let claimable: U256 = env.admin.get_claimable_ether(ids, hints).unwrap().into_iter().sum();
    assert!(
        claimable <= locked && locked - claimable <= U256::from(last),
        "{claimable} of {locked}"
    );
}

#[test]
fn a_report_finalizes_at_most_36_batches_and_the_next_one_goes_on() {
    use tidepool_interfaces::withdrawal_queue::MAX_FINALIZATION_BATCHES;
    use tidepool_withdrawal_queue::programs::BatchesCalculationState;
    // Forty report periods whose rates alternate above and below the finalization rate:
    // each period's requests are a batch of their own.
    let mut env = Env::new();
    let periods = 40u64;
    for period in 0..periods {
        env.vm.set_block_timestamp(NOW + 10 * period);
        if period % 2 == 0 {
            env.rebase(120, 100);
        } else {
            env.rebase(100, 120);
        }
        env.report_applied();
        env.request(ALICE, &[ETH, ETH], Address::ZERO).unwrap();
    }
    let rate = e27() * U256::from(11) / U256::from(10);
    let calculate = |env: &Env| env.calculate_batches(rate, 7).0.batches;
    let first = calculate(&env);
    let expected: Vec<U256> = (1..=36u64).map(|period| U256::from(2 * period)).collect();
    assert_eq!(first, expected);
    // More batches than a report may carry are refused before anything is priced.
    let mut too_many = first.clone();
    too_many.push(U256::from(74));
    assert_eq!(
        env.ledger.prefinalize(too_many, rate).map_err(Vec::<u8>::from),
        Err(qerr(TooManyBatches {
            batches: U256::from(37),
            maxBatches: U256::from(MAX_FINALIZATION_BATCHES),
        }))
    );
    // A state already holding more than 36 batches is not a state the calculation makes.
    let overfull = BatchesCalculationState {
        remainingEthBudget: ETH,
        finished: false,
        batches: (1..=37u64).map(U256::from).collect(),
    };
    assert_eq!(
        env.admin
            .calculate_finalization_batches(rate, U256::MAX, U256::from(1), overfull)
            .map_err(Vec::<u8>::from),
        Err(qerr(InvalidState {}))
    );
    let (locked, _) = env.ledger.prefinalize(first, rate).unwrap();
    env.finalize(U256::from(72), rate, locked).unwrap();
    // The next report takes the rest.
    assert_eq!(
        calculate(&env),
        vec![U256::from(74), U256::from(76), U256::from(78), U256::from(80)]
    );
}

#[test]
fn batches_refuse_bad_states() {
    use tidepool_withdrawal_queue::programs::BatchesCalculationState;
    let mut env = Env::new();
    env.request(ALICE, &[ETH, ETH], Address::ZERO).unwrap();
    env.finalize_to(U256::from(1), env.rate());
    let rate = env.rate();
    let state = |budget, finished, batches: Vec<U256>| BatchesCalculationState {
        remainingEthBudget: budget,
        finished,
        batches,
    };
    let cases = [
        (state(ETH, true, vec![]), U256::from(1), qerr(InvalidState {})),
        (state(U256::ZERO, false, vec![]), U256::from(1), qerr(InvalidState {})),
        (state(ETH, false, vec![]), U256::ZERO, qerr(InvalidState {})),
        (
            state(ETH, false, vec![U256::from(1)]),
            U256::from(1),
            qerr(InvalidRequestId { requestId: U256::from(1) }),
        ),
        (
            state(ETH, false, vec![U256::from(7)]),
            U256::from(1),
            qerr(InvalidRequestId { requestId: U256::from(7) }),
        ),
    ];
    for (s, per_call, expected) in cases {
        let got = env
            .admin
            .calculate_finalization_batches(rate, U256::MAX, per_call, s)
            .map_err(Vec::<u8>::from);
        assert_eq!(got, Err(expected));
    }
}

// ---------------------------------------------------------------- the whole ABI, routed

alloy_sol_types::sol! {
    /// The queue's ABI as integrators call it, with Lido's names.
    interface IQueue {
        function requestWithdrawals(uint256[] amounts, address owner) returns (uint256[]);
        function claimWithdrawals(uint256[] ids, uint256[] hints);
        function finalize(uint256 lastRequestId, uint256 maxShareRate) payable;
        function prefinalize(uint256[] batches, uint256 maxShareRate) view returns (uint256, uint256);
        function unfinalizedStETH() view returns (uint256);
        function getLastRequestId() view returns (uint256);
        function getLockedEtherAmount() view returns (uint256);
        function balanceOf(address owner) view returns (uint256);
        function ownerOf(uint256 tokenId) view returns (address);
        function safeTransferFrom(address from, address to, uint256 tokenId);
        function safeTransferFrom(address from, address to, uint256 tokenId, bytes data);
        function tokenURI(uint256 tokenId) view returns (string);
        function name() view returns (string);
        function supportsInterface(bytes4 interfaceId) view returns (bool);
        function findCheckpointHints(uint256[] ids, uint256 first, uint256 last) view returns (uint256[]);
        function pauseFor(uint256 duration);
        function isPaused() view returns (bool);
        function hasRole(bytes32 role, address account) view returns (bool);
    }
}

#[test]
fn every_part_is_reached_through_the_queues_address() {
    use alloy_sol_types::{SolCall, SolValue};
    let env = Env::new();
    let route = |from: Address, value: U256, data: Vec<u8>| env.route(from, value, data);
    let ids = route(
        ALICE,
        U256::ZERO,
        IQueue::requestWithdrawalsCall { amounts: vec![ETH, ETH], owner: Address::ZERO }
            .abi_encode(),
    )
    .unwrap();
    assert_eq!(<Vec<U256>>::abi_decode(&ids).unwrap(), ids_vec(1, 2));
    // Ledger (one hop): the pool's calls, with ETH, and ERC-721 views.
    let rate = env.rate();
    let out = route(
        POOL,
        U256::ZERO,
        IQueue::prefinalizeCall { batches: vec![U256::from(2)], maxShareRate: rate }.abi_encode(),
    )
    .unwrap();
    assert_eq!(<(U256, U256)>::abi_decode_params(&out).unwrap(), (eth(2), eth(2)));
    route(
        POOL,
        eth(2),
        IQueue::finalizeCall { lastRequestId: U256::from(2), maxShareRate: rate }.abi_encode(),
    )
    .unwrap();
    let locked =
        route(ALICE, U256::ZERO, IQueue::getLockedEtherAmountCall {}.abi_encode()).unwrap();
    assert_eq!(U256::abi_decode(&locked).unwrap(), eth(2));
    let owner = route(BOB, U256::ZERO, IQueue::ownerOfCall { tokenId: U256::from(1) }.abi_encode())
        .unwrap();
    assert_eq!(Address::abi_decode(&owner).unwrap(), ALICE);
    // Admin (two hops): metadata, hints, pausing, roles.
    let name = route(BOB, U256::ZERO, IQueue::nameCall {}.abi_encode()).unwrap();
    assert_eq!(String::abi_decode(&name).unwrap(), tidepool_withdrawal_queue::NAME);
    let hints = route(
        BOB,
        U256::ZERO,
        IQueue::findCheckpointHintsCall {
            ids: ids_vec(1, 2),
            first: U256::from(1),
            last: U256::from(1),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(<Vec<U256>>::abi_decode(&hints).unwrap(), vec![U256::from(1); 2]);
    let uri = route(BOB, U256::ZERO, IQueue::tokenURICall { tokenId: U256::from(1) }.abi_encode())
        .unwrap();
    assert!(String::abi_decode(&uri).unwrap().starts_with("data:application/json;base64,"));
    let err = route(BOB, U256::ZERO, IQueue::pauseForCall { duration: U256::from(1) }.abi_encode())
        .unwrap_err();
    assert_eq!(
        err,
        qerr(access_control::AccessControlUnauthorizedAccount {
            account: BOB,
            neededRole: roles::PAUSE_ROLE
        })
    );
    route(ADMIN, U256::ZERO, IQueue::pauseForCall { duration: U256::from(1) }.abi_encode())
        .unwrap();
    let paused = route(BOB, U256::ZERO, IQueue::isPausedCall {}.abi_encode()).unwrap();
    assert!(bool::abi_decode(&paused).unwrap());
    // Back in the queue: claims.
    route(
        ALICE,
        U256::ZERO,
        IQueue::claimWithdrawalsCall { ids: ids_vec(1, 2), hints: vec![U256::from(1); 2] }
            .abi_encode(),
    )
    .unwrap();
    assert_eq!(env.payments().last(), Some(&(ALICE, eth(2))));
}

fn ids_vec(a: u64, b: u64) -> Vec<U256> {
    ids(a..=b)
}

#[test]
fn value_is_refused_except_by_finalize_and_unknown_selectors_revert_empty() {
    use alloy_sol_types::SolCall;
    let env = Env::new();
    let with_value = [
        IQueue::requestWithdrawalsCall { amounts: vec![ETH], owner: Address::ZERO }.abi_encode(),
        IQueue::getLastRequestIdCall {}.abi_encode(),
        IQueue::nameCall {}.abi_encode(),
    ];
    for data in with_value {
        assert!(env.route(ALICE, U256::from(1), data).is_err());
    }
    assert_eq!(env.route(ALICE, U256::ZERO, vec![0xde, 0xad, 0xbe, 0xef]), Err(vec![]));
    assert_eq!(env.ledger_at_its_own_address(), Err(qerr(NotPool { caller: POOL })));
}

impl Env {
    fn queue_approve(&mut self, to: Address, id: U256) {
        self.ledger.approve(to, id).unwrap();
    }

    fn queue_set_operator(&mut self, operator: Address, approved: bool) {
        self.ledger.set_approval_for_all(operator, approved).unwrap();
    }

    /// `finalize` called on the ledger program at its own address (fresh storage), by the pool.
    fn ledger_at_its_own_address(&self) -> Result<(), Vec<u8>> {
        let host = TestHost::new();
        host.set_contract_address(LEDGER);
        let mut ledger = tidepool_withdrawal_queue::programs::WithdrawalQueueLedger::from(&host);
        host.set_sender(POOL);
        let _ = WithdrawalQueue::from(&host);
        ledger.finalize(U256::from(1), e27()).map_err(Vec::<u8>::from)
    }
}

#[test]
fn errors_are_the_solidity_ones() {
    // The router's revert data is the standard encoding.
    let e = QueueError::from(InvalidHint { hint: U256::from(7) });
    assert_eq!(Vec::<u8>::from(e), InvalidHint { hint: U256::from(7) }.abi_encode());
}
