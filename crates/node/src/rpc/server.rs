//! The namespaces' implementation over one shared [`Chain`]: each method locks the chain for
//! its whole duration, so requests are answered one at a time, in order.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use alloy_consensus::Transaction as _;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, Signature, B256, U128, U256, U64};
use alloy_rpc_types_eth::{
    state::StateOverride, AccessListResult, Block, EIP1186AccountProofResponse, FeeHistory, Filter,
    FilterChanges, Log, TransactionRequest,
};
use alloy_rpc_types_trace::geth::{
    GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingOptions, GethTrace,
};
use alloy_rpc_types_txpool::{TxpoolContent, TxpoolInspect, TxpoolInspectSummary, TxpoolStatus};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::core::RpcResult;
use parking_lot::Mutex;

use super::{
    api::{
        AnvilApiServer, DebugApiServer, EthApiServer, EthFilterApiServer, EthSignApiServer,
        EthStateApiServer, EvmApiServer, Lenient, Message, NetApiServer, PersonalApiServer,
        Quantity, RpcReceipt, RpcTransaction, TxpoolApiServer, TypedDataParam, Web3ApiServer,
    },
    convert::{block_number, fee_history, get_logs, rpc_block, rpc_pooled_tx, rpc_receipt, rpc_tx},
    error::err,
    filters::{FilterKind, Filters, FILTER_TIMEOUT},
};
use crate::chain::{Chain, ChainError, MinedBlock, StateDump};

/// Shared node state behind the RPC methods.
pub type Shared = Arc<Mutex<Chain>>;

/// Client version reported by `web3_clientVersion`.
pub const CLIENT_VERSION: &str = concat!("tidepool-node/v", env!("CARGO_PKG_VERSION"));

/// Most blocks one `anvil_mine` call mines.
const MAX_MINED: u64 = 10_000;

/// Serves every namespace over one chain.
#[derive(Clone)]
pub struct Rpc {
    pub(super) chain: Shared,
    /// Locked after `chain` when both are needed.
    filters: Arc<Mutex<Filters>>,
}

impl Rpc {
    /// The RPC over `chain`.
    pub fn new(chain: Shared) -> Self {
        Self { chain, filters: Arc::new(Mutex::new(Filters::new(FILTER_TIMEOUT))) }
    }

    /// Runs `f` on the chain at `block` (the latest when absent) as a block number, holding
    /// the lock throughout so the block cannot change under it.
    fn at_block<T>(
        &self,
        block: Option<BlockId>,
        f: impl FnOnce(&mut Chain, u64) -> Result<T, ChainError>,
    ) -> RpcResult<T> {
        let mut c = self.chain.lock();
        let n = block_number(&c, block)?;
        Ok(f(&mut c, n)?)
    }

    /// The block `find` picks, as RPC JSON with full transactions when `full` says so.
    fn find_block(
        &self,
        full: Option<bool>,
        find: impl FnOnce(&Chain) -> Option<&MinedBlock>,
    ) -> Option<Block<RpcTransaction>> {
        let c = self.chain.lock();
        find(&c).map(|b| rpc_block(&c, b, full.unwrap_or(false)))
    }
}

impl Web3ApiServer for Rpc {
    fn client_version(&self) -> RpcResult<String> {
        Ok(CLIENT_VERSION.to_string())
    }
}

impl NetApiServer for Rpc {
    fn version(&self) -> RpcResult<String> {
        Ok(self.chain.lock().config().chain_id.to_string())
    }

    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }
}

