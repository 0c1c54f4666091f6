//! Stylus storage components shared by the Tidepool contracts.
//!
//! Each module holds one concern as a `#[storage]` struct that a contract embeds as a field,
//! in the style of OpenZeppelin's rust-contracts-stylus: the component owns its slots, its
//! errors and its events, and the contract decides which of its functions to expose.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod initializable;
