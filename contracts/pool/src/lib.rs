//! Tidepool's deposit pool and rebasing token (the stETH role).
//!
//! Balances are shares: `balanceOf(a) = sharesOf(a) * totalPooledEther / totalShares`, so an
//! oracle report that changes `totalPooledEther` rebases every holder in one storage write.
//! `totalPooledEther = bufferedEther + clBalance + transientEther`, where transient ETH is the
//! 32 ETH per validator deposited but not yet seen by the oracle.
//!
//! Rounding rules (all favour the protocol or the recipient, never the caller):
//! - staking mints `floor(amount * S / P)` shares at the pre-deposit rate;
//! - `transfer(to, amount)` moves `ceil(amount * S / P)` shares, so `to`'s balance rises by at
//!   least `amount` (Lido's stETH can deliver 1–2 wei less). It reverts unless
//!   `amount <= balanceOf(from)`, which also bounds the shares moved by `sharesOf(from)`;
//! - `transferSharesFrom` spends `ceil(shares * P / S)` of allowance.
//!
//! # Why the pool is three programs
//! Nitro refuses programs over 24,576 bytes of compressed code, and the whole pool compiles
//! to about 32 KB, so it is deployed as three programs (the table is `crates/programs`). The
//! `pool` program ([`programs::pool`]) keeps what users call every day (the token, permits,
//! shares and staking); its `#[fallback]` delegatecalls `pool-accounting`
//! ([`programs::pool_accounting`]: oracle reports, deposits), whose fallback delegatecalls
//! `pool-admin` ([`programs::pool_admin`]: configuration, switches, roles). A report costs one
//! delegatecall, a configuration change two. Integrators see one address and one ABI
//! (`abi/IPool.sol`, which names the program serving each function).
//!
//! # Storage
//! [`programs::pool_accounting::PoolAccounting`] and [`programs::pool_admin::PoolAdmin`] each
//! have exactly one field, this crate's [`Pool`], so under the pool's delegatecall every field
//! is read and written at the pool's slots. The helpers all programs share are methods of
//! [`Pool`] (`accounting`, `deposits`, `stake_limit`, `staking`, `token`). Native tests run
//! the three programs over one `TestVM` to check this.
//!
//! `initialize` is served by `pool-admin` too: the front only proves the caller deployed the
//! pool and records the two program addresses (before them it cannot delegate), so the
//! one-time set-up is not part of the code every transfer enters.
//!
//! # Called at their own addresses
//! The other two programs' own storage is never initialised (`pool-admin`'s `initialize`
//! refuses to run unless the pool's front has just checked the deployer), so a direct call
//! finds no oracle, no roles, no admin program and no funds:
//! every state-changing function reverts (`NotOracle`, `AccessControlUnauthorizedAccount`,
//! `NotInitialized`) and the views read zeros.
//!
//! # Reentrancy
//! The pool is built with the SDK's reentrancy guard off, because vaults pay it back through
//! `receiveVaultFunds` while a report runs. Every state-changing entry point therefore
//! rejects reentrant calls itself ([`Pool::non_reentrant`]), and `receiveVaultFunds` accepts
//! only reentrant calls from a vault, i.e. pulls the pool started. Nitro flags a call as
//! reentrant when its acting address already has an open called frame (delegated frames do
//! not count), so under the pool's delegatecall the flag is the one the pool's own frame
//! sees: the pool's fallback checks it once, before delegating ([`Delegate::REENTRANT_CALL`]),
//! so no accounting or admin function, views included, runs inside a call the pool itself
//! made.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

mod accounting;
mod deposits;
pub mod errors;
pub mod events;
pub mod interfaces;
pub mod programs;
mod stake_limit;
mod staking;
mod token;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU128, StorageU16, StorageU256, StorageU32,
        StorageU64, StorageU96, StorageVec,
    },
};
use tidepool_common::{
    abi::{emit, AsWord},
    access_control::AccessControl,
    erc20::Allowances,
    initializable,
    permit::Permit,
    program::{Delegate, RevertData},
};

pub use errors::PoolError;
use errors::*;
use events::*;

/// ERC-20 name, also the EIP-712 domain name.
pub const NAME: &str = "Tidepool Staked Ether";
/// ERC-20 symbol.
pub const SYMBOL: &str = "tpETH";
/// EIP-712 domain version.
pub const VERSION: &str = "1";
/// Where the initial shares are locked forever ("stone in the elevator").
pub const INITIAL_HOLDER: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad]);
/// ETH each validator deposit takes.
pub const DEPOSIT_SIZE: U256 = U256::from_limbs([0xbc16_d674_ec80_0000, 1, 0, 0]);
/// Lido mainnet's cap on one report's share-rate increase: 0.075% in 1e9 precision.
pub const DEFAULT_MAX_POSITIVE_REBASE: u64 = 750_000;
/// Lido mainnet's protocol fee split: 5% treasury and 5% node operators.
pub const DEFAULT_TREASURY_FEE_BP: u16 = 500;
/// See [`DEFAULT_TREASURY_FEE_BP`].
pub const DEFAULT_MODULE_FEE_BP: u16 = 500;

/// Roles: `keccak256` of their names, declared once in `tidepool-interfaces`.
pub use tidepool_interfaces::roles::pool as roles;

