//! Applying an oracle report.
//!
//! The order follows Lido's accounting so its safety limits mean the same here:
//! 1. the consensus-layer change is measured against the principal (previous balance plus
//!    32 ETH for each newly seen validator) and counted against the positive-rebase cap;
//! 2. vault balances are taken only as far as the cap allows (the rest waits in the vaults
//!    for the next report);
//! 3. ETH for finalised withdrawals leaves the pool, and the shares of those requests are
//!    burnt as far as the cap allows (the rest is burnt in later reports);
//! 4. the fee is minted as shares on net rewards, none when rewards are not positive;
//! 5. all state is written before the vaults and the queue are called, so those calls only
//!    ever see the post-report state;
//! 6. the post-report rate (ether per whole token) is appended to the rate history that the
//!    rate feed publishes, one round per report.

use alloc::vec::Vec;
use alloy_sol_types::SolEvent as _;
use tidepool_common::abi::{emit, AsWord};

use alloy_primitives::{Address, Uint, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
};
use tidepool_math::{
    fee,
    rate::{self, RateReport},
    rebase_limit::RebaseLimiter,
};

use crate::{
    errors::*,
    events::*,
    interfaces::{IVault, IWithdrawalQueue},
    Pool, PoolError, DEPOSIT_SIZE,
};

/// The report as `handleOracleReport` receives it.
pub(crate) struct Report {
    pub timestamp: U256,
    pub time_elapsed: U256,
    pub cl_validators: U256,
    pub cl_balance: U256,
    pub withdrawal_vault_balance: U256,
    pub el_rewards_vault_balance: U256,
    pub finalization_batches: Vec<U256>,
    pub max_share_rate: U256,
}

/// What finalisation needs, read from the queue before anything moves.
struct Finalization {
    last_request_id: U256,
    eth_to_lock: U256,
    shares_to_burn: U256,
}

impl Pool {
    pub(crate) fn apply_report(
        &mut self,
        report: Report,
    ) -> Result<(U256, U256, U256, U256), PoolError> {
        let pre_total_pooled = self.total_pooled_ether();
        let pre_total_shares = self.total_shares();
        let pre_cl_validators = U256::from(self.cl_validators.get());
        let pre_cl_balance = self.cl_balance();
        let deposited = U256::from(self.deposited_validators.get());

        // 1. Consensus layer. A balance beyond the 128-bit field is refused before any
        // effect (no real balance comes near: 2^128 wei is 3.4e20 ETH).
        let cl_balance = crate::token::narrow(report.cl_balance)?;
        if report.cl_validators < pre_cl_validators {
            return Err(ReportedValidatorsDecreased {
                previous: pre_cl_validators,
                reported: report.cl_validators,
            }
            .into());
        }
        if report.cl_validators > deposited {
            return Err(ReportedValidatorsExceedDeposited {
                deposited,
                reported: report.cl_validators,
            }
            .into());
        }
        let appeared = report.cl_validators - pre_cl_validators;
        let principal = appeared
            .checked_mul(DEPOSIT_SIZE)
            .and_then(|a| a.checked_add(pre_cl_balance))
            .ok_or_else(arithmetic)?;

        let mut limiter = RebaseLimiter::new(
            self.max_positive_rebase.get().to(),
            pre_total_pooled,
            pre_total_shares,
        )?;
        if report.cl_balance < principal {
            limiter.decrease_ether(principal - report.cl_balance)?;
        } else {
            // Consensus-layer rewards cannot be held back, but they use up the cap first.
            limiter.increase_ether(report.cl_balance - principal)?;
        }

        // 2. Vaults, capped.
        let withdrawals = limiter.increase_ether(report.withdrawal_vault_balance)?;
        let el_rewards = limiter.increase_ether(report.el_rewards_vault_balance)?;

        // 3. Withdrawal finalisation.
        let finalization = self.prefinalize(&report.finalization_batches, report.max_share_rate)?;
        limiter.decrease_ether(finalization.eth_to_lock)?;
        let burn_requested = self
            .shares_pending_burn
            .get()
            .checked_add(finalization.shares_to_burn)
            .ok_or_else(arithmetic)?;
        let burn_now = burn_requested.min(limiter.shares_to_burn_limit()?);

        let available = self
            .buffered_ether()
            .checked_add(withdrawals)
            .and_then(|b| b.checked_add(el_rewards))
            .ok_or_else(arithmetic)?;
        let post_buffered = available
            .checked_sub(finalization.eth_to_lock)
            .ok_or(InsufficientEtherToFinalize { required: finalization.eth_to_lock, available })?;

        // 4. Fee on net rewards, valued at the pre-report totals as in Lido.
        let gross = report
            .cl_balance
            .checked_add(withdrawals)
            .and_then(|g| g.checked_add(el_rewards))
            .ok_or_else(arithmetic)?;
        let rewards = gross.saturating_sub(principal);
        let (treasury_bp, module_bp) =
            (self.treasury_fee_bp.get().to::<u16>(), self.module_fee_bp.get().to::<u16>());
        let fee_shares =
            fee::fee_shares(rewards, treasury_bp + module_bp, pre_total_shares, pre_total_pooled)?;
        let (treasury_shares, module_shares) =
            fee::split_fee_shares(fee_shares, treasury_bp, module_bp)?;

        // 5. Effects.
        let queue = self.withdrawal_queue.get();
        let (treasury, module) = (self.treasury.get(), self.staking_module.get());
        self.cl_validators.set(Uint::saturating_from(report.cl_validators));
        self.cl_balance.set(cl_balance);
        self.set_buffered_ether(post_buffered)?;
        self.shares_pending_burn.set(burn_requested - burn_now);
        let burnt_pre_value = self.ether_for_shares(burn_now)?;
        if !burn_now.is_zero() {
            self.burn_shares(queue, burn_now)?;
        }
        self.mint_shares(treasury, treasury_shares)?;
        self.mint_shares(module, module_shares)?;

        // 6. Interactions.
        self.pull_from_vault(self.withdrawal_vault.get(), withdrawals)?;
        self.pull_from_vault(self.rewards_vault.get(), el_rewards)?;
        self.finalize_withdrawals(queue, &finalization, report.max_share_rate)?;

        // 7. Events, valued at the post-report rate.
        let post_total_pooled = self.total_pooled_ether();
        let post_total_shares = self.total_shares();
        if report.cl_validators != pre_cl_validators {
            emit(
                self.vm(),
                &[CLValidatorsUpdated::SIGNATURE_HASH, report.timestamp.word()],
                &[pre_cl_validators.word(), report.cl_validators.word()],
            );
        }
        if !burn_now.is_zero() {
            emit(
                self.vm(),
                &[SharesBurnt::SIGNATURE_HASH, queue.word()],
                &[
                    burnt_pre_value.word(),
                    (self.ether_for_shares(burn_now)?).word(),
                    burn_now.word(),
                ],
            );
        }
        self.emit_fee_mint(treasury, treasury_shares)?;
        self.emit_fee_mint(module, module_shares)?;
        emit(
            self.vm(),
            &[ETHDistributed::SIGNATURE_HASH, report.timestamp.word()],
            &[
                pre_cl_balance.word(),
                report.cl_balance.word(),
                withdrawals.word(),
                el_rewards.word(),
                post_buffered.word(),
            ],
        );
        emit(
            self.vm(),
            &[TokenRebased::SIGNATURE_HASH, report.timestamp.word()],
            &[
                report.time_elapsed.word(),
                pre_total_shares.word(),
                pre_total_pooled.word(),
                post_total_shares.word(),
                post_total_pooled.word(),
                fee_shares.word(),
            ],
        );
        let rate = RateReport {
            timestamp: report.timestamp.saturating_to(),
            applied_at: self.vm().block_timestamp(),
            rate: rate::pooled_ether_per_token(post_total_pooled, post_total_shares)?,
        };
        self.rate_reports.push(rate.pack()?);
        Ok((post_total_pooled, post_total_shares, withdrawals, el_rewards))
    }

