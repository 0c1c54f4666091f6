//! An ETH vault that only the pool can draw from.
//!
//! Two instances serve the pool: the withdrawal vault (the address in the validators'
//! withdrawal credentials, so skimmed rewards and exited balances land there) and the
//! execution-layer rewards vault (priority fees and MEV). Anyone can send ETH in; only the
//! pool can take it out, and only into itself, during an oracle report.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod programs;

use alloc::{vec, vec::Vec};

use stylus_sdk::prelude::*;
use stylus_sdk::storage::StorageAddress;
use tidepool_common::initializable::Initializable;

tidepool_common::solidity_errors! {
    /// Errors of the vault.
    pub enum VaultError {
        /// The caller is not the pool.
        NotPool(address caller),
        /// `withdraw` asked for more than the vault holds.
        InsufficientVaultBalance(uint256 requested, uint256 available),
        /// The pool address given at initialisation is zero.
        ZeroPoolAddress(),
        /// The pool refused the ETH sent back to it.
        PoolRejectedFunds(),
    }
    components { initializable }
}

tidepool_common::solidity_events! {
    /// ETH moved from the vault to the pool.
    event Withdrawn(address indexed pool, uint256 amount);
}

sol_interface! {
    interface IPoolReceiver {
        function receiveVaultFunds() external payable;
    }
}

/// Every event and error of the vault, with parameter names, for `abi/IVault.sol` and
/// `abi/Vault.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The vault's events and errors, and its `receive`.
    pub fn items() -> Items {
        VaultError::abi_items(abi_events(Items::new())).receive()
    }
}

/// The vault's storage, and its program type ([`programs::vault`]).
#[storage]
pub struct Vault {
    init: Initializable,
    pool: StorageAddress,
}

tidepool_common::program_storage!(Vault);
