//! The optional simulated beacon chain ([`tidepool_beacon_sim::BeaconChain`]) attached to the
//! chain: it reads the deposit contract's `DepositEvent`s of every mined block, its clock
//! follows block timestamps, and its withdrawals and execution-layer rewards are credited on
//! this chain.
//!
//! When a block is mined (a transaction's, or an empty one from `evm_mine`/`anvil_mine`),
//! after its transaction ran:
//! 1. the simulation advances to the block's timestamp, processing every epoch boundary
//!    crossed since the previous block;
//! 2. the block's `DepositEvent`s from the configured deposit contract are ingested (logs of
//!    any other emitter are ignored, whatever their shape);
//! 3. what step 1 owes is credited (minted, as Ethereum's withdrawals are) in this same
//!    block, after its transaction, as Ethereum applies a block's withdrawals after its
//!    transactions. The credits are recorded in the block's state history, so
//!    `eth_getBalance` at the previous block shows the balance before them.
//!
//! So the block whose timestamp crosses a boundary carries that boundary's withdrawals: no
//! extra block is needed, and while nothing mines, the beacon clock stands still too (time
//! is the chain's, which only moves when blocks are mined). `evm_snapshot`/`evm_revert`
//! save and restore the simulation with the state.

use alloy_primitives::Log;
use alloy_sol_types::{sol, SolEvent};
use tidepool_beacon_sim::{Advance, BeaconChain, Deposit};

use super::{
    history::BlockDiff,
    types::{BeaconSettings, BeaconSim, ChainError},
    Chain,
};

sol! {
    /// The deposit contract's event (mainnet's, amount and index little-endian).
    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);
}

/// A deposit from a `DepositEvent`'s fields, if they have the deposit contract's lengths.
fn deposit_of(log: &Log) -> Option<Deposit> {
    let event = DepositEvent::decode_log_data(&log.data).ok()?;
    Some(Deposit {
        pubkey: event.pubkey.as_ref().try_into().ok()?,
        withdrawal_credentials: alloy_primitives::B256::try_from(
            event.withdrawal_credentials.as_ref(),
        )
        .ok()?,
        amount_gwei: u64::from_le_bytes(event.amount.as_ref().try_into().ok()?),
        signature: event.signature.as_ref().try_into().ok()?,
    })
}

impl Chain {
    /// Turns the simulation on (genesis at `settings.config.genesis_time`, or the latest
    /// block's timestamp when 0), or, when it is on, reconfigures it: a new deposit
    /// contract and economic parameters; the validators and the timing are kept.
    ///
    /// # Errors
    /// [`ChainError::Invalid`] for an unusable configuration.
    pub fn beacon_configure(&mut self, settings: BeaconSettings) -> Result<(), ChainError> {
        let BeaconSettings { deposit_contract, mut config } = settings;
        let invalid = |e: tidepool_beacon_sim::SimError| ChainError::Invalid(e.to_string());
        match &mut self.beacon {
            Some(sim) => {
                sim.chain.reconfigure(config).map_err(invalid)?;
                sim.deposit_contract = deposit_contract;
            }
            None => {
                if config.genesis_time == 0 {
                    config.genesis_time = self.latest().header.timestamp;
                }
                let mut chain = BeaconChain::new(config).map_err(invalid)?;
                chain.advance_to(self.latest().header.timestamp);
                self.beacon = Some(BeaconSim { chain, deposit_contract });
            }
        }
        Ok(())
    }

    /// The simulation, when on.
    pub fn beacon(&self) -> Option<&BeaconSim> {
        self.beacon.as_ref()
    }

    /// The simulation's state machine for an action (slash, offline, exit).
    ///
    /// # Errors
    /// [`ChainError::Invalid`] while the simulation is off.
    pub fn beacon_mut(&mut self) -> Result<&mut BeaconChain, ChainError> {
        self.beacon.as_mut().map(|sim| &mut sim.chain).ok_or_else(|| {
            ChainError::Invalid(
                "the beacon simulation is off: call tidepool_beaconConfigure".into(),
            )
        })
    }

    /// Steps 1-3 of the module documentation for block `number` at `timestamp`, whose
    /// transaction emitted `logs`.
    pub(super) fn beacon_block(&mut self, number: u64, timestamp: u64, logs: &[Log]) {
        let Some(sim) = &mut self.beacon else { return };
        let advance = sim.chain.advance_to(timestamp);
        for log in logs.iter().filter(|log| log.address == sim.deposit_contract) {
            if log.data.topics().first() != Some(&DepositEvent::SIGNATURE_HASH) {
                continue;
            }
            if let Some(deposit) = deposit_of(log) {
                sim.chain.deposit(&deposit);
            }
        }
        self.credit(number, &advance);
    }

    /// Mints `advance`'s credits into block `number`'s state, recording what they overwrite.
    fn credit(&mut self, number: u64, advance: &Advance) {
        let credits = advance.credits();
        if credits.is_empty() {
            return;
        }
        let diff = BlockDiff::accounts(number, &self.db, credits.iter().map(|(a, _)| *a));
        self.history.push(diff);
        for (address, wei) in credits {
            let mut info = self.account(address, number).unwrap_or_default();
            info.balance = info.balance.saturating_add(wei);
            self.db.insert_account_info(address, info);
        }
    }
}
