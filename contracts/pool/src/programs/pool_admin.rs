//! The `pool-admin` program: the pool's configuration, protocol switches and roles, with their
//! views: the stake limit and staking pause, the fee and its split, the positive-rebase cap,
//! `stop` and `resume`, the treasury and staking-module addresses, role management and
//! EIP-5267's `eip712Domain`. `pool-accounting`'s fallback delegatecalls it, so these
//! functions run on the pool's storage at the pool's address (see the crate docs).
//!
//! Called at its own address, the program finds no roles (its storage is never initialised):
//! every state-changing function reverts with `AccessControlUnauthorizedAccount` and the views
//! read zeros.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::B8, Address, FixedBytes, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    initializable,
};

use crate::{
    errors::*, events::*, roles, Pool, PoolError, DEFAULT_MAX_POSITIVE_REBASE,
    DEFAULT_MODULE_FEE_BP, DEFAULT_TREASURY_FEE_BP, INITIAL_HOLDER, NAME, VERSION,
};

tidepool_common::program_type! {
    /// The pool's storage, seen by the admin code: one field, so every slot is the pool's.
    pub struct PoolAdmin { pool: Pool }
}

#[public]
impl PoolAdmin {
    // ------------------------------------------------------------------ set-up

    /// Sets the pool up, once, by the account that deployed it, and locks the ETH sent as
    /// shares at `0x…dEaD` so `totalShares` and `totalPooledEther` never return to zero (this
    /// makes the first-depositor share-inflation attack impossible).
    ///
    /// The call reaches this code through the pool's fallback, which first proves the caller
    /// deployed the pool (`deployer_nonce`) and records `accounting_contract` and
    /// `admin_contract` (see `Pool::install_programs`); the rest of the set-up is here, out of
    /// the front program every transfer enters.
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed the pool with (proves it did).
    /// * `admin` - receives `DEFAULT_ADMIN_ROLE`.
    /// * `oracle` - the only caller of `handleOracleReport`.
    /// * `withdrawal_queue`, `withdrawal_vault`, `rewards_vault`, `treasury`,
    ///   `staking_module` - the other protocol addresses.
    /// * `accounting_contract`, `admin_contract` - the deployed `PoolAccounting` and
    ///   `PoolAdmin`, whose code runs on the pool's storage for every function the front does
    ///   not have itself.
    ///
    /// # Errors
    /// * From the front: `ZeroAddress` or `ExtensionWithoutCode` for either program address,
    ///   `NotDeployer` from the initialisation guard;
    /// * `NotInitialized` if called at this program's own address (no front ran);
    ///   `AlreadyInitialized` once the pool is set up; `ZeroInitialStake` if no ETH is sent;
    ///   `ZeroAddress` if any other address is zero.
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
        // The front checked and recorded these three before delegating.
        let _ = (deployer_nonce, accounting_contract, admin_contract);
        // Only after the front's deployer check, which marks the pool initialised: at this
        // program's own address (never initialised) the call is refused, so the program stays
        // inert there.
        self.init.only_initialized()?;
        // The oracle is set here, never zero and never changed: set means this ran before.
        // (The front's flag cannot tell: it was set in this same call.)
        if !self.oracle.get().is_zero() {
            return Err(initializable::AlreadyInitialized {}.into());
        }
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
        let caller = self.vm().msg_sender();
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
        self.set_buffered_ether(amount)?;
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

    // ------------------------------------------------------------------ configuration

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

    /// Sets the regenerating stake limit: at most `max_stake_limit` wei may be staked at once,
    /// regenerating by `stake_limit_increase_per_block` per block. An increase of zero is
    /// allowed, as in Lido: the limit then never regenerates (a one-off allowance of
    /// `max_stake_limit`, until the next call).
    ///
    /// A block is `block.number`, which on Arbitrum is the L1 block number (one per 12
    /// seconds, as on Ethereum), so the increase keeps the meaning it has in Lido's
    /// configurations; the L2 block number would make the regeneration speed depend on how
    /// busy the rollup is (blocks come as fast as every 250 ms).
    ///
    /// # Errors
    /// * `InvalidStakeLimit` if the max is zero or above 2^96 − 1, the increase is above the
    ///   max, or refilling would take more than 2^32 − 1 blocks;
    ///   `AccessControlUnauthorizedAccount` without `STAKING_CONTROL_ROLE`.
    ///
    /// # Events
    /// `StakingLimitSet`.
    pub fn set_staking_limit(
        &mut self,
        max_stake_limit: U256,
        stake_limit_increase_per_block: U256,
    ) -> Result<(), PoolError> {
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

    /// Sets the cap on one report's share-rate increase, for the pool's smoothing and the
    /// oracle's check alike (from the next report on).
    ///
    /// # Errors
    /// * `InvalidMaxPositiveRebase` for zero or above 1e9; `AccessControlUnauthorizedAccount`
    ///   without `FEE_MANAGER_ROLE`.
    ///
    /// # Events
    /// `MaxPositiveRebaseSet`.
    pub fn set_max_positive_rebase(&mut self, max_positive_rebase: u64) -> Result<(), PoolError> {
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

    /// Stops staking, transfers, deposits and reports.
    ///
    /// # Errors
    /// * `ProtocolStopped` if already stopped; `AccessControlUnauthorizedAccount` without
    ///   `PAUSE_ROLE`.
    ///
    /// # Events
    /// `Stopped`.
    pub fn stop(&mut self) -> Result<(), PoolError> {
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

    /// `(accounting, admin)`: the contracts whose code runs on the pool's storage for every
    /// function the pool does not have itself, so anyone can check which code that is.
    pub fn get_pool_contracts(&self) -> (Address, Address) {
        (self.accounting_contract.get(), self.admin_contract.get())
    }

    /// Sets the treasury that receives the treasury part of fees.
    ///
    /// # Errors
    /// * `ZeroAddress`; `AccessControlUnauthorizedAccount` without `DEFAULT_ADMIN_ROLE`.
    ///
    /// # Events
    /// `TreasurySet`.
    pub fn set_treasury(&mut self, treasury: Address) -> Result<(), PoolError> {
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
        self.only_role(B256::ZERO)?;
        if staking_module.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.set_staking_module_unchecked(staking_module);
        Ok(())
    }

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
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}
