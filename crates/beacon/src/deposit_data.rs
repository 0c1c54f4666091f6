//! Deposit data files: the JSON array Ethereum's deposit CLI writes (`deposit_data-*.json`),
//! one object per validator with hex strings without `0x`: `pubkey`,
//! `withdrawal_credentials`, `amount` (a number, gwei), `signature`, `deposit_message_root`,
//! `deposit_data_root`, `fork_version`, and optionally `network_name` and
//! `deposit_cli_version`.
//!
//! [`validate`] is what a node operator's keys must pass before they are uploaded to the
//! staking module: the file's roots are recomputed rather than trusted, the signature is
//! verified, and the withdrawal credentials must be the protocol's.

use std::collections::HashMap;

use alloy_primitives::{hex, B256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
    deposit_data_root, deposit_message_root,
    signing::{verify_deposit_signature, ForkVersion, SignatureError, SignedDeposit},
    FULL_DEPOSIT_GWEI, PUBKEY_LENGTH, SIGNATURE_LENGTH,
};

/// Bytes written as a hex string without `0x` (read with or without it). The length is not
/// fixed here: [`validate`] checks it, so a short field is reported with its entry's index
/// rather than as a JSON syntax error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        hex::decode(s.strip_prefix("0x").unwrap_or(&s))
            .map(HexBytes)
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not a hex string: {e}")))
    }
}

impl From<&[u8]> for HexBytes {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

/// One validator's deposit, as a deposit data file holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositDataEntry {
    /// The validator's BLS public key (48 bytes).
    pub pubkey: HexBytes,
    /// Where the validator's withdrawals go (32 bytes).
    pub withdrawal_credentials: HexBytes,
    /// The deposit, in gwei.
    pub amount: u64,
    /// The BLS signature of the deposit message (96 bytes).
    pub signature: HexBytes,
    /// The SSZ root of the deposit message (32 bytes).
    pub deposit_message_root: HexBytes,
    /// The SSZ root of the deposit data (32 bytes).
    pub deposit_data_root: HexBytes,
    /// The genesis fork version the signature is for (4 bytes).
    pub fork_version: HexBytes,
    /// The network the file was made for, as the deposit CLI names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    /// The version of the tool that made the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_cli_version: Option<String>,
}

impl From<&SignedDeposit> for DepositDataEntry {
    fn from(d: &SignedDeposit) -> Self {
        Self {
            pubkey: HexBytes::from(&d.pubkey[..]),
            withdrawal_credentials: HexBytes::from(d.withdrawal_credentials.as_slice()),
            amount: d.amount_gwei,
            signature: HexBytes::from(&d.signature[..]),
            deposit_message_root: HexBytes::from(d.deposit_message_root.as_slice()),
            deposit_data_root: HexBytes::from(d.deposit_data_root.as_slice()),
            fork_version: HexBytes::from(&d.fork_version.0[..]),
            network_name: None,
            deposit_cli_version: None,
        }
    }
}

/// A deposit that passed [`validate`]: fixed-size fields, ready for the staking module and
/// the deposit contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDeposit {
    /// The validator's public key.
    pub pubkey: [u8; PUBKEY_LENGTH],
    /// The expected withdrawal credentials.
    pub withdrawal_credentials: B256,
    /// The deposit, in gwei.
    pub amount_gwei: u64,
    /// The verified signature.
    pub signature: [u8; SIGNATURE_LENGTH],
    /// The recomputed (and matching) deposit data root.
    pub deposit_data_root: B256,
}

/// What is wrong with one entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A field has the wrong number of bytes.
    #[error("{field} has {actual} bytes, not {expected}")]
    Length {
        /// The field's JSON name.
        field: &'static str,
        /// Bytes it must have.
        expected: usize,
        /// Bytes it has.
        actual: usize,
    },
    /// Signed for another network.
    #[error("fork version {found}, expected {expected}")]
    ForkVersion {
        /// The entry's fork version.
        found: ForkVersion,
        /// The network's.
        expected: ForkVersion,
    },
    /// The withdrawal credentials are not the protocol's: the validator's stake would not
    /// come back to the protocol.
    #[error("withdrawal credentials {found}, expected {expected}")]
    WithdrawalCredentials {
        /// The entry's credentials.
        found: B256,
        /// The protocol's.
        expected: B256,
    },
    /// Not a full 32 ETH deposit, which is what the protocol sends per key.
    #[error("amount {found} gwei, expected {expected} gwei")]
    Amount {
        /// The entry's amount.
        found: u64,
        /// The required amount.
        expected: u64,
    },
    /// The recorded deposit message root is not the root of the entry's fields.
    #[error("deposit_message_root {recorded} does not match the fields (computed {computed})")]
    DepositMessageRoot {
        /// The root in the file.
        recorded: B256,
        /// The root of the fields.
        computed: B256,
    },
    /// The recorded deposit data root is not the root of the entry's fields.
    #[error("deposit_data_root {recorded} does not match the fields (computed {computed})")]
    DepositDataRoot {
        /// The root in the file.
        recorded: B256,
        /// The root of the fields.
        computed: B256,
    },
    /// The BLS signature was refused.
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// Why a deposit data file, or one of its entries, was refused.
#[derive(Debug, thiserror::Error)]
pub enum DepositDataError {
    /// The file is not a JSON array.
    #[error("deposit data is not a JSON array: {0}")]
    Json(#[source] serde_json::Error),
    /// An entry lacks a field or has one of the wrong type.
    #[error("deposit data entry {index} is malformed: {source}")]
    Malformed {
        /// The entry's position in the file, from 0.
        index: usize,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// An entry is well-formed JSON but not an acceptable deposit.
    #[error("deposit data entry {index}: {error}")]
    Invalid {
        /// The entry's position in the file, from 0.
        index: usize,
        /// What is wrong with it.
        error: EntryError,
    },
    /// The same public key twice: the staking module would refuse the second one.
    #[error("deposit data entry {index} repeats the public key of entry {first}")]
    Duplicate {
        /// The repeating entry.
        index: usize,
        /// The first entry with that key.
        first: usize,
    },
}

/// Parses a deposit data file.
///
/// # Errors
/// [`DepositDataError::Json`] if it is not a JSON array; [`DepositDataError::Malformed`]
/// with the index of the first entry that is not a deposit data object.
pub fn parse(json: &str) -> Result<Vec<DepositDataEntry>, DepositDataError> {
    // Each entry is decoded on its own so an error can name the entry.
    let values: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(DepositDataError::Json)?;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            serde_json::from_value(value)
                .map_err(|source| DepositDataError::Malformed { index, source })
        })
        .collect()
}

