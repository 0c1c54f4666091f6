//! The `wrapped` program: the whole wrapped token.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    eip712, initializable,
};
use tidepool_math::{rate::ONE_TOKEN, shares};

use crate::{errors::*, math, pool, Deposit, Revert, Wrapped, NAME, SYMBOL, VERSION};

#[public]
impl Wrapped {
    // ------------------------------------------------------------------ set-up

    /// Sets the pool, once, by the account that deployed the wrapper, and records the pool's
    /// withdrawal queue (so the pool must be initialised first).
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed this contract with (proves it did).
    /// * `pool` - the pool contract (its token is the asset).
    ///
    /// # Errors
    /// * `InvalidPool` if `pool` is zero or holds no code.
    /// * `AlreadyInitialized`, `NotDeployer` from the initialisation guard.
    /// * `PoolAnswerMalformed` or the pool's revert if it cannot name its queue.
    ///
    /// # Events
    /// `Initialized`.
    pub fn initialize(&mut self, deployer_nonce: u64, pool: Address) -> Result<(), Revert> {
        if pool.is_zero() || self.vm().code_size(pool) == 0 {
            return Err(WrappedError::from(InvalidPool { pool }).into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce).map_err(WrappedError::from)?;
        self.pool.set(pool);
        let queue = self.pool_queue()?;
        self.queue.set(queue);
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        Ok(())
    }

    // ------------------------------------------------------------------ ERC-20

    /// The token name.
    pub fn name(&self) -> String {
        String::from(NAME)
    }

    /// The token symbol.
    pub fn symbol(&self) -> String {
        String::from(SYMBOL)
    }

    /// 18, as the pool token.
    pub fn decimals(&self) -> u8 {
        18
    }

    /// Wrapped tokens in existence (the pool shares held for them).
    pub fn total_supply(&self) -> U256 {
        self.total_supply.get()
    }

    /// `account`'s wrapped tokens.
    pub fn balance_of(&self, account: Address) -> U256 {
        self.balances.get(account)
    }

    /// How much `spender` may move of `owner`'s wrapped tokens.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.allowance(owner, spender)
    }

    /// Lets `spender` move `amount` of the caller's tokens (`type(uint256).max`: infinite).
    ///
    /// # Errors
    /// * `ERC20InvalidSpender` for the zero address.
    ///
    /// # Events
    /// `Approval`.
    pub fn approve(&mut self, spender: Address, amount: U256) -> Result<bool, Revert> {
        let owner = self.vm().msg_sender();
        self.allowances.approve(owner, spender, amount).map_err(WrappedError::from)?;
        Ok(true)
    }

    /// Moves `amount` of the caller's tokens to `to`: exactly `amount` arrives.
    ///
    /// # Errors
    /// * `ERC20InvalidReceiver` for the zero address or the wrapper itself;
    ///   `ERC20InsufficientBalance`.
    ///
    /// # Events
    /// `Transfer`.
    pub fn transfer(&mut self, to: Address, amount: U256) -> Result<bool, Revert> {
        let from = self.vm().msg_sender();
        self.move_tokens(from, to, amount)?;
        Ok(true)
    }

