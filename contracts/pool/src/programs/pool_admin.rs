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
use tidepool_common::abi::emit;

use crate::{errors::*, events::*, roles, Pool, PoolError, NAME, VERSION};

tidepool_common::program_type! {
    /// The pool's storage, seen by the admin code: one field, so every slot is the pool's.
    pub struct PoolAdmin { pool: Pool }
}

#[public]
impl PoolAdmin {
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
