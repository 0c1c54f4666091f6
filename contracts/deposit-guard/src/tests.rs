//! Native tests of the guard on `TestHost`, with ArbSys, the deposit contract, the module and
//! the pool mocked: a quorum deposits; stale roots, nonces and blocks, short or unordered
//! quorums, strangers and replays revert without reaching the pool; one guardian pauses.
#![allow(clippy::unwrap_used)]

use alloc::{rc::Rc, vec::Vec};
use core::cell::Cell;

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::abi::Bytes;
use tidepool_common::{
    access_control::{AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLE},
    signature::pack_signature,
};
use tidepool_testing::*;

use crate::{
    programs::deposit_guard::{IArbSys, IPoolDeposit, ARB_SYS},
    *,
};

const NONCE: u64 = 5;
const DEPOSIT_CONTRACT: Address = address!("00000000219ab540356cbb839cbe05303d7705fa");
const STRANGER: Address = address!("0000000000000000000000000000000000000bad");
const CURRENT_BLOCK: u64 = 1_000;
const ROOT: B256 = B256::repeat_byte(0x77);

fn block_hash(n: u64) -> B256 {
    keccak256(n.to_be_bytes())
}

struct Env {
    vm: TestHost,
    guard: DepositGuard,
    /// The module's nonce as the mock answers it.
    module_nonce: Rc<Cell<u64>>,
    /// Whether the pool accepts deposits.
    pool_accepts: Rc<Cell<bool>>,
}

/// Guardians are test keys 1..=4; quorum 3.
const GUARDIANS: [u8; 4] = [1, 2, 3, 4];

impl Env {
    fn new() -> Self {
        let vm = deployed(NONCE);
        vm.set_chain_id(CHAIN_ID);
        let module_nonce = Rc::new(Cell::new(7u64));
        let pool_accepts = Rc::new(Cell::new(true));
        vm.on_call(ARB_SYS, |call| {
            if call.calldata[..4] == IArbSys::arbBlockNumberCall::SELECTOR {
                return Ok(U256::from(CURRENT_BLOCK).to_be_bytes::<32>().to_vec());
            }
            let n = IArbSys::arbBlockHashCall::abi_decode(&call.calldata).unwrap().arbBlockNum;
            let n = n.to::<u64>();
            if n < CURRENT_BLOCK && CURRENT_BLOCK - n <= 256 {
                Ok(block_hash(n).to_vec())
            } else {
                Err(Vec::new())
            }
        });
        vm.on_call(DEPOSIT_CONTRACT, |_| Ok(ROOT.to_vec()));
        let nonce = module_nonce.clone();
        vm.on_call(MODULE, move |_| Ok(U256::from(nonce.get()).to_be_bytes::<32>().to_vec()));
        let accepts = pool_accepts.clone();
        vm.on_call(POOL, move |_| {
            if accepts.get() {
                Ok(Vec::new())
            } else {
                // The pool's `ProtocolStopped()` revert data.
                Err(keccak256("ProtocolStopped()")[..4].to_vec())
            }
        });
        let mut guard = DepositGuard::from(&vm);
        guard.initialize(ADMIN, NONCE, POOL, MODULE, DEPOSIT_CONTRACT).unwrap();
        vm.set_sender(ADMIN);
        for (i, n) in GUARDIANS.iter().enumerate() {
            let quorum = U256::from((i + 1).min(3));
            guard.add_guardian(key(*n), quorum).unwrap();
        }
        vm.clear_calls();
        Env { vm, guard, module_nonce, pool_accepts }
    }

    /// Signatures of test keys `signers` over the attestation of block `block`, in the order
    /// given.
    fn attest(&self, block: u64, signers: &[u8]) -> Vec<Bytes> {
        let digest = self.guard.attest_digest(
            U256::from(block),
            block_hash(block),
            ROOT,
            U256::from(self.module_nonce.get()),
        );
        signers
            .iter()
            .map(|n| {
                let (v, r, s) = sign_digest(*n, digest);
                Bytes::from(pack_signature(v, r, s).to_vec())
            })
            .collect()
    }