/// Every event and error of the pool, with parameter names, for `abi/IPool.sol` and
/// `abi/Pool.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The pool's events and errors, and its `receive`.
    pub fn items() -> Items {
        PoolError::abi_items(events::abi_events(Items::new())).receive()
    }
}

/// The pool's storage, and the `pool` program's type. Small fields are grouped so each group
/// packs into one slot.
#[storage]
pub struct Pool {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    pub(crate) permit: Permit,

    pub(crate) shares: StorageMap<Address, StorageU256>,
    pub(crate) allowances: Allowances,
    // The totals every balance, transfer and stake reads, packed into two slots (two cold
    // reads instead of four on each of those calls): 128 bits each hold any amount of ether
    // in wei (2^128 wei is 3.4e20 ETH) and any share total a rate of at least 1e-12 ETH per
    // share gives; the setters refuse more (`ArithmeticFailed`) rather than wrap.
    // One slot: the share total and the buffer.
    total_shares: StorageU128,
    buffered_ether: StorageU128,
    // One slot: the beacon balance and the validator counts.
    pub(crate) cl_balance: StorageU128,
    pub(crate) deposited_validators: StorageU64,
    pub(crate) cl_validators: StorageU64,
    /// Shares of finalised withdrawal requests, still held by the queue, whose burning the
    /// positive-rebase cap deferred to a later report.
    pub(crate) shares_pending_burn: StorageU256,

    // One slot: Lido's packed stake-limit state.
    pub(crate) prev_stake_limit: StorageU96,
    pub(crate) prev_stake_block: StorageU32,
    pub(crate) max_stake_limit: StorageU96,
    pub(crate) max_stake_limit_growth_blocks: StorageU32,

    // One slot: switches and fees.
    pub(crate) stopped: StorageBool,
    pub(crate) staking_paused: StorageBool,
    pub(crate) treasury_fee_bp: StorageU16,
    pub(crate) module_fee_bp: StorageU16,
    pub(crate) max_positive_rebase: StorageU64,

    pub(crate) oracle: StorageAddress,
    pub(crate) withdrawal_queue: StorageAddress,
    pub(crate) withdrawal_vault: StorageAddress,
    pub(crate) rewards_vault: StorageAddress,
    pub(crate) treasury: StorageAddress,
    pub(crate) staking_module: StorageAddress,
    /// One word per applied report, `timestamp << 192 | pooled ether per token`
    /// (`tidepool_math::rate::RateReport`): the history the rate feed publishes.
    pub(crate) rate_reports: StorageVec<StorageU256>,
    /// The `pool-accounting` program, whose code the pool's fallback runs on this storage.
    pub(crate) accounting_contract: StorageAddress,
    /// The `pool-admin` program, whose code `pool-accounting`'s fallback runs on this storage.
    pub(crate) admin_contract: StorageAddress,
}

tidepool_common::program_storage!(Pool);

// SAFETY: `accounting_contract` is set once, in `initialize`, by the proven deployer, to code
// checked to exist: the `pool-accounting` program, whose program type wraps `Pool`.
#[allow(unsafe_code)]
unsafe impl Delegate for Pool {
    const REENTRANT_CALL: Option<RevertData> = Some(|| PoolError::from(ReentrantCall {}).into());

    fn next_program(&self) -> Address {
        self.accounting_contract.get()
    }
}

use initializable::Initializable;

// Internal helpers shared by the modules.
impl Pool {
    /// Refuses a call made while one of the pool's own external calls is running.
    pub fn non_reentrant(&self) -> Result<(), PoolError> {
        if self.vm().msg_reentrant() {
            Err(ReentrantCall {}.into())
        } else {
            Ok(())
        }
    }

    pub fn when_not_stopped(&self) -> Result<(), PoolError> {
        if self.stopped.get() {
            Err(ProtocolStopped {}.into())
        } else {
            Ok(())
        }
    }

    pub fn only_role(&self, role: B256) -> Result<(), PoolError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    pub fn set_treasury_unchecked(&mut self, treasury: Address) {
        self.treasury.set(treasury);
        emit(self.vm(), &[TreasurySet::SIGNATURE_HASH], &[treasury.word()]);
    }

    pub fn set_staking_module_unchecked(&mut self, staking_module: Address) {
        self.staking_module.set(staking_module);
        emit(self.vm(), &[StakingModuleSet::SIGNATURE_HASH], &[staking_module.word()]);
    }

    pub fn set_fee_unchecked(&mut self, treasury_fee_bp: u16, module_fee_bp: u16) {
        self.treasury_fee_bp.set(alloy_primitives::Uint::from(treasury_fee_bp));
        self.module_fee_bp.set(alloy_primitives::Uint::from(module_fee_bp));
        emit(self.vm(), &[FeeSet::SIGNATURE_HASH], &[treasury_fee_bp.word(), module_fee_bp.word()]);
    }

    pub fn set_max_positive_rebase_unchecked(&mut self, max_positive_rebase: u64) {
        self.max_positive_rebase.set(alloy_primitives::Uint::from(max_positive_rebase));
        emit(self.vm(), &[MaxPositiveRebaseSet::SIGNATURE_HASH], &[max_positive_rebase.word()]);
    }
}
