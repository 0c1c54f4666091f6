//! The `pool-accounting` program: applying oracle reports (consensus-layer state, vault
//! pulls, withdrawal finalisation, fees, the rebase) and depositing buffered ETH to the
//! staking module, with their views, run by delegatecall on the pool's storage. Its
//! `#[fallback]` delegatecalls `pool-admin` (see the crate docs, "Why the pool is three
//! programs").

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use stylus_sdk::prelude::*;
use tidepool_common::program::Delegate;
use tidepool_math::rate::RateReport;

use crate::{accounting, errors::*, roles, Pool, PoolError};

tidepool_common::program_type! {
    /// The pool's storage, seen by the accounting code: one field, so every slot is the pool's.
    pub struct PoolAccounting { pool: Pool }
}

// SAFETY: `admin_contract` is set once, in the pool's `initialize`, by the proven deployer, to
// code checked to exist: the `pool-admin` program, whose program type wraps `Pool`. (At this
// program's own address it is zero: its storage is never initialised.)
#[allow(unsafe_code)]
unsafe impl Delegate for PoolAccounting {
    fn next_program(&self) -> Address {
        self.admin_contract.get()
    }
}

#[public]
impl PoolAccounting {
    /// ETH held by the pool and not yet deposited.
    pub fn get_buffered_ether(&self) -> U256 {
        self.buffered_ether()
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
            self.cl_balance(),
        )
    }

    /// Sends `validators * 32 ETH` of depositable ETH to the staking module's
    /// `deposit(validators)`, which makes one beacon deposit per key or reverts. The
    /// `DEPOSIT_ROLE` belongs to the deposit guard, which checks the guardians' quorum first.
    ///
    /// # Errors
    /// * `ZeroValidators`; `InsufficientDepositableEther` when buffered ETH minus the
    ///   withdrawal reserve is short; `DepositTransferFailed`; `AccessControlUnauthorizedAccount`
    ///   without `DEPOSIT_ROLE`; `ProtocolStopped`; `ReentrantCall`.
    ///
    /// # Events
    /// `Unbuffered(amount)`, `DepositedValidatorsChanged(total)`, and the module's.
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
        self.apply_report(accounting::Report {
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

    /// The cap on one report's share-rate increase, in 1e9 precision (750,000 = 0.075%). The
    /// only copy: the oracle reads it here at each report and checks the report with the same
    /// rule the pool smooths it by (`tidepool_math::rebase_limit`), so the two never disagree.
    /// Served by this program, which the report has already entered, so the oracle's read
    /// costs no entry into the admin program.
    pub fn get_max_positive_rebase(&self) -> u64 {
        self.max_positive_rebase.get().to()
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

    /// The `index`-th applied report (from 0): its reference time, the pooled ether per
    /// whole token (1e18 shares) right after it, rounded down, and the block time at which
    /// it was applied (from then on the pool's rate is this report's). The rate feed's round
    /// `index + 1`; the withdrawal queue's report periods.
    ///
    /// # Errors
    /// * `RateReportNotFound` if fewer reports have been applied.
    pub fn get_rate_report(&self, index: U256) -> Result<(U256, U256, U256), PoolError> {
        let word = usize::try_from(index)
            .ok()
            .and_then(|i| self.rate_reports.get(i))
            .ok_or(RateReportNotFound { index })?;
        let report = RateReport::unpack(word);
        Ok((U256::from(report.timestamp), report.rate, U256::from(report.applied_at)))
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
        self.delegate(calldata)
    }
}
