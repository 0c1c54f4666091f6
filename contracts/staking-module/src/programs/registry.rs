//! The `staking-module-registry` program: node operators, their keys and vetted limits, the
//! registry's views and role management. The `staking-module` program's fallback
//! delegatecalls it, so these functions run on the module's storage at the module's address.
//!
//! Called at its own address, the program finds no roles (its storage is never initialised):
//! every state-changing function reverts and the views read zeros.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{keccak256, Address, B256, U256};
use stylus_sdk::{abi::Bytes, prelude::*};

use crate::{
    u64_word, EmptySigningKey, InvalidKeyBatchSize, InvalidNodeOperatorName, InvalidPubkeysLength,
    InvalidSignaturesLength, InvalidVettedKeysCount, KeyCounts, KeyWords, NodeOperatorActiveSet,
    NodeOperatorActiveStateUnchanged, NodeOperatorAdded, NodeOperatorInactive,
    NodeOperatorManagerSet, NodeOperatorNameSet, NodeOperatorNotFound,
    NodeOperatorRewardAddressSet, NonceChanged, NotNodeOperatorManager, SigningKeyAdded,
    SigningKeyAlreadyKnown, SigningKeyDeposited, SigningKeyOutOfRange, SigningKeyRemoved,
    StakingModule, StakingModuleError, TooManyNodeOperators, TotalSigningKeysCountChanged,
    VettedSigningKeysCountChanged, ZeroAddress, MANAGE_NODE_OPERATOR_ROLE, MAX_KEYS_PER_BATCH,
    MAX_NAME_LENGTH, MAX_NODE_OPERATORS, PUBKEY_LENGTH, REPORT_EXITS_ROLE, SET_VETTED_KEYS_ROLE,
    SIGNATURE_LENGTH,
};

type Result<T, E = StakingModuleError> = core::result::Result<T, E>;

/// An operator as `getNodeOperator` returns it: active, name, reward address, manager, and
/// the total, vetted, deposited and exited key counts.
pub type NodeOperatorView = (bool, String, Address, Address, u64, u64, u64, u64);

tidepool_common::program_type! {
    /// The module's storage, seen by the registry code: one field, so every slot is the
    /// module's.
    pub struct StakingModuleRegistry { module: StakingModule }
}

#[public]
impl StakingModuleRegistry {
    // ---- Node operators (MANAGE_NODE_OPERATOR_ROLE) ----

    /// Adds an active node operator with no keys.
    ///
    /// # Arguments
    /// * `name` - 1 to 64 bytes.
    /// * `reward_address` - where the operator's rewards go.
    /// * `manager` - the address that adds and removes the operator's keys.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without the role.
    /// * `InvalidNodeOperatorName`, `ZeroAddress` (either address),
    ///   `TooManyNodeOperators` at 200 operators.
    ///
    /// # Events
    /// * `NodeOperatorAdded(id, name, rewardAddress, manager)`.
    pub fn add_node_operator(
        &mut self,
        name: String,
        reward_address: Address,
        manager: Address,
    ) -> Result<U256> {
        self.only(MANAGE_NODE_OPERATOR_ROLE)?;
        check_name(&name)?;
        if reward_address.is_zero() || manager.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let id = self.operators.len() as u64;
        if id >= MAX_NODE_OPERATORS {
            return Err(TooManyNodeOperators { max: U256::from(MAX_NODE_OPERATORS) }.into());
        }
        let mut op = self.operators.grow();
        op.active.set(true);
        op.reward_address.set(reward_address);
        op.manager.set(manager);
        op.name.set_str(&name);
        // At most MAX_NODE_OPERATORS: never saturates.
        let active = self.active_operators.get().to::<u64>().saturating_add(1);
        self.active_operators.set(u64_word(active));
        let id = U256::from(id);
        self.vm().log(NodeOperatorAdded {
            nodeOperatorId: id,
            name,
            rewardAddress: reward_address,
            manager,
        });
        Ok(id)
    }

