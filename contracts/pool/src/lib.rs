//! Tidepool's deposit pool and rebasing token (the stETH role).
//!
//! Balances are shares: `balanceOf(a) = sharesOf(a) * totalPooledEther / totalShares`, so an
//! oracle report that changes `totalPooledEther` rebases every holder in one storage write.
//! `totalPooledEther = bufferedEther + clBalance + transientEther`, where transient ETH is the
//! 32 ETH per validator deposited but not yet seen by the oracle.
//!
//! Rounding rules (all favour the protocol or the recipient, never the caller):
//! - staking mints `floor(amount * S / P)` shares at the pre-deposit rate;
//! - `transfer(to, amount)` moves `ceil(amount * S / P)` shares, so `to`'s balance rises by at
//!   least `amount` (Lido's stETH can deliver 1–2 wei less). It reverts unless
//!   `amount <= balanceOf(from)`, which also bounds the shares moved by `sharesOf(from)`;
//! - `transferSharesFrom` spends `ceil(shares * P / S)` of allowance.
//!
//! Reentrancy: the pool is built with the SDK's reentrancy guard off, because vaults pay it
//! back through `receiveVaultFunds` while a report runs. Every state-changing entry point
//! therefore rejects reentrant calls itself ([`Pool::non_reentrant`]), and
//! `receiveVaultFunds` accepts only reentrant calls from a vault, i.e. pulls the pool started.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod errors;
pub mod events;
pub mod interfaces;
mod report;
mod staking;
mod token;

use alloc::{string::String, vec, vec::Vec};
use alloy_sol_types::SolEvent as _;
use tidepool_common::abi::{emit, AsWord};

use alloy_primitives::{aliases::B8, Address, FixedBytes, B256, U256};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU16, StorageU256, StorageU32, StorageU64,
        StorageU96,
    },
};
use tidepool_common::{access_control::AccessControl, eip712, initializable, permit::Permit};

pub use errors::PoolError;
use errors::*;
use events::*;

/// ERC-20 name, also the EIP-712 domain name.
pub const NAME: &str = "Tidepool Staked Ether";
/// ERC-20 symbol.
pub const SYMBOL: &str = "tpETH";
/// EIP-712 domain version.
pub const VERSION: &str = "1";
/// Where the initial shares are locked forever ("stone in the elevator").
pub const INITIAL_HOLDER: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad]);
/// ETH each validator deposit takes.
pub const DEPOSIT_SIZE: U256 = U256::from_limbs([0xbc16_d674_ec80_0000, 1, 0, 0]);
/// Lido mainnet's cap on one report's share-rate increase: 0.075% in 1e9 precision.
pub const DEFAULT_MAX_POSITIVE_REBASE: u64 = 750_000;
/// Lido mainnet's protocol fee split: 5% treasury and 5% node operators.
pub const DEFAULT_TREASURY_FEE_BP: u16 = 500;
/// See [`DEFAULT_TREASURY_FEE_BP`].
pub const DEFAULT_MODULE_FEE_BP: u16 = 500;

/// Roles (keccak256 of the name, as in OpenZeppelin and Lido).
pub mod roles {
    use alloy_primitives::B256;
    use stylus_sdk::keccak_const::Keccak256;

    const fn id(name: &[u8]) -> B256 {
        B256::new(Keccak256::new().update(name).finalize())
    }
    /// May pause staking.
    pub const STAKING_PAUSE_ROLE: B256 = id(b"STAKING_PAUSE_ROLE");
    /// May resume staking and set or remove the stake limit.
    pub const STAKING_CONTROL_ROLE: B256 = id(b"STAKING_CONTROL_ROLE");
    /// May stop the whole protocol.
    pub const PAUSE_ROLE: B256 = id(b"PAUSE_ROLE");
    /// May resume the whole protocol.
    pub const RESUME_ROLE: B256 = id(b"RESUME_ROLE");
    /// May send buffered ETH to the staking module.
    pub const DEPOSIT_ROLE: B256 = id(b"DEPOSIT_ROLE");
    /// May set the fee, its split and the positive-rebase cap.
    pub const FEE_MANAGER_ROLE: B256 = id(b"FEE_MANAGER_ROLE");
}

