//! The JSON-RPC namespaces the node serves, as typed traits: each method's name, positional
//! parameters (trailing `Option`s may be left out) and result. `jsonrpsee`'s `rpc` macro
//! generates the parameter parsing and registration from them (`…Server` traits).

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U128, U256, U64};
use alloy_rpc_types_eth::{
    state::StateOverride, AccessListResult, Block, EIP1186AccountProofResponse, FeeHistory, Filter,
    FilterChanges, Log, Transaction, TransactionReceipt, TransactionRequest,
};
use alloy_rpc_types_trace::geth::{GethDebugTracingOptions, GethTrace};
use alloy_rpc_types_txpool::{TxpoolContent, TxpoolInspect, TxpoolStatus};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::chain::StateDump;

/// A mined transaction as RPC shows it: alloy's fields plus `blockTimestamp`, which geth
/// reports and alloy's 1.x transaction type has no field for.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcTransaction {
    /// The transaction with its block, index and effective gas price.
    #[serde(flatten)]
    pub inner: Transaction,
    /// Timestamp of its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_timestamp: Option<U64>,
}

/// A receipt as Arbitrum's RPC shows it: alloy's fields plus Nitro's `gasUsedForL1` and
/// `l1BlockNumber` (which benchmarks such as OpenZeppelin's read to take the L1 part out of
/// `gasUsed`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcReceipt {
    /// The receipt.
    #[serde(flatten)]
    pub inner: TransactionReceipt,
    /// Gas charged for posting the transaction to L1: always 0, since this node has no L1
    /// and charges no L1 data fee.
    #[serde(rename = "gasUsedForL1")]
    pub gas_used_for_l1: U64,
    /// The L1 block number Nitro records for the transaction's block (what `block.number`
    /// returns inside it on Arbitrum). This node has no L1, and its `block.number` is the
    /// block's own number, so that is what it reports.
    pub l1_block_number: U64,
}

/// A quantity given either as a hex string or as a JSON number (dev tools send both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// `"0x…"`.
    Hex(U64),
    /// A plain number.
    Number(u64),
}

impl Quantity {
    /// The value.
    pub fn get(self) -> u64 {
        match self {
            Self::Hex(n) => n.to(),
            Self::Number(n) => n,
        }
    }
}

/// A parameter that is ignored when it does not parse (`evm_mine`'s timestamp: hardhat sends
/// a number, anvil also accepts an options object, which this node ignores).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lenient<T>(pub Option<T>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(serde_json::from_value(value).ok()))
    }
}

/// `web3_*`.
#[rpc(server, namespace = "web3")]
pub trait Web3Api {
    /// Name and version of the node.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;
}

/// `net_*`.
#[rpc(server, namespace = "net")]
pub trait NetApi {
    /// The chain id, in decimal.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;
    /// Always true.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;
}

/// `eth_*`: what wallets, `cast` and alloy-provider use.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// Always false: the node is its own chain.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<bool>;
    /// EIP-155 chain id.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// Latest block number.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;
    /// The dev accounts the node signs for.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;
    /// Always the zero address.
    #[method(name = "coinbase")]
    fn coinbase(&self) -> RpcResult<Address>;
    /// The next block's base fee.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;
    /// Always zero: blocks are mined on demand, nobody needs a tip.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;
    /// Balance at a block (latest by default).
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Nonce at a block.
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// Code at a block.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// A storage slot at a block.
    #[method(name = "getStorageAt")]
    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256>;
    /// Base fees and gas use of recent blocks (rewards are all zero).
    #[method(name = "feeHistory")]
    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// Executes a call without committing it; a revert is error 3 with the revert data.
    #[method(name = "call")]
    fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes>;
    /// The smallest gas limit with which the call succeeds.
    #[method(name = "estimateGas")]
    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<U64>;
    /// Mines a signed transaction in its own block.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;
    /// Signs (dev accounts) or takes as sent (impersonated accounts) and mines a request.
    #[method(name = "sendTransaction")]
    fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256>;
    /// A mined transaction's receipt.
    #[method(name = "getTransactionReceipt")]
    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>>;
    /// A mined transaction.
    #[method(name = "getTransactionByHash")]
    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>>;
    /// A block by number or tag, with full transactions when `full`.
    #[method(name = "getBlockByNumber")]
    fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<RpcTransaction>>>;
    /// A block by hash, with full transactions when `full`.
    #[method(name = "getBlockByHash")]
    fn block_by_hash(
        &self,
        hash: B256,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<RpcTransaction>>>;
    /// Logs matching a filter.
    #[method(name = "getLogs")]
    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
}

