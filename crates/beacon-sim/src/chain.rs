//! [`BeaconChain`]: the validator registry and its epoch processing, a pure state machine
//! driven by deposits, actions and the clock.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tidepool_beacon::{verify_deposit_signature, GWEI_PER_ETH, PUBKEY_LENGTH, SIGNATURE_LENGTH};

use crate::config::{
    BeaconConfig, ConfigError, MAX_EFFECTIVE_BALANCE_COMPOUNDING_GWEI, MIN_ACTIVATION_BALANCE_GWEI,
    MIN_SLASHING_PENALTY_QUOTIENT,
};
use tidepool_beacon::status::{ValidatorEpochs, ValidatorStatus, FAR_FUTURE_EPOCH};

/// A validator's BLS public key (compressed G1 point).
pub type Pubkey = [u8; PUBKEY_LENGTH];

/// A deposit as the deposit contract's `DepositEvent` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// The validator's public key.
    pub pubkey: Pubkey,
    /// Where its withdrawals go.
    pub withdrawal_credentials: B256,
    /// The amount, in gwei.
    pub amount_gwei: u64,
    /// The BLS signature of the deposit message.
    pub signature: [u8; SIGNATURE_LENGTH],
}

/// What became of a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositOutcome {
    /// A new validator with this index.
    Created(u64),
    /// A top-up of an existing validator (no signature check, as on Ethereum).
    TopUp(u64),
    /// A new public key whose signature does not verify: no validator is created and the
    /// ether is lost, as on Ethereum.
    InvalidSignature,
}

/// A validator named by index or public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidatorId {
    /// Its index in the registry.
    Index(u64),
    /// Its public key.
    Pubkey(Pubkey),
}

/// A validator id that is neither a decimal index nor a 0x-prefixed 48-byte public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid validator id {0:?}: expected a decimal index or a 0x-prefixed 48-byte public key")]
pub struct BadValidatorId(pub String);

impl std::str::FromStr for ValidatorId {
    type Err = BadValidatorId;

    /// A decimal index (digits only) or `0x` and 96 hex digits, as the beacon API takes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadValidatorId(s.to_owned());
        if let Some(hex) = s.strip_prefix("0x") {
            let mut pubkey = [0u8; PUBKEY_LENGTH];
            if hex.len() != 2 * PUBKEY_LENGTH {
                return Err(bad());
            }
            alloy_primitives::hex::decode_to_slice(hex, &mut pubkey).map_err(|_| bad())?;
            return Ok(Self::Pubkey(pubkey));
        }
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map(Self::Index).map_err(|_| bad())
    }
}

/// Why an action or query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No such validator.
    #[error("unknown validator {0}")]
    UnknownValidator(String),
    /// The action needs an active validator.
    #[error("validator {index} is {status}, not active")]
    NotActive {
        /// The validator.
        index: u64,
        /// Its status.
        status: ValidatorStatus,
    },
    /// The validator is already slashed.
    #[error("validator {0} is already slashed")]
    AlreadySlashed(u64),
    /// The validator already has an exit epoch.
    #[error("validator {0} is already exiting")]
    AlreadyExiting(u64),
    /// The state asked for is not kept (in the future, or before the retention).
    #[error("state {0} not found")]
    StateNotFound(String),
    /// A configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A [`BeaconDump`] that no chain could have written.
    #[error("invalid beacon dump: {0}")]
    BadDump(String),
}

/// An epoch value together with the first epoch whose state shows it (a state after the
/// boundary of epoch `e` shows what was set at or before that boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    epoch: u64,
    since: u64,
}

impl Mark {
    const UNSET: Mark = Mark { epoch: FAR_FUTURE_EPOCH, since: FAR_FUTURE_EPOCH };

    fn get(self, horizon: u64) -> u64 {
        if self.since <= horizon {
            self.epoch
        } else {
            FAR_FUTURE_EPOCH
        }
    }

    fn is_set(self) -> bool {
        self.epoch != FAR_FUTURE_EPOCH
    }
}