/// Every event and error of the pool, with parameter names, for `abi/IPool.sol` and
/// `abi/Pool.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;
    use tidepool_common::{access_control, nonces, permit};

    /// The pool's events and errors, and its `receive`.
    pub fn items() -> Items {
        Items::new()
            .event::<events::Transfer>()
            .event::<events::Approval>()
            .event::<events::TransferShares>()
            .event::<events::SharesBurnt>()
            .event::<events::Submitted>()
            .event::<events::TokenRebased>()
            .event::<events::ETHDistributed>()
            .event::<events::CLValidatorsUpdated>()
            .event::<events::Unbuffered>()
            .event::<events::DepositedValidatorsChanged>()
            .event::<events::VaultFundsReceived>()
            .event::<events::WithdrawalsFinalized>()
            .event::<events::StakingPaused>()
            .event::<events::StakingResumed>()
            .event::<events::StakingLimitSet>()
            .event::<events::StakingLimitRemoved>()
            .event::<events::Stopped>()
            .event::<events::Resumed>()
            .event::<events::FeeSet>()
            .event::<events::MaxPositiveRebaseSet>()
            .event::<events::TreasurySet>()
            .event::<events::StakingModuleSet>()
            .event::<initializable::Initialized>()
            .event::<access_control::RoleGranted>()
            .event::<access_control::RoleRevoked>()
            .event::<access_control::RoleAdminChanged>()
            .error::<errors::ERC20InsufficientBalance>()
            .error::<errors::ERC20InvalidSender>()
            .error::<errors::ERC20InvalidReceiver>()
            .error::<errors::ERC20InsufficientAllowance>()
            .error::<errors::ERC20InvalidApprover>()
            .error::<errors::ERC20InvalidSpender>()
            .error::<errors::ERC20FailedDecreaseAllowance>()
            .error::<errors::InsufficientShares>()
            .error::<errors::ProtocolStopped>()
            .error::<errors::ProtocolNotStopped>()
            .error::<errors::StakingIsPaused>()
            .error::<errors::StakingNotPaused>()
            .error::<errors::ZeroDeposit>()
            .error::<errors::ZeroSharesMinted>()
            .error::<errors::StakeLimitExceeded>()
            .error::<errors::InvalidStakeLimit>()
            .error::<errors::ZeroValidators>()
            .error::<errors::InsufficientDepositableEther>()
            .error::<errors::DepositTransferFailed>()
            .error::<errors::NotOracle>()
            .error::<errors::ReportedValidatorsDecreased>()
            .error::<errors::ReportedValidatorsExceedDeposited>()
            .error::<errors::VaultWithdrawalFailed>()
            .error::<errors::WithdrawalQueueCallFailed>()
            .error::<errors::InsufficientEtherToFinalize>()
            .error::<errors::UnexpectedVaultFunds>()
            .error::<errors::ReentrantCall>()
            .error::<errors::InvalidFee>()
            .error::<errors::InvalidMaxPositiveRebase>()
            .error::<errors::ZeroAddress>()
            .error::<errors::ZeroInitialStake>()
            .error::<errors::ArithmeticFailed>()
            .error::<initializable::AlreadyInitialized>()
            .error::<initializable::NotDeployer>()
            .error::<initializable::NotInitialized>()
            .error::<access_control::AccessControlUnauthorizedAccount>()
            .error::<access_control::AccessControlBadConfirmation>()
            .error::<permit::ERC2612ExpiredSignature>()
            .error::<permit::ERC2612InvalidSigner>()
            .error::<nonces::NonceOverflow>()
            .receive()
    }
}

/// The pool's storage. Small fields are grouped so each group packs into one slot.
#[entrypoint]
#[storage]
pub struct Pool {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    pub(crate) permit: Permit,

    pub(crate) shares: StorageMap<Address, StorageU256>,
    pub(crate) allowances: StorageMap<Address, StorageMap<Address, StorageU256>>,
    pub(crate) total_shares: StorageU256,
    pub(crate) buffered_ether: StorageU256,
    pub(crate) cl_balance: StorageU256,
    /// Shares of finalised withdrawal requests, still held by the queue, whose burning the
    /// positive-rebase cap deferred to a later report.
    pub(crate) shares_pending_burn: StorageU256,
    pub(crate) deposited_validators: StorageU64,
    pub(crate) cl_validators: StorageU64,

