//! The accounting oracle's arithmetic: frames of the beacon chain and the sanity limits a
//! report must respect before the pool applies it.
//!
//! Every limit is written as "value ≤ bound", where the bound is computed once, rounded down,
//! from the limit and the current state. That makes each limit exact at its boundary (a
//! report at the bound passes, one unit more fails), which the property tests check, and
//! keeps divisions out of the comparison itself. Lido's `OracleReportSanityChecker` computes
//! the report's ratio and compares it with the limit instead; the two agree except within
//! one unit of rounding, where this form is the stricter one.

use alloy_primitives::U256;

use crate::{
    mul_div, mul_div_up,
    rebase_limit::{within_ceiling, RebaseLimiter},
    MathError, BASIS_POINTS, SHARE_RATE_PRECISION,
};

/// Seconds in a day, the unit of the appeared-validators limit.
pub const SECONDS_PER_DAY: u64 = 86_400;
/// Seconds in a 365-day year, the unit of the annual balance increase limit (as Lido).
pub const SECONDS_PER_YEAR: u64 = 365 * SECONDS_PER_DAY;
/// One validator's deposit, 32 ether.
pub const DEPOSIT_SIZE: U256 = U256::from_limbs([0xbc16_d674_ec80_0000, 0x1, 0, 0]);

/// Beacon-chain timing: genesis and slot/epoch lengths (fixed per chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainConfig {
    /// Unix time of slot 0.
    pub genesis_time: u64,
    /// Seconds per slot (12 on mainnet).
    pub seconds_per_slot: u64,
    /// Slots per epoch (32 on mainnet).
    pub slots_per_epoch: u64,
}

/// Reporting frames: frame `k` starts at epoch `initial_epoch + k * epochs_per_frame`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameConfig {
    /// First epoch of frame 0; at least 1 so that frame 0 has a reference slot.
    pub initial_epoch: u64,
    /// Frame length in epochs, at least 1.
    pub epochs_per_frame: u64,
}

/// One reporting frame, as slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// The frame's first epoch.
    pub start_epoch: u64,
    /// The slot the frame's report describes: the last slot before the frame starts, so the
    /// state it reports is final by the time members can sign it.
    pub ref_slot: u64,
    /// The last slot in which the frame's report can be applied: the frame's last slot.
    pub deadline_slot: u64,
}

impl ChainConfig {
    /// Whether the configuration can describe a chain: slots and epochs are not empty.
    pub fn is_valid(&self) -> bool {
        self.seconds_per_slot > 0 && self.slots_per_epoch > 0
    }

    /// The slot at `timestamp`, or `None` before genesis.
    pub fn slot_at(&self, timestamp: u64) -> Option<u64> {
        let since = timestamp.checked_sub(self.genesis_time)?;
        since.checked_div(self.seconds_per_slot)
    }

    /// The frame containing `timestamp`, or `None` before `frames.initial_epoch` (or with a
    /// configuration that overflows, which validation at configuration time excludes).
    pub fn frame_at(&self, frames: &FrameConfig, timestamp: u64) -> Option<Frame> {
        let epoch = self.slot_at(timestamp)?.checked_div(self.slots_per_epoch)?;
        let index =
            epoch.checked_sub(frames.initial_epoch)?.checked_div(frames.epochs_per_frame)?;
        self.frame(frames, index)
    }

    /// Frame number `index`, or `None` if its slots overflow `u64`.
    pub fn frame(&self, frames: &FrameConfig, index: u64) -> Option<Frame> {
        let start_epoch =
            index.checked_mul(frames.epochs_per_frame)?.checked_add(frames.initial_epoch)?;
        let start_slot = start_epoch.checked_mul(self.slots_per_epoch)?;
        let end_slot =
            start_epoch.checked_add(frames.epochs_per_frame)?.checked_mul(self.slots_per_epoch)?;
        Some(Frame {
            start_epoch,
            ref_slot: start_slot.checked_sub(1)?,
            deadline_slot: end_slot.checked_sub(1)?,
        })
    }

    /// Seconds in a frame of `epochs_per_frame` epochs (saturating: a frame that long covers
    /// any interval).
    pub fn frame_seconds(&self, epochs_per_frame: u64) -> u64 {
        epochs_per_frame.saturating_mul(self.slots_per_epoch).saturating_mul(self.seconds_per_slot)
    }

    /// Whether frames of `epochs_per_frame` epochs can carry reports at least
    /// `min_report_interval` seconds apart. A report covers the time since the last one, and
    /// the first covers exactly one frame: with shorter frames the first report, and every
    /// report of consecutive frames, is too soon, so no report could ever be applied.
    pub fn frames_fit_interval(&self, epochs_per_frame: u64, min_report_interval: u64) -> bool {
        self.frame_seconds(epochs_per_frame) >= min_report_interval
    }

