//! Per-account nonces that make signed messages single-use, after OpenZeppelin's `Nonces`.
//!
//! A signature covers the signer's current nonce, and the nonce moves on once the signature is
//! used, so the same signature can never be accepted twice.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{StorageMap, StorageU256},
};

sol! {
    #![sol(abi)]
    /// `account`'s nonce has reached `2**256 - 1` and cannot be used any more. Unreachable in
    /// practice; it exists so that a nonce can never wrap to zero and revive old signatures.
    #[derive(Debug, PartialEq, Eq)]
    error NonceOverflow(address account);
    /// The nonce given is not `account`'s current nonce.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidAccountNonce(address account, uint256 currentNonce);
}

/// Errors of [`Nonces`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`NonceOverflow`].
    NonceOverflow(NonceOverflow),
    /// See [`InvalidAccountNonce`].
    InvalidAccountNonce(InvalidAccountNonce),
}

/// The next unused nonce of every account (zero for an account never seen).
#[storage]
pub struct Nonces {
    nonces: StorageMap<Address, StorageU256>,
}

impl Nonces {
    /// The nonce that `owner`'s next signature must carry.
    ///
    /// # Arguments
    /// * `owner` - the signing account.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.get(owner)
    }

    /// Consumes `owner`'s current nonce.
    ///
    /// # Arguments
    /// * `owner` - the signing account.
    ///
    /// # Errors
    /// * [`NonceOverflow`] if the nonce is `2**256 - 1`.
    ///
    /// Returns the nonce consumed (the value before the increment).
    pub fn use_nonce(&mut self, owner: Address) -> Result<U256, NonceOverflow> {
        let mut nonce = self.nonces.setter(owner);
        let current = nonce.get();
        let next = current.checked_add(U256::from(1)).ok_or(NonceOverflow { account: owner })?;
        nonce.set(next);
        Ok(current)
    }

    /// Consumes `owner`'s current nonce if it is `nonce`: for messages that name their nonce.
    ///
    /// # Arguments
    /// * `owner` - the signing account.
    /// * `nonce` - the nonce the message carries.
    ///
    /// # Errors
    /// * [`InvalidAccountNonce`] if `nonce` is not the current nonce.
    /// * [`NonceOverflow`] if the nonce is `2**256 - 1`.
    pub fn use_checked_nonce(&mut self, owner: Address, nonce: U256) -> Result<(), Error> {
        let current = self.nonces(owner);
        if nonce != current {
            return Err(InvalidAccountNonce { account: owner, currentNonce: current }.into());
        }
        self.use_nonce(owner)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;
    use stylus_sdk::{storage::StorageType, testing::TestVM};

    use super::*;

    const ALICE: Address = address!("00000000000000000000000000000000000000a2");
    const BOB: Address = address!("00000000000000000000000000000000000000a3");

    #[test]
    fn nonces_start_at_zero_and_count_up() {
        let vm = TestVM::default();
        let mut n = Nonces::from(&vm);
        assert_eq!(n.nonces(ALICE), U256::ZERO);
        assert_eq!(n.use_nonce(ALICE), Ok(U256::ZERO));
        assert_eq!(n.use_nonce(ALICE), Ok(U256::from(1)));
        assert_eq!(n.nonces(ALICE), U256::from(2));
        assert_eq!(n.nonces(BOB), U256::ZERO);
    }

    #[test]
    fn checked_nonce_must_be_current() {
        let vm = TestVM::default();
        let mut n = Nonces::from(&vm);
        assert_eq!(
            n.use_checked_nonce(ALICE, U256::from(1)),
            Err(InvalidAccountNonce { account: ALICE, currentNonce: U256::ZERO }.into())
        );
        assert_eq!(n.nonces(ALICE), U256::ZERO);
        assert_eq!(n.use_checked_nonce(ALICE, U256::ZERO), Ok(()));
        assert_eq!(n.nonces(ALICE), U256::from(1));
        assert_eq!(
            n.use_checked_nonce(ALICE, U256::ZERO),
            Err(InvalidAccountNonce { account: ALICE, currentNonce: U256::from(1) }.into())
        );
    }

    #[test]
    fn nonce_never_wraps() {
        let vm = TestVM::default();
        let mut n = Nonces::from(&vm);
        // Reach the last nonce through the map's own slot.
        let mut slot = n.nonces.setter(ALICE);
        slot.set(U256::MAX - U256::from(1));
        drop(slot);
        assert_eq!(n.use_nonce(ALICE), Ok(U256::MAX - U256::from(1)));
        assert_eq!(n.nonces(ALICE), U256::MAX);
        assert_eq!(n.use_nonce(ALICE), Err(NonceOverflow { account: ALICE }));
        assert_eq!(
            n.use_checked_nonce(ALICE, U256::MAX),
            Err(Error::NonceOverflow(NonceOverflow { account: ALICE }))
        );
        assert_eq!(n.nonces(ALICE), U256::MAX);
        // The storage layout is one map: a contract embedding `Nonces` first owns slot 0.
        assert_eq!(Nonces::REQUIRED_SLOTS, 1);
    }
}
