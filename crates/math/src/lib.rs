//! Pure, checked `U256` arithmetic shared by the Tidepool contracts and tools.
//!
//! Every function here is total: bad input comes back as a [`MathError`], never as a panic or
//! a silently wrapped value, so a contract can map each error to a revert that explains it.
//! Nothing touches storage or the host; the contracts own state and call in with plain
//! numbers.
//!
//! Rounding always favours the protocol (the holders as a whole) over the caller in front of
//! it, following the "Accounting invariants" of the design; each function documents which way
//! it rounds and why.
//!
//! Modules:
//! - [`allocation`]: which node operators receive the next validator deposits.
//! - [`shares`]: ether ⇄ shares conversions of the rebasing token.
//! - [`fee`]: protocol fee minted as shares on rewards, and its treasury / module split.
//! - [`stake_limit`]: the regenerating per-block staking limit.
//! - [`rebase_limit`]: the cap on share-rate growth in one oracle report.
//! - [`queue`]: withdrawal-queue share rates (1e27 precision).
//! - [`rate`]: the exchange rate the rate feed publishes, one entry per report.
//! - [`oracle`]: the accounting oracle's frames and report sanity limits.

#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

pub use alloy_primitives::U256;
use alloy_primitives::U512;

pub mod allocation;
pub mod fee;
pub mod oracle;
pub mod oracle_limits;
pub mod oracle_report;
pub mod queue;
pub mod rate;
pub mod rebase_limit;
pub mod shares;
pub mod stake_limit;

/// 100% expressed in basis points (1 bp = 0.01%).
pub const BASIS_POINTS: u16 = 10_000;

/// Fixed-point base of withdrawal-queue share rates: a rate is ether per share times 1e27.
///
/// 1e27 rather than 1e18 keeps a rate exact to well below one wei per share for any realistic
/// share price, so a batch's payout is off by at most the final rounding.
pub const SHARE_RATE_PRECISION: U256 = U256::from_limbs([0x9fd0_803c_e800_0000, 0x033b_2e3c, 0, 0]);

/// Fixed-point base of the positive-rebase limit: 1e9 is 100%, so 1 unit is 1e-7 %.
pub const LIMITER_PRECISION: u64 = 1_000_000_000;

/// Why an arithmetic operation refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    /// A result, or an intermediate value the result depends on, does not fit in 256 bits.
    #[error("arithmetic overflow")]
    Overflow,
    /// A subtraction would go below zero.
    #[error("arithmetic underflow")]
    Underflow,
    /// A denominator (a total, a fee or a rate base) is zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A fee, or the sum of fee parts, is above 100%.
    #[error("fee of {fee_bp} basis points is above 100%")]
    FeeTooHigh {
        /// The offending fee in basis points (a sum of two `u16` parts may exceed `u16`).
        fee_bp: u32,
    },
    /// A stake is larger than what the stake limit allows right now.
    #[error("stake limit exceeded: requested {requested}, available {available}")]
    StakeLimitExceeded {
        /// Ether the caller tried to stake.
        requested: U256,
        /// Ether the limit allows at this block.
        available: U256,
    },
    /// A stake limit was configured with a zero maximum; "no limit" has its own state.
    #[error("max stake limit is zero")]
    ZeroMaxStakeLimit,
    /// The per-block regeneration is larger than the whole bucket.
    #[error("stake limit increase per block exceeds the max stake limit")]
    StakeLimitIncreaseTooLarge,
    /// The per-block regeneration is so small that refilling would take more than
    /// `u64::MAX` blocks.
    #[error("stake limit increase per block is too small")]
    StakeLimitIncreaseTooSmall,
    /// The positive-rebase limit is zero (no growth at all would block every reward).
    #[error("positive rebase limit is zero")]
    ZeroRebaseLimit,
    /// More ether was taken out of the rebase limiter than it holds.
    #[error("total pooled ether would become negative")]
    NegativeTotalPooledEther,
}

/// `floor(a * b / denominator)` with a 512-bit intermediate product.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `denominator` is zero, [`MathError::Overflow`] if the
/// quotient does not fit in 256 bits.
pub fn mul_div(a: U256, b: U256, denominator: U256) -> Result<U256, MathError> {
    mul_div_rounding(a, b, denominator, false)
}

/// `ceil(a * b / denominator)` with a 512-bit intermediate product.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `denominator` is zero, [`MathError::Overflow`] if the
/// quotient does not fit in 256 bits.
pub fn mul_div_up(a: U256, b: U256, denominator: U256) -> Result<U256, MathError> {
    mul_div_rounding(a, b, denominator, true)
}

