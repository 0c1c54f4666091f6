//! State files (`--dump-state` / `--load-state`): the latest state as JSON, and a chain
//! continued from one (the simulated beacon chain included, without its older kept epochs).

use std::collections::HashMap;

use alloy_consensus::Header;
use revm::{
    database::{CacheDB, EmptyDB},
    state::{AccountInfo, Bytecode},
};
use tidepool_beacon_sim::BeaconChain;

use super::{
    history::History,
    pool::Pool,
    types::{BeaconSim, BeaconSimDump, ChainError, DumpAccount, StateDump},
    Chain,
};

impl Chain {
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
            beacon: self.beacon.as_ref().map(|sim| BeaconSimDump {
                deposit_contract: sim.deposit_contract,
                state: sim.chain.dump(),
            }),
        }
    }

    /// Replaces the state with a dump; the chain continues from the dumped block number.
    pub fn load(&mut self, dump: StateDump) -> Result<(), ChainError> {
        let beacon = match dump.beacon {
            Some(BeaconSimDump { deposit_contract, state }) => Some(BeaconSim {
                chain: BeaconChain::restore(state)
                    .map_err(|e| ChainError::StateFile(e.to_string()))?,
                deposit_contract,
            }),
            None => None,
        };
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
        self.history = History::new(dump.block_number, self.config.state_history);
        self.pool = Pool::default();
        self.snapshots.clear();
        self.first_block = dump.block_number;
        self.beacon = beacon;
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
