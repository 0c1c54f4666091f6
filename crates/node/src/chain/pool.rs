//! The transaction pool: transactions whose nonce is ahead of their sender's wait here until
//! the gap fills, and may be replaced by the same sender and nonce at a higher fee.
//!
//! The node mines a transaction as soon as its nonce is its sender's next, so every
//! transaction in the pool is behind a gap: what geth calls "queued". Replacement follows
//! geth's rule: both the fee cap and the tip must rise by at least [`PRICE_BUMP_PERCENT`].

use std::collections::BTreeMap;

use alloy_consensus::{Transaction as _, TxEnvelope};
use revm::primitives::{Address, B256};

use super::types::ChainError;

/// geth's default `--txpool.pricebump`: how much a replacement must raise both fees.
pub const PRICE_BUMP_PERCENT: u128 = 10;

/// geth's default `--txpool.globalqueue`: the most transactions the pool holds.
pub const MAX_QUEUED: usize = 1024;

/// A signed transaction waiting in the pool.
#[derive(Debug, Clone)]
pub struct PooledTx {
    /// The transaction (for impersonated senders, with a placeholder signature).
    pub envelope: TxEnvelope,
    /// Its sender.
    pub from: Address,
}

impl PooledTx {
    /// The transaction's hash.
    pub fn hash(&self) -> B256 {
        *self.envelope.tx_hash()
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    /// Whether this may replace `old` (same sender and nonce): geth's price bump on both the
    /// fee cap and the tip, which for legacy transactions are both the gas price.
    fn outbids(&self, old: &Self) -> bool {
        let bumped = |new: u128, old: u128| {
            new > old && new.saturating_mul(100) >= old.saturating_mul(100 + PRICE_BUMP_PERCENT)
        };
        let tip = |tx: &TxEnvelope| tx.max_priority_fee_per_gas().unwrap_or(tx.max_fee_per_gas());
        bumped(self.envelope.max_fee_per_gas(), old.envelope.max_fee_per_gas())
            && bumped(tip(&self.envelope), tip(&old.envelope))
    }
}

/// Waiting transactions by sender and nonce.
#[derive(Debug, Clone, Default)]
pub(super) struct Pool {
    by_sender: BTreeMap<Address, BTreeMap<u64, PooledTx>>,
}

impl Pool {
    /// Adds `tx`, replacing a transaction of the same sender and nonce that it outbids.
    pub(super) fn insert(&mut self, tx: PooledTx) -> Result<(), ChainError> {
        let full = self.len() >= MAX_QUEUED;
        let queue = self.by_sender.entry(tx.from).or_default();
        match queue.get(&tx.nonce()) {
            Some(old) if !tx.outbids(old) => {
                return Err(ChainError::Invalid("replacement transaction underpriced".into()))
            }
            None if full => return Err(ChainError::Invalid("txpool is full".into())),
            _ => {}
        }
        queue.insert(tx.nonce(), tx);
        Ok(())
    }

    /// Removes and returns `from`'s transaction with `nonce`.
    pub(super) fn take(&mut self, from: Address, nonce: u64) -> Option<PooledTx> {
        let queue = self.by_sender.get_mut(&from)?;
        let tx = queue.remove(&nonce);
        if queue.is_empty() {
            self.by_sender.remove(&from);
        }
        tx
    }

    /// Drops `from`'s transactions with nonces below `nonce` (they can never be mined).
    pub(super) fn drop_below(&mut self, from: Address, nonce: u64) {
        if let Some(queue) = self.by_sender.get_mut(&from) {
            *queue = queue.split_off(&nonce);
            if queue.is_empty() {
                self.by_sender.remove(&from);
            }
        }
    }

    /// The transaction with `hash`.
    pub(super) fn get(&self, hash: &B256) -> Option<&PooledTx> {
        self.iter().find(|tx| tx.hash() == *hash)
    }

    /// Every waiting transaction, by sender and then nonce.
    pub(super) fn iter(&self) -> impl Iterator<Item = &PooledTx> {
        self.by_sender.values().flat_map(|queue| queue.values())
    }

    /// How many transactions wait.
    pub(super) fn len(&self) -> usize {
        self.by_sender.values().map(BTreeMap::len).sum()
    }
}
