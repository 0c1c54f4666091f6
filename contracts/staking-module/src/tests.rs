//! Native tests of the registry on `TestHost`: roles, operator life cycle, key batches (every
//! rejection leaves storage unchanged), removal that never touches deposited keys, vetting,
//! the nonce, and a property test that the module never holds a key twice.
//!
//! Then the deposit path (allocation, one beacon deposit per key with the vault's credentials
//! and its deposit data root, all or nothing), the share cap, and rewards.
//!
//! In-crate, so tests can read and set storage directly.
#![allow(clippy::unwrap_used)]

use alloc::{string::String, vec::Vec};
use std::collections::HashSet;

use alloy_primitives::{address, keccak256, Address, U256};
use proptest::prelude::*;
use stylus_sdk::abi::Bytes;
use tidepool_common::access_control::{AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLE};
use tidepool_testing::*;

use crate::{
    programs::{
        registry::NodeOperatorView,
        staking_module::{BEACON_DEPOSIT_SELECTOR, DEPOSIT_SIZE},
        StakingModuleRegistry,
    },
    *,
};
use alloy_sol_types::SolCall;

const NONCE: u64 = 3;
const GOVERNANCE: Address = ADMIN;
const MANAGER_A: Address = ALICE;
const MANAGER_B: Address = BOB;
const REWARDS: Address = address!("00000000000000000000000000000000000000e1");
const STRANGER: Address = address!("0000000000000000000000000000000000000bad");

alloy_sol_types::sol! {
    /// Ethereum's deposit contract, encoded by alloy: the reference for the module's
    /// hand-written calldata.
    interface IDepositContract {
        function deposit(bytes pubkey, bytes withdrawal_credentials, bytes signature, bytes32 deposit_data_root) external payable;
    }
}

const REGISTRY: Address = address!("0000000000000000000000000000000000000e9a");
const DEPOSIT_CONTRACT: Address = address!("00000000219ab540356cbb839cbe05303d7705fa");

/// Both programs over one host: the registry's type derefs to the module's storage, so
/// `env.module` calls either program's functions, as the fallback does on chain.
struct Env {
    vm: TestHost,
    module: StakingModuleRegistry,
}

