//! Native tests of the registry on `TestHost`: roles, operator life cycle, key batches (every
//! rejection leaves storage unchanged), removal that never touches deposited keys, vetting,
//! the nonce, and a property test that the module never holds a key twice.
//!
//! In-crate, so a test can mark keys deposited (no deposit path exists yet).
#![allow(clippy::unwrap_used)]

use alloc::{string::String, vec::Vec};
use std::collections::HashSet;

use alloy_primitives::{address, keccak256, Address, U256};
use proptest::prelude::*;
use stylus_sdk::abi::Bytes;
use tidepool_common::access_control::{AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLE};
use tidepool_testing::*;

use crate::{programs::staking_module::NodeOperatorView, *};

const NONCE: u64 = 3;
const GOVERNANCE: Address = ADMIN;
const MANAGER_A: Address = ALICE;
const MANAGER_B: Address = BOB;
const REWARDS: Address = address!("00000000000000000000000000000000000000e1");
const STRANGER: Address = address!("0000000000000000000000000000000000000bad");

struct Env {
    vm: TestHost,
    module: StakingModule,
}

/// A deterministic, non-zero 48-byte key for `n`.
fn pubkey(n: u32) -> Vec<u8> {
    let mut k = keccak256(n.to_be_bytes()).to_vec();
    k.extend_from_slice(&keccak256([n.to_be_bytes().as_slice(), b"tail"].concat())[..16]);
    k
}

fn signature(n: u32) -> Vec<u8> {
    (0..3u8).flat_map(|i| keccak256([n.to_be_bytes().as_slice(), &[i, 0x51]].concat()).0).collect()
}

fn batch(keys: &[u32]) -> (u64, Bytes, Bytes) {
    let pubkeys: Vec<u8> = keys.iter().flat_map(|n| pubkey(*n)).collect();
    let signatures: Vec<u8> = keys.iter().flat_map(|n| signature(*n)).collect();
    (keys.len() as u64, pubkeys.into(), signatures.into())
}

impl Env {
    /// A module initialised with `GOVERNANCE` as admin holding both roles, and two
    /// operators: 0 managed by `MANAGER_A`, 1 by `MANAGER_B`.
    fn new() -> Self {
        let vm = TestHost::new();
        vm.set_contract_address(DEPLOYER.create(NONCE));
        let mut module = StakingModule::from(&vm);
        vm.set_sender(DEPLOYER);
        module.initialize(GOVERNANCE, NONCE).unwrap();
        vm.set_sender(GOVERNANCE);
        module.grant_role(MANAGE_NODE_OPERATOR_ROLE, GOVERNANCE).unwrap();
        module.grant_role(SET_VETTED_KEYS_ROLE, GOVERNANCE).unwrap();
        module.add_node_operator("alpha".into(), REWARDS, MANAGER_A).unwrap();
        module.add_node_operator("beta".into(), REWARDS, MANAGER_B).unwrap();
        Env { vm, module }
    }

    fn as_(&self, who: Address) -> &Self {
        self.vm.set_sender(who);
        self
    }

    fn add(&mut self, id: u64, keys: &[u32]) -> Result<(), StakingModuleError> {
        let (count, pubkeys, signatures) = batch(keys);
        let manager = self.module.get_node_operator(U256::from(id)).unwrap().3;
        self.vm.set_sender(manager);
        self.module.add_signing_keys(U256::from(id), count, pubkeys, signatures)
    }

    fn operator(&self, id: u64) -> NodeOperatorView {
        self.module.get_node_operator(U256::from(id)).unwrap()
    }

    fn pubkeys(&self, id: u64) -> Vec<Vec<u8>> {
        let (pubkeys, _, _) = self.module.get_signing_keys(U256::from(id), 0, 1_000).unwrap();
        pubkeys.chunks(PUBKEY_LENGTH).map(<[u8]>::to_vec).collect()
    }

    fn nonce(&self) -> U256 {
        self.module.get_nonce()
    }

    /// Marks operator `id`'s first `n` keys deposited, as the deposit path will.
    fn mark_deposited(&mut self, id: u64, n: u64) {
        let mut op = self.module.operators.setter(id as usize).unwrap();
        op.deposited_keys.set(u64_word(n));
    }

    /// Runs `f`, which must fail with `expected`, and checks storage is unchanged.
    fn rejects(
        &mut self,
        expected: impl Into<StakingModuleError>,
        f: impl FnOnce(&mut StakingModule) -> Result<(), StakingModuleError>,
    ) {
        let before = self.vm.snapshot().storage;
        let err = f(&mut self.module).expect_err("call should fail");
        assert_eq!(err, expected.into());
        assert_eq!(before, self.vm.snapshot().storage, "a failed call changed storage");
    }
}