    /// Seconds between two slots, `None` if `to < from` or on overflow.
    pub fn seconds_between(&self, from: u64, to: u64) -> Option<u64> {
        to.checked_sub(from)?.checked_mul(self.seconds_per_slot)
    }
}

/// A sanity limit a report breaks, with the value the report implies and the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// The consensus-layer balance grew more than the annual limit allows for the time.
    ClBalanceIncrease {
        /// Growth over the principal, wei.
        increase: U256,
        /// The largest growth allowed, wei.
        max: U256,
    },
    /// The consensus-layer balance fell more than the one-off limit allows.
    ClBalanceDecrease {
        /// Loss against the principal, wei.
        decrease: U256,
        /// The largest loss allowed, wei.
        max: U256,
    },
    /// More validators appeared than the daily limit allows for the time.
    AppearedValidators {
        /// Validators the report adds.
        appeared: u64,
        /// The most that may appear in the time.
        max: u64,
    },
    /// The simulated share rate is too far from the rate the report produced.
    ShareRate {
        /// The report's simulated rate (1e27).
        simulated: U256,
        /// The rate the report produced, before finalisation (1e27).
        actual: U256,
    },
    /// The share rate rose more in one report than the positive-rebase limit allows.
    PositiveRebase {
        /// The rate after the report (1e27).
        post_rate: U256,
        /// The largest post-report rate allowed (1e27).
        max_rate: U256,
    },
    /// Arithmetic on the report's values overflowed.
    Math(MathError),
}

impl From<MathError> for Breach {
    fn from(e: MathError) -> Self {
        Breach::Math(e)
    }
}

/// Checks the consensus-layer balance against its principal, as Lido's sanity checker does.
///
/// `principal` is the previous consensus-layer balance plus 32 ether per validator that
/// appeared; `cl_balance` is the reported consensus-layer balance; `withdrawn` is the
/// withdrawal vault's balance.
///
/// - A gain of the consensus-layer balance *alone* may be at most
///   `floor(base * annual_bp * time_elapsed / (10_000 * year))`, with `base` the principal,
///   or one deposit when the principal is zero (the first validators), so the limit is a
///   yearly rate pro-rated over the time the report covers. The withdrawal vault is left out:
///   anyone can send it ETH, and a donation above the allowance would otherwise make every
///   honest report fail. What the vault holds is bounded elsewhere: the oracle checks the
///   reported vault balance against the real one, and the pool takes it in only under the
///   positive-rebase cap.
/// - A loss may be at most `floor(principal * decrease_bp / 10_000)`, whatever the time,
///   measured on the consensus-layer balance *plus* the vault (ether withdrawn from
///   validators has left the consensus layer but is no loss): a mass slashing shows up at
///   once, so the limit is one-off.
///
/// # Errors
/// [`Breach::ClBalanceIncrease`], [`Breach::ClBalanceDecrease`], or [`Breach::Math`] if the
/// bound or a sum overflows.
pub fn check_cl_balance(
    principal: U256,
    cl_balance: U256,
    withdrawn: U256,
    annual_increase_bp: u16,
    one_off_decrease_bp: u16,
    time_elapsed: u64,
) -> Result<(), Breach> {
    if cl_balance > principal {
        let base = if principal.is_zero() { DEPOSIT_SIZE } else { principal };
        let max = mul_div(
            base,
            U256::from(u128::from(annual_increase_bp) * u128::from(time_elapsed)),
            U256::from(u128::from(BASIS_POINTS) * u128::from(SECONDS_PER_YEAR)),
        )?;
        return at_most(cl_balance - principal, max, |increase, max| Breach::ClBalanceIncrease {
            increase,
            max,
        });
    }
    let post = cl_balance.checked_add(withdrawn).ok_or(Breach::Math(MathError::Overflow))?;
    if post >= principal {
        return Ok(());
    }
    let max = mul_div(principal, U256::from(one_off_decrease_bp), U256::from(BASIS_POINTS))?;
    at_most(principal - post, max, |decrease, max| Breach::ClBalanceDecrease { decrease, max })
}

/// The comparison every limit here makes (see the module docs): `value <= bound` passes; a
/// larger value is the breach `over` builds from the two.
fn at_most<T: PartialOrd>(
    value: T,
    bound: T,
    over: impl FnOnce(T, T) -> Breach,
) -> Result<(), Breach> {
    if value > bound {
        Err(over(value, bound))
    } else {
        Ok(())
    }
}

/// The most validators that may appear in `time_elapsed` seconds at `per_day`:
/// `floor(per_day * time_elapsed / 86_400)`, saturating at `u64::MAX`.
pub fn max_appeared_validators(per_day: u64, time_elapsed: u64) -> u64 {
    let max = u128::from(per_day) * u128::from(time_elapsed) / u128::from(SECONDS_PER_DAY);
    u64::try_from(max).unwrap_or(u64::MAX)
}

