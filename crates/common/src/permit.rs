//! EIP-2612 `permit`: approvals signed off chain, for ERC-20 contracts to embed.
//!
//! The component checks the signature and burns the nonce; the token then sets the allowance
//! itself, so allowance storage and the `Approval` event stay with the token. Owners may be
//! plain accounts (ECDSA) or contract wallets (EIP-1271), as in Lido's stETH permit, so Safe
//! and other smart-account holders can permit too.

use alloc::{vec, vec::Vec};

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;

use crate::{
    eip712::{keccak256_const, typed_data_hash},
    nonces::{NonceOverflow, Nonces},
    signature::{is_valid_signature_now, pack_signature, recover},
};

/// `keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")`.
pub const PERMIT_TYPEHASH: B256 = keccak256_const(
    b"Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
);

sol! {
    #![sol(abi, extra_derives(Debug, PartialEq, Eq))]
    /// The permit's `deadline` has passed.
    error ERC2612ExpiredSignature(uint256 deadline);
    /// The signature is not `owner`'s. `signer` is the account the ECDSA signature recovers to
    /// (a wrong key, or a message differing in some field), or zero when it recovers to
    /// nothing (malformed, high `s`, bad `v`) or when a contract wallet refused it.
    error ERC2612InvalidSigner(address signer, address owner);
}

/// Errors of [`Permit`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`ERC2612ExpiredSignature`].
    ExpiredSignature(ERC2612ExpiredSignature),
    /// See [`ERC2612InvalidSigner`].
    InvalidSigner(ERC2612InvalidSigner),
    /// See [`NonceOverflow`].
    NonceOverflow(NonceOverflow),
}

/// EIP-2612 nonces; the signature checks need no storage of their own.
#[storage]
pub struct Permit {
    nonces: Nonces,
}

impl Permit {
    /// The nonce `owner`'s next permit must be signed with (EIP-2612 `nonces`).
    ///
    /// # Arguments
    /// * `owner` - the token holder.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.nonces(owner)
    }

    /// Checks that `owner` signed a permit for `spender` to spend `value` until `deadline`,
    /// then consumes `owner`'s nonce so it cannot be used again. The caller sets the
    /// allowance (and emits `Approval`) only after this succeeds.
    ///
    /// # Arguments
    /// * `domain_separator` - the token's EIP-712 domain separator.
    /// * `owner` - the token holder granting the allowance.
    /// * `spender` - the account allowed to spend.
    /// * `value` - the allowance.
    /// * `deadline` - the last timestamp at which the permit may be used.
    /// * `v`, `r`, `s` - `owner`'s signature; for a contract wallet, packed as `r ‖ s ‖ v`
    ///   and passed to its EIP-1271 `isValidSignature`.
    ///
    /// # Errors
    /// * [`ERC2612ExpiredSignature`] if the block is later than `deadline`.
    /// * [`ERC2612InvalidSigner`] if the signature is not `owner`'s for these values and
    ///   `owner`'s current nonce.
    /// * [`NonceOverflow`] if `owner`'s nonce cannot advance (unreachable in practice).
    ///
    /// # Events
    /// None: the token emits `Approval`.
    // The argument list is the EIP-2612 `permit` ABI, plus the domain.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_and_consume(
        &mut self,
        domain_separator: B256,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> Result<(), Error> {
        let vm = self.vm().clone();
        if U256::from(vm.block_timestamp()) > deadline {
            return Err(ERC2612ExpiredSignature { deadline }.into());
        }
        let nonce = self.nonces.nonces(owner);
        let struct_hash = permit_struct_hash(owner, spender, value, nonce, deadline);
        let digest = typed_data_hash(domain_separator, struct_hash);
        if !is_valid_signature_now(&vm, owner, digest, &pack_signature(v, r, s)) {
            // Naming who did sign makes a wallet's mistake (wrong chain, stale nonce, other
            // key) readable from the revert. This runs only on the failing path.
            let signer = if vm.code_size(owner) == 0 {
                recover(&vm, digest, v, r, s).unwrap_or_default()
            } else {
                Address::ZERO
            };
            return Err(ERC2612InvalidSigner { signer, owner }.into());
        }
        self.nonces.use_nonce(owner)?;
        Ok(())
    }
}

