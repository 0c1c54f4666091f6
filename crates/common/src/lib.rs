//! Stylus storage components shared by the Tidepool contracts.
//!
//! Each module holds one concern as a `#[storage]` struct that a contract embeds as a field,
//! in the style of OpenZeppelin's rust-contracts-stylus: the component owns its slots, its
//! errors and its events, and the contract decides which of its functions to expose.
//!
//! - [`access_control`]: roles and role admins.
//! - [`pausable`]: pauses that end at a set time or on `resume`.
//! - [`eip712`]: typed-data domain separator, digests, EIP-5267 domain.
//! - [`nonces`]: single-use nonces for signed messages.
//! - [`signature`]: ECDSA recovery through the precompile, EIP-1271 contract wallets.
//! - [`permit`]: EIP-2612 signature check and nonce for ERC-20 tokens.
//! - [`erc20`]: ERC-20 events, ERC-6093 errors and the allowance book.
//! - [`initializable`]: one-time initialisation by the deployer.
//! - [`program`]: program types, delegation to a contract's next program, program shells.
#![cfg_attr(not(any(test, feature = "export-abi", feature = "testing")), no_std)]

extern crate alloc;

pub mod abi;
pub mod access_control;
pub mod eip712;
pub mod erc20;
pub mod exit_report;
pub mod initializable;
pub mod nonces;
pub mod pausable;
pub mod permit;
pub mod program;
pub mod signature;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
