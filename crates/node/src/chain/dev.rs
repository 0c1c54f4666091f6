//! The anvil/hardhat dev methods: mining empty blocks, moving the clock, snapshots, and
//! setting balances, code, nonces, storage and impersonation.

use alloy_consensus::Header;
use revm::{
    primitives::{Address, Bytes, U256},
    state::Bytecode,
};

use super::{types::ChainError, Chain, Snapshot};

impl Chain {
    /// Mines an empty block (`evm_mine`), optionally at a given timestamp.
    pub fn mine_empty(&mut self, timestamp: Option<u64>) -> u64 {
        if let Some(t) = timestamp {
            self.next_timestamp = Some(t);
        }
        let number = self.block_number() + 1;
        let timestamp = self.next_block_timestamp();
        let base_fee = self.next_base_fee();
        self.history.prune(number);
        let header = Header {
            parent_hash: self.latest().hash,
            number,
            timestamp,
            gas_limit: self.config.block_gas_limit,
            base_fee_per_gas: Some(base_fee),
            ..Self::empty_header()
        };
        self.push_block(header, Vec::new());
        self.beacon_block(number, timestamp, &[]);
        number
    }

    /// Moves the clock forward by `seconds` (`evm_increaseTime`); returns the total offset.
    pub fn increase_time(&mut self, seconds: i64) -> i64 {
        self.time_offset = self.time_offset.saturating_add(seconds);
        self.time_offset
    }

    /// Sets the timestamp of the next block (`evm_setNextBlockTimestamp`).
    pub fn set_next_timestamp(&mut self, timestamp: u64) {
        self.next_timestamp = Some(timestamp);
    }

    /// Takes a snapshot (`evm_snapshot`) and returns its id.
    pub fn snapshot(&mut self) -> u64 {
        let id = self.next_snapshot;
        self.next_snapshot += 1;
        self.snapshots.insert(
            id,
            Snapshot {
                db: self.db.clone(),
                blocks: self.blocks.len(),
                time_offset: self.time_offset,
                beacon: self.beacon.clone(),
            },
        );
        id
    }

    /// Restores a snapshot (`evm_revert`); it and every later snapshot are consumed.
    pub fn revert(&mut self, id: u64) -> bool {
        let Some(snap) = self.snapshots.remove(&id) else {
            return false;
        };
        self.snapshots.retain(|k, _| *k < id);
        for block in self.blocks.drain(snap.blocks..) {
            self.block_by_hash.remove(&block.hash);
            for tx in block.txs {
                self.txs.remove(&tx);
            }
        }
        self.db = snap.db;
        self.time_offset = snap.time_offset;
        self.beacon = snap.beacon;
        let latest = self.block_number();
        self.history.truncate(latest);
        self.reverts.push(latest);
        self.next_timestamp = None;
        true
    }

    /// Sets an account's balance (`anvil_setBalance`).
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        let mut info = self.account(address, self.block_number()).unwrap_or_default();
        info.balance = balance;
        self.db.insert_account_info(address, info);
    }

    /// Sets an account's code (`anvil_setCode`).
    pub fn set_code(&mut self, address: Address, code: Bytes) -> Result<(), ChainError> {
        let mut info = self.account(address, self.block_number()).unwrap_or_default();
        let bytecode =
            Bytecode::new_raw_checked(code).map_err(|e| ChainError::Invalid(e.to_string()))?;
        info.code_hash = bytecode.hash_slow();
        info.code = Some(bytecode);
        self.db.insert_account_info(address, info);
        Ok(())
    }

    /// Sets an account's nonce (`anvil_setNonce`).
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        let mut info = self.account(address, self.block_number()).unwrap_or_default();
        info.nonce = nonce;
        self.db.insert_account_info(address, info);
        // Queued transactions may now be due, or stale.
        self.promote(address);
    }

    /// Sets a storage slot (`anvil_setStorageAt`).
    pub fn set_storage(
        &mut self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(), ChainError> {
        self.db
            .insert_account_storage(address, slot, value)
            .map_err(|e| ChainError::Internal(format!("{e:?}")))
    }

    /// Lets `eth_sendTransaction` send from `address` without its key.
    pub fn impersonate(&mut self, address: Address, on: bool) {
        if on {
            self.impersonated.insert(address);
        } else {
            self.impersonated.remove(&address);
        }
    }
}
