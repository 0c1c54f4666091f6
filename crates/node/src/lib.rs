//! tidepool-node: a local Stylus-capable Ethereum node.
#![warn(missing_docs)]

pub mod activation;
pub mod arbwasm;
pub mod chain;
pub mod evm;
pub mod host;
pub mod ink;
pub mod node;
pub mod program;
pub mod rpc;
pub mod stylus;