/// A validator's record, without its balance (balances are kept apart so a state's history
/// is a copy of one `u64` array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    #[serde(with = "pubkey_hex")]
    pubkey: Pubkey,
    withdrawal_credentials: B256,
    eligibility: Mark,
    activation: Mark,
    exit: Mark,
    withdrawable: Mark,
    /// `epoch` unused: `since` is when the slashing shows.
    slashed: Mark,
    offline: bool,
}

impl Record {
    fn epochs(&self, horizon: u64) -> ValidatorEpochs {
        ValidatorEpochs {
            activation_eligibility: self.eligibility.get(horizon),
            activation: self.activation.get(horizon),
            exit: self.exit.get(horizon),
            withdrawable: self.withdrawable.get(horizon),
        }
    }

    fn slashed_at(&self, horizon: u64) -> bool {
        self.slashed.is_set() && self.slashed.since <= horizon
    }

    /// Active during `epoch` (live fields).
    fn active_in(&self, epoch: u64) -> bool {
        self.activation.epoch <= epoch && epoch < self.exit.epoch
    }

    /// The execution address of 0x01/0x02 credentials.
    fn withdrawal_address(&self) -> Option<Address> {
        let prefix = self.withdrawal_credentials[0];
        (prefix == 0x01 || prefix == 0x02)
            .then(|| Address::from_slice(&self.withdrawal_credentials[12..]))
    }

    fn max_effective_balance(&self) -> u64 {
        if self.withdrawal_credentials[0] == 0x02 {
            MAX_EFFECTIVE_BALANCE_COMPOUNDING_GWEI
        } else {
            MIN_ACTIVATION_BALANCE_GWEI
        }
    }

    /// The balance rounded down to whole ETH, capped at the maximum (no hysteresis: the
    /// simulation recomputes it from the balance wherever it is needed).
    fn effective_balance(&self, balance: u64) -> u64 {
        (balance - balance % GWEI_PER_ETH).min(self.max_effective_balance())
    }
}

/// One validator as a state shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorView {
    /// Its index.
    pub index: u64,
    /// Its balance, in gwei.
    pub balance_gwei: u64,
    /// Its status at the state's epoch.
    pub status: ValidatorStatus,
    /// Its public key.
    pub pubkey: Pubkey,
    /// Its withdrawal credentials.
    pub withdrawal_credentials: B256,
    /// Its effective balance, in gwei.
    pub effective_balance_gwei: u64,
    /// Whether it has been slashed.
    pub slashed: bool,
    /// Its life-cycle epochs.
    pub epochs: ValidatorEpochs,
    /// Whether the simulation has it offline (not part of the beacon API's shape).
    pub offline: bool,
}

/// Running totals, for conservation checks and status reports (gwei).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Deposits credited to validators (invalid-signature deposits excluded).
    pub deposited_gwei: u64,
    /// Deposits ignored for an invalid signature.
    pub ignored_gwei: u64,
    /// Consensus-layer rewards paid.
    pub rewards_gwei: u64,
    /// Inactivity and slashing penalties taken.
    pub penalties_gwei: u64,
    /// Balances swept to execution addresses.
    pub withdrawn_gwei: u64,
    /// Execution-layer rewards paid to the fee recipient, in wei.
    pub el_rewards_wei: U256,
}

/// What [`BeaconChain::advance_to`] produced: the epoch boundaries it processed and the
/// ether they owe the execution layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advance {
    /// Epoch boundaries processed.
    pub epochs: u64,
    /// Swept balances by withdrawal address, in gwei (partial and full sweeps summed).
    pub withdrawals_gwei: BTreeMap<Address, u64>,
    /// Partial sweeps made (balance above the maximum effective balance).
    pub partial_withdrawals: u64,
    /// Full sweeps made (withdrawable validators).
    pub full_withdrawals: u64,
    /// Execution-layer rewards owed to `fee_recipient`, in wei.
    pub el_rewards_wei: U256,
    /// The configured fee recipient.
    pub fee_recipient: Address,
}

