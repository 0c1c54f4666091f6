//! Test harness: the queue's three programs on one `TestHost` (the storage they share), and a
//! small model of the pool token answering the queue's calls, so each test controls the share
//! rate, balances, allowances and failures exactly.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use alloy_primitives::{address, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::stylus_core::host::AccountAccess;
use tidepool_pool::errors::{ERC20InsufficientAllowance, InsufficientShares, ProtocolStopped};
pub use tidepool_testing::*;
use tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin;
use tidepool_withdrawal_queue::programs::WithdrawalQueueLedger;
use tidepool_withdrawal_queue::{calls::IPoolToken, roles, QueueError, WithdrawalQueue};

/// The pool, answered by [`FakePool`].
pub const POOL: Address = address!("00000000000000000000000000000000000000b1");
/// The wrapped token's address; nothing answers there unless a test installs a handler.
pub const WRAPPED: Address = address!("00000000000000000000000000000000000000b2");
/// The queue's admin program (the name `initialize` and `getQueueContracts` use).
pub const ADMIN_CONTRACT: Address = QUEUE_ADMIN;
/// Accounts that accept ETH.
pub const USERS: [Address; 4] = [ALICE, BOB, CAROL, DAVE];
/// An account whose every call reverts: it refuses ETH.
pub const REJECTER: Address = address!("0000000000000000000000000000000000000666");

/// Revert data of a queue error.
pub fn qerr(e: impl Into<QueueError>) -> Vec<u8> {
    e.into().into()
}

/// Revert data of `account` lacking `role`.
pub fn unauthorized(account: Address, role: B256) -> Vec<u8> {
    qerr(tidepool_common::access_control::AccessControlUnauthorizedAccount {
        account,
        neededRole: role,
    })
}

/// Revert data of any `sol!` error.
pub fn serr<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}

sol! {
    /// A ticket receiver's callback, to decode what the queue sent.
    function onERC721Received(address operator, address from, uint256 tokenId, bytes data) returns (bytes4);
}

// ---------------------------------------------------------------- the pool token

/// The pool token as the queue sees it: a share ledger with totals, allowances in token
/// units, `transferSharesFrom` spending `ceil(shares × P / S)` of allowance (as the pool
/// does), and a permit that sets the allowance unless told to fail.
#[derive(Debug)]
pub struct FakePool {
    pub total_shares: U256,
    pub total_pooled: U256,
    pub shares: HashMap<Address, U256>,
    pub allowances: HashMap<(Address, Address), U256>,
    pub stopped: bool,
    /// Every permit reverts with this data.
    pub permit_revert: Option<Vec<u8>>,
    /// Views answer with this (malformed) data.
    pub broken_views: bool,
    /// Each applied report's time (`getRateReport`'s third word) and the rate per 1e18
    /// shares it left (the second), in order.
    pub reports_applied: Vec<(u64, U256)>,
    /// `transferSharesFrom` credits the recipient this many shares fewer than it takes (a
    /// pool that does not deliver what it says).
    pub short_transfer: U256,
    /// ETH received through `receiveWithdrawalSurplus`.
    pub surplus_received: U256,
}

impl Default for FakePool {
    fn default() -> Self {
        Self {
            total_shares: eth(1_000_000),
            total_pooled: eth(1_000_000),
            shares: HashMap::new(),
            allowances: HashMap::new(),
            stopped: false,
            permit_revert: None,
            broken_views: false,
            reports_applied: vec![],
            short_transfer: U256::ZERO,
            surplus_received: U256::ZERO,
        }
    }
}

impl FakePool {
    pub fn shares_of(&self, who: Address) -> U256 {
        self.shares.get(&who).copied().unwrap_or_default()
    }

    fn word(&self, x: U256) -> Result<Vec<u8>, Vec<u8>> {
        if self.broken_views {
            Ok(vec![1, 2, 3])
        } else {
            Ok(x.to_be_bytes::<32>().to_vec())
        }
    }

