//! `requestWithdrawalsWrapped` with the real pool (its three programs on one host), the real
//! wrapped token (on another) and the real queue (its three programs on a third), calling
//! each other natively as on chain: the queue takes the wrapped tokens, unwraps them into
//! pool shares and records exactly those shares, valued at the oracle's rate for the pool
//! (rounded down, so a claim at an unchanged rate pays exactly that); an
//! oracle-style report (the pool's `handleOracleReport`, called as the oracle) finalizes the
//! requests and claims pay their ETH.
//!
//! Each queue call runs as one transaction: if it fails, all three hosts' storage is put
//! back, as a revert does on chain (a host alone only rolls back its own failed frame).

#![allow(clippy::unwrap_used)]

mod world;

use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use proptest::prelude::*;
use tidepool_common::{eip712, erc20, pausable, permit::permit_struct_hash};
use tidepool_pool::{errors::ProtocolStopped, roles as pool_roles, Pool};
use tidepool_withdrawal_queue::programs::WithdrawalRequestStatus;
use tidepool_withdrawal_queue::{
    errors::*, events::*, roles, PermitInput, QueueError, WithdrawalQueue,
    MAX_STETH_WITHDRAWAL_AMOUNT, MIN_STETH_WITHDRAWAL_AMOUNT,
};
use tidepool_wrapped::{Withdraw, Wrapped};
use world::*;

fn wrapped_address() -> Address {
    DEPLOYER.create(2)
}

fn qerr(e: impl Into<QueueError>) -> Vec<u8> {
    e.into().into()
}

sol! {
    interface IQueue {
        function requestWithdrawalsWrapped(uint256[] amounts, address owner) returns (uint256[]);
        function WSTETH() view returns (address);
    }
}

type Storage = HashMap<U256, B256>;

/// The pool and the queue ([`Protocol`]) with the real wrapped token on a third host.
struct World {
    p: Protocol,
    wrapped_host: TestHost,
    wrapped: Wrapped,
    /// The consensus-layer balance last reported.
    cl_balance: U256,
}

impl World {
    /// The three contracts wired and initialised; Alice holds 200 ETH of pool tokens, one
    /// validator is deposited and seen by a report at 32 ETH (so later reports can move the
    /// rate with consensus-layer rewards or losses).
    fn new() -> Self {
        let p = Protocol::new(wrapped_address(), &[ALICE, BOB, signer(1).address()]);
        let wrapped_host = contract_host(wrapped_address());
        // Who calls whom: besides the pool and the queue calling each other, the queue calls
        // the wrapper, and the wrapper calls the pool.
        serve::<Pool>(&wrapped_host, pool_address(), &p.pool_host);
        serve::<Wrapped>(&p.queue_host, wrapped_address(), &wrapped_host);

        let mut w = World {
            p,
            wrapped: Wrapped::from(&wrapped_host),
            wrapped_host,
            cl_balance: U256::ZERO,
        };
        w.p.pool_host.set_sender(ADMIN);
        for role in [pool_roles::PAUSE_ROLE, pool_roles::RESUME_ROLE] {
            w.p.pool_admin.grant_role(role, ADMIN).unwrap();
        }
        w.p.queue_host.set_sender(ADMIN);
        for role in [roles::PAUSE_ROLE, roles::RESUME_ROLE] {
            w.p.admin.grant_role(role, ADMIN).unwrap();
        }
        w.wrapped_host.set_sender(DEPLOYER);
        w.wrapped.initialize(2, pool_address()).unwrap();

        w.p.stake(ALICE, eth(200));
        w.p.pool_host.set_sender(ADMIN);
        w.p.accounting.deposit(U256::from(1)).unwrap();
        w.report(eth(32), vec![], U256::ZERO);
        w
    }

