//! The positive-rebase limiter: caps how much the share rate (ether per share) may grow in one
//! oracle report.
//!
//! Rewards that arrive faster than the cap stay in the vaults for a later report, so a large
//! one-off inflow (a big MEV payout, a backlog of skimmed rewards) is smoothed over several
//! reports instead of rewarding whoever bought the token just before it. The rate grows in
//! two ways, and the limiter accounts for both, in this order:
//!
//! 1. total pooled ether changes with the share count fixed: consensus-layer losses and ether
//!    set aside for withdrawals come off ([`RebaseLimiter::decrease_ether`]); rewards pulled
//!    from the vaults go on, up to the cap ([`RebaseLimiter::increase_ether`]);
//! 2. shares are burnt (withdrawal finalization, cover): at most
//!    [`RebaseLimiter::shares_to_burn_limit`].
//!
//! With `R` the limit in [`LIMITER_PRECISION`] units, the cap is a pooled-ether ceiling at the
//! pre-report share count, `max_total_pooled = pre_total_pooled * (1 + R / 1e9)` rounded
//! down, and the post-report rate `current_total_pooled / (pre_total_shares - burnt)` never
//! exceeds `max_total_pooled / pre_total_shares`, hence never `pre_rate * (1 + R / 1e9)`.
//!
//! That bound is also what the oracle checks after the pool applied a report
//! ([`RebaseLimiter::allows`], through `oracle::check_positive_rebase`): one ceiling, computed
//! by [`RebaseLimiter::new`] from the pool's own setting, and one exact comparison
//! ([`within_ceiling`]), so whatever this limiter lets through the oracle accepts. The oracle
//! used to compare share rates rounded to 1e-27 with a cap computed from the rounded
//! pre-report rate, which could fall one unit below the rate a capped report really ends at.

use crate::{mul_div, mul_div_up, MathError, LIMITER_PRECISION, U256};

/// A limit value meaning "no limit": every increase is accepted and all shares may be burnt.
pub const UNLIMITED_REBASE: u64 = u64::MAX;

/// State of one report's rebase limit. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RebaseLimiter {
    /// Total pooled ether before the report.
    pub pre_total_pooled: U256,
    /// Total shares before the report.
    pub pre_total_shares: U256,
    /// Total pooled ether with the changes accounted so far.
    pub current_total_pooled: U256,
    /// The limit in [`LIMITER_PRECISION`] units, or [`UNLIMITED_REBASE`].
    pub positive_rebase_limit: u64,
    /// The most pooled ether the report may end with at the pre-report share count.
    pub max_total_pooled: U256,
}

impl RebaseLimiter {
    /// Starts a report from the pre-report totals with a limit of `max_positive_rebase` in
    /// [`LIMITER_PRECISION`] units (Lido mainnet: 750_000, i.e. 0.075%).
    ///
    /// An empty pool (`pre_total_pooled == 0`) has no rate to protect, so it gets no limit.
    ///
    /// # Errors
    ///
    /// [`MathError::ZeroRebaseLimit`] if `max_positive_rebase` is zero;
    /// [`MathError::Overflow`] if the ceiling does not fit in 256 bits.
    pub fn new(
        max_positive_rebase: u64,
        pre_total_pooled: U256,
        pre_total_shares: U256,
    ) -> Result<Self, MathError> {
        if max_positive_rebase == 0 {
            return Err(MathError::ZeroRebaseLimit);
        }
        let positive_rebase_limit =
            if pre_total_pooled.is_zero() { UNLIMITED_REBASE } else { max_positive_rebase };
        let max_total_pooled = if positive_rebase_limit == UNLIMITED_REBASE {
            U256::MAX
        } else {
            // Rounded down so the ceiling is never above the exact `pre * (1 + R)`.
            let growth = mul_div(
                pre_total_pooled,
                U256::from(positive_rebase_limit),
                U256::from(LIMITER_PRECISION),
            )?;
            pre_total_pooled.checked_add(growth).ok_or(MathError::Overflow)?
        };
        Ok(Self {
            pre_total_pooled,
            pre_total_shares,
            current_total_pooled: pre_total_pooled,
            positive_rebase_limit,
            max_total_pooled,
        })
    }

