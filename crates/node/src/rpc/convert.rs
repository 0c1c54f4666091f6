//! Chain values in their JSON-RPC shapes: transactions, receipts, blocks, fee history, logs.

use alloy_consensus::transaction::Recovered;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U256, U64};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, FeeHistory, Filter, FilterBlockOption, Header as RpcHeader, Log,
    Transaction, TransactionReceipt,
};
use jsonrpsee::types::ErrorObjectOwned;

use super::{
    api::{RpcReceipt, RpcTransaction},
    error::server_error,
};
use crate::chain::{recovered, Chain, MinedBlock, MinedTx, PooledTx};

pub(crate) fn block_number(chain: &Chain, id: Option<BlockId>) -> Result<u64, ErrorObjectOwned> {
    match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
        BlockId::Number(tag) => Ok(chain.resolve(tag)?),
        BlockId::Hash(h) => chain
            .block_by_hash(h.block_hash)
            .map(|b| b.header.number)
            .ok_or_else(|| server_error(format!("block {} not found", h.block_hash))),
    }
}

pub(crate) fn rpc_tx(chain: &Chain, tx: &MinedTx) -> RpcTransaction {
    let inner = Transaction {
        inner: recovered(tx),
        block_hash: Some(tx.block_hash),
        block_number: Some(tx.block_number),
        transaction_index: Some(tx.index),
        effective_gas_price: Some(tx.effective_gas_price),
    };
    let block_timestamp = chain.block(tx.block_number).map(|b| U64::from(b.header.timestamp));
    RpcTransaction { inner, block_timestamp }
}

/// A transaction waiting in the pool: no block yet, as geth shows pending ones.
pub(crate) fn rpc_pooled_tx(tx: &PooledTx) -> RpcTransaction {
    let inner = Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.from),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
    };
    RpcTransaction { inner, block_timestamp: None }
}

pub(crate) fn rpc_receipt(chain: &Chain, hash: B256, tx: &MinedTx) -> RpcReceipt {
    let timestamp = chain.block(tx.block_number).map(|b| b.header.timestamp);
    let mut index = tx.first_log_index;
    let envelope = tx.receipt_envelope().map_logs(|log| {
        index += 1;
        Log {
            inner: log,
            block_hash: Some(tx.block_hash),
            block_number: Some(tx.block_number),
            block_timestamp: timestamp,
            transaction_hash: Some(hash),
            transaction_index: Some(tx.index),
            log_index: Some(index - 1),
            removed: false,
        }
    });
    let inner = TransactionReceipt {
        inner: envelope,
        transaction_hash: hash,
        transaction_index: Some(tx.index),
        block_hash: Some(tx.block_hash),
        block_number: Some(tx.block_number),
        gas_used: tx.gas_used,
        effective_gas_price: tx.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.from,
        to: alloy_consensus::Transaction::to(&tx.envelope),
        contract_address: tx.contract_address,
    };
    RpcReceipt { inner, gas_used_for_l1: U64::ZERO, l1_block_number: U64::from(tx.block_number) }
}

pub(crate) fn rpc_block(chain: &Chain, block: &MinedBlock, full: bool) -> Block<RpcTransaction> {
    let transactions = if full {
        BlockTransactions::Full(
            block.txs.iter().filter_map(|h| chain.tx(h)).map(|t| rpc_tx(chain, t)).collect(),
        )
    } else {
        BlockTransactions::Hashes(block.txs.clone())
    };
    Block {
        header: RpcHeader {
            hash: block.hash,
            inner: block.header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(alloy_rlp::Encodable::length(&block.header))),
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: Some(Default::default()),
    }
}

pub(crate) fn fee_history(
    chain: &Chain,
    count: u64,
    newest: BlockNumberOrTag,
    pct: Option<Vec<f64>>,
) -> Result<FeeHistory, ErrorObjectOwned> {
    let newest = chain.resolve(newest)?;
    let count = count.clamp(1, 1024);
    let oldest = newest
        .saturating_add(1)
        .saturating_sub(count)
        .max(chain.resolve(BlockNumberOrTag::Earliest).unwrap_or_default());
    let mut base = Vec::new();
    let mut ratios = Vec::new();
    let mut rewards = Vec::new();
    for n in oldest..=newest {
        let Some(b) = chain.block(n) else { continue };
        base.push(u128::from(b.header.base_fee_per_gas.unwrap_or(0)));
        ratios.push(b.header.gas_used as f64 / b.header.gas_limit.max(1) as f64);
        if let Some(p) = &pct {
            rewards.push(vec![0u128; p.len()]);
        }
    }
    base.push(u128::from(chain.next_base_fee()));
    Ok(FeeHistory {
        base_fee_per_gas: base,
        gas_used_ratio: ratios,
        base_fee_per_blob_gas: Vec::new(),
        blob_gas_used_ratio: Vec::new(),
        oldest_block: oldest,
        reward: pct.map(|_| rewards),
    })
}

/// The blocks a log filter names: `fromBlock` and `toBlock` with tags resolved against the
/// chain and numbers as given (`None` when absent), or the one block a block hash names.
/// `eth_getLogs` and the log filters of `eth_newFilter` both read them here.
pub(crate) fn filter_bounds(
    chain: &Chain,
    option: &FilterBlockOption,
) -> Result<(Option<u64>, Option<u64>), ErrorObjectOwned> {
    match option {
        FilterBlockOption::AtBlockHash(h) => {
            let n = chain
                .block_by_hash(*h)
                .map(|b| b.header.number)
                .ok_or_else(|| server_error(format!("block {h} not found")))?;
            Ok((Some(n), Some(n)))
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let resolve = |b: &Option<BlockNumberOrTag>| match b {
                None => Ok(None),
                Some(BlockNumberOrTag::Number(n)) => Ok(Some(*n)),
                Some(tag) => chain.resolve(*tag).map(Some),
            };
            Ok((resolve(from_block)?, resolve(to_block)?))
        }
    }
}

/// `eth_getLogs`: absent bounds mean the latest block, and numbers past it stop there.
pub(crate) fn get_logs(chain: &Chain, filter: &Filter) -> Result<Vec<Log>, ErrorObjectOwned> {
    let latest = chain.block_number();
    let (from, to) = filter_bounds(chain, &filter.block_option)?;
    let (from, to) = (from.unwrap_or(latest).min(latest), to.unwrap_or(latest).min(latest));
    if from > to {
        return Err(server_error(format!("invalid block range {from}..{to}")));
    }
    Ok(chain.logs(from, to, filter))
}