    // One slot: Lido's packed stake-limit state.
    pub(crate) prev_stake_limit: StorageU96,
    pub(crate) prev_stake_block: StorageU32,
    pub(crate) max_stake_limit: StorageU96,
    pub(crate) max_stake_limit_growth_blocks: StorageU32,

    // One slot: switches and fees.
    pub(crate) stopped: StorageBool,
    pub(crate) staking_paused: StorageBool,
    pub(crate) treasury_fee_bp: StorageU16,
    pub(crate) module_fee_bp: StorageU16,
    pub(crate) max_positive_rebase: StorageU64,

    pub(crate) oracle: StorageAddress,
    pub(crate) withdrawal_queue: StorageAddress,
    pub(crate) withdrawal_vault: StorageAddress,
    pub(crate) rewards_vault: StorageAddress,
    pub(crate) treasury: StorageAddress,
    pub(crate) staking_module: StorageAddress,
}

use initializable::Initializable;

#[public]
impl Pool {
    // ------------------------------------------------------------------ set-up

    /// Sets the pool up, once, by the account that deployed it, and locks the ETH sent as
    /// shares at `0x…dEaD` so `totalShares` and `totalPooledEther` never return to zero (this
    /// makes the first-depositor share-inflation attack impossible).
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed this contract with (proves it did).
    /// * `admin` - receives `DEFAULT_ADMIN_ROLE`.
    /// * `oracle` - the only caller of `handleOracleReport`.
    /// * `withdrawal_queue`, `withdrawal_vault`, `rewards_vault`, `treasury`,
    ///   `staking_module` - the other protocol addresses.
    ///
    /// # Errors
    /// * `ZeroInitialStake` if no ETH is sent; `ZeroAddress` if any address is zero.
    /// * `AlreadyInitialized`, `NotDeployer` from the initialisation guard.
    ///
    /// # Events
    /// `Initialized`, `RoleGranted`, `Submitted`, `Transfer`, `TransferShares`, `FeeSet`,
    /// `MaxPositiveRebaseSet`, `TreasurySet`, `StakingModuleSet`.
    #[payable]
    #[allow(clippy::too_many_arguments)]
    pub fn initialize(
        &mut self,
        deployer_nonce: u64,
        admin: Address,
        oracle: Address,
        withdrawal_queue: Address,
        withdrawal_vault: Address,
        rewards_vault: Address,
        treasury: Address,
        staking_module: Address,
    ) -> Result<(), PoolError> {
        let amount = self.vm().msg_value();
        if amount.is_zero() {
            return Err(ZeroInitialStake {}.into());
        }
        let addresses = [
            admin,
            oracle,
            withdrawal_queue,
            withdrawal_vault,
            rewards_vault,
            treasury,
            staking_module,
        ];
        if addresses.iter().any(|a| a.is_zero()) {
            return Err(ZeroAddress {}.into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;

        self.access._grant_role(B256::ZERO, admin);
        self.oracle.set(oracle);
        self.withdrawal_queue.set(withdrawal_queue);
        self.withdrawal_vault.set(withdrawal_vault);
        self.rewards_vault.set(rewards_vault);
        self.set_treasury_unchecked(treasury);
        self.set_staking_module_unchecked(staking_module);
        self.set_fee_unchecked(DEFAULT_TREASURY_FEE_BP, DEFAULT_MODULE_FEE_BP);
        self.set_max_positive_rebase_unchecked(DEFAULT_MAX_POSITIVE_REBASE);

        // The first stake is 1:1, so the shares equal the wei sent.
        self.buffered_ether.set(amount);
        self.mint_shares(INITIAL_HOLDER, amount)?;
        emit(
            self.vm(),
            &[Submitted::SIGNATURE_HASH, caller.word()],
            &[amount.word(), (Address::ZERO).word()],
        );
        self.emit_transfer_and_shares(Address::ZERO, INITIAL_HOLDER, amount, amount);
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        Ok(())
    }

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
        self.allowances.getter(owner).get(spender)
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

    /// Moves at least `amount` token units from `from` to `to`, spending `amount` of the
    /// caller's allowance (an allowance of `type(uint256).max` is never spent).
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance`, then the errors of `transfer`.
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
        self.spend_allowance(from, spender, amount)?;
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
        self.set_allowance(owner, spender, amount)?;
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
        let current = self.allowances.getter(owner).get(spender);
        let new = current.checked_add(added).ok_or_else(arithmetic)?;
        self.set_allowance(owner, spender, new)?;
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
        let current = self.allowances.getter(owner).get(spender);
        let new = current.checked_sub(subtracted).ok_or(ERC20FailedDecreaseAllowance {
            spender,
            currentAllowance: current,
            requestedDecrease: subtracted,
        })?;
        self.set_allowance(owner, spender, new)?;
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
        self.set_allowance(owner, spender, value)
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
    #[allow(clippy::type_complexity)]
    pub fn eip712_domain(&self) -> (FixedBytes<1>, String, String, U256, Address, B256, Vec<U256>) {
        (
            B8::new([0x0f]),
            String::from(NAME),
            String::from(VERSION),
            U256::from(self.vm().chain_id()),
            self.vm().contract_address(),
            B256::ZERO,
            Vec::new(),
        )
    }

    // ------------------------------------------------------------------ shares

    /// `account`'s shares.
    pub fn shares_of(&self, account: Address) -> U256 {
        self.shares.get(account)
    }

    /// All shares in existence.
    pub fn get_total_shares(&self) -> U256 {
        self.total_shares.get()
    }

    /// `bufferedEther + clBalance + transientEther`.
    pub fn get_total_pooled_ether(&self) -> U256 {
        self.total_pooled_ether()
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
        self.spend_allowance(from, spender, cost)?;
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

    /// ETH held by the pool and not yet deposited.
    pub fn get_buffered_ether(&self) -> U256 {
        self.buffered_ether.get()
    }

    /// Buffered ETH minus what unfinalised withdrawal requests reserve.
    ///
    /// # Errors
    /// * `WithdrawalQueueCallFailed` if the queue cannot be read.
    pub fn get_depositable_ether(&self) -> Result<U256, PoolError> {
        self.depositable_ether()
    }

    /// `(depositedValidators, beaconValidators, beaconBalance)`.
    pub fn get_beacon_stat(&self) -> (U256, U256, U256) {
        (
            U256::from(self.deposited_validators.get()),
            U256::from(self.cl_validators.get()),
            self.cl_balance.get(),
        )
    }

    /// Sends `validators * 32 ETH` of depositable ETH to the staking module.
    ///
    /// # Errors
    /// * `ZeroValidators`; `InsufficientDepositableEther` when buffered ETH minus the
    ///   withdrawal reserve is short; `DepositTransferFailed`; `AccessControlUnauthorizedAccount`
    ///   without `DEPOSIT_ROLE`; `ProtocolStopped`; `ReentrantCall`.
    ///
    /// # Events
    /// `Unbuffered(amount)`, `DepositedValidatorsChanged(total)`.
    pub fn deposit(&mut self, validators: U256) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::DEPOSIT_ROLE)?;
        self.deposit_validators(validators)
    }

    // ------------------------------------------------------------------ stake limit

    /// Sets the regenerating stake limit: at most `max_stake_limit` wei may be staked at once,
    /// regenerating by `stake_limit_increase_per_block` per block.
    ///
    /// # Errors
    /// * `InvalidStakeLimit` if the max is zero or above 2^96 − 1, or the increase is zero
    ///   or above the max; `AccessControlUnauthorizedAccount` without `STAKING_CONTROL_ROLE`.
    ///
    /// # Events
    /// `StakingLimitSet`.
    pub fn set_staking_limit(
        &mut self,
        max_stake_limit: U256,
        stake_limit_increase_per_block: U256,
    ) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::STAKING_CONTROL_ROLE)?;
        self.set_stake_limit(max_stake_limit, stake_limit_increase_per_block)
    }

    /// Removes the stake limit.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `STAKING_CONTROL_ROLE`.
    ///
    /// # Events
    /// `StakingLimitRemoved`.
    pub fn remove_staking_limit(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::STAKING_CONTROL_ROLE)?;
        self.max_stake_limit.set(Default::default());
        emit(self.vm(), &[StakingLimitRemoved::SIGNATURE_HASH], &[]);
        Ok(())
    }

    /// How much can be staked now: zero while paused, `type(uint256).max` without a limit.
    pub fn get_current_stake_limit(&self) -> U256 {
        self.current_stake_limit()
    }

    /// `(isStakingPaused, isStakingLimitSet, currentStakeLimit, maxStakeLimit,
    /// maxStakeLimitGrowthBlocks, prevStakeLimit, prevStakeBlockNumber)`, as Lido returns it.
    #[allow(clippy::type_complexity)]
    pub fn get_stake_limit_full_info(&self) -> (bool, bool, U256, U256, U256, U256, U256) {
        (
            self.staking_paused.get(),
            !self.max_stake_limit.get().is_zero(),
            self.current_stake_limit(),
            U256::from(self.max_stake_limit.get()),
            U256::from(self.max_stake_limit_growth_blocks.get()),
            U256::from(self.prev_stake_limit.get()),
            U256::from(self.prev_stake_block.get()),
        )
    }

    /// Pauses staking (transfers and withdrawals go on).
    ///
    /// # Errors
    /// * `StakingIsPaused` if already paused; `AccessControlUnauthorizedAccount` without
    ///   `STAKING_PAUSE_ROLE`.
    ///
    /// # Events
    /// `StakingPaused`.
    pub fn pause_staking(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::STAKING_PAUSE_ROLE)?;
        if self.staking_paused.get() {
            return Err(StakingIsPaused {}.into());
        }
        self.staking_paused.set(true);
        emit(self.vm(), &[StakingPaused::SIGNATURE_HASH], &[]);
        Ok(())
    }

    /// Resumes staking.
    ///
    /// # Errors
    /// * `StakingNotPaused`; `AccessControlUnauthorizedAccount` without `STAKING_CONTROL_ROLE`.
    ///
    /// # Events
    /// `StakingResumed`.
    pub fn resume_staking(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::STAKING_CONTROL_ROLE)?;
        if !self.staking_paused.get() {
            return Err(StakingNotPaused {}.into());
        }
        self.staking_paused.set(false);
        emit(self.vm(), &[StakingResumed::SIGNATURE_HASH], &[]);
        Ok(())
    }

    /// Whether staking is paused.
    pub fn is_staking_paused(&self) -> bool {
        self.staking_paused.get()
    }

    // ------------------------------------------------------------------ fee

    /// Total protocol fee on rewards, in basis points.
    pub fn get_fee(&self) -> u16 {
        self.treasury_fee_bp.get().to::<u16>() + self.module_fee_bp.get().to::<u16>()
    }

    /// `(treasuryFeeBasisPoints, moduleFeeBasisPoints)`.
    pub fn get_fee_distribution(&self) -> (u16, u16) {
        (self.treasury_fee_bp.get().to(), self.module_fee_bp.get().to())
    }

    /// Sets the fee split; their sum is the fee on rewards.
    ///
    /// # Errors
    /// * `InvalidFee` if the sum exceeds 10,000; `AccessControlUnauthorizedAccount` without
    ///   `FEE_MANAGER_ROLE`.
    ///
    /// # Events
    /// `FeeSet`.
    pub fn set_fee(&mut self, treasury_fee_bp: u16, module_fee_bp: u16) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::FEE_MANAGER_ROLE)?;
        if u32::from(treasury_fee_bp) + u32::from(module_fee_bp)
            > u32::from(tidepool_math::BASIS_POINTS)
        {
            return Err(InvalidFee {
                treasuryFeeBasisPoints: U256::from(treasury_fee_bp),
                moduleFeeBasisPoints: U256::from(module_fee_bp),
            }
            .into());
        }
        self.set_fee_unchecked(treasury_fee_bp, module_fee_bp);
        Ok(())
    }

    /// The cap on one report's share-rate increase, in 1e9 precision (750,000 = 0.075%).
    pub fn get_max_positive_rebase(&self) -> u64 {
        self.max_positive_rebase.get().to()
    }

    /// Sets the cap on one report's share-rate increase.
    ///
    /// # Errors
    /// * `InvalidMaxPositiveRebase` for zero or above 1e9; `AccessControlUnauthorizedAccount`
    ///   without `FEE_MANAGER_ROLE`.
    ///
    /// # Events
    /// `MaxPositiveRebaseSet`.
    pub fn set_max_positive_rebase(&mut self, max_positive_rebase: u64) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::FEE_MANAGER_ROLE)?;
        if max_positive_rebase == 0 || max_positive_rebase > tidepool_math::LIMITER_PRECISION {
            return Err(InvalidMaxPositiveRebase {
                maxPositiveRebase: U256::from(max_positive_rebase),
            }
            .into());
        }
        self.set_max_positive_rebase_unchecked(max_positive_rebase);
        Ok(())
    }

    // ------------------------------------------------------------------ oracle report

    /// Applies an oracle report: updates the consensus-layer state, pulls ETH from the
    /// vaults (capped by the positive-rebase limit), finalises withdrawal requests, mints fee
    /// shares on rewards and rebases. Returns `(postTotalPooledEther, postTotalShares,
    /// withdrawalsWithdrawn, elRewardsWithdrawn)`.
    ///
    /// # Arguments
    /// * `report_timestamp`, `time_elapsed` - the report's reference time and the time since
    ///   the previous one (recorded in events).
    /// * `cl_validators`, `cl_balance` - validators the beacon chain shows and their balance.
    /// * `withdrawal_vault_balance`, `el_rewards_vault_balance` - vault balances at the
    ///   reference slot (the pool takes at most these).
    /// * `withdrawal_finalization_batches` - ends of the queue batches to finalise (empty:
    ///   none); `max_share_rate` - the finalisation share rate (1e27).
    ///
    /// # Errors
    /// * `NotOracle`; `ReportedValidatorsDecreased`; `ReportedValidatorsExceedDeposited`;
    ///   `VaultWithdrawalFailed`; `WithdrawalQueueCallFailed`; `InsufficientEtherToFinalize`;
    ///   `ProtocolStopped`; `ReentrantCall`; `ArithmeticFailed`.
    ///
    /// # Events
    /// `CLValidatorsUpdated` (when changed), `VaultFundsReceived`, `WithdrawalsFinalized`,
    /// `SharesBurnt`, `Transfer`/`TransferShares` for fee shares, `ETHDistributed`,
    /// `TokenRebased`.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_oracle_report(
        &mut self,
        report_timestamp: U256,
        time_elapsed: U256,
        cl_validators: U256,
        cl_balance: U256,
        withdrawal_vault_balance: U256,
        el_rewards_vault_balance: U256,
        withdrawal_finalization_batches: Vec<U256>,
        max_share_rate: U256,
    ) -> Result<(U256, U256, U256, U256), PoolError> {
        self.non_reentrant()?;
        let caller = self.vm().msg_sender();
        if caller != self.oracle.get() {
            return Err(NotOracle { caller }.into());
        }
        self.when_not_stopped()?;
        self.apply_report(report::Report {
            timestamp: report_timestamp,
            time_elapsed,
            cl_validators,
            cl_balance,
            withdrawal_vault_balance,
            el_rewards_vault_balance,
            finalization_batches: withdrawal_finalization_batches,
            max_share_rate,
        })
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

    // ------------------------------------------------------------------ protocol switches

    /// Stops staking, transfers, deposits and reports.
    ///
    /// # Errors
    /// * `ProtocolStopped` if already stopped; `AccessControlUnauthorizedAccount` without
    ///   `PAUSE_ROLE`.
    ///
    /// # Events
    /// `Stopped`.
    pub fn stop(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::PAUSE_ROLE)?;
        self.when_not_stopped()?;
        self.stopped.set(true);
        emit(self.vm(), &[Stopped::SIGNATURE_HASH], &[]);
        Ok(())
    }

    /// Resumes the protocol.
    ///
    /// # Errors
    /// * `ProtocolNotStopped`; `AccessControlUnauthorizedAccount` without `RESUME_ROLE`.
    ///
    /// # Events
    /// `Resumed`.
    pub fn resume(&mut self) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(roles::RESUME_ROLE)?;
        if !self.stopped.get() {
            return Err(ProtocolNotStopped {}.into());
        }
        self.stopped.set(false);
        emit(self.vm(), &[Resumed::SIGNATURE_HASH], &[]);
        Ok(())
    }

    /// Whether the protocol is stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    /// `(oracle, withdrawalQueue, withdrawalVault, rewardsVault, treasury, stakingModule)`.
    pub fn get_protocol_contracts(&self) -> (Address, Address, Address, Address, Address, Address) {
        (
            self.oracle.get(),
            self.withdrawal_queue.get(),
            self.withdrawal_vault.get(),
            self.rewards_vault.get(),
            self.treasury.get(),
            self.staking_module.get(),
        )
    }

    /// Shares of finalised requests the queue still holds because the rebase cap deferred
    /// their burning.
    pub fn get_shares_pending_burn(&self) -> U256 {
        self.shares_pending_burn.get()
    }

    /// Sets the treasury that receives the treasury part of fees.
    ///
    /// # Errors
    /// * `ZeroAddress`; `AccessControlUnauthorizedAccount` without `DEFAULT_ADMIN_ROLE`.
    ///
    /// # Events
    /// `TreasurySet`.
    pub fn set_treasury(&mut self, treasury: Address) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(B256::ZERO)?;
        if treasury.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.set_treasury_unchecked(treasury);
        Ok(())
    }

    /// Sets the staking module: where deposits go and who receives the module part of fees.
    ///
    /// # Errors
    /// * `ZeroAddress`; `AccessControlUnauthorizedAccount` without `DEFAULT_ADMIN_ROLE`.
    ///
    /// # Events
    /// `StakingModuleSet`.
    pub fn set_staking_module(&mut self, staking_module: Address) -> Result<(), PoolError> {
        self.non_reentrant()?;
        self.only_role(B256::ZERO)?;
        if staking_module.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.set_staking_module_unchecked(staking_module);
        Ok(())
    }

    // ------------------------------------------------------------------ roles

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// The role that administers `role`.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.access.get_role_admin(role)
    }

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// `RoleGranted` when it was not held.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), PoolError> {
        self.non_reentrant()?;
        Ok(self.access.grant_role(role, account)?)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// `RoleRevoked` when it was held.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), PoolError> {
        self.non_reentrant()?;
        Ok(self.access.revoke_role(role, account)?)
    }

    /// Gives up the caller's `role`; `confirmation` must be the caller.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation` if `confirmation` is not the caller.
    ///
    /// # Events
    /// `RoleRevoked` when it was held.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), PoolError> {
        self.non_reentrant()?;
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}

