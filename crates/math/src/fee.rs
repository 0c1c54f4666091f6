//! The protocol fee on staking rewards, taken by minting new shares.
//!
//! Rewards are added to the pool first, which raises every holder's balance; the fee is then
//! taken by minting shares to the fee recipients, which dilutes holders back by exactly the
//! fee. Minting instead of transferring keeps the rebase a single O(1) storage update.

use crate::{mul_div, MathError, BASIS_POINTS, U256};

/// Shares to mint so the fee recipients end up holding `fee_bp` of `rewards`.
///
/// With `R = rewards`, `F = fee_bp`, `P0 = total_pooled_before` (before the rewards are added)
/// and `S0 = total_shares_before` (before minting), the minted `m` must satisfy
/// `m * (P0 + R) / (S0 + m) = R * F / 10_000`, which solves to
///
/// ```text
/// m = R * F * S0 / ((P0 + R) * 10_000 - R * F)
/// ```
///
/// rounded down, so rounding dust stays with the holders and the recipients never get more
/// than `fee_bp` of the rewards. The denominator is computed as `P0 * 10_000 + R * (10_000 -
/// F)`, the same value without a subtraction that could underflow, and the numerator with a
/// 512-bit intermediate, because `R * F * S0` exceeds 256 bits for 128-bit totals.
///
/// Returns zero when `rewards` or `fee_bp` is zero (nothing to share, or no fee).
///
/// # Errors
///
/// [`MathError::FeeTooHigh`] if `fee_bp` is above [`BASIS_POINTS`];
/// [`MathError::DivisionByZero`] if the pool was empty and the fee is 100% (the formula has no
/// value there); [`MathError::Overflow`] if an intermediate or the result does not fit in 256
/// bits.
pub fn fee_shares(
    rewards: U256,
    fee_bp: u16,
    total_shares_before: U256,
    total_pooled_before: U256,
) -> Result<U256, MathError> {
    if fee_bp > BASIS_POINTS {
        return Err(MathError::FeeTooHigh { fee_bp: u32::from(fee_bp) });
    }
    if rewards.is_zero() || fee_bp == 0 {
        return Ok(U256::ZERO);
    }
    let fee = U256::from(fee_bp);
    let full = U256::from(BASIS_POINTS);
    let holders_part = full.checked_sub(fee).ok_or(MathError::Underflow)?;
    let fee_rewards = rewards.checked_mul(fee).ok_or(MathError::Overflow)?;
    let denominator = total_pooled_before
        .checked_mul(full)
        .and_then(|pooled| {
            rewards.checked_mul(holders_part).and_then(|kept| pooled.checked_add(kept))
        })
        .ok_or(MathError::Overflow)?;
    mul_div(fee_rewards, total_shares_before, denominator)
}

