//! The deposit guard: the only holder of the pool's `DEPOSIT_ROLE`, so no ETH reaches the
//! beacon chain without a quorum of guardians saying the keys are safe to fund (the role of
//! Lido's DepositSecurityModule).
//!
//! # The attack it stops
//! A node operator could deposit 1 ETH for one of its registered keys *with its own
//! withdrawal credentials* before the pool's 32 ETH arrive: the beacon chain keeps the
//! credentials of a key's first deposit, so the pool's ETH would follow into the operator's
//! hands. Guardians watch the deposit contract; each signs, for a recent block, that no
//! registered key has been pre-deposited. A deposit needs a quorum of such attestations over
//! `(blockNumber, blockHash, depositRoot, nonce)`:
//! - `depositRoot` must still be the deposit contract's root: any deposit since (a
//!   front-run included) changes it, so the attestation dies with it;
//! - `nonce` must still be the staking module's nonce, which changes with every change to the
//!   depositable keys (keys added or removed, vetting, deposits), so guardians vouched for
//!   exactly the keys that will be funded;
//! - `blockHash` must be the hash of `blockNumber` on this chain (ArbSys's, within the last
//!   256 blocks): the attestation is recent and from this chain's history.
//!
//! Signatures are 65-byte ECDSA (`r ‖ s ‖ v`, low `s`) over
//! `keccak256(abi.encode(attestPrefix, blockNumber, blockHash, depositRoot, nonce))`, in
//! strictly ascending signer order (duplicates rejected in one pass, as the oracle's
//! committee does). The prefixes bind the message to its purpose, this chain and this guard:
//! `keccak256(abi.encode(keccak256("tidepool.DepositGuard.ATTEST_MESSAGE"), chainId, guard))`
//! and the same with `PAUSE_MESSAGE`.
//!
//! # Pausing
//! Any single guardian can pause deposits, by sending `pauseDeposits` itself or by signing
//! `keccak256(abi.encode(pausePrefix, blockNumber))` for anyone to send, within the pause
//! intent's validity (so an old signature cannot be replayed to pause for good). Only the
//! admin resumes. A pause stops deposits only: staking, reports and claims go on.
//!
//! # Guardians
//! A set of its own, with a quorum; the deployment fills it with the oracle committee's
//! members by default or with a separate set (`tidepool deploy --guardians`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod programs;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{b256, Address, B256};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{StorageAddress, StorageBool, StorageMap, StorageU64, StorageVec};
use tidepool_common::{access_control::AccessControl, initializable::Initializable};

/// Most guardians the guard holds: a quorum check walks the signatures, and removal and
/// `getGuardians` walk the list.
pub const MAX_GUARDIANS: u64 = 64;
/// Blocks a guardian's signed pause stays valid for, by default (about a day at 12 s, as
/// Lido's default; on Arbitrum's faster blocks it is shorter in time).
pub const DEFAULT_PAUSE_INTENT_VALIDITY_BLOCKS: u64 = 6_646;
/// `keccak256("tidepool.DepositGuard.ATTEST_MESSAGE")`.
pub const ATTEST_MESSAGE: B256 =
    b256!("69e09c5c2c067831281d4f54d0dd88a1486ae791be04c8f6b13bb59cfdc9ef1d");
/// `keccak256("tidepool.DepositGuard.PAUSE_MESSAGE")`.
pub const PAUSE_MESSAGE: B256 =
    b256!("907f91c26d3970603a22017c82dc48aae1ded4fb2c09dc6ce5a0ad3e037957e6");

