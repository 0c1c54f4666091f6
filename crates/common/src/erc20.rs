//! What every Tidepool ERC-20 shares: the standard events, the ERC-6093 errors and the
//! allowance book.
//!
//! Balances are the token's own business (the pool counts shares, the wrapper plain units),
//! so the component holds only allowances. An allowance of `type(uint256).max` is infinite
//! and never spent, and spending emits `Approval` with what remains, so an indexer following
//! `Approval` alone always knows the current allowance.
use crate::abi::{emit, AsWord};
use alloc::{vec, vec::Vec};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolEvent as _};
use stylus_sdk::{
    prelude::*,
    storage::{StorageMap, StorageU256},
};

sol! {
    #![sol(abi)]
    /// ERC-20 transfer of `value` token units (also for mints from zero and burns to zero).
    #[derive(Debug, PartialEq, Eq)]
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// ERC-20 allowance of `spender` over `owner`'s tokens set to `value`.
    #[derive(Debug, PartialEq, Eq)]
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// `sender` holds `balance` but the operation needs `needed` (token units).
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    /// Tokens cannot come from `sender`.
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InvalidSender(address sender);
    /// Tokens cannot go to `receiver` (zero, or the token contract itself).
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InvalidReceiver(address receiver);
    /// `spender` may move `allowance` but the operation needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// `approver` cannot grant an allowance (zero address).
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InvalidApprover(address approver);
    /// `spender` cannot receive an allowance (zero address).
    #[derive(Debug, PartialEq, Eq)]
    error ERC20InvalidSpender(address spender);
}

/// Errors of [`Allowances`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`ERC20InsufficientAllowance`].
    InsufficientAllowance(ERC20InsufficientAllowance),
    /// See [`ERC20InvalidApprover`].
    InvalidApprover(ERC20InvalidApprover),
    /// See [`ERC20InvalidSpender`].
    InvalidSpender(ERC20InvalidSpender),
}

/// `owner → spender → allowance`.
#[storage]
pub struct Allowances {
    allowed: StorageMap<Address, StorageMap<Address, StorageU256>>,
}