    /// Test keys `signers` sorted by address, ascending.
    fn ascending(signers: &[u8]) -> Vec<u8> {
        let mut sorted = signers.to_vec();
        sorted.sort_by_key(|n| key(*n));
        sorted
    }

    fn deposit(&mut self, block: u64, signatures: Vec<Bytes>) -> Result<(), Vec<u8>> {
        self.vm.set_sender(STRANGER);
        self.guard.deposit_buffered_ether(
            U256::from(2),
            U256::from(block),
            block_hash(block),
            ROOT,
            U256::from(self.module_nonce.get()),
            signatures,
        )
    }

    fn pool_calls(&self) -> Vec<Vec<u8>> {
        self.vm.calls().into_iter().filter(|c| c.0 == POOL).map(|c| c.1).collect()
    }
}

fn revert(e: impl Into<DepositGuardError>) -> Vec<u8> {
    e.into().into()
}

#[test]
fn message_constants_are_the_hashes_of_their_names() {
    assert_eq!(ATTEST_MESSAGE, keccak256("tidepool.DepositGuard.ATTEST_MESSAGE"));
    assert_eq!(PAUSE_MESSAGE, keccak256("tidepool.DepositGuard.PAUSE_MESSAGE"));
    let env = Env::new();
    // The digest binds the chain and this guard.
    let prefix = keccak256(
        [ATTEST_MESSAGE, B256::from(U256::from(CHAIN_ID)), env.vm.contract_address().into_word()]
            .concat(),
    );
    let expected = keccak256(
        [prefix, B256::from(U256::from(9)), block_hash(9), ROOT, B256::from(U256::from(7))]
            .concat(),
    );
    assert_eq!(
        env.guard.attest_digest(U256::from(9), block_hash(9), ROOT, U256::from(7)),
        expected
    );
}

#[test]
fn a_quorum_of_ascending_guardians_deposits_through_the_pool() {
    let mut env = Env::new();
    assert_eq!(env.guard.get_guardian_quorum(), U256::from(3));
    let signers = Env::ascending(&[1, 2, 4]);
    let signatures = env.attest(990, &signers);
    env.deposit(990, signatures).unwrap();
    assert_eq!(
        env.pool_calls(),
        vec![IPoolDeposit::depositCall { validators: U256::from(2) }.abi_encode()]
    );
    let attested = env.vm.events::<DepositsAttested>();
    assert_eq!(attested.len(), 1);
    assert_eq!(attested[0].nonce, U256::from(7));
    // All four also do.
    let all = env.attest(990, &Env::ascending(&GUARDIANS));
    env.deposit(990, all).unwrap();
    assert_eq!(env.pool_calls().len(), 2);
}