#[test]
fn role_constants_are_the_hashes_of_their_names() {
    assert_eq!(MANAGE_NODE_OPERATOR_ROLE, keccak256("MANAGE_NODE_OPERATOR_ROLE"));
    assert_eq!(SET_VETTED_KEYS_ROLE, keccak256("SET_VETTED_KEYS_ROLE"));
}

#[test]
fn initialisation_gives_the_admin_role_once() {
    let vm = TestHost::new();
    vm.set_contract_address(DEPLOYER.create(NONCE));
    let mut module = StakingModule::from(&vm);
    vm.set_sender(DEPLOYER);
    assert_eq!(module.initialize(Address::ZERO, NONCE), Err(ZeroAddress {}.into()));
    module.initialize(GOVERNANCE, NONCE).unwrap();
    assert!(module.has_role(DEFAULT_ADMIN_ROLE, GOVERNANCE));
    assert!(!module.has_role(MANAGE_NODE_OPERATOR_ROLE, GOVERNANCE), "granted separately");
    assert!(module.initialize(GOVERNANCE, NONCE).is_err(), "a second initialisation");
}

#[test]
fn operators_are_added_by_the_role_with_valid_fields() {
    let mut env = Env::new();
    assert_eq!(env.module.get_node_operators_count(), U256::from(2));
    assert_eq!(env.module.get_active_node_operators_count(), U256::from(2));
    assert_eq!(env.operator(0), (true, String::from("alpha"), REWARDS, MANAGER_A, 0, 0, 0, 0));
    let added = env.vm.events::<NodeOperatorAdded>();
    assert_eq!(added.len(), 2);
    assert_eq!(added[1].nodeOperatorId, U256::from(1));
    assert_eq!(added[1].name, "beta");

    env.as_(STRANGER);
    env.rejects(
        AccessControlUnauthorizedAccount {
            account: STRANGER,
            neededRole: MANAGE_NODE_OPERATOR_ROLE,
        },
        |m| m.add_node_operator("x".into(), REWARDS, MANAGER_A).map(drop),
    );
    env.as_(GOVERNANCE);
    env.rejects(
        InvalidNodeOperatorName { length: U256::ZERO, maxLength: U256::from(MAX_NAME_LENGTH) },
        |m| m.add_node_operator(String::new(), REWARDS, MANAGER_A).map(drop),
    );
    let long = "n".repeat(MAX_NAME_LENGTH + 1);
    env.rejects(
        InvalidNodeOperatorName { length: U256::from(65), maxLength: U256::from(64) },
        |m| m.add_node_operator(long, REWARDS, MANAGER_A).map(drop),
    );
    env.rejects(ZeroAddress {}, |m| {
        m.add_node_operator("x".into(), Address::ZERO, MANAGER_A).map(drop)
    });
    env.rejects(ZeroAddress {}, |m| {
        m.add_node_operator("x".into(), REWARDS, Address::ZERO).map(drop)
    });
}

#[test]
fn the_operator_count_is_capped() {
    let mut env = Env::new();
    for _ in 2..MAX_NODE_OPERATORS {
        env.module.add_node_operator("op".into(), REWARDS, MANAGER_A).unwrap();
    }
    env.rejects(TooManyNodeOperators { max: U256::from(MAX_NODE_OPERATORS) }, |m| {
        m.add_node_operator("one too many".into(), REWARDS, MANAGER_A).map(drop)
    });
}

#[test]
fn operators_are_renamed_redirected_and_reassigned() {
    let mut env = Env::new();
    let id = U256::from(1);
    env.module.set_node_operator_name(id, "gamma".into()).unwrap();
    env.module.set_node_operator_reward_address(id, CAROL).unwrap();
    env.module.set_node_operator_manager(id, DAVE).unwrap();
    assert_eq!(env.operator(1), (true, String::from("gamma"), CAROL, DAVE, 0, 0, 0, 0));
    let missing = U256::from(2);
    env.rejects(NodeOperatorNotFound { nodeOperatorId: missing }, |m| {
        m.set_node_operator_name(missing, "x".into())
    });
    env.rejects(ZeroAddress {}, |m| m.set_node_operator_reward_address(id, Address::ZERO));
    env.rejects(ZeroAddress {}, |m| m.set_node_operator_manager(id, Address::ZERO));
    env.as_(STRANGER);
    let denied = AccessControlUnauthorizedAccount {
        account: STRANGER,
        neededRole: MANAGE_NODE_OPERATOR_ROLE,
    };
    env.rejects(denied.clone(), |m| m.set_node_operator_name(id, "x".into()));
    env.rejects(denied.clone(), |m| m.set_node_operator_reward_address(id, STRANGER));
    env.rejects(denied, |m| m.set_node_operator_manager(id, STRANGER));
    // The old manager lost the keys.
    let (count, pubkeys, signatures) = batch(&[1]);
    env.as_(MANAGER_B);
    env.rejects(NotNodeOperatorManager { nodeOperatorId: id, caller: MANAGER_B }, |m| {
        m.add_signing_keys(id, count, pubkeys, signatures)
    });
}