/// Checks that at most [`max_appeared_validators`] validators appeared.
///
/// # Errors
/// [`Breach::AppearedValidators`].
pub fn check_appeared_validators(
    appeared: u64,
    per_day: u64,
    time_elapsed: u64,
) -> Result<(), Breach> {
    let max = max_appeared_validators(per_day, time_elapsed);
    at_most(appeared, max, |appeared, max| Breach::AppearedValidators { appeared, max })
}

/// Checks that `simulated` deviates from `actual` by at most
/// `floor(actual * deviation_bp / 10_000)`, in either direction; with `only_above` (bunker
/// mode) any rate below `actual` passes, so only the excess is limited.
///
/// # Errors
/// [`Breach::ShareRate`], or [`Breach::Math`] on overflow.
pub fn check_share_rate(
    simulated: U256,
    actual: U256,
    deviation_bp: u16,
    only_above: bool,
) -> Result<(), Breach> {
    let max = mul_div(actual, U256::from(deviation_bp), U256::from(BASIS_POINTS))?;
    let deviation = if simulated >= actual {
        simulated - actual
    } else if only_above {
        U256::ZERO
    } else {
        actual - simulated
    };
    at_most(deviation, max, |_, _| Breach::ShareRate { simulated, actual })
}

/// Checks that the report kept the share rate under the pool's positive-rebase cap by the
/// pool's own rule, or rose by no more than the consensus layer's own growth explains.
///
/// `limiter` is [`RebaseLimiter::new`] from the pool's cap (the one setting, read from the
/// pool) and the pre-report totals: the very ceiling the pool capped the report to.
/// `post_pooled` and `post_shares` are the totals before withdrawal finalisation (see
/// [`totals_before_finalization`]). The report passes when [`RebaseLimiter::allows`] them,
/// that is `post_pooled / post_shares <= max_total_pooled / pre_shares` exactly, which the
/// limiter guarantees for everything it let through: the oracle can never refuse the pool's
/// own result over rounding. It used to compare rates rounded to 1e-27 with a cap computed from
/// the rounded pre-report rate, which fell one unit short about once in 8,000 reports without
/// a fee.
///
/// Otherwise it passes if `post_pooled / post_shares <= (pre_pooled + cl_increase) /
/// pre_shares`, `cl_increase` being the consensus-layer balance's growth over its principal:
/// the pool smooths withdrawals, execution-layer rewards and share burns down to its cap, but
/// it cannot hold back consensus-layer growth, which the annual-increase limit bounds instead.
/// Refusing that growth would stall the oracle for good after a few missed frames (each later
/// report carries all the growth since the last one), so only growth beyond both bounds, which
/// the pool's smoothing should have prevented, is a breach.
///
/// # Errors
/// [`Breach::PositiveRebase`] with the post-report rate rounded up and the larger bound as a
/// rate rounded down (so the one is always above the other), or [`Breach::Math`] if
/// `pre_pooled + cl_increase` overflows.
pub fn check_positive_rebase(
    limiter: &RebaseLimiter,
    post_pooled: U256,
    post_shares: U256,
    cl_increase: U256,
) -> Result<(), Breach> {
    if limiter.allows(post_pooled, post_shares) {
        return Ok(());
    }
    let cl_ceiling =
        limiter.pre_total_pooled.checked_add(cl_increase).ok_or(MathError::Overflow)?;
    let ceiling = limiter.max_total_pooled.max(cl_ceiling);
    if within_ceiling(ceiling, limiter.pre_total_shares, post_pooled, post_shares) {
        return Ok(());
    }
    // Only for the error's data: rates beyond 256 bits (or of no shares) saturate.
    Err(Breach::PositiveRebase {
        post_rate: mul_div_up(post_pooled, SHARE_RATE_PRECISION, post_shares).unwrap_or(U256::MAX),
        max_rate: mul_div(ceiling, SHARE_RATE_PRECISION, limiter.pre_total_shares)
            .unwrap_or(U256::MAX),
    })
}

/// The totals a report produced before its withdrawal finalisation, `(ether, shares)`: the
/// ether locked for finalised requests added back to the pool, the shares burnt for them added
/// back to the total, so requests finalised at a discount do not count as a rate rise.
///
/// # Errors
/// [`MathError::Overflow`].
pub fn totals_before_finalization(
    post_pooled: U256,
    post_shares: U256,
    ether_locked: U256,
    shares_burnt: U256,
) -> Result<(U256, U256), MathError> {
    let ether = post_pooled.checked_add(ether_locked).ok_or(MathError::Overflow)?;
    let shares = post_shares.checked_add(shares_burnt).ok_or(MathError::Overflow)?;
    Ok((ether, shares))
}

