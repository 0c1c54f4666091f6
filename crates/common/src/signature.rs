//! Signature checks that hold up against malleability and contract wallets, after
//! OpenZeppelin's `ECDSA` and `SignatureChecker`.
//!
//! Stylus has no `ecrecover` host call, so recovery goes through the precompile at `0x01`,
//! whose answer needs care: it succeeds with empty output for an invalid signature, and it
//! accepts both `s` and `n - s` (two valid signatures per message). [`recover`] turns each of
//! those into an error, so a recovered address is always a real signer and a signature has
//! exactly one accepted encoding.

use alloc::vec::Vec;

use alloy_primitives::{address, uint, Address, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::{call::static_call, prelude::*};

/// The `ecrecover` precompile.
pub const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");

/// `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`: both the EIP-1271 selector and the
/// value a wallet returns to accept a signature.
pub const ERC1271_MAGIC_VALUE: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// Half the secp256k1 group order: a larger `s` is the malleable twin of a valid signature.
const HALF_ORDER: U256 =
    uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

sol! {
    #![sol(abi)]
    /// The signature does not recover to any address.
    #[derive(Debug, PartialEq, Eq)]
    error ECDSAInvalidSignature();
    /// A packed signature was not 65 bytes (`r ‖ s ‖ v`).
    #[derive(Debug, PartialEq, Eq)]
    error ECDSAInvalidSignatureLength(uint256 length);
    /// `s` is in the upper half of the curve order (a malleable signature).
    #[derive(Debug, PartialEq, Eq)]
    error ECDSAInvalidSignatureS(bytes32 s);
    /// `v` is neither 27 nor 28.
    #[derive(Debug, PartialEq, Eq)]
    error ECDSAInvalidSignatureV(uint8 v);
}

/// Errors of signature recovery.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`ECDSAInvalidSignature`].
    InvalidSignature(ECDSAInvalidSignature),
    /// See [`ECDSAInvalidSignatureLength`].
    InvalidSignatureLength(ECDSAInvalidSignatureLength),
    /// See [`ECDSAInvalidSignatureS`].
    InvalidSignatureS(ECDSAInvalidSignatureS),
    /// See [`ECDSAInvalidSignatureV`].
    InvalidSignatureV(ECDSAInvalidSignatureV),
}

/// The account whose key signed `digest` with `(v, r, s)`.
///
/// # Arguments
/// * `host` - the VM, e.g. `self.vm()`.
/// * `digest` - the 32-byte hash that was signed.
/// * `v` - recovery id, 27 or 28.
/// * `r`, `s` - the signature scalars; `s` must be in the lower half of the curve order.
///
/// # Errors
/// * [`ECDSAInvalidSignatureS`] if `s` is above half the curve order.
/// * [`ECDSAInvalidSignatureV`] if `v` is not 27 or 28.
/// * [`ECDSAInvalidSignature`] if nothing, or the zero address, is recovered.
pub fn recover<H: Host + ?Sized>(
    host: &H,
    digest: B256,
    v: u8,
    r: B256,
    s: B256,
) -> Result<Address, Error> {
    if U256::from_be_bytes(s.0) > HALF_ORDER {
        return Err(ECDSAInvalidSignatureS { s }.into());
    }
    if v != 27 && v != 28 {
        return Err(ECDSAInvalidSignatureV { v }.into());
    }
    let invalid = || Error::from(ECDSAInvalidSignature {});
    let output = static_call(host, Call::new(), ECRECOVER, &ecrecover_input(digest, v, r, s))
        .map_err(|_| invalid())?;
    let word: [u8; 32] = output.as_slice().try_into().map_err(|_| invalid())?;
    let signer = Address::from_word(word.into());
    if signer.is_zero() {
        return Err(invalid());
    }
    Ok(signer)
}

/// [`recover`] for a packed 65-byte `r ‖ s ‖ v` signature.
///
/// # Arguments
/// * `host` - the VM.
/// * `digest` - the 32-byte hash that was signed.
/// * `signature` - `r ‖ s ‖ v`, as wallets produce it.
///
/// # Errors
/// * [`ECDSAInvalidSignatureLength`] if `signature` is not 65 bytes.
/// * Those of [`recover`].
pub fn recover_packed<H: Host + ?Sized>(
    host: &H,
    digest: B256,
    signature: &[u8],
) -> Result<Address, Error> {
    let Ok(bytes) = <&[u8; 65]>::try_from(signature) else {
        return Err(ECDSAInvalidSignatureLength { length: U256::from(signature.len()) }.into());
    };
    let (r, rest) = bytes.split_at(32);
    let (s, v) = rest.split_at(32);
    recover(host, digest, v[0], B256::from_slice(r), B256::from_slice(s))
}

