//! The regenerating stake limit: a bucket of at most `max_stake_limit` ether that each stake
//! drains and that refills linearly, block by block, back up to the maximum.
//!
//! It bounds how fast ether can enter the pool (so a large deposit cannot front-run a known
//! rewards report, and a sudden inflow stays within what operators can put to work) without
//! a fixed per-block quota: unused capacity accumulates up to the maximum.
//!
//! The state follows Lido's representation, so it packs into one storage word when the pool
//! wants it to: the level at the last stake, the block of that stake, the maximum, and the
//! regeneration speed stored as "blocks to refill from empty" rather than as an amount per
//! block. A zero `max_stake_limit` means *no limit* (the [`Default`] value), as in Lido, so
//! a zeroed storage slot is an unlimited pool. Pausing staking is not encoded here; the pool
//! keeps that flag itself.

use crate::{mul_div_up, MathError, U256};

/// State of the regenerating stake limit. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StakeLimit {
    /// Level of the bucket right after the last stake (or configuration), never above
    /// `max_stake_limit` when built through this module.
    pub prev_stake_limit: U256,
    /// Block of the last stake (or configuration); regeneration counts from here.
    pub prev_stake_block: u64,
    /// Size of the bucket; zero means staking is unlimited.
    pub max_stake_limit: U256,
    /// Blocks to refill an empty bucket, `ceil(max / increase_per_block)`; zero means the
    /// bucket never refills.
    pub max_stake_limit_growth_blocks: u64,
}

impl StakeLimit {
    /// The unlimited state: every stake is accepted and nothing is tracked.
    pub const UNLIMITED: Self = Self {
        prev_stake_limit: U256::ZERO,
        prev_stake_block: 0,
        max_stake_limit: U256::ZERO,
        max_stake_limit_growth_blocks: 0,
    };

    /// A full bucket of `max_stake_limit` at `current_block`, refilling by (at most)
    /// `increase_per_block` per block. A zero `increase_per_block` is allowed and means the
    /// bucket never refills: a one-off cap.
    ///
    /// The refill speed is stored as `growth = ceil(max / increase)` blocks and applied as
    /// `floor(max / growth)` per block, so the effective increase ([`Self::increase_per_block`])
    /// is at most the configured one. Lido rounds `growth` down instead, which can make the
    /// bucket refill up to twice as fast as configured (max 10, increase 6: one block instead
    /// of two); a limit exists to protect the protocol, so its rounding must never loosen it.
    ///
    /// # Errors
    ///
    /// [`MathError::ZeroMaxStakeLimit`] if `max_stake_limit` is zero (use
    /// [`StakeLimit::UNLIMITED`] for no limit); [`MathError::StakeLimitIncreaseTooLarge`] if
    /// `increase_per_block > max_stake_limit`; [`MathError::StakeLimitIncreaseTooSmall`] if
    /// refilling would take more than `u64::MAX` blocks.
    pub fn new(
        max_stake_limit: U256,
        increase_per_block: U256,
        current_block: u64,
    ) -> Result<Self, MathError> {
        if max_stake_limit.is_zero() {
            return Err(MathError::ZeroMaxStakeLimit);
        }
        if increase_per_block > max_stake_limit {
            return Err(MathError::StakeLimitIncreaseTooLarge);
        }
        let growth_blocks = if increase_per_block.is_zero() {
            0
        } else {
            let blocks = mul_div_up(max_stake_limit, U256::from(1u8), increase_per_block)?;
            u64::try_from(blocks).map_err(|_| MathError::StakeLimitIncreaseTooSmall)?
        };
        Ok(Self {
            prev_stake_limit: max_stake_limit,
            prev_stake_block: current_block,
            max_stake_limit,
            max_stake_limit_growth_blocks: growth_blocks,
        })
    }

    /// Whether there is no limit at all (zero maximum).
    pub fn is_unlimited(&self) -> bool {
        self.max_stake_limit.is_zero()
    }

    /// Ether that may be staked at `current_block`: the level after the last stake plus
    /// linear regeneration since, capped at the maximum; `U256::MAX` when unlimited.
    ///
    /// A `current_block` before `prev_stake_block` counts as no time passed, rather than an
    /// error: block numbers do not go back on chain, and a view must not fail.
    pub fn current_limit(&self, current_block: u64) -> U256 {
        if self.is_unlimited() {
            return U256::MAX;
        }
        let elapsed = current_block.saturating_sub(self.prev_stake_block);
        // Saturating is exact here: anything above the maximum is cut to the maximum anyway.
        let regenerated = self.increase_per_block().saturating_mul(U256::from(elapsed));
        self.prev_stake_limit.saturating_add(regenerated).min(self.max_stake_limit)
    }

