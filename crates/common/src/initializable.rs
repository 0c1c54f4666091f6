//! One-time initialisation that only the deploying account can perform.
//!
//! Stylus programs are deployed, then activated, then called, in separate transactions, so a
//! plain `initialize` could be front-run between deployment and the owner's call. Here the
//! caller proves it deployed the contract by giving the nonce it deployed with: the contract
//! recomputes `keccak256(rlp([caller, nonce]))[12..]`, the CREATE address, and compares it with
//! its own. Nobody else can produce that proof, whatever they see in the mempool.

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageBool};

sol! {
    #![sol(abi)]
    /// `initialize` was already run on this contract.
    #[derive(Debug, PartialEq, Eq)]
    error AlreadyInitialized();
    /// The caller did not deploy this contract with CREATE at `nonce`.
    #[derive(Debug, PartialEq, Eq)]
    error NotDeployer(address caller, uint64 nonce);
    /// The contract has not been initialised yet.
    #[derive(Debug, PartialEq, Eq)]
    error NotInitialized();
    /// Emitted once, when the contract is initialised.
    event Initialized(address indexed deployer);
}

/// Errors of [`Initializable`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`AlreadyInitialized`].
    AlreadyInitialized(AlreadyInitialized),
    /// See [`NotDeployer`].
    NotDeployer(NotDeployer),
    /// See [`NotInitialized`].
    NotInitialized(NotInitialized),
}

/// Storage for the one-time initialisation flag.
#[storage]
pub struct Initializable {
    initialized: StorageBool,
}

impl Initializable {
    /// Marks the contract initialised if `caller` deployed it with CREATE at `deployer_nonce`.
    ///
    /// # Arguments
    /// * `this` - the contract's own address.
    /// * `caller` - the account calling `initialize`.
    /// * `deployer_nonce` - the nonce of `caller` when it deployed the contract.
    ///
    /// # Errors
    /// * [`AlreadyInitialized`] if it ran before.
    /// * [`NotDeployer`] if `caller` at `deployer_nonce` does not give `this`.
    ///
    /// # Events
    /// None here: the contract emits [`Initialized`] once its own set-up succeeded.
    pub fn initialize(
        &mut self,
        this: Address,
        caller: Address,
        deployer_nonce: u64,
    ) -> Result<(), Error> {
        if self.initialized.get() {
            return Err(Error::AlreadyInitialized(AlreadyInitialized {}));
        }
        if caller.create(deployer_nonce) != this {
            return Err(Error::NotDeployer(NotDeployer { caller, nonce: deployer_nonce }));
        }
        self.initialized.set(true);
        Ok(())
    }

    /// Whether [`Self::initialize`] has succeeded.
    pub fn is_initialized(&self) -> bool {
        self.initialized.get()
    }

    /// Fails unless the contract was initialised.
    ///
    /// # Errors
    /// * [`NotInitialized`] before initialisation.
    pub fn only_initialized(&self) -> Result<(), Error> {
        if self.initialized.get() {
            Ok(())
        } else {
            Err(Error::NotInitialized(NotInitialized {}))
        }
    }
}
