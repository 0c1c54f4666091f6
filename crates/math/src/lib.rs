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
/// This is the only division the contracts need: Knuth's long division (TAOCP 4.3.1,
/// Algorithm D) in 32-bit digits, so every step is one native 64-bit wasm operation and the
/// loop runs once per quotient digit (at most 8, usually 2 or 3) instead of once per bit.
/// ruint's general `div_rem` would do the same work but costs about 7.5 KB of wasm per width
/// against a 24 KB compressed limit per contract; this is a few hundred bytes. Its answers are
/// checked against exact 512-bit division over random and adversarial digits in the tests
/// below (`long_division_matches_exact_division`).
fn div_rem_wide(high: U256, low: U256, denominator: U256) -> Result<(U256, U256), MathError> {
    if high >= denominator {
        return Err(MathError::Overflow);
    }
    // Digits, least significant first; `u` has room for the normalising shift's carry.
    let mut u = [0u32; 17];
    let mut v = [0u32; 8];
    for (i, limb) in low.as_limbs().iter().chain(high.as_limbs()).enumerate() {
        u[2 * i] = *limb as u32;
        u[2 * i + 1] = (*limb >> 32) as u32;
    }
    for (i, limb) in denominator.as_limbs().iter().enumerate() {
        v[2 * i] = *limb as u32;
        v[2 * i + 1] = (*limb >> 32) as u32;
    }
    // Significant digits: n ≥ 1 (the denominator is not zero).
    let n = v.iter().rposition(|d| *d != 0).map_or(1, |p| p + 1);
    let m = u[..16].iter().rposition(|d| *d != 0).map_or(0, |p| p + 1);
    let mut q = [0u32; 16];
    if m < n {
        // The dividend is below the denominator (then `high` is zero).
        return Ok((U256::ZERO, low));
    }
    // Normalise: the divisor's top digit gets its top bit set, so each estimated quotient
    // digit is at most two too large.
    let s = v[n - 1].leading_zeros();
    if s > 0 {
        for i in (1..n).rev() {
            v[i] = (v[i] << s) | (v[i - 1] >> (32 - s));
        }
        v[0] <<= s;
        u[m] = u[m - 1] >> (32 - s);
        for i in (1..m).rev() {
            u[i] = (u[i] << s) | (u[i - 1] >> (32 - s));
        }
        u[0] <<= s;
    }
    const BASE: u64 = 1 << 32;
    // With a one-digit divisor the estimate from two digits is exact (`next` = 0 never
    // corrects it): short division by the same loop.
    let top = u64::from(v[n - 1]);
    let next = if n > 1 { u64::from(v[n - 2]) } else { 0 };
    for j in (0..=m - n).rev() {
        let num = (u64::from(u[j + n]) << 32) | u64::from(u[j + n - 1]);
        let mut qhat = num / top;
        let mut rhat = num % top;
        let below = if n > 1 { u64::from(u[j + n - 2]) } else { 0 };
        // At most two corrections; `qhat < BASE` is checked first, so the product fits.
        while qhat >= BASE || qhat * next > ((rhat << 32) | below) {
            qhat -= 1;
            rhat += top;
            if rhat >= BASE {
                break;
            }
        }
        // u[j..=j+n] -= qhat · v, with a signed borrow.
        let mut borrow: i64 = 0;
        for i in 0..n {
            let p = qhat * u64::from(v[i]);
            let t = i64::from(u[i + j]) - borrow - (p & 0xFFFF_FFFF) as i64;
            u[i + j] = t as u32;
            borrow = (p >> 32) as i64 - (t >> 32);
        }
        let t = i64::from(u[j + n]) - borrow;
        u[j + n] = t as u32;
        q[j] = qhat as u32;
        if t < 0 {
            // qhat was one too large (rare: about 2/BASE of digits): add v back.
            q[j] = q[j].wrapping_sub(1);
            let mut carry = 0u64;
            for i in 0..n {
                let t = u64::from(u[i + j]) + u64::from(v[i]) + carry;
                u[i + j] = t as u32;
                carry = t >> 32;
            }
            u[j + n] = u[j + n].wrapping_add(carry as u32);
        }
    }
    // The remainder is u[..n], shifted back.
    let mut r = [0u32; 16];
    for i in 0..n {
        r[i] = if s == 0 { u[i] } else { (u[i] >> s) | (u[i + 1] << (32 - s)) };
    }
    Ok((from_digits(&q)?, from_digits(&r)?))
}

