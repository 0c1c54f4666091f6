//! `tidepool_beacon*`: the simulated beacon chain's dev methods (turn it on, read it, and
//! inject faults), as a typed namespace over the shared chain.

use std::collections::BTreeMap;

use alloy_primitives::{Address, FixedBytes, B256, U256};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Serialize};
use tidepool_beacon_sim::{BeaconConfig, StateId, ValidatorId, ValidatorView};

use super::server::Rpc;
use crate::chain::{BeaconSettings, ChainError};

/// `tidepool_beaconConfigure`'s parameter: the deposit contract and fee recipient, and any
/// of the simulation's parameters to override (the rest keep [`BeaconConfig::default`]'s
/// values, or the running simulation's when it is reconfigured).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BeaconConfigureParams {
    /// The deposit contract whose `DepositEvent`s count.
    pub deposit_contract: Address,
    /// Where execution-layer rewards go.
    pub fee_recipient: Address,
    /// Unix time of slot 0 (default: the latest block's timestamp). Ignored on reconfigure.
    pub genesis_time: Option<u64>,
    /// Seconds per slot. Ignored on reconfigure.
    pub seconds_per_slot: Option<u64>,
    /// Slots per epoch. Ignored on reconfigure.
    pub slots_per_epoch: Option<u64>,
    /// Epochs from eligibility to activation.
    pub activation_delay_epochs: Option<u64>,
    /// Epochs from an exit request to the exit.
    pub exit_delay_epochs: Option<u64>,
    /// Epochs from the exit to withdrawability.
    pub withdrawable_delay_epochs: Option<u64>,
    /// Consensus-layer APR in basis points.
    pub apr_bps: Option<u64>,
    /// Partial-withdrawal sweep cadence in epochs.
    pub sweep_every_epochs: Option<u64>,
    /// Execution-layer reward per proposed slot, in wei.
    pub el_reward_wei_per_slot: Option<U256>,
    /// Inactivity penalty per epoch, in gwei.
    pub inactivity_penalty_gwei: Option<u64>,
    /// Past epochs kept for queries at a past slot.
    pub history_epochs: Option<u64>,
}

impl BeaconConfigureParams {
    /// The settings these parameters give over `base`.
    pub fn settings(&self, base: BeaconConfig) -> BeaconSettings {
        let or = |v: Option<u64>, d: u64| v.unwrap_or(d);
        let config = BeaconConfig {
            genesis_time: or(self.genesis_time, base.genesis_time),
            seconds_per_slot: or(self.seconds_per_slot, base.seconds_per_slot),
            slots_per_epoch: or(self.slots_per_epoch, base.slots_per_epoch),
            activation_delay_epochs: or(self.activation_delay_epochs, base.activation_delay_epochs),
            exit_delay_epochs: or(self.exit_delay_epochs, base.exit_delay_epochs),
            withdrawable_delay_epochs: or(
                self.withdrawable_delay_epochs,
                base.withdrawable_delay_epochs,
            ),
            apr_bps: or(self.apr_bps, base.apr_bps),
            sweep_every_epochs: or(self.sweep_every_epochs, base.sweep_every_epochs),
            el_reward_wei_per_slot: self
                .el_reward_wei_per_slot
                .unwrap_or(base.el_reward_wei_per_slot),
            fee_recipient: self.fee_recipient,
            inactivity_penalty_gwei: or(self.inactivity_penalty_gwei, base.inactivity_penalty_gwei),
            history_epochs: or(self.history_epochs, base.history_epochs),
            ..base
        };
        BeaconSettings { deposit_contract: self.deposit_contract, config }
    }
}

/// `tidepool_beaconStatus`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconStatus {
    /// The deposit contract read.
    pub deposit_contract: Address,
    /// Where execution-layer rewards go.
    pub fee_recipient: Address,
    /// Unix time of slot 0.
    pub genesis_time: u64,
    /// The head slot.
    pub head_slot: u64,
    /// The current epoch.
    pub epoch: u64,
    /// The finalized epoch.
    pub finalized_epoch: u64,
    /// Validators in the registry.
    pub validators: u64,
    /// Validators by beacon-API status name (statuses with none left out).
    pub by_status: BTreeMap<String, u64>,
    /// Sum of the balances, in gwei.
    pub total_balance_gwei: u64,
    /// Deposits credited, in gwei.
    pub deposited_gwei: u64,
    /// Deposits ignored for an invalid signature, in gwei.
    pub ignored_gwei: u64,
    /// Rewards paid, in gwei.
    pub rewards_gwei: u64,
    /// Penalties taken, in gwei.
    pub penalties_gwei: u64,
    /// Swept to execution addresses, in gwei.
    pub withdrawn_gwei: u64,
    /// Execution-layer rewards paid, in wei.
    pub el_rewards_wei: U256,
}

/// One validator in `tidepool_beaconValidators`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconValidator {
    /// Its index.
    pub index: u64,
    /// Its public key.
    pub pubkey: FixedBytes<48>,
    /// Its withdrawal credentials.
    pub withdrawal_credentials: B256,
    /// Beacon-API status name.
    pub status: String,
    /// Balance, in gwei.
    pub balance_gwei: u64,
    /// Effective balance, in gwei.
    pub effective_balance_gwei: u64,
    /// Whether slashed.
    pub slashed: bool,
    /// Whether the simulation has it offline.
    pub offline: bool,
    /// Activation epoch (`u64::MAX` until set).
    pub activation_epoch: u64,
    /// Exit epoch (`u64::MAX` until set).
    pub exit_epoch: u64,
    /// Withdrawable epoch (`u64::MAX` until set).
    pub withdrawable_epoch: u64,
}

