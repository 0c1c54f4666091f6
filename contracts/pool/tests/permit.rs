//! EIP-2612 `permit` on the pool with real secp256k1 signatures: the digest and domain are
//! built by alloy's EIP-712 encoder (as a wallet builds them), never by the pool's helpers, and
//! every rejected permit leaves storage untouched.
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{eip712_domain, sol, SolCall, SolError, SolStruct};
use common::*;
use tidepool_common::{
    permit::{permit_struct_hash, ERC2612ExpiredSignature, ERC2612InvalidSigner},
    signature::{pack_signature, ERC1271_MAGIC_VALUE},
};
use tidepool_pool::{errors::*, events::*, PoolError};

/// A contract wallet (EIP-1271) holding tokens.
const WALLET: Address = address!("000000000000000000000000000000000000c0de");
const OWNER_KEY: u8 = 1;
const OTHER_KEY: u8 = 2;

sol! {
    interface IPermit {
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
        function nonces(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}

fn owner() -> Address {
    key(OWNER_KEY)
}

/// A pool where the key-1 owner holds 10 ETH, and a deadline an hour ahead.
fn setup() -> (Env, U256) {
    let mut env = Env::new();
    env.submit(owner(), eth(10)).unwrap();
    let deadline = env.now() + U256::from(3600);
    (env, deadline)
}

fn invalid_signer(signer: Address, owner: Address) -> PoolError {
    PoolError::ERC2612InvalidSigner(ERC2612InvalidSigner { signer, owner })
}

/// Mocks `WALLET.isValidSignature(digest, r‖s‖v)` answering `answer`.
fn mock_wallet(env: &Env, digest: B256, sig: (u8, B256, B256), answer: Result<Vec<u8>, Vec<u8>>) {
    let (v, r, s) = sig;
    let calldata = typed::isValidSignatureCall {
        hash: digest,
        signature: Bytes::copy_from_slice(&pack_signature(v, r, s)),
    }
    .abi_encode();
    env.vm.mock_static_call(WALLET, calldata, answer);
}

/// `ERC1271_MAGIC_VALUE` as the wallet returns it: a left-aligned `bytes4` word.
fn magic_word() -> Vec<u8> {
    B256::right_padding_from(&ERC1271_MAGIC_VALUE).to_vec()
}

// ---------------------------------------------------------------- domain and digest

#[test]
fn domain_separator_is_alloys_eip712_domain() {
    let env = Env::new();
    let this = env.pool_address();
    let expected = alloy_sol_types::Eip712Domain {
        name: Some("Tidepool Staked Ether".into()),
        version: Some("1".into()),
        chain_id: Some(U256::from(412346)),
        verifying_contract: Some(this),
        salt: None,
    }
    .separator();
    assert_eq!(env.pool.domain_separator(), expected);
    let macro_built = eip712_domain! {
        name: "Tidepool Staked Ether",
        version: "1",
        chain_id: 412346,
        verifying_contract: this,
    };
    assert_eq!(env.pool.domain_separator(), macro_built.separator());

    // EIP-5267: the advertised fields rebuild the same separator.
    let (fields, name, version, chain_id, contract, salt, extensions) = env.admin.eip712_domain();
    assert_eq!(fields.0, [0x0f], "name, version, chainId, verifyingContract");
    assert_eq!(salt, B256::ZERO);
    assert!(extensions.is_empty());
    let rebuilt = tidepool_interfaces::eip712::domain(name, version, chain_id, contract);
    assert_eq!(rebuilt.separator(), expected);

    // Bound to the chain: after a fork to another chain id, the separator follows.
    env.vm.set_chain_id(1);
    let forked = eip712_domain! {
        name: "Tidepool Staked Ether", version: "1", chain_id: 1, verifying_contract: this,
    };
    assert_eq!(env.pool.domain_separator(), forked.separator());
    assert_ne!(forked.separator(), expected);
}

#[test]
fn permit_digest_is_alloys_signing_hash() {
    let (env, deadline) = setup();
    let (spender, value, nonce) = (BOB, eth(3), U256::from(5));
    let alloy_digest = typed::Permit { owner: owner(), spender, value, nonce, deadline }
        .eip712_signing_hash(&env.alloy_domain());
    // The pool's digest: keccak256(0x1901 ‖ DOMAIN_SEPARATOR() ‖ hashStruct(Permit)).
    let struct_hash = permit_struct_hash(owner(), spender, value, nonce, deadline);
    let mut preimage = vec![0x19, 0x01];
    preimage.extend_from_slice(env.pool.domain_separator().as_slice());
    preimage.extend_from_slice(struct_hash.as_slice());
    assert_eq!(keccak256(&preimage), alloy_digest);
    assert_eq!(
        tidepool_common::eip712::typed_data_hash(env.pool.domain_separator(), struct_hash),
        alloy_digest
    );
    assert_eq!(env.permit_digest((owner(), spender, value, nonce, deadline)), alloy_digest);
    // The signature helper signs what it claims: the precompile recovers the owner.
    let (v, r, s) = sign_digest(OWNER_KEY, alloy_digest);
    assert_eq!(env.vm.ecrecover(alloy_digest, v, r, s), Some(owner()));
}

// ---------------------------------------------------------------- accepted permits

#[test]
fn valid_permit_sets_allowance_emits_approval_and_bumps_nonce() {
    let (mut env, deadline) = setup();
    let value = eth(4);
    assert_eq!(env.pool.nonces(owner()), U256::ZERO);
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, value, deadline);
    let before = env.vm.snapshot().storage;
    // Anyone may relay the signed permit.
    env.permit_as(CAROL, owner(), BOB, value, deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), value);
    assert_eq!(env.pool.nonces(owner()), U256::from(1));
    let approval = env.events::<Approval>().pop().unwrap();
    assert_eq!((approval.owner, approval.spender, approval.value), (owner(), BOB, value));
    // Exactly two slots: the allowance and the nonce.
    assert_eq!(changed_slots(&before, &env.vm.snapshot().storage).len(), 2);

    // The spender uses it.
    env.as_(BOB);
    env.pool.transfer_from(owner(), CAROL, eth(1)).unwrap();
    assert!(env.balance(CAROL) >= eth(1));
    assert_eq!(env.pool.allowance(owner(), BOB), eth(3));

    // The next permit is signed over nonce 1 and replaces the allowance, even with zero.
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, U256::ZERO, deadline);
    env.permit_as(ALICE, owner(), BOB, U256::ZERO, deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), U256::ZERO);
    assert_eq!(env.pool.nonces(owner()), U256::from(2));
    let approval = env.events::<Approval>().pop().unwrap();
    assert_eq!(approval.value, U256::ZERO);
}