impl Advance {
    /// Every credit to the execution layer in wei (withdrawals, then the fee recipient's
    /// rewards), one entry per address, zero amounts left out.
    pub fn credits(&self) -> Vec<(Address, U256)> {
        let mut credits: BTreeMap<Address, U256> = self
            .withdrawals_gwei
            .iter()
            .map(|(address, gwei)| (*address, U256::from(*gwei) * U256::from(GWEI_PER_ETH)))
            .collect();
        if !self.el_rewards_wei.is_zero() {
            *credits.entry(self.fee_recipient).or_default() += self.el_rewards_wei;
        }
        credits.into_iter().filter(|(_, wei)| !wei.is_zero()).collect()
    }
}

/// The balances after one epoch boundary.
#[derive(Debug, PartialEq, Eq)]
struct EpochState {
    epoch: u64,
    balances: Vec<u64>,
}

/// A [`BeaconChain`] as a state file keeps it: the registry, the live balances, the clock,
/// the totals and the last boundary's balances. Older kept epochs are left out, so after a
/// restore past-slot queries reach back to the current epoch only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconDump {
    config: BeaconConfig,
    validators: Vec<Record>,
    balances: Vec<u64>,
    epoch: u64,
    head_slot: u64,
    boundary_balances: Vec<u64>,
    totals: Totals,
}

/// A public key as `0x` and 96 hex digits in state files.
mod pubkey_hex {
    use alloy_primitives::FixedBytes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Pubkey;

    pub fn serialize<S: Serializer>(p: &Pubkey, s: S) -> Result<S::Ok, S::Error> {
        FixedBytes(*p).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Pubkey, D::Error> {
        FixedBytes::<48>::deserialize(d).map(|f| f.0)
    }
}

/// Which state a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateId {
    /// The live state (deposits and actions since the last boundary included).
    Head,
    /// Slot 0's state.
    Genesis,
    /// The finalized checkpoint's state (current epoch − 2).
    Finalized,
    /// The justified checkpoint's state (current epoch − 1).
    Justified,
    /// The state at a slot: after the last epoch boundary at or before it.
    Slot(u64),
}

/// A simulated beacon chain. Deterministic: the same deposits, actions and clock give the
/// same state. Clones share the kept history (copy-on-write), so `evm_snapshot` is cheap.
#[derive(Debug, Clone)]
pub struct BeaconChain {
    config: BeaconConfig,
    records: Vec<Record>,
    balances: Vec<u64>,
    by_pubkey: HashMap<Pubkey, u64>,
    /// The current epoch: the last boundary processed.
    epoch: u64,
    head_slot: u64,
    /// States after past boundaries, oldest first, at most `history_epochs` + 1.
    history: VecDeque<Arc<EpochState>>,
    totals: Totals,
    /// [`BeaconConfig::reward_per_epoch`] of each whole-ETH effective balance up to 2048 ETH:
    /// the epoch loop's reward is a lookup, not a 128-bit division per validator.
    rewards: Arc<[u64]>,
}

/// The reward of each effective balance 0, 1, ..., 2048 ETH under `config`.
fn reward_table(config: &BeaconConfig) -> Arc<[u64]> {
    (0..=MAX_EFFECTIVE_BALANCE_COMPOUNDING_GWEI / GWEI_PER_ETH)
        .map(|eth| config.reward_per_epoch(eth * GWEI_PER_ETH))
        .collect()
}

impl BeaconChain {
    /// A chain with no validators at genesis.
    ///
    /// # Errors
    /// [`SimError::Config`] for an unusable configuration.
    pub fn new(config: BeaconConfig) -> Result<Self, SimError> {
        config.validate()?;
        let mut history = VecDeque::new();
        history.push_back(Arc::new(EpochState { epoch: 0, balances: Vec::new() }));
        Ok(Self {
            records: Vec::new(),
            balances: Vec::new(),
            by_pubkey: HashMap::new(),
            epoch: 0,
            head_slot: 0,
            history,
            totals: Totals::default(),
            rewards: reward_table(&config),
            config,
        })
    }

