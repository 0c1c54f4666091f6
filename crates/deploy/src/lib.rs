//! Deploys the Tidepool protocol to any Stylus chain over JSON-RPC, and drives it.
//!
//! - [`Client`]: an alloy provider with local signers. Every transaction is signed here and
//!   sent raw, its gas estimated first so a revert surfaces with its decoded custom error
//!   ([`Error::Reverted`]) before anything is sent.
//! - [`program`]: Stylus code from `tidepool build` (`target/wasm/<name>.code`): CREATE, then
//!   ArbWasm activation with the data fee the chain asks for, skipped when the code hash is
//!   already active.
//! - [`protocol`]: the whole protocol: twelve contracts deployed, activated, initialised
//!   and wired, roles granted, the committee seated; the result is a [`Deployment`].
//! - [`record`]: the deployment record, `deployments/<chain-id>.json`.
//! - [`invariants`]: DESIGN.md's accounting invariants, checked from chain state.
//! - [`permit`]: EIP-2612 permits signed off-chain.
//! - [`report`]: oracle reports built from chain state (simulated rate, finalization
//!   batches) and signed by committee keys, as the committee's tooling does.
#![warn(missing_docs)]

mod client;
pub mod deposit;
mod error;
pub mod exit_report;
pub mod invariants;
pub mod local;
pub mod permit;
pub mod program;
pub mod protocol;
pub mod record;
pub mod report;

pub use alloy_signer::SignerSync;
pub use alloy_signer_local::PrivateKeySigner;
pub use client::{Client, Receipt};
pub use error::{decode_revert, Error};
pub use protocol::{
    deploy_and_record, deploy_protocol, BeaconConfig, DeployOptions, OperatorSetup,
};
pub use record::{Addresses, ContractRecord, Deployment, ModuleSetup};

/// Ether in wei.
pub const ETHER: alloy_primitives::U256 =
    alloy_primitives::U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
