//! Accounts and storage at a block: the latest state, or an older one through the history.

use std::borrow::Cow;

use revm::{
    primitives::{Address, Bytes, U256},
    state::AccountInfo,
};

use super::{types::ChainError, Chain};
use crate::evm::Db;

impl Chain {
    /// The state database at block `n`: the latest one, or a copy rebuilt from the history.
    pub(super) fn db_at(&self, n: u64) -> Result<Cow<'_, Db>, ChainError> {
        if n == self.block_number() {
            return Ok(Cow::Borrowed(&self.db));
        }
        self.history.rebuild(&self.db, n).map(Cow::Owned)
    }

    /// Account info at a block.
    pub fn account(&self, address: Address, block: u64) -> Result<AccountInfo, ChainError> {
        Ok(self.history.account(&self.db, address, block)?.cloned().unwrap_or_default())
    }

    /// Code at a block.
    pub fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        let Some(info) = self.history.account(&self.db, address, block)? else {
            return Ok(Bytes::new());
        };
        if let Some(code) = &info.code {
            return Ok(code.original_bytes());
        }
        // Code is stored once per hash and never removed, so the latest map has old code too.
        Ok(self
            .db
            .cache
            .contracts
            .get(&info.code_hash)
            .map(|c| c.original_bytes())
            .unwrap_or_default())
    }

    /// A storage slot at a block.
    pub fn storage(&self, address: Address, slot: U256, block: u64) -> Result<U256, ChainError> {
        self.history.storage(&self.db, address, slot, block)
    }
}