    /// Moves `amount` of `from`'s tokens to `to`, spending the caller's allowance.
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance`, then those of `transfer`.
    ///
    /// # Events
    /// `Approval` (remaining allowance, unless infinite), `Transfer`.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<bool, Revert> {
        let spender = self.vm().msg_sender();
        self.check_transfer(from, to, amount)?;
        self.allowances.spend(from, spender, amount).map_err(WrappedError::from)?;
        self.move_tokens(from, to, amount)?;
        Ok(true)
    }

    /// EIP-2612: sets `spender`'s allowance over `owner`'s tokens from `owner`'s signature
    /// (an EIP-1271 contract wallet's `isValidSignature` when `owner` has code).
    ///
    /// # Errors
    /// * `ERC20InvalidSpender` (checked first: a permit that cannot apply keeps its nonce);
    ///   `ERC2612ExpiredSignature`; `ERC2612InvalidSigner`; `NonceOverflow`.
    ///
    /// # Events
    /// `Approval`.
    #[allow(clippy::too_many_arguments)]
    pub fn permit(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> Result<(), Revert> {
        if spender.is_zero() {
            return Err(WrappedError::from(ERC20InvalidSpender { spender }).into());
        }
        let domain = self.domain_separator();
        self.permit
            .verify_and_consume(domain, owner, spender, value, deadline, v, r, s)
            .map_err(WrappedError::from)?;
        self.allowances.approve(owner, spender, value).map_err(WrappedError::from)?;
        Ok(())
    }

    /// The next permit nonce of `owner`.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.permit.nonces(owner)
    }

    /// The EIP-712 domain separator permits are signed under.
    #[selector(name = "DOMAIN_SEPARATOR")]
    pub fn domain_separator(&self) -> B256 {
        eip712::domain_separator(NAME, VERSION, self.vm().chain_id(), self.vm().contract_address())
    }

    /// EIP-5267: the fields of the EIP-712 domain.
    pub fn eip712_domain(&self) -> eip712::Eip712Domain {
        eip712::eip712_domain(NAME, VERSION, self.vm().chain_id(), self.vm().contract_address())
    }

    // ------------------------------------------------------------------ wrapping

    /// Wraps `pooled_amount` pool tokens of the caller into `floor(amount * S / P)` wrapped
    /// tokens (the pool must allow the wrapper to take them). Returns the tokens minted.
    ///
    /// # Errors
    /// * `ZeroAmount` if nothing would be minted; the pool's errors for the transfer
    ///   (`ERC20InsufficientAllowance`, `ERC20InsufficientBalance`, `ProtocolStopped`).
    ///
    /// # Events
    /// `Transfer(0, caller, minted)`, `Deposit(caller, caller, pooled_amount, minted)`.
    pub fn wrap(&mut self, pooled_amount: U256) -> Result<U256, Revert> {
        let caller = self.vm().msg_sender();
        self.deposit(pooled_amount, caller)
    }

    /// Unwraps `wrapped_amount` of the caller's tokens into as many pool shares, sent to the
    /// caller. Returns their value in pool tokens (rounded down).
    ///
    /// # Errors
    /// * `ZeroAmount`; `ERC20InsufficientBalance`; the pool's errors for the transfer.
    ///
    /// # Events
    /// `Transfer(caller, 0, wrapped_amount)`, `Withdraw(caller, caller, caller, value,
    /// wrapped_amount)`.
    pub fn unwrap(&mut self, wrapped_amount: U256) -> Result<U256, Revert> {
        let caller = self.vm().msg_sender();
        // The caller's own tokens back to itself: no receiver to refuse (the queue unwraps
        // the wrapped tokens its requests took).
        self.redeem_to(wrapped_amount, caller, caller)
    }

    /// Wrapped tokens `pooled_amount` pool tokens wrap into now (rounded down).
    ///
    /// # Errors
    /// * `PoolAnswerMalformed` or the pool's revert if the pool cannot be read.
    pub fn get_wrapped_by_pooled(&self, pooled_amount: U256) -> Result<U256, Revert> {
        self.preview_deposit(pooled_amount)
    }

    /// Pool tokens `wrapped_amount` wrapped tokens unwrap into now (rounded down).
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn get_pooled_by_wrapped(&self, wrapped_amount: U256) -> Result<U256, Revert> {
        self.preview_redeem(wrapped_amount)
    }

    /// Pool tokens one whole wrapped token (1e18) is worth (rounded down).
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn st_eth_per_token(&self) -> Result<U256, Revert> {
        self.preview_redeem(ONE_TOKEN)
    }

    /// Wrapped tokens one whole pool token (1e18) wraps into (rounded down).
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn tokens_per_st_eth(&self) -> Result<U256, Revert> {
        self.preview_deposit(ONE_TOKEN)
    }

    /// ETH sent here is staked in the pool and the shares minted are wrapped for the sender,
    /// in one step.
    ///
    /// # Errors
    /// The pool's staking errors (`StakingIsPaused`, `StakeLimitExceeded`, `ZeroDeposit`,
    /// `ProtocolStopped`, ...), passed on; `PoolAnswerMalformed`.
    ///
    /// # Events
    /// `Transfer(0, sender, shares)`, `Deposit(sender, sender, value, shares)`.
    #[receive]
    #[payable]
    pub fn receive(&mut self) -> Result<(), Revert> {
        let (sender, value) = (self.vm().msg_sender(), self.vm().msg_value());
        let shares = self.pool_submit(value)?;
        self.mint_tokens(sender, shares)?;
        emit(
            self.vm(),
            &[Deposit::SIGNATURE_HASH, sender.word(), sender.word()],
            &[value.word(), shares.word()],
        );
        Ok(())
    }

    // ------------------------------------------------------------------ ERC-4626

    /// The asset: the pool token.
    pub fn asset(&self) -> Address {
        self.pool.get()
    }

    /// Pool tokens the wrapper holds (its shares' value, dust from rounding included).
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn total_assets(&self) -> Result<U256, Revert> {
        let this = self.vm().contract_address();
        self.pool_balance_of(this)
    }

    /// `floor(assets * S / P)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn convert_to_shares(&self, assets: U256) -> Result<U256, Revert> {
        self.preview_deposit(assets)
    }

