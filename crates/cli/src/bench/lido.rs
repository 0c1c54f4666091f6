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

/// Lido's gas for our `operation` in `condition`, with a note when the match is loose.
pub fn reference(operation: &str, condition: &str) -> Option<(u64, &'static str)> {
    let exact = |gas| Some((gas, ""));
    match (operation, condition) {
        ("submit", c) if c.starts_with("first") => exact(93_854),
        ("submit", _) => exact(76_754),
        ("transfer", c) if c.contains("new") => exact(84_302),
        ("transfer", _) => exact(67_190),
        ("transferShares", c) if c.contains("new") => exact(84_040),
        ("transferShares", _) => exact(66_928),
        ("approve", c) if c.starts_with("new") => exact(65_450),
        ("approve", _) => exact(48_350),
        ("transferFrom", _) => exact(74_086),
        ("permit", c) if c.starts_with("first") => exact(104_627),
        ("permit", _) => exact(70_427),
        ("wrap", c) if c.contains("first") => exact(108_882),
        ("wrap", _) => exact(91_782),
        ("unwrap", c) if c.starts_with("partial") => exact(91_194),
        ("unwrap", _) => exact(86_394),
        ("ERC-4626 deposit", _) => Some((91_782, "wstETH has no ERC-4626: its repeat wrap")),
        ("ERC-4626 redeem", _) => Some((91_194, "wstETH has no ERC-4626: its partial unwrap")),
        ("requestWithdrawals", c) if c.contains("first") => exact(214_913),
        ("requestWithdrawals", c) if c.starts_with("10") => exact(1_230_202),
        ("requestWithdrawals", _) => exact(197_813),
        ("finalize", _) => Some((107_334, "any batch size: 107,322-107,334")),
        ("claimWithdrawals", c) if c.contains("latest") => exact(69_990),
        ("claimWithdrawals", c) if c.starts_with("10") => exact(323_939),
        ("claimWithdrawals", c) if c.contains("old") => {
            Some((89_798, "Lido's old request had 1,002 checkpoints"))
        }
        ("claimWithdrawal", _) => Some((71_592, "latest batch: 71,592-86,892")),
        ("submitReport", c) if c.starts_with("quorum 5") => Some((
            761_035,
            "5 HashConsensus votes (659,772 per frame, 9 members) + submitReportData with \
             accounting stubbed out (101,263): a lower bound",
        )),
        _ => None,
    }
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