    /// Renames an operator.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_NODE_OPERATOR_ROLE`; `NodeOperatorNotFound`; `InvalidNodeOperatorName`.
    ///
    /// # Events
    /// * `NodeOperatorNameSet(id, name)`.
    pub fn set_node_operator_name(&mut self, node_operator_id: U256, name: String) -> Result<()> {
        self.only(MANAGE_NODE_OPERATOR_ROLE)?;
        let id = self.existing(node_operator_id)?;
        check_name(&name)?;
        if let Some(mut op) = self.operators.setter(id) {
            op.name.set_str(&name);
        }
        self.vm().log(NodeOperatorNameSet { nodeOperatorId: node_operator_id, name });
        Ok(())
    }

    /// Changes where an operator's rewards go.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_NODE_OPERATOR_ROLE`; `NodeOperatorNotFound`; `ZeroAddress`.
    ///
    /// # Events
    /// * `NodeOperatorRewardAddressSet(id, rewardAddress)`.
    pub fn set_node_operator_reward_address(
        &mut self,
        node_operator_id: U256,
        reward_address: Address,
    ) -> Result<()> {
        self.only(MANAGE_NODE_OPERATOR_ROLE)?;
        let id = self.existing(node_operator_id)?;
        if reward_address.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if let Some(mut op) = self.operators.setter(id) {
            op.reward_address.set(reward_address);
        }
        self.vm().log(NodeOperatorRewardAddressSet {
            nodeOperatorId: node_operator_id,
            rewardAddress: reward_address,
        });
        Ok(())
    }

    /// Changes which address manages an operator's keys.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_NODE_OPERATOR_ROLE`; `NodeOperatorNotFound`; `ZeroAddress`.
    ///
    /// # Events
    /// * `NodeOperatorManagerSet(id, manager)`.
    pub fn set_node_operator_manager(
        &mut self,
        node_operator_id: U256,
        manager: Address,
    ) -> Result<()> {
        self.only(MANAGE_NODE_OPERATOR_ROLE)?;
        let id = self.existing(node_operator_id)?;
        if manager.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if let Some(mut op) = self.operators.setter(id) {
            op.manager.set(manager);
        }
        self.vm().log(NodeOperatorManagerSet { nodeOperatorId: node_operator_id, manager });
        Ok(())
    }

    /// Activates an inactive operator. Its vetted count stays what deactivation left (its
    /// deposited keys): governance vets its keys again.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_NODE_OPERATOR_ROLE`; `NodeOperatorNotFound`;
    ///   `NodeOperatorActiveStateUnchanged` if it is active.
    ///
    /// # Events
    /// * `NodeOperatorActiveSet(id, true)`.
    pub fn activate_node_operator(&mut self, node_operator_id: U256) -> Result<()> {
        self.set_active(node_operator_id, true)
    }

    /// Deactivates an operator: none of its keys can be deposited any more (its vetted count
    /// falls to its deposited count, which changes the nonce). Its deposited validators keep
    /// running and keep counting.
    ///
    /// # Errors
    /// * As `activateNodeOperator`, with `NodeOperatorActiveStateUnchanged` if it is inactive.
    ///
    /// # Events
    /// * `NodeOperatorActiveSet(id, false)`; `VettedSigningKeysCountChanged` and
    ///   `NonceChanged` if it had vetted keys not yet deposited.
    pub fn deactivate_node_operator(&mut self, node_operator_id: U256) -> Result<()> {
        self.set_active(node_operator_id, false)
    }

    // ---- Signing keys (the operator's manager) ----