    fn prefinalize(
        &self,
        batches: &[U256],
        max_share_rate: U256,
    ) -> Result<Finalization, PoolError> {
        let Some(&last_request_id) = batches.last() else {
            return Ok(Finalization {
                last_request_id: U256::ZERO,
                eth_to_lock: U256::ZERO,
                shares_to_burn: U256::ZERO,
            });
        };
        let data = IWithdrawalQueue::prefinalizeCall {
            batches: batches.to_vec(),
            maxShareRate: max_share_rate,
        }
        .abi_encode();
        let out = static_call(self.vm(), Call::new(), self.withdrawal_queue.get(), &data)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        let ret = IWithdrawalQueue::prefinalizeCall::abi_decode_returns(&out)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        Ok(Finalization {
            last_request_id,
            eth_to_lock: ret.ethToLock,
            shares_to_burn: ret.sharesToBurn,
        })
    }

    fn pull_from_vault(&mut self, vault: Address, amount: U256) -> Result<(), PoolError> {
        if amount.is_zero() {
            return Ok(());
        }
        let data = IVault::withdrawCall { amount }.abi_encode();
        let vm = self.vm().clone();
        call(&vm, Call::new_mutating(self), vault, &data)
            .map_err(|_| VaultWithdrawalFailed { vault, amount })?;
        emit(self.vm(), &[VaultFundsReceived::SIGNATURE_HASH, vault.word()], &[amount.word()]);
        Ok(())
    }

    fn finalize_withdrawals(
        &mut self,
        queue: Address,
        finalization: &Finalization,
        max_share_rate: U256,
    ) -> Result<(), PoolError> {
        if finalization.last_request_id.is_zero() {
            return Ok(());
        }
        let data = IWithdrawalQueue::finalizeCall {
            lastRequestId: finalization.last_request_id,
            maxShareRate: max_share_rate,
        }
        .abi_encode();
        let vm = self.vm().clone();
        call(&vm, Call::new_payable(self, finalization.eth_to_lock), queue, &data)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        emit(
            self.vm(),
            &[WithdrawalsFinalized::SIGNATURE_HASH, finalization.last_request_id.word()],
            &[finalization.eth_to_lock.word(), finalization.shares_to_burn.word()],
        );
        Ok(())
    }

    fn emit_fee_mint(&self, to: Address, shares_amount: U256) -> Result<(), PoolError> {
        if !shares_amount.is_zero() {
            let value = self.ether_for_shares(shares_amount)?;
            self.emit_transfer_and_shares(Address::ZERO, to, value, shares_amount);
        }
        Ok(())
    }
}
