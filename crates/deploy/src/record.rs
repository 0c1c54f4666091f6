//! `deployments/<chain-id>.json`: where a deployment lives, so tools and people can find it.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{Client, Error};

/// One deployed contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractRecord {
    /// Its address.
    pub address: Address,
    /// keccak-256 of its code (what ArbWasm activated).
    pub code_hash: B256,
}

/// Every contract of one deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contracts {
    /// The pool token: users' entry point.
    pub pool: ContractRecord,
    /// Runs the pool's oracle report and deposits on the pool's storage.
    pub pool_accounting: ContractRecord,
    /// Runs the pool's configuration on the pool's storage.
    pub pool_admin: ContractRecord,
    /// Execution-layer rewards (tips, MEV) wait here for a report.
    pub rewards_vault: ContractRecord,
    /// Consensus-layer withdrawals wait here for a report.
    pub withdrawal_vault: ContractRecord,
    /// The withdrawal queue (ERC-721 tickets): users' exit.
    pub withdrawal_queue: ContractRecord,
    /// Runs the queue's tickets, finalization and claims on the queue's storage.
    pub withdrawal_queue_ledger: ContractRecord,
    /// Runs the queue's configuration and off-chain helpers on the queue's storage.
    pub withdrawal_queue_admin: ContractRecord,
    /// The accounting oracle: takes committee-signed reports.
    pub oracle: ContractRecord,
    /// Runs the oracle's committee, frames and limits on the oracle's storage.
    pub oracle_admin: ContractRecord,
    /// The non-rebasing wrapped token (ERC-20, ERC-4626).
    pub wrapped: ContractRecord,
    /// The Chainlink-style rate feed.
    pub rate_feed: ContractRecord,
}

impl Contracts {
    /// The contracts' names (their JSON keys), in deployment order.
    pub const NAMES: [&'static str; 12] = [
        "poolAccounting",
        "poolAdmin",
        "pool",
        "rewardsVault",
        "withdrawalVault",
        "withdrawalQueueLedger",
        "withdrawalQueueAdmin",
        "withdrawalQueue",
        "wrapped",
        "rateFeed",
        "oracleAdmin",
        "oracle",
    ];

    /// Every contract's record, in the order of [`Self::NAMES`].
    pub fn all(&self) -> [ContractRecord; 12] {
        [
            self.pool_accounting,
            self.pool_admin,
            self.pool,
            self.rewards_vault,
            self.withdrawal_vault,
            self.withdrawal_queue_ledger,
            self.withdrawal_queue_admin,
            self.withdrawal_queue,
            self.wrapped,
            self.rate_feed,
            self.oracle_admin,
            self.oracle,
        ]
    }

    /// `(name, record)` for each contract, in deployment order.
    pub fn iter(&self) -> [(&'static str, ContractRecord); 12] {
        let records = self.all();
        core::array::from_fn(|i| (Self::NAMES[i], records[i]))
    }
}

/// The committee and frames the oracle was set up with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OracleSetup {
    /// Committee members.
    pub members: Vec<Address>,
    /// Signatures a report needs.
    pub quorum: u64,
    /// Beacon chain genesis, seconds per slot, slots per epoch.
    pub genesis_time: u64,
    /// Seconds per beacon slot.
    pub seconds_per_slot: u64,
    /// Slots per beacon epoch.
    pub slots_per_epoch: u64,
    /// First epoch of frame 0.
    pub initial_epoch: u64,
    /// Frame length in epochs.
    pub epochs_per_frame: u64,
}

/// A deployment: what `tidepool deploy` writes and everything else reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain's EIP-155 id.
    pub chain_id: u64,
    /// The block of the first contract creation (where to start reading logs).
    pub block: u64,
    /// The account that deployed and initialised everything.
    pub deployer: Address,
    /// Holder of every contract's `DEFAULT_ADMIN_ROLE` after deployment.
    pub admin: Address,
    /// Receives the treasury's part of the fee.
    pub treasury: Address,
    /// Receives deposits for validators and the module's part of the fee.
    pub staking_module: Address,
    /// The contracts.
    pub contracts: Contracts,
    /// The oracle's committee and frames.
    pub oracle: OracleSetup,
    /// The protocol's own staking module, its deposit guard and the beacon deposit contract;
    /// absent when the deployment uses an outside module (`staking_module` above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleSetup>,
}

