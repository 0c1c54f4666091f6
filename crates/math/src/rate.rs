//! The exchange rate the rate feed publishes: pooled ether per whole wrapped token (one pool
//! share is one wrapped token), recorded once per oracle report together with the report's
//! reference time and the time it was applied on chain, packed into one storage word so a
//! report pays for a single new slot.

use alloy_primitives::U256;

use crate::{mul_div, MathError};

/// One whole token (18 decimals): the rate is ether per this many shares.
pub const ONE_TOKEN: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Bits of a packed report that hold the rate; the application time takes the 64 above
/// them and the reference time the 64 above that.
const RATE_BITS: usize = 128;
/// Where the application time starts in a packed report.
const APPLIED_SHIFT: usize = RATE_BITS;
/// Where the reference time starts in a packed report.
const TIMESTAMP_SHIFT: usize = RATE_BITS + 64;

/// The ether value of [`ONE_TOKEN`] shares, rounded down like every share-to-ether
/// conversion of the pool.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `total_shares` is zero, [`MathError::Overflow`] when
/// the result does not fit.
pub fn pooled_ether_per_token(total_pooled: U256, total_shares: U256) -> Result<U256, MathError> {
    mul_div(total_pooled, ONE_TOKEN, total_shares)
}

/// One published rate: when the report it came from was taken, when it was applied, and the
/// rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateReport {
    /// The report's reference time (seconds): when the beacon chain was observed.
    pub timestamp: u64,
    /// The block time at which the report was applied: from then on the pool's rate is
    /// this one. What a price feed calls `updatedAt`, and the boundary between two report
    /// periods for the withdrawal queue's batches.
    pub applied_at: u64,
    /// Pooled ether per [`ONE_TOKEN`], see [`pooled_ether_per_token`].
    pub rate: U256,
}

impl RateReport {
    /// The report as one word: `timestamp << 192 | applied_at << 128 | rate`.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the rate needs more than 128 bits (over 3.4e20 ether per
    /// token, more than a million times all the ether there is: refused rather than
    /// truncated).
    pub fn pack(&self) -> Result<U256, MathError> {
        if self.rate.bit_len() > RATE_BITS {
            return Err(MathError::Overflow);
        }
        Ok((U256::from(self.timestamp) << TIMESTAMP_SHIFT)
            | (U256::from(self.applied_at) << APPLIED_SHIFT)
            | self.rate)
    }

    /// The report [`RateReport::pack`] produced `word` from.
    pub fn unpack(word: U256) -> Self {
        let low = |shift: usize, bits: usize| {
            (word >> shift) & ((U256::from(1u8) << bits) - U256::from(1u8))
        };
        Self {
            timestamp: low(TIMESTAMP_SHIFT, 64).to::<u64>(),
            applied_at: low(APPLIED_SHIFT, 64).to::<u64>(),
            rate: low(0, RATE_BITS),
        }
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
    fn rates_above_128_bits_are_refused() {
        let too_big = RateReport { timestamp: 1, applied_at: 2, rate: U256::from(1u8) << 128 };
        assert_eq!(too_big.pack(), Err(MathError::Overflow));
        let max = RateReport {
            timestamp: u64::MAX,
            applied_at: u64::MAX,
            rate: (U256::from(1u8) << 128) - u(1),
        };
        assert_eq!(RateReport::unpack(max.pack().expect("128 bits")), max);
        // The three fields do not bleed into one another.
        let word = RateReport { timestamp: 1, applied_at: 2, rate: u(3) }.pack().expect("small");
        assert_eq!(word, (u(1) << 192) | (u(2) << 128) | u(3));
    }

    proptest! {
        #[test]
        fn packing_round_trips(timestamp in any::<u64>(), applied_at in any::<u64>(), rate in amount()) {
            let report = RateReport { timestamp, applied_at, rate };
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
