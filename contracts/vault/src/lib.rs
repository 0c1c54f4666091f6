//! An ETH vault that only the pool can draw from.
//!
//! Two instances serve the pool: the withdrawal vault (the address in the validators'
//! withdrawal credentials, so skimmed rewards and exited balances land there) and the
//! execution-layer rewards vault (priority fees and MEV). Anyone can send ETH in; only the
//! pool can take it out, and only into itself, during an oracle report.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
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

/// The vault's storage.
#[entrypoint]
#[storage]
pub struct Vault {
    init: Initializable,
    pool: StorageAddress,
}

#[public]
impl Vault {
    /// Binds the vault to its pool, once, by the account that deployed it.
    ///
    /// # Arguments
    /// * `pool` - the only address allowed to withdraw.
    /// * `deployer_nonce` - the nonce the caller deployed this contract with.
    ///
    /// # Errors
    /// * `ZeroPoolAddress` if `pool` is zero.
    /// * `AlreadyInitialized`, `NotDeployer` from the initialisation guard.
    ///
    /// # Events
    /// * `Initialized(deployer)`.
    pub fn initialize(&mut self, pool: Address, deployer_nonce: u64) -> Result<(), VaultError> {
        if pool.is_zero() {
            return Err(VaultError::ZeroPoolAddress(ZeroPoolAddress {}));
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;
        self.pool.set(pool);
        self.vm().log(initializable::Initialized { deployer: caller });
        Ok(())
    }

    /// The pool this vault serves (zero before initialisation).
    pub fn pool(&self) -> Address {
        self.pool.get()
    }

    /// Sends `amount` wei to the pool through its `receiveVaultFunds()`.
    ///
    /// # Arguments
    /// * `amount` - wei to move; zero is a no-op that still emits nothing.
    ///
    /// # Errors
    /// * `NotInitialized` before initialisation.
    /// * `NotPool` unless called by the pool.
    /// * `InsufficientVaultBalance` if the vault holds less than `amount`.
    /// * `PoolRejectedFunds` if the pool's `receiveVaultFunds` reverts.
    ///
    /// # Events
    /// * `Withdrawn(pool, amount)` when `amount > 0`.
    pub fn withdraw(&mut self, amount: U256) -> Result<(), VaultError> {
        self.init.only_initialized()?;
        let pool = self.pool.get();
        let caller = self.vm().msg_sender();
        if caller != pool {
            return Err(VaultError::NotPool(NotPool { caller }));
        }
        if amount.is_zero() {
            return Ok(());
        }
        let available = self.vm().balance(self.vm().contract_address());
        if amount > available {
            return Err(VaultError::InsufficientVaultBalance(InsufficientVaultBalance {
                requested: amount,
                available,
            }));
        }
        // The event goes first so that logs read in order even though the pool's own
        // events follow from inside the call.
        self.vm().log(Withdrawn { pool, amount });
        let vm = self.vm().clone();
        IPoolReceiver::new(pool)
            .receive_vault_funds(&vm, Call::new_payable(self, amount))
            .map_err(|_| VaultError::PoolRejectedFunds(PoolRejectedFunds {}))?;
        Ok(())
    }

    /// Accepts ETH from anyone: beacon-chain withdrawals, priority fees, MEV, donations.
    #[receive]
    #[payable]
    pub fn receive(&mut self) -> Result<(), Vec<u8>> {
        Ok(())
    }
}
