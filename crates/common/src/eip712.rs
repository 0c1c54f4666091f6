//! EIP-712 typed-data hashing and the EIP-5267 domain description.
//!
//! Pure functions, no storage: a contract's name and version are compile-time constants, and
//! the chain id and the contract's address come from the host, so the domain separator is
//! recomputed on use instead of cached. That costs one native keccak per signature check and
//! stays right if the chain id ever changes (a fork), which a cached value would not.
//!
//! On wasm, stylus-sdk turns on alloy-primitives' `native-keccak`, so
//! [`alloy_primitives::keccak256`] is the host's keccak; this crate must not enable
//! `tiny-keccak` or `sha3-keccak` for non-test builds, which would switch it back to software.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{keccak256, Address, FixedBytes, B256, U256};

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
pub const DOMAIN_TYPEHASH: B256 = keccak256_const(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
);

/// EIP-5267 field bitmap: name, version, chainId and verifyingContract are used; salt is not.
pub const DOMAIN_FIELDS: FixedBytes<1> = FixedBytes([0x0f]);

/// The return type of EIP-5267 `eip712Domain()`: `(bytes1 fields, string name,
/// string version, uint256 chainId, address verifyingContract, bytes32 salt,
/// uint256[] extensions)`.
pub type Eip712Domain = (FixedBytes<1>, String, String, U256, Address, B256, Vec<U256>);

/// Keccak-256 evaluated by the compiler, for type hashes and name hashes in `const` items.
///
/// Only for `const` contexts: called at run time it would compile a software keccak into the
/// contract, where [`alloy_primitives::keccak256`] uses the host's.
///
/// # Arguments
/// * `bytes` - the preimage.
pub const fn keccak256_const(bytes: &[u8]) -> B256 {
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(bytes).finalize())
}

/// The EIP-712 domain separator of a contract.
///
/// # Arguments
/// * `name` - the signing domain's name, e.g. the token name.
/// * `version` - the domain's version, e.g. `"1"`.
/// * `chain_id` - the chain id from the host.
/// * `verifying_contract` - the contract's own address.
pub fn domain_separator(
    name: &str,
    version: &str,
    chain_id: u64,
    verifying_contract: Address,
) -> B256 {
    domain_separator_from_hashes(keccak256(name), keccak256(version), chain_id, verifying_contract)
}

/// [`domain_separator`] from `keccak256(name)` and `keccak256(version)`, which a contract can
/// compute once at compile time with [`keccak256_const`] and save two hashes per call.
///
/// # Arguments
/// * `name_hash` - `keccak256(name)`.
/// * `version_hash` - `keccak256(version)`.
/// * `chain_id` - the chain id from the host.
/// * `verifying_contract` - the contract's own address.
pub fn domain_separator_from_hashes(
    name_hash: B256,
    version_hash: B256,
    chain_id: u64,
    verifying_contract: Address,
) -> B256 {
    let mut buf = [0u8; 160];
    buf[..32].copy_from_slice(DOMAIN_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(name_hash.as_slice());
    buf[64..96].copy_from_slice(version_hash.as_slice());
    buf[120..128].copy_from_slice(&chain_id.to_be_bytes());
    buf[140..160].copy_from_slice(verifying_contract.as_slice());
    keccak256(buf)
}

/// The digest to sign for a struct in a domain: `keccak256("\x19\x01" ‖ domain_separator ‖
/// struct_hash)`.
///
/// # Arguments
/// * `domain_separator` - from [`domain_separator`].
/// * `struct_hash` - the EIP-712 `hashStruct` of the message.
pub fn typed_data_hash(domain_separator: B256, struct_hash: B256) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator.as_slice());
    buf[34..66].copy_from_slice(struct_hash.as_slice());
    keccak256(buf)
}

