//! The real pool (its three programs on one host) and the real queue (its three programs on
//! another) calling each other natively, as on chain: requests take pool shares through the
//! pool's `transferSharesFrom`, deposits keep `unfinalizedStETH` in the buffer, and the
//! oracle report finalizes requests through `prefinalize` and `finalize` (with the ETH) and
//! burns their shares, after which claims pay ETH out.

#![allow(clippy::unwrap_used)]

mod world;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::SolEvent;
use tidepool_common::testing::TestHost;
use tidepool_pool::programs::{PoolAccounting, PoolAdmin};
use tidepool_pool::{events as pool_events, roles as pool_roles, Pool};
use tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin;
use tidepool_withdrawal_queue::programs::WithdrawalQueueLedger;
use tidepool_withdrawal_queue::{events::*, WithdrawalQueue};
use world::*;

/// The wrapped token: not used here (see `wrapped_requests.rs`).
const WRAPPED: Address = address!("00000000000000000000000000000000000000b2");

struct World {
    pool_host: TestHost,
    queue_host: TestHost,
    pool: Pool,
    accounting: PoolAccounting,
    pool_admin: PoolAdmin,
    queue: WithdrawalQueue,
    ledger: WithdrawalQueueLedger,
    admin: WithdrawalQueueAdmin,
    /// ETH each account received: `(to, amount)`.
    received: world::Payments,
}

impl World {
    fn new() -> Self {
        let (pool_address, queue_address) = (DEPLOYER.create(0), DEPLOYER.create(1));
        let pool_host = TestHost::new();
        let queue_host = TestHost::new();
        for (host, address) in [(&pool_host, pool_address), (&queue_host, queue_address)] {
            host.set_contract_address(address);
            host.set_chain_id(412346);
            host.set_block_timestamp(1_700_000_000);
        }
        world::wire_pool_and_queue(&pool_host, pool_address, &queue_host, queue_address);
        // Accounts that take ETH: the staking module from the pool, users from the queue.
        let received = world::record_payments(&[
            (&pool_host, MODULE),
            (&queue_host, ALICE),
            (&queue_host, BOB),
        ]);

        let mut world = World {
            pool: Pool::from(&pool_host),
            accounting: PoolAccounting::from(&pool_host),
            pool_admin: PoolAdmin::from(&pool_host),
            queue: WithdrawalQueue::from(&queue_host),
            ledger: WithdrawalQueueLedger::from(&queue_host),
            admin: WithdrawalQueueAdmin::from(&queue_host),
            pool_host,
            queue_host,
            received,
        };
        world.pool_host.set_sender(DEPLOYER);
        world.pool_host.set_value(ETH);
        world
            .pool
            .initialize(
                0,
                ADMIN,
                ORACLE,
                queue_address,
                VAULT,
                REWARDS,
                TREASURY,
                MODULE,
                ACCOUNTING,
                POOL_ADMIN,
            )
            .unwrap();
        world.pool_host.set_value(U256::ZERO);
        world.pool_host.set_sender(ADMIN);
        world.pool_admin.grant_role(pool_roles::DEPOSIT_ROLE, ADMIN).unwrap();
        world.queue_host.set_sender(DEPLOYER);
        world.queue.initialize(1, ADMIN, pool_address, WRAPPED, LEDGER, QUEUE_ADMIN).unwrap();
        world
    }

    fn pool_address(&self) -> Address {
        self.pool_host.snapshot().contract_address
    }

    fn queue_address(&self) -> Address {
        self.queue_host.snapshot().contract_address
    }

    fn stake(&mut self, who: Address, amount: U256) {
        self.pool_host.set_sender(who);
        self.pool_host.set_value(amount);
        self.pool.submit(Address::ZERO).unwrap();
        self.pool_host.set_value(U256::ZERO);
        let queue = self.queue_address();
        self.pool.approve(queue, U256::MAX).unwrap();
    }

    fn request(&mut self, who: Address, amounts: &[U256]) -> Vec<U256> {
        self.queue_host.set_sender(who);
        self.queue.request_withdrawals(amounts.to_vec(), Address::ZERO).unwrap()
    }

    fn rate(&self) -> U256 {
        self.pool.get_total_pooled_ether() * e27() / self.pool.get_total_shares()
    }

    fn report(&mut self, validators: u64, cl_balance: U256, batches: Vec<U256>, rate: U256) {
        self.pool_host.set_sender(ORACLE);
        self.accounting
            .handle_oracle_report(
                U256::from(1_700_086_400u64),
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

    fn claim(&mut self, who: Address, ids: &[U256]) {
        let last = self.ledger.get_last_checkpoint_index();
        let hints = self.admin.find_checkpoint_hints(ids.to_vec(), U256::from(1), last).unwrap();
        self.queue_host.set_sender(who);
        self.queue.claim_withdrawals(ids.to_vec(), hints).unwrap();
    }
}

fn events<E: SolEvent>(host: &TestHost) -> Vec<E> {
    host.events()
}

#[test]
fn the_pools_report_finalizes_requests_and_claims_pay_them() {
    let mut w = World::new();
    w.stake(ALICE, eth(40));
    w.stake(BOB, eth(10));
    let queue = w.queue_address();

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
    let _ = w.pool_address();
}
