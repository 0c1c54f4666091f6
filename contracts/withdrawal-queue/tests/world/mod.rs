//! What the tests that run the real pool next to the real queue share: the two contracts
//! installed and wired on their own hosts, initialised, with accounts that take ETH.
#![allow(dead_code, clippy::unwrap_used)]

use alloy_primitives::{Address, U256};
use tidepool_pool::programs::{PoolAccounting, PoolAdmin};
use tidepool_pool::{roles as pool_roles, Pool};
pub use tidepool_testing::*;
use tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin;
use tidepool_withdrawal_queue::programs::WithdrawalQueueLedger;
use tidepool_withdrawal_queue::WithdrawalQueue;

/// Short names for the pool's vaults.
pub const VAULT: Address = WITHDRAWAL_VAULT;
pub const REWARDS: Address = REWARDS_VAULT;

pub fn pool_address() -> Address {
    DEPLOYER.create(0)
}

pub fn queue_address() -> Address {
    DEPLOYER.create(1)
}

/// Each side's other programs run on its own storage by delegatecall, and each side calls
/// the other at its address: the pool's report calls the queue, requests call the pool.
pub fn wire_pool_and_queue(pool_host: &TestHost, queue_host: &TestHost) {
    install::<PoolAccounting>(pool_host, ACCOUNTING);
    install::<PoolAdmin>(pool_host, POOL_ADMIN);
    install::<WithdrawalQueueLedger>(queue_host, LEDGER);
    install::<WithdrawalQueueAdmin>(queue_host, QUEUE_ADMIN);
    serve::<WithdrawalQueue>(pool_host, queue_address(), queue_host);
    serve::<Pool>(queue_host, pool_address(), pool_host);
}

/// The real pool (`DEPLOYER`'s first contract) and the real queue (its second), each on its
/// own host, wired both ways and initialised: the pool with 1 ETH of initial stake and its
/// deposit role granted to `ADMIN`.
pub struct Protocol {
    pub pool_host: TestHost,
    pub queue_host: TestHost,
    pub pool: Pool,
    pub accounting: PoolAccounting,
    pub pool_admin: PoolAdmin,
    pub queue: WithdrawalQueue,
    pub ledger: WithdrawalQueueLedger,
    pub admin: WithdrawalQueueAdmin,
    /// ETH each account received: `(to, amount)`.
    pub received: Payments,
}

impl Protocol {
    /// The queue's wrapped token is `wrapped`; the staking module takes ETH from the pool,
    /// and `payees` from the queue.
    pub fn new(wrapped: Address, payees: &[Address]) -> Self {
        let pool_host = contract_host(pool_address());
        let queue_host = contract_host(queue_address());
        wire_pool_and_queue(&pool_host, &queue_host);
        let mut accounts = vec![(&pool_host, MODULE)];
        accounts.extend(payees.iter().map(|payee| (&queue_host, *payee)));
        let received = record_payments(&accounts);

        // Each contract's programs over its own host (storage).
        let (pool, accounting, pool_admin) =
            (Pool::from(&pool_host), PoolAccounting::from(&pool_host), PoolAdmin::from(&pool_host));
        let (queue, ledger, admin) = (
            WithdrawalQueue::from(&queue_host),
            WithdrawalQueueLedger::from(&queue_host),
            WithdrawalQueueAdmin::from(&queue_host),
        );
        let mut p = Protocol {
            pool_host,
            queue_host,
            pool,
            accounting,
            pool_admin,
            queue,
            ledger,
            admin,
            received,
        };
        p.pool_host.set_sender(DEPLOYER);
        p.pool_host.set_value(ETH);
        let init = PoolAccounts::with_queue(queue_address()).initialize_call(0);
        p.pool_host.route::<Pool>(&init).unwrap();
        p.pool_host.set_value(U256::ZERO);
        p.pool_host.set_sender(ADMIN);
        p.pool_admin.grant_role(pool_roles::DEPOSIT_ROLE, ADMIN).unwrap();
        p.queue_host.set_sender(DEPLOYER);
        p.queue.initialize(1, ADMIN, pool_address(), wrapped, LEDGER, QUEUE_ADMIN).unwrap();
        p
    }

    /// `who` stakes `amount`.
    pub fn stake(&mut self, who: Address, amount: U256) {
        self.pool_host.set_sender(who);
        self.pool_host.set_value(amount);
        self.pool.submit(Address::ZERO).unwrap();
        self.pool_host.set_value(U256::ZERO);
    }

    /// `who` stakes `amount` and lets the queue take all its tokens.
    pub fn stake_and_approve_queue(&mut self, who: Address, amount: U256) {
        self.stake(who, amount);
        self.pool.approve(queue_address(), U256::MAX).unwrap();
    }

    /// `who` asks to withdraw `amounts` for itself; the request ids.
    pub fn request(&mut self, who: Address, amounts: &[U256]) -> Vec<U256> {
        self.queue_host.set_sender(who);
        self.queue.request_withdrawals(amounts.to_vec(), Address::ZERO).unwrap()
    }

    /// The pool's share rate in 1e27 precision, rounded down.
    pub fn rate(&self) -> U256 {
        mul_div(self.pool.get_total_pooled_ether(), e27(), self.pool.get_total_shares())
    }

    /// An oracle report a day after `NOW` of `validators` at `cl_balance`, finalizing up to
    /// the last of `batches` at `rate`.
    pub fn report(&mut self, validators: u64, cl_balance: U256, batches: Vec<U256>, rate: U256) {
        self.pool_host.set_sender(ORACLE);
        self.accounting
            .handle_oracle_report(
                U256::from(NOW + 86_400),
                U256::from(86_400),
                U256::from(validators),
                cl_balance,
                U256::ZERO,
                U256::ZERO,
                batches,
                rate,
            )
            .unwrap();
    }

    /// Claims `ids` for `who`; returns the ETH `who` received by it.
    pub fn claim(&mut self, who: Address, ids: &[U256]) -> U256 {
        let last = self.ledger.get_last_checkpoint_index();
        let hints = self.admin.find_checkpoint_hints(ids.to_vec(), U256::from(1), last).unwrap();
        let before = self.received.borrow().len();
        self.queue_host.set_sender(who);
        self.queue.claim_withdrawals(ids.to_vec(), hints).unwrap();
        self.received.borrow()[before..].iter().filter(|(to, _)| *to == who).map(|(_, v)| *v).sum()
    }
}
