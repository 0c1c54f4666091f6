//! The `vault` program: the whole vault.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use stylus_sdk::prelude::*;
use tidepool_common::initializable;

use crate::{
    IPoolReceiver, InsufficientVaultBalance, NotPool, PoolRejectedFunds, Vault, VaultError,
    Withdrawn, ZeroPoolAddress,
};

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