    pub fn handle(&mut self, call: &IncomingCall) -> Result<Vec<u8>, Vec<u8>> {
        let data = &call.calldata;
        let selector: [u8; 4] = data[..4].try_into().unwrap();
        match selector {
            // The queue's pricing and the wrapped token's conversions read both totals in one
            // call; the single-total views are left unanswered so a second call would show.
            tidepool_interfaces::IPool::getTotalSharesAndPooledEtherCall::SELECTOR => {
                if self.broken_views {
                    Ok(vec![1, 2, 3])
                } else {
                    Ok((self.total_shares, self.total_pooled).abi_encode_params())
                }
            }
            IPoolToken::sharesOfCall::SELECTOR => {
                let c = IPoolToken::sharesOfCall::abi_decode(data).unwrap();
                self.word(self.shares_of(c.account))
            }
            IPoolToken::getRateReportCountCall::SELECTOR => {
                self.word(U256::from(self.reports_applied.len()))
            }
            IPoolToken::getRateReportCall::SELECTOR => {
                let c = IPoolToken::getRateReportCall::abi_decode(data).unwrap();
                let (applied, rate) = usize::try_from(c.index)
                    .ok()
                    .and_then(|i| self.reports_applied.get(i))
                    .copied()
                    .ok_or_else(Vec::new)?;
                Ok((U256::from(applied), rate, U256::from(applied)).abi_encode_params())
            }
            IPoolToken::allowanceCall::SELECTOR => {
                let c = IPoolToken::allowanceCall::abi_decode(data).unwrap();
                self.word(self.allowances.get(&(c.owner, c.spender)).copied().unwrap_or_default())
            }
            IPoolToken::transferSharesFromCall::SELECTOR => {
                assert!(!call.is_static);
                let c = IPoolToken::transferSharesFromCall::abi_decode(data).unwrap();
                if self.stopped {
                    return Err(ProtocolStopped {}.abi_encode());
                }
                let spender = call.caller;
                let cost = mul_div_up(c.shares_amount, self.total_pooled, self.total_shares);
                let allowance =
                    self.allowances.get(&(c.from, spender)).copied().unwrap_or_default();
                if allowance < cost {
                    return Err(ERC20InsufficientAllowance { spender, allowance, needed: cost }
                        .abi_encode());
                }
                let held = self.shares_of(c.from);
                if held < c.shares_amount {
                    return Err(InsufficientShares {
                        account: c.from,
                        shares: held,
                        needed: c.shares_amount,
                    }
                    .abi_encode());
                }
                if allowance != U256::MAX {
                    self.allowances.insert((c.from, spender), allowance - cost);
                }
                self.shares.insert(c.from, held - c.shares_amount);
                *self.shares.entry(c.to).or_default() += c.shares_amount - self.short_transfer;
                self.total_shares -= self.short_transfer;
                Ok(mul_div(c.shares_amount, self.total_pooled, self.total_shares)
                    .to_be_bytes::<32>()
                    .to_vec())
            }
            IPoolToken::receiveWithdrawalSurplusCall::SELECTOR => {
                assert!(!call.is_static);
                self.surplus_received += call.value;
                Ok(vec![])
            }
            IPoolToken::permitCall::SELECTOR => {
                let c = IPoolToken::permitCall::abi_decode(data).unwrap();
                if let Some(reason) = &self.permit_revert {
                    return Err(reason.clone());
                }
                self.allowances.insert((c.owner, c.spender), c.value);
                Ok(vec![])
            }
            _ => Err(vec![]),
        }
    }
}

// ---------------------------------------------------------------- the queue

/// Installs the queue's ledger and admin programs on `vm` at `LEDGER` and `ADMIN_CONTRACT`.
pub fn install_queue_programs(vm: &TestHost) {
    install::<WithdrawalQueueLedger>(vm, LEDGER);
    install::<WithdrawalQueueAdmin>(vm, ADMIN_CONTRACT);
}

/// A queue initialised by `DEPLOYER` for `POOL` and `WRAPPED`, both roles granted to `ADMIN`, and a pool
/// model in which every user holds 10,000 ETH of tokens and lets the queue spend them.
///
/// `ledger` and `admin` are the queue's other two programs over the same host (same storage,
/// sender and value): calling them directly is what the fallbacks do by delegatecall, which
/// the host also runs (see [`Env::route`]).
pub struct Env {
    pub vm: TestHost,
    pub queue: WithdrawalQueue,
    pub ledger: WithdrawalQueueLedger,
    pub admin: WithdrawalQueueAdmin,
    pub pool: Rc<RefCell<FakePool>>,
}

impl Env {
    pub fn new() -> Self {
        let mut env = Self::uninitialised();
        env.vm.set_sender(DEPLOYER);
        env.queue.initialize(0, ADMIN, POOL, WRAPPED, LEDGER, ADMIN_CONTRACT).expect("initialize");
        for role in [roles::PAUSE_ROLE, roles::RESUME_ROLE, roles::SWEEP_SURPLUS_ROLE] {
            env.as_(ADMIN);
            env.admin.grant_role(role, ADMIN).expect("grant");
        }
        for user in USERS {
            env.fund(user, eth(10_000));
        }
        env.clear_logs();
        env
    }