    /// The state to write to a state file.
    pub fn dump(&self) -> BeaconDump {
        BeaconDump {
            config: self.config.clone(),
            validators: self.records.clone(),
            balances: self.balances.clone(),
            epoch: self.epoch,
            head_slot: self.head_slot,
            boundary_balances: self
                .history
                .back()
                .map(|state| state.balances.clone())
                .unwrap_or_default(),
            totals: self.totals,
        }
    }

    /// The chain a [`BeaconChain::dump`] was taken of (without the older kept epochs).
    ///
    /// # Errors
    /// [`SimError::Config`] for an unusable configuration, [`SimError::BadDump`] for a dump
    /// whose lists disagree in length.
    pub fn restore(dump: BeaconDump) -> Result<Self, SimError> {
        let BeaconDump {
            config,
            validators,
            balances,
            epoch,
            head_slot,
            boundary_balances,
            totals,
        } = dump;
        config.validate()?;
        if validators.len() != balances.len() || boundary_balances.len() > balances.len() {
            return Err(SimError::BadDump(
                "validators, balances and the boundary's balances differ in length".into(),
            ));
        }
        let by_pubkey = validators.iter().enumerate().map(|(i, r)| (r.pubkey, i as u64)).collect();
        let mut history = VecDeque::new();
        history.push_back(Arc::new(EpochState { epoch, balances: boundary_balances }));
        Ok(Self {
            rewards: reward_table(&config),
            config,
            records: validators,
            balances,
            by_pubkey,
            epoch,
            head_slot,
            history,
            totals,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BeaconConfig {
        &self.config
    }

    /// Replaces the economic parameters (delays, APR, cadence, rewards, penalties, fee
    /// recipient, retention). The timing (genesis, slot and epoch lengths) is kept: slots
    /// already passed cannot be renumbered.
    ///
    /// # Errors
    /// [`SimError::Config`] for an unusable configuration.
    pub fn reconfigure(&mut self, mut config: BeaconConfig) -> Result<(), SimError> {
        config.genesis_time = self.config.genesis_time;
        config.seconds_per_slot = self.config.seconds_per_slot;
        config.slots_per_epoch = self.config.slots_per_epoch;
        config.validate()?;
        self.rewards = reward_table(&config);
        self.config = config;
        Ok(())
    }

    /// The current epoch (the last boundary processed).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The head slot (the slot of the latest time advanced to).
    pub fn head_slot(&self) -> u64 {
        self.head_slot
    }

    /// The finalized epoch: current − 2 (0 early on).
    pub fn finalized_epoch(&self) -> u64 {
        self.epoch.saturating_sub(2)
    }

    /// The justified epoch: current − 1 (0 early on).
    pub fn justified_epoch(&self) -> u64 {
        self.epoch.saturating_sub(1)
    }

    /// Number of validators in the registry.
    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The running totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Sum of the live balances, in gwei.
    pub fn total_balance_gwei(&self) -> u64 {
        self.balances.iter().fold(0u64, |sum, b| sum.saturating_add(*b))
    }

    /// Ingests a deposit: a new validator if its signature verifies for the configured fork
    /// version, a top-up of an existing one otherwise unchecked.
    pub fn deposit(&mut self, deposit: &Deposit) -> DepositOutcome {
        if let Some(&index) = self.by_pubkey.get(&deposit.pubkey) {
            let i = index as usize;
            self.balances[i] = self.balances[i].saturating_add(deposit.amount_gwei);
            self.totals.deposited_gwei =
                self.totals.deposited_gwei.saturating_add(deposit.amount_gwei);
            return DepositOutcome::TopUp(index);
        }
        let verified = !self.config.check_signatures
            || verify_deposit_signature(
                &deposit.pubkey,
                &deposit.withdrawal_credentials,
                deposit.amount_gwei,
                &deposit.signature,
                self.config.fork_version,
            )
            .is_ok();
        if !verified {
            self.totals.ignored_gwei = self.totals.ignored_gwei.saturating_add(deposit.amount_gwei);
            return DepositOutcome::InvalidSignature;
        }
        let index = self.records.len() as u64;
        self.records.push(Record {
            pubkey: deposit.pubkey,
            withdrawal_credentials: deposit.withdrawal_credentials,
            eligibility: Mark::UNSET,
            activation: Mark::UNSET,
            exit: Mark::UNSET,
            withdrawable: Mark::UNSET,
            slashed: Mark::UNSET,
            offline: false,
        });
        self.balances.push(deposit.amount_gwei);
        self.by_pubkey.insert(deposit.pubkey, index);
        self.totals.deposited_gwei = self.totals.deposited_gwei.saturating_add(deposit.amount_gwei);
        DepositOutcome::Created(index)
    }

    /// The index of a validator.
    ///
    /// # Errors
    /// [`SimError::UnknownValidator`].
    pub fn index_of(&self, id: ValidatorId) -> Result<u64, SimError> {
        match id {
            ValidatorId::Index(i) if i < self.len() => Ok(i),
            ValidatorId::Index(i) => Err(SimError::UnknownValidator(i.to_string())),
            ValidatorId::Pubkey(pubkey) => self.by_pubkey.get(&pubkey).copied().ok_or_else(|| {
                SimError::UnknownValidator(format!("0x{}", alloy_primitives::hex::encode(pubkey)))
            }),
        }
    }

    fn status(&self, index: u64) -> ValidatorStatus {
        let i = index as usize;
        let record = &self.records[i];
        ValidatorStatus::at(
            self.epoch,
            &record.epochs(u64::MAX),
            record.slashed.is_set(),
            self.balances[i],
        )
    }

    /// Schedules the exit of an active validator: exit epoch `exit_delay_epochs` from now,
    /// withdrawable `withdrawable_delay_epochs` later.
    fn schedule_exit(&mut self, i: usize) {
        let since = self.epoch + 1;
        let exit = self.epoch.saturating_add(self.config.exit_delay_epochs);
        let withdrawable = exit.saturating_add(self.config.withdrawable_delay_epochs);
        let record = &mut self.records[i];
        record.exit = Mark { epoch: exit, since };
        record.withdrawable = Mark { epoch: withdrawable, since };
    }

    /// A voluntary exit (only an active, unslashed validator without an exit may exit; the
    /// shard committee period is not simulated).
    ///
    /// # Errors
    /// [`SimError::UnknownValidator`], [`SimError::NotActive`], [`SimError::AlreadyExiting`].
    pub fn request_exit(&mut self, id: ValidatorId) -> Result<u64, SimError> {
        let index = self.index_of(id)?;
        let status = self.status(index);
        match status {
            ValidatorStatus::ActiveOngoing => {}
            ValidatorStatus::ActiveExiting | ValidatorStatus::ActiveSlashed => {
                return Err(SimError::AlreadyExiting(index))
            }
            _ => return Err(SimError::NotActive { index, status }),
        }
        self.schedule_exit(index as usize);
        Ok(index)
    }

    /// Slashes a validator: the initial penalty (effective balance / 4096, see
    /// [`MIN_SLASHING_PENALTY_QUOTIENT`]) at once and a forced exit. Any validator that is
    /// active or exited but not yet withdrawable can be slashed, as on Ethereum.
    ///
    /// Returns the penalty in gwei.
    ///
    /// # Errors
    /// [`SimError::UnknownValidator`], [`SimError::AlreadySlashed`], [`SimError::NotActive`]
    /// (pending or withdrawable).
    pub fn slash(&mut self, id: ValidatorId) -> Result<u64, SimError> {
        let index = self.index_of(id)?;
        let i = index as usize;
        if self.records[i].slashed.is_set() {
            return Err(SimError::AlreadySlashed(index));
        }
        let status = self.status(index);
        if matches!(status.coarse(), "pending" | "withdrawal") {
            return Err(SimError::NotActive { index, status });
        }
        if !self.records[i].exit.is_set() {
            self.schedule_exit(i);
        }
        let record = &mut self.records[i];
        record.slashed = Mark { epoch: self.epoch, since: self.epoch + 1 };
        let penalty = (record.effective_balance(self.balances[i]) / MIN_SLASHING_PENALTY_QUOTIENT)
            .min(self.balances[i]);
        self.balances[i] -= penalty;
        self.totals.penalties_gwei = self.totals.penalties_gwei.saturating_add(penalty);
        Ok(penalty)
    }

    /// Takes a validator offline (it earns nothing and pays the inactivity penalty each
    /// epoch it is active) or back online.
    ///
    /// # Errors
    /// [`SimError::UnknownValidator`].
    pub fn set_offline(&mut self, id: ValidatorId, offline: bool) -> Result<u64, SimError> {
        let index = self.index_of(id)?;
        self.records[index as usize].offline = offline;
        Ok(index)
    }

    /// Moves the clock to unix time `timestamp`, processing every epoch boundary crossed (a
    /// time before the head is ignored: the clock never goes back). Each boundary, in order:
    ///
    /// 1. validators active in the ending epoch earn [`BeaconConfig::reward_per_epoch`] of
    ///    their effective balance, or, when offline or slashed, lose
    ///    [`BeaconConfig::inactivity_penalty_gwei`] (at most their balance);
    /// 2. the ending epoch's execution-layer rewards: `el_reward_wei_per_slot ×
    ///    slots_per_epoch × online / active` (proposers are the active validators in turn;
    ///    a slot of an offline or slashed proposer is missed), rounded down;
    /// 3. a validator whose balance reached 32 ETH becomes eligible and activates
    ///    `activation_delay_epochs` later;
    /// 4. at the last boundary only (the epoch of `timestamp`): withdrawable validators with
    ///    0x01/0x02 credentials are swept entirely, and, if a `sweep_every_epochs`-th boundary
    ///    was crossed, the others down to their maximum effective balance (32 ETH, or 2048 ETH
    ///    for 0x02). 0x00 credentials are never swept.
    ///
    /// Why sweeps wait for the last boundary: on Ethereum a withdrawal is part of a block, and
    /// the execution layer credits it in that block. This chain's blocks are sparse (a time
    /// jump mines one block days later), and the node credits what this returns in the block
    /// at `timestamp`. Were the sweep applied at each crossed boundary, the beacon state at a
    /// slot before `timestamp` would show ether already gone while no block up to that slot
    /// holds it: a report reading both (the beacon state at its reference slot, the vault at
    /// the last block before it) would see the ether nowhere. Swept at the block's own epoch,
    /// every past state and every past block agree; the one window left is the part of
    /// `timestamp`'s epoch before `timestamp` itself, where the state already shows the sweep
    /// (a reference slot, the last slot of its epoch, meets it only if the block lands within
    /// that slot's 12 seconds after it).
    ///
    /// Cost: one pass over the registry per boundary; only the last `history_epochs`
    /// states are copied into the history.
    pub fn advance_to(&mut self, timestamp: u64) -> Advance {
        let slot = self.config.slot_at(timestamp);
        let mut out = Advance { fee_recipient: self.config.fee_recipient, ..Advance::default() };
        if slot <= self.head_slot {
            return out;
        }
        self.head_slot = slot;
        let target = self.config.epoch_of(slot);
        let mut partial_due = false;
        while self.epoch < target {
            let next = self.epoch + 1;
            partial_due |= next.is_multiple_of(self.config.sweep_every_epochs);
            let sweep = (next == target).then_some(partial_due);
            self.process_boundary(next, sweep, &mut out);
            self.epoch = next;
            if target - next <= self.config.history_epochs {
                self.history.push_back(Arc::new(EpochState {
                    epoch: next,
                    balances: self.balances.clone(),
                }));
            }
            out.epochs += 1;
        }
        let oldest = self.epoch.saturating_sub(self.config.history_epochs);
        while self.history.front().is_some_and(|s| s.epoch < oldest) {
            self.history.pop_front();
        }
        out
    }

    /// One boundary; `sweep` is `Some(partial)` at the last boundary of an advance (sweep the
    /// withdrawable, and with `partial` the excess too), `None` before it.
    fn process_boundary(&mut self, next: u64, sweep: Option<bool>, out: &mut Advance) {
        let ended = next - 1;
        let config = &self.config;
        let sweep_partial = sweep == Some(true);
        let (mut active, mut online) = (0u64, 0u64);
        for (record, balance) in self.records.iter_mut().zip(self.balances.iter_mut()) {
            if record.active_in(ended) {
                active += 1;
                if record.offline || record.slashed.is_set() {
                    let penalty = config.inactivity_penalty_gwei.min(*balance);
                    *balance -= penalty;
                    self.totals.penalties_gwei = self.totals.penalties_gwei.saturating_add(penalty);
                } else {
                    online += 1;
                    // Effective balances are whole ETH up to 2048, so always in the table.
                    let eth = record.effective_balance(*balance) / GWEI_PER_ETH;
                    let reward = self.rewards.get(eth as usize).copied().unwrap_or_default();
                    *balance = balance.saturating_add(reward);
                    self.totals.rewards_gwei = self.totals.rewards_gwei.saturating_add(reward);
                }
            }
            if !record.eligibility.is_set() && *balance >= MIN_ACTIVATION_BALANCE_GWEI {
                record.eligibility = Mark { epoch: next, since: next };
                let activation = next.saturating_add(config.activation_delay_epochs);
                record.activation = Mark { epoch: activation, since: next };
            }
            let Some(address) = record.withdrawal_address() else { continue };
            if sweep.is_none() {
                continue;
            }
            let amount = if record.withdrawable.epoch <= next {
                if *balance > 0 {
                    out.full_withdrawals += 1;
                }
                *balance
            } else if sweep_partial && *balance > record.max_effective_balance() {
                out.partial_withdrawals += 1;
                *balance - record.max_effective_balance()
            } else {
                0
            };
            if amount > 0 {
                *balance -= amount;
                let sum = out.withdrawals_gwei.entry(address).or_default();
                *sum = sum.saturating_add(amount);
                self.totals.withdrawn_gwei = self.totals.withdrawn_gwei.saturating_add(amount);
            }
        }
        if active > 0 && !config.el_reward_wei_per_slot.is_zero() {
            let reward = config.el_reward_wei_per_slot
                * U256::from(config.slots_per_epoch)
                * U256::from(online)
                / U256::from(active);
            out.el_rewards_wei += reward;
            self.totals.el_rewards_wei += reward;
        }
    }

    /// A state to query.
    ///
    /// # Errors
    /// [`SimError::StateNotFound`] for a slot after the head or a state older than the
    /// retained history.
    pub fn state(&self, id: StateId) -> Result<StateView<'_>, SimError> {
        let epoch = match id {
            StateId::Head => {
                return Ok(StateView {
                    chain: self,
                    slot: self.head_slot,
                    epoch: self.epoch,
                    horizon: u64::MAX,
                    balances: &self.balances,
                })
            }
            StateId::Genesis => 0,
            StateId::Finalized => self.finalized_epoch(),
            StateId::Justified => self.justified_epoch(),
            StateId::Slot(slot) if slot > self.head_slot => {
                return Err(SimError::StateNotFound(format!(
                    "slot {slot} is after the head slot {}",
                    self.head_slot
                )))
            }
            StateId::Slot(slot) => self.config.epoch_of(slot),
        };
        let slot = match id {
            StateId::Slot(slot) => slot,
            _ => self.config.start_slot(epoch),
        };
        let found = self
            .history
            .binary_search_by_key(&epoch, |s| s.epoch)
            .ok()
            .and_then(|i| self.history.get(i))
            .ok_or_else(|| {
                SimError::StateNotFound(format!(
                    "the state of epoch {epoch} is no longer kept (history of {} epochs)",
                    self.config.history_epochs
                ))
            })?;
        Ok(StateView { chain: self, slot, epoch, horizon: epoch, balances: &found.balances })
    }

    /// A synthetic, deterministic block root for `slot` (`sha256("tidepool-beacon-sim
    /// block" ‖ slot)`): the simulation has no blocks, only roots to show.
    pub fn block_root(slot: u64) -> B256 {
        synthetic_root(b"block", slot)
    }

    /// A synthetic state root for `slot`, as [`BeaconChain::block_root`].
    pub fn state_root(slot: u64) -> B256 {
        synthetic_root(b"state", slot)
    }

    /// A synthetic body root for `slot`, as [`BeaconChain::block_root`].
    pub fn body_root(slot: u64) -> B256 {
        synthetic_root(b"body", slot)
    }

    /// The proposer shown for `slot`: validators in turn (synthetic; 0 with none).
    pub fn proposer_index(&self, slot: u64) -> u64 {
        slot.checked_rem(self.len()).unwrap_or(0)
    }

    /// Validator counts by status at the head.
    pub fn counts(&self) -> BTreeMap<ValidatorStatus, u64> {
        let mut counts = BTreeMap::new();
        if let Ok(state) = self.state(StateId::Head) {
            for v in state.iter() {
                *counts.entry(v.status).or_default() += 1;
            }
        }
        counts
    }
}

fn synthetic_root(kind: &[u8], slot: u64) -> B256 {
    B256::from_slice(
        &Sha256::new()
            .chain_update(b"tidepool-beacon-sim ")
            .chain_update(kind)
            .chain_update(slot.to_le_bytes())
            .finalize(),
    )
}

/// A state's validators: the head, or one kept past epoch's.
#[derive(Debug, Clone, Copy)]
pub struct StateView<'a> {
    chain: &'a BeaconChain,
    slot: u64,
    epoch: u64,
    /// Fields set after this epoch's boundary are hidden (`u64::MAX` at the head).
    horizon: u64,
    balances: &'a [u64],
}

impl<'a> StateView<'a> {
    /// The state's slot.
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// The state's epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether the state is at or before the finalized checkpoint.
    pub fn finalized(&self) -> bool {
        self.epoch <= self.chain.finalized_epoch() && self.horizon != u64::MAX
    }

