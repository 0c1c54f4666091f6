//! The staking module: who runs Tidepool's validators, and with which keys.
//!
//! Lido's curated module (NodeOperatorsRegistry) is the reference for the semantics. Node
//! operators are added by governance (`MANAGE_NODE_OPERATOR_ROLE`) with a name, a reward
//! address and a manager address; the manager uploads the operator's validator keys in
//! batches (a 48-byte BLS public key and a 96-byte deposit signature each), and governance
//! (`SET_VETTED_KEYS_ROLE`) approves how many of them may receive deposits (the *vetted*
//! count). Each operator's keys form a list whose first `deposited` entries have received
//! 32 ETH and can never change; keys above that can be removed by the manager.
//!
//! Two guarantees the rest of the protocol builds on:
//! - **A key is known to the module at most once**, across all operators: adding a key the
//!   module already holds reverts (`SigningKeyAlreadyKnown`), so the same validator can never
//!   be funded twice or claimed by two operators.
//! - **The module nonce changes with every change to the set of depositable keys** (keys
//!   added or removed, a vetted count changed, an operator deactivated). Deposit guardians
//!   sign over it, so an attestation made before a change cannot authorise a deposit after
//!   it.
//!
//! # Deposits
//! The pool's `deposit(n)` (held by the deposit guard, which checks the guardians' quorum)
//! sends `n × 32 ETH` to the module's `deposit(n)`. The module picks `n` keys with
//! `tidepool_math::allocation` (fewest active validators first, never above a vetted limit or
//! the per-operator share cap), marks them deposited, and makes one beacon deposit per key
//! with the pool's withdrawal credentials (`0x01 ‖ 0…0 ‖ withdrawal vault`, or `0x02` for
//! compounding validators) and the SSZ deposit data root computed on chain
//! (`tidepool_beacon`). It deposits exactly `n` keys or reverts, so the pool's count of
//! deposited validators is always the module's.
//!
//! # Exits
//! Once per frame the oracle applies the committee's exit report (`processExitReport`, held
//! by `REPORT_EXITS_ROLE`; the format is `tidepool_interfaces::exit_report`). Exit requests
//! name an operator and a count: the operator's next `count` deposited keys not yet asked to
//! exit, in key order, so its oldest validators leave first; each key gets one
//! `ValidatorExitRequested` event with its public key, which the operator watches and acts on.
//! An operator's `exit_requested` never exceeds its deposited keys. Exited counts are the
//! beacon chain's: they never fall and never exceed the deposited keys, and they are what
//! rewards and allocation subtract (running = deposited − exited). A change of an exited count
//! changes the nonce, as a vetted count does, because it changes what allocation would give
//! each operator (Lido's curated module does the same).
//!
//! # Rewards
//! The pool mints the module's fee share to the module's address at each report.
//! `distributeRewards` (anyone may call it) transfers those shares to the active operators'
//! reward addresses pro rata to their running validators, rounding down; the remainder waits
//! for the next distribution. Transfers rather than claims: a transfer of shares runs no code
//! at the recipient, so no operator can block another's rewards, and there is no claim state.
//!
//! # Why two programs
//! `staking-module` (deposits, rewards, summary; [`programs::staking_module`]) and
//! `staking-module-registry` (operators, keys, vetting, roles; [`programs::registry`]), which
//! the first reaches by delegatecall on the same storage, as the pool's programs do: together
//! they exceed one program's 24 KB.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod programs;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{FixedBytes, B256, U64};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageAddress, StorageBool, StorageFixedBytes, StorageMap, StorageString, StorageU16,
    StorageU64, StorageVec,
};
use tidepool_common::{access_control::AccessControl, initializable::Initializable};

pub use tidepool_beacon::{PUBKEY_LENGTH, SIGNATURE_LENGTH};
pub use tidepool_interfaces::staking_module::{MAX_DEPOSITS_PER_CALL, MAX_KEYS_PER_BATCH};
/// Most node operators the module holds (Lido's curated module allows 200): allocation walks
/// every active operator, so the count bounds a deposit's gas.
pub const MAX_NODE_OPERATORS: u64 = 200;
/// Longest operator name, in bytes.
pub const MAX_NAME_LENGTH: usize = 64;
/// The per-operator share cap a new module starts with, in basis points of all running
/// validators: 10%, which binds once ten operators are active (see
/// `tidepool_math::allocation`).
pub const DEFAULT_MAX_OPERATOR_SHARE_BP: u16 = 1_000;

pub use tidepool_interfaces::roles::staking_module::{
    MANAGE_NODE_OPERATOR_ROLE, REPORT_EXITS_ROLE, SET_VETTED_KEYS_ROLE,
};