/// Splits minted fee shares between the treasury and the node-operator module in proportion
/// to their parts of the fee: the module gets `floor(fee_shares * module_bp / fee_bp)` with
/// `fee_bp = treasury_bp + module_bp`, and the treasury gets the rest.
///
/// Returns `(treasury, module)`; the two always add up to `fee_shares`, so no share is lost or
/// created by the split. Rounding dust goes to the treasury, which belongs to the protocol,
/// rather than to the operators.
///
/// # Errors
///
/// [`MathError::FeeTooHigh`] if `treasury_bp + module_bp` is above [`BASIS_POINTS`];
/// [`MathError::DivisionByZero`] if both parts are zero while `fee_shares` is not (there is no
/// ratio to split by); [`MathError::Overflow`] if `fee_shares * module_bp` does not fit in 256
/// bits.
pub fn split_fee_shares(
    fee_shares: U256,
    treasury_bp: u16,
    module_bp: u16,
) -> Result<(U256, U256), MathError> {
    let fee_bp = u32::from(treasury_bp) + u32::from(module_bp);
    if fee_bp > u32::from(BASIS_POINTS) {
        return Err(MathError::FeeTooHigh { fee_bp });
    }
    if fee_shares.is_zero() {
        return Ok((U256::ZERO, U256::ZERO));
    }
    let module = mul_div(fee_shares, U256::from(module_bp), U256::from(fee_bp))?;
    let treasury = fee_shares.checked_sub(module).ok_or(MathError::Underflow)?;
    Ok((treasury, module))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shares::ether_for_shares;
    use crate::test_util::{amount, nonzero_amount, u, wide};
    use proptest::prelude::*;

    const ETH: u128 = 1_000_000_000_000_000_000;

    /// Ether value of `minted` fee shares after the rewards are in and the shares are minted.
    fn fee_value(minted: U256, rewards: U256, shares: U256, pooled: U256) -> U256 {
        ether_for_shares(minted, shares + minted, pooled + rewards).expect("in range")
    }

    #[test]
    fn known_answers() {
        // A 1:1 pool of 100 ETH earns 1 ETH at a 10% fee: m = 1 * 0.1 * 100 / (101 - 0.1)
        // shares, rounded down, worth 0.1 ETH less one wei at the post-rebase rate.
        let (p, s, r) = (u(100 * ETH), u(100 * ETH), u(ETH));
        let m = fee_shares(r, 1_000, s, p).expect("in range");
        assert_eq!(m, u(99_108_027_750_247_770));
        let value = fee_value(m, r, s, p);
        assert_eq!(value, u(ETH / 10 - 1));

        assert_eq!(fee_shares(U256::ZERO, 1_000, s, p), Ok(U256::ZERO));
        assert_eq!(fee_shares(r, 0, s, p), Ok(U256::ZERO));
        assert_eq!(fee_shares(r, 1_000, U256::ZERO, p), Ok(U256::ZERO));
        // 100% fee: recipients get all the rewards, i.e. R * S0 / P0 shares.
        assert_eq!(fee_shares(u(10), 10_000, u(100), u(50)), Ok(u(20)));
        // Small numbers by hand: 7 * 500 * 13 / (29 * 10_000 - 7 * 500) = 45_500 / 286_500.
        assert_eq!(fee_shares(u(7), 500, u(13), u(22)), Ok(U256::ZERO));
        assert_eq!(fee_shares(u(700), 500, u(1300), u(2200)), Ok(u(15)));
    }

    #[test]
    fn bad_fees_are_rejected() {
        assert_eq!(
            fee_shares(u(1), 10_001, u(1), u(1)),
            Err(MathError::FeeTooHigh { fee_bp: 10_001 })
        );
        assert_eq!(fee_shares(u(1), 10_000, u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(
            split_fee_shares(u(1), 10_000, 1),
            Err(MathError::FeeTooHigh { fee_bp: 10_001 })
        );
        assert_eq!(
            split_fee_shares(u(1), u16::MAX, u16::MAX),
            Err(MathError::FeeTooHigh { fee_bp: 131_070 })
        );
        assert_eq!(split_fee_shares(u(1), 0, 0), Err(MathError::DivisionByZero));
        assert_eq!(split_fee_shares(U256::ZERO, 0, 0), Ok((U256::ZERO, U256::ZERO)));
    }

    #[test]
    fn overflow_is_reported() {
        assert_eq!(fee_shares(U256::MAX, 1, u(1), u(1)), Err(MathError::Overflow));
        assert_eq!(fee_shares(u(1), 10_000, U256::MAX, u(1)), Ok(U256::MAX));
        assert_eq!(fee_shares(u(2), 10_000, U256::MAX, u(1)), Err(MathError::Overflow));
    }

    #[test]
    fn split_known_answers() {
        // Lido mainnet: 10% fee = 5% treasury + 5% modules.
        assert_eq!(split_fee_shares(u(101), 500, 500), Ok((u(51), u(50))));
        assert_eq!(split_fee_shares(u(100), 500, 500), Ok((u(50), u(50))));
        assert_eq!(split_fee_shares(u(100), 0, 1_000), Ok((U256::ZERO, u(100))));
        assert_eq!(split_fee_shares(u(100), 1_000, 0), Ok((u(100), U256::ZERO)));
        assert_eq!(split_fee_shares(u(10), 200, 800), Ok((u(2), u(8))));
        assert_eq!(split_fee_shares(u(9), 200, 800), Ok((u(2), u(7))));
    }

    fn fee_bp() -> impl Strategy<Value = u16> {
        prop_oneof![Just(0u16), Just(10_000u16), 0u16..=10_000]
    }

    proptest! {
        #[test]
        fn fee_never_exceeds_its_share_and_misses_it_by_at_most_one_share(
            r in amount(), f in fee_bp(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            let m = fee_shares(r, f, s, p)?;
            let value = fee_value(m, r, s, p);
            let due = r * U256::from(f) / U256::from(BASIS_POINTS);
            prop_assert!(value <= due, "fee recipients got {} > {}", value, due);
            // Rounding m down costs less than one share, worth at most (P0 + R) / S0.
            let one_share = (p + r).div_ceil(s);
            prop_assert!(due - value <= one_share + u(1));
        }

        #[test]
        fn fee_is_within_a_few_wei_at_realistic_share_rates(
            pooled in (1u128 << 60)..(1u128 << 110),
            rate_permille in 500u128..=2_000,
            reward_bp in 0u128..=1_000,
            f in fee_bp(),
        ) {
            let p = u(pooled);
            let s = u(pooled / rate_permille * 1_000);
            let r = u(pooled / 10_000 * reward_bp);
            let m = fee_shares(r, f, s, p)?;
            let value = fee_value(m, r, s, p);
            let due = r * U256::from(f) / U256::from(BASIS_POINTS);
            prop_assert!(value <= due);
            prop_assert!(due - value <= u(3), "short by {}", due - value);
        }

        #[test]
        fn holders_keep_at_least_their_share_of_rewards(
            r in amount(), f in fee_bp(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            // S0 * (P0 + R) / (S0 + m) >= P0 + R * (1 - F), cross-multiplied to stay exact.
            let m = fee_shares(r, f, s, p)?;
            let full = wide(U256::from(BASIS_POINTS));
            let kept = wide(U256::from(BASIS_POINTS - f));
            let lhs = wide(s) * (wide(p) + wide(r)) * full;
            let rhs = (wide(s) + wide(m)) * (wide(p) * full + wide(r) * kept);
            prop_assert!(lhs >= rhs);
            // ... and m is the largest mint that still does: one more share breaks it.
            let rhs_next = (wide(s) + wide(m) + wide(u(1))) * (wide(p) * full + wide(r) * kept);
            prop_assert!(f == 0 || r.is_zero() || lhs < rhs_next);
        }

        #[test]
        fn fee_shares_are_monotonic(
            r1 in amount(), r2 in amount(), f1 in fee_bp(), f2 in fee_bp(),
            s in nonzero_amount(), p in nonzero_amount()
        ) {
            let (rl, rh) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
            let (fl, fh) = if f1 <= f2 { (f1, f2) } else { (f2, f1) };
            prop_assert!(fee_shares(rl, fl, s, p)? <= fee_shares(rh, fl, s, p)?);
            prop_assert!(fee_shares(rl, fl, s, p)? <= fee_shares(rl, fh, s, p)?);
        }

        #[test]
        fn split_conserves_shares_and_follows_the_ratio(
            total in amount(),
            (t, m_bp) in (0u16..=10_000).prop_flat_map(|t| (Just(t), 0u16..=10_000 - t)),
        ) {
            let result = split_fee_shares(total, t, m_bp);
            if t == 0 && m_bp == 0 && !total.is_zero() {
                prop_assert_eq!(result, Err(MathError::DivisionByZero));
                return Ok(());
            }
            let (treasury, module) = result?;
            prop_assert_eq!(wide(treasury) + wide(module), wide(total));
            let fee = wide(U256::from(t + m_bp));
            // The module's part is the floor of its exact part; the treasury's is at least its.
            if !total.is_zero() {
                prop_assert!(wide(module) * fee <= wide(total) * wide(U256::from(m_bp)));
                let module_exact = wide(total) * wide(U256::from(m_bp));
                prop_assert!((wide(module) + wide(u(1))) * fee > module_exact);
                prop_assert!(wide(treasury) * fee >= wide(total) * wide(U256::from(t)));
            }
        }

        #[test]
        fn split_values_add_up_to_no_more_than_the_fee(
            r in amount(), t in 0u16..=5_000, m_bp in 0u16..=5_000,
            s in nonzero_amount(), p in nonzero_amount()
        ) {
            let m = fee_shares(r, t + m_bp, s, p)?;
            // A zero fee mints nothing, and nothing splits without a ratio.
            let (treasury, module) = split_fee_shares(m, t, m_bp)?;
            let (ts, tp) = (s + m, p + r);
            let sum = ether_for_shares(treasury, ts, tp)? + ether_for_shares(module, ts, tp)?;
            let due = r * U256::from(t + m_bp) / U256::from(BASIS_POINTS);
            prop_assert!(sum <= due);
        }
    }
}