#[test]
fn a_batch_of_keys_is_stored_in_order_and_bumps_the_nonce() {
    let mut env = Env::new();
    env.add(0, &[1, 2, 3]).unwrap();
    assert_eq!(env.pubkeys(0), vec![pubkey(1), pubkey(2), pubkey(3)]);
    let (_, signatures, used) = env.module.get_signing_keys(U256::ZERO, 1, 5).unwrap();
    assert_eq!(signatures.to_vec(), [signature(2), signature(3)].concat());
    assert_eq!(used, vec![false, false]);
    assert_eq!(env.operator(0).4, 3, "total keys");
    assert_eq!(env.operator(0).5, 0, "nothing vetted until governance vets");
    assert!(env.module.is_signing_key_known(pubkey(2).into()));
    assert!(!env.module.is_signing_key_known(pubkey(4).into()));
    assert_eq!(env.nonce(), U256::from(1));
    let added = env.vm.events::<SigningKeyAdded>();
    assert_eq!(added.iter().map(|e| e.pubkey.to_vec()).collect::<Vec<_>>(), env.pubkeys(0));
    assert_eq!(env.vm.events::<NonceChanged>().last().unwrap().nonce, U256::from(1));
    // Paging past the end gives nothing; beyond it is an error.
    assert!(env.module.get_signing_keys(U256::ZERO, 3, 5).unwrap().2.is_empty());
    assert!(env.module.get_signing_keys(U256::ZERO, 4, 5).is_err());
}

#[test]
fn bad_batches_change_nothing() {
    let mut env = Env::new();
    env.add(0, &[1]).unwrap();
    let id = U256::ZERO;
    env.as_(MANAGER_A);
    let (_, pubkeys, signatures) = batch(&[7, 8]);
    env.rejects(InvalidKeyBatchSize { count: U256::ZERO, max: U256::from(50) }, |m| {
        m.add_signing_keys(id, 0, Bytes::default(), Bytes::default())
    });
    let many: Vec<u32> = (100..151).collect();
    let (count, big_pubkeys, big_signatures) = batch(&many);
    env.rejects(InvalidKeyBatchSize { count: U256::from(51), max: U256::from(50) }, |m| {
        m.add_signing_keys(id, count, big_pubkeys, big_signatures)
    });
    env.rejects(InvalidPubkeysLength { expected: U256::from(144), actual: U256::from(96) }, |m| {
        m.add_signing_keys(id, 3, pubkeys.clone(), signatures.clone())
    });
    let (_, _, one_signature) = batch(&[7]);
    env.rejects(
        InvalidSignaturesLength { expected: U256::from(192), actual: U256::from(96) },
        |m| m.add_signing_keys(id, 2, pubkeys.clone(), one_signature),
    );
    let mut zero = pubkey(9);
    zero.extend_from_slice(&[0; PUBKEY_LENGTH]);
    env.rejects(EmptySigningKey { index: U256::from(1) }, |m| {
        m.add_signing_keys(id, 2, zero.into(), signatures.clone())
    });
    // A key the module holds, for this operator or another, or twice in one batch.
    let (count, pubkeys, signatures) = batch(&[5, 1]);
    let known = keccak256(pubkey(1));
    env.rejects(SigningKeyAlreadyKnown { index: U256::from(1), pubkeyHash: known }, |m| {
        m.add_signing_keys(id, count, pubkeys, signatures)
    });
    env.as_(MANAGER_B);
    let (count, pubkeys, signatures) = batch(&[1]);
    env.rejects(SigningKeyAlreadyKnown { index: U256::ZERO, pubkeyHash: known }, |m| {
        m.add_signing_keys(U256::from(1), count, pubkeys, signatures)
    });
    let (count, pubkeys, signatures) = batch(&[6, 6]);
    env.rejects(
        SigningKeyAlreadyKnown { index: U256::from(1), pubkeyHash: keccak256(pubkey(6)) },
        |m| m.add_signing_keys(U256::from(1), count, pubkeys, signatures),
    );
    env.as_(STRANGER);
    let (count, pubkeys, signatures) = batch(&[6]);
    env.rejects(NotNodeOperatorManager { nodeOperatorId: id, caller: STRANGER }, |m| {
        m.add_signing_keys(id, count, pubkeys, signatures)
    });
}