/// Packs `(v, r, s)` as `r ‖ s ‖ v`, the form [`recover_packed`] and EIP-1271 wallets take.
///
/// # Arguments
/// * `v`, `r`, `s` - the signature parts.
pub fn pack_signature(v: u8, r: B256, s: B256) -> [u8; 65] {
    let mut packed = [0u8; 65];
    packed[..32].copy_from_slice(r.as_slice());
    packed[32..64].copy_from_slice(s.as_slice());
    packed[64] = v;
    packed
}

/// Whether `signature` is `signer`'s signature of `digest` right now: by EIP-1271 if `signer`
/// has code, else by [`recover_packed`].
///
/// "Now" because a contract wallet may change its mind (new owners, revoked keys), so the
/// answer holds for the current block only. An account with EIP-7702 delegation has code and
/// is asked through EIP-1271, as OpenZeppelin's `SignatureChecker` does.
///
/// # Arguments
/// * `host` - the VM.
/// * `signer` - the account the signature claims to be from.
/// * `digest` - the 32-byte hash that was signed.
/// * `signature` - 65 bytes `r ‖ s ‖ v` for an account without code; any bytes the wallet
///   understands otherwise.
pub fn is_valid_signature_now<H: Host + ?Sized>(
    host: &H,
    signer: Address,
    digest: B256,
    signature: &[u8],
) -> bool {
    if host.code_size(signer) > 0 {
        is_valid_erc1271_signature_now(host, signer, digest, signature)
    } else {
        // `recover_packed` never returns zero, so a zero `signer` never passes.
        recover_packed(host, digest, signature) == Ok(signer)
    }
}

/// Whether the contract `wallet` accepts `signature` for `digest`, by a static call to its
/// EIP-1271 `isValidSignature(bytes32,bytes)`.
///
/// Accepts only a return whose first word is the ABI encoding of the magic value (the magic
/// bytes then zeros), so that a fallback answering with arbitrary data is not taken for a yes.
/// A revert, or an account without code (it returns nothing), is a no.
///
/// # Arguments
/// * `host` - the VM.
/// * `wallet` - the contract to ask.
/// * `digest` - the 32-byte hash that was signed.
/// * `signature` - passed to the wallet unchanged.
pub fn is_valid_erc1271_signature_now<H: Host + ?Sized>(
    host: &H,
    wallet: Address,
    digest: B256,
    signature: &[u8],
) -> bool {
    let Ok(output) = static_call(host, Call::new(), wallet, &erc1271_calldata(digest, signature))
    else {
        return false;
    };
    let mut accepted = [0u8; 32];
    accepted[..4].copy_from_slice(&ERC1271_MAGIC_VALUE);
    output.get(..32) == Some(&accepted[..])
}

/// The precompile's input: `digest ‖ uint256(v) ‖ r ‖ s`.
fn ecrecover_input(digest: B256, v: u8, r: B256, s: B256) -> [u8; 128] {
    let mut input = [0u8; 128];
    input[..32].copy_from_slice(digest.as_slice());
    input[63] = v;
    input[64..96].copy_from_slice(r.as_slice());
    input[96..128].copy_from_slice(s.as_slice());
    input
}

