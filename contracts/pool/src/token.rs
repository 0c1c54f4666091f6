//! Share accounting behind the ERC-20 surface: conversions at the current rate, moving,
//! minting and burning shares, allowances.

use alloy_primitives::{aliases::U128, Address, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::shares;

use crate::{errors::*, events::*, Pool, PoolError, DEPOSIT_SIZE};

impl Pool {
    /// `bufferedEther + clBalance + transientEther`.
    /// All shares.
    pub fn total_shares(&self) -> U256 {
        U256::from(self.total_shares.get())
    }

    /// Ether in the pool's own balance that no report or deposit has moved on.
    pub fn buffered_ether(&self) -> U256 {
        U256::from(self.buffered_ether.get())
    }

    /// The protocol's validators' balance at the last report.
    pub fn cl_balance(&self) -> U256 {
        U256::from(self.cl_balance.get())
    }

    pub(crate) fn set_total_shares(&mut self, value: U256) -> Result<(), PoolError> {
        self.total_shares.set(narrow(value)?);
        Ok(())
    }

    pub(crate) fn set_buffered_ether(&mut self, value: U256) -> Result<(), PoolError> {
        self.buffered_ether.set(narrow(value)?);
        Ok(())
    }

    pub fn total_pooled_ether(&self) -> U256 {
        // Bounded by real ETH in existence, far below 2^256: the additions cannot overflow,
        // and deposited >= cl validators is kept by every writer.
        let transient_validators =
            self.deposited_validators.get().saturating_sub(self.cl_validators.get());
        let transient = U256::from(transient_validators).saturating_mul(DEPOSIT_SIZE);
        self.buffered_ether().saturating_add(self.cl_balance()).saturating_add(transient)
    }

    pub fn shares_for_ether(&self, ether: U256) -> Result<U256, PoolError> {
        Ok(shares::shares_for_ether(ether, self.total_shares(), self.total_pooled_ether())?)
    }

    pub fn ether_for_shares(&self, shares_amount: U256) -> Result<U256, PoolError> {
        Ok(shares::ether_for_shares(shares_amount, self.total_shares(), self.total_pooled_ether())?)
    }

    pub fn ether_for_shares_round_up(&self, shares_amount: U256) -> Result<U256, PoolError> {
        Ok(shares::ether_for_shares_round_up(
            shares_amount,
            self.total_shares(),
            self.total_pooled_ether(),
        )?)
    }

    /// The value, rounded up, of the shares a transfer of `amount` moves (at least
    /// `amount`): what `transferFrom` charges the allowance.
    pub fn value_moved(&self, amount: U256) -> Result<U256, PoolError> {
        let (total_shares, total_pooled) = (self.total_shares(), self.total_pooled_ether());
        let moved = shares::shares_to_deliver(amount, total_shares, total_pooled)?;
        Ok(shares::ether_for_shares_round_up(moved, total_shares, total_pooled)?)
    }

    /// Transfers that deliver at least `amount`: moves `ceil(amount * S / P)` shares after
    /// checking `amount <= balanceOf(from)`, which keeps the shares within `sharesOf(from)`.
    pub fn transfer_amount(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), PoolError> {
        self.when_not_stopped()?;
        self.check_receiver(to)?;
        let (total_shares, total_pooled) = (self.total_shares(), self.total_pooled_ether());
        let from_shares = self.shares.get(from);
        let balance = shares::ether_for_shares(from_shares, total_shares, total_pooled)?;
        if amount > balance {
            return Err(ERC20InsufficientBalance { sender: from, balance, needed: amount }.into());
        }
        let moved = shares::shares_to_deliver(amount, total_shares, total_pooled)?;
        self.move_shares(from, to, moved, from_shares)?;
        self.emit_transfer_and_shares(from, to, amount, moved);
        Ok(())
    }

    pub fn transfer_shares_internal(
        &mut self,
        from: Address,
        to: Address,
        shares_amount: U256,
    ) -> Result<U256, PoolError> {
        self.when_not_stopped()?;
        self.check_receiver(to)?;
        let from_shares = self.shares.get(from);
        self.move_shares(from, to, shares_amount, from_shares)?;
        let value = self.ether_for_shares(shares_amount)?;
        self.emit_transfer_and_shares(from, to, value, shares_amount);
        Ok(value)
    }

    fn check_receiver(&self, to: Address) -> Result<(), PoolError> {
        if to.is_zero() || to == self.vm().contract_address() {
            return Err(ERC20InvalidReceiver { receiver: to }.into());
        }
        Ok(())
    }

    fn move_shares(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
        from_shares: U256,
    ) -> Result<(), PoolError> {
        let remaining = from_shares.checked_sub(amount).ok_or(InsufficientShares {
            account: from,
            shares: from_shares,
            needed: amount,
        })?;
        self.shares.setter(from).set(remaining);
        // `to`'s shares cannot overflow: all shares together are `totalShares`.
        let to_shares = self.shares.get(to).checked_add(amount).ok_or_else(arithmetic)?;
        self.shares.setter(to).set(to_shares);
        Ok(())
    }

    pub fn mint_shares(&mut self, to: Address, amount: U256) -> Result<(), PoolError> {
        let total = self.total_shares().checked_add(amount).ok_or_else(arithmetic)?;
        let balance = self.shares.get(to).checked_add(amount).ok_or_else(arithmetic)?;
        self.set_total_shares(total)?;
        self.shares.setter(to).set(balance);
        Ok(())
    }

    pub fn burn_shares(&mut self, from: Address, amount: U256) -> Result<(), PoolError> {
        let balance = self.shares.get(from);
        let remaining = balance.checked_sub(amount).ok_or(InsufficientShares {
            account: from,
            shares: balance,
            needed: amount,
        })?;
        let total = self.total_shares().checked_sub(amount).ok_or_else(arithmetic)?;
        self.shares.setter(from).set(remaining);
        self.set_total_shares(total)?;
        Ok(())
    }

    pub fn emit_transfer_and_shares(
        &self,
        from: Address,
        to: Address,
        value: U256,
        shares_amount: U256,
    ) {
        emit(self.vm(), &[Transfer::SIGNATURE_HASH, from.word(), to.word()], &[value.word()]);
        emit(
            self.vm(),
            &[TransferShares::SIGNATURE_HASH, from.word(), to.word()],
            &[shares_amount.word()],
        );
    }
}

/// A total as its 128-bit storage field holds it; `ArithmeticFailed` beyond.
pub(crate) fn narrow(value: U256) -> Result<U128, PoolError> {
    u128::try_from(value).map(U128::from).map_err(|_| arithmetic())
}