/// Writes entries as a deposit data file (a JSON array, indented).
///
/// # Errors
/// None in practice: the entries are plain strings and numbers; the `Result` is
/// serde_json's.
pub fn to_json(entries: &[DepositDataEntry]) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(entries)
}

/// `bytes` as an array of `N`, or [`EntryError::Length`] naming `field`.
fn fixed<const N: usize>(field: &'static str, bytes: &HexBytes) -> Result<[u8; N], EntryError> {
    bytes.0.as_slice().try_into().map_err(|_| EntryError::Length {
        field,
        expected: N,
        actual: bytes.0.len(),
    })
}

/// Checks one entry for the protocol, `index` being its position in the file: field
/// lengths, the fork version, the withdrawal credentials (which must be
/// `expected_withdrawal_credentials`), the amount (a full 32 ETH deposit), the recorded
/// deposit message root, the BLS signature, and the recorded deposit data root.
///
/// # Errors
/// [`DepositDataError::Invalid`] with the index and the first check that failed.
pub fn validate(
    index: usize,
    entry: &DepositDataEntry,
    expected_withdrawal_credentials: &B256,
    fork_version: ForkVersion,
) -> Result<ValidDeposit, DepositDataError> {
    check(entry, expected_withdrawal_credentials, fork_version)
        .map_err(|error| DepositDataError::Invalid { index, error })
}

fn check(
    entry: &DepositDataEntry,
    expected_credentials: &B256,
    fork_version: ForkVersion,
) -> Result<ValidDeposit, EntryError> {
    let pubkey: [u8; PUBKEY_LENGTH] = fixed("pubkey", &entry.pubkey)?;
    let credentials =
        B256::from(fixed::<32>("withdrawal_credentials", &entry.withdrawal_credentials)?);
    let signature: [u8; SIGNATURE_LENGTH] = fixed("signature", &entry.signature)?;
    let message_root =
        B256::from(fixed::<32>("deposit_message_root", &entry.deposit_message_root)?);
    let data_root = B256::from(fixed::<32>("deposit_data_root", &entry.deposit_data_root)?);
    let found_fork = ForkVersion(fixed("fork_version", &entry.fork_version)?);
    // The cheap checks that explain most wrong files (a file for another network or for
    // another protocol's vault) come before the roots and the pairing.
    if found_fork != fork_version {
        return Err(EntryError::ForkVersion { found: found_fork, expected: fork_version });
    }
    if credentials != *expected_credentials {
        return Err(EntryError::WithdrawalCredentials {
            found: credentials,
            expected: *expected_credentials,
        });
    }
    if entry.amount != FULL_DEPOSIT_GWEI {
        return Err(EntryError::Amount { found: entry.amount, expected: FULL_DEPOSIT_GWEI });
    }
    let computed = deposit_message_root(&pubkey, &credentials, entry.amount);
    if computed != message_root {
        return Err(EntryError::DepositMessageRoot { recorded: message_root, computed });
    }
    verify_deposit_signature(&pubkey, &credentials, entry.amount, &signature, fork_version)?;
    let computed = deposit_data_root(&pubkey, &credentials, entry.amount, &signature);
    if computed != data_root {
        return Err(EntryError::DepositDataRoot { recorded: data_root, computed });
    }
    Ok(ValidDeposit {
        pubkey,
        withdrawal_credentials: credentials,
        amount_gwei: entry.amount,
        signature,
        deposit_data_root: data_root,
    })
}

/// [`validate`]s every entry of a file, in order, and refuses a public key that appears
/// twice.
///
/// # Errors
/// The first entry's error, as [`validate`]; [`DepositDataError::Duplicate`].
pub fn validate_all(
    entries: &[DepositDataEntry],
    expected_withdrawal_credentials: &B256,
    fork_version: ForkVersion,
) -> Result<Vec<ValidDeposit>, DepositDataError> {
    let mut seen: HashMap<[u8; PUBKEY_LENGTH], usize> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let valid = validate(index, entry, expected_withdrawal_credentials, fork_version)?;
        if let Some(&first) = seen.get(&valid.pubkey) {
            return Err(DepositDataError::Duplicate { index, first });
        }
        seen.insert(valid.pubkey, index);
        out.push(valid);
    }
    Ok(out)
}
