//! The JSON-RPC surface: Ethereum methods wallets, `cast` and alloy-provider use, plus the
//! anvil/hardhat dev methods.

use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{hex, Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{
    state::StateOverride, Block, BlockTransactions, FeeHistory, Filter, FilterBlockOption,
    Header as RpcHeader, Transaction, TransactionReceipt, TransactionRequest,
};
use jsonrpsee::{
    types::{ErrorObjectOwned, Params},
    RpcModule,
};
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::chain::{recovered, Chain, ChainError, MinedBlock, MinedTx};

/// Shared node state behind the RPC methods.
pub type Shared = Arc<Mutex<Chain>>;

/// Client version reported by `web3_clientVersion`.
pub const CLIENT_VERSION: &str = concat!("tidepool-node/v", env!("CARGO_PKG_VERSION"));

type RpcResult = Result<Value, ErrorObjectOwned>;

fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

impl From<ChainError> for ErrorObjectOwned {
    fn from(e: ChainError) -> Self {
        match e {
            // geth's convention, which alloy and cast decode: code 3 with the revert data.
            ChainError::Reverted(data) => ErrorObjectOwned::owned(
                3,
                revert_message(&data),
                Some(format!("0x{}", hex::encode(&data))),
            ),
            ChainError::Internal(m) => err(-32603, m),
            other => err(-32000, other.to_string()),
        }
    }
}

/// "execution reverted", plus the reason when the data is `Error(string)`.
fn revert_message(data: &[u8]) -> String {
    use alloy_sol_types::{Revert, SolError};
    match Revert::abi_decode(data) {
        Ok(r) => format!("execution reverted: {}", r.reason),
        Err(_) => "execution reverted".to_string(),
    }
}

fn to_value<T: serde::Serialize>(v: T) -> RpcResult {
    serde_json::to_value(v).map_err(|e| err(-32603, e.to_string()))
}

fn quantity(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

fn block_number(chain: &Chain, id: Option<BlockId>) -> Result<u64, ErrorObjectOwned> {
    match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
        BlockId::Number(tag) => Ok(chain.resolve(tag)?),
        BlockId::Hash(h) => chain
            .block_by_hash(h.block_hash)
            .map(|b| b.header.number)
            .ok_or_else(|| err(-32000, format!("block {} not found", h.block_hash))),
    }
}

/// A mined transaction as RPC shows it: alloy's fields plus `blockTimestamp`, which geth
/// reports and alloy's 1.x transaction type has no field for.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcTransaction {
    /// The transaction with its block, index and effective gas price.
    #[serde(flatten)]
    pub inner: Transaction,
    /// Timestamp of its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_timestamp: Option<U64>,
}

