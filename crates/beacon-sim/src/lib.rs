//! A simulated beacon chain for the local node.
//!
//! [`BeaconChain`] is a pure, deterministic state machine (no I/O, integer math only: gwei
//! in `u64`, wei in `U256`): deposits create or top up validators (a new key's BLS deposit
//! signature is checked, as on Ethereum), validators go through Ethereum's life cycle with
//! the beacon API's status names, and [`BeaconChain::advance_to`] processes the epoch
//! boundaries up to a time, paying rewards at an APR, taking inactivity penalties, moving
//! exits on, and returning the withdrawals (and execution-layer rewards) owed to the
//! execution layer. Past epochs' balances are kept for a configurable number of epochs so
//! the state at a past slot can be read, as an oracle reading its reference slot does.
//!
//! Memory: about 250 bytes per validator for the registry (key, credentials, epochs, the
//! public-key index) plus 8 bytes per validator per kept past epoch
//! ([`BeaconConfig::history_epochs`], 256 by default: 2 KB per validator, 20 MB for 10,000).
//! Time: one pass over the registry per epoch boundary crossed (about 5 ns per validator
//! and epoch optimized: a simulated year of 10,000 validators, 82,125 epochs, in about 4 s).
//!
//! [`rest`] serves the state over the standard beacon-node REST API (the subset the
//! committee tooling and common tools read).
//!
//! What is simplified, and why it does not matter for the protocol's accounting:
//! - effective balance has no hysteresis: it is the balance rounded down to whole ETH,
//!   capped (32 ETH, or 2048 ETH for 0x02 credentials);
//! - no activation or exit churn queue: every validator waits the configured delays;
//! - the sweep pays every due validator at the boundary instead of 16 per slot;
//! - slashing: only the initial penalty (effective balance / 4096, Electra's
//!   `MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA`), then the inactivity penalty each epoch until
//!   the exit; no correlation penalty, and the same withdrawable delay as a voluntary exit;
//! - block, state and body roots are synthetic (hashes of the slot), not SSZ roots.
#![warn(missing_docs)]

pub mod chain;
pub mod config;
pub mod rest;
pub mod status;

pub use chain::{
    Advance, BadValidatorId, BeaconChain, BeaconDump, Deposit, DepositOutcome, Pubkey, SimError,
    StateId, StateView, Totals, ValidatorId, ValidatorView,
};
pub use config::{BeaconConfig, ConfigError, SECONDS_PER_YEAR};
pub use status::StatusFilter;
pub use tidepool_beacon::status::{ValidatorEpochs, ValidatorStatus, FAR_FUTURE_EPOCH};