tidepool_common::solidity_errors! {
    /// Errors of the deposit guard.
    pub enum DepositGuardError {
        /// An address given was zero.
        ZeroAddress(),
        /// Deposits are paused.
        DepositsArePaused(),
        /// Deposits are not paused.
        DepositsNotPaused(),
        /// `blockNumber` is not one of the last 256 blocks (or is the current one).
        UnknownBlock(uint256 blockNumber),
        /// The hash of `blockNumber` is `actual`, not the attested `attested`.
        BlockHashMismatch(uint256 blockNumber, bytes32 actual, bytes32 attested),
        /// The deposit contract's root is `actual`, not the attested `attested`.
        DepositRootChanged(bytes32 actual, bytes32 attested),
        /// The staking module's nonce is `actual`, not the attested `attested`.
        ModuleNonceChanged(uint256 actual, uint256 attested),
        /// Signature `index` is not 65 bytes.
        InvalidSignatureLength(uint256 index, uint256 length),
        /// Signature `index` recovers to no address.
        InvalidSignature(uint256 index),
        /// Signature `index` has a high `s` (its malleable twin).
        InvalidSignatureS(uint256 index, bytes32 s),
        /// Signature `index` has a `v` other than 27 or 28.
        InvalidSignatureV(uint256 index, uint8 v),
        /// Signer `signer` of signature `index` repeats the previous one.
        DuplicateSigner(uint256 index, address signer),
        /// Signer `signer` of signature `index` is below the previous `previous`.
        SignersNotAscending(uint256 index, address signer, address previous),
        /// `signer` (signature `index`, or the caller when `index` is the maximum) is not a guardian.
        NotGuardian(uint256 index, address signer),
        /// `signatures` valid signatures, `quorum` needed.
        QuorumNotReached(uint256 signatures, uint256 quorum),
        /// A pause signed at `blockNumber` expired at `validUntil`.
        PauseIntentExpired(uint256 blockNumber, uint256 validUntil),
        /// A quorum must be at least 1.
        InvalidQuorum(uint256 quorum),
        /// `guardian` is already a guardian.
        GuardianAlreadyAdded(address guardian),
        /// `guardian` is not a guardian.
        GuardianNotFound(address guardian),
        /// The guard already holds `max` guardians.
        TooManyGuardians(uint256 max),
        /// A pause intent's validity must be at least one block.
        InvalidPauseIntentValidity(uint256 blocks),
        /// Reading ArbSys, the deposit contract or the staking module failed.
        ReadFailed(address target),
    }
    components { initializable, access_control }
}

tidepool_common::solidity_events! {
    /// `guardian` joined; `quorum` is the new quorum.
    event GuardianAdded(address indexed guardian, uint256 quorum);
    /// `guardian` left; `quorum` is the new quorum.
    event GuardianRemoved(address indexed guardian, uint256 quorum);
    /// The quorum is now `quorum`.
    event GuardianQuorumChanged(uint256 quorum);
    /// `guardian` paused deposits.
    event DepositsPaused(address indexed guardian);
    /// The admin resumed deposits.
    event DepositsUnpaused();
    /// Signed pauses stay valid for `blocks` blocks.
    event PauseIntentValidityPeriodBlocksChanged(uint256 blocks);
    /// `validators` keys were deposited on the attestation of block `blockNumber`.
    event DepositsAttested(uint256 validators, uint256 indexed blockNumber, bytes32 depositRoot, uint256 nonce);
}

/// Every event and error of the guard, with parameter names, for `abi/IDepositGuard.sol` and
/// `abi/DepositGuard.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The guard's events and errors.
    pub fn items() -> Items {
        DepositGuardError::abi_items(abi_events(Items::new()))
    }
}

/// The guard's storage, and its program type ([`programs::deposit_guard`]).
#[storage]
pub struct DepositGuard {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    pub(crate) pool: StorageAddress,
    pub(crate) staking_module: StorageAddress,
    pub(crate) deposit_contract: StorageAddress,
    pub(crate) guardians: StorageVec<StorageAddress>,
    /// A guardian's position in `guardians` plus one; zero for others.
    pub(crate) guardian_position: StorageMap<Address, StorageU64>,
    pub(crate) quorum: StorageU64,
    pub(crate) paused: StorageBool,
    pub(crate) pause_intent_validity: StorageU64,
}

tidepool_common::program_storage!(DepositGuard);
