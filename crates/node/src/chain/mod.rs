//! The chain: state, blocks, transactions, receipts and logs of an automining dev node.
//!
//! [`Chain`] is defined here with its constructor and plain accessors; each concern adds
//! its methods in its own file: `blocks` (headers, the clock, tags, logs), `state`
//! (accounts and storage at a block), `transactions` (signing, executing and mining),
//! `call` (`eth_call` and gas estimation), `dev` (anvil/hardhat dev methods and snapshots),
//! `dump` (state files), `debug` (call traces of mined transactions, access lists) and
//! `proof` (`eth_getProof`) and `beacon` (the optional simulated beacon chain). Those files
//! depend on this one, never the reverse.

mod beacon;
mod blocks;
mod call;
mod debug;
mod dev;
mod dump;
mod history;
mod pool;
mod proof;
mod state;
mod transactions;
mod types;

use std::collections::{HashMap, HashSet};

use alloy_consensus::{transaction::Recovered, Header, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
/// Types [`Chain`]'s methods take.
pub use alloy_eips::BlockNumberOrTag;
pub use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use revm::{
    database::{CacheDB, EmptyDB},
    primitives::{Address, Bytes, B256},
    state::{AccountInfo, Bytecode},
};
use tidepool_stylus_vm::program::ProgramCache;

pub use self::pool::{PooledTx, MAX_QUEUED, PRICE_BUMP_PERCENT};
pub use self::types::{
    BeaconSettings, BeaconSim, BeaconSimDump, CallOutcome, ChainConfig, ChainError, DumpAccount,
    MinedBlock, MinedTx, StateDump, DEV_MNEMONIC,
};
use self::{history::History, pool::Pool};
use crate::evm::{arbwasm, arbwasmcache, Db};

/// What `evm_revert` restores: the state, the chain's length and the clock (the history
/// after the snapshot's block is dropped, so it needs no copy).
#[derive(Clone)]
struct Snapshot {
    db: Db,
    blocks: usize,
    time_offset: i64,
    beacon: Option<BeaconSim>,
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
    history: History,
    /// Transactions waiting for an earlier nonce.
    pool: Pool,
    /// For each `evm_revert`, the latest block it kept: filters polling blocks use this to
    /// notice that numbers they have seen now name new blocks.
    reverts: Vec<u64>,
    snapshots: HashMap<u64, Snapshot>,
    next_snapshot: u64,
    impersonated: HashSet<Address>,
    signers: Vec<PrivateKeySigner>,
    /// The simulated beacon chain, once `tidepool_beaconConfigure` turned it on.
    beacon: Option<BeaconSim>,
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
        let history = History::new(0, config.state_history);
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
            history,
            pool: Pool::default(),
            reverts: Vec::new(),
            snapshots: HashMap::new(),
            next_snapshot: 1,
            impersonated: HashSet::new(),
            signers,
            beacon: None,
        };
        chain.push_block(header, Vec::new());
        Ok(chain)
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

    /// For each `evm_revert` so far, the latest block it kept.
    pub fn reverts(&self) -> &[u64] {
        &self.reverts
    }

    /// The dev signer of `address`; geth's "unknown account" for any other.
    pub fn dev_signer(&self, address: Address) -> Result<&PrivateKeySigner, ChainError> {
        self.signers
            .iter()
            .find(|s| s.address() == address)
            .ok_or(ChainError::UnknownAccount(address))
    }

    /// The dev signers (private keys of [`Chain::accounts`]).
    pub fn signers(&self) -> &[PrivateKeySigner] {
        &self.signers
    }
}

/// Recovers the transaction's sender for RPC output.
pub fn recovered(tx: &MinedTx) -> Recovered<TxEnvelope> {
    Recovered::new_unchecked(tx.envelope.clone(), tx.from)
}

/// The 2718 encoding of a transaction (for tests and tools).
pub fn encode(envelope: &TxEnvelope) -> Bytes {
    envelope.encoded_2718().into()
}