#[test]
fn permit_of_max_value_is_an_infinite_allowance() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, U256::MAX, deadline);
    env.permit_as(BOB, owner(), BOB, U256::MAX, deadline, sig).unwrap();
    env.as_(BOB);
    env.pool.transfer_from(owner(), BOB, eth(2)).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), U256::MAX);
}

#[test]
fn deadline_is_inclusive() {
    let (mut env, _) = setup();
    let deadline = env.now();
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    env.permit_as(BOB, owner(), BOB, ETH, deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), ETH);
}

#[test]
fn permit_routes_through_the_abi() {
    let (env, deadline) = setup();
    let (v, r, s) = env.sign_permit(OWNER_KEY, owner(), BOB, eth(2), deadline);
    env.as_(CAROL);
    let call =
        IPermit::permitCall { owner: owner(), spender: BOB, value: eth(2), deadline, v, r, s };
    assert_eq!(env.route(call.abi_encode()), Ok(vec![]));
    let nonce = env.route(IPermit::noncesCall { owner: owner() }.abi_encode()).unwrap();
    assert_eq!(IPermit::noncesCall::abi_decode_returns(&nonce).unwrap(), U256::from(1));
    let allowance =
        env.route(IPermit::allowanceCall { owner: owner(), spender: BOB }.abi_encode()).unwrap();
    assert_eq!(IPermit::allowanceCall::abi_decode_returns(&allowance).unwrap(), eth(2));
    // Replayed through the router: the ERC-2612 custom error comes back encoded.
    let out = env.route(call.abi_encode()).unwrap_err();
    let err = ERC2612InvalidSigner::abi_decode(&out).unwrap();
    assert_eq!(err.owner, owner());
    assert_ne!(err.signer, owner());
}

