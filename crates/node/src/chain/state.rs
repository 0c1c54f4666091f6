//! Accounts and storage at a block: the latest state or one kept in the history.

use revm::{
    primitives::{Address, Bytes, U256},
    state::AccountInfo,
};

use super::{types::ChainError, Chain};
use crate::evm::Db;

impl Chain {
    /// The state database at block `n` (latest or within the kept history).
    pub(super) fn db_at(&self, n: u64) -> Result<&Db, ChainError> {
        if n == self.block_number() {
            return Ok(&self.db);
        }
        self.history.iter().find(|(b, _)| *b == n).map(|(_, db)| db).ok_or_else(|| {
            ChainError::NotFound(format!(
                "state of block {n} is no longer kept (history of {} blocks)",
                self.config.state_history
            ))
        })
    }

    /// Account info at a block.
    pub fn account(&self, address: Address, block: u64) -> Result<AccountInfo, ChainError> {
        let db = self.db_at(block)?;
        Ok(db.cache.accounts.get(&address).map(|a| a.info.clone()).unwrap_or_default())
    }

    /// Code at a block.
    pub fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        let db = self.db_at(block)?;
        let Some(acc) = db.cache.accounts.get(&address) else {
            return Ok(Bytes::new());
        };
        if let Some(code) = &acc.info.code {
            return Ok(code.original_bytes());
        }
        Ok(db
            .cache
            .contracts
            .get(&acc.info.code_hash)
            .map(|c| c.original_bytes())
            .unwrap_or_default())
    }

    /// A storage slot at a block.
    pub fn storage(&self, address: Address, slot: U256, block: u64) -> Result<U256, ChainError> {
        let db = self.db_at(block)?;
        Ok(db
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default())
    }
}
