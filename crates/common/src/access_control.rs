//! Role-based access control, after OpenZeppelin's `AccessControl`.
//!
//! A role is a `bytes32` (by convention `keccak256` of its name). Each role has an admin role
//! whose holders may grant and revoke it; [`DEFAULT_ADMIN_ROLE`] administers every role until
//! [`AccessControl::_set_role_admin`] says otherwise, and administers itself, so whoever holds
//! it can take the whole contract over: give it to a timelock or a multisig, not to a hot key.
//!
//! Members are not enumerable on chain: that would cost a list and an index per role on every
//! grant and revoke, in every contract that embeds this. The `RoleGranted` and `RoleRevoked`
//! events give the full history to anyone who needs the current list.
//!
//! The component exposes nothing by itself; the embedding contract forwards `hasRole`,
//! `getRoleAdmin`, `grantRole`, `revokeRole` and `renounceRole` to it from its `#[public]` impl.

use crate::abi::{emit, AsWord};
use alloc::{vec, vec::Vec};
use alloy_sol_types::SolEvent as _;

use alloy_primitives::{Address, B256};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageFixedBytes, StorageMap},
};

/// The role that administers every role whose admin was never set, itself included.
pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;

sol! {
    #![sol(abi)]
    /// `account` lacks `neededRole`.
    #[derive(Debug, PartialEq, Eq)]
    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    /// `renounceRole` was not confirmed with the caller's own address.
    #[derive(Debug, PartialEq, Eq)]
    error AccessControlBadConfirmation();

    /// `account` received `role`; `sender` is the account that caused it.
    #[derive(Debug, PartialEq, Eq)]
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    /// `account` lost `role`; `sender` is the account that caused it (the account itself when
    /// renouncing).
    #[derive(Debug, PartialEq, Eq)]
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    /// Holders of `newAdminRole` now administer `role` instead of holders of
    /// `previousAdminRole`.
    #[derive(Debug, PartialEq, Eq)]
    event RoleAdminChanged(
        bytes32 indexed role,
        bytes32 indexed previousAdminRole,
        bytes32 indexed newAdminRole
    );
}

/// Errors of [`AccessControl`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`AccessControlUnauthorizedAccount`].
    UnauthorizedAccount(AccessControlUnauthorizedAccount),
    /// See [`AccessControlBadConfirmation`].
    BadConfirmation(AccessControlBadConfirmation),
}

/// Members and admin of one role.
#[storage]
pub struct RoleData {
    members: StorageMap<Address, StorageBool>,
    admin_role: StorageFixedBytes<32>,
}

/// Role membership and role admins.
#[storage]
pub struct AccessControl {
    roles: StorageMap<B256, RoleData>,
}