    /// The three programs and the pool model, before `initialize`.
    pub fn uninitialised() -> Self {
        let vm = contract_host(DEPLOYER.create(0));
        let queue = WithdrawalQueue::from(&vm);
        let ledger = WithdrawalQueueLedger::from(&vm);
        let admin = WithdrawalQueueAdmin::from(&vm);
        install_queue_programs(&vm);
        let pool = Rc::new(RefCell::new(FakePool::default()));
        let model = pool.clone();
        vm.on_call(POOL, move |call| model.borrow_mut().handle(call));
        for user in USERS {
            vm.on_call(
                user,
                |call| if call.calldata.is_empty() { Ok(vec![]) } else { Err(vec![]) },
            );
        }
        vm.on_call(REJECTER, |_| Err(vec![]));
        Self { vm, queue, ledger, admin, pool }
    }

    /// The queue's own address.
    pub fn address(&self) -> Address {
        self.vm.snapshot().contract_address
    }

    /// Next calls come from `who` with no value.
    pub fn as_(&self, who: Address) {
        self.vm.set_sender(who);
        self.vm.set_value(U256::ZERO);
    }

    /// Gives `who` tokens worth `amount` at the current rate and an infinite allowance for
    /// the queue.
    pub fn fund(&self, who: Address, amount: U256) {
        let queue = self.address();
        let mut pool = self.pool.borrow_mut();
        let shares = mul_div(amount, pool.total_shares, pool.total_pooled);
        *pool.shares.entry(who).or_default() += shares;
        pool.total_shares += shares;
        pool.total_pooled += amount;
        pool.allowances.insert((who, queue), U256::MAX);
    }

    /// Moves the pool's rate: every share is now worth `numerator / denominator` of what it
    /// was (a rebase).
    pub fn rebase(&self, numerator: u64, denominator: u64) {
        let mut pool = self.pool.borrow_mut();
        pool.total_pooled =
            mul_div(pool.total_pooled, U256::from(numerator), U256::from(denominator));
    }

    /// The pool applies a report now (the rate the test set stands from here on): a new
    /// report period begins for the queue's batches.
    pub fn report_applied(&self) {
        let now = self.vm.snapshot().block_timestamp;
        let mut pool = self.pool.borrow_mut();
        let rate = mul_div(pool.total_pooled, eth(1), pool.total_shares);
        pool.reports_applied.push((now, rate));
    }

    /// The pool's share rate in 1e27 precision, rounded down.
    pub fn rate(&self) -> U256 {
        let pool = self.pool.borrow();
        mul_div(pool.total_pooled, e27(), pool.total_shares)
    }

    pub fn request(
        &mut self,
        who: Address,
        amounts: &[U256],
        owner: Address,
    ) -> Result<Vec<U256>, Vec<u8>> {
        self.as_(who);
        self.queue.request_withdrawals(amounts.to_vec(), owner)
    }

    /// One request of `amount` by `who` for itself; its id.
    pub fn request_one(&mut self, who: Address, amount: U256) -> U256 {
        self.request(who, &[amount], Address::ZERO).expect("request")[0]
    }

    /// `finalize` as the pool, sending `value` (the queue's balance grows by it if it
    /// succeeds: the host does not move ETH itself).
    pub fn finalize(&mut self, last_id: U256, rate: U256, value: U256) -> Result<(), QueueError> {
        self.vm.set_sender(POOL);
        self.vm.set_value(value);
        let result = self.ledger.finalize(last_id, rate);
        self.vm.set_value(U256::ZERO);
        if result.is_ok() {
            self.add_balance(value);
        }
        result
    }

    /// The queue's ETH balance.
    pub fn balance(&self) -> U256 {
        self.vm.balance(self.address())
    }

    /// Adds `amount` to the queue's ETH balance (what arrived with a call, or was forced in).
    pub fn add_balance(&self, amount: U256) {
        self.vm.set_balance(self.address(), self.balance() + amount);
    }

    /// `sweepSurplus(max_requests)` as `ADMIN`; the queue's balance drops by what it sent.
    pub fn sweep(&mut self, max_requests: U256) -> Result<U256, Vec<u8>> {
        self.as_(ADMIN);
        let swept = self.admin.sweep_surplus(max_requests)?;
        self.vm.set_balance(self.address(), self.balance() - swept);
        Ok(swept)
    }