// ---------------------------------------------------------------- rejected permits

#[test]
fn expired_permit_is_rejected_unchanged() {
    let (mut env, _) = setup();
    let deadline = env.now() - U256::from(1);
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    assert_eq!(err, PoolError::ERC2612ExpiredSignature(ERC2612ExpiredSignature { deadline }));
    // A permit signed while valid expires too once time passes.
    let deadline = env.now() + U256::from(60);
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    env.vm.set_block_timestamp(env.vm.snapshot().block_timestamp + 61);
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    assert_eq!(err, PoolError::ERC2612ExpiredSignature(ERC2612ExpiredSignature { deadline }));
    assert_eq!(env.pool.nonces(owner()), U256::ZERO);
    assert_eq!(env.pool.allowance(owner(), BOB), U256::ZERO);
}

#[test]
fn another_keys_signature_is_rejected_and_names_that_key() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OTHER_KEY, owner(), BOB, ETH, deadline);
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    assert_eq!(err, invalid_signer(key(OTHER_KEY), owner()));
    // The other key cannot permit for itself with the owner's nonce either: its own permit is
    // accepted only for its own account.
    let sig = env.sign_permit(OTHER_KEY, key(OTHER_KEY), BOB, ETH, deadline);
    env.permit_as(BOB, key(OTHER_KEY), BOB, ETH, deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), U256::ZERO);
    assert_eq!(env.pool.allowance(key(OTHER_KEY), BOB), ETH);
}

#[test]
fn replayed_permit_is_rejected_unchanged() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    env.permit_as(BOB, owner(), BOB, ETH, deadline, sig).unwrap();
    // The spender spends it, then tries to restore the allowance with the same signature.
    env.as_(BOB);
    env.pool.transfer_from(owner(), BOB, ETH).unwrap();
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    // Checked against nonce 1, the signature recovers to an unrelated account.
    let digest = env.permit_digest((owner(), BOB, ETH, U256::from(1), deadline));
    let stranger = env.vm.ecrecover(digest, sig.0, sig.1, sig.2).unwrap();
    assert_ne!(stranger, owner());
    assert_eq!(err, invalid_signer(stranger, owner()));
    assert_eq!(env.pool.nonces(owner()), U256::from(1));
    assert_eq!(env.pool.allowance(owner(), BOB), U256::ZERO);
}

#[test]
fn high_s_twin_and_bad_v_are_rejected_unchanged() {
    let (mut env, deadline) = setup();
    let (v, r, s) = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    let (v2, s2) = high_s(v, s);
    // The precompile alone would take the twin for the owner's signature.
    let digest = env.permit_digest((owner(), BOB, ETH, U256::ZERO, deadline));
    assert_eq!(env.vm.ecrecover(digest, v2, r, s2), Some(owner()));
    let err = env
        .assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, (v2, r, s2)));
    assert_eq!(err, invalid_signer(Address::ZERO, owner()));
    for bad_v in [v - 27, 29, 0xff] {
        let err = env.assert_reverts_unchanged(|e| {
            e.permit_as(BOB, owner(), BOB, ETH, deadline, (bad_v, r, s))
        });
        assert_eq!(err, invalid_signer(Address::ZERO, owner()));
    }
    // Zero r and s recover to nothing.
    let err = env.assert_reverts_unchanged(|e| {
        e.permit_as(BOB, owner(), BOB, ETH, deadline, (27, B256::ZERO, B256::ZERO))
    });
    assert_eq!(err, invalid_signer(Address::ZERO, owner()));
    // The genuine low-s signature still works.
    env.permit_as(BOB, owner(), BOB, ETH, deadline, (v, r, s)).unwrap();
    assert_eq!(env.pool.nonces(owner()), U256::from(1));
}

