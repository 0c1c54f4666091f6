//! Conversions between ether and shares of the rebasing token.
//!
//! A holder's balance is `shares * total_pooled / total_shares`, so every conversion is one
//! multiplication and one division. The rounding of each function is part of its contract:
//! the pool picks the direction that leaves any rounding dust with the protocol.
//!
//! All functions take the totals *before* the operation they price, and return
//! [`MathError::DivisionByZero`] on an empty pool: bootstrapping (the first shares minted to
//! the dead address) is the pool's decision, not an implicit 1:1 rate here.

use crate::{mul_div, mul_div_up, MathError, U256};

/// Shares worth `ether` at the current rate, rounded down: `floor(ether * total_shares /
/// total_pooled)`.
///
/// Use when the caller *receives* shares for ether (staking), so they never get a fraction of
/// a share they did not pay for.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `total_pooled` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn shares_for_ether(
    ether: U256,
    total_shares: U256,
    total_pooled: U256,
) -> Result<U256, MathError> {
    mul_div(ether, total_shares, total_pooled)
}

/// Shares worth `ether` at the current rate, rounded up: `ceil(ether * total_shares /
/// total_pooled)`.
///
/// Use when the caller *gives up* shares for a given amount of ether (burning, paying out),
/// so the protocol is never short by the rounding.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `total_pooled` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn shares_for_ether_round_up(
    ether: U256,
    total_shares: U256,
    total_pooled: U256,
) -> Result<U256, MathError> {
    mul_div_up(ether, total_shares, total_pooled)
}

/// Ether worth `shares` at the current rate, rounded down: `floor(shares * total_pooled /
/// total_shares)`. This is the token balance of a holder of `shares`.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `total_shares` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn ether_for_shares(
    shares: U256,
    total_shares: U256,
    total_pooled: U256,
) -> Result<U256, MathError> {
    mul_div(shares, total_pooled, total_shares)
}

/// Ether worth `shares` at the current rate, rounded up: `ceil(shares * total_pooled /
/// total_shares)`.
///
/// Use to tell a caller how much ether they must bring to obtain `shares` (Lido's
/// `getPooledEthBySharesRoundUp`).
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `total_shares` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn ether_for_shares_round_up(
    shares: U256,
    total_shares: U256,
    total_pooled: U256,
) -> Result<U256, MathError> {
    mul_div_up(shares, total_pooled, total_shares)
}

