//! What the tests that run the real pool next to the real queue share: the accounts, and the
//! wiring of the two contracts' extension programs, each on its own contract's host.
#![allow(dead_code)]

use std::{cell::RefCell, rc::Rc};

use alloy_primitives::{address, Address, U256};
use tidepool_common::testing::TestHost;
use tidepool_pool::programs::{PoolAccounting, PoolAdmin};
use tidepool_pool::Pool;
use tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin;
use tidepool_withdrawal_queue::programs::WithdrawalQueueLedger;
use tidepool_withdrawal_queue::WithdrawalQueue;

pub const DEPLOYER: Address = address!("00000000000000000000000000000000000000d0");
pub const ADMIN: Address = address!("00000000000000000000000000000000000000a0");
pub const ORACLE: Address = address!("000000000000000000000000000000000000000a");
pub const VAULT: Address = address!("0000000000000000000000000000000000000022");
pub const REWARDS: Address = address!("0000000000000000000000000000000000000033");
pub const TREASURY: Address = address!("0000000000000000000000000000000000000044");
pub const MODULE: Address = address!("0000000000000000000000000000000000000055");
pub const ACCOUNTING: Address = address!("0000000000000000000000000000000000000acc");
pub const POOL_ADMIN: Address = address!("00000000000000000000000000000000000000ad");
pub const LEDGER: Address = address!("0000000000000000000000000000000000000bed");
pub const QUEUE_ADMIN: Address = address!("000000000000000000000000000000000000a0a0");
pub const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
pub const BOB: Address = address!("0000000000000000000000000000000000000b0b");

pub const ETH: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

pub fn eth(n: u64) -> U256 {
    U256::from(n) * ETH
}

/// The share-rate precision of the queue and the pool's report.
pub fn e27() -> U256 {
    U256::from(10u8).pow(U256::from(27u8))
}

/// Each side's other programs run on its own storage by delegatecall, and each side calls
/// the other at its address: the pool's report calls the queue, requests call the pool.
pub fn wire_pool_and_queue(
    pool_host: &TestHost,
    pool_address: Address,
    queue_host: &TestHost,
    queue_address: Address,
) {
    for target in [ACCOUNTING, POOL_ADMIN] {
        pool_host.set_code(target, vec![0xef, 0xf0, 0x00]);
    }
    pool_host.on_delegate(ACCOUNTING, |host, calldata| host.route::<PoolAccounting>(calldata));
    pool_host.on_delegate(POOL_ADMIN, |host, calldata| host.route::<PoolAdmin>(calldata));
    for target in [LEDGER, QUEUE_ADMIN] {
        queue_host.set_code(target, vec![0xef, 0xf0, 0x00]);
    }
    queue_host.on_delegate(LEDGER, |host, calldata| host.route::<WithdrawalQueueLedger>(calldata));
    queue_host
        .on_delegate(QUEUE_ADMIN, |host, calldata| host.route::<WithdrawalQueueAdmin>(calldata));
    let queue_side = queue_host.clone();
    pool_host.on_call(queue_address, move |call| queue_side.route_call::<WithdrawalQueue>(call));
    let pool_side = pool_host.clone();
    queue_host.on_call(pool_address, move |call| pool_side.route_call::<Pool>(call));
}

/// ETH paid to accounts: `(to, amount)`, in order.
pub type Payments = Rc<RefCell<Vec<(Address, U256)>>>;

/// Makes each `(host, account)` an account that takes ETH sent from that host's contract,
/// logging every payment in the returned list.
pub fn record_payments(accounts: &[(&TestHost, Address)]) -> Payments {
    let payments: Payments = Rc::default();
    for &(host, account) in accounts {
        let log = payments.clone();
        host.on_call(account, move |call| {
            log.borrow_mut().push((account, call.value));
            Ok(vec![])
        });
    }
    payments
}