/// The share rate (1e27) a report produced before its withdrawal finalisation, from
/// [`totals_before_finalization`].
///
/// # Errors
/// [`MathError::Overflow`] or [`MathError::DivisionByZero`] (no shares at all).
pub fn rate_before_finalization(
    post_pooled: U256,
    post_shares: U256,
    ether_locked: U256,
    shares_burnt: U256,
) -> Result<U256, MathError> {
    let (ether, shares) =
        totals_before_finalization(post_pooled, post_shares, ether_locked, shares_burnt)?;
    mul_div(ether, SHARE_RATE_PRECISION, shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_shorter_than_the_report_interval_do_not_fit() {
        let chain = ChainConfig { genesis_time: 0, seconds_per_slot: 12, slots_per_epoch: 32 };
        // 12 hours: 112.5 epochs of 384 s, so 113 fit and 112 do not.
        assert!(chain.frames_fit_interval(113, 43_200));
        assert!(!chain.frames_fit_interval(112, 43_200));
        assert!(chain.frames_fit_interval(225, 0));
        assert_eq!(chain.frame_seconds(u64::MAX), u64::MAX);
    }
    use crate::test_util::{amount, nonzero_amount, u, wide};
    use crate::{fee, LIMITER_PRECISION};
    use alloy_primitives::U512;
    use proptest::prelude::*;

    const ETHER: u128 = 1_000_000_000_000_000_000;

    fn mainnet() -> ChainConfig {
        ChainConfig { genesis_time: 1_606_824_023, seconds_per_slot: 12, slots_per_epoch: 32 }
    }

    #[test]
    fn deposit_size_is_32_ether() {
        assert_eq!(DEPOSIT_SIZE, u(32 * ETHER));
    }

    #[test]
    fn frames_follow_the_configuration() {
        let chain = mainnet();
        let frames = FrameConfig { initial_epoch: 10, epochs_per_frame: 225 };
        let at_epoch = |e: u64| chain.genesis_time + e * 32 * 12;
        assert_eq!(chain.frame_at(&frames, at_epoch(9)), None);
        assert_eq!(chain.frame_at(&frames, chain.genesis_time - 1), None);
        let first = Frame { start_epoch: 10, ref_slot: 319, deadline_slot: 235 * 32 - 1 };
        assert_eq!(chain.frame_at(&frames, at_epoch(10)), Some(first));
        assert_eq!(chain.frame_at(&frames, at_epoch(234) + 383), Some(first));
        let second = chain.frame_at(&frames, at_epoch(235)).expect("frame 1");
        assert_eq!(second.ref_slot, first.deadline_slot);
        assert_eq!(chain.seconds_between(first.ref_slot, second.ref_slot), Some(86_400));
        assert_eq!(chain.seconds_between(second.ref_slot, first.ref_slot), None);
        // Epoch 0 has no slot before it to refer to.
        let bad = FrameConfig { initial_epoch: 0, epochs_per_frame: 1 };
        assert_eq!(chain.frame(&bad, 0), None);
        assert!(!ChainConfig { seconds_per_slot: 0, ..chain }.is_valid());
    }

    #[test]
    fn cl_balance_known_answers() {
        let principal = u(1_000 * ETHER);
        // 10%/yr over one day of 1000 ether: 0.27397... ether.
        let max = u(1_000 * ETHER) * u(1_000 * 86_400) / u(10_000 * 365 * 86_400);
        assert_eq!(
            check_cl_balance(principal, principal + max, U256::ZERO, 1_000, 500, 86_400),
            Ok(())
        );
        assert_eq!(
            check_cl_balance(principal, principal + max + u(1), U256::ZERO, 1_000, 500, 86_400),
            Err(Breach::ClBalanceIncrease { increase: max + u(1), max })
        );
        // 5% one-off: 50 ether.
        assert_eq!(check_cl_balance(principal, u(950 * ETHER), U256::ZERO, 1_000, 500, 1), Ok(()));
        assert_eq!(
            check_cl_balance(principal, u(950 * ETHER) - u(1), U256::ZERO, 1_000, 500, 1),
            Err(Breach::ClBalanceDecrease { decrease: u(50 * ETHER) + u(1), max: u(50 * ETHER) })
        );
        // No time: no gain at all.
        assert!(check_cl_balance(principal, principal + u(1), U256::ZERO, 1_000, 500, 0).is_err());
        // No principal: measured against one deposit.
        assert_eq!(check_cl_balance(U256::ZERO, U256::ZERO, U256::ZERO, 1_000, 500, 0), Ok(()));
    }

    #[test]
    fn positive_rebase_known_answers() {
        // 0.075% on 1000 ether backing 1000 ether of shares: 1000.75 ether, exactly.
        let limiter = RebaseLimiter::new(750_000, u(1_000 * ETHER), u(1_000 * ETHER)).expect("ok");
        let max = u(1_000_750 * ETHER / 1_000);
        let shares = u(1_000 * ETHER);
        assert_eq!(check_positive_rebase(&limiter, max, shares, U256::ZERO), Ok(()));
        let rate = SHARE_RATE_PRECISION * max / shares;
        assert_eq!(
            check_positive_rebase(&limiter, max + u(1), shares, U256::ZERO),
            // One wei on 1000 ether of shares is 1e6 units of 1e-27.
            Err(Breach::PositiveRebase { post_rate: rate + u(1_000_000), max_rate: rate })
        );
        // Fewer shares for the same ether is a rise too; more shares a fall.
        // The post rate is rounded up in the error, the bound down: 1000.75 ether on one wei
        // less of shares is 1.00075 plus 1.00075e-21, 1,000,750.75... units above the bound.
        assert_eq!(
            check_positive_rebase(&limiter, max, shares - u(1), U256::ZERO),
            Err(Breach::PositiveRebase { post_rate: rate + u(1_000_751), max_rate: rate })
        );
        assert_eq!(check_positive_rebase(&limiter, max + u(1), shares + u(1), U256::ZERO), Ok(()));
        // Consensus-layer growth beyond the cap explains a rise up to it, not beyond.
        let cl = u(ETHER);
        assert_eq!(check_positive_rebase(&limiter, u(1_001 * ETHER), shares, cl), Ok(()));
        assert!(check_positive_rebase(&limiter, u(1_001 * ETHER) + u(1), shares, cl).is_err());
        // An empty pool has no rate to protect.
        let empty = RebaseLimiter::new(1, U256::ZERO, U256::ZERO).expect("ok");
        assert_eq!(check_positive_rebase(&empty, U256::MAX, u(1), U256::ZERO), Ok(()));
        assert_eq!(totals_before_finalization(u(90), u(80), u(10), u(20)), Ok((u(100), u(100))));
        assert_eq!(
            totals_before_finalization(U256::MAX, u(80), u(1), u(20)),
            Err(MathError::Overflow)
        );
    }

    /// Issue 19, item 3: S0 = 1000 ether + 1 wei, P0 = S0 + 1,333,003,999 wei, no fee. The pool
    /// fills its cap exactly; the rate that leaves is one unit (1e-27) above the old bound
    /// `floor(P0 / S0) * (1 + R)`, so the oracle refused the pool's own result, with or
    /// without burning (a burn-only report ends at the same ceiling).
    #[test]
    fn the_pools_capped_result_is_accepted_at_the_rounding_edge() {
        let s0 = u(1_000 * ETHER + 1);
        let p0 = s0 + u(1_333_003_999);
        let mut limiter = RebaseLimiter::new(750_000, p0, s0).expect("ok");
        let room = limiter.max_total_pooled - p0;
        assert_eq!(limiter.increase_ether(u(ETHER)), Ok(room));
        let post = limiter.current_total_pooled;
        // The old rule's bound, for the record: one unit below the rate the pool produced.
        let pre_rate = mul_div(p0, SHARE_RATE_PRECISION, s0).expect("rate");
        let old_bound = pre_rate + pre_rate * u(750_000) / u(1_000_000_000);
        assert_eq!(mul_div(post, SHARE_RATE_PRECISION, s0), Ok(old_bound + u(1)));
        assert_eq!(check_positive_rebase(&limiter, post, s0, U256::ZERO), Ok(()));

        // Burn-only: ether is taken out (a loss), and shares pending burn go as far as the cap.
        let mut burning = RebaseLimiter::new(750_000, p0, s0).expect("ok");
        burning.decrease_ether(u(ETHER / 1_000)).expect("enough");
        let burnt = burning.shares_to_burn_limit().expect("ok");
        let (pooled, shares) = (burning.current_total_pooled, s0 - burnt);
        assert_eq!(check_positive_rebase(&burning, pooled, shares, U256::ZERO), Ok(()));
        // And not one share more.
        assert!(check_positive_rebase(&burning, pooled, shares - u(1), U256::ZERO).is_err());
    }

    #[test]
    fn the_withdrawal_vault_offsets_losses_but_never_counts_as_consensus_layer_growth() {
        let principal = u(1_000 * ETHER);
        let day: u64 = 86_400;
        let allowance = u(1_000 * ETHER) * u(1_000 * 86_400) / u(10_000 * 365 * 86_400);
        // A donation of 100 days' allowance to the vault, the consensus layer unchanged:
        // accepted (it used to fail the increase limit and stop every report).
        let donation = allowance * u(100);
        assert_eq!(check_cl_balance(principal, principal, donation, 1_000, 500, day), Ok(()));
        // The consensus layer's own growth is still limited, whatever the vault holds.
        assert_eq!(
            check_cl_balance(principal, principal + allowance + u(1), U256::ZERO, 1_000, 500, day),
            Err(Breach::ClBalanceIncrease { increase: allowance + u(1), max: allowance })
        );
        // Withdrawals are no loss: 100 ether swept to the vault, 950 left on the beacon chain.
        assert_eq!(
            check_cl_balance(principal, u(900 * ETHER), u(100 * ETHER), 1_000, 500, day),
            Ok(())
        );
        assert_eq!(
            check_cl_balance(principal, u(900 * ETHER), u(49 * ETHER), 1_000, 500, day),
            Err(Breach::ClBalanceDecrease { decrease: u(51 * ETHER), max: u(50 * ETHER) })
        );
    }

    #[test]
    fn share_rate_and_rebase_known_answers() {
        let rate = SHARE_RATE_PRECISION;
        let half_percent = rate / u(200);
        assert_eq!(check_share_rate(rate + half_percent, rate, 50, false), Ok(()));
        assert_eq!(check_share_rate(rate - half_percent, rate, 50, false), Ok(()));
        assert!(check_share_rate(rate - half_percent - u(1), rate, 50, false).is_err());
        assert_eq!(check_share_rate(U256::ZERO, rate, 50, true), Ok(()));
        assert!(check_share_rate(rate + half_percent + u(1), rate, 50, true).is_err());
        assert_eq!(rate_before_finalization(u(90), u(90), u(10), u(10)), Ok(SHARE_RATE_PRECISION));
        assert_eq!(
            rate_before_finalization(U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO),
            Err(MathError::DivisionByZero)
        );
    }

    fn bp() -> impl Strategy<Value = u16> {
        prop_oneof![Just(0u16), Just(10_000u16), 0u16..=10_000]
    }

    proptest! {
        /// The annual increase limit accepts exactly up to its bound, and the bound is the
        /// pro-rated yearly rate rounded down.
        #[test]
        fn cl_increase_rejects_just_beyond_and_accepts_at_the_boundary(
            principal in amount(), annual in bp(), elapsed in 0u64..=10 * SECONDS_PER_YEAR,
        ) {
            let base = if principal.is_zero() { DEPOSIT_SIZE } else { principal };
            let exact = wide(base) * U512::from(annual) * U512::from(elapsed);
            let scale = U512::from(10_000u64) * U512::from(SECONDS_PER_YEAR);
            let max = U256::from(exact / scale);
            let at = principal + max;
            prop_assert_eq!(check_cl_balance(principal, at, U256::ZERO, annual, 0, elapsed), Ok(()));
            prop_assert_eq!(
                check_cl_balance(principal, at + u(1), U256::ZERO, annual, 0, elapsed),
                Err(Breach::ClBalanceIncrease { increase: max + u(1), max })
            );
        }

        /// More ETH in the withdrawal vault never turns an accepted report into a refused one
        /// (so no donation can stop reports), and never lets the consensus layer's own
        /// growth exceed its limit.
        #[test]
        fn vault_ether_never_makes_a_report_fail(
            principal in amount(), cl in amount(), vault in amount(), extra in amount(),
            annual in bp(), decrease in bp(), elapsed in 0u64..=SECONDS_PER_YEAR,
        ) {
            let before = check_cl_balance(principal, cl, vault, annual, decrease, elapsed);
            if before.is_ok() {
                if let Some(more) = vault.checked_add(extra) {
                    let after = check_cl_balance(principal, cl, more, annual, decrease, elapsed);
                    prop_assert_eq!(after, Ok(()));
                }
            }
            let alone = check_cl_balance(principal, cl, U256::ZERO, annual, 0, elapsed);
            if let Err(Breach::ClBalanceIncrease { .. }) = alone {
                let with_vault = check_cl_balance(principal, cl, vault, annual, decrease, elapsed);
                let still_refused = matches!(with_vault, Err(Breach::ClBalanceIncrease { .. }));
                prop_assert!(still_refused, "the vault let growth through: {:?}", with_vault);
            }
        }

        /// The one-off decrease limit accepts exactly up to its bound.
        #[test]
        fn cl_decrease_rejects_just_beyond_and_accepts_at_the_boundary(
            principal in amount(), limit in bp(),
        ) {
            let max = U256::from(wide(principal) * U512::from(limit) / U512::from(10_000u64));
            prop_assert_eq!(check_cl_balance(principal, principal - max, U256::ZERO, 0, limit, 1), Ok(()));
            if max < principal {
                prop_assert_eq!(
                    check_cl_balance(principal, principal - max - u(1), U256::ZERO, 0, limit, 1),
                    Err(Breach::ClBalanceDecrease { decrease: max + u(1), max })
                );
            }
        }

        /// The appeared-validators limit accepts exactly `per_day * elapsed / day`.
        #[test]
        fn appeared_validators_reject_just_beyond_and_accept_at_the_boundary(
            per_day in any::<u32>(), elapsed in 0u64..=100 * SECONDS_PER_DAY,
        ) {
            let max = u64::try_from(u128::from(per_day) * u128::from(elapsed) / 86_400)
                .expect("fits");
            let per_day = u64::from(per_day);
            prop_assert_eq!(check_appeared_validators(max, per_day, elapsed), Ok(()));
            prop_assert_eq!(
                check_appeared_validators(max + 1, per_day, elapsed),
                Err(Breach::AppearedValidators { appeared: max + 1, max })
            );
        }

        /// The share-rate deviation limit is exact on both sides (one side in bunker mode).
        #[test]
        fn share_rate_rejects_just_beyond_and_accepts_at_the_boundary(
            actual in amount(), limit in bp(),
        ) {
            let max = U256::from(wide(actual) * U512::from(limit) / U512::from(10_000u64));
            for bunker in [false, true] {
                prop_assert_eq!(check_share_rate(actual + max, actual, limit, bunker), Ok(()));
                prop_assert!(check_share_rate(actual + max + u(1), actual, limit, bunker).is_err());
            }
            prop_assert_eq!(check_share_rate(actual - max, actual, limit, false), Ok(()));
            if max < actual {
                prop_assert!(check_share_rate(actual - max - u(1), actual, limit, false).is_err());
                prop_assert_eq!(check_share_rate(actual - max - u(1), actual, limit, true), Ok(()));
            }
        }

        /// The positive-rebase rule is exact at its boundary: the most ether `post_shares` may
        /// carry is `floor(max_total_pooled * post_shares / pre_shares)`, without consensus-layer
        /// growth, or with it `pre_pooled + cl_increase` in place of the ceiling when larger.
        #[test]
        fn positive_rebase_rejects_just_beyond_and_accepts_at_the_boundary(
            pre in nonzero_amount(), pre_shares in nonzero_amount(),
            post_shares in nonzero_amount(), limit in 1u64..=LIMITER_PRECISION,
            cl_increase in amount(),
        ) {
            let limiter = RebaseLimiter::new(limit, pre, pre_shares)?;
            let ceiling = limiter.max_total_pooled.max(pre + cl_increase);
            let most = wide(ceiling) * wide(post_shares) / wide(pre_shares);
            prop_assume!(most < wide(U256::MAX));
            let most = U256::from(most);
            let at = check_positive_rebase(&limiter, most, post_shares, cl_increase);
            prop_assert_eq!(at, Ok(()));
            let over = check_positive_rebase(&limiter, most + u(1), post_shares, cl_increase);
            let refused = matches!(
                over,
                Err(Breach::PositiveRebase { post_rate, max_rate }) if post_rate > max_rate
            );
            prop_assert!(refused, "{:?}", over);
        }

        /// Frames tile time: every timestamp after the initial epoch lies in a frame whose
        /// reference slot precedes it and whose deadline is the next frame's reference slot.
        #[test]
        fn frames_tile_time(
            genesis in 0u64..2_000_000_000, sps in 1u64..30, spe in 1u64..64,
            initial in 1u64..1_000, epf in 1u64..500, offset in 0u64..100_000_000,
        ) {
            let chain = ChainConfig { genesis_time: genesis, seconds_per_slot: sps, slots_per_epoch: spe };
            let frames = FrameConfig { initial_epoch: initial, epochs_per_frame: epf };
            let t = genesis + initial * spe * sps + offset;
            let frame = chain.frame_at(&frames, t).expect("after the initial epoch");
            let slot = chain.slot_at(t).expect("after genesis");
            prop_assert!(frame.ref_slot < slot && slot <= frame.deadline_slot);
            prop_assert_eq!(frame.deadline_slot - frame.ref_slot, epf * spe);
        }
    }

    /// Which kind of report the pool applies in
    /// [`the_oracle_accepts_whatever_the_pools_limiter_produces`].
    #[derive(Clone, Copy, Debug)]
    enum Kind {
        /// Rewards and no fee: every wei of rewards raises the rate.
        NoFee,
        /// Shares pending burn from earlier reports and nothing finalised: the oracle sees the
        /// burn itself.
        BurnOnly,
        /// A fee, and withdrawal finalisation (whose ether and shares the oracle adds back).
        FeeAndFinalization,
    }

    /// A pool state and report: pre-report totals, the cap, the consensus-layer principal and
    /// balance, the vaults, what finalisation locks and burns, shares pending burn, the fee.
    #[derive(Clone, Debug)]
    struct Case {
        kind: Kind,
        pre_pooled: U256,
        pre_shares: U256,
        limit: u64,
        principal: U256,
        cl_balance: U256,
        vaults: (U256, U256),
        locked: U256,
        to_burn: U256,
        pending: U256,
        fee_bp: u16,
    }

    /// Amounts up to 2^100 (far beyond all the ether there is), small ones often, so that
    /// vault balances often exceed the room under the ceiling and the pool fills it exactly.
    fn small() -> impl Strategy<Value = U256> {
        prop_oneof![
            1 => (0u128..=1_000).prop_map(U256::from),
            1 => (0u128..=(1 << 64)).prop_map(U256::from),
            2 => (0u128..=(1 << 100)).prop_map(U256::from),
        ]
    }

    fn case() -> impl Strategy<Value = Case> {
        let kind =
            prop_oneof![Just(Kind::NoFee), Just(Kind::BurnOnly), Just(Kind::FeeAndFinalization)];
        let limit = prop_oneof![
            3 => Just(750_000u64),
            2 => 1u64..=10_000_000,
            1 => 1u64..=LIMITER_PRECISION,
        ];
        // Totals: any rate, or as a real pool's, a little above one ether per share.
        let near_one = ((1u128 << 60)..(1u128 << 90), 0u128..(1u128 << 40))
            .prop_map(|(s, d)| (u(s + d), u(s)));
        let totals = prop_oneof![2 => (small(), small()), 2 => near_one];
        (
            kind,
            totals,
            limit,
            small(),
            small(),
            (small(), small()),
            small(),
            small(),
            small(),
            0u16..=10_000,
            any::<bool>(),
        )
            .prop_map(
                |(
                    kind,
                    (p, s),
                    limit,
                    principal,
                    cl_delta,
                    vaults,
                    locked,
                    burn,
                    pending,
                    fee_bp,
                    cl_loss,
                )| {
                    let pre_pooled = if p.is_zero() { u(1) } else { p };
                    let pre_shares = if s.is_zero() { u(1) } else { s };
                    // The principal is part of the pooled ether; a loss at most all of it.
                    let principal = principal % (pre_pooled + u(1));
                    let cl_balance = if cl_loss {
                        principal - cl_delta % (principal + u(1))
                    } else {
                        principal + cl_delta
                    };
                    let (locked, to_burn, pending, fee_bp) = match kind {
                        Kind::NoFee => (U256::ZERO, U256::ZERO, U256::ZERO, 0),
                        Kind::BurnOnly => (U256::ZERO, U256::ZERO, pending, 0),
                        Kind::FeeAndFinalization => (locked, burn, pending, fee_bp),
                    };
                    Case {
                        kind,
                        pre_pooled,
                        pre_shares,
                        limit,
                        principal,
                        cl_balance,
                        vaults,
                        locked,
                        to_burn,
                        pending,
                        fee_bp,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_096))]

        /// Issue 19, item 3: whatever the pool's limiter produces, the oracle accepts. The pool
        /// is modelled step by step as `contracts/pool/src/accounting.rs` applies a report; the
        /// oracle's side as `contracts/oracle/src/report.rs` checks it (the same limiter, from
        /// the same cap, and the totals before finalisation).
        #[test]
        fn the_oracle_accepts_whatever_the_pools_limiter_produces(c in case()) {
            // The pool.
            let mut limiter = RebaseLimiter::new(c.limit, c.pre_pooled, c.pre_shares)?;
            let cl_increase = c.cl_balance.saturating_sub(c.principal);
            if c.cl_balance < c.principal {
                limiter.decrease_ether(c.principal - c.cl_balance)?;
            } else {
                limiter.increase_ether(cl_increase)?;
            }
            let withdrawals = limiter.increase_ether(c.vaults.0)?;
            let el_rewards = limiter.increase_ether(c.vaults.1)?;
            // Finalisation locks at most what the pool holds.
            let locked = c.locked % (limiter.current_total_pooled + u(1));
            limiter.decrease_ether(locked)?;
            let requested = c.pending + c.to_burn;
            let burn_now = requested.min(limiter.shares_to_burn_limit()?);
            // Shares pending burn are part of the total; more cannot be burnt than exist.
            prop_assume!(burn_now <= c.pre_shares);
            let gross = c.cl_balance + withdrawals + el_rewards;
            let rewards = gross.saturating_sub(c.principal);
            let fee_shares = fee::fee_shares(rewards, c.fee_bp, c.pre_shares, c.pre_pooled)?;
            let post_pooled =
                c.pre_pooled + c.cl_balance + withdrawals + el_rewards - c.principal - locked;
            let post_shares = c.pre_shares - burn_now + fee_shares;

            // The oracle: finalised ether and the shares burnt in this report are added back
            // when the report finalises; a burn-only report's burn is seen as it is.
            let finalizing = matches!(c.kind, Kind::FeeAndFinalization);
            let burnt = if finalizing { burn_now } else { U256::ZERO };
            let (ether, shares) =
                totals_before_finalization(post_pooled, post_shares, locked, burnt)?;
            let oracle = RebaseLimiter::new(c.limit, c.pre_pooled, c.pre_shares)?;
            prop_assert_eq!(
                check_positive_rebase(&oracle, ether, shares, cl_increase),
                Ok(()),
                "{:?}: ether {}, shares {}", c.kind, ether, shares
            );
        }
    }
}