    /// `who` wraps `pooled` of its pool tokens; returns the wrapped tokens minted.
    fn wrap(&mut self, who: Address, pooled: U256) -> U256 {
        self.p.pool_host.set_sender(who);
        self.p.pool.approve(wrapped_address(), U256::MAX).unwrap();
        self.wrapped_host.set_sender(who);
        self.wrapped.wrap(pooled).unwrap()
    }

    /// `who` lets the queue take `amount` of its wrapped tokens.
    fn approve_queue(&mut self, who: Address, amount: U256) {
        self.wrapped_host.set_sender(who);
        self.wrapped.approve(queue_address(), amount).unwrap();
    }

    fn storage(&self) -> [Storage; 3] {
        [&self.p.pool_host, &self.p.queue_host, &self.wrapped_host].map(|h| h.snapshot().storage)
    }

    /// Runs `f` as one transaction: on failure every host's storage is put back.
    fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Vec<u8>>,
    ) -> Result<T, Vec<u8>> {
        let before = self.storage();
        let result = f(self);
        if result.is_err() {
            for (host, storage) in
                [&self.p.pool_host, &self.p.queue_host, &self.wrapped_host].into_iter().zip(before)
            {
                host.clear_storage();
                for (key, word) in storage {
                    host.set_storage(key, word);
                }
            }
        }
        result
    }

    /// `requestWithdrawalsWrapped(amounts, owner)` sent by `who` through the queue's router.
    fn request_wrapped(
        &mut self,
        who: Address,
        amounts: &[U256],
        owner: Address,
    ) -> Result<Vec<U256>, Vec<u8>> {
        let calldata =
            IQueue::requestWithdrawalsWrappedCall { amounts: amounts.to_vec(), owner }.abi_encode();
        self.transaction(|w| {
            w.p.queue_host
                .enter(who, U256::ZERO, || w.p.queue_host.route::<WithdrawalQueue>(&calldata))
        })
        .map(|out| <Vec<U256>>::abi_decode(&out).unwrap())
    }

    /// A failing wrapped request: asserts that no host's storage changed; the revert data.
    fn refused(&mut self, who: Address, amounts: &[U256], owner: Address) -> Vec<u8> {
        let before = self.storage();
        let err = self.request_wrapped(who, amounts, owner).unwrap_err();
        assert_eq!(before, self.storage(), "a refused request changed storage");
        err
    }

    /// An oracle report of the one validator at `cl_balance`, finalizing up to the last of
    /// `batches` at `rate`.
    fn report(&mut self, cl_balance: U256, batches: Vec<U256>, rate: U256) {
        self.p.report(1, cl_balance, batches, rate);
        self.cl_balance = cl_balance;
    }
}

fn events<E: SolEvent>(host: &TestHost) -> Vec<E> {
    host.events()
}

/// ERC-721 `Transfer`s of the queue (four topics; the ERC-20 event has three).
fn ticket_transfers(host: &TestHost) -> Vec<Transfer> {
    host.get_emitted_logs()
        .iter()
        .filter(|(topics, _)| topics.len() == 4 && topics[0] == Transfer::SIGNATURE_HASH)
        .map(|(topics, data)| Transfer::decode_raw_log(topics.iter().copied(), data).unwrap())
        .collect()
}

// ---------------------------------------------------------------- requests

