//! Lido's figures for the same operations, and where they come from.
//!
//! Measured for this project (see `../shared/ANCHORS.md` in the team's notes): the real Lido
//! V3 contracts (`lidofinance/core` at 372b02e1, package 3.0.2) compiled from source with
//! their own compiler settings (solc 0.4.24 / 0.6.12 / 0.8.9, optimizer 200 runs), deployed
//! behind mainnet's proxies with mainnet's stake limit on anvil 1.7.1 (Prague). Each
//! figure is a receipt's `gasUsed` (21,000 and calldata included, refunds deducted), every
//! operation its own transaction so storage starts cold.

/// Where the figures come from, for the benchmark file.
pub const SOURCE: &str = "Lido V3 (`lidofinance/core` at 372b02e1, package 3.0.2) compiled \
from source with its own settings (solc 0.4.24 / 0.6.12 / 0.8.9, optimizer 200 runs), behind \
mainnet's proxies and stake limit, on anvil 1.7.1 (Prague); receipt `gasUsed`, each operation \
its own transaction.";

/// Which of our benchmark conditions a Lido figure stands for.
#[derive(Clone, Copy)]
enum When {
    /// Any condition.
    Any,
    /// A condition that starts with this.
    StartsWith(&'static str),
    /// A condition that contains this.
    Contains(&'static str),
}

impl When {
    fn holds(self, condition: &str) -> bool {
        match self {
            When::Any => true,
            When::StartsWith(prefix) => condition.starts_with(prefix),
            When::Contains(part) => condition.contains(part),
        }
    }
}

use When::{Any, Contains, StartsWith};

/// `(operation, condition, gas, note)`: the first row that matches applies; the note says
/// how loose the match is (empty when exact).
const FIGURES: &[(&str, When, u64, &str)] = &[
    ("submit", StartsWith("first"), 93_854, ""),
    ("submit", Any, 76_754, ""),
    ("transfer", Contains("new"), 84_302, ""),
    ("transfer", Any, 67_190, ""),
    ("transferShares", Contains("new"), 84_040, ""),
    ("transferShares", Any, 66_928, ""),
    ("approve", StartsWith("new"), 65_450, ""),
    ("approve", Any, 48_350, ""),
    ("transferFrom", Any, 74_086, ""),
    ("permit", StartsWith("first"), 104_627, ""),
    ("permit", Any, 70_427, ""),
    ("wrap", Contains("first"), 108_882, ""),
    ("wrap", Any, 91_782, ""),
    ("unwrap", StartsWith("partial"), 91_194, ""),
    ("unwrap", Any, 86_394, ""),
    ("ERC-4626 deposit", Any, 91_782, "wstETH has no ERC-4626: its repeat wrap"),
    ("ERC-4626 redeem", Any, 91_194, "wstETH has no ERC-4626: its partial unwrap"),
    ("requestWithdrawals", Contains("first"), 214_913, ""),
    ("requestWithdrawals", StartsWith("10"), 1_230_202, ""),
    ("requestWithdrawals", Any, 197_813, ""),
    ("finalize", Any, 107_334, "any batch size: 107,322-107,334"),
    ("claimWithdrawals", Contains("latest"), 69_990, ""),
    ("claimWithdrawals", StartsWith("10"), 323_939, ""),
    ("claimWithdrawals", Contains("old"), 89_798, "Lido's old request had 1,002 checkpoints"),
    ("claimWithdrawal", Any, 71_592, "latest batch: 71,592-86,892"),
    (
        "submitReport",
        StartsWith("quorum 5"),
        761_035,
        "5 HashConsensus votes (659,772 per frame, 9 members) + submitReportData with \
         accounting stubbed out (101,263): a lower bound",
    ),
];

/// Lido's gas for our `operation` in `condition`, with a note when the match is loose.
pub fn reference(operation: &str, condition: &str) -> Option<(u64, &'static str)> {
    FIGURES
        .iter()
        .find(|(op, when, _, _)| *op == operation && when.holds(condition))
        .map(|&(_, _, gas, note)| (gas, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_pick_the_matching_figure() {
        assert_eq!(reference("submit", "first deposit of an account"), Some((93_854, "")));
        assert_eq!(reference("submit", "repeat"), Some((76_754, "")));
        assert_eq!(reference("transfer", "to a new holder").map(|r| r.0), Some(84_302));
        assert_eq!(reference("transfer", "to an existing holder").map(|r| r.0), Some(67_190));
        assert_eq!(
            reference("requestWithdrawals", "10 amounts, repeat owner").map(|r| r.0),
            Some(1_230_202)
        );
        assert_eq!(
            reference("claimWithdrawals", "1 with hint, old request (4 checkpoints)").map(|r| r.0),
            Some(89_798)
        );
        assert_eq!(reference("submitReport", "quorum 3 of 7, accounting included"), None);
        assert_eq!(reference("mint", "anything"), None);
    }
}