#[test]
fn removal_fills_holes_from_the_end_and_never_touches_deposited_keys() {
    let mut env = Env::new();
    env.add(0, &[1, 2, 3, 4, 5]).unwrap();
    env.as_(GOVERNANCE);
    env.module.set_node_operator_vetted_keys(U256::ZERO, 4).unwrap();
    env.mark_deposited(0, 1);
    env.as_(MANAGER_A);
    let id = U256::ZERO;
    env.rejects(SigningKeyDeposited { index: U256::ZERO, deposited: U256::from(1) }, |m| {
        m.remove_signing_keys(id, 0, 1)
    });
    env.rejects(
        SigningKeyOutOfRange {
            fromIndex: U256::from(4),
            count: U256::from(2),
            total: U256::from(5),
        },
        |m| m.remove_signing_keys(id, 4, 2),
    );
    let nonce = env.nonce();
    env.module.remove_signing_keys(id, 1, 2).unwrap();
    // Index 2 went first (key 5 moved there), then index 1 (key 4 moved there).
    assert_eq!(env.pubkeys(0), vec![pubkey(1), pubkey(4), pubkey(5)]);
    assert!(!env.module.is_signing_key_known(pubkey(2).into()));
    assert!(!env.module.is_signing_key_known(pubkey(3).into()));
    let op = env.operator(0);
    assert_eq!((op.4, op.5, op.6), (3, 1, 1), "total, vetted cut to from_index, deposited");
    assert_eq!(env.nonce(), nonce + U256::from(1));
    let removed: Vec<Vec<u8>> =
        env.vm.events::<SigningKeyRemoved>().iter().map(|e| e.pubkey.to_vec()).collect();
    assert_eq!(removed, vec![pubkey(3), pubkey(2)]);
    // A removed key can be added again.
    env.add(1, &[2]).unwrap();
    assert_eq!(env.pubkeys(1), vec![pubkey(2)]);
    // The storage of the dropped tail is cleared.
    let (_, signatures, _) = env.module.get_signing_keys(id, 0, 10).unwrap();
    assert_eq!(signatures.len(), 3 * SIGNATURE_LENGTH);
}

#[test]
fn vetting_stays_between_deposited_and_total_and_needs_an_active_operator() {
    let mut env = Env::new();
    env.add(0, &[1, 2, 3]).unwrap();
    env.mark_deposited(0, 1);
    env.as_(GOVERNANCE);
    let id = U256::ZERO;
    let nonce = env.nonce();
    env.module.set_node_operator_vetted_keys(id, 3).unwrap();
    assert_eq!(env.operator(0).5, 3);
    assert_eq!(env.nonce(), nonce + U256::from(1));
    env.module.set_node_operator_vetted_keys(id, 3).unwrap();
    assert_eq!(env.nonce(), nonce + U256::from(1), "no change, no new nonce");
    let invalid = |vetted: u64| InvalidVettedKeysCount {
        vetted: U256::from(vetted),
        deposited: U256::from(1),
        total: U256::from(3),
    };
    env.rejects(invalid(0), |m| m.set_node_operator_vetted_keys(id, 0));
    env.rejects(invalid(4), |m| m.set_node_operator_vetted_keys(id, 4));
    env.as_(STRANGER);
    env.rejects(
        AccessControlUnauthorizedAccount { account: STRANGER, neededRole: SET_VETTED_KEYS_ROLE },
        |m| m.set_node_operator_vetted_keys(id, 2),
    );
}

#[test]
fn deactivation_stops_vetted_keys_and_reactivation_needs_new_vetting() {
    let mut env = Env::new();
    env.add(0, &[1, 2, 3]).unwrap();
    env.mark_deposited(0, 1);
    env.as_(GOVERNANCE);
    let id = U256::ZERO;
    env.module.set_node_operator_vetted_keys(id, 3).unwrap();
    let nonce = env.nonce();
    env.module.deactivate_node_operator(id).unwrap();
    let op = env.operator(0);
    assert_eq!((op.0, op.5), (false, 1), "inactive, vetted down to deposited");
    assert_eq!(env.nonce(), nonce + U256::from(1));
    assert_eq!(env.module.get_active_node_operators_count(), U256::from(1));
    env.rejects(NodeOperatorActiveStateUnchanged { nodeOperatorId: id, active: false }, |m| {
        m.deactivate_node_operator(id)
    });
    env.rejects(NodeOperatorInactive { nodeOperatorId: id }, |m| {
        m.set_node_operator_vetted_keys(id, 2)
    });
    env.module.activate_node_operator(id).unwrap();
    assert_eq!(env.operator(0).5, 1, "still only the deposited keys");
    assert_eq!(env.module.get_active_node_operators_count(), U256::from(2));
    env.rejects(NodeOperatorActiveStateUnchanged { nodeOperatorId: id, active: true }, |m| {
        m.activate_node_operator(id)
    });
}

