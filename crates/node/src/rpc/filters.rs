//! Polled filters, as geth keeps them: `eth_newFilter` (logs), `eth_newBlockFilter` and
//! `eth_newPendingTransactionFilter`, read with `eth_getFilterChanges` and dropped by
//! `eth_uninstallFilter` or after [`FILTER_TIMEOUT`] without a poll.
//!
//! Each filter remembers the first block it has not reported, so a poll reports what the
//! blocks mined since the last one hold, once: their matching logs, their hashes, or their
//! transactions' hashes (transactions are mined as soon as they are executable, so the
//! transactions that became pending since the last poll are those of the new blocks).
//! After an `evm_revert` the numbers past the kept block name new blocks, so a filter that
//! had passed them goes back.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U128};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log};
use jsonrpsee::types::ErrorObjectOwned;

use super::{
    convert::{filter_bounds, get_logs},
    error::server_error,
};
use crate::chain::Chain;

/// geth's `filterTimeout`: a filter not polled for this long is removed.
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// What a filter reports.
#[derive(Debug, Clone)]
pub(crate) enum FilterKind {
    /// Logs matching the filter, in the blocks it names.
    Logs(Box<Filter>),
    /// Hashes of new blocks.
    Blocks,
    /// Hashes of new transactions.
    PendingTransactions,
}

#[derive(Debug)]
struct Installed {
    kind: FilterKind,
    /// The first block not yet reported.
    next: u64,
    /// How many of the chain's reverts the filter has accounted for.
    reverts_seen: usize,
    last_poll: Instant,
}

/// The installed filters.
#[derive(Debug)]
pub(crate) struct Filters {
    timeout: Duration,
    last_id: u128,
    installed: HashMap<U128, Installed>,
}

/// geth's answer for an id that names no filter (never installed, removed or expired).
fn not_found() -> ErrorObjectOwned {
    server_error("filter not found")
}

/// The blocks whose new logs a log filter reports, as geth bounds them: only block numbers
/// bound, since a tag ("latest", the default) names no fixed block in a stream of new ones.
fn change_bounds(
    chain: &Chain,
    option: &FilterBlockOption,
) -> Result<(u64, u64), ErrorObjectOwned> {
    let (from, to) = match option {
        FilterBlockOption::Range { from_block, to_block } => {
            let number = |b: &Option<BlockNumberOrTag>| b.and_then(|b| b.as_number());
            (number(from_block), number(to_block))
        }
        at_hash => filter_bounds(chain, at_hash)?,
    };
    Ok((from.unwrap_or(0), to.unwrap_or(u64::MAX)))
}

impl Filters {
    /// No filters; idle ones expire after `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self { timeout, last_id: 0, installed: HashMap::new() }
    }

    /// Drops the filters idle longer than the timeout.
    fn expire(&mut self, now: Instant) {
        let timeout = self.timeout;
        self.installed.retain(|_, f| now.saturating_duration_since(f.last_poll) < timeout);
    }

    /// Installs a filter that reports from the next block on; returns its id.
    pub(crate) fn install(&mut self, chain: &Chain, kind: FilterKind, now: Instant) -> U128 {
        self.expire(now);
        self.last_id += 1;
        let id = U128::from(self.last_id);
        let filter = Installed {
            kind,
            next: chain.block_number() + 1,
            reverts_seen: chain.reverts().len(),
            last_poll: now,
        };
        self.installed.insert(id, filter);
        id
    }

    /// Removes a filter; false when there was none.
    pub(crate) fn uninstall(&mut self, id: U128, now: Instant) -> bool {
        self.expire(now);
        self.installed.remove(&id).is_some()
    }

    /// What filter `id` has not reported yet (and from now on counts as reported).
    pub(crate) fn changes(
        &mut self,
        chain: &Chain,
        id: U128,
        now: Instant,
    ) -> Result<FilterChanges, ErrorObjectOwned> {
        self.expire(now);
        let filter = self.installed.get_mut(&id).ok_or_else(not_found)?;
        filter.last_poll = now;
        let reverts = chain.reverts();
        if let Some(kept) = reverts[filter.reverts_seen.min(reverts.len())..].iter().min() {
            filter.next = filter.next.min(kept + 1);
        }
        filter.reverts_seen = reverts.len();
        let latest = chain.block_number();
        let first = filter.next;
        filter.next = latest + 1;
        let blocks = (first..=latest).filter_map(|n| chain.block(n));
        Ok(match &filter.kind {
            FilterKind::Logs(log_filter) => {
                let (from, to) = change_bounds(chain, &log_filter.block_option)?;
                let (from, to) = (first.max(from), latest.min(to));
                FilterChanges::Logs(if from <= to {
                    chain.logs(from, to, log_filter)
                } else {
                    Vec::new()
                })
            }
            FilterKind::Blocks => FilterChanges::Hashes(blocks.map(|b| b.hash).collect()),
            FilterKind::PendingTransactions => FilterChanges::Hashes(
                blocks.flat_map(|b| b.txs.iter().copied()).collect::<Vec<B256>>(),
            ),
        })
    }

    /// Every log log filter `id` matches, as `eth_getLogs` finds them (a poll of
    /// changes is unaffected, and as in geth this does not count as one).
    pub(crate) fn logs(
        &mut self,
        chain: &Chain,
        id: U128,
        now: Instant,
    ) -> Result<Vec<Log>, ErrorObjectOwned> {
        self.expire(now);
        match self.installed.get(&id).map(|f| &f.kind) {
            Some(FilterKind::Logs(filter)) => get_logs(chain, filter),
            _ => Err(not_found()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{Chain, ChainConfig};

    /// A filter not polled within the timeout is gone; polling keeps one alive.
    #[test]
    fn idle_filters_expire() {
        let chain = Chain::new(ChainConfig::default()).expect("chain");
        let mut filters = Filters::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let polled = filters.install(&chain, FilterKind::Blocks, t0);
        let idle = filters.install(&chain, FilterKind::Blocks, t0);
        let t1 = t0 + Duration::from_secs(6);
        assert!(filters.changes(&chain, polled, t1).is_ok());
        let t2 = t0 + Duration::from_secs(12);
        assert!(filters.changes(&chain, polled, t2).is_ok(), "polled at 6 s, alive at 12 s");
        let gone = filters.changes(&chain, idle, t2).expect_err("idle for 12 s");
        assert_eq!(gone.message(), "filter not found");
        assert!(!filters.uninstall(idle, t2));
        assert!(filters.uninstall(polled, t2));
    }
}
