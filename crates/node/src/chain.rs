//! The chain: state, blocks, transactions, receipts and logs of an automining dev node.

use std::collections::{HashMap, HashSet, VecDeque};

use alloy_consensus::{
    transaction::{Recovered, SignerRecoverable},
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction, Signed,
    Transaction as _, TxEnvelope, TxLegacy, TxType, TypedTransaction,
};
/// Types [`Chain`]'s methods take, for callers on another alloy line.
pub use alloy_eips::BlockNumberOrTag;
use alloy_eips::{eip1559::BaseFeeParams, eip2718::Encodable2718};
use alloy_network::TxSignerSync;
use alloy_primitives::{Signature, TxKind, B64};
use alloy_rpc_types_eth::state::StateOverride;
pub use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use revm::{
    context::{result::ExecutionResult, BlockEnv, CfgEnv, TxEnv},
    context_interface::result::{EVMError, InvalidTransaction},
    database::{CacheDB, EmptyDB},
    handler::ExecuteEvm,
    primitives::{Address, Bytes, Log, B256, U256},
    state::{AccountInfo, Bytecode},
    DatabaseCommit,
};
use serde::{Deserialize, Serialize};

use tidepool_stylus_vm::program::ProgramCache;

use crate::evm::{arbwasm, arbwasmcache, build_evm, Ctx, Db, FrameProfile, SPEC};

/// The standard development mnemonic (anvil, hardhat).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// A transaction runs on a fresh native stack segment of [`TX_STACK_SEGMENT`] bytes unless
/// this much is left: nested Stylus frames need far more stack than a thread's default in
/// unoptimised builds (each nested call also grows its own segment, see `evm::host`).
const TX_STACK_RED_ZONE: usize = 16 * 1024 * 1024;
/// See [`TX_STACK_RED_ZONE`].
const TX_STACK_SEGMENT: usize = 64 * 1024 * 1024;

/// Settings of a chain.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Gas limit of every block.
    pub block_gas_limit: u64,
    /// Base fee of the genesis block (later blocks follow EIP-1559).
    pub initial_base_fee: u64,
    /// Number of dev accounts derived from [`DEV_MNEMONIC`].
    pub dev_accounts: usize,
    /// Balance of each dev account, in wei.
    pub dev_balance: U256,
    /// Genesis timestamp; `None` means now.
    pub genesis_timestamp: Option<u64>,
    /// How many past blocks keep their state for `eth_call` at an older block tag.
    pub state_history: usize,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 412_346,
            block_gas_limit: 30_000_000,
            initial_base_fee: 1_000_000_000,
            dev_accounts: 10,
            dev_balance: U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64)),
            genesis_timestamp: None,
            state_history: 64,
        }
    }
}

/// Why a request failed; each maps to a JSON-RPC error with this message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The raw transaction does not decode.
    #[error("failed to decode signed transaction: {0}")]
    Decode(String),
    /// The signature does not recover a sender.
    #[error("invalid signature: {0}")]
    Signature(String),
    /// EIP-155 chain id differs from the node's.
    #[error("invalid chain id: transaction has {got}, node is {expected}")]
    ChainId {
        /// The node's chain id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// The transaction was rejected before execution (nonce, funds, gas, fees).
    #[error("{0}")]
    Invalid(String),
    /// `eth_sendTransaction` from an account the node holds no key for.
    #[error("no key for account {0}; use one of eth_accounts or anvil_impersonateAccount")]
    UnknownAccount(Address),
    /// A block tag or hash names nothing the node has.
    #[error("{0}")]
    NotFound(String),
    /// Execution reverted (eth_call / eth_estimateGas).
    #[error("execution reverted")]
    Reverted(Bytes),
    /// Execution halted (out of gas, invalid opcode, trap) during eth_call / eth_estimateGas.
    #[error("execution halted: {0}")]
    Halted(String),
    /// State file could not be read or written.
    #[error("state file: {0}")]
    StateFile(String),
    /// Internal failure (database error inside the EVM).
    #[error("internal error: {0}")]
    Internal(String),
}