    /// Adds `count` keys to the end of an operator's list (not vetted: governance vets them).
    ///
    /// # Arguments
    /// * `count` - 1 to 50.
    /// * `pubkeys` - `count` 48-byte BLS public keys, concatenated.
    /// * `signatures` - `count` 96-byte deposit signatures, concatenated, in the same order.
    ///
    /// # Errors
    /// * `NotInitialized`; `NodeOperatorNotFound`; `NotNodeOperatorManager` unless the caller
    ///   is the operator's manager.
    /// * `InvalidKeyBatchSize`, `InvalidPubkeysLength`, `InvalidSignaturesLength`.
    /// * `EmptySigningKey` for an all-zero key; `SigningKeyAlreadyKnown` for a key the module
    ///   holds already (for any operator, or earlier in the same batch).
    ///
    /// # Events
    /// * `SigningKeyAdded(id, pubkey)` per key, `TotalSigningKeysCountChanged(id, total)`,
    ///   `NonceChanged(nonce)`.
    pub fn add_signing_keys(
        &mut self,
        node_operator_id: U256,
        count: u64,
        pubkeys: Bytes,
        signatures: Bytes,
    ) -> Result<()> {
        self.init.only_initialized()?;
        let id = self.existing(node_operator_id)?;
        self.only_manager(id, node_operator_id)?;
        check_batch(count)?;
        let n = count as usize;
        if pubkeys.len() != n * PUBKEY_LENGTH {
            return Err(InvalidPubkeysLength {
                expected: U256::from(n * PUBKEY_LENGTH),
                actual: U256::from(pubkeys.len()),
            }
            .into());
        }
        if signatures.len() != n * SIGNATURE_LENGTH {
            return Err(InvalidSignaturesLength {
                expected: U256::from(n * SIGNATURE_LENGTH),
                actual: U256::from(signatures.len()),
            }
            .into());
        }
        // Every check before any write: a failed batch changes nothing.
        let mut hashes: Vec<B256> = Vec::with_capacity(n);
        for (i, pubkey) in pubkeys.chunks_exact(PUBKEY_LENGTH).enumerate() {
            if pubkey.iter().all(|b| *b == 0) {
                return Err(EmptySigningKey { index: U256::from(i) }.into());
            }
            let hash = keccak256(pubkey);
            if self.known_keys.get(hash) || hashes.contains(&hash) {
                return Err(
                    SigningKeyAlreadyKnown { index: U256::from(i), pubkeyHash: hash }.into()
                );
            }
            hashes.push(hash);
        }
        let keys =
            pubkeys.chunks_exact(PUBKEY_LENGTH).zip(signatures.chunks_exact(SIGNATURE_LENGTH));
        for (hash, (pubkey, signature)) in hashes.into_iter().zip(keys) {
            self.known_keys.setter(hash).set(true);
            if let Some(mut op) = self.operators.setter(id) {
                op.keys.grow().set_words(&KeyWords::new(pubkey, signature));
            }
            self.vm().log(SigningKeyAdded {
                nodeOperatorId: node_operator_id,
                pubkey: pubkey.to_vec().into(),
            });
        }
        let total = self.set_total(id);
        self.vm().log(TotalSigningKeysCountChanged {
            nodeOperatorId: node_operator_id,
            totalKeys: U256::from(total),
        });
        self.bump_nonce();
        Ok(())
    }

    /// Removes keys `from_index .. from_index + count` of an operator; none of them may have
    /// been deposited. The list stays dense: each removed key's place is taken by the list's
    /// last key, so key order above `from_index` changes, and the vetted count falls to
    /// `from_index` if it was above (governance re-vets the reordered keys).
    ///
    /// # Errors
    /// * `NotInitialized`; `NodeOperatorNotFound`; `NotNodeOperatorManager`.
    /// * `InvalidKeyBatchSize`; `SigningKeyOutOfRange` past the operator's keys;
    ///   `SigningKeyDeposited` if `from_index` is below its deposited count.
    ///
    /// # Events
    /// * `SigningKeyRemoved(id, pubkey)` per key, `TotalSigningKeysCountChanged`,
    ///   `VettedSigningKeysCountChanged` if the vetted count fell, `NonceChanged`.
    pub fn remove_signing_keys(
        &mut self,
        node_operator_id: U256,
        from_index: u64,
        count: u64,
    ) -> Result<()> {
        self.init.only_initialized()?;
        let id = self.existing(node_operator_id)?;
        self.only_manager(id, node_operator_id)?;
        check_batch(count)?;
        let KeyCounts { total, vetted, deposited, .. } = self.counts(id, node_operator_id)?;
        let end = from_index.checked_add(count).filter(|end| *end <= total).ok_or(
            SigningKeyOutOfRange {
                fromIndex: U256::from(from_index),
                count: U256::from(count),
                total: U256::from(total),
            },
        )?;
        if from_index < deposited {
            return Err(SigningKeyDeposited {
                index: U256::from(from_index),
                deposited: U256::from(deposited),
            }
            .into());
        }
        // Highest index first, so the key moved into each hole is never one still to go.
        for index in (from_index..end).rev() {
            let pubkey = self.take_key(id, index as usize);
            self.known_keys.setter(keccak256(&pubkey)).set(false);
            self.vm()
                .log(SigningKeyRemoved { nodeOperatorId: node_operator_id, pubkey: pubkey.into() });
        }
        let total = self.set_total(id);
        self.vm().log(TotalSigningKeysCountChanged {
            nodeOperatorId: node_operator_id,
            totalKeys: U256::from(total),
        });
        if vetted > from_index {
            self.set_vetted(id, from_index);
            self.vm().log(VettedSigningKeysCountChanged {
                nodeOperatorId: node_operator_id,
                vettedKeys: U256::from(from_index),
            });
        }
        self.bump_nonce();
        Ok(())
    }