    /// Validators in the state.
    pub fn len(&self) -> u64 {
        self.balances.len() as u64
    }

    /// Whether the state has no validators.
    pub fn is_empty(&self) -> bool {
        self.balances.is_empty()
    }

    /// The validator at `index`, if the state has it.
    pub fn get(&self, index: u64) -> Option<ValidatorView> {
        let i = usize::try_from(index).ok()?;
        let balance = *self.balances.get(i)?;
        let record = self.chain.records.get(i)?;
        let epochs = record.epochs(self.horizon);
        let slashed = record.slashed_at(self.horizon);
        Some(ValidatorView {
            index,
            balance_gwei: balance,
            status: ValidatorStatus::at(self.epoch, &epochs, slashed, balance),
            pubkey: record.pubkey,
            withdrawal_credentials: record.withdrawal_credentials,
            effective_balance_gwei: record.effective_balance(balance),
            slashed,
            epochs,
            offline: record.offline,
        })
    }

    /// The validator with `pubkey`, if the state has it.
    pub fn find(&self, pubkey: &Pubkey) -> Option<ValidatorView> {
        self.chain.by_pubkey.get(pubkey).and_then(|i| self.get(*i))
    }

    /// Every validator, in index order.
    pub fn iter(&self) -> impl Iterator<Item = ValidatorView> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }
}