tidepool_common::solidity_errors! {
    /// Errors of the staking module.
    pub enum StakingModuleError {
        /// No operator has id `nodeOperatorId`.
        NodeOperatorNotFound(uint256 nodeOperatorId),
        /// The module already holds `max` operators.
        TooManyNodeOperators(uint256 max),
        /// A name must be 1 to `maxLength` bytes; it was `length`.
        InvalidNodeOperatorName(uint256 length, uint256 maxLength),
        /// A reward or manager address may not be zero.
        ZeroAddress(),
        /// The operator is already in the asked state (`active`).
        NodeOperatorActiveStateUnchanged(uint256 nodeOperatorId, bool active),
        /// The operator is inactive: its keys cannot be vetted.
        NodeOperatorInactive(uint256 nodeOperatorId),
        /// `caller` is not the manager of operator `nodeOperatorId`.
        NotNodeOperatorManager(uint256 nodeOperatorId, address caller),
        /// A key batch must hold 1 to `max` keys; it held `count`.
        InvalidKeyBatchSize(uint256 count, uint256 max),
        /// The public keys of a batch must be `expected` bytes (48 per key); they were `actual`.
        InvalidPubkeysLength(uint256 expected, uint256 actual),
        /// The signatures of a batch must be `expected` bytes (96 per key); they were `actual`.
        InvalidSignaturesLength(uint256 expected, uint256 actual),
        /// Key `index` of the batch is all zeros.
        EmptySigningKey(uint256 index),
        /// The module already holds the key whose hash is `pubkeyHash` (batch index `index`).
        SigningKeyAlreadyKnown(uint256 index, bytes32 pubkeyHash),
        /// Keys `fromIndex` to `fromIndex + count` are not all within the operator's `total`.
        SigningKeyOutOfRange(uint256 fromIndex, uint256 count, uint256 total),
        /// Key `index` has been deposited (the first `deposited` keys are fixed for good).
        SigningKeyDeposited(uint256 index, uint256 deposited),
        /// A vetted count must lie between the deposited keys and the total keys.
        InvalidVettedKeysCount(uint256 vetted, uint256 deposited, uint256 total),
        /// `caller` is not the pool: only the pool deposits.
        NotPool(address caller),
        /// A deposit must fund 1 to `max` keys; it asked for `count`.
        InvalidDepositsCount(uint256 count, uint256 max),
        /// A deposit of `count` keys must carry `expected` wei (32 ETH each); it carried `received`.
        InvalidDepositValue(uint256 expected, uint256 received),
        /// Only `available` keys can be deposited now (vetted limits, the share cap); `requested` were asked.
        NotEnoughDepositableKeys(uint256 requested, uint256 available),
        /// The beacon deposit contract refused key `keyIndex` of operator `nodeOperatorId`.
        BeaconDepositFailed(uint256 nodeOperatorId, uint256 keyIndex),
        /// A share cap must be 1 to 10,000 basis points; it was `shareBasisPoints`.
        InvalidMaxOperatorShare(uint256 shareBasisPoints),
        /// `registry` holds no code: a delegatecall to it would succeed doing nothing.
        RegistryWithoutCode(address registry),
        /// Reading the module's shares from the pool, or transferring them, failed.
        PoolCallFailed(),
        /// Operator `nodeOperatorId` would have `exitRequested` keys asked to exit, more than
        /// its `deposited` keys.
        ExitRequestExceedsDeposited(uint256 nodeOperatorId, uint256 exitRequested, uint256 deposited),
        /// Operator `nodeOperatorId` had `previous` exited validators; a report of `reported`
        /// would lower it (exits are final).
        ExitedCountDecreased(uint256 nodeOperatorId, uint256 previous, uint256 reported),
        /// Operator `nodeOperatorId` cannot have `exited` exited validators: it has only
        /// `deposited`.
        ExitedCountExceedsDeposited(uint256 nodeOperatorId, uint256 exited, uint256 deposited),
    }
    components { initializable, access_control, exit_report }
}