    /// Sets how many of an active operator's keys may receive deposits (its first
    /// `vetted_keys` keys).
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without
    ///   `SET_VETTED_KEYS_ROLE`; `NodeOperatorNotFound`; `NodeOperatorInactive`;
    ///   `InvalidVettedKeysCount` below the deposited keys or above the total.
    ///
    /// # Events
    /// * `VettedSigningKeysCountChanged(id, vetted)` and `NonceChanged` when it changes.
    pub fn set_node_operator_vetted_keys(
        &mut self,
        node_operator_id: U256,
        vetted_keys: u64,
    ) -> Result<()> {
        self.only(SET_VETTED_KEYS_ROLE)?;
        let id = self.existing(node_operator_id)?;
        let KeyCounts { active, total, vetted, deposited, .. } =
            self.counts(id, node_operator_id)?;
        if !active {
            return Err(NodeOperatorInactive { nodeOperatorId: node_operator_id }.into());
        }
        if vetted_keys < deposited || vetted_keys > total {
            return Err(InvalidVettedKeysCount {
                vetted: U256::from(vetted_keys),
                deposited: U256::from(deposited),
                total: U256::from(total),
            }
            .into());
        }
        if vetted_keys != vetted {
            self.set_vetted(id, vetted_keys);
            self.vm().log(VettedSigningKeysCountChanged {
                nodeOperatorId: node_operator_id,
                vettedKeys: U256::from(vetted_keys),
            });
            self.bump_nonce();
        }
        Ok(())
    }

    // ---- Views ----

    /// How many operators the module holds (ids are `0 .. count`).
    pub fn get_node_operators_count(&self) -> U256 {
        U256::from(self.operators.len())
    }

    /// How many of them are active.
    pub fn get_active_node_operators_count(&self) -> U256 {
        U256::from(self.active_operators.get().to::<u64>())
    }

    /// The ids `offset ..` of at most `limit` operators, for paging through them.
    pub fn get_node_operator_ids(&self, offset: U256, limit: U256) -> Vec<U256> {
        let count = U256::from(self.operators.len());
        let end = offset.saturating_add(limit).min(count);
        let mut ids = Vec::new();
        let mut id = offset;
        while id < end {
            ids.push(id);
            id += U256::from(1);
        }
        ids
    }

    /// An operator: (active, name, reward address, manager, total keys, vetted keys,
    /// deposited keys, exited keys).
    ///
    /// # Errors
    /// * `NodeOperatorNotFound`.
    pub fn get_node_operator(&self, node_operator_id: U256) -> Result<NodeOperatorView> {
        let id = self.existing(node_operator_id)?;
        let op = self.operators.getter(id).ok_or_else(|| not_found(node_operator_id))?;
        Ok((
            op.active.get(),
            op.name.get_string(),
            op.reward_address.get(),
            op.manager.get(),
            op.total_keys.get().to::<u64>(),
            op.vetted_keys.get().to::<u64>(),
            op.deposited_keys.get().to::<u64>(),
            op.exited_keys.get().to::<u64>(),
        ))
    }

