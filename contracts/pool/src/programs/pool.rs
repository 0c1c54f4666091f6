//! The `pool` program, the pool's front: the token, permits, shares and staking. Every other
//! selector goes to `pool-accounting` by delegatecall ([`Delegate`]).

use alloc::{string::String, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    eip712, initializable,
    program::Delegate,
};

use crate::{errors::*, events::WithdrawalSurplusReceived, Pool, PoolError, NAME, SYMBOL, VERSION};

#[public]
impl Pool {
    // ------------------------------------------------------------------ ERC-20 views

    /// The token name.
    pub fn name(&self) -> String {
        String::from(NAME)
    }

    /// The token symbol.
    pub fn symbol(&self) -> String {
        String::from(SYMBOL)
    }

    /// Always 18, like ETH.
    pub fn decimals(&self) -> u8 {
        18
    }

    /// All pooled ETH, i.e. the sum of every balance before rounding.
    pub fn total_supply(&self) -> U256 {
        self.total_pooled_ether()
    }

    /// `account`'s balance: its shares at the current rate, rounded down.
    ///
    /// # Errors
    /// * `ArithmeticFailed` only in unreachable states (a zero share total).
    pub fn balance_of(&self, account: Address) -> Result<U256, PoolError> {
        self.ether_for_shares(self.shares.get(account))
    }