/// `evm_*`: the clock, mining and snapshots (hardhat's and anvil's names).
#[rpc(server, namespace = "evm")]
pub trait EvmApi {
    /// Takes a snapshot and returns its id.
    #[method(name = "snapshot")]
    fn snapshot(&self) -> RpcResult<U64>;
    /// Restores a snapshot; it and every later one are consumed.
    #[method(name = "revert")]
    fn revert(&self, id: U64) -> RpcResult<bool>;
    /// Mines an empty block, at `timestamp` if given.
    #[method(name = "mine")]
    fn mine(&self, timestamp: Option<Lenient<U64>>) -> RpcResult<U64>;
    /// Moves the clock forward; returns the total offset in seconds.
    #[method(name = "increaseTime")]
    fn increase_time(&self, seconds: Quantity) -> RpcResult<i64>;
    /// Sets the next block's timestamp.
    #[method(name = "setNextBlockTimestamp")]
    fn set_next_block_timestamp(&self, timestamp: Quantity) -> RpcResult<()>;
}

/// `anvil_*`, with hardhat's aliases where tools use them.
#[rpc(server, namespace = "anvil")]
pub trait AnvilApi {
    /// Mines `count` empty blocks (one by default, at most 10,000).
    #[method(name = "mine")]
    fn mine(&self, count: Option<U64>) -> RpcResult<()>;
    /// Sets an account's balance.
    #[method(name = "setBalance", aliases = ["hardhat_setBalance"])]
    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<bool>;
    /// Sets an account's code.
    #[method(name = "setCode", aliases = ["hardhat_setCode"])]
    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<bool>;
    /// Sets an account's nonce.
    #[method(name = "setNonce")]
    fn set_nonce(&self, address: Address, nonce: U64) -> RpcResult<bool>;
    /// Sets a storage slot.
    #[method(name = "setStorageAt")]
    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool>;
    /// Lets `eth_sendTransaction` send from `address` without its key.
    #[method(name = "impersonateAccount", aliases = ["hardhat_impersonateAccount"])]
    fn impersonate_account(&self, address: Address) -> RpcResult<()>;
    /// Ends [`AnvilApiServer::impersonate_account`].
    #[method(name = "stopImpersonatingAccount", aliases = ["hardhat_stopImpersonatingAccount"])]
    fn stop_impersonating_account(&self, address: Address) -> RpcResult<()>;
    /// The latest state, as `--dump-state` writes it.
    #[method(name = "dumpState")]
    fn dump_state(&self) -> RpcResult<StateDump>;
}

// ---- Filters, the pool and dev-account signing (issue 16's "RPC that real clients call").

/// `eth_*` polled filters, as geth keeps them (see `rpc::filters`).
#[rpc(server, namespace = "eth")]
pub trait EthFilterApi {
    /// Installs a log filter (address and topics as `eth_getLogs` takes them); returns its id.
    #[method(name = "newFilter")]
    fn new_filter(&self, filter: Filter) -> RpcResult<U128>;
    /// Installs a filter reporting new block hashes.
    #[method(name = "newBlockFilter")]
    fn new_block_filter(&self) -> RpcResult<U128>;
    /// Installs a filter reporting the hashes of new transactions.
    #[method(name = "newPendingTransactionFilter")]
    fn new_pending_transaction_filter(&self) -> RpcResult<U128>;
    /// What the filter has not reported yet: logs, or block or transaction hashes.
    #[method(name = "getFilterChanges")]
    fn filter_changes(&self, id: U128) -> RpcResult<FilterChanges>;
    /// Every log a log filter matches.
    #[method(name = "getFilterLogs")]
    fn filter_logs(&self, id: U128) -> RpcResult<Vec<Log>>;
    /// Removes a filter; false when there was none.
    #[method(name = "uninstallFilter")]
    fn uninstall_filter(&self, id: U128) -> RpcResult<bool>;
}