/// `module.initialize(...)` as the deployment does it, with `admin`.
fn initialize(module: &mut StakingModule, admin: Address) -> Result<(), StakingModuleError> {
    module.initialize(admin, NONCE, POOL, DEPOSIT_CONTRACT, WITHDRAWAL_VAULT, false, REGISTRY)
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
        install::<StakingModuleRegistry>(&vm, REGISTRY);
        let mut module = StakingModuleRegistry::from(&vm);
        vm.set_sender(DEPLOYER);
        initialize(&mut module, GOVERNANCE).unwrap();
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

    /// Makes the deposit contract accept every deposit.
    fn accept_deposits(&self) {
        self.vm.on_call(DEPOSIT_CONTRACT, |_| Ok(Vec::new()));
    }

    /// The pool deposits `n` keys with `n × 32 ETH`, as a call the chain reverts on failure.
    fn deposit(&mut self, n: u64) -> Result<(), StakingModuleError> {
        let value = U256::from(n) * DEPOSIT_SIZE;
        let vm = self.vm.clone();
        let module = &mut self.module;
        let mut result = Ok(());
        let _ = vm.enter(POOL, value, || {
            result = module.deposit(U256::from(n));
            if result.is_ok() {
                Ok(Vec::new())
            } else {
                Err(Vec::new())
            }
        });
        result
    }

    /// The beacon deposits made so far: `(pubkey, calldata, value)`, in order.
    fn beacon_deposits(&self) -> Vec<(Vec<u8>, Vec<u8>, U256)> {
        self.vm
            .calls()
            .into_iter()
            .filter(|(to, _, _)| *to == DEPOSIT_CONTRACT)
            .map(|(_, data, value)| {
                let call = IDepositContract::depositCall::abi_decode(&data).unwrap();
                (call.pubkey.to_vec(), data, value)
            })
            .collect()
    }

    /// Runs `f`, which must fail with `expected`, and checks storage is unchanged.
    fn rejects(
        &mut self,
        expected: impl Into<StakingModuleError>,
        f: impl FnOnce(&mut StakingModuleRegistry) -> Result<(), StakingModuleError>,
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
    let mut module = StakingModuleRegistry::from(&vm);
    vm.set_sender(DEPLOYER);
    assert_eq!(initialize(&mut module, Address::ZERO), Err(ZeroAddress {}.into()));
    assert_eq!(
        initialize(&mut module, GOVERNANCE),
        Err(RegistryWithoutCode { registry: REGISTRY }.into()),
        "a registry address without code would make every registry call a silent success"
    );
    install::<StakingModuleRegistry>(&vm, REGISTRY);
    initialize(&mut module, GOVERNANCE).unwrap();
    assert!(module.has_role(DEFAULT_ADMIN_ROLE, GOVERNANCE));
    assert!(!module.has_role(MANAGE_NODE_OPERATOR_ROLE, GOVERNANCE), "granted separately");
    assert!(initialize(&mut module, GOVERNANCE).is_err(), "a second initialisation");
    let credentials = module.get_withdrawal_credentials();
    assert_eq!(credentials[0], 0x01);
    assert_eq!(&credentials[1..12], &[0u8; 11]);
    assert_eq!(&credentials[12..], WITHDRAWAL_VAULT.as_slice());
    assert_eq!(module.get_module_contracts(), (POOL, DEPOSIT_CONTRACT, REGISTRY));
    assert_eq!(module.get_max_operator_share(), DEFAULT_MAX_OPERATOR_SHARE_BP);
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
    /// Keys the pool deposits (through the real deposit path).
    Deposit(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2u64, prop::collection::vec(0..40u32, 1..6)).prop_map(|(o, k)| Step::Add(o, k)),
        (0..2u64, 0..12u64, 1..4u64).prop_map(|(o, f, c)| Step::Remove(o, f, c)),
        (0..2u64, 0..12u64).prop_map(|(o, v)| Step::Vet(o, v)),
        (1..4u64).prop_map(Step::Deposit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever operators, governance and the pool do: no key is held twice, no key is
    /// deposited twice, exactly the first `deposited` keys of each operator have been funded,
    /// the known-key set is exactly the stored keys, deposited keys never change, counters
    /// stay ordered (deposited ≤ vetted ≤ total), and the nonce grows with every change.
    #[test]
    fn keys_are_unique_and_deposited_keys_are_fixed(steps in prop::collection::vec(step(), 1..30)) {
        let mut env = Env::new();
        env.accept_deposits();
        let mut ever_funded = HashSet::new();
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
                Step::Deposit(n) => {
                    let sent = env.beacon_deposits().len();
                    let ok = env.deposit(n).is_ok();
                    let funded = env.beacon_deposits();
                    // All or nothing: n beacon deposits of 32 ETH, or none.
                    prop_assert_eq!(funded.len() - sent, if ok { n as usize } else { 0 });
                    for (key, _, value) in &funded[sent..] {
                        prop_assert_eq!(*value, DEPOSIT_SIZE);
                        prop_assert!(ever_funded.insert(key.clone()), "a key deposited twice");
                    }
                    ok
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
                for (index, key) in keys.into_iter().enumerate() {
                    // Exactly the first `deposited` keys have been funded.
                    prop_assert_eq!(ever_funded.contains(&key), (index as u64) < op.6);
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

// ---------------------------------------------------------------- deposits

/// `env` with operator 0 holding keys 0..5 and operator 1 keys 10..13, all vetted.
fn env_with_vetted_keys() -> Env {
    let mut env = Env::new();
    env.add(0, &[0, 1, 2, 3, 4]).unwrap();
    env.add(1, &[10, 11, 12]).unwrap();
    env.as_(GOVERNANCE);
    env.module.set_node_operator_vetted_keys(U256::ZERO, 5).unwrap();
    env.module.set_node_operator_vetted_keys(U256::from(1), 3).unwrap();
    env.accept_deposits();
    env
}

#[test]
fn the_beacon_deposit_selector_and_calldata_match_the_abi() {
    assert_eq!(
        BEACON_DEPOSIT_SELECTOR,
        IDepositContract::depositCall::SELECTOR,
        "deposit(bytes,bytes,bytes,bytes32)"
    );
    // The hand-written encoding against alloy's, for keys whose bytes are all distinct.
    for n in [0u32, 7, 1_000] {
        let key = KeyWords::new(&pubkey(n), &signature(n));
        let credentials = tidepool_beacon::withdrawal_credentials(WITHDRAWAL_VAULT, n == 7);
        let root = keccak256(n.to_be_bytes());
        let ours =
            crate::programs::staking_module::beacon_deposit_calldata(&key, credentials, root);
        let reference = IDepositContract::depositCall {
            pubkey: pubkey(n).into(),
            withdrawal_credentials: credentials.to_vec().into(),
            signature: signature(n).into(),
            deposit_data_root: root,
        }
        .abi_encode();
        assert_eq!(ours.to_vec(), reference);
    }
}

#[test]
fn a_deposit_funds_keys_fewest_first_with_the_vault_credentials_and_valid_roots() {
    let mut env = env_with_vetted_keys();
    let nonce = env.nonce();
    assert_eq!(
        env.module.get_staking_module_summary(),
        (U256::ZERO, U256::ZERO, U256::from(8)),
        "8 vetted keys can be deposited"
    );
    env.deposit(4).unwrap();
    // Ties go to the lower id, then fewest running validators: 0, 1, 0, 1.
    assert_eq!((env.operator(0).6, env.operator(1).6), (2, 2));
    assert_eq!(env.nonce(), nonce + U256::from(1), "a deposit changes the depositable keys");
    assert_eq!(env.module.get_staking_module_summary(), (U256::ZERO, U256::from(4), U256::from(4)));
    let changed = env.vm.events::<DepositedSigningKeysCountChanged>();
    assert_eq!(changed.len(), 2);
    assert_eq!((changed[0].nodeOperatorId, changed[0].depositedKeys), (U256::ZERO, U256::from(2)));

    let deposits = env.beacon_deposits();
    let expected_keys = [0u32, 1, 10, 11];
    assert_eq!(deposits.len(), 4);
    let credentials = env.module.get_withdrawal_credentials();
    for ((key, data, value), n) in deposits.iter().zip(expected_keys) {
        assert_eq!(*key, pubkey(n));
        assert_eq!(*value, DEPOSIT_SIZE);
        let call = IDepositContract::depositCall::abi_decode(data).unwrap();
        assert_eq!(call.withdrawal_credentials.to_vec(), credentials.to_vec());
        assert_eq!(call.signature.to_vec(), signature(n));
        let root = tidepool_beacon::deposit_data_root(
            &pubkey(n).try_into().unwrap(),
            &credentials,
            tidepool_beacon::FULL_DEPOSIT_GWEI,
            &signature(n).try_into().unwrap(),
        );
        assert_eq!(call.deposit_data_root, root);
    }

    // The next deposit continues where each operator stopped (operator by operator, in id
    // order); operator 1 runs out at 3.
    env.deposit(3).unwrap();
    assert_eq!((env.operator(0).6, env.operator(1).6), (4, 3));
    let keys: Vec<Vec<u8>> = env.beacon_deposits().into_iter().map(|d| d.0).collect();
    assert_eq!(keys[4..], [pubkey(2), pubkey(3), pubkey(12)]);
}

#[test]
fn deposit_refusals_change_nothing() {
    let mut env = env_with_vetted_keys();
    let stranger_call = |m: &mut StakingModuleRegistry| m.deposit(U256::from(1));
    env.as_(STRANGER);
    env.rejects(NotPool { caller: STRANGER }, stranger_call);
    env.as_(POOL);
    let max = U256::from(MAX_DEPOSITS_PER_CALL);
    env.rejects(InvalidDepositsCount { count: U256::ZERO, max }, |m| m.deposit(U256::ZERO));
    env.rejects(InvalidDepositsCount { count: max + U256::from(1), max }, |m| {
        m.deposit(max + U256::from(1))
    });
    env.vm.set_value(DEPOSIT_SIZE);
    env.rejects(
        InvalidDepositValue { expected: DEPOSIT_SIZE * U256::from(2), received: DEPOSIT_SIZE },
        |m| m.deposit(U256::from(2)),
    );
    env.vm.set_value(DEPOSIT_SIZE * U256::from(9));
    env.rejects(
        NotEnoughDepositableKeys { requested: U256::from(9), available: U256::from(8) },
        |m| m.deposit(U256::from(9)),
    );
    assert!(env.beacon_deposits().is_empty());

    // The deposit contract refusing a key reverts the whole deposit.
    env.vm.on_call(DEPOSIT_CONTRACT, |_| Err(Vec::new()));
    let before = env.vm.snapshot().storage;
    assert_eq!(
        env.deposit(2),
        Err(BeaconDepositFailed { nodeOperatorId: U256::ZERO, keyIndex: U256::ZERO }.into())
    );
    assert_eq!(before, env.vm.snapshot().storage);
}

#[test]
fn a_paused_operator_set_or_unvetted_keys_take_no_deposit() {
    let mut env = env_with_vetted_keys();
    env.as_(GOVERNANCE);
    env.module.deactivate_node_operator(U256::ZERO).unwrap();
    assert_eq!(env.module.get_staking_module_summary().2, U256::from(3));
    env.deposit(3).unwrap();
    assert_eq!((env.operator(0).6, env.operator(1).6), (0, 3), "only the active operator");
    assert_eq!(
        env.deposit(1),
        Err(NotEnoughDepositableKeys { requested: U256::from(1), available: U256::ZERO }.into())
    );
}

#[test]
fn the_share_cap_binds_once_enough_operators_are_active() {
    let mut env = Env::new();
    env.as_(GOVERNANCE);
    env.rejects(InvalidMaxOperatorShare { shareBasisPoints: U256::ZERO }, |m| {
        m.set_max_operator_share(0)
    });
    env.rejects(InvalidMaxOperatorShare { shareBasisPoints: U256::from(10_001) }, |m| {
        m.set_max_operator_share(10_001)
    });
    env.as_(STRANGER);
    env.rejects(
        AccessControlUnauthorizedAccount { account: STRANGER, neededRole: DEFAULT_ADMIN_ROLE },
        |m| m.set_max_operator_share(5_000),
    );
    // Two operators under a 50% cap: only operator 0 has keys, so it may hold at most half.
    env.as_(GOVERNANCE);
    env.module.set_max_operator_share(5_000).unwrap();
    assert_eq!(
        env.vm.events::<MaxOperatorShareSet>().last().unwrap().shareBasisPoints,
        U256::from(5_000)
    );
    env.add(0, &[0, 1, 2, 3]).unwrap();
    env.add(1, &[10]).unwrap();
    env.as_(GOVERNANCE);
    env.module.set_node_operator_vetted_keys(U256::ZERO, 4).unwrap();
    env.module.set_node_operator_vetted_keys(U256::from(1), 1).unwrap();
    env.accept_deposits();
    // 0, then 1, then 0 at 2 of 3 (within ⌈50% × 3⌉ = 2); a fourth would put operator 0 at
    // 3 of 4, over ⌈50% × 4⌉ = 2, and operator 1 has no keys left.
    assert_eq!(env.module.get_staking_module_summary().2, U256::from(3));
    assert_eq!(
        env.deposit(4),
        Err(NotEnoughDepositableKeys { requested: U256::from(4), available: U256::from(3) }.into())
    );
    env.deposit(3).unwrap();
    assert_eq!((env.operator(0).6, env.operator(1).6), (2, 1));
}

// ---------------------------------------------------------------- rewards

/// Makes the pool answer `sharesOf(module)` with `shares` and accept share transfers.
fn mock_pool_shares(env: &Env, shares: U256) {
    env.vm.on_call(POOL, move |call| {
        if call.calldata[..4]
            == crate::programs::staking_module::IPoolShares::sharesOfCall::SELECTOR
        {
            Ok(shares.to_be_bytes::<32>().to_vec())
        } else {
            Ok(U256::ZERO.to_be_bytes::<32>().to_vec())
        }
    });
}

#[test]
fn rewards_go_to_active_operators_pro_rata_to_running_validators() {
    use crate::programs::staking_module::IPoolShares::transferSharesCall;
    let mut env = Env::new();
    env.as_(GOVERNANCE);
    env.module.add_node_operator("gamma".into(), CAROL, MANAGER_A).unwrap();
    env.module.set_node_operator_reward_address(U256::from(1), DAVE).unwrap();
    env.add(0, &[0, 1]).unwrap();
    env.add(1, &[10]).unwrap();
    env.add(2, &[20, 21, 22]).unwrap();
    env.as_(GOVERNANCE);
    for (id, vetted) in [(0u64, 2u64), (1, 1), (2, 3)] {
        env.module.set_node_operator_vetted_keys(U256::from(id), vetted).unwrap();
    }
    env.accept_deposits();
    env.module.set_max_operator_share(10_000).unwrap();
    env.deposit(6).unwrap();
    env.as_(GOVERNANCE);
    env.module.deactivate_node_operator(U256::from(2)).unwrap();

    mock_pool_shares(&env, U256::from(1_000));
    env.vm.clear_calls();
    env.as_(STRANGER);
    // 2 + 1 running validators among active operators; the inactive one gets nothing.
    assert_eq!(env.module.distribute_rewards().unwrap(), U256::from(666 + 333));
    let transfers: Vec<(Address, U256)> = env
        .vm
        .calls()
        .into_iter()
        .map(|(to, data, _)| {
            assert_eq!(to, POOL);
            let call = transferSharesCall::abi_decode(&data).unwrap();
            (call.to, call.sharesAmount)
        })
        .collect();
    assert_eq!(transfers, vec![(REWARDS, U256::from(666)), (DAVE, U256::from(333))]);
    let paid = env.vm.events::<RewardsDistributed>();
    assert_eq!(paid.len(), 2);
    assert_eq!((paid[1].nodeOperatorId, paid[1].rewardAddress), (U256::from(1), DAVE));

    // Nothing to pay: no transfer at all.
    mock_pool_shares(&env, U256::ZERO);
    env.vm.clear_calls();
    assert_eq!(env.module.distribute_rewards().unwrap(), U256::ZERO);
    assert!(env.vm.calls().is_empty());
}

// ---------------------------------------------------------------- exits

use tidepool_common::exit_report::{
    InvalidExitDataLength, TooManyExitRequests, UnsortedNodeOperatorIds, ZeroExitRequest,
};
use tidepool_interfaces::exit_report::{encode, Entry};

/// An exit report's two lists: requests and exited counts.
type ExitLists = (Vec<Entry>, Vec<Entry>);
/// The error an exit report must be refused with, and its two lists.
type RefusedExitReport = (StakingModuleError, Vec<Entry>, Vec<Entry>);

/// `env_with_vetted_keys` with every key deposited (operator 0: keys 0..5, operator 1: keys
/// 10..13) and `ORACLE` holding `REPORT_EXITS_ROLE`.
fn env_with_deposits() -> Env {
    let mut env = env_with_vetted_keys();
    env.as_(GOVERNANCE);
    env.module.set_max_operator_share(10_000).unwrap();
    env.deposit(8).unwrap();
    env.as_(GOVERNANCE);
    env.module.grant_role(REPORT_EXITS_ROLE, ORACLE).unwrap();
    env
}

impl Env {
    /// `processExitReport` from `ORACLE` with the two lists.
    fn exits(
        &mut self,
        requests: &[(u64, u64)],
        exited: &[(u64, u64)],
    ) -> Result<(), StakingModuleError> {
        self.vm.set_sender(ORACLE);
        self.module.process_exit_report(encode(requests).into(), encode(exited).into())
    }

    /// `(operator, key index, pubkey)` of every exit requested so far, in order.
    fn exit_requests(&self) -> Vec<(u64, u64, Vec<u8>)> {
        self.vm
            .events::<ValidatorExitRequested>()
            .into_iter()
            .map(|e| (e.nodeOperatorId.to(), e.keyIndex.to(), e.pubkey.to_vec()))
            .collect()
    }

    fn exit_requested(&self, id: u64) -> u64 {
        self.module.get_exit_requested_count(U256::from(id)).unwrap()
    }
}

#[test]
fn exit_requests_name_each_operators_oldest_deposited_keys_in_order() {
    let mut env = env_with_deposits();
    let nonce = env.nonce();
    env.exits(&[(0, 2), (1, 1)], &[]).unwrap();
    assert_eq!(
        env.exit_requests(),
        vec![(0, 0, pubkey(0)), (0, 1, pubkey(1)), (1, 0, pubkey(10))],
        "one event per key, with the key's public key, in list and key order"
    );
    assert_eq!((env.exit_requested(0), env.exit_requested(1)), (2, 1));
    // The next frame continues where this one left off.
    env.exits(&[(0, 3), (1, 2)], &[]).unwrap();
    assert_eq!(
        env.exit_requests()[3..],
        [
            (0, 2, pubkey(2)),
            (0, 3, pubkey(3)),
            (0, 4, pubkey(4)),
            (1, 1, pubkey(11)),
            (1, 2, pubkey(12)),
        ]
    );
    assert_eq!((env.exit_requested(0), env.exit_requested(1)), (5, 3));
    // Requests change no count the allocation reads: the nonce stays.
    assert_eq!(env.nonce(), nonce);
    assert_eq!(env.operator(0).7, 0, "a request is not an exit");
    assert!(env.vm.events::<ExitedValidatorsCountChanged>().is_empty());
    // An empty report is accepted and does nothing.
    env.exits(&[], &[]).unwrap();
    assert_eq!(env.exit_requests().len(), 8);
    assert_eq!(env.module.report_exits_role(), keccak256("REPORT_EXITS_ROLE"));
}

#[test]
fn exited_counts_rise_change_the_nonce_and_the_running_validators_rewards_use() {
    let mut env = env_with_deposits();
    let nonce = env.nonce();
    // Operator 1's count is unchanged (0): no event for it.
    env.exits(&[], &[(0, 2), (1, 0)]).unwrap();
    let changed = env.vm.events::<ExitedValidatorsCountChanged>();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0].nodeOperatorId, changed[0].exitedValidators),
        (U256::ZERO, U256::from(2))
    );
    assert_eq!((env.operator(0).7, env.operator(1).7), (2, 0));
    assert_eq!(env.nonce(), nonce + U256::from(1), "allocation sees other running counts");
    assert_eq!(env.module.get_staking_module_summary().0, U256::from(2));
    // The same counts again: nothing changes, not even the nonce.
    env.exits(&[], &[(0, 2)]).unwrap();
    assert_eq!(env.nonce(), nonce + U256::from(1));
    assert_eq!(env.vm.events::<ExitedValidatorsCountChanged>().len(), 1);

    // Rewards: operator 0 runs 5 − 2 = 3 validators, operator 1 runs 3: half each.
    env.as_(GOVERNANCE);
    env.module.set_node_operator_reward_address(U256::from(1), DAVE).unwrap();
    mock_pool_shares(&env, U256::from(1_000));
    env.vm.clear_calls();
    env.as_(STRANGER);
    assert_eq!(env.module.distribute_rewards().unwrap(), U256::from(1_000));
    let paid: Vec<(U256, U256)> = env
        .vm
        .events::<RewardsDistributed>()
        .into_iter()
        .map(|e| (e.nodeOperatorId, e.shares))
        .collect();
    assert_eq!(paid, vec![(U256::ZERO, U256::from(500)), (U256::from(1), U256::from(500))]);
}

#[test]
fn exit_report_refusals_change_nothing() {
    let mut env = env_with_deposits();
    env.exits(&[(0, 1)], &[(1, 1)]).unwrap();
    let id = U256::from;
    // Only the role holder.
    env.vm.set_sender(STRANGER);
    env.rejects(
        AccessControlUnauthorizedAccount { account: STRANGER, neededRole: REPORT_EXITS_ROLE },
        |m| m.process_exit_report(encode(&[(0, 1)]).into(), Bytes::default()),
    );
    let cases: Vec<RefusedExitReport> = vec![
        // Malformed lists.
        (ZeroExitRequest { nodeOperatorId: id(1) }.into(), vec![(0, 1), (1, 0)], vec![]),
        (
            TooManyExitRequests { requested: id(101), max: id(100) }.into(),
            vec![(0, 100), (1, 1)],
            vec![],
        ),
        (
            UnsortedNodeOperatorIds {
                index: id(1),
                nodeOperatorId: id(0),
                previousNodeOperatorId: id(1),
            }
            .into(),
            vec![],
            vec![(1, 1), (0, 1)],
        ),
        (
            UnsortedNodeOperatorIds {
                index: id(1),
                nodeOperatorId: id(0),
                previousNodeOperatorId: id(0),
            }
            .into(),
            vec![(0, 1), (0, 1)],
            vec![],
        ),
        // Unknown operators.
        (NodeOperatorNotFound { nodeOperatorId: id(2) }.into(), vec![(2, 1)], vec![]),
        (NodeOperatorNotFound { nodeOperatorId: id(9) }.into(), vec![], vec![(0, 1), (9, 0)]),
        // Operator 0 has 5 deposited keys, 1 already asked to exit.
        (
            ExitRequestExceedsDeposited {
                nodeOperatorId: id(0),
                exitRequested: id(6),
                deposited: id(5),
            }
            .into(),
            vec![(0, 5)],
            vec![],
        ),
        (
            ExitedCountDecreased { nodeOperatorId: id(1), previous: id(1), reported: id(0) }.into(),
            vec![(0, 1)],
            vec![(1, 0)],
        ),
        (
            ExitedCountExceedsDeposited { nodeOperatorId: id(1), exited: id(4), deposited: id(3) }
                .into(),
            vec![(0, 1)],
            vec![(0, 1), (1, 4)],
        ),
    ];
    for (expected, requests, exited) in cases {
        env.vm.set_sender(ORACLE);
        env.rejects(expected, |m| {
            m.process_exit_report(encode(&requests).into(), encode(&exited).into())
        });
    }
    env.vm.set_sender(ORACLE);
    env.rejects(InvalidExitDataLength { length: id(15) }, |m| {
        m.process_exit_report(vec![0u8; 15].into(), Bytes::default())
    });
    env.rejects(InvalidExitDataLength { length: id(17) }, |m| {
        m.process_exit_report(Bytes::default(), vec![0u8; 17].into())
    });
    // Exactly up to the deposited keys is fine.
    env.exits(&[(0, 4), (1, 3)], &[(1, 3)]).unwrap();
    assert_eq!((env.exit_requested(0), env.exit_requested(1)), (5, 3));
}

/// One exit report: requests and exited counts for operators 0..3 (2 does not exist).
fn exit_report() -> impl Strategy<Value = ExitLists> {
    let list = |values: core::ops::Range<u64>| {
        prop::collection::btree_map(0..3u64, values, 0..3)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
    };
    (list(0..4), list(0..7))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the exit reports say, and with deposits in between: exit requests never exceed
    /// the deposited keys, exited counts never exceed them and never fall, and a refused report
    /// changes nothing.
    #[test]
    fn exit_reports_keep_exits_within_deposits(
        steps in prop::collection::vec((exit_report(), 0..3u64), 1..20)
    ) {
        let mut env = env_with_vetted_keys();
        env.as_(GOVERNANCE);
        env.module.set_max_operator_share(10_000).unwrap();
        env.module.grant_role(REPORT_EXITS_ROLE, ORACLE).unwrap();
        let mut exited_before = [0u64; 2];
        for ((requests, exited), deposits) in steps {
            // Some deposits between the reports, when keys are left (refusals are fine here).
            let _ = env.deposit(deposits);
            let before = env.vm.snapshot().storage;
            let requested_before = env.exit_requests().len();
            let ok = env.exits(&requests, &exited).is_ok();
            if !ok {
                prop_assert_eq!(&before, &env.vm.snapshot().storage, "a refused report changed storage");
                prop_assert_eq!(env.exit_requests().len(), requested_before);
            }
            for o in 0..2u64 {
                let op = env.operator(o);
                let requested = env.exit_requested(o);
                prop_assert!(requested <= op.6, "exit requested {} > deposited {}", requested, op.6);
                prop_assert!(op.7 <= op.6, "exited {} > deposited {}", op.7, op.6);
                prop_assert!(op.7 >= exited_before[o as usize], "an exited count fell");
                exited_before[o as usize] = op.7;
            }
            // Every key asked to exit was asked once, in key order per operator.
            let mut next = [0u64; 2];
            for (o, index, key) in env.exit_requests() {
                prop_assert_eq!(index, next[o as usize]);
                prop_assert_eq!(&key, &env.pubkeys(o)[index as usize]);
                next[o as usize] += 1;
            }
            prop_assert_eq!(next, [env.exit_requested(0), env.exit_requested(1)]);
        }
    }
}