/// A mined block.
#[derive(Debug, Clone)]
pub struct MinedBlock {
    /// Consensus header.
    pub header: Header,
    /// Header hash.
    pub hash: B256,
    /// Hashes of the block's transactions, in order.
    pub txs: Vec<B256>,
}

/// A mined transaction and its receipt.
#[derive(Debug, Clone)]
pub struct MinedTx {
    /// The transaction (for impersonated senders, with a placeholder signature).
    pub envelope: TxEnvelope,
    /// Sender.
    pub from: Address,
    /// Block number.
    pub block_number: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Position in the block.
    pub index: u64,
    /// Gas price actually paid.
    pub effective_gas_price: u128,
    /// Whether execution succeeded.
    pub success: bool,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Address of a created contract.
    pub contract_address: Option<Address>,
    /// Logs, in order.
    pub logs: Vec<Log>,
    /// Index of this transaction's first log within the block.
    pub first_log_index: u64,
    /// Where each Stylus frame's gas went, in the order the frames ended.
    pub stylus_profile: Vec<FrameProfile>,
}

impl MinedTx {
    /// The receipt in consensus form.
    pub fn receipt_envelope(&self) -> ReceiptEnvelope<Log> {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.cumulative_gas_used,
            logs: self.logs.clone(),
        };
        let bloom = receipt.bloom_slow();
        let with_bloom = ReceiptWithBloom::new(receipt, bloom);
        match self.envelope.tx_type() {
            TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
            TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
            TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
            TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
            TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
        }
    }
}

/// Result of `eth_call`-style execution.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// Whether it succeeded.
    pub success: bool,
    /// Return or revert data.
    pub output: Bytes,
    /// Gas used.
    pub gas_used: u64,
}

#[derive(Clone)]
struct Snapshot {
    db: Db,
    blocks: usize,
    time_offset: i64,
    history: VecDeque<(u64, Db)>,
}

/// One account in a state dump.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code (empty for none).
    pub code: Bytes,
    /// Non-zero storage slots.
    pub storage: HashMap<U256, U256>,
}

/// A state dump (`--dump-state` / `--load-state`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateDump {
    /// Number of the block the dump was taken at.
    pub block_number: u64,
    /// Its timestamp.
    pub timestamp: u64,
    /// Its base fee.
    pub base_fee: u64,
    /// Every account.
    pub accounts: HashMap<Address, DumpAccount>,
}

/// The dev chain.
pub struct Chain {
    config: ChainConfig,
    db: Db,
    programs: ProgramCache,
    blocks: Vec<MinedBlock>,
    block_by_hash: HashMap<B256, u64>,
    txs: HashMap<B256, MinedTx>,
    /// First block number kept in `blocks` (non-zero after loading a state dump).
    first_block: u64,
    time_offset: i64,
    next_timestamp: Option<u64>,
    history: VecDeque<(u64, Db)>,
    snapshots: HashMap<u64, Snapshot>,
    next_snapshot: u64,
    impersonated: HashSet<Address>,
    signers: Vec<PrivateKeySigner>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Derives the first `n` accounts of [`DEV_MNEMONIC`].
pub fn dev_signers(n: usize) -> Result<Vec<PrivateKeySigner>, ChainError> {
    (0..n)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i as u32)
                .and_then(|b| b.build())
                .map_err(|e| ChainError::Internal(e.to_string()))
        })
        .collect()
}

fn invalid_tx_message(err: &InvalidTransaction) -> String {
    match err {
        InvalidTransaction::NonceTooLow { tx, state } => {
            format!("nonce too low: transaction has {tx}, account has {state}")
        }
        InvalidTransaction::NonceTooHigh { tx, state } => {
            format!("nonce too high: transaction has {tx}, account has {state}")
        }
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance}, want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}")
        }
        InvalidTransaction::GasFloorMoreThanGasLimit { gas_floor, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {gas_floor}")
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".to_string()
        }
        InvalidTransaction::CallerGasLimitMoreThanBlock => {
            "transaction gas limit exceeds block gas limit".to_string()
        }
        other => other.to_string(),
    }
}

