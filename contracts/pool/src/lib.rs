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
//! Three contracts, one pool: Nitro caps a program at 24,576 compressed bytes, so this
//! contract keeps the token, permits, shares and staking, and its `#[fallback]` delegatecalls
//! every other selector to `PoolAccounting` (oracle reports, deposits), whose fallback
//! delegatecalls `PoolAdmin` (configuration, switches, roles). Both run on this contract's
//! storage (see `contracts/pool-accounting`). Integrators see one address and one ABI
//! (`abi/IPool.sol`). Without the default `contract` feature this crate is only the storage
//! layout and shared helpers, which is how the other two use it.
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
mod staking;
mod token;

use alloc::{string::String, vec, vec::Vec};
use alloy_sol_types::SolError as _;
use alloy_sol_types::SolEvent as _;
use tidepool_common::abi::{emit, AsWord};

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::{
    call::RawCall,
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU16, StorageU256, StorageU32, StorageU64,
        StorageU96, StorageVec,
    },
};
use tidepool_common::{
    access_control::AccessControl, eip712, erc20::Allowances, initializable, permit::Permit,
};

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
            .error::<errors::ExtensionWithoutCode>()
            .error::<errors::RateReportNotFound>()
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
///
/// The fields are public because `PoolAccounting` and `PoolAdmin` run on this same storage:
/// each wraps this struct as its only field, so all three see every field at the same slot.
#[cfg_attr(all(feature = "contract", target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct Pool {
    pub init: Initializable,
    pub access: AccessControl,
    pub permit: Permit,

    pub shares: StorageMap<Address, StorageU256>,
    pub allowances: Allowances,
    pub total_shares: StorageU256,
    pub buffered_ether: StorageU256,
    pub cl_balance: StorageU256,
    /// Shares of finalised withdrawal requests, still held by the queue, whose burning the
    /// positive-rebase cap deferred to a later report.
    pub shares_pending_burn: StorageU256,
    pub deposited_validators: StorageU64,
    pub cl_validators: StorageU64,

    // One slot: Lido's packed stake-limit state.
    pub prev_stake_limit: StorageU96,
    pub prev_stake_block: StorageU32,
    pub max_stake_limit: StorageU96,
    pub max_stake_limit_growth_blocks: StorageU32,

    // One slot: switches and fees.
    pub stopped: StorageBool,
    pub staking_paused: StorageBool,
    pub treasury_fee_bp: StorageU16,
    pub module_fee_bp: StorageU16,
    pub max_positive_rebase: StorageU64,

    pub oracle: StorageAddress,
    pub withdrawal_queue: StorageAddress,
    pub withdrawal_vault: StorageAddress,
    pub rewards_vault: StorageAddress,
    pub treasury: StorageAddress,
    pub staking_module: StorageAddress,
    /// One word per applied report, `timestamp << 192 | pooled ether per token`
    /// (`tidepool_math::rate::RateReport`): the history the rate feed publishes.
    pub rate_reports: StorageVec<StorageU256>,
    /// `PoolAccounting`, whose code the pool's fallback runs on this storage.
    pub accounting_contract: StorageAddress,
    /// `PoolAdmin`, whose code the accounting contract's fallback runs on this storage.
    pub admin_contract: StorageAddress,
}