    /// How many token units `spender` may move for `owner`.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.allowance(owner, spender)
    }

    // ------------------------------------------------------------------ ERC-20 actions

    /// Moves at least `amount` token units from the caller to `to` (see the crate docs for the
    /// rounding rule).
    ///
    /// # Errors
    /// * `ERC20InvalidReceiver` for the zero address or the pool itself.
    /// * `ERC20InsufficientBalance` if `amount` exceeds the caller's balance.
    /// * `ProtocolStopped`, `ReentrantCall`.
    ///
    /// # Events
    /// `Transfer(from, to, amount)`, `TransferShares(from, to, shares)`.
    pub fn transfer(&mut self, to: Address, amount: U256) -> Result<bool, PoolError> {
        self.non_reentrant()?;
        let from = self.vm().msg_sender();
        self.transfer_amount(from, to, amount)?;
        Ok(true)
    }

    /// Moves at least `amount` token units from `from` to `to`, spending the value actually
    /// moved (the shares moved, valued rounded up) from the caller's allowance, which must be
    /// at least `amount`; an allowance between the two is emptied, so a spender never moves
    /// more than its allowance plus one rounding in all. An allowance of `type(uint256).max`
    /// is never spent.
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance` below `amount`, then the errors of `transfer`.
    ///
    /// # Events
    /// `Transfer`, `TransferShares`; `Approval` with the remaining allowance when it changes.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<bool, PoolError> {
        self.non_reentrant()?;
        let spender = self.vm().msg_sender();
        let moved = self.value_moved(amount)?;
        self.allowances.spend_within(from, spender, amount, moved)?;
        self.transfer_amount(from, to, amount)?;
        Ok(true)
    }

    /// Sets the caller's allowance for `spender` to `amount`.
    ///
    /// # Errors
    /// * `ERC20InvalidSpender` for the zero address; `ReentrantCall`.
    ///
    /// # Events
    /// `Approval(owner, spender, amount)`.
    pub fn approve(&mut self, spender: Address, amount: U256) -> Result<bool, PoolError> {
        self.non_reentrant()?;
        let owner = self.vm().msg_sender();
        self.allowances.approve(owner, spender, amount)?;
        Ok(true)
    }

    /// Raises the caller's allowance for `spender` by `added`.
    ///
    /// # Errors
    /// * `ERC20InvalidSpender`; `ArithmeticFailed` on overflow; `ReentrantCall`.
    ///
    /// # Events
    /// `Approval` with the new allowance.
    pub fn increase_allowance(&mut self, spender: Address, added: U256) -> Result<bool, PoolError> {
        self.non_reentrant()?;
        let owner = self.vm().msg_sender();
        let current = self.allowances.allowance(owner, spender);
        let new = current.checked_add(added).ok_or_else(arithmetic)?;
        self.allowances.approve(owner, spender, new)?;
        Ok(true)
    }

    /// Lowers the caller's allowance for `spender` by `subtracted`.
    ///
    /// # Errors
    /// * `ERC20FailedDecreaseAllowance` if that would go below zero; `ERC20InvalidSpender`;
    ///   `ReentrantCall`.
    ///
    /// # Events
    /// `Approval` with the new allowance.
    pub fn decrease_allowance(
        &mut self,
        spender: Address,
        subtracted: U256,
    ) -> Result<bool, PoolError> {
        self.non_reentrant()?;
        let owner = self.vm().msg_sender();
        let current = self.allowances.allowance(owner, spender);
        let new = current.checked_sub(subtracted).ok_or(ERC20FailedDecreaseAllowance {
            spender,
            currentAllowance: current,
            requestedDecrease: subtracted,
        })?;
        self.allowances.approve(owner, spender, new)?;
        Ok(true)
    }

    // ------------------------------------------------------------------ EIP-2612 / EIP-5267

    /// Sets `owner`'s allowance for `spender` to `value` with `owner`'s EIP-712 signature;
    /// contract wallets sign through EIP-1271 (the 65 bytes `r‖s‖v` are passed to their
    /// `isValidSignature`).
    ///
    /// # Errors
    /// * `ERC2612ExpiredSignature` after `deadline`; `ERC2612InvalidSigner` for any signature
    ///   that is not `owner`'s over the current nonce; `ERC20InvalidSpender`; `ReentrantCall`.
    ///
    /// # Events
    /// `Approval(owner, spender, value)`.
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
    ) -> Result<(), PoolError> {
        self.non_reentrant()?;
        // Checked before the signature so a permit that cannot apply does not burn a nonce.
        if spender.is_zero() {
            return Err(ERC20InvalidSpender { spender }.into());
        }
        let domain = self.domain_separator();
        self.permit.verify_and_consume(domain, owner, spender, value, deadline, v, r, s)?;
        Ok(self.allowances.approve(owner, spender, value)?)
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

    // ------------------------------------------------------------------ shares

    /// `account`'s shares.
    pub fn shares_of(&self, account: Address) -> U256 {
        self.shares.get(account)
    }

    /// All shares in existence.
    pub fn get_total_shares(&self) -> U256 {
        self.total_shares()
    }

    /// `bufferedEther + clBalance + transientEther`.
    pub fn get_total_pooled_ether(&self) -> U256 {
        self.total_pooled_ether()
    }

    /// `(getTotalShares(), getTotalPooledEther())` in one call: what a wrapper or an
    /// integrator needs to convert at the current rate, for one program entry instead of two
    /// (the wrapped token's conversions use it).
    pub fn get_total_shares_and_pooled_ether(&self) -> (U256, U256) {
        (self.total_shares(), self.total_pooled_ether())
    }

    /// Shares worth `eth_amount`, rounded down.
    ///
    /// # Errors
    /// * `ArithmeticFailed` on overflow.
    pub fn get_shares_by_pooled_eth(&self, eth_amount: U256) -> Result<U256, PoolError> {
        self.shares_for_ether(eth_amount)
    }

    /// ETH worth of `shares_amount`, rounded down.
    ///
    /// # Errors
    /// * `ArithmeticFailed` on overflow.
    pub fn get_pooled_eth_by_shares(&self, shares_amount: U256) -> Result<U256, PoolError> {
        self.ether_for_shares(shares_amount)
    }

    /// ETH worth of `shares_amount`, rounded up.
    ///
    /// # Errors
    /// * `ArithmeticFailed` on overflow.
    pub fn get_pooled_eth_by_shares_round_up(
        &self,
        shares_amount: U256,
    ) -> Result<U256, PoolError> {
        self.ether_for_shares_round_up(shares_amount)
    }

    /// Moves `shares_amount` shares from the caller to `to`; returns their token value.
    ///
    /// # Errors
    /// * `ERC20InvalidReceiver`, `InsufficientShares`, `ProtocolStopped`, `ReentrantCall`.
    ///
    /// # Events
    /// `Transfer(from, to, value)`, `TransferShares(from, to, shares_amount)`.
    pub fn transfer_shares(&mut self, to: Address, shares_amount: U256) -> Result<U256, PoolError> {
        self.non_reentrant()?;
        let from = self.vm().msg_sender();
        self.transfer_shares_internal(from, to, shares_amount)
    }

    /// Moves `shares_amount` shares from `from` to `to`, spending their token value rounded
    /// up from the caller's allowance; returns that value rounded down.
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance`, then the errors of `transferShares`.
    ///
    /// # Events
    /// `Transfer`, `TransferShares`, and `Approval` when the allowance changes.
    pub fn transfer_shares_from(
        &mut self,
        from: Address,
        to: Address,
        shares_amount: U256,
    ) -> Result<U256, PoolError> {
        self.non_reentrant()?;
        let spender = self.vm().msg_sender();
        let cost = self.ether_for_shares_round_up(shares_amount)?;
        self.allowances.spend(from, spender, cost)?;
        self.transfer_shares_internal(from, to, shares_amount)
    }

    // ------------------------------------------------------------------ staking

    /// Stakes the ETH sent and mints shares at the pre-deposit rate, rounded down.
    ///
    /// # Arguments
    /// * `referral` - recorded in the event only.
    ///
    /// # Errors
    /// * `ZeroDeposit`, `ZeroSharesMinted`, `StakingIsPaused`, `StakeLimitExceeded`,
    ///   `ProtocolStopped`, `ReentrantCall`.
    ///
    /// # Events
    /// `Submitted`, `Transfer(0, sender, value)`, `TransferShares(0, sender, shares)`.
    #[payable]
    pub fn submit(&mut self, referral: Address) -> Result<U256, PoolError> {
        self.non_reentrant()?;
        self.stake(referral)
    }

    /// Plain ETH transfers stake too, with no referral.
    ///
    /// # Errors
    /// As `submit`.
    #[receive]
    #[payable]
    pub fn receive(&mut self) -> Result<(), Vec<u8>> {
        self.non_reentrant()?;
        self.stake(Address::ZERO)?;
        Ok(())
    }

    /// Takes ETH a vault sends back while the pool pulls from it during a report.
    ///
    /// # Errors
    /// * `UnexpectedVaultFunds` unless the caller is one of the two vaults and the pool itself
    ///   started the call (the call is reentrant).
    #[payable]
    pub fn receive_vault_funds(&mut self) -> Result<(), PoolError> {
        let sender = self.vm().msg_sender();
        let from_vault =
            sender == self.withdrawal_vault.get() || sender == self.rewards_vault.get();
        if !from_vault || !self.vm().msg_reentrant() {
            return Err(UnexpectedVaultFunds { sender }.into());
        }
        // The report credits the buffer with the amount it asked for; nothing to record here.
        Ok(())
    }

    /// Takes ETH the withdrawal queue held above what its finalized requests can claim
    /// (rounding of finalizations, swept by the queue's `sweepSurplus`) into the buffer: it
    /// left the buffer when those requests were finalized, and goes back to every holder.
    /// The share rate rises by the amount, like any ETH added without shares; the queue is
    /// the only sender, so nobody can move the rate through this door.
    ///
    /// # Errors
    /// * `ReentrantCall` while one of the pool's own calls runs (a report: its buffer is
    ///   already written); `NotWithdrawalQueue` unless the withdrawal queue calls.
    ///
    /// # Events
    /// `WithdrawalSurplusReceived(amount)`.
    #[payable]
    pub fn receive_withdrawal_surplus(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        let caller = self.vm().msg_sender();
        if caller != self.withdrawal_queue.get() {
            return Err(NotWithdrawalQueue { caller }.into());
        }
        let amount = self.vm().msg_value();
        let buffered = self.buffered_ether().checked_add(amount).ok_or_else(arithmetic)?;
        self.set_buffered_ether(buffered)?;
        emit(self.vm(), &[WithdrawalSurplusReceived::SIGNATURE_HASH], &[amount.word()]);
        Ok(())
    }

    // ------------------------------------------------------------------ the other two

    /// Runs every selector the pool does not know in `pool-accounting`'s code (and, through
    /// its fallback, `pool-admin`'s), on the pool's storage (delegatecall): oracle reports,
    /// deposits, configuration, roles and their views.
    ///
    /// # Errors
    /// * `ReentrantCall` for any call made while one of the pool's own calls runs, so those
    ///   functions are never re-entered (views included);
    /// * `NotInitialized` before `initialize`;
    /// * whatever the delegated code reverts with, unchanged (empty data for a selector no
    ///   part of the pool knows).
    ///
    /// # Events
    /// Those of the delegated function.
    #[fallback]
    #[payable]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        if self.accounting_contract.get().is_zero() {
            self.install_programs(calldata)?;
        }
        self.delegate(calldata)
    }
}