impl EthApiServer for Rpc {
    fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }

    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.lock().config().chain_id))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.lock().block_number()))
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.chain.lock().accounts())
    }

    fn coinbase(&self) -> RpcResult<Address> {
        Ok(Address::ZERO)
    }

    fn gas_price(&self) -> RpcResult<U256> {
        Ok(U256::from(self.chain.lock().next_base_fee()))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::ZERO)
    }

    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        self.at_block(block, |c, n| Ok(c.account(address, n)?.balance))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        if block == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
            return Ok(U64::from(self.chain.lock().pending_nonce(address)?));
        }
        self.at_block(block, |c, n| Ok(U64::from(c.account(address, n)?.nonce)))
    }

    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        self.at_block(block, |c, n| c.code(address, n))
    }

    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256> {
        self.at_block(block, |c, n| Ok(B256::from(c.storage(address, slot, n)?)))
    }

    fn fee_history(
        &self,
        count: U64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        fee_history(&self.chain.lock(), count.to(), newest, percentiles)
    }

    fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes> {
        let out =
            self.at_block(block, |c, n| c.call(request, BlockNumberOrTag::Number(n), overrides))?;
        if out.success {
            Ok(out.output)
        } else {
            Err(ChainError::Reverted(out.output).into())
        }
    }

    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        self.at_block(block, |c, n| {
            Ok(U64::from(c.estimate_gas(request, BlockNumberOrTag::Number(n), overrides)?))
        })
    }

    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        Ok(self.chain.lock().send_raw(&raw)?)
    }

    fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256> {
        Ok(self.chain.lock().send_request(request)?)
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>> {
        let c = self.chain.lock();
        Ok(c.tx(&hash).map(|tx| rpc_receipt(&c, hash, tx)))
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>> {
        let c = self.chain.lock();
        Ok(c.tx(&hash).map(|tx| rpc_tx(&c, tx)).or_else(|| c.pooled(&hash).map(rpc_pooled_tx)))
    }

    fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<RpcTransaction>>> {
        // A tag that names no block yet (a future number) finds none rather than failing.
        Ok(self.find_block(full, |c| c.resolve(number).ok().and_then(|n| c.block(n))))
    }

    fn block_by_hash(
        &self,
        hash: B256,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<RpcTransaction>>> {
        Ok(self.find_block(full, |c| c.block_by_hash(hash)))
    }

    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        get_logs(&self.chain.lock(), &filter)
    }
}

impl EvmApiServer for Rpc {
    fn snapshot(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.lock().snapshot()))
    }

    fn revert(&self, id: U64) -> RpcResult<bool> {
        Ok(self.chain.lock().revert(id.to()))
    }

    fn mine(&self, timestamp: Option<Lenient<U64>>) -> RpcResult<U64> {
        let timestamp = timestamp.and_then(|t| t.0).map(|t| t.to());
        self.chain.lock().mine_empty(timestamp);
        Ok(U64::ZERO)
    }

    fn increase_time(&self, seconds: Quantity) -> RpcResult<i64> {
        Ok(self.chain.lock().increase_time(seconds.get() as i64))
    }

    fn set_next_block_timestamp(&self, timestamp: Quantity) -> RpcResult<()> {
        self.chain.lock().set_next_timestamp(timestamp.get());
        Ok(())
    }
}

impl AnvilApiServer for Rpc {
    fn mine(&self, count: Option<U64>) -> RpcResult<()> {
        let mut c = self.chain.lock();
        for _ in 0..count.map(|n| n.to::<u64>()).unwrap_or(1).min(MAX_MINED) {
            c.mine_empty(None);
        }
        Ok(())
    }

    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<bool> {
        self.chain.lock().set_balance(address, balance);
        Ok(true)
    }

    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<bool> {
        self.chain.lock().set_code(address, code)?;
        Ok(true)
    }

    fn set_nonce(&self, address: Address, nonce: U64) -> RpcResult<bool> {
        self.chain.lock().set_nonce(address, nonce.to());
        Ok(true)
    }

    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool> {
        self.chain.lock().set_storage(address, slot, value.into())?;
        Ok(true)
    }

    fn impersonate_account(&self, address: Address) -> RpcResult<()> {
        self.chain.lock().impersonate(address, true);
        Ok(())
    }

    fn stop_impersonating_account(&self, address: Address) -> RpcResult<()> {
        self.chain.lock().impersonate(address, false);
        Ok(())
    }

    fn dump_state(&self) -> RpcResult<StateDump> {
        Ok(self.chain.lock().dump())
    }
}

// ---- Filters, the pool and dev-account signing.

impl Rpc {
    fn install(&self, kind: FilterKind) -> U128 {
        let c = self.chain.lock();
        self.filters.lock().install(&c, kind, Instant::now())
    }

    /// Signs with `address`'s dev key.
    fn sign_with(
        &self,
        address: Address,
        sign: impl FnOnce(&PrivateKeySigner) -> alloy_signer::Result<Signature>,
    ) -> RpcResult<Bytes> {
        let c = self.chain.lock();
        let signature =
            sign(c.dev_signer(address)?).map_err(|e| ChainError::Signature(e.to_string()))?;
        Ok(Bytes::from(signature.as_bytes()))
    }
}

impl EthFilterApiServer for Rpc {
    fn new_filter(&self, filter: Filter) -> RpcResult<U128> {
        Ok(self.install(FilterKind::Logs(Box::new(filter))))
    }