fn evm_error<E: std::fmt::Debug>(err: EVMError<E, InvalidTransaction>) -> ChainError {
    match err {
        EVMError::Transaction(t) => ChainError::Invalid(invalid_tx_message(&t)),
        EVMError::Header(h) => ChainError::Invalid(h.to_string()),
        EVMError::Database(d) => ChainError::Internal(format!("{d:?}")),
        EVMError::Custom(c) => ChainError::Internal(c),
        other => ChainError::Internal(format!("{other:?}")),
    }
}

/// A placeholder signature for transactions from impersonated accounts.
fn fake_signature() -> Signature {
    Signature::new(U256::from(1), U256::from(1), false)
}

fn tx_env_from_envelope(envelope: &TxEnvelope, from: Address) -> TxEnv {
    TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: from,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        ..Default::default()
    }
}

impl Chain {
    /// A fresh chain with the dev accounts funded and ArbWasm installed.
    pub fn new(config: ChainConfig) -> Result<Self, ChainError> {
        let signers = dev_signers(config.dev_accounts)?;
        let mut db = CacheDB::new(EmptyDB::default());
        for signer in &signers {
            db.insert_account_info(
                signer.address(),
                AccountInfo { balance: config.dev_balance, ..Default::default() },
            );
        }
        // Precompile accounts get code so EIP-161 never deletes the ArbWasm account (which
        // stores activation records) and so `eth_getCode` shows something, as on Arbitrum.
        for precompile in [arbwasm::ADDRESS, arbwasmcache::ADDRESS] {
            db.insert_account_info(
                precompile,
                AccountInfo::default().with_code(Bytecode::new_legacy(Bytes::from_static(&[0xFE]))),
            );
        }
        let timestamp = config.genesis_timestamp.unwrap_or_else(now);
        let header = Header {
            number: 0,
            timestamp,
            gas_limit: config.block_gas_limit,
            base_fee_per_gas: Some(config.initial_base_fee),
            ..Self::empty_header()
        };
        let mut chain = Self {
            config,
            db,
            programs: ProgramCache::new(),
            blocks: Vec::new(),
            block_by_hash: HashMap::new(),
            txs: HashMap::new(),
            first_block: 0,
            time_offset: 0,
            next_timestamp: None,
            history: VecDeque::new(),
            snapshots: HashMap::new(),
            next_snapshot: 1,
            impersonated: HashSet::new(),
            signers,
        };
        chain.push_block(header, Vec::new());
        Ok(chain)
    }

