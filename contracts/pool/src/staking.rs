//! Staking: minting shares for ETH, the regenerating stake limit, and deposits of buffered
//! ETH to the staking module.

use alloy_primitives::{Address, Uint, U256};
use alloy_sol_types::SolCall;
use alloy_sol_types::SolEvent as _;
use stylus_sdk::{
    call::{static_call, transfer::transfer_eth},
    prelude::*,
};
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::stake_limit::{self, StakeLimit};

use crate::{errors::*, events::*, interfaces::IWithdrawalQueue, Pool, PoolError, DEPOSIT_SIZE};

impl Pool {
    /// Mints shares for `msg.value` at the rate before the deposit.
    pub(crate) fn stake(&mut self, referral: Address) -> Result<U256, PoolError> {
        self.when_not_stopped()?;
        if self.staking_paused.get() {
            return Err(StakingIsPaused {}.into());
        }
        let amount = self.vm().msg_value();
        if amount.is_zero() {
            return Err(ZeroDeposit {}.into());
        }
        let block = self.vm().block_number();
        if let Some(limit) = self.stake_limit() {
            let available = limit.current_limit(block);
            let consumed = limit
                .consume(amount, block)
                .map_err(|_| StakeLimitExceeded { requested: amount, available })?;
            self.store_prev_stake_limit(&consumed);
        }
        let minted = self.shares_for_ether(amount)?;
        if minted.is_zero() {
            return Err(ZeroSharesMinted { amount }.into());
        }
        let sender = self.vm().msg_sender();
        self.mint_shares(sender, minted)?;
        let buffered = self.buffered_ether.get().checked_add(amount).ok_or_else(arithmetic)?;
        self.buffered_ether.set(buffered);

        emit(
            self.vm(),
            &[Submitted::SIGNATURE_HASH, sender.word()],
            &[amount.word(), referral.word()],
        );
        let value = self.ether_for_shares(minted)?;
        self.emit_transfer_and_shares(Address::ZERO, sender, value, minted);
        Ok(minted)
    }

    /// The configured limit, or `None` when staking is unlimited.
    fn stake_limit(&self) -> Option<StakeLimit> {
        let max = self.max_stake_limit.get();
        if max.is_zero() {
            return None;
        }
        Some(StakeLimit {
            prev_stake_limit: U256::from(self.prev_stake_limit.get()),
            prev_stake_block: self.prev_stake_block.get().to(),
            max_stake_limit: U256::from(max),
            max_stake_limit_growth_blocks: self.max_stake_limit_growth_blocks.get().to(),
        })
    }

    fn store_prev_stake_limit(&mut self, limit: &StakeLimit) {
        // `current_limit` never exceeds the max, which was checked to fit 96 bits; block
        // numbers fit 32 bits for centuries at one block a second.
        self.prev_stake_limit.set(Uint::saturating_from(limit.prev_stake_limit));
        self.prev_stake_block.set(Uint::saturating_from(limit.prev_stake_block));
    }

    pub(crate) fn current_stake_limit(&self) -> U256 {
        if self.staking_paused.get() || self.stopped.get() {
            return U256::ZERO;
        }
        match self.stake_limit() {
            Some(limit) => limit.current_limit(self.vm().block_number()),
            None => U256::MAX,
        }
    }

    pub(crate) fn set_stake_limit(
        &mut self,
        max_stake_limit: U256,
        increase_per_block: U256,
    ) -> Result<(), PoolError> {
        let invalid = || InvalidStakeLimit {
            maxStakeLimit: max_stake_limit,
            stakeLimitIncreasePerBlock: increase_per_block,
        };
        if max_stake_limit.is_zero() || max_stake_limit > U256::from(Uint::<96, 2>::MAX) {
            return Err(invalid().into());
        }
        let block = self.vm().block_number();
        let next = match self.stake_limit() {
            Some(current) => {
                stake_limit::reconfigure(&current, max_stake_limit, increase_per_block, block)
            }
            None => StakeLimit::new(max_stake_limit, increase_per_block, block),
        }
        .map_err(|_| invalid())?;
        if next.max_stake_limit_growth_blocks > u64::from(u32::MAX) {
            return Err(invalid().into());
        }
        self.max_stake_limit.set(Uint::saturating_from(next.max_stake_limit));
        self.max_stake_limit_growth_blocks
            .set(Uint::saturating_from(next.max_stake_limit_growth_blocks));
        self.store_prev_stake_limit(&next);
        emit(
            self.vm(),
            &[StakingLimitSet::SIGNATURE_HASH],
            &[max_stake_limit.word(), increase_per_block.word()],
        );
        Ok(())
    }

    /// Buffered ETH minus the ETH that unfinalised withdrawal requests are owed.
    pub(crate) fn depositable_ether(&self) -> Result<U256, PoolError> {
        let queue = self.withdrawal_queue.get();
        let call = IWithdrawalQueue::unfinalizedStETHCall {}.abi_encode();
        let out = static_call(self.vm(), Call::new(), queue, &call)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        let reserved = IWithdrawalQueue::unfinalizedStETHCall::abi_decode_returns(&out)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        Ok(self.buffered_ether.get().saturating_sub(reserved))
    }

    pub(crate) fn deposit_validators(&mut self, validators: U256) -> Result<(), PoolError> {
        self.when_not_stopped()?;
        if validators.is_zero() {
            return Err(ZeroValidators {}.into());
        }
        let depositable = self.depositable_ether()?;
        let amount = validators.checked_mul(DEPOSIT_SIZE).ok_or_else(arithmetic)?;
        if amount > depositable {
            return Err(InsufficientDepositableEther { requested: amount, depositable }.into());
        }
        let deposited = U256::from(self.deposited_validators.get())
            .checked_add(validators)
            .filter(|d| *d <= U256::from(u64::MAX))
            .ok_or_else(arithmetic)?;
        // Effects before the transfer: the module may run code.
        let buffered = self.buffered_ether.get().checked_sub(amount).ok_or_else(arithmetic)?;
        self.buffered_ether.set(buffered);
        self.deposited_validators.set(Uint::saturating_from(deposited));
        emit(self.vm(), &[Unbuffered::SIGNATURE_HASH], &[amount.word()]);
        emit(self.vm(), &[DepositedValidatorsChanged::SIGNATURE_HASH], &[deposited.word()]);

        let module = self.staking_module.get();
        transfer_eth(self.vm(), module, amount)
            .map_err(|_| DepositTransferFailed { stakingModule: module, amount })?;
        Ok(())
    }
}
