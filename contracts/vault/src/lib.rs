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

use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::StorageAddress;
use tidepool_common::initializable::{self, Initializable};

sol! {
    // `abi`: each item also describes itself as JSON ABI (with parameter names) for the
    // generated ABI files; only the export-abi binary calls that code, so no wasm bytes.
    #![sol(abi)]

    /// The caller is not the pool.
    #[derive(Debug, PartialEq, Eq)]
    error NotPool(address caller);
    /// `withdraw` asked for more than the vault holds.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientVaultBalance(uint256 requested, uint256 available);
    /// The pool address given at initialisation is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroPoolAddress();
    /// The pool refused the ETH sent back to it.
    #[derive(Debug, PartialEq, Eq)]
    error PoolRejectedFunds();

    /// ETH moved from the vault to the pool.
    event Withdrawn(address indexed pool, uint256 amount);
}

sol_interface! {
    interface IPoolReceiver {
        function receiveVaultFunds() external payable;
    }
}

/// Errors of the vault.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum VaultError {
    /// See [`NotPool`].
    NotPool(NotPool),
    /// See [`InsufficientVaultBalance`].
    InsufficientVaultBalance(InsufficientVaultBalance),
    /// See [`ZeroPoolAddress`].
    ZeroPoolAddress(ZeroPoolAddress),
    /// See [`PoolRejectedFunds`].
    PoolRejectedFunds(PoolRejectedFunds),
    /// See [`initializable::AlreadyInitialized`].
    AlreadyInitialized(initializable::AlreadyInitialized),
    /// See [`initializable::NotDeployer`].
    NotDeployer(initializable::NotDeployer),
    /// See [`initializable::NotInitialized`].
    NotInitialized(initializable::NotInitialized),
}

impl From<initializable::Error> for VaultError {
    fn from(e: initializable::Error) -> Self {
        match e {
            initializable::Error::AlreadyInitialized(e) => Self::AlreadyInitialized(e),
            initializable::Error::NotDeployer(e) => Self::NotDeployer(e),
            initializable::Error::NotInitialized(e) => Self::NotInitialized(e),
        }
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
        Items::new()
            .event::<Withdrawn>()
            .event::<initializable::Initialized>()
            .error::<NotPool>()
            .error::<InsufficientVaultBalance>()
            .error::<ZeroPoolAddress>()
            .error::<PoolRejectedFunds>()
            .error::<initializable::AlreadyInitialized>()
            .error::<initializable::NotDeployer>()
            .error::<initializable::NotInitialized>()
            .receive()
    }
}

/// The vault's storage, and its program type ([`programs::vault`]).
#[storage]
pub struct Vault {
    init: Initializable,
    pool: StorageAddress,
}

tidepool_common::program_storage!(Vault);
