//! The simulation's parameters: timing, delays, economics and history retention.

use alloy_primitives::{Address, U256};
use tidepool_beacon::{ForkVersion, GWEI_PER_ETH};

/// Seconds in the year the APR is quoted over: 365 days (no leap day), so with 12-second
/// slots and 32-slot epochs a year is exactly 82,125 epochs.
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 3600;

/// Ethereum's `MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA`: a slashed validator loses
/// `effective_balance / 4096` at once (1/4096 of 32 ETH is 0.0078125 ETH). The correlation
/// penalty applied halfway to withdrawability on mainnet is not simulated.
pub const MIN_SLASHING_PENALTY_QUOTIENT: u64 = 4096;

/// `MIN_ACTIVATION_BALANCE` (and the maximum effective balance of 0x00/0x01 credentials).
pub const MIN_ACTIVATION_BALANCE_GWEI: u64 = 32 * GWEI_PER_ETH;

/// `MAX_EFFECTIVE_BALANCE_ELECTRA`: the maximum effective balance of 0x02 (compounding)
/// credentials, above which they are swept.
pub const MAX_EFFECTIVE_BALANCE_COMPOUNDING_GWEI: u64 = 2048 * GWEI_PER_ETH;

/// Why a configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A parameter that must be positive is zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// Everything the simulation is parameterized by. [`BeaconConfig::default`] is the local
/// chain's: mainnet timing, short delays so a life cycle fits in a test, 3% APR.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconConfig {
    /// Unix time of slot 0.
    pub genesis_time: u64,
    /// `SECONDS_PER_SLOT` (12 on mainnet).
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH` (32 on mainnet).
    pub slots_per_epoch: u64,
    /// Epochs from the boundary where a validator's balance reaches 32 ETH to its activation
    /// (mainnet: at least `1 + MAX_SEED_LOOKAHEAD` = 5, plus the queue).
    pub activation_delay_epochs: u64,
    /// Epochs from an exit request (or slashing) to the exit epoch (at least 1).
    pub exit_delay_epochs: u64,
    /// Epochs from the exit epoch to withdrawability (mainnet: 256; slashed: 8192, here the
    /// same as unslashed).
    pub withdrawable_delay_epochs: u64,
    /// Consensus-layer rewards of an active, online, unslashed validator, in basis points a
    /// year of its effective balance.
    pub apr_bps: u64,
    /// Partial withdrawals (balance above the maximum effective balance) are swept at every
    /// epoch boundary that is a multiple of this (full withdrawals at every boundary).
    pub sweep_every_epochs: u64,
    /// Execution-layer rewards (priority fees, MEV) of each slot whose proposer is online,
    /// in wei, paid to [`BeaconConfig::fee_recipient`]; 0 disables them.
    pub el_reward_wei_per_slot: U256,
    /// Where execution-layer rewards go (the protocol's execution-layer rewards vault).
    pub fee_recipient: Address,
    /// What an active validator that is offline (or slashed) loses per epoch, in gwei
    /// (capped at its balance).
    pub inactivity_penalty_gwei: u64,
    /// How many past epochs' states are kept for queries at a past slot; each costs 8 bytes
    /// per validator (the balances; statuses are derived from the validator's epochs).
    pub history_epochs: u64,
    /// The fork version deposit signatures are checked for (the local chain's genesis fork).
    #[serde(with = "fork_version_hex")]
    pub fork_version: ForkVersion,
    /// Whether a new key's deposit signature is checked (true, as on Ethereum). Off only for
    /// synthetic registries in tests and benchmarks: a BLS check costs 1-2 ms, so 10,000
    /// validators would take tens of seconds.
    pub check_signatures: bool,
}

impl Default for BeaconConfig {
    fn default() -> Self {
        let mut config = Self {
            genesis_time: 0,
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            activation_delay_epochs: 4,
            exit_delay_epochs: 4,
            withdrawable_delay_epochs: 8,
            apr_bps: 300,
            sweep_every_epochs: 8,
            el_reward_wei_per_slot: U256::ZERO,
            fee_recipient: Address::ZERO,
            inactivity_penalty_gwei: 0,
            // A day is 225 epochs; a frame's reference slot lags the head by up to a day.
            history_epochs: 256,
            fork_version: ForkVersion::MAINNET,
            check_signatures: true,
        };
        // An offline validator loses what an online one earns, as on mainnet roughly.
        config.inactivity_penalty_gwei = config.reward_per_epoch(MIN_ACTIVATION_BALANCE_GWEI);
        config
    }
}

impl BeaconConfig {
    /// Checks the parameters a division or an epoch loop relies on.
    ///
    /// # Errors
    /// [`ConfigError::Zero`] for a zero slot length, epoch length, exit delay, sweep cadence
    /// or history.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (value, name) in [
            (self.seconds_per_slot, "seconds_per_slot"),
            (self.slots_per_epoch, "slots_per_epoch"),
            (self.exit_delay_epochs, "exit_delay_epochs"),
            (self.sweep_every_epochs, "sweep_every_epochs"),
            (self.history_epochs, "history_epochs"),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        Ok(())
    }

    /// Seconds per epoch.
    pub fn seconds_per_epoch(&self) -> u64 {
        self.seconds_per_slot.saturating_mul(self.slots_per_epoch)
    }

    /// The slot at unix time `timestamp` (0 before genesis).
    pub fn slot_at(&self, timestamp: u64) -> u64 {
        timestamp.saturating_sub(self.genesis_time) / self.seconds_per_slot.max(1)
    }

    /// The epoch of `slot`.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.slots_per_epoch.max(1)
    }

    /// The first slot of `epoch`.
    pub fn start_slot(&self, epoch: u64) -> u64 {
        epoch.saturating_mul(self.slots_per_epoch)
    }

    /// One epoch's reward for `effective_balance_gwei` at [`BeaconConfig::apr_bps`]:
    /// `effective × apr_bps × seconds_per_epoch / (10,000 × SECONDS_PER_YEAR)`, rounded down
    /// (so the simulation never pays more than the APR; 32 ETH at 3% earns 11,689 gwei an
    /// epoch, 0.5 gwei less than the exact figure).
    pub fn reward_per_epoch(&self, effective_balance_gwei: u64) -> u64 {
        let numerator = u128::from(effective_balance_gwei)
            * u128::from(self.apr_bps)
            * u128::from(self.seconds_per_epoch());
        let reward = numerator / (10_000 * u128::from(SECONDS_PER_YEAR));
        u64::try_from(reward).unwrap_or(u64::MAX)
    }
}

/// A fork version as `0x` and 8 hex digits in state files.
mod fork_version_hex {
    use alloy_primitives::FixedBytes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use tidepool_beacon::ForkVersion;

    pub fn serialize<S: Serializer>(v: &ForkVersion, s: S) -> Result<S::Ok, S::Error> {
        FixedBytes(v.0).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ForkVersion, D::Error> {
        FixedBytes::<4>::deserialize(d).map(|f| ForkVersion(f.0))
    }
}
