//! Blocks and the clock: headers, base fees, timestamps, block tags, and logs.

use alloy_consensus::Header;
use alloy_eips::{eip1559::BaseFeeParams, BlockNumberOrTag};
use alloy_primitives::B64;
use revm::{
    context::{BlockEnv, CfgEnv},
    primitives::{Address, B256, U256},
};

use super::{
    now,
    types::{ChainError, MinedBlock, MinedTx},
    Chain,
};
use crate::evm::SPEC;

impl Chain {
    pub(super) fn empty_header() -> Header {
        Header {
            ommers_hash: alloy_consensus::EMPTY_OMMER_ROOT_HASH,
            transactions_root: alloy_consensus::EMPTY_ROOT_HASH,
            receipts_root: alloy_consensus::EMPTY_ROOT_HASH,
            withdrawals_root: Some(alloy_consensus::EMPTY_ROOT_HASH),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH),
            nonce: B64::ZERO,
            ..Default::default()
        }
    }

    pub(super) fn push_block(&mut self, header: Header, txs: Vec<B256>) -> B256 {
        let hash = header.hash_slow();
        self.block_by_hash.insert(hash, header.number);
        // What BLOCKHASH and ArbSys's arbBlockHash answer: the real header hash (the empty
        // database under the cache would otherwise invent one from the number).
        self.db.cache.block_hashes.insert(U256::from(header.number), hash);
        self.blocks.push(MinedBlock { header, hash, txs });
        hash
    }

    /// Base fee the next block will have (EIP-1559 from the latest block).
    pub fn next_base_fee(&self) -> u64 {
        let h = &self.latest().header;
        // The first block keeps the configured base fee, as anvil does, so fee figures match.
        if h.number == self.first_block {
            return h.base_fee_per_gas.unwrap_or(0);
        }
        alloy_eips::eip1559::calc_next_block_base_fee(
            h.gas_used,
            h.gas_limit,
            h.base_fee_per_gas.unwrap_or(0),
            BaseFeeParams::ethereum(),
        )
    }

    /// The blob base fee of the latest block, from its excess blob gas: the minimum (1 wei),
    /// since the node takes no blob transactions and every header carries 0.
    pub fn blob_base_fee(&self) -> u128 {
        let excess = self.latest().header.excess_blob_gas.unwrap_or(0);
        alloy_eips::eip7840::BlobParams::prague().calc_blob_fee(excess)
    }

    pub(super) fn next_block_timestamp(&mut self) -> u64 {
        let prev = self.latest().header.timestamp;
        let wanted = match self.next_timestamp.take() {
            Some(t) => t,
            None => now().saturating_add_signed(self.time_offset),
        };
        wanted.max(prev + 1)
    }

    pub(super) fn block_env(&self, number: u64, timestamp: u64, base_fee: u64) -> BlockEnv {
        BlockEnv {
            number: U256::from(number),
            beneficiary: Address::ZERO,
            timestamp: U256::from(timestamp),
            gas_limit: self.config.block_gas_limit,
            basefee: base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(B256::ZERO),
            ..Default::default()
        }
    }

    pub(super) fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = self.config.chain_id;
        // Stylus code starts with 0xEF, which EIP-3541 would refuse to deploy.
        cfg.disable_eip3541 = true;
        cfg.disable_eip7623 = !self.config.calldata_floor;
        cfg
    }

    /// Resolves a block tag to a block number the node has.
    pub fn resolve(&self, tag: BlockNumberOrTag) -> Result<u64, ChainError> {
        let latest = self.block_number();
        let n = match tag {
            BlockNumberOrTag::Latest
            | BlockNumberOrTag::Pending
            | BlockNumberOrTag::Safe
            | BlockNumberOrTag::Finalized => latest,
            BlockNumberOrTag::Earliest => self.first_block,
            BlockNumberOrTag::Number(n) => n,
        };
        if n > latest || n < self.first_block {
            return Err(ChainError::NotFound(format!("block {n} not found")));
        }
        Ok(n)
    }

    /// The block with number `n`.
    pub fn block(&self, n: u64) -> Option<&MinedBlock> {
        let idx = n.checked_sub(self.first_block)?;
        self.blocks.get(usize::try_from(idx).ok()?)
    }

    /// The block with hash `hash`.
    pub fn block_by_hash(&self, hash: B256) -> Option<&MinedBlock> {
        self.block_by_hash.get(&hash).and_then(|n| self.block(*n))
    }

    /// A mined transaction.
    pub fn tx(&self, hash: &B256) -> Option<&MinedTx> {
        self.txs.get(hash)
    }

    /// Logs of blocks `from..=to` matching the filter.
    pub fn logs(
        &self,
        from: u64,
        to: u64,
        filter: &alloy_rpc_types_eth::Filter,
    ) -> Vec<alloy_rpc_types_eth::Log> {
        let mut out = Vec::new();
        for n in from..=to {
            let Some(block) = self.block(n) else { continue };
            let mut log_index = 0u64;
            for (ti, hash) in block.txs.iter().enumerate() {
                let Some(tx) = self.txs.get(hash) else { continue };
                for log in &tx.logs {
                    if filter.matches(log) {
                        out.push(alloy_rpc_types_eth::Log {
                            inner: log.clone(),
                            block_hash: Some(block.hash),
                            block_number: Some(n),
                            block_timestamp: Some(block.header.timestamp),
                            transaction_hash: Some(*hash),
                            transaction_index: Some(ti as u64),
                            log_index: Some(log_index),
                            removed: false,
                        });
                    }
                    log_index += 1;
                }
            }
        }
        out
    }
}