#[test]
fn stale_or_bad_attestations_never_reach_the_pool() {
    let mut env = Env::new();
    let signers = Env::ascending(&[1, 2, 3]);
    let good = env.attest(990, &signers);

    // The module's keys changed (a deposit, a key added): the nonce moved on. Signed over
    // nonce 7, sent with nonce 7: refused as stale.
    env.module_nonce.set(8);
    env.vm.set_sender(STRANGER);
    let err = env.guard.deposit_buffered_ether(
        U256::from(2),
        U256::from(990),
        block_hash(990),
        ROOT,
        U256::from(7),
        good.clone(),
    );
    assert_eq!(
        err,
        Err(revert(ModuleNonceChanged { actual: U256::from(8), attested: U256::from(7) }))
    );
    // Sent with the current nonce but signed over the old one: the signers recover to
    // strangers.
    let err = env.deposit(990, good.clone()).unwrap_err();
    assert_eq!(err[..4], revert(NotGuardian { index: U256::ZERO, signer: Address::ZERO })[..4]);
    env.module_nonce.set(7);

    // Another root (a deposit happened since, a front-run included).
    env.vm.set_sender(STRANGER);
    let other_root = B256::repeat_byte(1);
    let err = env.guard.deposit_buffered_ether(
        U256::from(2),
        U256::from(990),
        block_hash(990),
        other_root,
        U256::from(7),
        good.clone(),
    );
    assert_eq!(err, Err(revert(DepositRootChanged { actual: ROOT, attested: other_root })));

    // Wrong hash for the block; a block out of ArbSys's window; the current block.
    let err = env.guard.deposit_buffered_ether(
        U256::from(2),
        U256::from(990),
        block_hash(991),
        ROOT,
        U256::from(7),
        good.clone(),
    );
    assert_eq!(
        err,
        Err(revert(BlockHashMismatch {
            blockNumber: U256::from(990),
            actual: block_hash(990),
            attested: block_hash(991)
        }))
    );
    for block in [CURRENT_BLOCK - 257, CURRENT_BLOCK] {
        let sigs = env.attest(block, &signers);
        assert_eq!(
            env.deposit(block, sigs),
            Err(revert(UnknownBlock { blockNumber: U256::from(block) }))
        );
    }

    // Short quorum, wrong order, duplicates, a stranger's key, a malformed signature.
    let two = env.attest(990, &signers[..2]);
    assert_eq!(
        env.deposit(990, two),
        Err(revert(QuorumNotReached { signatures: U256::from(2), quorum: U256::from(3) }))
    );
    let mut reversed = good.clone();
    reversed.reverse();
    let (first, second) = (key(signers[2]), key(signers[1]));
    assert_eq!(
        env.deposit(990, reversed),
        Err(revert(SignersNotAscending { index: U256::from(1), signer: second, previous: first }))
    );
    let dup = vec![good[0].clone(), good[0].clone(), good[1].clone()];
    assert_eq!(
        env.deposit(990, dup),
        Err(revert(DuplicateSigner { index: U256::from(1), signer: key(signers[0]) }))
    );
    let with_stranger = env.attest(990, &Env::ascending(&[1, 2, 9]));
    let order = Env::ascending(&[1, 2, 9]);
    let at = order.iter().position(|n| *n == 9).unwrap();
    assert_eq!(
        env.deposit(990, with_stranger),
        Err(revert(NotGuardian { index: U256::from(at), signer: key(9) }))
    );
    let mut short = good.clone();
    short[1] = Bytes::from(vec![1u8; 64]);
    assert_eq!(
        env.deposit(990, short),
        Err(revert(InvalidSignatureLength { index: U256::from(1), length: U256::from(64) }))
    );
    assert!(env.pool_calls().is_empty(), "nothing reached the pool");

    // The pool's own refusal comes back unchanged.
    env.pool_accepts.set(false);
    assert_eq!(env.deposit(990, good), Err(keccak256("ProtocolStopped()")[..4].to_vec()));
}