#[test]
fn wrapped_requests_hold_exactly_the_shares_unwrapped() {
    let mut w = World::new();
    // Rewards move the rate off 1, to an awkward value.
    w.report(eth(32) + U256::from(123_456_789_012_345_679u64), vec![], U256::ZERO);
    assert!(w.p.pool.get_total_pooled_ether() != w.p.pool.get_total_shares());
    let minted = w.wrap(ALICE, eth(50));
    let amounts = [ETH + U256::from(1), eth(3) + U256::from(17), U256::from(100_000)];
    let total: U256 = amounts.iter().copied().sum();
    w.approve_queue(ALICE, total + U256::from(5));
    let queue = queue_address();
    let wrapped_shares = w.p.pool.shares_of(wrapped_address());
    let supply = w.wrapped.total_supply();
    let value_given = w.p.pool.get_pooled_eth_by_shares(total).unwrap();
    w.p.queue_host.clear_calls();

    let ids = w.request_wrapped(ALICE, &amounts, Address::ZERO).unwrap();
    assert_eq!(ids, [1u64, 2, 3].map(U256::from));

    // Each request: shares = the wrapped amount, ETH = the pool's value of them, rounded
    // down.
    let nominal: Vec<U256> =
        amounts.iter().map(|a| w.p.pool.get_pooled_eth_by_shares(*a).unwrap()).collect();
    assert!(nominal.iter().zip(&amounts).all(|(n, a)| n > a), "a share is worth more than 1");
    let statuses = w.p.admin.get_withdrawal_status(ids.clone()).unwrap();
    for (i, status) in statuses.iter().enumerate() {
        assert_eq!(
            *status,
            WithdrawalRequestStatus {
                amountOfStETH: nominal[i],
                amountOfShares: amounts[i],
                owner: ALICE,
                timestamp: U256::from(NOW),
                isFinalized: false,
                isClaimed: false,
            }
        );
    }
    let requested = events::<WithdrawalRequested>(&w.p.queue_host);
    assert_eq!(requested.len(), 3);
    for (i, e) in requested.iter().enumerate() {
        assert_eq!(
            (e.requestId, e.requestor, e.owner, e.amountOfStETH, e.amountOfShares),
            (ids[i], ALICE, ALICE, nominal[i], amounts[i])
        );
    }
    let minted_tickets = ticket_transfers(&w.p.queue_host);
    assert_eq!(
        minted_tickets.iter().map(|t| (t.from, t.to, t.tokenId)).collect::<Vec<_>>(),
        ids.iter().map(|id| (Address::ZERO, ALICE, *id)).collect::<Vec<_>>()
    );
    assert_eq!(w.p.ledger.balance_of(ALICE), Ok(U256::from(3)));

    // Wrapped tokens: Alice's balance, the supply and the allowance fell by the total; the
    // queue keeps none.
    assert_eq!(w.wrapped.balance_of(ALICE), minted - total);
    assert_eq!(w.wrapped.total_supply(), supply - total);
    assert_eq!(w.wrapped.balance_of(queue), U256::ZERO);
    assert_eq!(w.wrapped.allowance(ALICE, queue), U256::from(5));
    // Pool shares: exactly the total moved from the wrapper to the queue, nothing else.
    assert_eq!(w.p.pool.shares_of(queue), total);
    assert_eq!(w.p.pool.shares_of(wrapped_address()), wrapped_shares - total);
    assert!(w.wrapped.total_supply() <= w.p.pool.shares_of(wrapped_address()));
    // The requests are worth no more than the wrapped tokens given.
    let sum: U256 = nominal.iter().copied().sum();
    assert!(sum <= value_given);
    assert_eq!(w.p.ledger.unfinalized_steth(), Ok(sum));
    // The wrapper saw one transfer to the queue and one unwrap by it.
    let transfers = events::<erc20::Transfer>(&w.wrapped_host);
    let last_two: Vec<_> =
        transfers[transfers.len() - 2..].iter().map(|t| (t.from, t.to, t.value)).collect();
    assert_eq!(last_two, [(ALICE, queue, total), (queue, Address::ZERO, total)]);
    let withdraw = events::<Withdraw>(&w.wrapped_host).pop().unwrap();
    assert_eq!(
        (withdraw.sender, withdraw.receiver, withdraw.owner, withdraw.assets, withdraw.shares),
        (queue, queue, queue, value_given, total)
    );
    // The queue made exactly two calls, both to the wrapper.
    let calls: Vec<Address> = w.p.queue_host.calls().iter().map(|c| c.0).collect();
    assert_eq!(calls, [wrapped_address(), wrapped_address()]);
}

