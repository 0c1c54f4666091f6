//! Tidepool's non-rebasing wrapper of the pool token (the wstETH role), also an ERC-4626
//! vault over it, for lending protocols and AMMs that cannot hold a rebasing balance.
//!
//! One wrapped token is one pool share, so a holder's wrapped balance never changes while
//! its value in pool tokens follows the rebases. The wrapper holds the pool shares behind
//! every wrapped token: it never holds fewer shares than the wrapped supply.
//!
//! # Conversions and rounding
//! With `P` the pool's total pooled ether and `S` its total shares (read from the pool on
//! every call), and assets meaning pool tokens:
//! - `deposit`/`wrap(assets)` mint `floor(assets * S / P)` and take `assets` with the pool's
//!   `transferFrom`, which moves `ceil(assets * S / P)` shares: at most one share of dust
//!   stays in the wrapper, never with the caller;
//! - `mint(shares)` takes `ceil(shares * P / S)` assets;
//! - `redeem`/`unwrap(shares)` burn `shares` and hand over exactly that many pool shares
//!   (`transferShares`), worth `floor(shares * P / S)`;
//! - `withdraw(assets)` burns `ceil(assets * S / P)` and pays with the pool's `transfer`,
//!   which moves exactly that many shares and delivers at least `assets`.
//!
//! Each `preview*` rounds as ERC-4626 requires (against the caller) and equals what the
//! action does in the same block.
//!
//! # Reentrancy
//! The SDK's guard is on: the wrapper calls only the pool, which never calls back, so any
//! reentrant call is refused before it reaches the code.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod programs;

pub mod errors;
pub mod pool;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256},
};
use tidepool_common::{
    abi::{emit, AsWord},
    erc20::{Allowances, Transfer},
    initializable::Initializable,
    permit::Permit,
};

use errors::*;

/// ERC-20 name, also the EIP-712 domain name.
pub const NAME: &str = "Wrapped Tidepool Staked Ether";
/// ERC-20 symbol.
pub const SYMBOL: &str = "wtpETH";
/// EIP-712 domain version.
pub const VERSION: &str = "1";

tidepool_common::solidity_events! {
    /// ERC-4626: `sender` deposited `assets` pool tokens and `owner` received `shares`.
    event Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares);
    /// ERC-4626: `sender` burnt `owner`'s `shares` and `receiver` got `assets` pool tokens.
    event Withdraw(address indexed sender, address indexed receiver, address indexed owner, uint256 assets, uint256 shares);
}

/// Every event and error of the wrapper, with parameter names, for `abi/IWrapped.sol` and
/// `abi/Wrapped.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The wrapper's events and errors, and its `receive`.
    pub fn items() -> Items {
        WrappedError::abi_items(abi_events(Items::new())).receive()
    }
}

/// The wrapper's storage.
#[storage]
pub struct Wrapped {
    init: Initializable,
    permit: Permit,
    allowances: Allowances,
    balances: StorageMap<Address, StorageU256>,
    total_supply: StorageU256,
    /// The pool whose shares back the wrapped tokens (the ERC-4626 asset).
    pool: StorageAddress,
    /// The pool's withdrawal queue, read from the pool at initialisation (the pool has no
    /// way to change it): pool tokens withdrawn to it would belong to no request.
    queue: StorageAddress,
}

tidepool_common::program_storage!(Wrapped);

/// Pool calls revert with the pool's own error data, passed on unchanged, so everything
/// public here returns raw revert data.
pub(crate) type Revert = Vec<u8>;

// Internal helpers.
impl Wrapped {
    fn check_transfer(&self, from: Address, to: Address, amount: U256) -> Result<(), WrappedError> {
        if to.is_zero() || to == self.vm().contract_address() {
            return Err(ERC20InvalidReceiver { receiver: to }.into());
        }
        let balance = self.balances.get(from);
        if amount > balance {
            return Err(ERC20InsufficientBalance { sender: from, balance, needed: amount }.into());
        }
        Ok(())
    }

