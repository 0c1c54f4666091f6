//! State history: what each block changed, kept as the values it overwrote, so the state at
//! any kept block is the latest state with later blocks' changes undone.
//!
//! A block's [`BlockDiff`] holds, for each account its transaction touched, the account's
//! info before the block and the previous value of each storage slot it wrote (the whole
//! storage when the account was created or self-destructed, since revm clears it then).
//! So history costs memory in proportion to what changed, not to the state's size: an
//! empty block costs nothing, a transfer two account records (184 bytes each on 64-bit),
//! a contract call also one record per touched account plus 72 bytes per written slot (the
//! state itself is kept once; code is shared, not copied).
//!
//! Reading one value at a past block walks the diffs after it and takes the first prior
//! value recorded for that account (or slot); `eth_call` at a past block copies the latest
//! state and undoes the later diffs, newest first.

use std::collections::VecDeque;

use revm::{
    database::AccountState,
    primitives::{Address, StorageKeyMap, U256},
    state::{AccountInfo, EvmState},
};

use super::types::ChainError;
use crate::evm::Db;

/// An account as it was before a block touched it.
#[derive(Debug, Clone)]
struct Prior {
    address: Address,
    /// `None` when the account was not in the state at all.
    account: Option<(AccountInfo, AccountState)>,
    /// Previous values of the slots the block wrote (`None`: the slot was not stored).
    slots: Vec<(U256, Option<U256>)>,
    /// The whole previous storage, when the block cleared it (creation or self-destruct).
    cleared: Option<StorageKeyMap<U256>>,
}

/// What one block overwrote.
#[derive(Debug, Clone, Default)]
pub(super) struct BlockDiff {
    number: u64,
    priors: Vec<Prior>,
}

impl BlockDiff {
    /// The values `changes` (a transaction's state changes, not yet committed) will
    /// overwrite in `db`, recorded for block `number`.
    pub(super) fn record(number: u64, db: &Db, changes: &EvmState) -> Self {
        let priors = changes
            .iter()
            .filter(|(_, account)| account.is_touched())
            .map(|(address, account)| {
                let before = db.cache.accounts.get(address);
                let clears = account.is_selfdestructed() || account.is_created();
                let slots = account
                    .storage
                    .iter()
                    .filter(|(_, slot)| slot.is_changed())
                    .map(|(key, _)| (*key, before.and_then(|b| b.storage.get(key).copied())))
                    .collect();
                Prior {
                    address: *address,
                    account: before.map(|b| (b.info.clone(), b.account_state.clone())),
                    slots,
                    cleared: clears.then(|| before.map(|b| b.storage.clone()).unwrap_or_default()),
                }
            })
            .collect();
        Self { number, priors }
    }

    /// The accounts at `addresses` as `db` holds them, recorded for block `number`: before
    /// a change made outside a transaction (the beacon simulation's withdrawal credits).
    pub(super) fn accounts(number: u64, db: &Db, addresses: impl Iterator<Item = Address>) -> Self {
        let priors = addresses
            .map(|address| Prior {
                address,
                account: db
                    .cache
                    .accounts
                    .get(&address)
                    .map(|b| (b.info.clone(), b.account_state.clone())),
                slots: Vec::new(),
                cleared: None,
            })
            .collect();
        Self { number, priors }
    }

    /// Rolls `db` back from after this block to before it.
    fn undo(&self, db: &mut Db) {
        for prior in &self.priors {
            let Some((info, state)) = &prior.account else {
                db.cache.accounts.remove(&prior.address);
                continue;
            };
            let account = db.cache.accounts.entry(prior.address).or_default();
            account.info = info.clone();
            account.account_state = state.clone();
            if let Some(storage) = &prior.cleared {
                account.storage = storage.clone();
            }
            for (key, value) in &prior.slots {
                match value {
                    Some(v) => account.storage.insert(*key, *v),
                    None => account.storage.remove(key),
                };
            }
        }
    }
}

