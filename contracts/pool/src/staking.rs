//! Staking: minting shares for ETH under the regenerating stake limit. Configuring the limit
//! and depositing buffered ETH live in `PoolAdmin` and `PoolAccounting`.

use alloy_primitives::{Address, Uint, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::stake_limit::StakeLimit;

use crate::{errors::*, events::*, Pool, PoolError};

impl Pool {
    /// Mints shares for `msg.value` at the rate before the deposit.
    pub fn stake(&mut self, referral: Address) -> Result<U256, PoolError> {
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
        let buffered = self.buffered_ether().checked_add(amount).ok_or_else(arithmetic)?;
        self.set_buffered_ether(buffered)?;

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
    pub fn stake_limit(&self) -> Option<StakeLimit> {
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

    pub fn store_prev_stake_limit(&mut self, limit: &StakeLimit) {
        // `current_limit` never exceeds the max, which was checked to fit 96 bits; block
        // numbers fit 32 bits for centuries at one block a second.
        self.prev_stake_limit.set(Uint::saturating_from(limit.prev_stake_limit));
        self.prev_stake_block.set(Uint::saturating_from(limit.prev_stake_block));
    }

    pub fn current_stake_limit(&self) -> U256 {
        if self.staking_paused.get() || self.stopped.get() {
            return U256::ZERO;
        }
        match self.stake_limit() {
            Some(limit) => limit.current_limit(self.vm().block_number()),
            None => U256::MAX,
        }
    }
}
