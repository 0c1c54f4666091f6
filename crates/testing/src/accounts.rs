//! The test accounts: people, and the addresses a test installs the protocol's contracts and
//! programs at. Every contract's tests use these, so one address means one thing everywhere.

use alloy_primitives::{address, Address};

use tidepool_common::testing::signer;

/// Deploys every contract; contract addresses are its CREATE addresses.
pub const DEPLOYER: Address = address!("00000000000000000000000000000000000000d0");
/// Holds the admin role of every contract.
pub const ADMIN: Address = address!("00000000000000000000000000000000000000a0");
/// A user.
pub const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
/// A user.
pub const BOB: Address = address!("0000000000000000000000000000000000000b0b");
/// A user.
pub const CAROL: Address = address!("00000000000000000000000000000000000ca201");
/// A user.
pub const DAVE: Address = address!("000000000000000000000000000000000000da7e");
/// The burn address.
pub const DEAD: Address = address!("000000000000000000000000000000000000dead");
/// Anyone who sends a signed message on someone else's behalf.
pub const RELAYER: Address = address!("0000000000000000000000000000000000000e1a");

/// The pool where a test answers it with mocks (the wrapper's, the vault's and the rate
/// feed's tests).
pub const POOL: Address = address!("0000000000000000000000000000000000000b01");
/// The queue, as the pool sees it when no real queue runs.
pub const QUEUE: Address = address!("0000000000000000000000000000000000000011");
/// The oracle, as the pool sees it when no real oracle runs.
pub const ORACLE: Address = address!("000000000000000000000000000000000000000a");
/// The withdrawal vault.
pub const WITHDRAWAL_VAULT: Address = address!("0000000000000000000000000000000000000022");
/// The execution-layer rewards vault.
pub const REWARDS_VAULT: Address = address!("0000000000000000000000000000000000000033");
/// The treasury's fee recipient.
pub const TREASURY: Address = address!("0000000000000000000000000000000000000044");
/// The staking module.
pub const MODULE: Address = address!("0000000000000000000000000000000000000055");
/// The pool's accounting program.
pub const ACCOUNTING: Address = address!("0000000000000000000000000000000000000acc");
/// The pool's admin program.
pub const POOL_ADMIN: Address = address!("00000000000000000000000000000000000000ad");
/// The queue's ledger program.
pub const LEDGER: Address = address!("0000000000000000000000000000000000000bed");
/// The queue's admin program.
pub const QUEUE_ADMIN: Address = address!("000000000000000000000000000000000000a0a0");
/// The oracle's admin program.
pub const ORACLE_ADMIN: Address = address!("00000000000000000000000000000000000000ae");

/// The account of test key `n` ([`signer`]).
pub fn key(n: u8) -> Address {
    signer(n).address()
}
