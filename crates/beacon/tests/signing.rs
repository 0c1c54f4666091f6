//! Deposit signing roots and BLS signatures against published answers, and the properties
//! a signature must have: it verifies for exactly the message, credentials, amount and fork
//! version it was made for.

use alloy_primitives::{address, b256, hex, B256};
use proptest::prelude::*;
use tidepool_beacon::{
    deposit_data_root, deposit_message_root,
    signing::{
        deposit_domain, deposit_fork_data_root, signing_root, verify_deposit_signature, DepositKey,
        ForkVersion, SignatureError,
    },
    withdrawal_credentials, FULL_DEPOSIT_GWEI, PUBKEY_LENGTH, SIGNATURE_LENGTH,
};

/// Known answers of Ethereum's deposit CLI (staking-deposit-cli, tests/test_utils/test_ssz.py):
/// fork version 0x12121212; a deposit message of 0x12 bytes and amount 100 signed under the
/// domain 0x12…12.
#[test]
fn domain_and_signing_roots_match_the_deposit_cli() {
    let fork = ForkVersion([0x12; 4]);
    assert_eq!(
        deposit_fork_data_root(fork),
        b256!("0d66608af557f4fadbfce248ac37f6e7639ce371100c43d15aad05cb08ac1dc2")
    );
    assert_eq!(
        deposit_domain(fork),
        b256!("030000000d66608af557f4fadbfce248ac37f6e7639ce371100c43d15aad05cb")
    );
    let message = deposit_message_root(&[0x12; PUBKEY_LENGTH], &B256::repeat_byte(0x12), 100);
    assert_eq!(
        signing_root(&message, &B256::repeat_byte(0x12)),
        b256!("67a3330ff87bdb46bb7b80ca7a641e398d6ac4e87a6856527cacc829fb61896f")
    );
}

/// One deposit made by Ethereum's deposit CLI: mainnet, 0x01 credentials, as recorded in
/// Lighthouse's validator-manager test vectors
/// (`mainnet_first_0_count_2_eth1_true/validator_keys/deposit_data-1715584107.json`, first
/// entry; the whole file is `vectors/mainnet-0x01.json`).
struct Vector {
    pubkey: [u8; PUBKEY_LENGTH],
    credentials: B256,
    signature: [u8; SIGNATURE_LENGTH],
    message_root: B256,
    data_root: B256,
}

fn mainnet_vector() -> Vector {
    Vector {
        pubkey: hex!("88b6b3a9b391fa5593e8bce8d06102df1a56248368086929709fbb4a8570dc6a560febeef8159b19789e9c1fd13572f0"),
        credentials: withdrawal_credentials(address!("0f51bb10119727a7e5ea3538074fb341f56b09ad"), false),
        signature: hex!("a8461b58a5a5a0573c4af37da6ee4ba63e35894cffad6797d4a2c80f8f2c79d2c30c0de0299d8edde76e0c3f3e6d4f1e03cc377969f56d8760717d6e86f9316da9375573ce7bb87a8520daedb13c49284377f7a4f64a70aa2ca44b1581d47e20"),
        message_root: b256!("62967565d11471da4af7769911926cd1826124048036b25616216f99bc320f13"),
        data_root: b256!("d26d642a880ff8a109260fe69681840f6e1868c8c1cd2163a1db5a094e8db03a"),
    }
}

#[test]
fn a_deposit_cli_deposit_has_our_roots_and_verifies() {
    let v = mainnet_vector();
    assert_eq!(deposit_message_root(&v.pubkey, &v.credentials, FULL_DEPOSIT_GWEI), v.message_root);
    assert_eq!(
        deposit_data_root(&v.pubkey, &v.credentials, FULL_DEPOSIT_GWEI, &v.signature),
        v.data_root
    );
    assert_eq!(
        verify_deposit_signature(
            &v.pubkey,
            &v.credentials,
            FULL_DEPOSIT_GWEI,
            &v.signature,
            ForkVersion::MAINNET
        ),
        Ok(())
    );
}