/// The kept diffs and how far back they reach.
#[derive(Debug, Clone)]
pub(super) struct History {
    /// The oldest block whose state can be rebuilt.
    floor: u64,
    /// Diffs of blocks after `floor` that changed state, oldest first.
    diffs: VecDeque<BlockDiff>,
    /// How many past blocks to keep; `None` keeps all.
    keep: Option<usize>,
}

impl History {
    /// An empty history starting at block `floor`.
    pub(super) fn new(floor: u64, keep: Option<usize>) -> Self {
        Self { floor, diffs: VecDeque::new(), keep }
    }

    /// Records block `diff.number` (the new latest block) and prunes beyond `keep`.
    pub(super) fn push(&mut self, diff: BlockDiff) {
        // Blocks hold one transaction each, so a block pushes at most two diffs: its
        // transaction's and the beacon simulation's credits after it (undone newest first).
        let number = diff.number;
        if !diff.priors.is_empty() {
            self.diffs.push_back(diff);
        }
        self.prune(number);
    }

    /// Notes that block `latest` was mined without changing state.
    pub(super) fn prune(&mut self, latest: u64) {
        if let Some(keep) = self.keep {
            self.floor = self.floor.max(latest.saturating_sub(keep as u64));
            // A diff is needed only to rebuild the blocks before it.
            while self.diffs.front().is_some_and(|d| d.number <= self.floor) {
                self.diffs.pop_front();
            }
        }
    }

    /// Forgets blocks after `latest` (a snapshot was restored).
    pub(super) fn truncate(&mut self, latest: u64) {
        self.diffs.retain(|d| d.number <= latest);
        self.floor = self.floor.min(latest);
    }

    /// Errors unless the state of block `n` (at most `latest`) can be rebuilt.
    fn check(&self, n: u64) -> Result<(), ChainError> {
        if n < self.floor {
            return Err(ChainError::NotFound(match self.keep {
                Some(keep) => format!(
                    "state of block {n} is no longer kept (history of {keep} blocks; \
                     the oldest kept is {})",
                    self.floor
                ),
                None => format!("state of block {n} is before this chain's first block"),
            }));
        }
        Ok(())
    }

    /// The diffs of blocks after `n`, oldest first.
    fn after(&self, n: u64) -> impl DoubleEndedIterator<Item = &BlockDiff> {
        let start = self.diffs.partition_point(|d| d.number <= n);
        self.diffs.range(start..)
    }

    /// The state at block `n`: `latest` with every later block undone.
    pub(super) fn rebuild(&self, latest: &Db, n: u64) -> Result<Db, ChainError> {
        self.check(n)?;
        let mut db = latest.clone();
        for diff in self.after(n).rev() {
            diff.undo(&mut db);
        }
        Ok(db)
    }

    /// The account at block `n` as `db` (the latest state) would store it, without copying
    /// the state: the first prior recorded after `n`, else the latest.
    pub(super) fn account<'a>(
        &'a self,
        latest: &'a Db,
        address: Address,
        n: u64,
    ) -> Result<Option<&'a AccountInfo>, ChainError> {
        self.check(n)?;
        for diff in self.after(n) {
            if let Some(prior) = diff.priors.iter().find(|p| p.address == address) {
                return Ok(prior.account.as_ref().map(|(info, _)| info));
            }
        }
        Ok(latest.cache.accounts.get(&address).map(|a| &a.info))
    }

    /// A storage slot at block `n`, found as [`History::account`] finds an account: the
    /// first block after `n` that wrote the slot (or cleared or created the account) knew
    /// its value.
    pub(super) fn storage(
        &self,
        latest: &Db,
        address: Address,
        slot: U256,
        n: u64,
    ) -> Result<U256, ChainError> {
        self.check(n)?;
        for diff in self.after(n) {
            let Some(prior) = diff.priors.iter().find(|p| p.address == address) else {
                continue;
            };
            if prior.account.is_none() {
                return Ok(U256::ZERO);
            }
            if let Some((_, value)) = prior.slots.iter().find(|(k, _)| *k == slot) {
                return Ok(value.unwrap_or_default());
            }
            if let Some(storage) = &prior.cleared {
                return Ok(storage.get(&slot).copied().unwrap_or_default());
            }
        }
        Ok(latest
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default())
    }
}