tidepool_common::solidity_events! {
    /// Operator `nodeOperatorId` joined the module (active).
    event NodeOperatorAdded(
        uint256 indexed nodeOperatorId,
        string name,
        address rewardAddress,
        address manager
    );
    /// Operator `nodeOperatorId` was renamed.
    event NodeOperatorNameSet(uint256 indexed nodeOperatorId, string name);
    /// Operator `nodeOperatorId`'s rewards now go to `rewardAddress`.
    event NodeOperatorRewardAddressSet(uint256 indexed nodeOperatorId, address rewardAddress);
    /// Operator `nodeOperatorId`'s keys are now managed by `manager`.
    event NodeOperatorManagerSet(uint256 indexed nodeOperatorId, address manager);
    /// Operator `nodeOperatorId` was activated or deactivated.
    event NodeOperatorActiveSet(uint256 indexed nodeOperatorId, bool active);
    /// Operator `nodeOperatorId` holds a new key.
    event SigningKeyAdded(uint256 indexed nodeOperatorId, bytes pubkey);
    /// Operator `nodeOperatorId` no longer holds `pubkey`.
    event SigningKeyRemoved(uint256 indexed nodeOperatorId, bytes pubkey);
    /// Operator `nodeOperatorId` now has `totalKeys` keys.
    event TotalSigningKeysCountChanged(uint256 indexed nodeOperatorId, uint256 totalKeys);
    /// `vettedKeys` of operator `nodeOperatorId`'s keys may now receive deposits.
    event VettedSigningKeysCountChanged(uint256 indexed nodeOperatorId, uint256 vettedKeys);
    /// The set of depositable keys changed: attestations over an older nonce are void.
    event NonceChanged(uint256 nonce);
    /// The first `depositedKeys` of operator `nodeOperatorId`'s keys have been deposited.
    event DepositedSigningKeysCountChanged(uint256 indexed nodeOperatorId, uint256 depositedKeys);
    /// No operator may take a deposit that lifts it above `shareBasisPoints` of all running validators.
    event MaxOperatorShareSet(uint256 shareBasisPoints);
    /// Deposits go out with `withdrawalCredentials`, the pool's withdrawal vault.
    event WithdrawalCredentialsSet(bytes32 withdrawalCredentials);
    /// Operator `nodeOperatorId` received `shares` of the pool's token at `rewardAddress`.
    event RewardsDistributed(uint256 indexed nodeOperatorId, address indexed rewardAddress, uint256 shares);
    /// The operator of `nodeOperatorId` is asked to exit its validator `pubkey`, its key
    /// number `keyIndex` (one event per key: what operators watch).
    event ValidatorExitRequested(uint256 indexed nodeOperatorId, uint256 indexed keyIndex, bytes pubkey);
    /// `exitedValidators` of operator `nodeOperatorId`'s validators have exited, as the
    /// committee saw the beacon chain.
    event ExitedValidatorsCountChanged(uint256 indexed nodeOperatorId, uint256 exitedValidators);
}

/// Every event and error of the module, with parameter names, for `abi/IStakingModule.sol`
/// and `abi/StakingModule.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The module's events and errors.
    pub fn items() -> Items {
        StakingModuleError::abi_items(abi_events(Items::new()))
    }
}

/// One validator key: the public key in two slots (32 + 16 bytes), the deposit signature in
/// three.
#[storage]
#[derive(Erase)]
pub struct SigningKey {
    pub(crate) pubkey_head: StorageFixedBytes<32>,
    pub(crate) pubkey_tail: StorageFixedBytes<16>,
    pub(crate) signature_0: StorageFixedBytes<32>,
    pub(crate) signature_1: StorageFixedBytes<32>,
    pub(crate) signature_2: StorageFixedBytes<32>,
}

/// A node operator. The four counters share one slot.
#[storage]
pub struct NodeOperator {
    pub(crate) active: StorageBool,
    pub(crate) reward_address: StorageAddress,
    pub(crate) manager: StorageAddress,
    pub(crate) name: StorageString,
    // One slot.
    pub(crate) total_keys: StorageU64,
    pub(crate) vetted_keys: StorageU64,
    pub(crate) deposited_keys: StorageU64,
    pub(crate) exited_keys: StorageU64,
    pub(crate) keys: StorageVec<SigningKey>,
    /// How many of the first deposited keys the committee has asked to exit (they are asked
    /// in key order). After `keys`, so that it takes a slot of its own instead of moving
    /// `keys` (the four counters' slot is full).
    pub(crate) exit_requested: StorageU64,
}

/// The module's storage, and its program type ([`programs::staking_module`]).
#[storage]
pub struct StakingModule {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    pub(crate) operators: StorageVec<NodeOperator>,
    pub(crate) active_operators: StorageU64,
    /// Bumped by every change to the depositable keys (see the crate docs).
    pub(crate) nonce: StorageU64,
    /// Whether the module holds a key, by `keccak256(pubkey)`.
    pub(crate) known_keys: StorageMap<B256, StorageBool>,
    /// The only caller of `deposit`, and the token the module's rewards are paid in.
    pub(crate) pool: StorageAddress,
    /// Ethereum's deposit contract (or the local chain's).
    pub(crate) deposit_contract: StorageAddress,
    /// Where every validator's withdrawals go: the pool's withdrawal vault.
    pub(crate) withdrawal_credentials: StorageFixedBytes<32>,
    /// The `staking-module-registry` program, which the fallback delegatecalls.
    pub(crate) registry_contract: StorageAddress,
    /// The per-operator share cap, in basis points (see `tidepool_math::allocation`).
    pub(crate) max_operator_share_bp: StorageU16,
    /// Keys deposited, over all operators.
    pub(crate) deposited_validators: StorageU64,
}

