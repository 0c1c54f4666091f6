//! The chain's public values: its settings and errors, mined blocks and transactions, call
//! outcomes and state dumps.

use std::collections::HashMap;

use alloy_consensus::{
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxEnvelope, TxType,
};
use revm::primitives::{Address, Bytes, Log, B256, U256};
use serde::{Deserialize, Serialize};

use tidepool_beacon_sim::{BeaconChain, BeaconConfig, BeaconDump};

use crate::evm::FrameProfile;

/// The standard development mnemonic (anvil, hardhat).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

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
    /// How many past blocks keep their state for `eth_call` and the state methods at an
    /// older block tag; `None` keeps every block's.
    pub state_history: Option<usize>,
    /// Whether the EIP-7623 calldata floor (10/40 gas per zero/non-zero byte when a
    /// transaction does little else) applies. Off by default, as on Arbitrum: Nitro leaves it
    /// off unless the chain owner turns it on, so calldata costs the standard 4/16 per byte.
    pub calldata_floor: bool,
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
            state_history: None,
            calldata_floor: false,
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
    /// Signing or sending for an account the node holds no key for (geth's words first).
    #[error("unknown account {0}: the node signs only for eth_accounts (and sends for accounts impersonated with anvil_impersonateAccount)")]
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
    /// The simulated beacon chain, when it is on (absent from older dumps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<BeaconSimDump>,
}

/// The simulated beacon chain in a state dump.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconSimDump {
    /// The deposit contract it reads.
    pub deposit_contract: Address,
    /// Its state.
    pub state: BeaconDump,
}

/// The simulation and where its deposits come from.
#[derive(Debug, Clone)]
pub struct BeaconSim {
    /// The state machine.
    pub chain: BeaconChain,
    /// The only address whose `DepositEvent`s count.
    pub deposit_contract: Address,
}

/// How to turn the simulation on: the deposit contract and the simulation's parameters (a
/// `genesis_time` of 0 means the latest block's timestamp).
#[derive(Debug, Clone)]
pub struct BeaconSettings {
    /// The deposit contract whose events create validators.
    pub deposit_contract: Address,
    /// The simulation's parameters.
    pub config: BeaconConfig,
}