#[test]
fn operator_ids_page() {
    let env = Env::new();
    let ids = |offset: u64, limit: u64| {
        env.module.get_node_operator_ids(U256::from(offset), U256::from(limit))
    };
    assert_eq!(ids(0, 10), vec![U256::ZERO, U256::from(1)]);
    assert_eq!(ids(1, 1), vec![U256::from(1)]);
    assert!(ids(2, 5).is_empty());
    assert!(env.module.get_node_operator_ids(U256::MAX, U256::MAX).is_empty());
}

/// One step of the property test.
#[derive(Clone, Debug)]
enum Step {
    /// Operator, keys (drawn from a small space so duplicates happen).
    Add(u64, Vec<u32>),
    /// Operator, from index, count.
    Remove(u64, u64, u64),
    /// Operator, vetted count.
    Vet(u64, u64),
    /// Operator, deposited count (as the deposit path would advance it).
    Deposit(u64, u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2u64, prop::collection::vec(0..40u32, 1..6)).prop_map(|(o, k)| Step::Add(o, k)),
        (0..2u64, 0..12u64, 1..4u64).prop_map(|(o, f, c)| Step::Remove(o, f, c)),
        (0..2u64, 0..12u64).prop_map(|(o, v)| Step::Vet(o, v)),
        (0..2u64, 0..12u64).prop_map(|(o, d)| Step::Deposit(o, d)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever operators and governance do: no key is held twice, the known-key set is
    /// exactly the stored keys, deposited keys never change, counters stay ordered
    /// (deposited ≤ vetted ≤ total), and the nonce grows with every change to them.
    #[test]
    fn keys_are_unique_and_deposited_keys_are_fixed(steps in prop::collection::vec(step(), 1..30)) {
        let mut env = Env::new();
        for step in steps {
            let nonce = env.nonce();
            let before: Vec<_> = (0..2).map(|o| env.operator(o)).collect();
            let deposited_before: Vec<Vec<Vec<u8>>> = (0..2)
                .map(|o| env.pubkeys(o).into_iter().take(before[o as usize].6 as usize).collect())
                .collect();
            let changed = match step {
                Step::Add(o, keys) => env.add(o, &keys).is_ok(),
                Step::Remove(o, from, count) => {
                    env.as_(env.operator(o).3);
                    env.module.remove_signing_keys(U256::from(o), from, count).is_ok()
                }
                Step::Vet(o, vetted) => {
                    env.as_(GOVERNANCE);
                    let old = env.operator(o).5;
                    env.module.set_node_operator_vetted_keys(U256::from(o), vetted).is_ok()
                        && vetted != old
                }
                Step::Deposit(o, n) => {
                    // The deposit path may only take vetted keys, in order.
                    let op = env.operator(o);
                    if n > op.6 && n <= op.5 {
                        env.mark_deposited(o, n);
                    }
                    false
                }
            };
            if changed {
                prop_assert!(env.nonce() > nonce, "a key change without a new nonce");
            } else {
                prop_assert_eq!(env.nonce(), nonce);
            }
            let mut all = HashSet::new();
            for o in 0..2u64 {
                let op = env.operator(o);
                let keys = env.pubkeys(o);
                prop_assert_eq!(op.4, keys.len() as u64);
                prop_assert!(op.6 <= op.5 && op.5 <= op.4, "{:?}", op);
                prop_assert_eq!(
                    &keys[..deposited_before[o as usize].len()],
                    &deposited_before[o as usize][..],
                    "a deposited key moved"
                );
                for key in keys {
                    prop_assert!(env.module.is_signing_key_known(key.clone().into()));
                    prop_assert!(all.insert(key), "a key held twice");
                }
            }
            // Nothing else is marked known: every key ever tried is either stored or not known.
            for n in 0..40u32 {
                let stored = all.contains(&pubkey(n));
                prop_assert_eq!(env.module.is_signing_key_known(pubkey(n).into()), stored);
            }
        }
    }
}