fn rpc_tx(chain: &Chain, tx: &MinedTx) -> RpcTransaction {
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

fn rpc_receipt(chain: &Chain, hash: B256, tx: &MinedTx) -> TransactionReceipt {
    let timestamp = chain.block(tx.block_number).map(|b| b.header.timestamp);
    let mut index = tx.first_log_index;
    let envelope = tx.receipt_envelope().map_logs(|log| {
        index += 1;
        alloy_rpc_types_eth::Log {
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
    TransactionReceipt {
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
    }
}

fn rpc_block(chain: &Chain, block: &MinedBlock, full: bool) -> Block<RpcTransaction> {
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

fn fee_history(
    chain: &Chain,
    count: u64,
    newest: BlockNumberOrTag,
    pct: Option<Vec<f64>>,
) -> RpcResult {
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
    to_value(FeeHistory {
        base_fee_per_gas: base,
        gas_used_ratio: ratios,
        base_fee_per_blob_gas: Vec::new(),
        blob_gas_used_ratio: Vec::new(),
        oldest_block: oldest,
        reward: pct.map(|_| rewards),
    })
}

fn get_logs(chain: &Chain, filter: Filter) -> RpcResult {
    let latest = chain.block_number();
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(h) => {
            let n = chain
                .block_by_hash(h)
                .map(|b| b.header.number)
                .ok_or_else(|| err(-32000, format!("block {h} not found")))?;
            (n, n)
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let resolve = |b: Option<BlockNumberOrTag>, default: u64| match b {
                None => Ok(default),
                Some(BlockNumberOrTag::Number(n)) => Ok(n.min(latest)),
                Some(tag) => chain.resolve(tag),
            };
            (resolve(from_block, latest)?, resolve(to_block, latest)?)
        }
    };
    if from > to {
        return Err(err(-32000, format!("invalid block range {from}..{to}")));
    }
    to_value(chain.logs(from, to, &filter))
}

/// Builds the RPC module over `chain`.
pub fn module(chain: Shared) -> Result<RpcModule<Shared>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(chain);

    macro_rules! method {
        ($name:literal, |$p:ident, $c:ident| $body:expr) => {
            m.register_method($name, |$p: Params<'_>, shared: &Shared, _| -> RpcResult {
                #[allow(unused_mut)]
                let mut $c = shared.lock();
                $body
            })?;
        };
    }

    method!("web3_clientVersion", |_p, _c| Ok(json!(CLIENT_VERSION)));
    method!("net_version", |_p, c| Ok(json!(c.config().chain_id.to_string())));
    method!("net_listening", |_p, _c| Ok(json!(true)));
    method!("eth_syncing", |_p, _c| Ok(json!(false)));
    method!("eth_chainId", |_p, c| Ok(quantity(c.config().chain_id)));
    method!("eth_blockNumber", |_p, c| Ok(quantity(c.block_number())));
    method!("eth_accounts", |_p, c| to_value(c.accounts()));
    method!("eth_coinbase", |_p, _c| to_value(Address::ZERO));
    method!("eth_gasPrice", |_p, c| to_value(U256::from(c.next_base_fee())));
    method!("eth_maxPriorityFeePerGas", |_p, _c| to_value(U256::ZERO));
    method!("eth_getBalance", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let block = block_number(&c, s.optional_next()?)?;
        to_value(c.account(address, block)?.balance)
    });
    method!("eth_getTransactionCount", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let block = block_number(&c, s.optional_next()?)?;
        Ok(quantity(c.account(address, block)?.nonce))
    });
    method!("eth_getCode", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let block = block_number(&c, s.optional_next()?)?;
        to_value(c.code(address, block)?)
    });
    method!("eth_getStorageAt", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let slot: U256 = s.next()?;
        let block = block_number(&c, s.optional_next()?)?;
        to_value(B256::from(c.storage(address, slot, block)?))
    });
    method!("eth_feeHistory", |p, c| {
        let mut s = p.sequence();
        let count: U64 = s.next()?;
        let newest: BlockNumberOrTag = s.next()?;
        let pct: Option<Vec<f64>> = s.optional_next()?;
        fee_history(&c, count.to(), newest, pct)
    });
    method!("eth_call", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let overrides: Option<StateOverride> = s.optional_next()?;
        let n = block_number(&c, block)?;
        let out = c.call(req, BlockNumberOrTag::Number(n), overrides)?;
        if out.success {
            to_value(out.output)
        } else {
            Err(ChainError::Reverted(out.output).into())
        }
    });
    method!("eth_estimateGas", |p, c| {
        let mut s = p.sequence();
        let req: TransactionRequest = s.next()?;
        let block: Option<BlockId> = s.optional_next()?;
        let overrides: Option<StateOverride> = s.optional_next()?;
        let n = block_number(&c, block)?;
        Ok(quantity(c.estimate_gas(req, BlockNumberOrTag::Number(n), overrides)?))
    });
    method!("eth_sendRawTransaction", |p, c| {
        let raw: Bytes = p.one()?;
        to_value(c.send_raw(&raw)?)
    });
    method!("eth_sendTransaction", |p, c| {
        let req: TransactionRequest = p.one()?;
        to_value(c.send_request(req)?)
    });
    method!("eth_getTransactionReceipt", |p, c| {
        let hash: B256 = p.one()?;
        match c.tx(&hash) {
            Some(tx) => to_value(rpc_receipt(&c, hash, tx)),
            None => Ok(Value::Null),
        }
    });
    method!("eth_getTransactionByHash", |p, c| {
        let hash: B256 = p.one()?;
        match c.tx(&hash) {
            Some(tx) => to_value(rpc_tx(&c, tx)),
            None => Ok(Value::Null),
        }
    });
    method!("eth_getBlockByNumber", |p, c| {
        let mut s = p.sequence();
        let tag: BlockNumberOrTag = s.next()?;
        let full: Option<bool> = s.optional_next()?;
        let Ok(n) = c.resolve(tag) else {
            return Ok(Value::Null);
        };
        match c.block(n) {
            Some(b) => to_value(rpc_block(&c, b, full.unwrap_or(false))),
            None => Ok(Value::Null),
        }
    });
    method!("eth_getBlockByHash", |p, c| {
        let mut s = p.sequence();
        let hash: B256 = s.next()?;
        let full: Option<bool> = s.optional_next()?;
        match c.block_by_hash(hash) {
            Some(b) => to_value(rpc_block(&c, b, full.unwrap_or(false))),
            None => Ok(Value::Null),
        }
    });
    method!("eth_getLogs", |p, c| {
        let filter: Filter = p.one()?;
        get_logs(&c, filter)
    });

    // Dev methods (anvil names, with hardhat aliases where tools use them).
    method!("evm_snapshot", |_p, c| Ok(quantity(c.snapshot())));
    method!("evm_revert", |p, c| {
        let id: U64 = p.one()?;
        Ok(json!(c.revert(id.to())))
    });
    method!("evm_mine", |p, c| {
        let ts: Option<U64> = p.sequence().optional_next().unwrap_or(None);
        c.mine_empty(ts.map(|t| t.to()));
        Ok(json!("0x0"))
    });
    method!("anvil_mine", |p, c| {
        let mut s = p.sequence();
        let count: Option<U64> = s.optional_next()?;
        for _ in 0..count.map(|n| n.to::<u64>()).unwrap_or(1).min(10_000) {
            c.mine_empty(None);
        }
        Ok(Value::Null)
    });
    method!("evm_increaseTime", |p, c| {
        let secs: U64 = p.one().or_else(|_| p.one::<u64>().map(U64::from))?;
        Ok(json!(c.increase_time(secs.to::<u64>() as i64)))
    });
    method!("evm_setNextBlockTimestamp", |p, c| {
        let ts: U64 = p.one().or_else(|_| p.one::<u64>().map(U64::from))?;
        c.set_next_timestamp(ts.to());
        Ok(Value::Null)
    });
    for name in ["anvil_setBalance", "hardhat_setBalance"] {
        m.register_method(name, |p, shared: &Shared, _| -> RpcResult {
            let mut s = p.sequence();
            let address: Address = s.next()?;
            let balance: U256 = s.next()?;
            shared.lock().set_balance(address, balance);
            Ok(json!(true))
        })?;
    }
    for name in ["anvil_setCode", "hardhat_setCode"] {
        m.register_method(name, |p, shared: &Shared, _| -> RpcResult {
            let mut s = p.sequence();
            let address: Address = s.next()?;
            let code: Bytes = s.next()?;
            shared.lock().set_code(address, code)?;
            Ok(json!(true))
        })?;
    }
    method!("anvil_setNonce", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let nonce: U64 = s.next()?;
        c.set_nonce(address, nonce.to());
        Ok(json!(true))
    });
    method!("anvil_setStorageAt", |p, c| {
        let mut s = p.sequence();
        let address: Address = s.next()?;
        let slot: U256 = s.next()?;
        let value: B256 = s.next()?;
        c.set_storage(address, slot, value.into())?;
        Ok(json!(true))
    });
    for name in ["anvil_impersonateAccount", "hardhat_impersonateAccount"] {
        m.register_method(name, |p, shared: &Shared, _| -> RpcResult {
            let address: Address = p.one()?;
            shared.lock().impersonate(address, true);
            Ok(Value::Null)
        })?;
    }
    for name in ["anvil_stopImpersonatingAccount", "hardhat_stopImpersonatingAccount"] {
        m.register_method(name, |p, shared: &Shared, _| -> RpcResult {
            let address: Address = p.one()?;
            shared.lock().impersonate(address, false);
            Ok(Value::Null)
        })?;
    }
    method!("anvil_dumpState", |_p, c| to_value(c.dump()));
    Ok(m)
}
