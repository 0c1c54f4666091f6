//! The exchange rate the rate feed publishes: pooled ether per whole wrapped token (one pool
//! share is one wrapped token), recorded once per oracle report together with the report's
//! time, packed into one storage word so a report pays for a single new slot.

use alloy_primitives::U256;

use crate::{mul_div, MathError};

/// One whole token (18 decimals): the rate is ether per this many shares.
pub const ONE_TOKEN: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Bits of a packed report that hold the rate; the timestamp takes the 64 above them.
const RATE_BITS: usize = 192;

/// The ether value of [`ONE_TOKEN`] shares, rounded down like every share-to-ether
/// conversion of the pool.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `total_shares` is zero, [`MathError::Overflow`] when
/// the result does not fit.
pub fn pooled_ether_per_token(total_pooled: U256, total_shares: U256) -> Result<U256, MathError> {
    mul_div(total_pooled, ONE_TOKEN, total_shares)
}

/// One published rate: when the report it came from was taken, and the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateReport {
    /// The report's reference time (seconds).
    pub timestamp: u64,
    /// Pooled ether per [`ONE_TOKEN`], see [`pooled_ether_per_token`].
    pub rate: U256,
}

impl RateReport {
    /// The report as one word: `timestamp << 192 | rate`.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the rate needs more than 192 bits (over 6e39 ether per
    /// token: unreachable with real ether, refused rather than truncated).
    pub fn pack(&self) -> Result<U256, MathError> {
        if self.rate.bit_len() > RATE_BITS {
            return Err(MathError::Overflow);
        }
        Ok((U256::from(self.timestamp) << RATE_BITS) | self.rate)
    }

    /// The report [`RateReport::pack`] produced `word` from.
    pub fn unpack(word: U256) -> Self {
        let rate = word & ((U256::from(1u8) << RATE_BITS) - U256::from(1u8));
        Self { timestamp: (word >> RATE_BITS).to::<u64>(), rate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{amount, nonzero_amount, u, wide};
    use proptest::prelude::*;

    #[test]
    fn one_to_one_pool_gives_one_ether_per_token() {
        assert_eq!(pooled_ether_per_token(u(5), u(5)), Ok(ONE_TOKEN));
        assert_eq!(pooled_ether_per_token(u(1), U256::ZERO), Err(MathError::DivisionByZero));
        // 10 ETH over 3 shares' worth: rounded down.
        assert_eq!(
            pooled_ether_per_token(u(10), u(3)).expect("fits"),
            u(3_333_333_333_333_333_333)
        );
    }

    #[test]
    fn rates_above_192_bits_are_refused() {
        let too_big = RateReport { timestamp: 1, rate: U256::from(1u8) << 192 };
        assert_eq!(too_big.pack(), Err(MathError::Overflow));
        let max = RateReport { timestamp: u64::MAX, rate: (U256::from(1u8) << 192) - u(1) };
        assert_eq!(RateReport::unpack(max.pack().expect("192 bits")), max);
    }

    proptest! {
        #[test]
        fn packing_round_trips(timestamp in any::<u64>(), rate in amount()) {
            let report = RateReport { timestamp, rate };
            prop_assert_eq!(RateReport::unpack(report.pack().expect("rates below 2^128")), report);
        }

        #[test]
        fn the_rate_never_overstates_a_holders_ether(
            pooled in nonzero_amount(),
            shares in nonzero_amount(),
        ) {
            // What one token is said to be worth, times the supply, is at most what the pool
            // holds: a lender pricing by the feed never values the collateral above it.
            if let Ok(rate) = pooled_ether_per_token(pooled, shares) {
                prop_assert!(wide(rate) * wide(shares) <= wide(pooled) * wide(ONE_TOKEN));
            }
        }
    }
}
