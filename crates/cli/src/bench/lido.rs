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

/// Lido's figures: `operation \t conditions \t gas \t note` a line (see the file's header).
const FIGURES: &str = include_str!("lido.tsv");

/// Lido's gas for our `operation` in `condition`, with a note when the match is loose.
pub fn reference(operation: &str, condition: &str) -> Option<(u64, &'static str)> {
    FIGURES
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?, fields.next()?, fields.next().unwrap_or("")))
        })
        .find(|&(op, when, _, _)| op == operation && holds(when, condition))
        .and_then(|(_, _, gas, note)| Some((gas.parse().ok()?, note)))
}

/// Whether a figure's conditions (`any`, `starts <text>`, `contains <text>`) cover ours.
fn holds(when: &str, condition: &str) -> bool {
    match when.split_once(' ') {
        Some(("starts", prefix)) => condition.starts_with(prefix),
        Some(("contains", part)) => condition.contains(part),
        _ => when == "any",
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
        let (gas, note) = reference("submitReport", "quorum 5 of 9").expect("listed");
        assert_eq!(gas, 761_035);
        assert!(note.ends_with("a lower bound"), "{note}");
        assert_eq!(
            reference("finalize", "any").map(|r| r.1),
            Some("any batch size: 107,322-107,334")
        );
    }
}