fn mul_div_rounding(a: U256, b: U256, denominator: U256, up: bool) -> Result<U256, MathError> {
    if denominator.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let product: U512 = a.widening_mul(b);
    let limbs = product.as_limbs();
    let high = U256::from_limbs([limbs[4], limbs[5], limbs[6], limbs[7]]);
    let low = U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]]);
    let (quotient, remainder) = div_rem_wide(high, low, denominator)?;
    if up && !remainder.is_zero() {
        quotient.checked_add(U256::from(1u8)).ok_or(MathError::Overflow)
    } else {
        Ok(quotient)
    }
}

/// Divides the 512-bit number `high·2^256 + low` by a non-zero `denominator`.
///
/// This is the only division the contracts need, written as restoring (shift-and-subtract)
/// division on purpose: ruint's general `div_rem` is about 7.5 KB of wasm per width and the
/// contracts would carry two widths, against a 24 KB compressed limit per contract. The loop
/// runs once per significant bit of the dividend (at most 256 times, since `high <
/// denominator`). Measured on the node it costs about 10,000–13,000 gas whenever the product
/// exceeds 128 bits (1 ETH against a pool of 340 ETH, in wei, already does);
/// docs/BENCHMARKS.md explains why and proposes a mulDiv on the `math_mul_mod`/`math_div`
/// host I/Os instead.
fn div_rem_wide(high: U256, low: U256, denominator: U256) -> Result<(U256, U256), MathError> {
    if high >= denominator {
        return Err(MathError::Overflow);
    }
    if high.is_zero() {
        if let (Ok(n), Ok(d)) = (u128::try_from(low), u128::try_from(denominator)) {
            return Ok((U256::from(n / d), U256::from(n % d)));
        }
    }
    // Invariant: remainder < denominator. Starting from `high` keeps the quotient in 256 bits.
    let mut remainder = high;
    let mut quotient = U256::ZERO;
    let start = if high.is_zero() { low.bit_len() } else { 256 };
    for i in (0..start).rev() {
        let carry = remainder.bit(255);
        remainder = (remainder << 1usize) | U256::from(low.bit(i) as u8);
        quotient <<= 1usize;
        // With the carry the true value is 2^256 + remainder, which exceeds the denominator;
        // the wrapping subtraction then yields the exact, smaller, difference.
        if carry || remainder >= denominator {
            remainder = remainder.wrapping_sub(denominator);
            quotient.set_bit(0, true);
        }
    }
    Ok((quotient, remainder))
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Exact reference arithmetic for tests: 512 bits hold any product of two `U256` and any
    //! product of three values below 2^170, which covers every property range used here.

    use super::U256;
    use alloy_primitives::U512;
    use proptest::prelude::*;

    pub fn wide(x: U256) -> U512 {
        U512::from_limbs_slice(x.as_limbs())
    }

    pub fn u(x: u128) -> U256 {
        U256::from(x)
    }

    /// Amounts and totals up to `u128::MAX`, biased towards small values and the extremes so
    /// that rounding edges are hit often.
    pub fn amount() -> impl Strategy<Value = U256> {
        prop_oneof![
            2 => (0u128..=1_000).prop_map(U256::from),
            2 => (0u128..=1u128 << 80).prop_map(U256::from),
            3 => any::<u128>().prop_map(U256::from),
            1 => (u128::MAX - 1_000..=u128::MAX).prop_map(U256::from),
        ]
    }

    /// Checks that `down` and `up` are the floor and the ceiling of `a * b / d`: each on its
    /// side of the exact quotient, `down` the largest such value, and at most one apart.
    pub fn check_brackets(
        down: U256,
        up: U256,
        a: U256,
        b: U256,
        d: U256,
    ) -> Result<(), TestCaseError> {
        let exact = wide(a) * wide(b);
        prop_assert!(wide(down) * wide(d) <= exact);
        prop_assert!((wide(down) + wide(U256::from(1u8))) * wide(d) > exact);
        prop_assert!(wide(up) * wide(d) >= exact);
        prop_assert!(up == down || up == down + U256::from(1u8));
        Ok(())
    }

    /// Like [`amount`] but never zero, for totals used as denominators.
    pub fn nonzero_amount() -> impl Strategy<Value = U256> {
        amount().prop_map(|x| if x.is_zero() { U256::from(1u8) } else { x })
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{amount, check_brackets, nonzero_amount, u, wide};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn constants() {
        assert_eq!(SHARE_RATE_PRECISION, U256::from(10u8).pow(U256::from(27u8)));
        assert_eq!(BASIS_POINTS, 10_000);
        assert_eq!(LIMITER_PRECISION, 1_000_000_000);
    }

    #[test]
    fn mul_div_known_answers() {
        assert_eq!(mul_div(u(7), u(3), u(2)), Ok(u(10)));
        assert_eq!(mul_div_up(u(7), u(3), u(2)), Ok(u(11)));
        assert_eq!(mul_div_up(u(6), u(3), u(2)), Ok(u(9)));
        assert_eq!(mul_div(u(1), u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(mul_div_up(U256::ZERO, U256::ZERO, U256::ZERO), Err(MathError::DivisionByZero));
        // 512-bit intermediate: (2^256-1)^2 / (2^256-1) = 2^256-1.
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
        assert_eq!(mul_div_up(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
        assert_eq!(mul_div(U256::MAX, u(2), u(1)), Err(MathError::Overflow));
        assert_eq!(mul_div(U256::MAX, u(2), u(2)), Ok(U256::MAX));
        // Exact quotient U256::MAX with a remainder: rounding up would need 257 bits.
        assert_eq!(mul_div(U256::MAX, u(3), u(3)), Ok(U256::MAX));
        let big = U256::MAX - u(1);
        assert_eq!(mul_div(U256::MAX, big, big), Ok(U256::MAX));
        assert_eq!(mul_div_up(U256::MAX, u(2), u(2)), Ok(U256::MAX));
    }

    #[test]
    fn mul_div_up_overflows_only_on_rounding() {
        // (2^192 - 1)(2^192 + 1) / 2^128 = 2^256 - 2^-128: the floor is U256::MAX, the
        // ceiling would need 257 bits.
        let one = u(1);
        let a = (one << 192) - one;
        let b = (one << 192) + one;
        let d = one << 128;
        assert_eq!(mul_div(a, b, d), Ok(U256::MAX));
        assert_eq!(mul_div_up(a, b, d), Err(MathError::Overflow));
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX - one), Err(MathError::Overflow));
    }

    proptest! {
        #[test]
        fn mul_div_brackets_the_exact_quotient(
            a in amount(), b in amount(), d in nonzero_amount()
        ) {
            // u128 inputs always fit.
            check_brackets(mul_div(a, b, d)?, mul_div_up(a, b, d)?, a, b, d)?;
        }

        #[test]
        fn mul_div_matches_the_reference_at_every_magnitude(
            a in any::<[u64; 4]>(), b in any::<[u64; 4]>(), d in any::<[u64; 4]>(),
            sa in 0usize..256, sb in 0usize..256, sd in 0usize..256,
        ) {
            // Shifting random values right spreads the bit lengths of the operands, so the
            // native 128-bit path, the one-word long division and the overflow check all run.
            let a = U256::from_limbs(a) >> sa;
            let b = U256::from_limbs(b) >> sb;
            let d = U256::from_limbs(d) >> sd;
            prop_assume!(!d.is_zero());
            let (q, r) = (wide(a) * wide(b)).div_rem(wide(d));
            match mul_div(a, b, d) {
                Ok(x) => prop_assert_eq!(wide(x), q),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(q > wide(U256::MAX));
                }
            }
            if let Ok(x) = mul_div_up(a, b, d) {
                let ceiling = if r.is_zero() { q } else { q + wide(U256::from(1u8)) };
                prop_assert_eq!(wide(x), ceiling);
            }
        }

        #[test]
        fn mul_div_matches_an_exact_reference_over_all_of_u256(
            a in any::<[u64; 4]>(), b in any::<[u64; 4]>(), d in any::<[u64; 4]>()
        ) {
            let (a, b, d) = (U256::from_limbs(a), U256::from_limbs(b), U256::from_limbs(d));
            prop_assume!(!d.is_zero());
            let exact = wide(a) * wide(b);
            let (q, r) = exact.div_rem(wide(d));
            let fits = q < wide(U256::MAX) || (q == wide(U256::MAX) && r.is_zero());
            match mul_div(a, b, d) {
                Ok(x) => prop_assert_eq!(wide(x), q),
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(q > wide(U256::MAX));
                }
            }
            match mul_div_up(a, b, d) {
                Ok(x) => {
                    let ceiling = if r.is_zero() { q } else { q + wide(U256::from(1u8)) };
                    prop_assert_eq!(wide(x), ceiling);
                }
                Err(e) => {
                    prop_assert_eq!(e, MathError::Overflow);
                    prop_assert!(!fits || !r.is_zero() && q == wide(U256::MAX));
                }
            }
        }
    }
}