    /// The state after staking `amount` at `current_block`: the bucket at that block, less
    /// `amount`. An unlimited state is returned unchanged.
    ///
    /// # Errors
    ///
    /// [`MathError::StakeLimitExceeded`] if `amount` is above [`Self::current_limit`].
    pub fn consume(&self, amount: U256, current_block: u64) -> Result<Self, MathError> {
        if self.is_unlimited() {
            return Ok(*self);
        }
        let available = self.current_limit(current_block);
        let left = available
            .checked_sub(amount)
            .ok_or(MathError::StakeLimitExceeded { requested: amount, available })?;
        Ok(Self {
            prev_stake_limit: left,
            // Never move the reference block back, or the blocks in between would refill twice.
            prev_stake_block: current_block.max(self.prev_stake_block),
            ..*self
        })
    }

    /// Effective regeneration per block, `floor(max / growth_blocks)`: at most the configured
    /// increase (see [`Self::new`]); zero when the bucket never refills or there is no limit.
    pub fn increase_per_block(&self) -> U256 {
        // Through `mul_div`, the crate's one division routine, so contracts carry no other.
        crate::mul_div(
            self.max_stake_limit,
            U256::from(1u8),
            U256::from(self.max_stake_limit_growth_blocks),
        )
        .unwrap_or(U256::ZERO)
    }
}