    /// How many of an operator's deposited keys the committee has asked to exit: its keys
    /// `0 .. count`, in key order (see the crate docs, "Exits").
    ///
    /// # Errors
    /// * `NodeOperatorNotFound`.
    pub fn get_exit_requested_count(&self, node_operator_id: U256) -> Result<u64> {
        let id = self.existing(node_operator_id)?;
        let op = self.operators.getter(id).ok_or_else(|| not_found(node_operator_id))?;
        Ok(op.exit_requested.get().to::<u64>())
    }

    /// Keys `offset ..` (at most `limit`) of an operator: their public keys and signatures
    /// concatenated, and for each whether it has been deposited.
    ///
    /// # Errors
    /// * `NodeOperatorNotFound`; `SigningKeyOutOfRange` if `offset` is past the operator's
    ///   keys (an offset equal to the count gives empty results).
    pub fn get_signing_keys(
        &self,
        node_operator_id: U256,
        offset: u64,
        limit: u64,
    ) -> Result<(Bytes, Bytes, Vec<bool>)> {
        let id = self.existing(node_operator_id)?;
        let op = self.operators.getter(id).ok_or_else(|| not_found(node_operator_id))?;
        let KeyCounts { total, deposited, .. } = op.counts();
        if offset > total {
            return Err(SigningKeyOutOfRange {
                fromIndex: U256::from(offset),
                count: U256::from(limit),
                total: U256::from(total),
            }
            .into());
        }
        let end = offset.saturating_add(limit).min(total);
        let (mut pubkeys, mut signatures, mut used) = (Vec::new(), Vec::new(), Vec::new());
        for index in offset..end {
            if let Some(key) = op.keys.getter(index as usize) {
                let key = key.words();
                key.push_pubkey(&mut pubkeys);
                key.push_signature(&mut signatures);
                used.push(index < deposited);
            }
        }
        Ok((pubkeys.into(), signatures.into(), used))
    }

    /// Whether the module holds `pubkey` (for any operator).
    pub fn is_signing_key_known(&self, pubkey: Bytes) -> bool {
        self.known_keys.get(keccak256(&pubkey[..]))
    }

    /// The module nonce: changes with every change to the depositable keys.
    pub fn get_nonce(&self) -> U256 {
        U256::from(self.nonce.get().to::<u64>())
    }

    /// The role that may manage operators.
    #[selector(name = "MANAGE_NODE_OPERATOR_ROLE")]
    pub fn manage_node_operator_role(&self) -> B256 {
        MANAGE_NODE_OPERATOR_ROLE
    }

    /// The role that may set vetted counts.
    #[selector(name = "SET_VETTED_KEYS_ROLE")]
    pub fn set_vetted_keys_role(&self) -> B256 {
        SET_VETTED_KEYS_ROLE
    }

    /// The role that may apply exit reports (the oracle).
    #[selector(name = "REPORT_EXITS_ROLE")]
    pub fn report_exits_role(&self) -> B256 {
        REPORT_EXITS_ROLE
    }

    // ---- Roles ----

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// The role that administers `role`.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.access.get_role_admin(role)
    }

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// * `RoleGranted` if `account` did not hold it.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<()> {
        Ok(self.access.grant_role(role, account)?)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// * `RoleRevoked` if `account` held it.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<()> {
        Ok(self.access.revoke_role(role, account)?)
    }

    /// Gives up the caller's `role`.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation` if `confirmation` is not the caller.
    ///
    /// # Events
    /// * `RoleRevoked` if the caller held it.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<()> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}

