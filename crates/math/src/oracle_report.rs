//! How an oracle report's numbers follow from the chain, written once for the oracle that
//! applies reports and the committee's tools that build them: the time a report covers, its
//! timestamp, the consensus-layer principal its balance is judged against, the rate requests
//! are finalized at, and the EIP-712 domain members sign it in.

use alloy_primitives::U256;

use crate::oracle::{ChainConfig, DEPOSIT_SIZE};

/// The oracle's EIP-712 domain name.
pub const DOMAIN_NAME: &str = "Tidepool Accounting Oracle";
/// The oracle's EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";
/// One gwei in wei: reports carry the consensus-layer balance in gwei.
pub const GWEI: U256 = U256::from_limbs([1_000_000_000, 0, 0, 0]);

/// The slot a report for `ref_slot` is measured from: the last applied report's slot, or, for
/// the first report (`last_ref_slot` zero), one frame of `epochs_per_frame` before.
pub fn report_start(
    chain: &ChainConfig,
    epochs_per_frame: u64,
    last_ref_slot: u64,
    ref_slot: u64,
) -> u64 {
    if last_ref_slot == 0 {
        ref_slot.saturating_sub(epochs_per_frame.saturating_mul(chain.slots_per_epoch))
    } else {
        last_ref_slot
    }
}

/// Seconds a report for `ref_slot` covers (see [`report_start`]); `None` if the last report
/// is later or the span overflows.
pub fn time_elapsed(
    chain: &ChainConfig,
    epochs_per_frame: u64,
    last_ref_slot: u64,
    ref_slot: u64,
) -> Option<u64> {
    let from = report_start(chain, epochs_per_frame, last_ref_slot, ref_slot);
    chain.seconds_between(from, ref_slot)
}

/// The report's timestamp: when `ref_slot` began. `None` on overflow.
pub fn report_timestamp(chain: &ChainConfig, ref_slot: u64) -> Option<u64> {
    chain.genesis_time.checked_add(ref_slot.checked_mul(chain.seconds_per_slot)?)
}

/// What the consensus layer should hold if it lost nothing: the last reported balance plus one
/// deposit per validator that appeared since. `None` on overflow.
pub fn cl_principal(pre_cl_balance: U256, appeared: U256) -> Option<U256> {
    appeared.checked_mul(DEPOSIT_SIZE)?.checked_add(pre_cl_balance)
}

/// The rate withdrawal requests are finalized at: the simulated post-report rate, or in bunker
/// mode the lower of it and the pre-report rate, so the holders who leave share losses still
/// unfolding.
pub fn finalization_rate(simulated: U256, pre_report: U256, bunker: bool) -> U256 {
    if bunker {
        simulated.min(pre_report)
    } else {
        simulated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: ChainConfig =
        ChainConfig { genesis_time: 1_000, seconds_per_slot: 12, slots_per_epoch: 32 };

    #[test]
    fn the_first_report_covers_one_frame_and_later_ones_the_time_since_the_last() {
        assert_eq!(report_start(&CHAIN, 225, 0, 225 * 32 + 5), 5);
        assert_eq!(time_elapsed(&CHAIN, 225, 0, 225 * 32 + 5), Some(86_400));
        assert_eq!(report_start(&CHAIN, 225, 100, 400), 100);
        assert_eq!(time_elapsed(&CHAIN, 225, 100, 400), Some(3_600));
        assert_eq!(time_elapsed(&CHAIN, 225, 400, 100), None);
        // A frame longer than the chain's history starts at slot 0.
        assert_eq!(report_start(&CHAIN, 225, 0, 10), 0);
    }

    #[test]
    fn timestamps_principal_and_bunker_rate() {
        assert_eq!(report_timestamp(&CHAIN, 10), Some(1_120));
        assert_eq!(report_timestamp(&CHAIN, u64::MAX), None);
        assert_eq!(
            cl_principal(U256::from(5), U256::from(2)),
            Some(DEPOSIT_SIZE * U256::from(2) + U256::from(5))
        );
        assert_eq!(cl_principal(U256::ZERO, U256::MAX), None);
        let (low, high) = (U256::from(1), U256::from(2));
        assert_eq!(finalization_rate(high, low, false), high);
        assert_eq!(finalization_rate(high, low, true), low);
        assert_eq!(finalization_rate(low, high, true), low);
        assert_eq!(GWEI, U256::from(10u64).pow(U256::from(9u64)));
    }
}