/// Shares to move so that the recipient's balance rises by at least `amount`, whatever
/// shares the recipient already holds: `ceil(amount * total_shares / total_pooled)`.
///
/// This is Tidepool's no-shortfall transfer rule: a token `transfer(to, amount)` moves these
/// shares, so the recipient is credited at least `amount` even though balances are rounded
/// down. The sender bears the rounding instead: the moved shares are worth less than `amount`
/// plus one share (`ceil(total_pooled / total_shares)` wei). Whether the sender holds that
/// many shares is the caller's check.
///
/// Why the plain ceiling is enough, and the least that is: with `P = total_pooled` and
/// `S = total_shares`, write `x = r * P / S` for an existing recipient balance of `r` shares
/// and `y = s * P / S` for the shares `s` moved.
/// Floor is superadditive, `floor(x + y) >= floor(x) + floor(y)`, so the recipient's balance
/// rises by `floor(x + y) - floor(x) >= floor(y)`, and `floor(y) >= amount` exactly when
/// `s * P >= amount * S`, i.e. `s >= ceil(amount * S / P)`. Conversely a recipient with
/// `r = 0` rises by exactly `floor(y)`, so no smaller `s` works for every recipient. The
/// property tests check both directions.
///
/// # Errors
///
/// [`MathError::DivisionByZero`] if `total_pooled` is zero; [`MathError::Overflow`] if the
/// result does not fit in 256 bits.
pub fn shares_to_deliver(
    amount: U256,
    total_shares: U256,
    total_pooled: U256,
) -> Result<U256, MathError> {
    shares_for_ether_round_up(amount, total_shares, total_pooled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{amount, check_brackets, nonzero_amount, u, wide};
    use proptest::prelude::*;

    const ETH: u128 = 1_000_000_000_000_000_000;

    fn sub_floor(r: U256, s: U256, total_shares: U256, total_pooled: U256) -> U256 {
        let after = ether_for_shares(r + s, total_shares, total_pooled).expect("in range");
        let before = ether_for_shares(r, total_shares, total_pooled).expect("in range");
        after - before
    }

    #[test]
    fn known_answers() {
        // 1.1 ether per share: 10 shares back 11 ether.
        let (s, p) = (u(10 * ETH), u(11 * ETH));
        assert_eq!(shares_for_ether(u(11), s, p), Ok(u(10)));
        assert_eq!(shares_for_ether(u(10), s, p), Ok(u(9)));
        assert_eq!(shares_for_ether_round_up(u(10), s, p), Ok(u(10)));
        assert_eq!(shares_for_ether_round_up(u(11), s, p), Ok(u(10)));
        assert_eq!(ether_for_shares(u(10), s, p), Ok(u(11)));
        assert_eq!(ether_for_shares(u(9), s, p), Ok(u(9)));
        assert_eq!(ether_for_shares_round_up(u(9), s, p), Ok(u(10)));
        assert_eq!(ether_for_shares_round_up(u(10), s, p), Ok(u(11)));
        assert_eq!(shares_to_deliver(u(10), s, p), Ok(u(10)));
        assert_eq!(shares_to_deliver(u(ETH), s, p), Ok(u(909_090_909_090_909_091)));
        assert_eq!(shares_for_ether(U256::ZERO, s, p), Ok(U256::ZERO));
        assert_eq!(shares_to_deliver(U256::ZERO, s, p), Ok(U256::ZERO));
    }

    #[test]
    fn empty_pool_is_an_error_not_a_rate() {
        assert_eq!(shares_for_ether(u(1), u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(
            shares_for_ether_round_up(u(1), u(1), U256::ZERO),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(shares_to_deliver(u(1), u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(ether_for_shares(u(1), U256::ZERO, u(1)), Err(MathError::DivisionByZero));
        assert_eq!(
            ether_for_shares_round_up(u(1), U256::ZERO, u(1)),
            Err(MathError::DivisionByZero)
        );
    }

    #[test]
    fn overflow_is_reported() {
        assert_eq!(shares_for_ether(U256::MAX, U256::MAX, u(1)), Err(MathError::Overflow));
        assert_eq!(ether_for_shares(U256::MAX, u(1), U256::MAX), Err(MathError::Overflow));
    }

    #[test]
    fn plain_ceiling_delivers_when_the_recipient_already_has_dust() {
        // 3 ether per 2 shares: 1 share is worth 1.5 wei. A recipient holding 1 share shows
        // 1 wei; sending ceil(1 * 2/3) = 1 share lifts them to floor(3) = 3, i.e. +2 >= 1.
        let (s, p) = (u(2), u(3));
        let moved = shares_to_deliver(u(1), s, p).expect("in range");
        assert_eq!(moved, u(1));
        assert_eq!(sub_floor(u(1), moved, s, p), u(2));
        assert_eq!(sub_floor(U256::ZERO, moved, s, p), u(1));
    }

    proptest! {
        #[test]
        fn rounding_brackets_the_exact_value(
            x in amount(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            // u128 inputs never fail.
            let (down, up) = (shares_for_ether(x, s, p)?, shares_for_ether_round_up(x, s, p)?);
            check_brackets(down, up, x, s, p)?;
            prop_assert_eq!(up == down, (wide(x) * wide(s)) % wide(p) == wide(U256::ZERO));

            check_brackets(ether_for_shares(x, s, p)?, ether_for_shares_round_up(x, s, p)?, x, p, s)?;
        }

        #[test]
        fn monotonic_in_the_amount(
            x in amount(), y in amount(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
            for f in [shares_for_ether, shares_for_ether_round_up, shares_to_deliver] {
                prop_assert!(f(lo, s, p)? <= f(hi, s, p)?);
            }
            for f in [ether_for_shares, ether_for_shares_round_up] {
                prop_assert!(f(lo, s, p)? <= f(hi, s, p)?);
            }
        }

        #[test]
        fn higher_share_price_gives_fewer_shares(
            x in amount(), s in nonzero_amount(), p in nonzero_amount(), extra in amount()
        ) {
            let richer = p.saturating_add(extra);
            prop_assert!(shares_for_ether(x, s, richer)? <= shares_for_ether(x, s, p)?);
            // A value too large for 256 bits is refused, never wrapped to a smaller one.
            match ether_for_shares(x, s, richer) {
                Ok(more) => prop_assert!(more >= ether_for_shares(x, s, p)?),
                Err(e) => prop_assert_eq!(e, MathError::Overflow),
            }
        }

        #[test]
        fn round_trips_never_create_value(
            x in amount(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            // ether -> shares -> ether: staking then reading the balance.
            let shares = shares_for_ether(x, s, p)?;
            prop_assert!(ether_for_shares(shares, s, p)? <= x);
            prop_assert!(ether_for_shares_round_up(shares, s, p)? <= x);
            // shares -> ether -> shares: withdrawing a balance then restaking it.
            let ether = ether_for_shares(x, s, p)?;
            prop_assert!(shares_for_ether(ether, s, p)? <= x);
            // Paying out `ether` costs at least the shares it was derived from, less dust.
            prop_assert!(shares_for_ether_round_up(ether, s, p)? <= x);
        }

        #[test]
        fn deliver_credits_at_least_the_amount(
            a in amount(), r in amount(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            let moved = shares_to_deliver(a, s, p)?;
            // r, a, S and P below 2^128 keep every intermediate below 2^256.
            prop_assert!(ether_for_shares(moved, s, p)? >= a);
            prop_assert!(sub_floor(r, moved, s, p) >= a);
            // ... and not much more: the sender overpays by less than one share's worth.
            let one_share = ether_for_shares_round_up(u(1), s, p)?;
            prop_assert!(ether_for_shares(moved, s, p)? < a + one_share);
        }

        #[test]
        fn deliver_is_the_least_that_always_works(
            a in amount(), s in nonzero_amount(), p in nonzero_amount()
        ) {
            let moved = shares_to_deliver(a, s, p)?;
            if !moved.is_zero() {
                // One share fewer leaves an empty-handed recipient short.
                prop_assert!(ether_for_shares(moved - u(1), s, p)? < a);
            }
        }
    }
}