impl Allowances {
    /// How much `spender` may still move of `owner`'s tokens.
    ///
    /// # Arguments
    /// * `owner`, `spender` - the holder and the account it approved.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowed.getter(owner).get(spender)
    }

    /// Sets `spender`'s allowance over `owner`'s tokens to `amount`.
    ///
    /// # Arguments
    /// * `owner`, `spender` - the holder and the account it approves.
    /// * `amount` - the new allowance (`type(uint256).max`: infinite).
    ///
    /// # Errors
    /// * [`ERC20InvalidApprover`] if `owner` is zero; [`ERC20InvalidSpender`] if `spender` is.
    ///
    /// # Events
    /// `Approval(owner, spender, amount)`.
    pub fn approve(&mut self, owner: Address, spender: Address, amount: U256) -> Result<(), Error> {
        if owner.is_zero() {
            return Err(Error::InvalidApprover(ERC20InvalidApprover { approver: owner }));
        }
        if spender.is_zero() {
            return Err(Error::InvalidSpender(ERC20InvalidSpender { spender }));
        }
        self.set_allowance(owner, spender, amount);
        Ok(())
    }

    /// Spends `amount` of `spender`'s allowance over `owner`; an infinite one stays as it is.
    ///
    /// # Arguments
    /// * `owner`, `spender` - the holder and the account spending for it.
    /// * `amount` - what the operation moves, in the allowance's unit.
    ///
    /// # Errors
    /// * [`ERC20InsufficientAllowance`] if the allowance is smaller.
    ///
    /// # Events
    /// `Approval(owner, spender, remaining)` when the allowance changes.
    pub fn spend(&mut self, owner: Address, spender: Address, amount: U256) -> Result<(), Error> {
        self.spend_within(owner, spender, amount, amount)
    }

    /// Spends `charge` of `spender`'s allowance over `owner` for an operation that needs at
    /// least `needed` (at most `charge`) of it; an infinite allowance stays as it is. For a
    /// token whose transfers move a little more than asked (shares rounded up): the
    /// allowance pays for what actually moved, and an allowance of exactly `needed` still
    /// works, emptied, so over any number of calls the spender moves at most the allowance
    /// plus that one rounding.
    ///
    /// # Errors
    /// * [`ERC20InsufficientAllowance`] (with `needed`) if the allowance is below `needed`.
    ///
    /// # Events
    /// `Approval(owner, spender, remaining)` when the allowance changes.
    pub fn spend_within(
        &mut self,
        owner: Address,
        spender: Address,
        needed: U256,
        charge: U256,
    ) -> Result<(), Error> {
        let current = self.allowance(owner, spender);
        if current == U256::MAX {
            return Ok(());
        }
        if current < needed {
            return Err(Error::InsufficientAllowance(ERC20InsufficientAllowance {
                spender,
                allowance: current,
                needed,
            }));
        }
        self.set_allowance(owner, spender, current.saturating_sub(charge));
        Ok(())
    }

    /// Stores `amount` as `spender`'s allowance over `owner` and emits `Approval`: what
    /// approving and spending both end with.
    fn set_allowance(&mut self, owner: Address, spender: Address, amount: U256) {
        self.allowed.setter(owner).setter(spender).set(amount);
        emit(
            self.vm(),
            &[Approval::SIGNATURE_HASH, owner.word(), spender.word()],
            &[amount.word()],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use stylus_sdk::testing::TestVM;

    const OWNER: Address = address!("00000000000000000000000000000000000000a1");
    const SPENDER: Address = address!("00000000000000000000000000000000000000b2");

    fn approvals(vm: &TestVM) -> Vec<Approval> {
        vm.get_emitted_logs()
            .iter()
            .filter(|(topics, _)| topics.first() == Some(&Approval::SIGNATURE_HASH))
            .map(|(topics, data)| {
                Approval::decode_raw_log(topics.iter().copied(), data).expect("decodes")
            })
            .collect()
    }

    #[test]
    fn approve_then_spend_down_to_zero() {
        let vm = TestVM::default();
        let mut book = Allowances::from(&vm);
        assert_eq!(book.approve(OWNER, SPENDER, U256::from(10)), Ok(()));
        assert_eq!(book.spend(OWNER, SPENDER, U256::from(4)), Ok(()));
        assert_eq!(book.allowance(OWNER, SPENDER), U256::from(6));
        assert_eq!(
            book.spend(OWNER, SPENDER, U256::from(7)),
            Err(Error::InsufficientAllowance(ERC20InsufficientAllowance {
                spender: SPENDER,
                allowance: U256::from(6),
                needed: U256::from(7),
            }))
        );
        assert_eq!(book.spend(OWNER, SPENDER, U256::from(6)), Ok(()));
        assert_eq!(book.allowance(OWNER, SPENDER), U256::ZERO);
        let values: Vec<U256> = approvals(&vm).iter().map(|a| a.value).collect();
        assert_eq!(values, [U256::from(10), U256::from(6), U256::ZERO]);
    }

    #[test]
    fn infinite_allowance_is_never_spent() {
        let vm = TestVM::default();
        let mut book = Allowances::from(&vm);
        book.approve(OWNER, SPENDER, U256::MAX).expect("approve");
        book.spend(OWNER, SPENDER, U256::from(1) << 200).expect("spend");
        assert_eq!(book.allowance(OWNER, SPENDER), U256::MAX);
        assert_eq!(approvals(&vm).len(), 1, "no Approval for an unchanged allowance");
    }

    #[test]
    fn zero_parties_are_refused() {
        let vm = TestVM::default();
        let mut book = Allowances::from(&vm);
        assert_eq!(
            book.approve(Address::ZERO, SPENDER, U256::from(1)),
            Err(Error::InvalidApprover(ERC20InvalidApprover { approver: Address::ZERO }))
        );
        assert_eq!(
            book.approve(OWNER, Address::ZERO, U256::from(1)),
            Err(Error::InvalidSpender(ERC20InvalidSpender { spender: Address::ZERO }))
        );
        assert!(vm.get_emitted_logs().is_empty());
    }
}