impl AccessControl {
    /// Whether `account` holds `role`.
    ///
    /// # Arguments
    /// * `role` - the role identifier.
    /// * `account` - the account to check.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.roles.get(role).members.get(account)
    }

    /// Fails unless `account` holds `role`; the guard for role-gated entry points.
    ///
    /// # Arguments
    /// * `role` - the role required.
    /// * `account` - the account to check, normally `msg_sender`.
    ///
    /// # Errors
    /// * [`AccessControlUnauthorizedAccount`] if `account` lacks `role`.
    pub fn only_role(&self, role: B256, account: Address) -> Result<(), Error> {
        if self.has_role(role, account) {
            Ok(())
        } else {
            Err(AccessControlUnauthorizedAccount { account, neededRole: role }.into())
        }
    }

    /// The role whose holders may grant and revoke `role`.
    ///
    /// # Arguments
    /// * `role` - the role identifier.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.roles.get(role).admin_role.get()
    }

    /// Grants `role` to `account` on behalf of `msg_sender`, who must hold the role's admin.
    /// Granting a role the account already holds succeeds and changes nothing.
    ///
    /// # Arguments
    /// * `role` - the role to grant.
    /// * `account` - the account receiving it.
    ///
    /// # Errors
    /// * [`AccessControlUnauthorizedAccount`] if `msg_sender` lacks the admin role of `role`.
    ///
    /// # Events
    /// * [`RoleGranted`] if `account` did not hold `role`.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        self.only_role(self.get_role_admin(role), self.vm().msg_sender())?;
        self._grant_role(role, account);
        Ok(())
    }

    /// Revokes `role` from `account` on behalf of `msg_sender`, who must hold the role's admin.
    /// Revoking a role the account does not hold succeeds and changes nothing.
    ///
    /// # Arguments
    /// * `role` - the role to revoke.
    /// * `account` - the account losing it.
    ///
    /// # Errors
    /// * [`AccessControlUnauthorizedAccount`] if `msg_sender` lacks the admin role of `role`.
    ///
    /// # Events
    /// * [`RoleRevoked`] if `account` held `role`.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        self.only_role(self.get_role_admin(role), self.vm().msg_sender())?;
        self._revoke_role(role, account);
        Ok(())
    }

    /// Gives up `role` held by `msg_sender`.
    ///
    /// The caller repeats its own address so that a call meant for `revokeRole(role, other)`
    /// cannot, by a slip in the arguments, strip the caller instead.
    ///
    /// # Arguments
    /// * `role` - the role to give up.
    /// * `confirmation` - must equal `msg_sender`.
    ///
    /// # Errors
    /// * [`AccessControlBadConfirmation`] if `confirmation` is not `msg_sender`.
    ///
    /// # Events
    /// * [`RoleRevoked`] if the caller held `role`.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        if confirmation != self.vm().msg_sender() {
            return Err(AccessControlBadConfirmation {}.into());
        }
        self._revoke_role(role, confirmation);
        Ok(())
    }

    /// Makes `admin_role` the admin of `role`, without any check: for set-up code and for
    /// entry points the embedding contract guards itself.
    ///
    /// # Arguments
    /// * `role` - the role whose admin changes.
    /// * `admin_role` - the new admin role.
    ///
    /// # Events
    /// * [`RoleAdminChanged`] if the admin changed.
    ///
    /// Returns whether the admin changed.
    pub fn _set_role_admin(&mut self, role: B256, admin_role: B256) -> bool {
        let previous = self.get_role_admin(role);
        if previous == admin_role {
            return false;
        }
        self.roles.setter(role).admin_role.set(admin_role);
        emit(
            self.vm(),
            &[RoleAdminChanged::SIGNATURE_HASH, role.word(), previous.word(), admin_role.word()],
            &[],
        );
        true
    }

    /// Grants `role` to `account` without any check: for set-up code (the first admin) and for
    /// entry points the embedding contract guards itself.
    ///
    /// # Arguments
    /// * `role` - the role to grant.
    /// * `account` - the account receiving it.
    ///
    /// # Events
    /// * [`RoleGranted`], with `msg_sender` as sender, if `account` did not hold `role`.
    ///
    /// Returns whether `account` was newly granted `role`.
    pub fn _grant_role(&mut self, role: B256, account: Address) -> bool {
        if self.has_role(role, account) {
            return false;
        }
        self.roles.setter(role).members.insert(account, true);
        self.emit_membership(RoleGranted::SIGNATURE_HASH, role, account);
        true
    }

    /// Revokes `role` from `account` without any check.
    ///
    /// # Arguments
    /// * `role` - the role to revoke.
    /// * `account` - the account losing it.
    ///
    /// # Events
    /// * [`RoleRevoked`], with `msg_sender` as sender, if `account` held `role`.
    ///
    /// Returns whether `account` held `role`.
    pub fn _revoke_role(&mut self, role: B256, account: Address) -> bool {
        if !self.has_role(role, account) {
            return false;
        }
        // Deleting (not writing false) refunds the slot.
        self.roles.setter(role).members.delete(account);
        self.emit_membership(RoleRevoked::SIGNATURE_HASH, role, account);
        true
    }

    /// Emits `RoleGranted` or `RoleRevoked` (by `signature_hash`): both carry the role, the
    /// account and `msg_sender` as indexed topics, in that order, and no data.
    fn emit_membership(&self, signature_hash: B256, role: B256, account: Address) {
        let sender = self.vm().msg_sender();
        emit(self.vm(), &[signature_hash, role.word(), account.word(), sender.word()], &[]);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, keccak256};
    use alloy_sol_types::SolEvent;
    use stylus_sdk::testing::TestVM;

    use super::*;

    const ADMIN: Address = address!("00000000000000000000000000000000000000a1");
    const ALICE: Address = address!("00000000000000000000000000000000000000a2");
    const BOB: Address = address!("00000000000000000000000000000000000000a3");

    fn role(name: &str) -> B256 {
        keccak256(name)
    }

    fn log_of<E: SolEvent>(event: &E) -> (Vec<B256>, Vec<u8>) {
        let data = event.encode_log_data();
        (data.topics().to_vec(), data.data.to_vec())
    }

    /// The log of `RoleGranted(role, account, sender)`.
    fn granted(role: B256, account: Address, sender: Address) -> (Vec<B256>, Vec<u8>) {
        log_of(&RoleGranted { role, account, sender })
    }

    /// The log of `RoleRevoked(role, account, sender)`.
    fn revoked(role: B256, account: Address, sender: Address) -> (Vec<B256>, Vec<u8>) {
        log_of(&RoleRevoked { role, account, sender })
    }

    /// An `AccessControl` in which `ADMIN` holds the default admin role, logs cleared.
    fn setup() -> (TestVM, AccessControl) {
        let vm = TestVM::default();
        let mut ac = AccessControl::from(&vm);
        vm.set_sender(ADMIN);
        assert!(ac._grant_role(DEFAULT_ADMIN_ROLE, ADMIN));
        vm.clear_mocks();
        (vm, ac)
    }

    /// [`setup`] with `MINTER` granted to `holder` by the admin, logs cleared; returns the role.
    fn setup_minter(holder: Address) -> (TestVM, AccessControl, B256) {
        let (vm, mut ac) = setup();
        let minter = role("MINTER");
        ac.grant_role(minter, holder).expect("admin grants");
        vm.clear_mocks();
        (vm, ac, minter)
    }

    #[test]
    fn default_admin_administers_every_role() {
        let (_vm, ac) = setup();
        assert_eq!(ac.get_role_admin(role("MINTER")), DEFAULT_ADMIN_ROLE);
        assert_eq!(ac.get_role_admin(DEFAULT_ADMIN_ROLE), DEFAULT_ADMIN_ROLE);
        assert!(ac.has_role(DEFAULT_ADMIN_ROLE, ADMIN));
        assert!(!ac.has_role(DEFAULT_ADMIN_ROLE, ALICE));
    }

    #[test]
    fn initial_grant_logs_role_granted() {
        let vm = TestVM::default();
        let mut ac = AccessControl::from(&vm);
        vm.set_sender(ADMIN);
        assert!(ac._grant_role(DEFAULT_ADMIN_ROLE, BOB));
        assert!(!ac._grant_role(DEFAULT_ADMIN_ROLE, BOB));
        assert_eq!(vm.get_emitted_logs(), vec![granted(DEFAULT_ADMIN_ROLE, BOB, ADMIN)]);
    }

    #[test]
    fn admin_grants_and_revokes() {
        let (vm, mut ac) = setup();
        let minter = role("MINTER");
        assert_eq!(ac.grant_role(minter, ALICE), Ok(()));
        assert!(ac.has_role(minter, ALICE));
        assert_eq!(ac.only_role(minter, ALICE), Ok(()));
        assert_eq!(ac.revoke_role(minter, ALICE), Ok(()));
        assert!(!ac.has_role(minter, ALICE));
        assert_eq!(
            vm.get_emitted_logs(),
            vec![granted(minter, ALICE, ADMIN), revoked(minter, ALICE, ADMIN),]
        );
    }

    #[test]
    fn repeated_grant_and_revoke_change_nothing_and_log_nothing() {
        let (vm, mut ac, minter) = setup_minter(ALICE);
        assert_eq!(ac.grant_role(minter, ALICE), Ok(()));
        assert!(ac.has_role(minter, ALICE));
        ac.revoke_role(minter, ALICE).expect("admin revokes");
        vm.clear_mocks();
        assert_eq!(ac.revoke_role(minter, ALICE), Ok(()));
        assert!(!ac.has_role(minter, ALICE));
        assert!(vm.get_emitted_logs().is_empty());
        assert!(!ac._revoke_role(minter, ALICE));
    }

    #[test]
    fn non_admin_cannot_grant_or_revoke() {
        let (vm, mut ac, minter) = setup_minter(BOB);
        vm.set_sender(ALICE);
        let unauthorized = || {
            Err(Error::UnauthorizedAccount(AccessControlUnauthorizedAccount {
                account: ALICE,
                neededRole: DEFAULT_ADMIN_ROLE,
            }))
        };
        assert_eq!(ac.grant_role(minter, ALICE), unauthorized());
        assert_eq!(ac.revoke_role(minter, BOB), unauthorized());
        assert!(!ac.has_role(minter, ALICE));
        assert!(ac.has_role(minter, BOB));
        assert!(vm.get_emitted_logs().is_empty());
    }

    #[test]
    fn holding_a_role_does_not_let_one_grant_it() {
        let (vm, mut ac, minter) = setup_minter(ALICE);
        vm.set_sender(ALICE);
        assert!(matches!(ac.grant_role(minter, BOB), Err(Error::UnauthorizedAccount(_))));
    }

    #[test]
    fn only_role_names_account_and_role() {
        let (_vm, ac) = setup();
        let pauser = role("PAUSER");
        assert_eq!(
            ac.only_role(pauser, BOB),
            Err(Error::UnauthorizedAccount(AccessControlUnauthorizedAccount {
                account: BOB,
                neededRole: pauser,
            }))
        );
    }

    #[test]
    fn custom_admin_role_takes_over() {
        let (vm, mut ac) = setup();
        let (minter, minter_admin) = (role("MINTER"), role("MINTER_ADMIN"));
        assert!(ac._set_role_admin(minter, minter_admin));
        assert!(!ac._set_role_admin(minter, minter_admin));
        assert_eq!(ac.get_role_admin(minter), minter_admin);
        assert_eq!(
            vm.get_emitted_logs(),
            vec![log_of(&RoleAdminChanged {
                role: minter,
                previousAdminRole: DEFAULT_ADMIN_ROLE,
                newAdminRole: minter_admin,
            })]
        );

        // The default admin no longer administers `minter` directly...
        assert_eq!(
            ac.grant_role(minter, BOB),
            Err(Error::UnauthorizedAccount(AccessControlUnauthorizedAccount {
                account: ADMIN,
                neededRole: minter_admin,
            }))
        );
        // ...but still administers `minter_admin`, and its holders now grant `minter`.
        ac.grant_role(minter_admin, ALICE).expect("default admin grants the admin role");
        vm.set_sender(ALICE);
        assert_eq!(ac.grant_role(minter, BOB), Ok(()));
        assert!(ac.has_role(minter, BOB));
    }

    #[test]
    fn renounce_requires_own_address() {
        let (vm, mut ac, minter) = setup_minter(ALICE);
        vm.set_sender(ALICE);
        assert_eq!(
            ac.renounce_role(minter, BOB),
            Err(Error::BadConfirmation(AccessControlBadConfirmation {}))
        );
        assert!(ac.has_role(minter, ALICE));
        assert!(vm.get_emitted_logs().is_empty());

        assert_eq!(ac.renounce_role(minter, ALICE), Ok(()));
        assert!(!ac.has_role(minter, ALICE));
        assert_eq!(vm.get_emitted_logs(), vec![revoked(minter, ALICE, ALICE)]);
    }

    #[test]
    fn admin_can_renounce_admin_role() {
        let (_vm, mut ac) = setup();
        assert_eq!(ac.renounce_role(DEFAULT_ADMIN_ROLE, ADMIN), Ok(()));
        assert!(!ac.has_role(DEFAULT_ADMIN_ROLE, ADMIN));
        assert!(matches!(ac.grant_role(role("MINTER"), ADMIN), Err(Error::UnauthorizedAccount(_))));
    }

    #[test]
    fn roles_are_independent() {
        let (_vm, mut ac) = setup();
        ac.grant_role(role("A"), ALICE).expect("admin grants");
        assert!(!ac.has_role(role("B"), ALICE));
        assert!(!ac.has_role(role("A"), BOB));
    }

    #[test]
    fn errors_encode_as_solidity_custom_errors() {
        use alloy_sol_types::SolError;
        let err = AccessControlUnauthorizedAccount { account: ALICE, neededRole: role("X") };
        let encoded: Vec<u8> = Error::UnauthorizedAccount(err.clone()).into();
        assert_eq!(encoded, err.abi_encode());
        assert_eq!(
            &encoded[..4],
            &keccak256("AccessControlUnauthorizedAccount(address,bytes32)")[..4]
        );
        let encoded: Vec<u8> = Error::BadConfirmation(AccessControlBadConfirmation {}).into();
        assert_eq!(encoded, keccak256("AccessControlBadConfirmation()")[..4].to_vec());
    }
}