/// ABI-encoded `isValidSignature(digest, signature)`, built by hand to keep the generic
/// encoder out of the contract.
fn erc1271_calldata(digest: B256, signature: &[u8]) -> Vec<u8> {
    let padded = signature.len().div_ceil(32) * 32;
    let mut data = Vec::with_capacity(4 + 96 + padded);
    data.extend_from_slice(&ERC1271_MAGIC_VALUE);
    data.extend_from_slice(digest.as_slice());
    // Offset of the `bytes` tail, counted from the start of the arguments.
    data.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(signature.len()).to_be_bytes::<32>());
    data.extend_from_slice(signature);
    data.resize(4 + 96 + padded, 0);
    data
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{keccak256, Bytes};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use alloy_sol_types::{SolCall, SolError};

    use super::*;
    use crate::testing::{high_s, signer, TestHost, SECP256K1_ORDER};

    sol! {
        function isValidSignature(bytes32 hash, bytes signature) returns (bytes4);
    }

    const WALLET: Address = address!("00000000000000000000000000000000000000c1");

    fn signed(key: &PrivateKeySigner, digest: B256) -> (u8, B256, B256) {
        let sig = key.sign_hash_sync(&digest).expect("signing never fails for a local key");
        (27 + u8::from(sig.v()), sig.r().into(), sig.s().into())
    }

    /// What most tests start from: a host, signer 1, the digest of "message" and signer 1's
    /// signature of it.
    struct Signed {
        vm: TestHost,
        key: PrivateKeySigner,
        digest: B256,
        v: u8,
        r: B256,
        s: B256,
    }

    fn signed_message() -> Signed {
        let key = signer(1);
        let digest = keccak256("message");
        let (v, r, s) = signed(&key, digest);
        Signed { vm: TestHost::default(), key, digest, v, r, s }
    }

    fn magic_word() -> Vec<u8> {
        let mut word = vec![0u8; 32];
        word[..4].copy_from_slice(&ERC1271_MAGIC_VALUE);
        word
    }

    #[test]
    fn magic_value_is_the_selector() {
        assert_eq!(ERC1271_MAGIC_VALUE, isValidSignatureCall::SELECTOR);
        assert_eq!(ERC1271_MAGIC_VALUE[..], keccak256("isValidSignature(bytes32,bytes)")[..4]);
    }

    #[test]
    fn half_order_is_n_over_two() {
        assert_eq!(HALF_ORDER, SECP256K1_ORDER >> 1);
        // alloy's own malleability bound agrees: HALF_ORDER is the largest low s.
        let r = U256::from(1);
        assert!(alloy_primitives::Signature::new(r, HALF_ORDER, false).normalize_s().is_none());
        let above = HALF_ORDER + U256::from(1);
        assert!(alloy_primitives::Signature::new(r, above, false).normalize_s().is_some());
    }

    #[test]
    fn ecrecover_input_layout() {
        let input =
            ecrecover_input(B256::repeat_byte(1), 28, B256::repeat_byte(2), B256::repeat_byte(3));
        assert_eq!(&input[..32], &[1u8; 32]);
        assert_eq!(U256::from_be_slice(&input[32..64]), U256::from(28));
        assert_eq!(&input[64..96], &[2u8; 32]);
        assert_eq!(&input[96..], &[3u8; 32]);
    }

    #[test]
    fn erc1271_calldata_matches_abi_encoder() {
        for len in [0usize, 1, 31, 32, 33, 65, 100] {
            let signature: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let digest = B256::repeat_byte(0xab);
            let expected =
                isValidSignatureCall { hash: digest, signature: Bytes::from(signature.clone()) }
                    .abi_encode();
            assert_eq!(erc1271_calldata(digest, &signature), expected, "length {len}");
        }
    }

    #[test]
    fn recovers_real_signer() {
        let Signed { vm, key, digest, v, r, s } = signed_message();
        assert_eq!(recover(&vm, digest, v, r, s), Ok(key.address()));
        assert_eq!(recover_packed(&vm, digest, &pack_signature(v, r, s)), Ok(key.address()));
        // Another digest recovers someone else, not an error: only comparison tells.
        let other = recover(&vm, keccak256("other"), v, r, s).expect("recovers some key");
        assert_ne!(other, key.address());
    }

    #[test]
    fn pack_signature_is_r_s_v() {
        let packed = pack_signature(27, B256::repeat_byte(1), B256::repeat_byte(2));
        assert_eq!(&packed[..32], &[1u8; 32]);
        assert_eq!(&packed[32..64], &[2u8; 32]);
        assert_eq!(packed[64], 27);
    }

    #[test]
    fn rejects_high_s() {
        let Signed { vm, key, digest, v, r, s } = signed_message();
        let (v2, s2) = high_s(v, s);
        // The precompile itself would accept the twin and recover the same key.
        assert_eq!(vm.ecrecover(digest, v2, r, s2), Some(key.address()));
        assert_eq!(recover(&vm, digest, v2, r, s2), Err(ECDSAInvalidSignatureS { s: s2 }.into()));
        assert!(!is_valid_signature_now(&vm, key.address(), digest, &pack_signature(v2, r, s2)));
    }

    #[test]
    fn rejects_bad_v() {
        let Signed { vm, digest, v, r, s, .. } = signed_message();
        for bad in [0u8, 1, 26, 29, 255] {
            assert_eq!(
                recover(&vm, digest, bad, r, s),
                Err(ECDSAInvalidSignatureV { v: bad }.into())
            );
        }
        // Parity 0/1 instead of 27/28 is refused rather than silently fixed.
        assert_eq!(
            recover(&vm, digest, v - 27, r, s),
            Err(ECDSAInvalidSignatureV { v: v - 27 }.into())
        );
    }

    #[test]
    fn rejects_what_the_precompile_cannot_recover() {
        let vm = TestHost::default();
        let digest = keccak256("message");
        // r = 0 has no curve point: the precompile succeeds with empty output.
        assert_eq!(vm.ecrecover(digest, 27, B256::ZERO, B256::repeat_byte(1)), None);
        assert_eq!(
            recover(&vm, digest, 27, B256::ZERO, B256::with_last_byte(1)),
            Err(ECDSAInvalidSignature {}.into())
        );
    }

    #[test]
    fn rejects_short_or_zero_precompile_output() {
        // Plain TestVM answers whatever was mocked, which lets odd outputs through.
        let vm = stylus_sdk::testing::TestVM::default();
        let (digest, r, s) = (keccak256("m"), B256::repeat_byte(1), B256::repeat_byte(2));
        let input = ecrecover_input(digest, 27, r, s).to_vec();
        for output in [vec![], vec![0u8; 20], vec![0u8; 31], vec![0u8; 32]] {
            vm.mock_static_call(ECRECOVER, input.clone(), Ok(output.clone()));
            assert_eq!(
                recover(&vm, digest, 27, r, s),
                Err(ECDSAInvalidSignature {}.into()),
                "output {output:?}"
            );
        }
        vm.mock_static_call(ECRECOVER, input.clone(), Err(vec![]));
        assert_eq!(recover(&vm, digest, 27, r, s), Err(ECDSAInvalidSignature {}.into()));
        let mut word = vec![0u8; 32];
        word[31] = 7;
        vm.mock_static_call(ECRECOVER, input, Ok(word));
        assert_eq!(recover(&vm, digest, 27, r, s), Ok(Address::with_last_byte(7)));
    }

    #[test]
    fn packed_signature_must_be_65_bytes() {
        let vm = TestHost::default();
        let digest = keccak256("message");
        for len in [0usize, 64, 66] {
            assert_eq!(
                recover_packed(&vm, digest, &vec![1u8; len]),
                Err(ECDSAInvalidSignatureLength { length: U256::from(len) }.into())
            );
        }
    }

    #[test]
    fn eoa_signature_check() {
        let Signed { vm, key, digest, v, r, s } = signed_message();
        let other = signer(2);
        let sig = pack_signature(v, r, s);
        assert!(is_valid_signature_now(&vm, key.address(), digest, &sig));
        assert!(!is_valid_signature_now(&vm, other.address(), digest, &sig));
        assert!(!is_valid_signature_now(&vm, key.address(), keccak256("other"), &sig));
        assert!(!is_valid_signature_now(&vm, key.address(), digest, &sig[..64]));
        assert!(!is_valid_signature_now(&vm, Address::ZERO, digest, &[0u8; 65]));
    }

    #[test]
    fn contract_signature_check_asks_the_wallet() {
        let vm = TestHost::default();
        vm.set_code(WALLET, vec![0xfe]);
        let digest = keccak256("message");
        let signature = b"any wallet-specific proof".to_vec();
        let calldata = erc1271_calldata(digest, &signature);

        vm.mock_static_call(WALLET, calldata.clone(), Ok(magic_word()));
        assert!(is_valid_signature_now(&vm, WALLET, digest, &signature));
        // The call is exact: another digest or signature is not what the wallet approved.
        assert!(!is_valid_signature_now(&vm, WALLET, keccak256("other"), &signature));
        assert!(!is_valid_signature_now(&vm, WALLET, digest, b"other proof"));
    }

    #[test]
    fn contract_signature_check_refuses_anything_but_the_magic_word() {
        let vm = TestHost::default();
        vm.set_code(WALLET, vec![0xfe]);
        let digest = keccak256("message");
        let signature = [7u8; 65];
        let calldata = erc1271_calldata(digest, &signature);
        let mut dirty = magic_word();
        dirty[31] = 1;
        let mut longer = magic_word();
        longer.extend_from_slice(&[0u8; 32]);
        for (answer, ok) in [
            (Ok(magic_word()), true),
            (Ok(longer), true),
            (Ok(magic_word()[..4].to_vec()), false),
            (Ok(dirty), false),
            (Ok(vec![0u8; 32]), false),
            (Ok(vec![]), false),
            (Err(magic_word()), false),
        ] {
            vm.mock_static_call(WALLET, calldata.clone(), answer.clone());
            assert_eq!(is_valid_signature_now(&vm, WALLET, digest, &signature), ok, "{answer:?}");
        }
    }

    #[test]
    fn a_wallets_key_signature_is_not_enough() {
        // An account with code is judged by its code alone, even if the signature is a valid
        // ECDSA signature by the same address bytes.
        let Signed { vm, key, digest, v, r, s } = signed_message();
        vm.set_code(key.address(), vec![0xfe]);
        assert!(!is_valid_signature_now(&vm, key.address(), digest, &pack_signature(v, r, s)));
    }

    #[test]
    fn errors_encode_as_solidity_custom_errors() {
        let s = B256::repeat_byte(0xff);
        let encoded: Vec<u8> = Error::from(ECDSAInvalidSignatureS { s }).into();
        assert_eq!(encoded, ECDSAInvalidSignatureS { s }.abi_encode());
        assert_eq!(&encoded[..4], &keccak256("ECDSAInvalidSignatureS(bytes32)")[..4]);
        let encoded: Vec<u8> = Error::from(ECDSAInvalidSignature {}).into();
        assert_eq!(encoded, keccak256("ECDSAInvalidSignature()")[..4].to_vec());
    }
}