    /// Whether this limiter lets everything through.
    pub fn is_unlimited(&self) -> bool {
        self.positive_rebase_limit == UNLIMITED_REBASE
    }

    /// Whether pooled ether has reached the ceiling, so no more rewards and no share burning
    /// fit in this report.
    pub fn is_limit_reached(&self) -> bool {
        !self.is_unlimited() && self.current_total_pooled >= self.max_total_pooled
    }

    /// Accounts for ether leaving the pool (consensus-layer losses, ether locked for
    /// withdrawals), which makes room under the ceiling for the same amount of rewards.
    ///
    /// Unlike Lido, an unlimited limiter still tracks the total, so the check below holds in
    /// both modes and the total stays meaningful.
    ///
    /// # Errors
    ///
    /// [`MathError::NegativeTotalPooledEther`] if `amount` is above the current total; the
    /// state is then unchanged.
    pub fn decrease_ether(&mut self, amount: U256) -> Result<(), MathError> {
        self.current_total_pooled = self
            .current_total_pooled
            .checked_sub(amount)
            .ok_or(MathError::NegativeTotalPooledEther)?;
        Ok(())
    }

    /// Accounts for up to `amount` of ether entering the pool and returns how much of it fits
    /// under the ceiling, `min(amount, max_total_pooled - current_total_pooled)`; the caller
    /// leaves the rest where it came from for a later report.
    ///
    /// Only the returned part is tracked. Ether the caller cannot hold back (consensus-layer
    /// rewards) still goes through here, to use up the cap first, but if it exceeds the
    /// ceiling the pool's real total ends above `max_total_pooled`; bounding that case is the
    /// oracle sanity checks' job, as in Lido.
    ///
    /// # Errors
    ///
    /// [`MathError::Overflow`] if an unlimited limiter's total would exceed 256 bits; the
    /// state is then unchanged.
    pub fn increase_ether(&mut self, amount: U256) -> Result<U256, MathError> {
        let accepted = if self.is_unlimited() {
            amount
        } else {
            amount.min(self.max_total_pooled.saturating_sub(self.current_total_pooled))
        };
        self.current_total_pooled =
            self.current_total_pooled.checked_add(accepted).ok_or(MathError::Overflow)?;
        Ok(accepted)
    }

    /// Whether a report that ends with `post_total_pooled` ether and `post_total_shares` shares
    /// (before withdrawal finalisation, see `oracle::rate_before_finalization`) kept the share
    /// rate under this limit: [`within_ceiling`] with `max_total_pooled`, always true when
    /// unlimited. Everything [`increase_ether`](Self::increase_ether) and
    /// [`shares_to_burn_limit`](Self::shares_to_burn_limit) let through passes, fee shares
    /// included (they only lower the rate).
    pub fn allows(&self, post_total_pooled: U256, post_total_shares: U256) -> bool {
        self.is_unlimited()
            || within_ceiling(
                self.max_total_pooled,
                self.pre_total_shares,
                post_total_pooled,
                post_total_shares,
            )
    }

    /// The most shares that may be burnt in this report without the share rate exceeding the
    /// cap: the largest `burn` with `current_total_pooled * pre_total_shares <=
    /// max_total_pooled * (pre_total_shares - burn)`, that is `pre_total_shares -
    /// ceil(current_total_pooled * pre_total_shares / max_total_pooled)`; zero once the limit
    /// is reached, and all shares when unlimited.
    ///
    /// Lido derives this from the pooled-ether growth ratio rounded *down* to 1e-9, which
    /// overstates the allowance by up to `pre_total_shares / 1e9` shares (about one ether per
    /// billion ether staked) and lets the rate end above its cap. The ratio form here is exact
    /// and rounds the shares that must remain *up*.
    ///
    /// # Errors
    ///
    /// [`MathError::Overflow`] only for totals near 2^256.
    pub fn shares_to_burn_limit(&self) -> Result<U256, MathError> {
        if self.is_unlimited() {
            return Ok(self.pre_total_shares);
        }
        if self.is_limit_reached() {
            return Ok(U256::ZERO);
        }
        let must_remain =
            mul_div_up(self.current_total_pooled, self.pre_total_shares, self.max_total_pooled)?;
        // `current < max` makes `must_remain <= pre_total_shares`; saturating covers a
        // hand-built state that breaks that.
        Ok(self.pre_total_shares.saturating_sub(must_remain))
    }
}