#[test]
fn signatures_for_another_domain_are_rejected_unchanged() {
    let (mut env, deadline) = setup();
    let this = env.pool_address();
    let chain = env.vm.snapshot().chain_id;
    let domain = |name: &'static str, version: &'static str, chain_id: u64, contract| {
        alloy_sol_types::Eip712Domain::new(
            Some(name.into()),
            Some(version.into()),
            Some(U256::from(chain_id)),
            Some(contract),
            None,
        )
    };
    let domains = [
        domain("Tidepool Staked Ether", "1", chain + 1, this),
        domain("Tidepool Staked Ether", "1", chain, ALICE),
        domain("Liquid staked Ether 2.0", "1", chain, this),
        domain("Tidepool Staked Ether", "2", chain, this),
    ];
    for domain in domains {
        let digest =
            typed::Permit { owner: owner(), spender: BOB, value: ETH, nonce: U256::ZERO, deadline }
                .eip712_signing_hash(&domain);
        let sig = sign_digest(OWNER_KEY, digest);
        let err =
            env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
        let PoolError::ERC2612InvalidSigner(e) = err else { panic!("unexpected {err:?}") };
        assert_eq!(e.owner, owner());
        assert_ne!(e.signer, owner());
        assert_ne!(e.signer, Address::ZERO, "a real key recovers, just not the owner");
    }
    assert_eq!(env.pool.nonces(owner()), U256::ZERO);
}

#[test]
fn every_signed_field_is_bound() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    let cases = [
        (owner(), CAROL, ETH, deadline),
        (owner(), BOB, ETH + U256::from(1), deadline),
        (owner(), BOB, ETH, deadline + U256::from(1)),
        (key(OTHER_KEY), BOB, ETH, deadline),
    ];
    for (o, spender, value, dl) in cases {
        let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, o, spender, value, dl, sig));
        let PoolError::ERC2612InvalidSigner(e) = err else { panic!("unexpected {err:?}") };
        assert_eq!(e.owner, o);
        assert_ne!(e.signer, o);
    }
    // A permit signed for a future nonce is no good now.
    let digest = env.permit_digest((owner(), BOB, ETH, U256::from(1), deadline));
    let future = sign_digest(OWNER_KEY, digest);
    let err =
        env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, future));
    assert!(matches!(err, PoolError::ERC2612InvalidSigner(_)));
    // The untouched permit still works.
    env.permit_as(BOB, owner(), BOB, ETH, deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(owner(), BOB), ETH);
}

#[test]
fn permit_is_refused_while_reentrant() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    env.vm.set_reentrant(true);
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    assert_eq!(err, PoolError::ReentrantCall(ReentrantCall {}));
    env.vm.set_reentrant(false);
    env.permit_as(BOB, owner(), BOB, ETH, deadline, sig).unwrap();
}

#[test]
fn permit_to_the_zero_spender_is_refused() {
    let (mut env, deadline) = setup();
    let sig = env.sign_permit(OWNER_KEY, owner(), Address::ZERO, ETH, deadline);
    // The spender is checked first, so the refused permit changes nothing, nonce included.
    let err = env
        .assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), Address::ZERO, ETH, deadline, sig));
    assert_eq!(err, PoolError::ERC20InvalidSpender(ERC20InvalidSpender { spender: Address::ZERO }));
    assert_eq!(env.pool.nonces(owner()), U256::ZERO);
    assert_eq!(env.pool.allowance(owner(), Address::ZERO), U256::ZERO);
}

