//! What the native contract tests share, written once: the test accounts ([`accounts`]),
//! ether units and exact reference arithmetic ([`units`]), and installing contracts and their
//! programs on the test host ([`install`]), re-exporting the host itself
//! (`tidepool_common::testing`).
//!
//! This crate depends on no contract crate: every contract dev-depends on it, and a contract
//! linked twice into its own tests (once tested, once through here) would be two different
//! types. Installing a contract is therefore generic over its router type
//! ([`install::install`], [`install::serve`]), and the pool is initialised by routing
//! [`PoolAccounts::initialize_call`] through its router.
#![warn(missing_docs)]

pub mod accounts;
pub mod install;
pub mod units;

pub use accounts::*;
pub use install::*;
pub use tidepool_common::testing::*;
pub use units::*;
