//! The accounting oracle's report sanity limits as one named value, shared by the oracle
//! contract (which stores and checks them) and the tools that set or show them.
//!
//! The fields are the ABI's `OracleReportLimits` fields in `snake_case` and in the same
//! order; [`OracleReportLimits::to_array`] and [`OracleReportLimits::from_array`] give that
//! order where a position matters (`IncorrectLimitValue` names a limit by its index).
//!
//! The positive-rebase cap is not among them: it is the pool's setting
//! (`getMaxPositiveRebase`), which the oracle reads at each report and checks with the pool's
//! own rule ([`crate::oracle::check_positive_rebase`]). A copy here could drift from the pool's
//! and make every report fail, or check against a cap the pool no longer applies.

/// The oracle's sanity limits (the ABI's `OracleReportLimits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleReportLimits {
    /// Largest yearly growth of the consensus-layer balance, bp, pro-rated by time.
    pub annual_balance_increase_bp_limit: u64,
    /// Largest one-off fall of the consensus-layer balance, bp.
    pub one_off_cl_balance_decrease_bp_limit: u64,
    /// Most validators that may appear per day, pro-rated by time.
    pub appeared_validators_per_day_limit: u64,
    /// Largest gap between the simulated and the actual share rate, bp of the actual.
    pub simulated_share_rate_deviation_bp_limit: u64,
    /// Fewest seconds between the reference slots of two applied reports.
    pub min_report_interval: u64,
}

impl OracleReportLimits {
    /// Lido's mainnet values:
    /// - annual consensus-layer balance increase 1,000 bp (10% a year): well above real
    ///   staking yields (about 3%), well below what a fabricated balance would need to matter;
    /// - one-off consensus-layer decrease 500 bp (5%): a correlated slashing of a large part of
    ///   the validators, beyond which a human should look first;
    /// - 43,200 appeared validators a day: Lido's deposit throughput (one block's worth of
    ///   deposits every 12 s at most), far above anything the pool can deposit;
    /// - simulated share rate deviation 50 bp (0.5%): the off-chain simulation and the chain
    ///   differ only by rounding and by blocks between simulation and submission;
    /// - minimum report interval 43,200 s (12 h; not a Lido limit): with daily frames two
    ///   reports are at least a day apart anyway, so this only binds when frames are
    ///   shortened, where it stops the per-report caps from being compounded by reporting
    ///   often.
    pub const LIDO_DEFAULTS: Self = Self {
        annual_balance_increase_bp_limit: 1_000,
        one_off_cl_balance_decrease_bp_limit: 500,
        appeared_validators_per_day_limit: 43_200,
        simulated_share_rate_deviation_bp_limit: 50,
        min_report_interval: 43_200,
    };

    /// The largest value of each limit: basis points at most 100%, validators and seconds
    /// within the oracle's 32-bit storage fields.
    pub const MAX: Self = Self {
        annual_balance_increase_bp_limit: 10_000,
        one_off_cl_balance_decrease_bp_limit: 10_000,
        appeared_validators_per_day_limit: u32::MAX as u64,
        simulated_share_rate_deviation_bp_limit: 10_000,
        min_report_interval: u32::MAX as u64,
    };

    /// The limits in the ABI's field order.
    pub const fn to_array(self) -> [u64; 5] {
        [
            self.annual_balance_increase_bp_limit,
            self.one_off_cl_balance_decrease_bp_limit,
            self.appeared_validators_per_day_limit,
            self.simulated_share_rate_deviation_bp_limit,
            self.min_report_interval,
        ]
    }

    /// The limits from values in the ABI's field order.
    pub const fn from_array(values: [u64; 5]) -> Self {
        Self {
            annual_balance_increase_bp_limit: values[0],
            one_off_cl_balance_decrease_bp_limit: values[1],
            appeared_validators_per_day_limit: values[2],
            simulated_share_rate_deviation_bp_limit: values[3],
            min_report_interval: values[4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_within_the_maxima() {
        let (defaults, max) =
            (OracleReportLimits::LIDO_DEFAULTS.to_array(), OracleReportLimits::MAX.to_array());
        assert!(defaults.iter().zip(max).all(|(d, m)| *d <= m));
    }

    #[test]
    fn array_order_is_field_order() {
        let limits = OracleReportLimits::from_array([1, 2, 3, 4, 5]);
        assert_eq!(limits.appeared_validators_per_day_limit, 3);
        assert_eq!(limits.min_report_interval, 5);
        assert_eq!(limits.to_array(), [1, 2, 3, 4, 5]);
    }
}