/// The `U256` of 32-bit digits (least significant first); [`MathError::Overflow`] if a digit
/// beyond the eighth is set (never, for a quotient of `high < denominator`).
fn from_digits(d: &[u32; 16]) -> Result<U256, MathError> {
    if d[8..].iter().any(|x| *x != 0) {
        return Err(MathError::Overflow);
    }
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from(d[2 * i]) | (u64::from(d[2 * i + 1]) << 32);
    }
    Ok(U256::from_limbs(limbs))
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

    /// 256-bit values whose 32-bit digits are drawn from the edges where long division's
    /// corrections happen (0, 1, 2^31, 2^32 − 1) and at random, with random lengths.
    fn digits_value() -> impl Strategy<Value = U256> {
        let digit = prop_oneof![
            Just(0u32),
            Just(1u32),
            Just(0x8000_0000u32),
            Just(0x7FFF_FFFFu32),
            Just(u32::MAX),
            Just(u32::MAX - 1),
            any::<u32>(),
        ];
        (proptest::collection::vec(digit, 8), 1usize..=8).prop_map(|(d, len)| {
            let mut limbs = [0u64; 4];
            for (i, x) in d.iter().take(len).enumerate() {
                limbs[i / 2] |= u64::from(*x) << (32 * (i % 2));
            }
            U256::from_limbs(limbs)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Long division against exact 512-bit division: same quotient and remainder, or
        /// overflow exactly when the quotient needs more than 256 bits.
        #[test]
        fn long_division_matches_exact_division(
            a in prop_oneof![digits_value(), any::<[u64; 4]>().prop_map(U256::from_limbs)],
            b in prop_oneof![digits_value(), any::<[u64; 4]>().prop_map(U256::from_limbs)],
            d in prop_oneof![digits_value(), any::<[u64; 4]>().prop_map(U256::from_limbs)],
        ) {
            prop_assume!(!d.is_zero());
            let exact = wide(a) * wide(b);
            let (q, r) = exact.div_rem(wide(d));
            let got = mul_div(a, b, d);
            if q > wide(U256::MAX) {
                prop_assert_eq!(got, Err(MathError::Overflow));
            } else {
                let q = U256::from_limbs_slice(&q.as_limbs()[..4]);
                prop_assert_eq!(got, Ok(q));
                let up = if r.is_zero() { Ok(q) } else { q.checked_add(U256::from(1u8)).ok_or(MathError::Overflow) };
                prop_assert_eq!(mul_div_up(a, b, d), up);
            }
        }
    }

    #[test]
    fn long_division_edge_cases() {
        // Divisors whose top digit is just above a power of two and dividends of near-equal
        // top digits: where the estimated quotient digit needs its corrections (the property
        // test above reaches the add-back step about once per thousand cases).
        let cases = [
            (
                U256::from(0x8000_0000_0000_0000_0000_0000_0000_0000u128) << 64usize,
                U256::from(0x8000_0000_0000_0001u128) << 64usize,
                (U256::from(0x8000_0000_0000_0000u128) << 64usize) + U256::from(1u8),
            ),
            (
                U256::from(0x0000_7fff_8000_0000_0000_0000_0000_0000u128) << 128usize,
                U256::from(3u8),
                (U256::from(0x8000_0000_0000_0001u128) << 128usize) + U256::from(0xffff_ffffu64),
            ),
        ];
        for (a, b, d) in cases {
            let exact = wide(a) * wide(b);
            let (q, _) = exact.div_rem(wide(d));
            assert_eq!(mul_div(a, b, d).map(wide), Ok(q), "{a} * {b} / {d}");
        }
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