/// Whether the rate `post_total_pooled / post_total_shares` is at most `ceiling /
/// pre_total_shares`, exactly (no rounded rate on either side): `post_total_pooled *
/// pre_total_shares <= ceiling * post_total_shares`, decided as `ceil(post_total_pooled *
/// pre_total_shares / post_total_shares) <= ceiling`, which is the same for a whole `ceiling`.
///
/// This is the limiter's own guarantee (`current * pre_shares <= max * (pre_shares - burnt)`),
/// so the pool's result meets it by construction; comparing rates rounded to 1e-27 instead
/// refused some of them by one unit. A report that leaves no shares passes only with no
/// ether either (there is no rate to compare). A left side beyond 256 bits is above any
/// ceiling, so the only error `mul_div_up` can give (overflow; the divisor is not zero) means
/// "above".
pub fn within_ceiling(
    ceiling: U256,
    pre_total_shares: U256,
    post_total_pooled: U256,
    post_total_shares: U256,
) -> bool {
    if post_total_shares.is_zero() {
        return post_total_pooled.is_zero();
    }
    mul_div_up(post_total_pooled, pre_total_shares, post_total_shares)
        .is_ok_and(|at_pre_shares| at_pre_shares <= ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{amount, nonzero_amount, u, wide};
    use alloy_primitives::U512;
    use proptest::prelude::*;

    const ETH: u128 = 1_000_000_000_000_000_000;
    const MILLI: u128 = ETH / 1_000;

    #[test]
    fn known_answers() {
        // Lido mainnet limit, 0.075%: 1000 ETH may grow to 1000.75 ETH.
        let mut limiter = RebaseLimiter::new(750_000, u(1_000 * ETH), u(900 * ETH)).expect("ok");
        assert_eq!(limiter.max_total_pooled, u(1_000_750 * MILLI));
        assert!(!limiter.is_limit_reached());
        assert_eq!(limiter.increase_ether(u(2 * ETH)), Ok(u(750 * MILLI)));
        assert!(limiter.is_limit_reached());
        assert_eq!(limiter.increase_ether(u(1)), Ok(U256::ZERO));
        assert_eq!(limiter.shares_to_burn_limit(), Ok(U256::ZERO));

        // Withdrawals lock 10 ETH: room for 10 ETH more of rewards, or some burning.
        limiter.decrease_ether(u(10 * ETH)).expect("enough ether");
        assert_eq!(limiter.current_total_pooled, u(990_750 * MILLI));
        assert!(!limiter.is_limit_reached());
        assert_eq!(limiter.increase_ether(u(500 * MILLI)), Ok(u(500 * MILLI)));
        // 900 - ceil(991.25 * 900 / 1000.75) shares, in wei of shares.
        assert_eq!(limiter.shares_to_burn_limit(), Ok(u(8_543_592_305_770_671_996)));

        assert_eq!(
            limiter.decrease_ether(u(2_000 * ETH)),
            Err(MathError::NegativeTotalPooledEther)
        );
        assert_eq!(limiter.current_total_pooled, u(991_250 * MILLI));
    }

    #[test]
    fn lido_ratio_rounding_would_overshoot_the_cap() {
        // 3 ETH backing 3e9 shares-ETH, 0.1% limit, 2 ETH locked: the growth ratio 1/3 rounds
        // down to 333_333_333e-9, and Lido's allowance grows by about S / 1e9 shares.
        let (pre, shares, r) = (u(3 * ETH), u(3_000_000_000 * ETH), 1_000_000);
        let mut limiter = RebaseLimiter::new(r, pre, shares).expect("ok");
        limiter.decrease_ether(u(2 * ETH)).expect("enough");
        let ours = limiter.shares_to_burn_limit().expect("ok");
        let plus1 = U256::from(LIMITER_PRECISION + r);
        let ratio = limiter.current_total_pooled * U256::from(LIMITER_PRECISION) / pre;
        let lidos = shares * (plus1 - ratio) / plus1;
        assert_eq!(lidos - ours, u(999_000_999_000_999_001));
        // Against the exact cap pre_rate * (1 + R): ours holds, Lido's breaks it.
        let within_cap = |burn: U256| {
            wide(limiter.current_total_pooled) * wide(shares) * wide(U256::from(LIMITER_PRECISION))
                <= wide(pre) * wide(shares - burn) * wide(plus1)
        };
        assert!(within_cap(ours));
        assert!(!within_cap(lidos));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(RebaseLimiter::new(0, u(1), u(1)), Err(MathError::ZeroRebaseLimit));
        // An empty pool is unlimited whatever the configured limit.
        let mut empty = RebaseLimiter::new(1, U256::ZERO, U256::ZERO).expect("ok");
        assert!(empty.is_unlimited());
        assert_eq!(empty.max_total_pooled, U256::MAX);
        assert_eq!(empty.increase_ether(u(5)), Ok(u(5)));
        assert!(!empty.is_limit_reached());
        assert_eq!(empty.shares_to_burn_limit(), Ok(U256::ZERO));
        assert_eq!(empty.increase_ether(U256::MAX), Err(MathError::Overflow));
        assert_eq!(empty.current_total_pooled, u(5));

        let mut open = RebaseLimiter::new(UNLIMITED_REBASE, u(10), u(7)).expect("ok");
        assert_eq!(open.increase_ether(u(1_000)), Ok(u(1_000)));
        assert_eq!(open.shares_to_burn_limit(), Ok(u(7)));

        // 100% limit: pooled ether may double.
        let doubling = RebaseLimiter::new(1_000_000_000, u(10), u(10)).expect("ok");
        assert_eq!(doubling.max_total_pooled, u(20));
        // Largest finite limit on a big pool overflows the ceiling.
        assert_eq!(
            RebaseLimiter::new(u64::MAX - 1, U256::MAX / u(2), u(1)),
            Err(MathError::Overflow)
        );
        // Tiny pools: the ceiling rounds down to no growth at all.
        let mut tiny = RebaseLimiter::new(750_000, u(100), u(100)).expect("ok");
        assert_eq!(tiny.max_total_pooled, u(100));
        assert!(tiny.is_limit_reached());
        assert_eq!(tiny.increase_ether(u(1)), Ok(U256::ZERO));
    }

    fn limit() -> impl Strategy<Value = u64> {
        prop_oneof![
            3 => 1u64..=LIMITER_PRECISION,
            1 => 1u64..=10_000_000,
            1 => 1u64..UNLIMITED_REBASE,
            1 => Just(UNLIMITED_REBASE),
        ]
    }

    #[derive(Clone, Debug)]
    enum Op {
        Decrease(U256),
        Increase(U256),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![amount().prop_map(Op::Decrease), amount().prop_map(Op::Increase)]
    }

    proptest! {
        #[test]
        fn ceiling_is_the_rounded_down_cap(r in limit(), pre in amount(), s in amount()) {
            let limiter = RebaseLimiter::new(r, pre, s)?;
            prop_assert_eq!(limiter.current_total_pooled, pre);
            if limiter.is_unlimited() {
                prop_assert!(r == UNLIMITED_REBASE || pre.is_zero());
                prop_assert_eq!(limiter.max_total_pooled, U256::MAX);
            } else {
                let precision = wide(U256::from(LIMITER_PRECISION));
                let exact = wide(pre) * (precision + wide(U256::from(r)));
                prop_assert!(wide(limiter.max_total_pooled) * precision <= exact);
                prop_assert!((wide(limiter.max_total_pooled) + wide(u(1))) * precision > exact);
            }
        }

        #[test]
        fn post_report_rate_never_exceeds_the_cap(
            r in limit(), pre in nonzero_amount(), s in nonzero_amount(),
            ops in proptest::collection::vec(op(), 0..8),
        ) {
            let mut limiter = RebaseLimiter::new(r, pre, s)?;
            for op in ops {
                let before = limiter;
                match op {
                    Op::Decrease(x) => match limiter.decrease_ether(x) {
                        Ok(()) => prop_assert_eq!(
                            limiter.current_total_pooled,
                            before.current_total_pooled - x
                        ),
                        Err(e) => {
                            prop_assert_eq!(e, MathError::NegativeTotalPooledEther);
                            prop_assert!(x > before.current_total_pooled);
                            prop_assert_eq!(limiter, before);
                        }
                    },
                    Op::Increase(x) => {
                        let got = limiter.increase_ether(x)?;
                        prop_assert!(got <= x);
                        let expected = before.current_total_pooled + got;
                        prop_assert_eq!(limiter.current_total_pooled, expected);
                        if !limiter.is_unlimited() {
                            let room =
                                before.max_total_pooled.saturating_sub(before.current_total_pooled);
                            prop_assert_eq!(got, x.min(room));
                            prop_assert!(limiter.current_total_pooled <= limiter.max_total_pooled);
                            // Falling short means the ceiling was hit; hitting it exactly
                            // (a zero increase at the ceiling included) need not fall short.
                            if got < x {
                                prop_assert!(limiter.is_limit_reached());
                            }
                            prop_assert_eq!(
                                limiter.is_limit_reached(),
                                limiter.current_total_pooled == limiter.max_total_pooled
                            );
                        }
                    }
                }
            }
            let burn = limiter.shares_to_burn_limit()?;
            prop_assert!(burn <= s);
            if limiter.is_unlimited() {
                prop_assert_eq!(burn, s);
                return Ok(());
            }
            let current = wide(limiter.current_total_pooled);
            let precision = wide(U256::from(LIMITER_PRECISION));
            let cap = wide(pre) * (precision + wide(U256::from(r)));
            // Rate after the report, current / (s - burn), against pre / s * (1 + R / 1e9).
            if burn < s {
                prop_assert!(current * wide(s) * precision <= cap * wide(s - burn));
                // The rule the oracle checks accepts it: the same ceiling, exactly.
                prop_assert!(limiter.allows(limiter.current_total_pooled, s - burn));
            } else {
                prop_assert!(current.is_zero());
            }
            // And the allowance is the largest such: one more share would overshoot the
            // (rounded-down) ceiling.
            if burn < s && !limiter.is_limit_reached() {
                prop_assert!(
                    current * wide(s) > wide(limiter.max_total_pooled) * wide(s - burn - u(1))
                );
            }
            if limiter.is_limit_reached() {
                prop_assert_eq!(burn, U256::ZERO);
            }
        }

        #[test]
        fn more_ether_means_fewer_burnable_shares(
            r in 1u64..=LIMITER_PRECISION, pre in nonzero_amount(), s in amount(),
            down1 in amount(), down2 in amount(),
        ) {
            let mut a = RebaseLimiter::new(r, pre, s)?;
            let mut b = a;
            // Reduced into [0, pre] rather than filtered, so no case is thrown away.
            let (down1, down2) = (down1 % (pre + u(1)), down2 % (pre + u(1)));
            let (lo, hi) = if down1 <= down2 { (down1, down2) } else { (down2, down1) };
            a.decrease_ether(lo)?;
            b.decrease_ether(hi)?;
            prop_assert!(a.shares_to_burn_limit()? <= b.shares_to_burn_limit()?);
        }

        #[test]
        fn realistic_reports_stay_under_the_mainnet_cap(
            pre in (1_000 * ETH)..(10_000_000 * ETH),
            rate_permille in 1_000u128..=1_300,
            rewards_bp in 0u128..=100,
            locked_bp in 0u128..=500,
        ) {
            let s = u(pre / rate_permille * 1_000);
            let pre = u(pre);
            let mut limiter = RebaseLimiter::new(750_000, pre, s)?;
            limiter.decrease_ether(pre * u(locked_bp) / u(10_000))?;
            limiter.increase_ether(pre * u(rewards_bp) / u(10_000))?;
            let burn = limiter.shares_to_burn_limit()?;
            let post: U512 = wide(limiter.current_total_pooled) * wide(s) * wide(u(1_000_000_000));
            prop_assert!(post <= wide(pre) * wide(s - burn) * wide(u(1_000_750_000)));
        }
    }
}