impl From<ValidatorView> for BeaconValidator {
    fn from(v: ValidatorView) -> Self {
        Self {
            index: v.index,
            pubkey: FixedBytes(v.pubkey),
            withdrawal_credentials: v.withdrawal_credentials,
            status: v.status.as_str().to_owned(),
            balance_gwei: v.balance_gwei,
            effective_balance_gwei: v.effective_balance_gwei,
            slashed: v.slashed,
            offline: v.offline,
            activation_epoch: v.epochs.activation,
            exit_epoch: v.epochs.exit,
            withdrawable_epoch: v.epochs.withdrawable,
        }
    }
}

/// A validator as a parameter: its index (a number or a decimal string) or its public key.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValidatorParam {
    /// An index.
    Index(u64),
    /// An index as a decimal string, or a 0x-prefixed public key.
    Text(String),
}

impl ValidatorParam {
    fn id(&self) -> Result<ValidatorId, ChainError> {
        match self {
            Self::Index(i) => Ok(ValidatorId::Index(*i)),
            Self::Text(s) => s.parse().map_err(|e: tidepool_beacon_sim::BadValidatorId| {
                ChainError::Invalid(e.to_string())
            }),
        }
    }
}

/// `tidepool_beacon*`.
#[rpc(server, namespace = "tidepool")]
pub trait BeaconApi {
    /// Turns the simulation on, or reconfigures the running one.
    #[method(name = "beaconConfigure")]
    fn beacon_configure(&self, params: BeaconConfigureParams) -> RpcResult<BeaconStatus>;
    /// The simulation's clock, finality, counts and totals.
    #[method(name = "beaconStatus")]
    fn beacon_status(&self) -> RpcResult<BeaconStatus>;
    /// Slashes a validator; returns the initial penalty in gwei.
    #[method(name = "beaconSlash")]
    fn beacon_slash(&self, validator: ValidatorParam) -> RpcResult<u64>;
    /// Takes a validator offline (`true`) or back online; returns its index.
    #[method(name = "beaconSetOffline")]
    fn beacon_set_offline(&self, validator: ValidatorParam, offline: bool) -> RpcResult<u64>;
    /// Requests a validator's voluntary exit; returns its index.
    #[method(name = "beaconRequestExit")]
    fn beacon_request_exit(&self, validator: ValidatorParam) -> RpcResult<u64>;
    /// Every validator at the head.
    #[method(name = "beaconValidators")]
    fn beacon_validators(&self) -> RpcResult<Vec<BeaconValidator>>;
}

fn sim_error(e: tidepool_beacon_sim::SimError) -> ChainError {
    ChainError::Invalid(e.to_string())
}

impl Rpc {
    fn beacon_status_now(&self) -> Result<BeaconStatus, ChainError> {
        let chain = self.chain.lock();
        let sim = chain.beacon().ok_or_else(|| {
            ChainError::Invalid(
                "the beacon simulation is off: call tidepool_beaconConfigure".into(),
            )
        })?;
        let beacon = &sim.chain;
        let totals = beacon.totals();
        Ok(BeaconStatus {
            deposit_contract: sim.deposit_contract,
            fee_recipient: beacon.config().fee_recipient,
            genesis_time: beacon.config().genesis_time,
            head_slot: beacon.head_slot(),
            epoch: beacon.epoch(),
            finalized_epoch: beacon.finalized_epoch(),
            validators: beacon.len(),
            by_status: beacon
                .counts()
                .into_iter()
                .map(|(s, n)| (s.as_str().to_owned(), n))
                .collect(),
            total_balance_gwei: beacon.total_balance_gwei(),
            deposited_gwei: totals.deposited_gwei,
            ignored_gwei: totals.ignored_gwei,
            rewards_gwei: totals.rewards_gwei,
            penalties_gwei: totals.penalties_gwei,
            withdrawn_gwei: totals.withdrawn_gwei,
            el_rewards_wei: totals.el_rewards_wei,
        })
    }
}

impl BeaconApiServer for Rpc {
    fn beacon_configure(&self, params: BeaconConfigureParams) -> RpcResult<BeaconStatus> {
        {
            let mut chain = self.chain.lock();
            let base = chain.beacon().map(|sim| sim.chain.config().clone()).unwrap_or_default();
            chain.beacon_configure(params.settings(base))?;
        }
        Ok(self.beacon_status_now()?)
    }

    fn beacon_status(&self) -> RpcResult<BeaconStatus> {
        Ok(self.beacon_status_now()?)
    }

    fn beacon_slash(&self, validator: ValidatorParam) -> RpcResult<u64> {
        let id = validator.id()?;
        Ok(self.chain.lock().beacon_mut()?.slash(id).map_err(sim_error)?)
    }

    fn beacon_set_offline(&self, validator: ValidatorParam, offline: bool) -> RpcResult<u64> {
        let id = validator.id()?;
        Ok(self.chain.lock().beacon_mut()?.set_offline(id, offline).map_err(sim_error)?)
    }

    fn beacon_request_exit(&self, validator: ValidatorParam) -> RpcResult<u64> {
        let id = validator.id()?;
        Ok(self.chain.lock().beacon_mut()?.request_exit(id).map_err(sim_error)?)
    }

    fn beacon_validators(&self) -> RpcResult<Vec<BeaconValidator>> {
        let mut chain = self.chain.lock();
        let beacon = chain.beacon_mut()?;
        let head = beacon.state(StateId::Head).map_err(sim_error)?;
        Ok(head.iter().map(BeaconValidator::from).collect())
    }
}