/// `txpool_*`: the transactions waiting for an earlier nonce, in geth's shapes. Every one is
/// "queued": a transaction whose nonce is next is mined at once.
#[rpc(server, namespace = "txpool")]
pub trait TxpoolApi {
    /// How many transactions are pending and queued.
    #[method(name = "status")]
    fn status(&self) -> RpcResult<TxpoolStatus>;
    /// The waiting transactions by sender and nonce.
    #[method(name = "content")]
    fn content(&self) -> RpcResult<TxpoolContent<RpcTransaction>>;
    /// One line per waiting transaction: recipient, value, gas and price.
    #[method(name = "inspect")]
    fn inspect(&self) -> RpcResult<TxpoolInspect>;
}

/// Data to sign: `0x`-prefixed hex, or (as some wallets send it) plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(pub Bytes);

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self(match text.parse::<Bytes>() {
            Ok(bytes) if text.starts_with("0x") => bytes,
            _ => Bytes::from(text.into_bytes()),
        }))
    }
}

/// EIP-712 typed data, as a JSON object or as a string holding one (viem, ethers and
/// MetaMask send the string).
#[derive(Debug, Clone)]
pub struct TypedDataParam(pub alloy_dyn_abi::eip712::TypedData);

impl<'de> Deserialize<'de> for TypedDataParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        let value = match value {
            serde_json::Value::String(s) => serde_json::from_str(&s).map_err(D::Error::custom)?,
            other => other,
        };
        serde_json::from_value(value).map(Self).map_err(D::Error::custom)
    }
}

/// `eth_*` signing with the dev accounts' keys; any other account is geth's "unknown account".
#[rpc(server, namespace = "eth")]
pub trait EthSignApi {
    /// EIP-191 personal-message signature of `message` by `address` (65 bytes, v 27 or 28).
    #[method(name = "sign")]
    fn sign(&self, address: Address, message: Message) -> RpcResult<Bytes>;
    /// EIP-712 signature of typed data by `address`.
    #[method(name = "signTypedData_v4")]
    fn sign_typed_data_v4(&self, address: Address, data: TypedDataParam) -> RpcResult<Bytes>;
}

/// `personal_sign`: `eth_sign` with the parameters the other way round (and a password,
/// which dev accounts do not need).
#[rpc(server, namespace = "personal")]
pub trait PersonalApi {
    /// EIP-191 personal-message signature of `message` by `address`.
    #[method(name = "sign")]
    fn sign(
        &self,
        message: Message,
        address: Address,
        password: Option<String>,
    ) -> RpcResult<Bytes>;
}

// ---- Receipts, proofs, access lists, blob fee and call traces (issue 16) ----

/// `eth_*` beyond the send path: block receipts, proofs, access lists, the blob base fee.
#[rpc(server, namespace = "eth")]
pub trait EthStateApi {
    /// Every receipt of a block, in order; `null` for a block the node does not have.
    #[method(name = "getBlockReceipts")]
    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<RpcReceipt>>>;
    /// The access list a call would use and its gas with that list.
    #[method(name = "createAccessList")]
    fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<AccessListResult>;
    /// An account and storage slots with Merkle proofs (see `chain::Chain::proof` for the
    /// root they verify against). Slots may be short hex quantities, as geth accepts.
    #[method(name = "getProof")]
    fn proof(
        &self,
        address: Address,
        slots: Vec<U256>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse>;
    /// The blob base fee of the latest block (the minimum, 1 wei: the node takes no blobs).
    #[method(name = "blobBaseFee")]
    fn blob_base_fee(&self) -> RpcResult<U256>;
}

/// `debug_*`: call traces.
#[rpc(server, namespace = "debug")]
pub trait DebugApi {
    /// A mined transaction's call tree, with geth's `callTracer` (the only tracer served)
    /// and its `onlyTopCall` and `withLog` options.
    #[method(name = "traceTransaction")]
    fn trace_transaction(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace>;
}