#[test]
fn tickets_of_wrapped_requests_can_go_to_a_consenting_owner() {
    let mut w = World::new();
    w.wrap(ALICE, eth(10));
    w.approve_queue(ALICE, U256::MAX);
    let err = w.refused(ALICE, &[ETH], BOB);
    assert_eq!(err, qerr(NotApprovedByOwner { caller: ALICE, owner: BOB }));
    w.p.queue_host.set_sender(BOB);
    w.p.ledger.set_approval_for_all(ALICE, true).unwrap();
    let ids = w.request_wrapped(ALICE, &[ETH], BOB).unwrap();
    assert_eq!(w.p.ledger.owner_of(ids[0]), Ok(BOB));
    let e = events::<WithdrawalRequested>(&w.p.queue_host).pop().unwrap();
    assert_eq!((e.requestor, e.owner), (ALICE, BOB));
    // The view of the wrapped token, through the queue's address (two delegatecalls).
    let out =
        w.p.queue_host
            .enter(BOB, U256::ZERO, || {
                w.p.queue_host.route::<WithdrawalQueue>(&IQueue::WSTETHCall {}.abi_encode())
            })
            .unwrap();
    assert_eq!(Address::abi_decode(&out).unwrap(), wrapped_address());
}

// ---------------------------------------------------------------- limits and refusals

#[test]
fn limits_apply_to_the_value_in_pooled_eth() {
    let mut w = World::new();
    w.p.stake(ALICE, eth(1_500));
    // 300 ETH of rewards on about 1,733: a share is worth about 1.16 ETH after fees.
    w.report(eth(32) + eth(300), vec![], U256::ZERO);
    let minted = w.wrap(ALICE, eth(1_400));
    w.approve_queue(ALICE, U256::MAX);
    let (s, p) = (w.p.pool.get_total_shares(), w.p.pool.get_total_pooled_ether());
    let value = |shares: U256| mul_div(shares, p, s);
    // The fewest shares worth the minimum, and the most worth the maximum.
    let smallest = (MIN_STETH_WITHDRAWAL_AMOUNT * s).div_ceil(p);
    let largest = ((MAX_STETH_WITHDRAWAL_AMOUNT + U256::from(1)) * s).div_ceil(p) - U256::from(1);
    assert!(value(smallest) >= MIN_STETH_WITHDRAWAL_AMOUNT);
    assert!(value(smallest - U256::from(1)) < MIN_STETH_WITHDRAWAL_AMOUNT);
    assert!(value(largest) <= MAX_STETH_WITHDRAWAL_AMOUNT);
    assert!(value(largest + U256::from(1)) > MAX_STETH_WITHDRAWAL_AMOUNT);
    assert!(smallest < MIN_STETH_WITHDRAWAL_AMOUNT && largest < MAX_STETH_WITHDRAWAL_AMOUNT);

    let below = smallest - U256::from(1);
    assert_eq!(
        w.refused(ALICE, &[ETH, below], Address::ZERO),
        qerr(RequestAmountTooSmall { amountOfStETH: value(below) })
    );
    assert_eq!(
        w.refused(ALICE, &[U256::ZERO], Address::ZERO),
        qerr(RequestAmountTooSmall { amountOfStETH: U256::ZERO })
    );
    let above = largest + U256::from(1);
    assert_eq!(
        w.refused(ALICE, &[above], Address::ZERO),
        qerr(RequestAmountTooLarge { amountOfStETH: value(above) })
    );
    // An amount whose value does not fit 256 bits is too large, not an arithmetic failure.
    assert_eq!(
        w.refused(ALICE, &[U256::MAX], Address::ZERO),
        qerr(RequestAmountTooLarge { amountOfStETH: U256::MAX })
    );
    assert_eq!(w.refused(ALICE, &[], Address::ZERO), qerr(EmptyArray {}));

    // Both bounds are inclusive.
    let ids = w.request_wrapped(ALICE, &[smallest, largest], Address::ZERO).unwrap();
    let statuses = w.p.admin.get_withdrawal_status(ids).unwrap();
    assert_eq!(statuses[0].amountOfStETH, value(smallest));
    assert_eq!(statuses[1].amountOfStETH, value(largest));
    assert_eq!(w.wrapped.balance_of(ALICE), minted - smallest - largest);
}