/// Changes the maximum and the regeneration speed at `current_block`, keeping the ether that
/// may be staked right now, capped at the new maximum.
///
/// This is Lido's rule (the current level carries over in absolute terms, is cut down to a
/// smaller new maximum, and an unlimited pool starts from a full bucket), with one fix: Lido
/// carries over the level stored at the last stake and restarts regeneration from the
/// reconfiguration block, silently discarding whatever had regenerated since that stake. Here
/// the level is first regenerated under the old settings up to `current_block`, so changing
/// the settings never takes back capacity that had already accrued. Keeping the level rather
/// than its proportion of the maximum means raising the maximum adds capacity only through
/// regeneration, never as an immediate jump.
///
/// A paused pool is the caller's state: to resume with a full bucket, use [`StakeLimit::new`].
///
/// # Errors
///
/// As [`StakeLimit::new`], for the new settings.
pub fn reconfigure(
    current: &StakeLimit,
    max_stake_limit: U256,
    increase_per_block: U256,
    current_block: u64,
) -> Result<StakeLimit, MathError> {
    let fresh = StakeLimit::new(max_stake_limit, increase_per_block, current_block)?;
    if current.is_unlimited() {
        return Ok(fresh);
    }
    let level = current.current_limit(current_block).min(max_stake_limit);
    Ok(StakeLimit {
        prev_stake_limit: level,
        prev_stake_block: current_block.max(current.prev_stake_block),
        ..fresh
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{u, wide};
    use proptest::prelude::*;

    const ETH: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn known_answers() {
        let limit = StakeLimit::new(u(10), u(4), 100).expect("valid");
        assert_eq!(limit.max_stake_limit_growth_blocks, 3);
        // Lido would store 2 growth blocks and regenerate 5 per block.
        assert_eq!(limit.increase_per_block(), u(3));
        assert_eq!(limit.current_limit(100), u(10));
        let drained = limit.consume(u(10), 100).expect("fits");
        assert_eq!(drained.prev_stake_limit, U256::ZERO);
        assert_eq!(drained.current_limit(100), U256::ZERO);
        assert_eq!(drained.current_limit(101), u(3));
        assert_eq!(drained.current_limit(103), u(9));
        assert_eq!(drained.current_limit(104), u(10));
        assert_eq!(drained.current_limit(u64::MAX), u(10));
        // Time going backwards regenerates nothing.
        assert_eq!(drained.current_limit(50), U256::ZERO);

        let partial = drained.consume(U256::ZERO, 102).expect("fits");
        assert_eq!(partial, StakeLimit { prev_stake_limit: u(6), prev_stake_block: 102, ..limit });
        assert_eq!(
            partial.consume(u(7), 102),
            Err(MathError::StakeLimitExceeded { requested: u(7), available: u(6) })
        );
        assert_eq!(partial.consume(u(6), 102).map(|l| l.prev_stake_limit), Ok(U256::ZERO));

        // Lido mainnet: 150k ETH bucket refilling over 6400 blocks (about a day).
        let mainnet = StakeLimit::new(u(150_000 * ETH), u(150_000 * ETH / 6_400), 1).expect("ok");
        assert_eq!(mainnet.max_stake_limit_growth_blocks, 6_400);
        assert_eq!(mainnet.increase_per_block(), u(150_000 * ETH / 6_400));

        // A zero increase is a one-off cap.
        let once = StakeLimit::new(u(5), U256::ZERO, 7).expect("valid");
        assert_eq!(once.max_stake_limit_growth_blocks, 0);
        assert_eq!(once.increase_per_block(), U256::ZERO);
        let once = once.consume(u(5), 7).expect("fits");
        assert_eq!(once.current_limit(u64::MAX), U256::ZERO);
    }

    #[test]
    fn bad_configurations_are_rejected() {
        assert_eq!(StakeLimit::new(U256::ZERO, U256::ZERO, 1), Err(MathError::ZeroMaxStakeLimit));
        assert_eq!(StakeLimit::new(u(10), u(11), 1), Err(MathError::StakeLimitIncreaseTooLarge));
        assert_eq!(StakeLimit::new(U256::MAX, u(1), 1), Err(MathError::StakeLimitIncreaseTooSmall));
        let edge = StakeLimit::new(u(u128::from(u64::MAX)), u(1), 1).expect("just fits");
        assert_eq!(edge.max_stake_limit_growth_blocks, u64::MAX);
        assert_eq!(
            StakeLimit::new(u(u128::from(u64::MAX) + 1), u(1), 1),
            Err(MathError::StakeLimitIncreaseTooSmall)
        );
        assert_eq!(
            StakeLimit::new(U256::MAX, U256::MAX, 1).map(|l| l.increase_per_block()),
            Ok(U256::MAX)
        );
    }

    #[test]
    fn unlimited_accepts_everything() {
        let none = StakeLimit::default();
        assert_eq!(none, StakeLimit::UNLIMITED);
        assert!(none.is_unlimited());
        assert_eq!(none.current_limit(0), U256::MAX);
        assert_eq!(none.consume(U256::MAX, 5), Ok(none));
        assert_eq!(none.increase_per_block(), U256::ZERO);
        // Setting a limit on an unlimited pool starts from a full bucket.
        let set = reconfigure(&none, u(100), u(1), 9).expect("valid");
        assert_eq!(set, StakeLimit::new(u(100), u(1), 9).expect("valid"));
    }

    #[test]
    fn saturated_regeneration_caps_at_max() {
        let huge = StakeLimit::new(U256::MAX, U256::MAX, 0).expect("valid");
        let drained = huge.consume(U256::MAX - u(1), 0).expect("fits");
        assert_eq!(drained.current_limit(0), u(1));
        assert_eq!(drained.current_limit(u64::MAX), U256::MAX);
    }

    #[test]
    fn reconfigure_known_answers() {
        let limit = StakeLimit::new(u(100), u(10), 0).expect("valid");
        let limit = limit.consume(u(100), 0).expect("fits");
        // 3 blocks later 30 had regenerated; Lido would carry over 0 here.
        let raised = reconfigure(&limit, u(1_000), u(1), 3).expect("valid");
        assert_eq!(raised.current_limit(3), u(30));
        assert_eq!(raised.current_limit(13), u(40));
        assert_eq!(raised.prev_stake_block, 3);
        let lowered = reconfigure(&limit, u(20), u(20), 3).expect("valid");
        assert_eq!(lowered.current_limit(3), u(20));
        assert_eq!(
            reconfigure(&limit, U256::ZERO, U256::ZERO, 3),
            Err(MathError::ZeroMaxStakeLimit)
        );
    }

    /// A valid configuration: max up to 2^128 and an increase with at most 2^40 growth blocks.
    fn config() -> impl Strategy<Value = (U256, U256, u64)> {
        (1u128..=u128::MAX, 0u128..=1u128 << 40, any::<u64>()).prop_map(|(max, div, block)| {
            let inc = if div == 0 { 0 } else { max.div_ceil(div) };
            (u(max), u(inc), block / 2)
        })
    }

    proptest! {
        #[test]
        fn new_validates_exactly(
            max in any::<u128>(), inc in any::<u128>(), block in any::<u64>()
        ) {
            let result = StakeLimit::new(u(max), u(inc), block);
            if max == 0 {
                prop_assert_eq!(result, Err(MathError::ZeroMaxStakeLimit));
            } else if inc > max {
                prop_assert_eq!(result, Err(MathError::StakeLimitIncreaseTooLarge));
            } else if inc != 0 && max.div_ceil(inc) > u128::from(u64::MAX) {
                prop_assert_eq!(result, Err(MathError::StakeLimitIncreaseTooSmall));
            } else {
                let limit = result?;
                prop_assert_eq!(limit.current_limit(block), u(max));
                prop_assert!(limit.increase_per_block() <= u(inc));
                prop_assert_eq!(limit.increase_per_block().is_zero(), inc == 0);
                // The stored speed never refills faster than configured: one growth period adds
                // at most the maximum.
                let growth = u(u128::from(limit.max_stake_limit_growth_blocks));
                prop_assert!(limit.increase_per_block() * growth <= u(max));
            }
        }

        #[test]
        fn never_above_max_and_consume_is_exact(
            (max, inc, start) in config(),
            ops in proptest::collection::vec((0u64..1_000, any::<u128>(), any::<bool>()), 1..20),
        ) {
            let mut limit = StakeLimit::new(max, inc, start)?;
            let mut block = start;
            for (step, raw, small) in ops {
                block += step;
                let available = limit.current_limit(block);
                prop_assert!(available <= max);
                let amount = if small { u(raw) % (available + u(1)) } else { u(raw) };
                match limit.consume(amount, block) {
                    Ok(next) => {
                        prop_assert!(amount <= available);
                        prop_assert_eq!(next.current_limit(block), available - amount);
                        prop_assert_eq!(next.prev_stake_block, block);
                        limit = next;
                    }
                    Err(e) => {
                        prop_assert!(amount > available);
                        let expected =
                            MathError::StakeLimitExceeded { requested: amount, available };
                        prop_assert_eq!(e, expected);
                    }
                }
            }
        }

        #[test]
        fn regenerates_linearly_up_to_max(
            (max, inc, start) in config(), drain in any::<u128>(), later in any::<u32>()
        ) {
            let limit = StakeLimit::new(max, inc, start)?;
            let drained = limit.consume(u(drain) % (max + u(1)), start)?;
            let level = drained.current_limit(start);
            let per_block = drained.increase_per_block();
            let k = u64::from(later);
            let blocks = u(u128::from(k));
            let uncapped = wide(level) + wide(per_block) * wide(blocks);
            let expected = if uncapped > wide(max) { max } else { level + per_block * blocks };
            prop_assert_eq!(drained.current_limit(start + k), expected);
            // Monotonic in time.
            prop_assert!(drained.current_limit(start + k) <= drained.current_limit(start + k + 1));
        }

        #[test]
        fn empty_bucket_refills_within_growth_blocks_plus_rounding(
            (max, inc, start) in config()
        ) {
            let drained = StakeLimit::new(max, inc, start)?.consume(max, start)?;
            let per_block = drained.increase_per_block();
            prop_assume!(!per_block.is_zero());
            let blocks = max.div_ceil(per_block);
            prop_assert!(blocks <= u(2 * u128::from(drained.max_stake_limit_growth_blocks)));
            let blocks = u64::try_from(blocks).expect("bounded above");
            prop_assert_eq!(drained.current_limit(start + blocks), max);
            prop_assert!(drained.current_limit(start + blocks - 1) < max);
        }

        #[test]
        fn reconfigure_keeps_the_regenerated_level_capped(
            (max, inc, start) in config(), (max2, inc2, _) in config(),
            drain in any::<u128>(), later in 0u64..10_000,
        ) {
            let limit = StakeLimit::new(max, inc, start)?.consume(u(drain) % (max + u(1)), start)?;
            let now = start + later;
            let before = limit.current_limit(now);
            let next = reconfigure(&limit, max2, inc2, now)?;
            prop_assert_eq!(next.current_limit(now), before.min(max2));
            prop_assert!(next.current_limit(now + 1_000_000) <= max2);
            prop_assert_eq!(next.max_stake_limit, max2);
            prop_assert_eq!(
                next.max_stake_limit_growth_blocks,
                StakeLimit::new(max2, inc2, now)?.max_stake_limit_growth_blocks
            );
            let history: Vec<U256> = (0..3).map(|i| next.current_limit(now + i)).collect();
            prop_assert!(history.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