#[test]
fn zero_owner_with_garbage_signature_is_rejected() {
    let (mut env, deadline) = setup();
    let err = env.assert_reverts_unchanged(|e| {
        e.permit_as(BOB, Address::ZERO, BOB, ETH, deadline, (27, B256::ZERO, B256::ZERO))
    });
    assert_eq!(err, invalid_signer(Address::ZERO, Address::ZERO));
}

// ---------------------------------------------------------------- contract wallets (EIP-1271)

#[test]
fn contract_wallet_permit_accepted_on_magic_value() {
    let (mut env, deadline) = setup();
    env.vm.set_code(WALLET, vec![0xfe]);
    let digest = env.permit_digest((WALLET, BOB, eth(7), U256::ZERO, deadline));
    // Wallet signatures are opaque to the pool: any bytes the wallet approves, passed as
    // r‖s‖v, not even a valid ECDSA encoding.
    let sig = (1u8, B256::repeat_byte(0x11), B256::repeat_byte(0x22));
    mock_wallet(&env, digest, sig, Ok(magic_word()));
    env.permit_as(CAROL, WALLET, BOB, eth(7), deadline, sig).unwrap();
    assert_eq!(env.pool.allowance(WALLET, BOB), eth(7));
    assert_eq!(env.pool.nonces(WALLET), U256::from(1));
    let approval = env.events::<Approval>().pop().unwrap();
    assert_eq!((approval.owner, approval.spender, approval.value), (WALLET, BOB, eth(7)));
    // Replay: the wallet is now asked about nonce 1's digest, which it never approved.
    let err =
        env.assert_reverts_unchanged(|e| e.permit_as(CAROL, WALLET, BOB, eth(7), deadline, sig));
    assert_eq!(err, invalid_signer(Address::ZERO, WALLET));
}

#[test]
fn contract_wallet_permit_rejected_without_magic_value() {
    let (mut env, deadline) = setup();
    env.vm.set_code(WALLET, vec![0xfe]);
    let digest = env.permit_digest((WALLET, BOB, ETH, U256::ZERO, deadline));
    let sig = (27u8, B256::repeat_byte(0x11), B256::repeat_byte(0x22));
    let mut magic_then_garbage = magic_word();
    magic_then_garbage[31] = 1;
    let answers = [
        Ok(vec![0xff; 32]),               // another value
        Ok(ERC1271_MAGIC_VALUE.to_vec()), // the magic bytes, not ABI-encoded
        Ok(magic_then_garbage),           // the magic word with dirty padding
        Ok(vec![]),                       // nothing
        Err(magic_word()),                // a revert, whatever its data
    ];
    for answer in answers {
        mock_wallet(&env, digest, sig, answer.clone());
        let err =
            env.assert_reverts_unchanged(|e| e.permit_as(BOB, WALLET, BOB, ETH, deadline, sig));
        assert_eq!(err, invalid_signer(Address::ZERO, WALLET), "answer {answer:?}");
    }
    // The wallet approving another digest (another spender) does not help.
    let other = env.permit_digest((WALLET, CAROL, ETH, U256::ZERO, deadline));
    env.vm.clear_mocks();
    mock_wallet(&env, other, sig, Ok(magic_word()));
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, WALLET, BOB, ETH, deadline, sig));
    assert_eq!(err, invalid_signer(Address::ZERO, WALLET));
    assert_eq!(env.pool.nonces(WALLET), U256::ZERO);
}

#[test]
fn account_with_code_is_asked_through_eip1271_not_ecdsa() {
    // An owner with code (a smart account, or an EIP-7702-delegated key) is asked whether it
    // accepts the signature, as OpenZeppelin's SignatureChecker does; its key's ECDSA
    // signature alone is not enough.
    let (mut env, deadline) = setup();
    env.vm.set_code(owner(), vec![0xef, 0x01, 0x00]);
    let sig = env.sign_permit(OWNER_KEY, owner(), BOB, ETH, deadline);
    let err = env.assert_reverts_unchanged(|e| e.permit_as(BOB, owner(), BOB, ETH, deadline, sig));
    assert_eq!(err, invalid_signer(Address::ZERO, owner()));
}
