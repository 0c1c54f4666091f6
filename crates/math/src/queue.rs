//! Withdrawal-queue rate arithmetic, in [`SHARE_RATE_PRECISION`] (1e27) fixed point.
//!
//! A request locks the ether value of its shares at request time (its *nominal* ether). At
//! finalization the oracle supplies a maximum share rate, the rate of the report; a batch
//! whose requests were made at a higher rate (before losses) is paid at that maximum
//! instead, so withdrawers share losses that happened while they waited but never gain
//! rewards that arrived after they left.

use crate::{mul_div, mul_div_up, MathError, SHARE_RATE_PRECISION, U256};

/// Ether per share of `ether` backed by `shares`, times 1e27, rounded down:
/// `floor(ether * 1e27 / shares)`.
///
/// Rounding down makes a rate used as a payout cap err towards paying less.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `shares` is zero; [`MathError::Overflow`] if the rate does
/// not fit in 256 bits.
pub fn share_rate(ether: U256, shares: U256) -> Result<U256, MathError> {
    mul_div(ether, SHARE_RATE_PRECISION, shares)
}

/// Ether owed for a batch with `nominal_ether` locked for `shares`, finalized at
/// `max_share_rate`: `min(nominal_ether, floor(shares * max_share_rate / 1e27))`.
///
/// Lido compares the batch's floored share rate with the maximum and pays the nominal amount
/// when they tie, which can pay up to a wei more than the batch is worth at the maximum rate.
/// Taking the minimum of the two amounts directly never pays above either bound.
///
/// # Errors
///
/// None in practice: a value at `max_share_rate` too large for 256 bits is above any
/// `nominal_ether`, so the nominal amount is returned. The `Result` keeps the signature
/// uniform with the other conversions.
pub fn eth_to_finalize(
    nominal_ether: U256,
    shares: U256,
    max_share_rate: U256,
) -> Result<U256, MathError> {
    match mul_div(shares, max_share_rate, SHARE_RATE_PRECISION) {
        Ok(at_max_rate) => Ok(nominal_ether.min(at_max_rate)),
        Err(MathError::Overflow) => Ok(nominal_ether),
        Err(other) => Err(other),
    }
}

/// The fewest shares that [`eth_to_finalize`] pays `amount` for at `share_rate`:
/// `ceil(amount * 1e27 / share_rate)`.
///
/// A withdrawal request records these shares, priced at the rate an oracle report at an
/// unchanged pool would finalize with (`share_rate` of the pool's totals, rounded down), so
/// its ticket pays exactly its amount unless the rate falls. Rounding up the division puts
/// the rounding on the requester (less than one share); dividing by the rounded-down rate
/// rather than the exact one adds at most `amount / share_rate` shares, under one for any
/// amount below 1e27 wei.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `share_rate` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn shares_to_pay(amount: U256, share_rate: U256) -> Result<U256, MathError> {
    mul_div_up(amount, SHARE_RATE_PRECISION, share_rate)
}