    /// Finalizes up to `last_id` at `rate` the way the pool does: `prefinalize` with the
    /// batches the oracle's calculation gives, then `finalize` with the ETH it asks for.
    /// Returns `(ethToLock, sharesToBurn)`.
    pub fn finalize_to(&mut self, last_id: U256, rate: U256) -> (U256, U256) {
        let batches = self.batches_to(last_id, rate);
        let (eth_to_lock, shares) = self.ledger.prefinalize(batches, rate).expect("prefinalize");
        self.finalize(last_id, rate, eth_to_lock).expect("finalize");
        (eth_to_lock, shares)
    }

    /// `calculateFinalizationBatches` at `rate`, with an unlimited budget and no time limit,
    /// looking at `per_call` requests a call, called until it is finished: the final state
    /// and how many calls it took.
    pub fn calculate_batches(
        &self,
        rate: U256,
        per_call: u64,
    ) -> (tidepool_withdrawal_queue::programs::BatchesCalculationState, usize) {
        let mut state = tidepool_withdrawal_queue::programs::BatchesCalculationState {
            remainingEthBudget: U256::MAX,
            finished: false,
            batches: vec![],
        };
        let mut calls = 0;
        while !state.finished {
            state = self
                .admin
                .calculate_finalization_batches(rate, U256::MAX, U256::from(per_call), state)
                .expect("batches");
            calls += 1;
        }
        (state, calls)
    }

    /// The batch ends `calculateFinalizationBatches` gives for requests up to `last_id` at
    /// `rate` with an unlimited budget, cut at `last_id`.
    pub fn batches_to(&self, last_id: U256, rate: U256) -> Vec<U256> {
        let (state, _) = self.calculate_batches(rate, 3);
        let mut batches: Vec<U256> = state.batches.into_iter().filter(|b| *b < last_id).collect();
        batches.push(last_id);
        batches
    }

    /// Hints for `ids` (in any order) over every checkpoint.
    pub fn hints(&self, ids: &[U256]) -> Vec<U256> {
        let last = self.ledger.get_last_checkpoint_index();
        ids.iter()
            .map(|id| {
                self.admin.find_checkpoint_hints(vec![*id], U256::from(1), last).expect("hints")[0]
            })
            .collect()
    }

    pub fn claim(&mut self, who: Address, ids: &[U256]) -> Result<(), QueueError> {
        let hints = self.hints(ids);
        self.as_(who);
        self.queue.claim_withdrawals(ids.to_vec(), hints)
    }

    /// ETH sent by the queue so far: `(recipient, amount)` of every call with value.
    pub fn payments(&self) -> Vec<(Address, U256)> {
        self.vm
            .calls()
            .into_iter()
            .filter(|(_, _, value)| !value.is_zero())
            .map(|(to, _, value)| (to, value))
            .collect()
    }

    /// Decoded events of type `E` emitted so far.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.vm.events()
    }

    /// Forgets logs and recorded calls (the handlers stay).
    pub fn clear_logs(&self) {
        self.vm.clear_mocks();
        self.vm.clear_calls();
    }

    /// Runs `f` and asserts that it failed and left the queue's storage exactly as it was;
    /// returns the revert data.
    pub fn reverts_unchanged<T: core::fmt::Debug, E: Into<Vec<u8>>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Vec<u8> {
        let before = self.vm.snapshot().storage;
        let err = f(self).expect_err("call should revert");
        assert_eq!(before, self.vm.snapshot().storage, "a failed call changed storage");
        err.into()
    }

    /// [`Env::reverts_unchanged`] for a call from `who`.
    pub fn reverts_unchanged_as<T: core::fmt::Debug, E: Into<Vec<u8>>>(
        &mut self,
        who: Address,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Vec<u8> {
        self.reverts_unchanged(|e| {
            e.as_(who);
            f(e)
        })
    }

    /// Routes raw calldata through the queue's ABI router as a transaction from `from` with
    /// `value` would; selectors the queue does not know reach the ledger and then the admin
    /// program through the fallbacks' delegatecalls.
    pub fn route(&self, from: Address, value: U256, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.vm.enter(from, value, || self.vm.route::<WithdrawalQueue>(&calldata))
    }

    /// Storage slots, for "nothing changed" checks across several calls.
    pub fn storage(&self) -> HashMap<U256, B256> {
        self.vm.snapshot().storage
    }
}