    fn move_tokens(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<(), WrappedError> {
        self.check_transfer(from, to, amount)?;
        let from_balance = self.balances.get(from);
        self.balances.setter(from).set(from_balance - amount);
        // Cannot overflow: all balances together are the total supply.
        let to_balance = self.balances.get(to).checked_add(amount).ok_or(ArithmeticFailed {})?;
        self.balances.setter(to).set(to_balance);
        emit(self.vm(), &[Transfer::SIGNATURE_HASH, from.word(), to.word()], &[amount.word()]);
        Ok(())
    }

    fn mint_tokens(&mut self, to: Address, amount: U256) -> Result<(), WrappedError> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if to.is_zero() || to == self.vm().contract_address() {
            return Err(ERC20InvalidReceiver { receiver: to }.into());
        }
        let supply = self.total_supply.get().checked_add(amount).ok_or(ArithmeticFailed {})?;
        let balance = self.balances.get(to).checked_add(amount).ok_or(ArithmeticFailed {})?;
        self.total_supply.set(supply);
        self.balances.setter(to).set(balance);
        emit(
            self.vm(),
            &[Transfer::SIGNATURE_HASH, Address::ZERO.word(), to.word()],
            &[amount.word()],
        );
        Ok(())
    }

    /// Takes `assets` pool tokens from the caller, then mints `shares` to `receiver`.
    fn take_and_mint(
        &mut self,
        assets: U256,
        shares: U256,
        receiver: Address,
    ) -> Result<(), Revert> {
        if shares.is_zero() {
            return Err(WrappedError::from(ZeroAmount {}).into());
        }
        let (caller, this) = (self.vm().msg_sender(), self.vm().contract_address());
        self.pool_call(pool::transfer_from(caller, this, assets), U256::ZERO)?;
        self.mint_tokens(receiver, shares)?;
        emit(
            self.vm(),
            &[Deposit::SIGNATURE_HASH, caller.word(), receiver.word()],
            &[assets.word(), shares.word()],
        );
        Ok(())
    }

    /// Refuses an ERC-4626 withdrawal's `receiver` that would lose the pool tokens: this
    /// contract (they would back nobody's wrapped tokens), the queue (they would belong to no
    /// request; the queue itself receives pool tokens only by unwrapping, whose receiver is
    /// the caller) and the pool (which refuses transfers to itself anyway).
    fn check_withdrawal_receiver(&self, receiver: Address) -> Result<(), WrappedError> {
        let sinks = [self.vm().contract_address(), self.pool.get(), self.queue.get()];
        if sinks.contains(&receiver) {
            return Err(ERC20InvalidReceiver { receiver }.into());
        }
        Ok(())
    }

    /// `redeem` without the receiver check: burns `shares` of `owner`'s tokens and hands
    /// `receiver` as many pool shares; their value in pool tokens, rounded down.
    fn redeem_to(
        &mut self,
        shares: U256,
        receiver: Address,
        owner: Address,
    ) -> Result<U256, Revert> {
        let assets = self.preview_redeem(shares)?;
        self.burn_for(owner, shares, assets, receiver)?;
        self.pool_call(pool::transfer_shares(receiver, shares), U256::ZERO)?;
        Ok(assets)
    }

    /// Burns `shares` of `owner`'s tokens for a withdrawal of `assets` to `receiver`,
    /// spending the caller's allowance when it is not `owner`.
    fn burn_for(
        &mut self,
        owner: Address,
        shares: U256,
        assets: U256,
        receiver: Address,
    ) -> Result<(), WrappedError> {
        if shares.is_zero() || assets.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let caller = self.vm().msg_sender();
        let balance = self.balances.get(owner);
        if shares > balance {
            return Err(ERC20InsufficientBalance { sender: owner, balance, needed: shares }.into());
        }
        if caller != owner {
            self.allowances.spend(owner, caller, shares)?;
        }
        self.balances.setter(owner).set(balance - shares);
        self.total_supply.set(self.total_supply.get() - shares);
        emit(
            self.vm(),
            &[Transfer::SIGNATURE_HASH, owner.word(), Address::ZERO.word()],
            &[shares.word()],
        );
        emit(
            self.vm(),
            &[Withdraw::SIGNATURE_HASH, caller.word(), receiver.word(), owner.word()],
            &[assets.word(), shares.word()],
        );
        Ok(())
    }
}

pub(crate) fn math(_: tidepool_math::MathError) -> WrappedError {
    ArithmeticFailed {}.into()
}
