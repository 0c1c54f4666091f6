//! Installing contracts on test hosts as the chain has them: a contract's extension programs
//! run on its own storage by delegatecall ([`install`]), and a contract on another host
//! answers calls at its address with its own storage ([`serve`]).

use std::{cell::RefCell, rc::Rc};

use alloy_primitives::{Address, U256};
use tidepool_common::testing::{Program, TestHost};

/// The chain id every test host runs on (the local node's).
pub const CHAIN_ID: u64 = 412_346;
/// The block timestamp test hosts start at.
pub const NOW: u64 = 1_700_000_000;

/// The start of a Stylus program's code: contracts that check their callee has code find it.
pub fn program_code() -> Vec<u8> {
    vec![0xef, 0xf0, 0x00]
}

/// A host for the contract at `address`, on [`CHAIN_ID`] at [`NOW`].
pub fn contract_host(address: Address) -> TestHost {
    let host = TestHost::new();
    host.set_contract_address(address);
    host.set_chain_id(CHAIN_ID);
    host.set_block_timestamp(NOW);
    host
}

/// A host for the contract `DEPLOYER` creates with `nonce`, next to a [`POOL`] that has code
/// (a test mocks its answers), with `DEPLOYER` as the sender: ready for `initialize`.
///
/// [`POOL`]: crate::accounts::POOL
pub fn beside_mocked_pool(nonce: u64) -> TestHost {
    let host = deployed(nonce);
    host.set_code(crate::accounts::POOL, program_code());
    host
}

/// A host for the contract `DEPLOYER` creates with `nonce`, with `DEPLOYER` as the sender:
/// ready for `initialize`.
pub fn deployed(nonce: u64) -> TestHost {
    use crate::accounts::DEPLOYER;
    let host = TestHost::new();
    host.set_contract_address(DEPLOYER.create(nonce));
    host.set_sender(DEPLOYER);
    host
}

/// Gives `at` program code on `host` and makes delegatecalls to it run `P`'s router on `host`'s
/// storage: a contract's extension program, reached through its fallback.
pub fn install<P: Program>(host: &TestHost, at: Address) {
    host.set_code(at, program_code());
    host.on_delegate(at, |host, calldata| host.route::<P>(calldata));
}

/// Makes calls from `from`'s contract to `at` run contract `C` on `host` (its own storage),
/// with the caller and value the call carries, as the chain does; `at` has code on `from`.
pub fn serve<C: Program>(from: &TestHost, at: Address, host: &TestHost) {
    let callee = host.clone();
    from.set_code(at, program_code());
    from.on_call(at, move |call| callee.route_call::<C>(call));
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

/// The addresses the pool's `initialize` takes after the deployer's nonce; by default the
/// accounts of [`crate::accounts`].
#[derive(Clone, Copy, Debug)]
pub struct PoolAccounts {
    /// Admin of every role.
    pub admin: Address,
    /// The oracle.
    pub oracle: Address,
    /// The withdrawal queue.
    pub queue: Address,
    /// The withdrawal vault.
    pub withdrawal_vault: Address,
    /// The rewards vault.
    pub rewards_vault: Address,
    /// The treasury.
    pub treasury: Address,
    /// The staking module.
    pub module: Address,
    /// The accounting program.
    pub accounting: Address,
    /// The admin program.
    pub admin_program: Address,
}

impl Default for PoolAccounts {
    fn default() -> Self {
        Self::with_queue(crate::accounts::QUEUE)
    }
}

impl PoolAccounts {
    /// The calldata of `initialize(nonce, …these addresses)`, for the pool's router: the
    /// front checks the deployer and the two programs, then delegates the rest to
    /// `pool-admin`, so only a routed call runs the whole set-up.
    pub fn initialize_call(&self, nonce: u64) -> Vec<u8> {
        use alloy_sol_types::SolCall as _;
        tidepool_interfaces::IPool::initializeCall {
            deployer_nonce: nonce,
            admin: self.admin,
            oracle: self.oracle,
            withdrawal_queue: self.queue,
            withdrawal_vault: self.withdrawal_vault,
            rewards_vault: self.rewards_vault,
            treasury: self.treasury,
            staking_module: self.module,
            accounting_contract: self.accounting,
            admin_contract: self.admin_program,
        }
        .abi_encode()
    }

    /// The standard accounts, with the queue at `queue`.
    pub fn with_queue(queue: Address) -> Self {
        use crate::accounts::*;
        Self {
            admin: ADMIN,
            oracle: ORACLE,
            queue,
            withdrawal_vault: WITHDRAWAL_VAULT,
            rewards_vault: REWARDS_VAULT,
            treasury: TREASURY,
            module: MODULE,
            accounting: ACCOUNTING,
            admin_program: POOL_ADMIN,
        }
    }
}