/// The EIP-712 `hashStruct` of `Permit(owner, spender, value, nonce, deadline)`.
///
/// # Arguments
/// * `owner`, `spender`, `value`, `nonce`, `deadline` - the permit's fields.
pub fn permit_struct_hash(
    owner: Address,
    spender: Address,
    value: U256,
    nonce: U256,
    deadline: U256,
) -> B256 {
    let mut buf = [0u8; 192];
    buf[..32].copy_from_slice(PERMIT_TYPEHASH.as_slice());
    buf[44..64].copy_from_slice(owner.as_slice());
    buf[76..96].copy_from_slice(spender.as_slice());
    buf[96..128].copy_from_slice(&value.to_be_bytes::<32>());
    buf[128..160].copy_from_slice(&nonce.to_be_bytes::<32>());
    buf[160..192].copy_from_slice(&deadline.to_be_bytes::<32>());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, Bytes};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use alloy_sol_types::{eip712_domain, SolCall, SolError, SolStruct};

    use super::*;
    use crate::{
        eip712::domain_separator,
        testing::{high_s, signer, TestHost},
    };

    mod abi {
        // The wallet-side Permit type, so the contract's digest is checked against it.
        pub use tidepool_interfaces::eip712::Permit;
        alloy_sol_types::sol! {
            function isValidSignature(bytes32 hash, bytes signature) returns (bytes4);
        }
    }

    const NOW: u64 = 1_700_000_000;
    const SPENDER: Address = address!("00000000000000000000000000000000000000b0");
    const WALLET: Address = address!("00000000000000000000000000000000000000c1");
    const NAME: &str = "Tidepool staked ETH";

    struct Setup {
        vm: TestHost,
        permit: Permit,
        domain: B256,
        owner: PrivateKeySigner,
    }

    fn setup() -> Setup {
        let vm = TestHost::default();
        vm.set_block_timestamp(NOW);
        let permit = Permit::from(&vm);
        let domain = domain_separator(NAME, "1", vm.chain_id(), vm.contract_address());
        Setup { vm, permit, domain, owner: signer(1) }
    }

    /// The digest a wallet signs, computed by alloy's EIP-712 encoder, not ours.
    /// (`SPENDER` is the spender of every permit these tests sign.)
    fn wallet_digest(vm: &TestHost, owner: Address, value: U256, nonce: U256, until: U256) -> B256 {
        let domain = eip712_domain! {
            name: NAME,
            version: "1",
            chain_id: vm.chain_id(),
            verifying_contract: vm.contract_address(),
        };
        let permit = abi::Permit { owner, spender: SPENDER, value, nonce, deadline: until };
        permit.eip712_signing_hash(&domain)
    }

    fn sign(key: &PrivateKeySigner, digest: B256) -> (u8, B256, B256) {
        let sig = key.sign_hash_sync(&digest).expect("local keys always sign");
        (27 + u8::from(sig.v()), sig.r().into(), sig.s().into())
    }

    /// `key`'s signature of a permit from `owner` to `SPENDER` at `owner`'s nonce `nonce`.
    fn signed_permit(
        vm: &TestHost,
        key: &PrivateKeySigner,
        owner: Address,
        value: U256,
        nonce: u64,
        deadline: U256,
    ) -> (u8, B256, B256) {
        let digest = wallet_digest(vm, owner, value, U256::from(nonce), deadline);
        sign(key, digest)
    }

    fn invalid_signer(signer: Address, owner: Address) -> Result<(), Error> {
        Err(ERC2612InvalidSigner { signer, owner }.into())
    }

    #[test]
    fn typehash_is_the_eip2612_one() {
        assert_eq!(
            PERMIT_TYPEHASH,
            keccak256(
                "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
            )
        );
        assert_eq!(
            PERMIT_TYPEHASH,
            abi::Permit::eip712_type_hash(&abi::Permit {
                owner: Address::ZERO,
                spender: Address::ZERO,
                value: U256::ZERO,
                nonce: U256::ZERO,
                deadline: U256::ZERO,
            })
        );
    }

    #[test]
    fn struct_hash_matches_alloy() {
        let p = abi::Permit {
            owner: address!("1111111111111111111111111111111111111111"),
            spender: SPENDER,
            value: U256::MAX,
            nonce: U256::from(7),
            deadline: U256::from(NOW),
        };
        assert_eq!(
            permit_struct_hash(p.owner, p.spender, p.value, p.nonce, p.deadline),
            p.eip712_hash_struct()
        );
    }

    #[test]
    fn valid_permit_consumes_the_nonce() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 0, deadline);
        assert_eq!(permit.nonces(owner.address()), U256::ZERO);
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            Ok(())
        );
        assert_eq!(permit.nonces(owner.address()), U256::from(1));
        assert!(vm.get_emitted_logs().is_empty());

        // The next permit is signed over nonce 1.
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 1, deadline);
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            Ok(())
        );
        assert_eq!(permit.nonces(owner.address()), U256::from(2));
    }

    #[test]
    fn replay_is_rejected() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 0, deadline);
        permit
            .verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s)
            .expect("first use");
        // Checked now against nonce 1, the signature recovers to some unrelated key.
        let digest = wallet_digest(&vm, owner.address(), value, U256::from(1), deadline);
        let stranger = vm.ecrecover(digest, v, r, s).expect("recovers some key");
        assert_ne!(stranger, owner.address());
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            invalid_signer(stranger, owner.address())
        );
        assert_eq!(permit.nonces(owner.address()), U256::from(1));
    }

    #[test]
    fn deadline_is_inclusive_and_enforced() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let value = U256::from(5);
        let deadline = U256::from(NOW);
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 0, deadline);

        vm.set_block_timestamp(NOW + 1);
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            Err(ERC2612ExpiredSignature { deadline }.into())
        );
        assert_eq!(permit.nonces(owner.address()), U256::ZERO);

        vm.set_block_timestamp(NOW);
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            Ok(())
        );
    }

    #[test]
    fn another_keys_signature_names_that_key() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let thief = signer(2);
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let (v, r, s) = signed_permit(&vm, &thief, owner.address(), value, 0, deadline);
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v, r, s),
            invalid_signer(thief.address(), owner.address())
        );
        assert_eq!(permit.nonces(owner.address()), U256::ZERO);
    }

    #[test]
    fn every_signed_field_is_bound() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let o = owner.address();
        let (v, r, s) = signed_permit(&vm, &owner, o, value, 0, deadline);
        let other_domain = domain_separator(NAME, "1", vm.chain_id() + 1, vm.contract_address());
        let cases = [
            (domain, SPENDER, value + U256::from(1), deadline),
            (domain, WALLET, value, deadline),
            (domain, SPENDER, value, deadline + U256::from(1)),
            (other_domain, SPENDER, value, deadline),
        ];
        for (dom, spender, val, dl) in cases {
            let result = permit.verify_and_consume(dom, o, spender, val, dl, v, r, s);
            let Err(Error::InvalidSigner(e)) = result else {
                panic!("accepted a permit for other values: {result:?}");
            };
            assert_eq!(e.owner, o);
            assert_ne!(e.signer, o);
            assert_ne!(e.signer, Address::ZERO);
        }
        assert_eq!(permit.nonces(o), U256::ZERO);
        // The untouched permit still works.
        assert_eq!(permit.verify_and_consume(domain, o, SPENDER, value, deadline, v, r, s), Ok(()));
    }

    #[test]
    fn malleable_high_s_twin_is_rejected() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 0, deadline);
        let (v2, s2) = high_s(v, s);
        let digest = wallet_digest(&vm, owner.address(), value, U256::ZERO, deadline);
        // The precompile alone would accept the twin as the owner's.
        assert_eq!(vm.ecrecover(digest, v2, r, s2), Some(owner.address()));
        assert_eq!(
            permit.verify_and_consume(domain, owner.address(), SPENDER, value, deadline, v2, r, s2),
            invalid_signer(Address::ZERO, owner.address())
        );
        assert_eq!(permit.nonces(owner.address()), U256::ZERO);
    }

    #[test]
    fn bad_v_is_rejected() {
        let Setup { vm, mut permit, domain, owner } = setup();
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        let (v, r, s) = signed_permit(&vm, &owner, owner.address(), value, 0, deadline);
        for bad in [v - 27, 29, 0xff] {
            assert_eq!(
                permit.verify_and_consume(
                    domain,
                    owner.address(),
                    SPENDER,
                    value,
                    deadline,
                    bad,
                    r,
                    s
                ),
                invalid_signer(Address::ZERO, owner.address())
            );
        }
        assert_eq!(permit.nonces(owner.address()), U256::ZERO);
    }

    #[test]
    fn garbage_signature_for_zero_owner_is_rejected() {
        let Setup { mut permit, domain, .. } = setup();
        let deadline = U256::from(NOW);
        assert_eq!(
            permit.verify_and_consume(
                domain,
                Address::ZERO,
                SPENDER,
                U256::from(1),
                deadline,
                27,
                B256::ZERO,
                B256::ZERO
            ),
            invalid_signer(Address::ZERO, Address::ZERO)
        );
        assert_eq!(permit.nonces(Address::ZERO), U256::ZERO);
    }

    /// Mocks `WALLET.isValidSignature(digest, r‖s‖v)` answering `answer`.
    fn mock_wallet(vm: &TestHost, digest: B256, v: u8, r: B256, s: B256, answer: Vec<u8>) {
        let calldata = abi::isValidSignatureCall {
            hash: digest,
            signature: Bytes::copy_from_slice(&pack_signature(v, r, s)),
        }
        .abi_encode();
        vm.mock_static_call(WALLET, calldata, Ok(answer));
    }

    /// A contract wallet at `WALLET` that answers `answer` to `isValidSignature` over nonce
    /// 0's digest; returns the component and the result of the wallet's first permit.
    fn wallet_permit(v: u8, answer: Vec<u8>) -> (Permit, Result<(), Error>) {
        let Setup { vm, mut permit, domain, .. } = setup();
        vm.set_code(WALLET, vec![0xfe]);
        let (value, deadline) = (U256::from(1000), U256::from(NOW + 60));
        // Wallet signatures are opaque to the token: any bytes the wallet approves.
        let (r, s) = (B256::repeat_byte(0x11), B256::repeat_byte(0x22));
        let digest = wallet_digest(&vm, WALLET, value, U256::ZERO, deadline);
        mock_wallet(&vm, digest, v, r, s, answer);
        let first = permit.verify_and_consume(domain, WALLET, SPENDER, value, deadline, v, r, s);
        // Approved for nonce 0 only: the wallet is asked about nonce 1's digest next.
        if first.is_ok() {
            let again =
                permit.verify_and_consume(domain, WALLET, SPENDER, value, deadline, v, r, s);
            assert_eq!(again, invalid_signer(Address::ZERO, WALLET));
        }
        (permit, first)
    }

    #[test]
    fn contract_wallet_permit_accepted_on_magic_value() {
        let mut magic = vec![0u8; 32];
        magic[..4].copy_from_slice(&abi::isValidSignatureCall::SELECTOR);
        let (permit, first) = wallet_permit(1, magic);
        assert_eq!(first, Ok(()));
        assert_eq!(permit.nonces(WALLET), U256::from(1));
    }

    #[test]
    fn contract_wallet_permit_rejected_without_magic_value() {
        let (permit, first) = wallet_permit(27, vec![0xff; 32]);
        assert_eq!(first, invalid_signer(Address::ZERO, WALLET));
        assert_eq!(permit.nonces(WALLET), U256::ZERO);
    }

    #[test]
    fn errors_encode_as_solidity_custom_errors() {
        let e = ERC2612InvalidSigner { signer: SPENDER, owner: WALLET };
        let encoded: Vec<u8> = Error::from(e.clone()).into();
        assert_eq!(encoded, e.abi_encode());
        assert_eq!(&encoded[..4], &keccak256("ERC2612InvalidSigner(address,address)")[..4]);
        let e = ERC2612ExpiredSignature { deadline: U256::from(9) };
        let encoded: Vec<u8> = Error::from(e.clone()).into();
        assert_eq!(&encoded[..4], &keccak256("ERC2612ExpiredSignature(uint256)")[..4]);
    }
}