#[test]
fn the_wrapped_tokens_refusals_pass_through_unchanged() {
    let mut w = World::new();
    let minted = w.wrap(ALICE, eth(10));
    let queue = queue_address();
    // No allowance.
    assert_eq!(
        w.refused(ALICE, &[ETH], Address::ZERO),
        erc20::ERC20InsufficientAllowance { spender: queue, allowance: U256::ZERO, needed: ETH }
            .abi_encode()
    );
    w.approve_queue(ALICE, eth(2));
    assert_eq!(
        w.refused(ALICE, &[ETH, ETH + U256::from(1)], Address::ZERO),
        erc20::ERC20InsufficientAllowance {
            spender: queue,
            allowance: eth(2),
            needed: eth(2) + U256::from(1)
        }
        .abi_encode()
    );
    // Not enough wrapped tokens (the wrapper checks the balance first).
    w.approve_queue(ALICE, U256::MAX);
    assert_eq!(
        w.refused(ALICE, &[eth(6), eth(5)], Address::ZERO),
        erc20::ERC20InsufficientBalance { sender: ALICE, balance: minted, needed: eth(11) }
            .abi_encode()
    );
    assert_eq!(
        w.refused(BOB, &[ETH], Address::ZERO),
        erc20::ERC20InsufficientBalance { sender: BOB, balance: U256::ZERO, needed: ETH }
            .abi_encode()
    );
    // The pool's refusal of the unwrapping's share transfer reaches the caller too, and the
    // transfer to the queue that preceded it is undone with the rest.
    w.p.pool_host.set_sender(ADMIN);
    w.p.pool_admin.stop().unwrap();
    assert_eq!(w.refused(ALICE, &[ETH], Address::ZERO), ProtocolStopped {}.abi_encode());
    w.p.pool_host.set_sender(ADMIN);
    w.p.pool_admin.resume().unwrap();
    w.request_wrapped(ALICE, &[ETH], Address::ZERO).unwrap();
}

#[test]
fn wrapped_requests_wait_while_the_queue_is_paused() {
    let mut w = World::new();
    w.wrap(ALICE, eth(10));
    w.approve_queue(ALICE, U256::MAX);
    w.p.queue_host.set_sender(ADMIN);
    w.p.admin.pause_for(U256::from(3_600)).unwrap();
    assert_eq!(w.refused(ALICE, &[ETH], Address::ZERO), qerr(pausable::ResumedExpected {}));
    w.p.queue_host.set_sender(ADMIN);
    w.p.admin.resume().unwrap();
    assert_eq!(w.request_wrapped(ALICE, &[ETH], Address::ZERO).unwrap(), [U256::from(1)]);
}

// ---------------------------------------------------------------- permits