// Internal helpers shared by the modules.
impl Pool {
    /// Refuses a call made while one of the pool's own external calls is running.
    pub(crate) fn non_reentrant(&self) -> Result<(), PoolError> {
        if self.vm().msg_reentrant() {
            Err(ReentrantCall {}.into())
        } else {
            Ok(())
        }
    }

    pub(crate) fn when_not_stopped(&self) -> Result<(), PoolError> {
        if self.stopped.get() {
            Err(ProtocolStopped {}.into())
        } else {
            Ok(())
        }
    }

    pub(crate) fn only_role(&self, role: B256) -> Result<(), PoolError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    fn set_treasury_unchecked(&mut self, treasury: Address) {
        self.treasury.set(treasury);
        emit(self.vm(), &[TreasurySet::SIGNATURE_HASH], &[treasury.word()]);
    }

    fn set_staking_module_unchecked(&mut self, staking_module: Address) {
        self.staking_module.set(staking_module);
        emit(self.vm(), &[StakingModuleSet::SIGNATURE_HASH], &[staking_module.word()]);
    }

    fn set_fee_unchecked(&mut self, treasury_fee_bp: u16, module_fee_bp: u16) {
        self.treasury_fee_bp.set(alloy_primitives::Uint::from(treasury_fee_bp));
        self.module_fee_bp.set(alloy_primitives::Uint::from(module_fee_bp));
        emit(self.vm(), &[FeeSet::SIGNATURE_HASH], &[treasury_fee_bp.word(), module_fee_bp.word()]);
    }

    fn set_max_positive_rebase_unchecked(&mut self, max_positive_rebase: u64) {
        self.max_positive_rebase.set(alloy_primitives::Uint::from(max_positive_rebase));
        emit(self.vm(), &[MaxPositiveRebaseSet::SIGNATURE_HASH], &[max_positive_rebase.word()]);
    }
}
