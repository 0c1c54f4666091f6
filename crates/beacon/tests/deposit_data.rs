//! Deposit data files: files Ethereum's deposit CLI wrote pass [`validate_all`] unchanged,
//! files we write read back and pass, and every way an entry can be wrong is reported with
//! its index.
//!
//! `vectors/mainnet-0x01.json` and `vectors/hoodi-0x02.json` are deposit CLI output recorded
//! in Lighthouse's validator-manager test vectors
//! (`validator_manager/test_vectors/vectors/mainnet_first_0_count_2_eth1_true/…/deposit_data-1715584107.json`
//! and `hoodi_first_0_count_2_prefix_0x02_eth1_true/…/deposit_data-1785211449.json`): two keys
//! each, withdrawing to 0x0f51…09ad with 0x01 and 0x02 credentials.

use alloy_primitives::{address, hex, Address, B256};
use tidepool_beacon::{
    deposit_data::{
        parse, to_json, validate, validate_all, DepositDataEntry, DepositDataError, EntryError,
        HexBytes,
    },
    withdrawal_credentials, DepositKey, ForkVersion, SignatureError, FULL_DEPOSIT_GWEI,
};

const MAINNET: &str = include_str!("vectors/mainnet-0x01.json");
const HOODI: &str = include_str!("vectors/hoodi-0x02.json");
const VAULT: Address = address!("0f51bb10119727a7e5ea3538074fb341f56b09ad");

fn mainnet_entries() -> Vec<DepositDataEntry> {
    parse(MAINNET).expect("the vector parses")
}

fn invalid(result: Result<impl std::fmt::Debug, DepositDataError>) -> (usize, EntryError) {
    match result {
        Err(DepositDataError::Invalid { index, error }) => (index, error),
        other => panic!("expected an invalid entry, got {other:?}"),
    }
}

#[test]
fn deposit_cli_files_pass_as_they_are() {
    let entries = mainnet_entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].network_name.as_deref(), Some("mainnet"));
    let valid = validate_all(&entries, &withdrawal_credentials(VAULT, false), ForkVersion::MAINNET)
        .expect("valid");
    assert_eq!(valid.len(), 2);
    assert_eq!(valid[0].amount_gwei, FULL_DEPOSIT_GWEI);
    assert_eq!(valid[1].pubkey[..], entries[1].pubkey.0[..]);

    let hoodi = parse(HOODI).expect("parses");
    validate_all(&hoodi, &withdrawal_credentials(VAULT, true), ForkVersion(hex!("10000910")))
        .expect("valid");
}

#[test]
fn other_credentials_are_refused_and_named() {
    let entries = mainnet_entries();
    let expected =
        withdrawal_credentials(address!("00000000000000000000000000000000000000aa"), false);
    let err = validate_all(&entries, &expected, ForkVersion::MAINNET).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("entry 0"), "{message}");
    assert!(
        message.contains("0x0100000000000000000000000f51bb10119727a7e5ea3538074fb341f56b09ad"),
        "{message}"
    );
    let (index, error) = invalid(Err::<(), _>(err));
    assert_eq!(index, 0);
    assert_eq!(
        error,
        EntryError::WithdrawalCredentials { found: withdrawal_credentials(VAULT, false), expected }
    );
    // The compounding credentials of the same vault are other credentials too.
    let (_, error) =
        invalid(validate_all(&entries, &withdrawal_credentials(VAULT, true), ForkVersion::MAINNET));
    assert!(matches!(error, EntryError::WithdrawalCredentials { .. }));
}