#[test]
fn the_deposit_cli_deposit_fails_for_any_other_message() {
    let v = mainnet_vector();
    let verify = |credentials: &B256, amount: u64, fork: ForkVersion| {
        verify_deposit_signature(&v.pubkey, credentials, amount, &v.signature, fork)
    };
    let compounding =
        withdrawal_credentials(address!("0f51bb10119727a7e5ea3538074fb341f56b09ad"), true);
    assert_eq!(
        verify(&compounding, FULL_DEPOSIT_GWEI, ForkVersion::MAINNET),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&v.credentials, FULL_DEPOSIT_GWEI - 1, ForkVersion::MAINNET),
        Err(SignatureError::Mismatch)
    );
    let hoodi = ForkVersion(hex!("10000910"));
    assert_eq!(verify(&v.credentials, FULL_DEPOSIT_GWEI, hoodi), Err(SignatureError::Mismatch));
    // The second key of the same file did not sign this message.
    let other: [u8; PUBKEY_LENGTH] = hex!("a33ab9d93fb53c4f027944aaa11a13be0c150b7cc2e379d85d1ed4db38d178b4e4ebeae05832158b8c746c1961da00ce");
    assert_eq!(
        verify_deposit_signature(
            &other,
            &v.credentials,
            FULL_DEPOSIT_GWEI,
            &v.signature,
            ForkVersion::MAINNET
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn malformed_and_infinite_points_are_told_apart() {
    let v = mainnet_vector();
    let verify = |pubkey: &[u8; PUBKEY_LENGTH], signature: &[u8; SIGNATURE_LENGTH]| {
        verify_deposit_signature(
            pubkey,
            &v.credentials,
            FULL_DEPOSIT_GWEI,
            signature,
            ForkVersion::MAINNET,
        )
    };
    // Compressed infinity: the compression and infinity flags, then zeros.
    let mut infinite_key = [0u8; PUBKEY_LENGTH];
    infinite_key[0] = 0xc0;
    let mut infinite_signature = [0u8; SIGNATURE_LENGTH];
    infinite_signature[0] = 0xc0;
    assert_eq!(verify(&infinite_key, &v.signature), Err(SignatureError::PubkeyIsInfinity));
    assert_eq!(verify(&v.pubkey, &infinite_signature), Err(SignatureError::SignatureIsInfinity));
    // Without the compression flag, and an x coordinate off the curve.
    assert!(matches!(
        verify(&[0u8; PUBKEY_LENGTH], &v.signature),
        Err(SignatureError::InvalidPubkey(_))
    ));
    assert!(matches!(
        verify(&[0xff; PUBKEY_LENGTH], &v.signature),
        Err(SignatureError::InvalidPubkey(_))
    ));
    assert!(matches!(
        verify(&v.pubkey, &[0u8; SIGNATURE_LENGTH]),
        Err(SignatureError::InvalidSignature(_))
    ));
    assert!(matches!(
        verify(&v.pubkey, &[0xff; SIGNATURE_LENGTH]),
        Err(SignatureError::InvalidSignature(_))
    ));
}

#[test]
fn fork_versions_parse_with_or_without_0x_and_print_as_files_do() {
    assert_eq!("0x10000910".parse(), Ok(ForkVersion(hex!("10000910"))));
    assert_eq!("00000000".parse(), Ok(ForkVersion::MAINNET));
    assert!("0x000000".parse::<ForkVersion>().is_err());
    assert!("0x0000000000".parse::<ForkVersion>().is_err());
    assert!("nothex00".parse::<ForkVersion>().is_err());
    assert_eq!(ForkVersion(hex!("10000910")).to_string(), "10000910");
}

#[test]
fn keys_are_deterministic_per_seed_and_index() {
    let a = DepositKey::from_seed(b"tidepool dev", 0);
    assert_eq!(a.pubkey(), DepositKey::from_seed(b"tidepool dev", 0).pubkey());
    assert_ne!(a.pubkey(), DepositKey::from_seed(b"tidepool dev", 1).pubkey());
    assert_ne!(a.pubkey(), DepositKey::from_seed(b"tidepool dev!", 0).pubkey());
    // Debug output never shows the secret.
    assert!(format!("{a:?}").contains(&hex::encode(a.pubkey())));
}

fn credentials_strategy() -> impl Strategy<Value = B256> {
    prop::array::uniform32(any::<u8>()).prop_map(B256::from)
}

proptest! {
    // Each case signs once and verifies up to four times: about a millisecond each.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A signed deposit verifies, has the roots of its fields, and fails once any byte of the
    /// credentials, the amount or the fork version differs.
    #[test]
    fn a_signed_deposit_verifies_for_exactly_its_message(
        index in any::<u32>(),
        credentials in credentials_strategy(),
        amount in any::<u64>(),
        fork in any::<[u8; 4]>(),
        flip_byte in 0usize..32,
        flip_bits in 1u8..=255,
        other_amount in any::<u64>(),
        other_fork in any::<[u8; 4]>(),
    ) {
        let key = DepositKey::from_seed(b"property", index);
        let fork = ForkVersion(fork);
        let d = key.sign_deposit(credentials, amount, fork);
        prop_assert_eq!(d.pubkey, key.pubkey());
        prop_assert_eq!(d.deposit_message_root, deposit_message_root(&d.pubkey, &credentials, amount));
        prop_assert_eq!(d.deposit_data_root, deposit_data_root(&d.pubkey, &credentials, amount, &d.signature));
        prop_assert_eq!(verify_deposit_signature(&d.pubkey, &credentials, amount, &d.signature, fork), Ok(()));

        let mut changed = credentials;
        changed[flip_byte] ^= flip_bits;
        prop_assert_eq!(
            verify_deposit_signature(&d.pubkey, &changed, amount, &d.signature, fork),
            Err(SignatureError::Mismatch)
        );
        if other_amount != amount {
            prop_assert_eq!(
                verify_deposit_signature(&d.pubkey, &credentials, other_amount, &d.signature, fork),
                Err(SignatureError::Mismatch)
            );
        }
        if other_fork != fork.0 {
            prop_assert_eq!(
                verify_deposit_signature(&d.pubkey, &credentials, amount, &d.signature, ForkVersion(other_fork)),
                Err(SignatureError::Mismatch)
            );
        }
    }
}