    /// `floor(shares * P / S)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn convert_to_assets(&self, shares: U256) -> Result<U256, Revert> {
        self.preview_redeem(shares)
    }

    /// Unlimited, or zero while the pool is stopped (its transfers then revert).
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn max_deposit(&self, receiver: Address) -> Result<U256, Revert> {
        let _ = receiver;
        Ok(if self.pool_stopped()? { U256::ZERO } else { U256::MAX })
    }

    /// What `deposit(assets)` mints now: `floor(assets * S / P)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn preview_deposit(&self, assets: U256) -> Result<U256, Revert> {
        let (total_shares, total_pooled) = self.pool_totals()?;
        Ok(shares::shares_for_ether(assets, total_shares, total_pooled).map_err(math)?)
    }

    /// Takes `assets` pool tokens from the caller and mints `previewDeposit(assets)` wrapped
    /// tokens to `receiver`. Returns the tokens minted.
    ///
    /// # Errors
    /// * `ZeroAmount` if nothing would be minted; `ERC20InvalidReceiver`; the pool's errors
    ///   for the transfer.
    ///
    /// # Events
    /// `Transfer(0, receiver, shares)`, `Deposit(caller, receiver, assets, shares)`.
    pub fn deposit(&mut self, assets: U256, receiver: Address) -> Result<U256, Revert> {
        let shares = self.preview_deposit(assets)?;
        self.take_and_mint(assets, shares, receiver)?;
        Ok(shares)
    }

    /// As `maxDeposit`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn max_mint(&self, receiver: Address) -> Result<U256, Revert> {
        self.max_deposit(receiver)
    }

    /// Pool tokens `mint(shares)` takes now: `ceil(shares * P / S)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn preview_mint(&self, shares: U256) -> Result<U256, Revert> {
        let (total_shares, total_pooled) = self.pool_totals()?;
        Ok(shares::ether_for_shares_round_up(shares, total_shares, total_pooled).map_err(math)?)
    }

    /// Mints exactly `shares` wrapped tokens to `receiver` for `previewMint(shares)` of the
    /// caller's pool tokens. Returns the pool tokens taken.
    ///
    /// # Errors
    /// As `deposit`.
    ///
    /// # Events
    /// As `deposit`.
    pub fn mint(&mut self, shares: U256, receiver: Address) -> Result<U256, Revert> {
        let assets = self.preview_mint(shares)?;
        self.take_and_mint(assets, shares, receiver)?;
        Ok(assets)
    }

    /// Pool tokens `owner` can withdraw: the value of its wrapped tokens, rounded down; zero
    /// while the pool is stopped.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn max_withdraw(&self, owner: Address) -> Result<U256, Revert> {
        if self.pool_stopped()? {
            return Ok(U256::ZERO);
        }
        self.preview_redeem(self.balances.get(owner))
    }

    /// Wrapped tokens `withdraw(assets)` burns now: `ceil(assets * S / P)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn preview_withdraw(&self, assets: U256) -> Result<U256, Revert> {
        let (total_shares, total_pooled) = self.pool_totals()?;
        Ok(shares::shares_to_deliver(assets, total_shares, total_pooled).map_err(math)?)
    }

    /// Burns `previewWithdraw(assets)` of `owner`'s wrapped tokens (spending the caller's
    /// allowance unless the caller is `owner`) and pays `receiver` at least `assets` pool
    /// tokens. Returns the wrapped tokens burnt.
    ///
    /// # Errors
    /// * `ZeroAmount`; `ERC20InvalidReceiver` for the wrapper itself, the pool or the pool's
    ///   withdrawal queue (pool tokens sent there would be lost); `ERC20InsufficientAllowance`;
    ///   `ERC20InsufficientBalance`; the pool's errors for the transfer
    ///   (`ERC20InvalidReceiver` for zero, `ProtocolStopped`).
    ///
    /// # Events
    /// `Approval` (allowance spent), `Transfer(owner, 0, shares)`, `Withdraw(caller,
    /// receiver, owner, assets, shares)`.
    pub fn withdraw(
        &mut self,
        assets: U256,
        receiver: Address,
        owner: Address,
    ) -> Result<U256, Revert> {
        self.check_withdrawal_receiver(receiver)?;
        let shares = self.preview_withdraw(assets)?;
        self.burn_for(owner, shares, assets, receiver)?;
        // Moves `ceil(assets * S / P)` shares: exactly the tokens just burnt.
        self.pool_call(pool::transfer(receiver, assets), U256::ZERO)?;
        Ok(shares)
    }

    /// `owner`'s wrapped tokens; zero while the pool is stopped.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn max_redeem(&self, owner: Address) -> Result<U256, Revert> {
        Ok(if self.pool_stopped()? { U256::ZERO } else { self.balances.get(owner) })
    }

    /// Pool tokens `redeem(shares)` pays now: `floor(shares * P / S)`.
    ///
    /// # Errors
    /// As `getWrappedByPooled`.
    pub fn preview_redeem(&self, shares: U256) -> Result<U256, Revert> {
        let (total_shares, total_pooled) = self.pool_totals()?;
        Ok(shares::ether_for_shares(shares, total_shares, total_pooled).map_err(math)?)
    }

    /// Burns `shares` of `owner`'s wrapped tokens (spending the caller's allowance unless
    /// the caller is `owner`) and hands `receiver` as many pool shares. Returns their value
    /// in pool tokens (rounded down).
    ///
    /// # Errors
    /// As `withdraw`.
    ///
    /// # Events
    /// As `withdraw`.
    pub fn redeem(
        &mut self,
        shares: U256,
        receiver: Address,
        owner: Address,
    ) -> Result<U256, Revert> {
        self.check_withdrawal_receiver(receiver)?;
        self.redeem_to(shares, receiver, owner)
    }
}