tidepool_common::program_storage!(StakingModule);

// SAFETY: `registry_contract` is set once, in `initialize`, by the proven deployer, to code
// checked to exist: the `staking-module-registry` program, whose program type wraps
// `StakingModule`. (At that program's own address it is zero: its storage is never
// initialised.)
#[allow(unsafe_code)]
unsafe impl tidepool_common::program::Delegate for StakingModule {
    fn next_program(&self) -> alloy_primitives::Address {
        self.registry_contract.get()
    }
}

/// `n` as the storage counter type.
pub(crate) fn u64_word(n: u64) -> U64 {
    U64::from(n)
}

/// A key as stored: the public key's first 32 and last 16 bytes, the signature's 3 words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyWords {
    head: B256,
    tail: FixedBytes<16>,
    signature: [B256; 3],
}

impl KeyWords {
    /// The words of `pubkey` (48 bytes) and `signature` (96 bytes).
    pub(crate) fn new(pubkey: &[u8], signature: &[u8]) -> Self {
        Self {
            head: B256::from_slice(&pubkey[..32]),
            tail: FixedBytes::from_slice(&pubkey[32..PUBKEY_LENGTH]),
            signature: [
                B256::from_slice(&signature[..32]),
                B256::from_slice(&signature[32..64]),
                B256::from_slice(&signature[64..SIGNATURE_LENGTH]),
            ],
        }
    }

    /// The public key's 48 bytes.
    pub(crate) fn pubkey(&self) -> [u8; PUBKEY_LENGTH] {
        let mut out = [0u8; PUBKEY_LENGTH];
        out[..32].copy_from_slice(self.head.as_slice());
        out[32..].copy_from_slice(self.tail.as_slice());
        out
    }

    /// The signature's 96 bytes.
    pub(crate) fn signature(&self) -> [u8; SIGNATURE_LENGTH] {
        let mut out = [0u8; SIGNATURE_LENGTH];
        for (chunk, word) in out.chunks_exact_mut(32).zip(&self.signature) {
            chunk.copy_from_slice(word.as_slice());
        }
        out
    }

    /// Appends the public key's 48 bytes to `out`.
    pub(crate) fn push_pubkey(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.pubkey());
    }

    /// Appends the signature's 96 bytes to `out`.
    pub(crate) fn push_signature(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.signature());
    }
}

impl SigningKey {
    /// The stored public key (two slots; the signature is not read).
    pub(crate) fn pubkey(&self) -> [u8; PUBKEY_LENGTH] {
        let mut out = [0u8; PUBKEY_LENGTH];
        out[..32].copy_from_slice(self.pubkey_head.get().as_slice());
        out[32..].copy_from_slice(self.pubkey_tail.get().as_slice());
        out
    }

    /// The stored key.
    pub(crate) fn words(&self) -> KeyWords {
        KeyWords {
            head: self.pubkey_head.get(),
            tail: self.pubkey_tail.get(),
            signature: [self.signature_0.get(), self.signature_1.get(), self.signature_2.get()],
        }
    }

    /// Stores `key` in this place.
    pub(crate) fn set_words(&mut self, key: &KeyWords) {
        self.pubkey_head.set(key.head);
        self.pubkey_tail.set(key.tail);
        self.signature_0.set(key.signature[0]);
        self.signature_1.set(key.signature[1]);
        self.signature_2.set(key.signature[2]);
    }
}

/// An operator's state as the key rules read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyCounts {
    pub(crate) active: bool,
    pub(crate) total: u64,
    pub(crate) vetted: u64,
    pub(crate) deposited: u64,
    pub(crate) exited: u64,
}

impl NodeOperator {
    /// Its active flag and key counters.
    pub(crate) fn counts(&self) -> KeyCounts {
        KeyCounts {
            active: self.active.get(),
            total: self.total_keys.get().to::<u64>(),
            vetted: self.vetted_keys.get().to::<u64>(),
            deposited: self.deposited_keys.get().to::<u64>(),
            exited: self.exited_keys.get().to::<u64>(),
        }
    }
}