// `#[entrypoint]` exports `user_entrypoint`, which only a wasm program needs; natively the
// crates that wrap this storage link it too, and two definitions of the symbol break a native
// build of both. Native tests route with `router_entrypoint` and the impl below.
#[cfg(all(feature = "contract", not(target_arch = "wasm32")))]
#[allow(unsafe_code)]
// SAFETY: with `contract` this struct is the program's top-level storage, as `#[entrypoint]`
// would declare on wasm.
unsafe impl TopLevelStorage for Pool {}

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
    /// * `accounting_contract`, `admin_contract` - the deployed `PoolAccounting` and
    ///   `PoolAdmin`, whose code runs on this storage for every function this contract does
    ///   not have itself.
    ///
    /// # Errors
    /// * `ZeroInitialStake` if no ETH is sent; `ZeroAddress` if any address is zero;
    ///   `ExtensionWithoutCode` if either of those holds no code (a delegatecall to
    ///   it would succeed doing nothing).
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
        accounting_contract: Address,
        admin_contract: Address,
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
            accounting_contract,
            admin_contract,
        ];
        if addresses.iter().any(|a| a.is_zero()) {
            return Err(ZeroAddress {}.into());
        }
        for extension in [accounting_contract, admin_contract] {
            if self.vm().code_size(extension) == 0 {
                return Err(ExtensionWithoutCode { extension }.into());
            }
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;

        self.access._grant_role(B256::ZERO, admin);
        self.oracle.set(oracle);
        self.withdrawal_queue.set(withdrawal_queue);
        self.withdrawal_vault.set(withdrawal_vault);
        self.rewards_vault.set(rewards_vault);
        self.accounting_contract.set(accounting_contract);
        self.admin_contract.set(admin_contract);
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
        let current = self.allowances.allowance(owner, spender);
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
        let current = self.allowances.allowance(owner, spender);
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

    // ------------------------------------------------------------------ the other two

    /// Runs every selector the pool does not know in `PoolAccounting`'s code (and, through
    /// its fallback, `PoolAdmin`'s), on the pool's storage (delegatecall): oracle reports,
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
        self.non_reentrant()?;
        let accounting = self.accounting_contract.get();
        self.delegate(accounting, calldata)
    }
}

// Internal helpers shared by the modules.
impl Pool {
    /// Runs `calldata` in `target`'s code on this storage (delegatecall) and passes its output
    /// or revert data on unchanged; `NotInitialized` when `target` is unset.
    pub fn delegate(&mut self, target: Address, calldata: &[u8]) -> stylus_sdk::ArbResult {
        if target.is_zero() {
            return Err(initializable::NotInitialized {}.abi_encode());
        }
        // SAFETY: `target` is one of the two contracts fixed at initialisation (checked to
        // hold code) and built from this workspace on this very storage layout (each wraps
        // `Pool`). Clearing the storage cache first hands it the current state and keeps
        // this frame from writing stale values afterwards.
        #[allow(unsafe_code)]
        unsafe {
            RawCall::new_delegate(self.vm()).clear_storage_cache().call(target, calldata)
        }
    }

    /// Refuses a call made while one of the pool's own external calls is running.
    pub fn non_reentrant(&self) -> Result<(), PoolError> {
        if self.vm().msg_reentrant() {
            Err(ReentrantCall {}.into())
        } else {
            Ok(())
        }
    }

    pub fn when_not_stopped(&self) -> Result<(), PoolError> {
        if self.stopped.get() {
            Err(ProtocolStopped {}.into())
        } else {
            Ok(())
        }
    }

    pub fn only_role(&self, role: B256) -> Result<(), PoolError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    pub fn set_treasury_unchecked(&mut self, treasury: Address) {
        self.treasury.set(treasury);
        emit(self.vm(), &[TreasurySet::SIGNATURE_HASH], &[treasury.word()]);
    }

    pub fn set_staking_module_unchecked(&mut self, staking_module: Address) {
        self.staking_module.set(staking_module);
        emit(self.vm(), &[StakingModuleSet::SIGNATURE_HASH], &[staking_module.word()]);
    }

    pub fn set_fee_unchecked(&mut self, treasury_fee_bp: u16, module_fee_bp: u16) {
        self.treasury_fee_bp.set(alloy_primitives::Uint::from(treasury_fee_bp));
        self.module_fee_bp.set(alloy_primitives::Uint::from(module_fee_bp));
        emit(self.vm(), &[FeeSet::SIGNATURE_HASH], &[treasury_fee_bp.word(), module_fee_bp.word()]);
    }

    pub fn set_max_positive_rebase_unchecked(&mut self, max_positive_rebase: u64) {
        self.max_positive_rebase.set(alloy_primitives::Uint::from(max_positive_rebase));
        emit(self.vm(), &[MaxPositiveRebaseSet::SIGNATURE_HASH], &[max_positive_rebase.word()]);
    }
}
