//! Configuring the regenerating stake limit (staking itself consumes it in the pool).

use alloy_primitives::{Uint, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::stake_limit::{self, StakeLimit};

use crate::{errors::*, events::*, Pool, PoolError};

impl Pool {
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
}