/// The EIP-5267 `eip712Domain()` answer for a domain built by [`domain_separator`], so wallets
/// can rebuild the domain without guessing.
///
/// # Arguments
/// * `name` - the signing domain's name.
/// * `version` - the domain's version.
/// * `chain_id` - the chain id from the host.
/// * `verifying_contract` - the contract's own address.
pub fn eip712_domain(
    name: &str,
    version: &str,
    chain_id: u64,
    verifying_contract: Address,
) -> Eip712Domain {
    (
        DOMAIN_FIELDS,
        String::from(name),
        String::from(version),
        U256::from(chain_id),
        verifying_contract,
        B256::ZERO,
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256};
    use alloy_sol_types::eip712_domain;

    use super::*;

    // The "Ether Mail" example of EIP-712 itself.
    const MAIL_CONTRACT: Address = address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC");
    const MAIL_DOMAIN: B256 =
        b256!("f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
    const MAIL_STRUCT_HASH: B256 =
        b256!("c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
    const MAIL_DIGEST: B256 =
        b256!("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

    #[test]
    fn const_keccak_matches_runtime_keccak() {
        assert_eq!(
            DOMAIN_TYPEHASH,
            keccak256(
                "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
            )
        );
        assert_eq!(keccak256_const(b""), keccak256(b""));
        assert_eq!(keccak256_const(b"Tidepool"), keccak256("Tidepool"));
    }

    #[test]
    fn domain_separator_matches_eip712_example() {
        assert_eq!(domain_separator("Ether Mail", "1", 1, MAIL_CONTRACT), MAIL_DOMAIN);
    }

    #[test]
    fn domain_separator_matches_alloy() {
        let contract = address!("1111111111111111111111111111111111111111");
        let expected = eip712_domain! {
            name: "Tidepool staked ETH",
            version: "2",
            chain_id: 412_346,
            verifying_contract: contract,
        }
        .separator();
        assert_eq!(domain_separator("Tidepool staked ETH", "2", 412_346, contract), expected);
        assert_eq!(
            domain_separator_from_hashes(
                keccak256_const(b"Tidepool staked ETH"),
                keccak256_const(b"2"),
                412_346,
                contract
            ),
            expected
        );
        // Chain id fills the whole word: a large id is not truncated.
        let big = eip712_domain! {
            name: "x", version: "1", chain_id: u64::MAX, verifying_contract: contract,
        };
        assert_eq!(domain_separator("x", "1", u64::MAX, contract), big.separator());
    }

    #[test]
    fn every_domain_field_changes_the_separator() {
        let base = domain_separator("a", "1", 1, MAIL_CONTRACT);
        assert_ne!(base, domain_separator("b", "1", 1, MAIL_CONTRACT));
        assert_ne!(base, domain_separator("a", "2", 1, MAIL_CONTRACT));
        assert_ne!(base, domain_separator("a", "1", 2, MAIL_CONTRACT));
        assert_ne!(base, domain_separator("a", "1", 1, Address::ZERO));
    }

    #[test]
    fn typed_data_hash_matches_eip712_example() {
        assert_eq!(typed_data_hash(MAIL_DOMAIN, MAIL_STRUCT_HASH), MAIL_DIGEST);
    }

    #[test]
    fn eip5267_domain_describes_the_separator() {
        let (fields, name, version, chain_id, contract, salt, extensions) =
            eip712_domain("Ether Mail", "1", 1, MAIL_CONTRACT);
        assert_eq!(fields, FixedBytes([0x0f]));
        assert_eq!(name, "Ether Mail");
        assert_eq!(version, "1");
        assert_eq!(chain_id, U256::from(1));
        assert_eq!(contract, MAIL_CONTRACT);
        assert_eq!(salt, B256::ZERO);
        assert!(extensions.is_empty());
        let rebuilt = alloy_sol_types::Eip712Domain::new(
            Some(name.into()),
            Some(version.into()),
            Some(chain_id),
            Some(contract),
            None,
        );
        assert_eq!(rebuilt.separator(), MAIL_DOMAIN);
    }

    #[test]
    fn eip5267_tuple_has_the_standard_abi() {
        use stylus_sdk::abi::AbiType;
        assert_eq!(
            <Eip712Domain as AbiType>::ABI.as_str(),
            "(bytes1,string,string,uint256,address,bytes32,uint256[])"
        );
    }
}