impl StakingModule {
    /// Fails unless initialised and the caller holds `role`.
    pub(crate) fn only(&self, role: B256) -> Result<()> {
        self.init.only_initialized()?;
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    /// The index of operator `id`, which must exist.
    pub(crate) fn existing(&self, id: U256) -> Result<usize> {
        let index = usize::try_from(id).map_err(|_| not_found(id))?;
        if index < self.operators.len() {
            Ok(index)
        } else {
            Err(not_found(id))
        }
    }

    /// The active flag and key counters of operator `index` (`id`), which must exist.
    fn counts(&self, index: usize, id: U256) -> Result<KeyCounts> {
        self.operators.getter(index).map(|op| op.counts()).ok_or_else(|| not_found(id))
    }

    /// Fails unless the caller manages operator `index`.
    fn only_manager(&self, index: usize, id: U256) -> Result<()> {
        let caller = self.vm().msg_sender();
        let manager = self.operators.getter(index).map(|op| op.manager.get());
        if manager == Some(caller) {
            Ok(())
        } else {
            Err(NotNodeOperatorManager { nodeOperatorId: id, caller }.into())
        }
    }

    fn set_active(&mut self, node_operator_id: U256, active: bool) -> Result<()> {
        self.only(MANAGE_NODE_OPERATOR_ROLE)?;
        let id = self.existing(node_operator_id)?;
        let KeyCounts { active: was, vetted, deposited, .. } = self.counts(id, node_operator_id)?;
        if was == active {
            return Err(NodeOperatorActiveStateUnchanged {
                nodeOperatorId: node_operator_id,
                active,
            }
            .into());
        }
        if let Some(mut op) = self.operators.setter(id) {
            op.active.set(active);
        }
        let count = self.active_operators.get().to::<u64>();
        // Never saturates: the count includes this operator when it was active and never
        // exceeds the number of operators.
        let count = if active { count.saturating_add(1) } else { count.saturating_sub(1) };
        self.active_operators.set(u64_word(count));
        self.vm().log(NodeOperatorActiveSet { nodeOperatorId: node_operator_id, active });
        if !active && vetted > deposited {
            self.set_vetted(id, deposited);
            self.vm().log(VettedSigningKeysCountChanged {
                nodeOperatorId: node_operator_id,
                vettedKeys: U256::from(deposited),
            });
            self.bump_nonce();
        }
        Ok(())
    }

    /// Removes key `index` of operator `id` by moving the last key into its place; returns
    /// the removed public key.
    fn take_key(&mut self, id: usize, index: usize) -> Vec<u8> {
        let Some(mut op) = self.operators.setter(id) else { return Vec::new() };
        let Some(last) = op.keys.len().checked_sub(1) else { return Vec::new() };
        let Some(removed) = op.keys.getter(index).map(|k| k.words()) else { return Vec::new() };
        if index != last {
            let moved = op.keys.getter(last).map(|k| k.words());
            if let (Some(moved), Some(mut key)) = (moved, op.keys.setter(index)) {
                key.set_words(&moved);
            }
        }
        // Erases the last place's slots (earning the storage refund) as the list shrinks.
        op.keys.erase_last();
        let mut pubkey = Vec::with_capacity(PUBKEY_LENGTH);
        removed.push_pubkey(&mut pubkey);
        pubkey
    }

    /// Stores operator `id`'s total key count from its list and returns it.
    fn set_total(&mut self, id: usize) -> u64 {
        let Some(mut op) = self.operators.setter(id) else { return 0 };
        let total = op.keys.len() as u64;
        op.total_keys.set(u64_word(total));
        total
    }

    fn set_vetted(&mut self, id: usize, vetted: u64) {
        if let Some(mut op) = self.operators.setter(id) {
            op.vetted_keys.set(u64_word(vetted));
        }
    }

    pub(crate) fn bump_nonce(&mut self) {
        // 2^64 key changes cannot happen; saturating keeps the arithmetic checked.
        let nonce = self.nonce.get().to::<u64>().saturating_add(1);
        self.nonce.set(u64_word(nonce));
        self.vm().log(NonceChanged { nonce: U256::from(nonce) });
    }
}

fn not_found(id: U256) -> StakingModuleError {
    NodeOperatorNotFound { nodeOperatorId: id }.into()
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LENGTH {
        return Err(InvalidNodeOperatorName {
            length: U256::from(name.len()),
            maxLength: U256::from(MAX_NAME_LENGTH),
        }
        .into());
    }
    Ok(())
}

fn check_batch(count: u64) -> Result<()> {
    if count == 0 || count > MAX_KEYS_PER_BATCH {
        return Err(InvalidKeyBatchSize {
            count: U256::from(count),
            max: U256::from(MAX_KEYS_PER_BATCH),
        }
        .into());
    }
    Ok(())
}