    fn new_block_filter(&self) -> RpcResult<U128> {
        Ok(self.install(FilterKind::Blocks))
    }

    fn new_pending_transaction_filter(&self) -> RpcResult<U128> {
        Ok(self.install(FilterKind::PendingTransactions))
    }

    fn filter_changes(&self, id: U128) -> RpcResult<FilterChanges> {
        let c = self.chain.lock();
        self.filters.lock().changes(&c, id, Instant::now())
    }

    fn filter_logs(&self, id: U128) -> RpcResult<Vec<Log>> {
        let c = self.chain.lock();
        self.filters.lock().logs(&c, id, Instant::now())
    }

    fn uninstall_filter(&self, id: U128) -> RpcResult<bool> {
        Ok(self.filters.lock().uninstall(id, Instant::now()))
    }
}

impl TxpoolApiServer for Rpc {
    fn status(&self) -> RpcResult<TxpoolStatus> {
        Ok(TxpoolStatus { pending: 0, queued: self.chain.lock().pool().count() as u64 })
    }

    fn content(&self) -> RpcResult<TxpoolContent<RpcTransaction>> {
        let mut content = TxpoolContent::default();
        for tx in self.chain.lock().pool() {
            let by_nonce: &mut BTreeMap<_, _> = content.queued.entry(tx.from).or_default();
            by_nonce.insert(tx.nonce().to_string(), rpc_pooled_tx(tx));
        }
        Ok(content)
    }

    fn inspect(&self) -> RpcResult<TxpoolInspect> {
        let mut inspect = TxpoolInspect::default();
        for tx in self.chain.lock().pool() {
            let e = &tx.envelope;
            let summary = TxpoolInspectSummary {
                to: e.to(),
                value: e.value(),
                gas: e.gas_limit(),
                gas_price: e.max_fee_per_gas(),
            };
            let by_nonce: &mut BTreeMap<_, _> = inspect.queued.entry(tx.from).or_default();
            by_nonce.insert(tx.nonce().to_string(), summary);
        }
        Ok(inspect)
    }
}

impl EthSignApiServer for Rpc {
    fn sign(&self, address: Address, message: Message) -> RpcResult<Bytes> {
        self.sign_with(address, |s| s.sign_message_sync(&message.0))
    }

    fn sign_typed_data_v4(&self, address: Address, data: TypedDataParam) -> RpcResult<Bytes> {
        self.sign_with(address, |s| s.sign_dynamic_typed_data_sync(&data.0))
    }
}

impl PersonalApiServer for Rpc {
    fn sign(
        &self,
        message: Message,
        address: Address,
        _password: Option<String>,
    ) -> RpcResult<Bytes> {
        EthSignApiServer::sign(self, address, message)
    }
}

// ---- Receipts, proofs, access lists, blob fee and call traces (issue 16) ----

impl EthStateApiServer for Rpc {
    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<RpcReceipt>>> {
        let c = self.chain.lock();
        // A block the node does not have is `null`, as geth answers.
        let Ok(n) = block_number(&c, Some(block)) else { return Ok(None) };
        Ok(c.block(n).map(|b| {
            b.txs.iter().filter_map(|h| c.tx(h).map(|tx| rpc_receipt(&c, *h, tx))).collect()
        }))
    }

    fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<AccessListResult> {
        self.at_block(block, |c, n| {
            c.create_access_list(request, BlockNumberOrTag::Number(n), overrides)
        })
    }

    fn proof(
        &self,
        address: Address,
        slots: Vec<U256>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        let slots: Vec<B256> = slots.into_iter().map(B256::from).collect();
        self.at_block(block, |c, n| c.proof(address, &slots, n))
    }

    fn blob_base_fee(&self) -> RpcResult<U256> {
        Ok(U256::from(self.chain.lock().blob_base_fee()))
    }
}

impl DebugApiServer for Rpc {
    fn trace_transaction(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace> {
        let options = options.unwrap_or_default();
        let call_tracer =
            GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer);
        if options.tracer.as_ref() != Some(&call_tracer) {
            return Err(err(-32602, "only {\"tracer\": \"callTracer\"} is supported by this node"));
        }
        let config = options
            .tracer_config
            .into_call_config()
            .map_err(|e| err(-32602, format!("invalid callTracer config: {e}")))?;
        let frame = self.chain.lock().trace_transaction(hash, config)?;
        Ok(GethTrace::CallTracer(frame))
    }
}