impl Pool {
    /// The front's part of `initialize` (which `pool-admin` serves), run while the pool does
    /// not know its other programs yet: proves the caller deployed the pool and records the
    /// two programs, so the fallback can delegate the rest of the call to them.
    ///
    /// `initialize` lives in `pool-admin` because every call into the pool pays for the
    /// front's code (about 0.13 gas per wasm byte uncached, 0.75 per data byte always), and
    /// the one-time set-up with its decoding was an eighth of it. The deployer check cannot
    /// move with it: before this runs, the program addresses come from the caller, and
    /// delegating to them unchecked would let anyone who front-ran the deployer run their own
    /// code on the pool's storage.
    ///
    /// # Errors
    /// * `NotInitialized` for any other selector (nothing else works before `initialize`);
    ///   empty revert data for `initialize` arguments that do not decode, as the router gives;
    /// * `ZeroAddress` if either program address is zero, `ExtensionWithoutCode` if either
    ///   holds no code (a delegatecall to it would succeed doing nothing);
    /// * `NotDeployer` from the initialisation guard.
    fn install_programs(&mut self, calldata: &[u8]) -> Result<(), Vec<u8>> {
        use alloy_sol_types::SolCall as _;

        if !calldata.starts_with(&tidepool_interfaces::IPool::initializeCall::SELECTOR) {
            return Err(PoolError::from(initializable::NotInitialized {}).into());
        }
        // The ten arguments are static words: the nonce first, the two programs last.
        // (Decoded by hand: alloy's decoder would put back a third of the bytes saved.)
        let word = |i: usize| calldata.get(4 + 32 * i..4 + 32 * (i + 1));
        let clean = |w: &[u8], width: usize| w[..32 - width].iter().all(|b| *b == 0);
        let address = |i: usize| match word(i) {
            Some(w) if clean(w, 20) => Ok(Address::from_slice(&w[12..])),
            _ => Err(Vec::new()),
        };
        let deployer_nonce = match word(0) {
            Some(w) if clean(w, 8) => {
                u64::from_be_bytes(w[24..].try_into().map_err(|_| Vec::new())?)
            }
            _ => return Err(Vec::new()),
        };
        let programs = [address(8)?, address(9)?];
        if programs.iter().any(|a| a.is_zero()) {
            return Err(PoolError::from(ZeroAddress {}).into());
        }
        for extension in programs {
            if self.vm().code_size(extension) == 0 {
                return Err(PoolError::from(ExtensionWithoutCode { extension }).into());
            }
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init
            .initialize(this, caller, deployer_nonce)
            .map_err(|e| Vec::from(PoolError::from(e)))?;
        let [accounting, admin] = programs;
        self.accounting_contract.set(accounting);
        self.admin_contract.set(admin);
        Ok(())
    }
}