#[test]
fn each_defect_is_reported_with_its_entry() {
    let credentials = withdrawal_credentials(VAULT, false);
    let check = |tamper: &dyn Fn(&mut DepositDataEntry)| {
        let mut entries = mainnet_entries();
        tamper(&mut entries[1]);
        invalid(validate_all(&entries, &credentials, ForkVersion::MAINNET))
    };
    assert_eq!(
        check(&|e| {
            e.pubkey.0.pop();
        }),
        (1, EntryError::Length { field: "pubkey", expected: 48, actual: 47 })
    );
    assert_eq!(
        check(&|e| e.signature.0.push(0)),
        (1, EntryError::Length { field: "signature", expected: 96, actual: 97 })
    );
    assert_eq!(
        check(&|e| e.fork_version = HexBytes(hex!("10000910").to_vec())),
        (
            1,
            EntryError::ForkVersion {
                found: ForkVersion(hex!("10000910")),
                expected: ForkVersion::MAINNET
            }
        )
    );
    assert_eq!(
        check(&|e| e.amount = 1_000_000_000),
        (1, EntryError::Amount { found: 1_000_000_000, expected: FULL_DEPOSIT_GWEI })
    );
    assert!(matches!(
        check(&|e| e.deposit_message_root.0[0] ^= 1),
        (1, EntryError::DepositMessageRoot { .. })
    ));
    assert!(matches!(
        check(&|e| e.deposit_data_root.0[31] ^= 1),
        (1, EntryError::DepositDataRoot { .. })
    ));
    // Entry 0's signature on entry 1's message: well-formed, but not this key's.
    let first_signature = mainnet_entries()[0].signature.clone();
    assert_eq!(
        check(&|e| e.signature = first_signature.clone()),
        (1, EntryError::Signature(SignatureError::Mismatch))
    );
    // Another key with entry 1's roots: the message root no longer matches first.
    let first_pubkey = mainnet_entries()[0].pubkey.clone();
    assert!(matches!(
        check(&|e| e.pubkey = first_pubkey.clone()),
        (1, EntryError::DepositMessageRoot { .. })
    ));
}

#[test]
fn a_repeated_key_is_refused() {
    let mut entries = mainnet_entries();
    entries.push(entries[0].clone());
    let err = validate_all(&entries, &withdrawal_credentials(VAULT, false), ForkVersion::MAINNET)
        .expect_err("refused");
    assert!(matches!(err, DepositDataError::Duplicate { index: 2, first: 0 }), "{err}");
}

#[test]
fn malformed_files_name_the_entry() {
    assert!(matches!(parse("{}"), Err(DepositDataError::Json(_))));
    let mut values: Vec<serde_json::Value> = serde_json::from_str(MAINNET).expect("json");
    values[1].as_object_mut().expect("object").remove("signature");
    let json = serde_json::to_string(&values).expect("json");
    assert!(matches!(parse(&json), Err(DepositDataError::Malformed { index: 1, .. })));
    values[1]["signature"] = serde_json::Value::from("zz");
    let json = serde_json::to_string(&values).expect("json");
    assert!(matches!(parse(&json), Err(DepositDataError::Malformed { index: 1, .. })));
}

#[test]
fn written_files_read_back_and_pass() {
    let credentials =
        withdrawal_credentials(address!("00000000000000000000000000000000000000aa"), true);
    let fork = ForkVersion(hex!("00000064"));
    let entries: Vec<DepositDataEntry> = (0..3)
        .map(|i| {
            let signed = DepositKey::from_seed(b"written", i).sign_deposit(
                credentials,
                FULL_DEPOSIT_GWEI,
                fork,
            );
            DepositDataEntry::from(&signed)
        })
        .collect();
    let json = to_json(&entries).expect("serialises");
    // The deposit CLI's format: hex without 0x, the amount as a number.
    assert!(!json.contains("0x"), "{json}");
    assert!(json.contains("\"amount\": 32000000000"), "{json}");
    assert!(json.contains("\"fork_version\": \"00000064\""), "{json}");
    let back = parse(&json).expect("parses");
    assert_eq!(back, entries);
    let valid = validate_all(&back, &credentials, fork).expect("valid");
    assert_eq!(valid.len(), 3);
    assert_eq!(valid[2].withdrawal_credentials, credentials);
    // A single entry, through the per-entry check.
    assert!(validate(7, &back[0], &credentials, fork).is_ok());
    assert!(matches!(
        validate(7, &back[0], &B256::ZERO, fork),
        Err(DepositDataError::Invalid { index: 7, .. })
    ));
}