    fn empty_header() -> Header {
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

    fn push_block(&mut self, header: Header, txs: Vec<B256>) -> B256 {
        let hash = header.hash_slow();
        self.block_by_hash.insert(hash, header.number);
        self.blocks.push(MinedBlock { header, hash, txs });
        hash
    }

    /// The configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The shared compiled-module cache.
    pub fn programs(&self) -> &ProgramCache {
        &self.programs
    }

    /// The latest block.
    pub fn latest(&self) -> &MinedBlock {
        // `new` always mines genesis, and blocks are only ever truncated back to a snapshot
        // taken after it, so the list is never empty.
        &self.blocks[self.blocks.len() - 1]
    }

    /// Latest block number.
    pub fn block_number(&self) -> u64 {
        self.latest().header.number
    }

    /// Dev accounts the node signs for.
    pub fn accounts(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// The dev signers (private keys of [`Chain::accounts`]).
    pub fn signers(&self) -> &[PrivateKeySigner] {
        &self.signers
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

    fn next_block_timestamp(&mut self) -> u64 {
        let prev = self.latest().header.timestamp;
        let wanted = match self.next_timestamp.take() {
            Some(t) => t,
            None => now().saturating_add_signed(self.time_offset),
        };
        wanted.max(prev + 1)
    }

    fn block_env(&self, number: u64, timestamp: u64, base_fee: u64) -> BlockEnv {
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

    fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = self.config.chain_id;
        // Stylus code starts with 0xEF, which EIP-3541 would refuse to deploy.
        cfg.disable_eip3541 = true;
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

    /// The state database at block `n` (latest or within the kept history).
    fn db_at(&self, n: u64) -> Result<&Db, ChainError> {
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

    // -------------------------------------------------------------------------------------
    // Transactions.

    /// Decodes, checks and mines a raw signed transaction; returns its hash.
    pub fn send_raw(&mut self, raw: &[u8]) -> Result<B256, ChainError> {
        let envelope = <TxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718_exact(raw)
            .map_err(|e| ChainError::Decode(e.to_string()))?;
        let from = envelope.recover_signer().map_err(|e| ChainError::Signature(e.to_string()))?;
        self.mine_tx(envelope, from)
    }

    /// Fills, signs (dev accounts) or wraps (impersonated accounts) and mines a request.
    pub fn send_request(&mut self, mut req: TransactionRequest) -> Result<B256, ChainError> {
        let from = req.from.ok_or_else(|| ChainError::Invalid("missing from".into()))?;
        let signer = self.signers.iter().find(|s| s.address() == from).cloned();
        if signer.is_none() && !self.impersonated.contains(&from) {
            return Err(ChainError::UnknownAccount(from));
        }
        let latest = self.block_number();
        if req.nonce.is_none() {
            req.nonce = Some(self.account(from, latest)?.nonce);
        }
        req.chain_id = Some(self.config.chain_id);
        if req.gas.is_none() {
            req.gas = Some(self.estimate_gas(req.clone(), BlockNumberOrTag::Pending, None)?);
        }
        if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
            let base = u128::from(self.next_base_fee());
            req.max_priority_fee_per_gas = Some(req.max_priority_fee_per_gas.unwrap_or(0));
            req.max_fee_per_gas = Some(base * 2 + req.max_priority_fee_per_gas.unwrap_or(0));
        }
        if req.to.is_none() {
            req.to = Some(TxKind::Create);
        }
        let typed = req
            .build_typed_tx()
            .map_err(|_| ChainError::Invalid("incomplete transaction request".into()))?;
        let envelope = match signer {
            Some(signer) => sign(&signer, typed)?,
            None => wrap_unsigned(typed),
        };
        self.mine_tx(envelope, from)
    }

    fn mine_tx(&mut self, envelope: TxEnvelope, from: Address) -> Result<B256, ChainError> {
        if let Some(id) = envelope.chain_id() {
            if id != self.config.chain_id {
                return Err(ChainError::ChainId { expected: self.config.chain_id, got: id });
            }
        }
        let hash = *envelope.tx_hash();
        if self.txs.contains_key(&hash) {
            return Err(ChainError::Invalid(format!("transaction {hash} already imported")));
        }
        let number = self.block_number() + 1;
        let timestamp = self.next_block_timestamp();
        let base_fee = self.next_base_fee();
        let tx_env = tx_env_from_envelope(&envelope, from);
        let outcome = self.execute(tx_env, number, timestamp, base_fee, true)?;
        let (result, stylus_profile) = outcome;
        let gas_used = result.tx_gas_used();
        let success = result.is_success();
        let logs = result.logs().to_vec();
        let contract_address = match &result {
            ExecutionResult::Success { output, .. } => output.address().copied(),
            _ => None,
        };
        let effective_gas_price = envelope.effective_gas_price(Some(base_fee));
        let mut mined = MinedTx {
            envelope,
            from,
            block_number: number,
            block_hash: B256::ZERO,
            index: 0,
            effective_gas_price,
            success,
            gas_used,
            cumulative_gas_used: gas_used,
            contract_address,
            logs,
            first_log_index: 0,
            stylus_profile,
        };
        let receipt = mined.receipt_envelope();
        let bloom = *receipt.logs_bloom();
        let header = Header {
            parent_hash: self.latest().hash,
            number,
            timestamp,
            gas_limit: self.config.block_gas_limit,
            gas_used,
            base_fee_per_gas: Some(base_fee),
            logs_bloom: bloom,
            transactions_root: alloy_consensus::proofs::calculate_transaction_root(
                std::slice::from_ref(&mined.envelope),
            ),
            receipts_root: alloy_consensus::proofs::calculate_receipt_root(&[receipt]),
            ..Self::empty_header()
        };
        let block_hash = self.push_block(header, vec![hash]);
        mined.block_hash = block_hash;
        self.txs.insert(hash, mined);
        Ok(hash)
    }

    /// Runs `tx` on top of the latest state; commits when `commit` (and keeps history).
    fn execute(
        &mut self,
        tx: TxEnv,
        number: u64,
        timestamp: u64,
        base_fee: u64,
        commit: bool,
    ) -> Result<(ExecutionResult, Vec<FrameProfile>), ChainError> {
        let block = self.block_env(number, timestamp, base_fee);
        let mut cfg = self.cfg();
        // Impersonated senders may be contracts (anvil allows this too).
        cfg.disable_eip3607 = self.impersonated.contains(&tx.caller);
        let db = std::mem::take(&mut self.db);
        let ctx = Ctx::new(db, SPEC).with_block(block).with_cfg(cfg);
        let mut evm = build_evm(ctx, self.programs.clone());
        let result = stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.transact(tx));
        let mut db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let profile = std::mem::take(&mut evm.precompiles.frames.borrow_mut().profile);
        match result {
            Ok(r) => {
                if commit {
                    if self.config.state_history > 0 {
                        self.history.push_back((number - 1, db.clone()));
                        while self.history.len() > self.config.state_history {
                            self.history.pop_front();
                        }
                    }
                    db.commit(r.state);
                }
                self.db = db;
                Ok((r.result, profile))
            }
            Err(e) => {
                self.db = db;
                Err(evm_error(e))
            }
        }
    }

    fn call_env(&self, req: &TransactionRequest, gas_cap: u64) -> TxEnv {
        let kind = req.to.unwrap_or(TxKind::Create);
        TxEnv {
            tx_type: if req.max_fee_per_gas.is_some() { 2 } else { 0 },
            caller: req.from.unwrap_or_default(),
            gas_limit: req.gas.unwrap_or(gas_cap).min(gas_cap),
            gas_price: req.max_fee_per_gas.or(req.gas_price).unwrap_or(0),
            gas_priority_fee: req.max_priority_fee_per_gas,
            kind,
            value: req.value.unwrap_or_default(),
            data: req.input.input().cloned().unwrap_or_default(),
            nonce: 0,
            chain_id: Some(self.config.chain_id),
            access_list: req.access_list.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Executes a call without committing (eth_call).
    pub fn call(
        &mut self,
        req: TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<CallOutcome, ChainError> {
        let block = self.resolve(tag)?;
        let gas_cap = self.config.block_gas_limit;
        let tx = self.call_env(&req, gas_cap);
        let mut db = self.db_at(block)?.clone();
        if let Some(overrides) = overrides {
            apply_overrides(&mut db, overrides)?;
        }
        let header = self
            .block(block)
            .map(|b| b.header.clone())
            .ok_or_else(|| ChainError::NotFound(format!("block {block} not found")))?;
        // Calls simulate the block after the chosen one, as geth and anvil do for "latest".
        let env = self.block_env(
            header.number + 1,
            header.timestamp + 1,
            header.base_fee_per_gas.unwrap_or(0),
        );
        let mut cfg = self.cfg();
        cfg.disable_nonce_check = true;
        cfg.disable_base_fee = true;
        cfg.disable_balance_check = tx.gas_price == 0;
        cfg.disable_block_gas_limit = true;
        // Simulations may come "from" contracts, as geth allows.
        cfg.disable_eip3607 = true;
        let ctx = Ctx::new(db, SPEC).with_block(env).with_cfg(cfg);
        let mut evm = build_evm(ctx, self.programs.clone());
        let result = stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.transact(tx))
            .map_err(evm_error)?;
        Ok(match result.result {
            ExecutionResult::Success { output, gas, .. } => CallOutcome {
                success: true,
                output: output.into_data(),
                gas_used: gas.tx_gas_used(),
            },
            ExecutionResult::Revert { output, gas, .. } => {
                CallOutcome { success: false, output, gas_used: gas.tx_gas_used() }
            }
            ExecutionResult::Halt { reason, .. } => {
                return Err(ChainError::Halted(format!("{reason:?}")));
            }
        })
    }

    /// Smallest gas limit with which the call succeeds (binary search, as geth does).
    pub fn estimate_gas(
        &mut self,
        req: TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<u64, ChainError> {
        let cap = req.gas.unwrap_or(self.config.block_gas_limit).min(self.config.block_gas_limit);
        let try_gas = |chain: &mut Self, gas: u64| {
            let mut r = req.clone();
            r.gas = Some(gas);
            chain.call(r, tag, overrides.clone())
        };
        let first = try_gas(self, cap)?;
        if !first.success {
            return Err(ChainError::Reverted(first.output));
        }
        let mut lo = first.gas_used.saturating_sub(1);
        let mut hi = cap;
        // Most calls succeed with gas_used plus the 63/64 reserve; try that before searching.
        let guess = (first.gas_used * 64 / 63 + 2_300).min(cap);
        if matches!(try_gas(self, guess), Ok(o) if o.success) {
            hi = guess;
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            match try_gas(self, mid) {
                Ok(o) if o.success => hi = mid,
                _ => lo = mid,
            }
        }
        Ok(hi)
    }

    // -------------------------------------------------------------------------------------
    // Dev methods.

    /// Mines an empty block (`evm_mine`), optionally at a given timestamp.
    pub fn mine_empty(&mut self, timestamp: Option<u64>) -> u64 {
        if let Some(t) = timestamp {
            self.next_timestamp = Some(t);
        }
        let number = self.block_number() + 1;
        let timestamp = self.next_block_timestamp();
        let base_fee = self.next_base_fee();
        if self.config.state_history > 0 {
            self.history.push_back((number - 1, self.db.clone()));
            while self.history.len() > self.config.state_history {
                self.history.pop_front();
            }
        }
        let header = Header {
            parent_hash: self.latest().hash,
            number,
            timestamp,
            gas_limit: self.config.block_gas_limit,
            base_fee_per_gas: Some(base_fee),
            ..Self::empty_header()
        };
        self.push_block(header, Vec::new());
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
                history: self.history.clone(),
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
        self.history = snap.history;
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

    // -------------------------------------------------------------------------------------
    // State files.

    /// Dumps the latest state.
    pub fn dump(&self) -> StateDump {
        let mut accounts = HashMap::new();
        for (address, acc) in &self.db.cache.accounts {
            let code = acc
                .info
                .code
                .as_ref()
                .map(|c| c.original_bytes())
                .or_else(|| {
                    self.db.cache.contracts.get(&acc.info.code_hash).map(|c| c.original_bytes())
                })
                .unwrap_or_default();
            let storage =
                acc.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect();
            if acc.info.is_empty() && acc.storage.is_empty() && code.is_empty() {
                continue;
            }
            accounts.insert(
                *address,
                DumpAccount { balance: acc.info.balance, nonce: acc.info.nonce, code, storage },
            );
        }
        let h = &self.latest().header;
        StateDump {
            block_number: h.number,
            timestamp: h.timestamp,
            base_fee: h.base_fee_per_gas.unwrap_or(0),
            accounts,
        }
    }

    /// Replaces the state with a dump; the chain continues from the dumped block number.
    pub fn load(&mut self, dump: StateDump) -> Result<(), ChainError> {
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, acc) in dump.accounts {
            let mut info =
                AccountInfo { balance: acc.balance, nonce: acc.nonce, ..Default::default() };
            if !acc.code.is_empty() {
                let code = Bytecode::new_raw_checked(acc.code)
                    .map_err(|e| ChainError::StateFile(e.to_string()))?;
                info.code_hash = code.hash_slow();
                info.code = Some(code);
            }
            db.insert_account_info(address, info);
            for (k, v) in acc.storage {
                db.insert_account_storage(address, k, v)
                    .map_err(|e| ChainError::StateFile(format!("{e:?}")))?;
            }
        }
        self.db = db;
        self.blocks.clear();
        self.block_by_hash.clear();
        self.txs.clear();
        self.history.clear();
        self.snapshots.clear();
        self.first_block = dump.block_number;
        let header = Header {
            number: dump.block_number,
            timestamp: dump.timestamp,
            gas_limit: self.config.block_gas_limit,
            base_fee_per_gas: Some(dump.base_fee),
            ..Self::empty_header()
        };
        self.push_block(header, Vec::new());
        Ok(())
    }
}

fn sign(signer: &PrivateKeySigner, typed: TypedTransaction) -> Result<TxEnvelope, ChainError> {
    let sign_err = |e: alloy_signer::Error| ChainError::Signature(e.to_string());
    Ok(match typed {
        TypedTransaction::Legacy(mut tx) => {
            let sig = signer.sign_transaction_sync(&mut tx).map_err(sign_err)?;
            TxEnvelope::Legacy(tx.into_signed(sig))
        }
        TypedTransaction::Eip2930(mut tx) => {
            let sig = signer.sign_transaction_sync(&mut tx).map_err(sign_err)?;
            TxEnvelope::Eip2930(tx.into_signed(sig))
        }
        TypedTransaction::Eip1559(mut tx) => {
            let sig = signer.sign_transaction_sync(&mut tx).map_err(sign_err)?;
            TxEnvelope::Eip1559(tx.into_signed(sig))
        }
        TypedTransaction::Eip7702(mut tx) => {
            let sig = signer.sign_transaction_sync(&mut tx).map_err(sign_err)?;
            TxEnvelope::Eip7702(tx.into_signed(sig))
        }
        TypedTransaction::Eip4844(_) => {
            return Err(ChainError::Invalid("blob transactions are not supported".into()))
        }
    })
}

fn wrap_unsigned(typed: TypedTransaction) -> TxEnvelope {
    let sig = fake_signature();
    match typed {
        TypedTransaction::Legacy(tx) => TxEnvelope::Legacy(tx.into_signed(sig)),
        TypedTransaction::Eip2930(tx) => TxEnvelope::Eip2930(tx.into_signed(sig)),
        TypedTransaction::Eip1559(tx) => TxEnvelope::Eip1559(tx.into_signed(sig)),
        TypedTransaction::Eip7702(tx) => TxEnvelope::Eip7702(tx.into_signed(sig)),
        TypedTransaction::Eip4844(_) => {
            TxEnvelope::Legacy(Signed::new_unhashed(TxLegacy::default(), sig))
        }
    }
}

fn apply_overrides(db: &mut Db, overrides: StateOverride) -> Result<(), ChainError> {
    for (address, o) in overrides {
        let mut info = db.cache.accounts.get(&address).map(|a| a.info.clone()).unwrap_or_default();
        if let Some(balance) = o.balance {
            info.balance = balance;
        }
        if let Some(nonce) = o.nonce {
            info.nonce = nonce;
        }
        if let Some(code) = o.code {
            let code =
                Bytecode::new_raw_checked(code).map_err(|e| ChainError::Invalid(e.to_string()))?;
            info.code_hash = code.hash_slow();
            info.code = Some(code);
        }
        db.insert_account_info(address, info);
        let internal = |e| ChainError::Internal(format!("{e:?}"));
        if let Some(state) = o.state {
            let slots = state
                .into_iter()
                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                .collect();
            db.replace_account_storage(address, slots).map_err(internal)?;
        }
        if let Some(diff) = o.state_diff {
            for (k, v) in diff {
                db.insert_account_storage(
                    address,
                    U256::from_be_bytes(k.0),
                    U256::from_be_bytes(v.0),
                )
                .map_err(internal)?;
            }
        }
    }
    Ok(())
}

/// Recovers the transaction's sender for RPC output.
pub fn recovered(tx: &MinedTx) -> Recovered<TxEnvelope> {
    Recovered::new_unchecked(tx.envelope.clone(), tx.from)
}

/// The 2718 encoding of a transaction (for tests and tools).
pub fn encode(envelope: &TxEnvelope) -> Bytes {
    envelope.encoded_2718().into()
}