#[test]
fn wrapped_requests_with_permit_apply_it_and_survive_a_front_run() {
    let mut w = World::new();
    let holder = signer(1).address();
    w.p.stake(holder, eth(20));
    w.wrap(holder, eth(10));
    let queue = queue_address();
    let deadline = U256::from(NOW + 3_600);
    let sign = |w: &World, value: U256| {
        let nonce = w.wrapped.nonces(holder);
        let digest = eip712::typed_data_hash(
            w.wrapped.domain_separator(),
            permit_struct_hash(holder, queue, value, nonce, deadline),
        );
        let (v, r, s) = sign_digest(1, digest);
        PermitInput { value, deadline, v, r, s }
    };
    let request = |w: &mut World, permit: PermitInput| {
        w.transaction(|w| {
            w.p.queue_host.set_sender(holder);
            w.p.queue.request_withdrawals_wrapped_with_permit(vec![ETH, ETH], Address::ZERO, permit)
        })
    };

    let permit = sign(&w, eth(2));
    assert_eq!(request(&mut w, permit.clone()).unwrap(), [1u64, 2].map(U256::from));
    assert_eq!(w.wrapped.nonces(holder), U256::from(1));
    assert_eq!(w.wrapped.allowance(holder, queue), U256::ZERO);
    assert_eq!(w.p.pool.shares_of(queue), eth(2));

    // Someone submits the next permit first: the request goes on with the allowance it set.
    let permit = sign(&w, eth(2));
    w.wrapped_host.set_sender(BOB);
    w.wrapped
        .permit(holder, queue, permit.value, permit.deadline, permit.v, permit.r, permit.s)
        .unwrap();
    assert_eq!(request(&mut w, permit.clone()).unwrap(), [3u64, 4].map(U256::from));

    // A used permit without the allowance: the wrapper's own error comes back.
    w.wrapped_host.set_sender(BOB);
    let refusal = w
        .wrapped
        .permit(holder, queue, permit.value, permit.deadline, permit.v, permit.r, permit.s)
        .unwrap_err();
    let before = w.storage();
    assert_eq!(request(&mut w, permit).unwrap_err(), refusal);
    assert_eq!(before, w.storage());
    assert_eq!(w.p.ledger.get_last_request_id(), U256::from(4));
}

// ---------------------------------------------------------------- finalization and claims

#[test]
fn a_report_finalizes_wrapped_requests_and_claims_pay_their_eth() {
    let mut w = World::new();
    w.report(eth(32) + U256::from(777_777_777_777_777u64), vec![], U256::ZERO);
    let minted = w.wrap(ALICE, eth(60));
    w.approve_queue(ALICE, U256::MAX);
    let amounts = [eth(7) + U256::from(3), U256::from(5_555), eth(11)];
    let alice = w.request_wrapped(ALICE, &amounts, Address::ZERO).unwrap();
    let nominal: Vec<U256> =
        w.p.admin
            .get_withdrawal_status(alice.clone())
            .unwrap()
            .iter()
            .map(|s| s.amountOfStETH)
            .collect();

    // More rewards; the report finalizes all three at the rate before it (as Lido's
    // simulated rate excludes the report's own rewards): each pays the smaller of its
    // nominal ETH and its shares at that rate.
    let rate = w.p.rate();
    w.report(w.cl_balance + eth(1), vec![alice[2]], rate);
    assert_eq!(w.p.ledger.get_last_finalized_request_id(), alice[2]);
    let expected: Vec<U256> = amounts
        .iter()
        .zip(&nominal)
        .map(|(shares, nominal)| (*nominal).min(mul_div(*shares, rate, e27())))
        .collect();
    assert!(w.p.ledger.get_locked_ether_amount() >= expected.iter().copied().sum::<U256>());
    // The report burns the shares as far as its rebase cap allows (the rest later).
    assert!(w.p.pool.shares_of(queue_address()) <= amounts.iter().copied().sum::<U256>());
    let claimable = w.p.admin.get_claimable_ether(alice.clone(), vec![U256::from(1); 3]).unwrap();
    assert_eq!(claimable, expected);
    for (id, amount) in alice.iter().zip(&expected) {
        assert_eq!(w.p.claim(ALICE, &[*id]), *amount);
    }
    assert_eq!(w.p.ledger.balance_of(ALICE), Ok(U256::ZERO));

    // A loss before finalization is borne by the request: Bob's pays at the lower rate.
    w.p.stake(BOB, eth(30));
    w.wrap(BOB, eth(20));
    w.approve_queue(BOB, U256::MAX);
    let bob = w.request_wrapped(BOB, &[eth(4)], Address::ZERO).unwrap();
    let bob_nominal = w.p.admin.get_withdrawal_status(bob.clone()).unwrap()[0].amountOfStETH;
    let after_loss =
        mul_div(w.p.pool.get_total_pooled_ether() - eth(2), e27(), w.p.pool.get_total_shares());
    w.report(w.cl_balance - eth(2), bob.clone(), after_loss);
    let paid = w.p.claim(BOB, &bob);
    assert_eq!(paid, mul_div(eth(4), after_loss, e27()));
    assert!(paid < bob_nominal);
    assert_eq!(w.wrapped.balance_of(ALICE), minted - amounts.iter().copied().sum::<U256>());
}