#[test]
fn any_guardian_pauses_and_only_the_admin_resumes() {
    let mut env = Env::new();
    // A stranger cannot pause, itself or with a stranger's signature.
    env.vm.set_sender(STRANGER);
    assert_eq!(
        env.guard.pause_deposits(U256::ZERO, Bytes::new()),
        Err(NotGuardian { index: U256::MAX, signer: STRANGER }.into())
    );
    // A guardian's signed pause, sent by anyone, within its validity.
    let block = CURRENT_BLOCK - 10;
    let (v, r, s) = sign_digest(2, env.guard.pause_digest(U256::from(block)));
    let signed = Bytes::from(pack_signature(v, r, s).to_vec());
    // An old intent is refused.
    env.vm.set_sender(ADMIN);
    assert_eq!(
        env.guard.set_pause_intent_validity_period_blocks(0),
        Err(InvalidPauseIntentValidity { blocks: U256::ZERO }.into())
    );
    env.guard.set_pause_intent_validity_period_blocks(100).unwrap();
    assert_eq!(env.guard.get_pause_intent_validity_period_blocks(), 100);
    env.vm.set_sender(STRANGER);
    let old = CURRENT_BLOCK - 101;
    let (v, r, s) = sign_digest(2, env.guard.pause_digest(U256::from(old)));
    assert_eq!(
        env.guard.pause_deposits(U256::from(old), Bytes::from(pack_signature(v, r, s).to_vec())),
        Err(PauseIntentExpired {
            blockNumber: U256::from(old),
            validUntil: U256::from(CURRENT_BLOCK - 1)
        }
        .into())
    );
    env.guard.pause_deposits(U256::from(block), signed).unwrap();
    assert!(env.guard.is_deposits_paused());
    assert_eq!(env.vm.events::<DepositsPaused>()[0].guardian, key(2));
    let sigs = env.attest(990, &Env::ascending(&GUARDIANS));
    assert_eq!(env.deposit(990, sigs.clone()), Err(revert(DepositsArePaused {})));

    env.vm.set_sender(key(1));
    assert_eq!(
        env.guard.unpause_deposits(),
        Err(AccessControlUnauthorizedAccount { account: key(1), neededRole: DEFAULT_ADMIN_ROLE }
            .into())
    );
    env.vm.set_sender(ADMIN);
    env.guard.unpause_deposits().unwrap();
    assert_eq!(env.guard.unpause_deposits(), Err(DepositsNotPaused {}.into()));
    env.deposit(990, sigs).unwrap();

    // A guardian pausing with its own transaction.
    env.vm.set_sender(key(3));
    env.guard.pause_deposits(U256::ZERO, Bytes::new()).unwrap();
    assert_eq!(
        env.guard.pause_deposits(U256::ZERO, Bytes::new()),
        Err(DepositsArePaused {}.into())
    );
}

#[test]
fn guardians_are_managed_by_the_admin() {
    let mut env = Env::new();
    assert_eq!(env.guard.get_guardians(), GUARDIANS.map(key).to_vec());
    env.vm.set_sender(STRANGER);
    assert!(env.guard.add_guardian(STRANGER, U256::from(1)).is_err());
    env.vm.set_sender(ADMIN);
    assert_eq!(
        env.guard.add_guardian(key(1), U256::from(3)),
        Err(GuardianAlreadyAdded { guardian: key(1) }.into())
    );
    assert_eq!(env.guard.add_guardian(Address::ZERO, U256::from(3)), Err(ZeroAddress {}.into()));
    assert_eq!(
        env.guard.add_guardian(key(5), U256::ZERO),
        Err(InvalidQuorum { quorum: U256::ZERO }.into())
    );
    assert_eq!(
        env.guard.remove_guardian(key(9), U256::from(2)),
        Err(GuardianNotFound { guardian: key(9) }.into())
    );
    // Removing the first moves the last into its place.
    env.guard.remove_guardian(key(1), U256::from(2)).unwrap();
    assert_eq!(env.guard.get_guardians(), vec![key(4), key(2), key(3)]);
    assert!(!env.guard.is_guardian(key(1)));
    assert!(env.guard.is_guardian(key(4)));
    assert_eq!(env.guard.get_guardian_quorum(), U256::from(2));
    // The removed guardian's signature no longer counts.
    let sigs = env.attest(990, &Env::ascending(&[1, 2]));
    assert!(env.deposit(990, sigs).is_err());
    env.vm.set_sender(ADMIN);
    env.guard.remove_guardian(key(4), U256::from(2)).unwrap();
    assert_eq!(env.guard.get_guardians(), vec![key(3), key(2)]);
    for _ in 0..MAX_GUARDIANS - 2 {
        let n = env.guard.get_guardians().len() as u8 + 10;
        env.guard.add_guardian(key(n), U256::from(2)).unwrap();
    }
    assert_eq!(
        env.guard.add_guardian(key(200), U256::from(2)),
        Err(TooManyGuardians { max: U256::from(MAX_GUARDIANS) }.into())
    );
}