/// The staking module's side of a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleSetup {
    /// The module (the `staking-module` program): the pool's deposits and fee shares go here.
    pub staking_module: ContractRecord,
    /// Its operators, keys and vetting (`staking-module-registry`), run by delegatecall.
    pub registry: ContractRecord,
    /// Holds the pool's `DEPOSIT_ROLE`; deposits need its guardians' quorum.
    pub deposit_guard: ContractRecord,
    /// The beacon deposit contract (deployed with the protocol on a local chain).
    pub deposit_contract: Address,
    /// Every deposit's withdrawal credentials (the withdrawal vault's).
    pub withdrawal_credentials: B256,
    /// The deposit guardians.
    pub guardians: Vec<Address>,
    /// Guardian signatures a deposit needs.
    pub guardian_quorum: u64,
    /// Node operators added at deployment (the local chain's dev operator), by id.
    pub operators: Vec<String>,
}

/// The protocol's main addresses, for whatever holds a deployment (the record itself, the
/// end-to-end tests' world, the benchmark lab): implementors say where the record is.
pub trait Addresses {
    /// The deployment's record.
    fn deployment(&self) -> &Deployment;

    /// The pool (the staked-ether token).
    fn pool(&self) -> Address {
        self.deployment().contracts.pool.address
    }

    /// The withdrawal queue.
    fn queue(&self) -> Address {
        self.deployment().contracts.withdrawal_queue.address
    }

    /// The accounting oracle.
    fn oracle(&self) -> Address {
        self.deployment().contracts.oracle.address
    }

    /// The wrapped token.
    fn wrapped(&self) -> Address {
        self.deployment().contracts.wrapped.address
    }
}

impl Addresses for Deployment {
    fn deployment(&self) -> &Deployment {
        self
    }
}

impl Deployment {
    /// `<dir>/<chain-id>.json`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads a record.
    ///
    /// # Errors
    /// [`Error::Record`] if it cannot be read or parsed.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Record { path: path.to_owned(), message: e.to_string() })?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Record { path: path.to_owned(), message: e.to_string() })
    }

    /// Writes this record to `<dir>/<chain-id>.json` (creating `dir`); returns the path.
    ///
    /// # Errors
    /// [`Error::Record`] if it cannot be written.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, Error> {
        let path = Self::path(dir, self.chain_id);
        let record = |e: &dyn std::fmt::Display| Error::Record {
            path: path.clone(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| record(&e))?;
        let mut text = serde_json::to_string_pretty(self).map_err(|e| record(&e))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| record(&e))?;
        Ok(path)
    }

    /// Whether this deployment is live on `client`'s chain: same chain id, and every
    /// contract holds the recorded code.
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn is_live(&self, client: &Client) -> Result<bool, Error> {
        if client.chain_id() != self.chain_id {
            return Ok(false);
        }
        for c in self.contracts.all() {
            if alloy_primitives::keccak256(client.code(c.address).await?) != c.code_hash {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NAMES` are the keys serde writes, each naming its own record.
    #[test]
    fn names_are_the_json_keys_of_their_records() {
        let record = |i: u8| ContractRecord {
            address: Address::repeat_byte(i),
            code_hash: B256::repeat_byte(i),
        };
        let json = serde_json::json!(Contracts::NAMES
            .iter()
            .zip(1u8..)
            .map(|(name, i)| (
                name.to_string(),
                serde_json::to_value(record(i)).expect("serialises")
            ))
            .collect::<serde_json::Map<_, _>>());
        let contracts: Contracts = serde_json::from_value(json).expect("every name is a field");
        for (i, (name, c)) in contracts.iter().into_iter().enumerate() {
            assert_eq!((name, c), (Contracts::NAMES[i], record(i as u8 + 1)));
        }
    }
}
