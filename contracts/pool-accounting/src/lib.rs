//! The pool's accounting: applying oracle reports (consensus-layer state, vault pulls,
//! withdrawal finalisation, fees, the rebase) and depositing buffered ETH to the staking
//! module, with their views.
//!
//! # Why the pool is three contracts
//! Nitro refuses programs over 24,576 bytes of compressed code, and the whole pool compiles
//! to about 32 KB. So `Pool` keeps what users call every day (the token, permits, shares
//! and staking); its `#[fallback]` delegatecalls this contract, and this contract's
//! `#[fallback]` delegatecalls `PoolAdmin` (configuration, switches, roles). A report costs
//! one delegatecall, a configuration change two. The pool's address is the only one
//! integrators use; `abi/IPool.sol` lists the functions of all three.
//!
//! # Storage
//! [`PoolAccounting`] and `PoolAdmin` each have exactly one field, the pool's own storage
//! struct, so under the pool's delegatecall every field is read and written at the pool's
//! slots. Native tests run the three contracts over one `TestVM` to check this.
//!
//! # Called at its own address
//! The contract's own storage is never initialised (only the pool has `initialize`), so a
//! direct call finds no oracle, no roles, no admin contract and no funds: every
//! state-changing function reverts (`NotOracle`, `AccessControlUnauthorizedAccount`,
//! `NotInitialized`) and the views read zeros.
//!
//! # Reentrancy
//! Nitro flags a call as reentrant when its acting address already has an open called frame
//! (delegated frames do not count), so under the pool's delegatecall the flag is the one the
//! pool's own frame sees. The pool's fallback checks it once, before delegating: no
//! accounting or admin function, views included, runs inside a call the pool itself made
//! (vault payouts during a report go to the pool's own `receiveVaultFunds`, which accepts
//! only such calls).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

mod report;
mod staking;

use alloc::{vec, vec::Vec};
use core::ops::{Deref, DerefMut};

use alloy_primitives::U256;
use stylus_sdk::prelude::*;
use tidepool_math::rate::RateReport;
use tidepool_pool::{errors::*, roles, Pool, PoolError};

/// The pool's storage, seen by the accounting code: one field, so every slot is the pool's.
#[entrypoint]
#[storage]
pub struct PoolAccounting {
    pool: Pool,
}

impl Deref for PoolAccounting {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        &self.pool
    }
}

impl DerefMut for PoolAccounting {
    fn deref_mut(&mut self) -> &mut Pool {
        &mut self.pool
    }
}

#[public]
impl PoolAccounting {
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
        self.only_role(roles::DEPOSIT_ROLE)?;
        self.deposit_validators(validators)
    }

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

    /// Shares of finalised requests the queue still holds because the rebase cap deferred
    /// their burning.
    pub fn get_shares_pending_burn(&self) -> U256 {
        self.shares_pending_burn.get()
    }

    /// How many reports have been applied: the rate feed's latest round.
    pub fn get_rate_report_count(&self) -> U256 {
        U256::from(self.rate_reports.len())
    }

    /// The `index`-th applied report (from 0): its reference time and the pooled ether per
    /// whole token (1e18 shares) right after it, rounded down. The rate feed's round
    /// `index + 1`.
    ///
    /// # Errors
    /// * `RateReportNotFound` if fewer reports have been applied.
    pub fn get_rate_report(&self, index: U256) -> Result<(U256, U256), PoolError> {
        let word = usize::try_from(index)
            .ok()
            .and_then(|i| self.rate_reports.get(i))
            .ok_or(RateReportNotFound { index })?;
        let report = RateReport::unpack(word);
        Ok((U256::from(report.timestamp), report.rate))
    }

    /// Runs every selector this contract does not know in `PoolAdmin`'s code, still on the
    /// pool's storage (the pool's fallback delegated here).
    ///
    /// # Errors
    /// * `NotInitialized` at this contract's own address (no admin contract is set there);
    /// * whatever `PoolAdmin` reverts with, unchanged (empty data for an unknown selector).
    ///
    /// # Events
    /// Those of the admin function.
    #[fallback]
    #[payable]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        let admin = self.admin_contract.get();
        self.delegate(admin, calldata)
    }
}