// ---------------------------------------------------------------- property

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the rate (moved by consensus-layer rewards or losses) and the amounts,
    /// wrapped requests record the pool's value of their shares, never more ETH than the
    /// wrapped tokens given were worth; the queue holds exactly the wrapped total in shares;
    /// and claims after finalization pay at most what was recorded.
    #[test]
    fn wrapped_requests_never_create_value(
        changes in prop::collection::vec(-2_000_000_000i64..6_000_000_000i64, 1..4),
        dust in 0u64..1_000_000_007,
        amounts in prop::collection::vec(
            prop_oneof![50u128..400, 1_000_000u128..1_000_000_000_000, 1_000_000_000_000_000u128..30_000_000_000_000_000_000],
            1..5,
        ),
    ) {
        let mut w = World::new();
        for (i, gwei) in changes.iter().enumerate() {
            let delta = U256::from(gwei.unsigned_abs()) * U256::from(1_000_000_000u64);
            let delta = if i == 0 { delta + U256::from(dust) } else { delta };
            let cl = if *gwei >= 0 { w.cl_balance + delta } else { w.cl_balance - delta };
            w.report(cl, vec![], U256::ZERO);
        }
        let minted = w.wrap(ALICE, eth(150));
        w.approve_queue(ALICE, U256::MAX);
        let amounts: Vec<U256> = amounts.into_iter().map(U256::from).collect();
        let total: U256 = amounts.iter().copied().sum();
        let value_given = w.p.pool.get_pooled_eth_by_shares(total).unwrap();
        // What the shares pay at the oracle's rate for this pool (rounded down), at most a
        // wei below the pool's own valuation.
        let rate = w.p.rate();
        let values: Vec<U256> = amounts.iter().map(|a| mul_div(*a, rate, e27())).collect();
        for (a, v) in amounts.iter().zip(&values) {
            let pool_value = w.p.pool.get_pooled_eth_by_shares(*a).unwrap();
            prop_assert!(*v <= pool_value && pool_value - *v <= U256::from(1));
        }
        let queue = queue_address();

        match w.request_wrapped(ALICE, &amounts, Address::ZERO) {
            Err(err) => {
                let small = values.iter().find(|v| **v < MIN_STETH_WITHDRAWAL_AMOUNT);
                prop_assert_eq!(
                    err,
                    qerr(RequestAmountTooSmall { amountOfStETH: *small.unwrap() })
                );
                prop_assert_eq!(w.p.pool.shares_of(queue), U256::ZERO);
                prop_assert_eq!(w.wrapped.balance_of(ALICE), minted);
            }
            Ok(ids) => {
                prop_assert_eq!(w.p.pool.shares_of(queue), total);
                prop_assert_eq!(w.wrapped.balance_of(ALICE), minted - total);
                let statuses = w.p.admin.get_withdrawal_status(ids.clone()).unwrap();
                let mut recorded = U256::ZERO;
                for (i, status) in statuses.iter().enumerate() {
                    prop_assert_eq!(status.amountOfShares, amounts[i]);
                    prop_assert_eq!(status.amountOfStETH, values[i]);
                    recorded += status.amountOfStETH;
                }
                prop_assert!(recorded <= value_given);
                prop_assert_eq!(w.p.ledger.unfinalized_steth(), Ok(recorded));

                // Finalize at the current rate and claim everything: exactly the nominal.
                w.report(w.cl_balance, vec![*ids.last().unwrap()], rate);
                let paid = w.p.claim(ALICE, &ids);
                prop_assert_eq!(paid, recorded);
                prop_assert!(paid <= value_given);
            }
        }
    }
}