/// Ether that `shares` pay at `share_rate`: `floor(shares * share_rate / 1e27)`, the most
/// [`eth_to_finalize`] can pay for them.
///
/// # Errors
///
/// [`MathError::Overflow`] if the value does not fit in 256 bits.
pub fn ether_at_rate(shares: U256, share_rate: U256) -> Result<U256, MathError> {
    mul_div(shares, share_rate, SHARE_RATE_PRECISION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{amount, nonzero_amount, u, wide};
    use proptest::prelude::*;

    const ETH: u128 = 1_000_000_000_000_000_000;
    const E27: u128 = 1_000_000_000_000_000_000_000_000_000;

    #[test]
    fn known_answers() {
        assert_eq!(share_rate(u(ETH), u(ETH)), Ok(u(E27)));
        assert_eq!(share_rate(u(11 * ETH), u(10 * ETH)), Ok(u(E27 / 10 * 11)));
        assert_eq!(share_rate(u(1), u(3)), Ok(u(333_333_333_333_333_333_333_333_333)));
        assert_eq!(share_rate(U256::ZERO, u(3)), Ok(U256::ZERO));
        assert_eq!(share_rate(u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(share_rate(U256::MAX, u(1)), Err(MathError::Overflow));

        // No losses: the batch gets its nominal amount.
        assert_eq!(eth_to_finalize(u(11 * ETH), u(10 * ETH), u(E27 / 10 * 12)), Ok(u(11 * ETH)));
        assert_eq!(eth_to_finalize(u(11 * ETH), u(10 * ETH), u(E27 / 10 * 11)), Ok(u(11 * ETH)));
        // Rate dropped from 1.1 to 1.05 while waiting: paid at 1.05.
        assert_eq!(
            eth_to_finalize(u(11 * ETH), u(10 * ETH), u(E27 / 100 * 105)),
            Ok(u(10_500_000_000_000_000_000))
        );
        // Tie on the floored rate: Lido pays the nominal 1 wei, the batch is worth 0.999.. wei.
        let rate = share_rate(u(1), u(3)).expect("ok");
        assert_eq!(eth_to_finalize(u(1), u(3), rate), Ok(U256::ZERO));
        assert_eq!(eth_to_finalize(u(7), U256::MAX, U256::MAX), Ok(u(7)));
        assert_eq!(eth_to_finalize(u(7), U256::ZERO, u(E27)), Ok(U256::ZERO));
    }

    proptest! {
        #[test]
        fn share_rate_rounds_down_and_is_monotonic(
            e1 in amount(), e2 in amount(), s in nonzero_amount()
        ) {
            let rate = share_rate(e1, s)?;
            let exact = wide(e1) * wide(SHARE_RATE_PRECISION);
            prop_assert!(wide(rate) * wide(s) <= exact);
            prop_assert!((wide(rate) + wide(u(1))) * wide(s) > exact);
            let (lo, hi) = if e1 <= e2 { (e1, e2) } else { (e2, e1) };
            prop_assert!(share_rate(lo, s)? <= share_rate(hi, s)?);
        }

        #[test]
        fn finalization_never_pays_above_either_bound(
            nominal in amount(), shares in amount(), rate in amount(), rate2 in amount()
        ) {
            let paid = eth_to_finalize(nominal, shares, rate)?;
            prop_assert!(paid <= nominal);
            prop_assert!(wide(paid) * wide(SHARE_RATE_PRECISION) <= wide(shares) * wide(rate));
            // It is exactly the smaller bound, not less.
            let at_rate = wide(shares) * wide(rate) / wide(SHARE_RATE_PRECISION);
            prop_assert!(wide(paid) == wide(nominal) || wide(paid) == at_rate);
            // A higher finalization rate never pays less.
            let (lo, hi) = if rate <= rate2 { (rate, rate2) } else { (rate2, rate) };
            let (paid_lo, paid_hi) =
                (eth_to_finalize(nominal, shares, lo)?, eth_to_finalize(nominal, shares, hi)?);
            prop_assert!(paid_lo <= paid_hi);
        }

        #[test]
        fn shares_to_pay_are_the_fewest_that_pay_the_amount(
            amount in amount(), shares in nonzero_amount(), pooled in nonzero_amount()
        ) {
            // The rate an oracle report at an unchanged pool finalizes with.
            let rate = share_rate(pooled, shares)?;
            prop_assume!(!rate.is_zero());
            let needed = shares_to_pay(amount, rate)?;
            prop_assert_eq!(eth_to_finalize(amount, needed, rate)?, amount);
            prop_assert!(ether_at_rate(needed, rate)? >= amount);
            if !needed.is_zero() {
                prop_assert!(ether_at_rate(needed - u(1), rate)? < amount);
            }
            // Never fewer shares than the amount buys at the exact rate (the pool's own
            // no-shortfall rounding), so the requester bears the rounding.
            prop_assert!(wide(needed) * wide(pooled) >= wide(amount) * wide(shares));
            // And what some shares pay at a rate is what `eth_to_finalize` caps them at.
            if let Ok(value) = ether_at_rate(shares, rate) {
                prop_assert_eq!(eth_to_finalize(U256::MAX, shares, rate)?, value);
            }
        }

        #[test]
        fn finalizing_at_the_request_rate_pays_the_nominal_less_rounding(
            nominal in amount(), shares in nonzero_amount()
        ) {
            // Rates at request and finalization agree: at most one wei of rounding is lost,
            // plus the 1e-27 truncation of the rate times the share count.
            let rate = share_rate(nominal, shares)?;
            let paid = eth_to_finalize(nominal, shares, rate)?;
            prop_assert!(paid <= nominal);
            let slack = wide(shares) / wide(SHARE_RATE_PRECISION) + wide(u(1));
            prop_assert!(wide(nominal) - wide(paid) <= slack);
        }
    }
}
