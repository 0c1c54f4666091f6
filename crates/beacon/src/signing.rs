//! Deposit signatures: the consensus specification's signing domain and signing root for a
//! `DepositMessage`, and BLS12-381 signing and verification in the proof-of-possession
//! ciphersuite the beacon chain uses (public keys in G1, 48 bytes; signatures in G2, 96
//! bytes).
//!
//! Neither the deposit contract nor the staking module can check these signatures (there is
//! no BLS precompile on the chains we target), and the beacon chain does not refund a
//! deposit whose signature fails: it simply never creates the validator. A wrong signature
//! accepted into the module would therefore lock 32 ETH of stakers' money, which is why the
//! tooling verifies every signature before a key is uploaded.

use alloy_primitives::B256;
use blst::{
    min_pk::{PublicKey, SecretKey, Signature},
    BLST_ERROR,
};
use sha2::{Digest, Sha256};

use crate::{deposit_data_root, deposit_message_root, hash_pair, PUBKEY_LENGTH, SIGNATURE_LENGTH};

/// The domain type of deposits (`DOMAIN_DEPOSIT`).
pub const DOMAIN_DEPOSIT: [u8; 4] = [0x03, 0x00, 0x00, 0x00];

/// The hash-to-curve domain separation tag of the beacon chain's BLS signatures: the IETF
/// proof-of-possession ciphersuite with signatures in G2.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Input key material [`DepositKey::from_seed`] feeds to the IETF `KeyGen`: SHA-256 gives
/// the 32 bytes it requires at least.
const IKM_LENGTH: usize = 32;

/// A network's genesis fork version: deposits are signed for it (not for the current fork),
/// so a deposit stays valid across forks but not across networks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ForkVersion(pub [u8; 4]);

impl ForkVersion {
    /// Ethereum mainnet's genesis fork version, `0x00000000` (also the local chain's).
    pub const MAINNET: Self = Self([0; 4]);
}

/// A fork version that is not 4 bytes of hex.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fork version {0:?} is not 4 bytes of hex (such as 0x00000000)")]
pub struct BadForkVersion(pub String);

impl std::str::FromStr for ForkVersion {
    type Err = BadForkVersion;

    /// Parses 8 hex digits, with or without `0x`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 4];
        alloy_primitives::hex::decode_to_slice(digits, &mut out)
            .map_err(|_| BadForkVersion(s.to_owned()))?;
        Ok(Self(out))
    }
}

impl std::fmt::Display for ForkVersion {
    /// 8 lowercase hex digits without `0x`, as deposit data files write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&alloy_primitives::hex::encode(self.0))
    }
}

/// Why a deposit signature was refused. The cases are kept apart because they call for
/// different fixes: a malformed key or signature is a broken file, a mismatch is a key
/// signed for other credentials, amount or network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is not a compressed point of G1's prime-order subgroup.
    #[error("the public key is not a valid compressed BLS12-381 G1 point ({0:?})")]
    InvalidPubkey(BLST_ERROR),
    /// The public key is the point at infinity, for which any message "verifies".
    #[error("the public key is the point at infinity")]
    PubkeyIsInfinity,
    /// The signature is not a compressed point of G2's prime-order subgroup.
    #[error("the signature is not a valid compressed BLS12-381 G2 point ({0:?})")]
    InvalidSignature(BLST_ERROR),
    /// The signature is the point at infinity, which no deposit key produces.
    #[error("the signature is the point at infinity")]
    SignatureIsInfinity,
    /// A well-formed signature, but not by this key over this deposit message and fork
    /// version.
    #[error("the signature does not match the public key, withdrawal credentials, amount and fork version")]
    Mismatch,
}

/// `compute_fork_data_root(fork_version, genesis_validators_root)` with the zero
/// `genesis_validators_root` deposits use: the SSZ root of `ForkData`.
pub fn deposit_fork_data_root(fork_version: ForkVersion) -> B256 {
    let mut version = [0u8; 32];
    version[..4].copy_from_slice(&fork_version.0);
    hash_pair(&B256::from(version), &B256::ZERO)
}

/// `compute_domain(DOMAIN_DEPOSIT, fork_version)`: the domain type followed by the first 28
/// bytes of the fork data root.
pub fn deposit_domain(fork_version: ForkVersion) -> B256 {
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&DOMAIN_DEPOSIT);
    domain[4..].copy_from_slice(&deposit_fork_data_root(fork_version)[..28]);
    B256::from(domain)
}

/// `compute_signing_root`: the SSZ root of `SigningData { object_root, domain }`, the
/// 32 bytes actually signed.
pub fn signing_root(object_root: &B256, domain: &B256) -> B256 {
    hash_pair(object_root, domain)
}

/// The signing root of a deposit's `DepositMessage` for `fork_version`.
pub fn deposit_signing_root(
    pubkey: &[u8; PUBKEY_LENGTH],
    withdrawal_credentials: &B256,
    amount_gwei: u64,
    fork_version: ForkVersion,
) -> B256 {
    signing_root(
        &deposit_message_root(pubkey, withdrawal_credentials, amount_gwei),
        &deposit_domain(fork_version),
    )
}

/// Decompresses and validates a deposit's public key.
fn parse_pubkey(pubkey: &[u8; PUBKEY_LENGTH]) -> Result<PublicKey, SignatureError> {
    let key = PublicKey::uncompress(pubkey).map_err(SignatureError::InvalidPubkey)?;
    match key.validate() {
        Ok(()) => Ok(key),
        Err(BLST_ERROR::BLST_PK_IS_INFINITY) => Err(SignatureError::PubkeyIsInfinity),
        Err(e) => Err(SignatureError::InvalidPubkey(e)),
    }
}

/// Decompresses and validates a deposit's signature.
fn parse_signature(signature: &[u8; SIGNATURE_LENGTH]) -> Result<Signature, SignatureError> {
    let sig = Signature::uncompress(signature).map_err(SignatureError::InvalidSignature)?;
    // blst reports an infinite signature with the public-key code.
    match sig.validate(true) {
        Ok(()) => Ok(sig),
        Err(BLST_ERROR::BLST_PK_IS_INFINITY) => Err(SignatureError::SignatureIsInfinity),
        Err(e) => Err(SignatureError::InvalidSignature(e)),
    }
}

/// Checks that `signature` is `pubkey`'s signature of the deposit message
/// `{pubkey, withdrawal_credentials, amount_gwei}` for `fork_version`: the check the beacon
/// chain makes before it creates a validator from a deposit.
///
/// # Errors
/// [`SignatureError::InvalidPubkey`] or [`SignatureError::PubkeyIsInfinity`] for a bad key,
/// [`SignatureError::InvalidSignature`] or [`SignatureError::SignatureIsInfinity`] for a bad
/// signature point, [`SignatureError::Mismatch`] if the signature is not over this message.
pub fn verify_deposit_signature(
    pubkey: &[u8; PUBKEY_LENGTH],
    withdrawal_credentials: &B256,
    amount_gwei: u64,
    signature: &[u8; SIGNATURE_LENGTH],
    fork_version: ForkVersion,
) -> Result<(), SignatureError> {
    let key = parse_pubkey(pubkey)?;
    let sig = parse_signature(signature)?;
    let root = deposit_signing_root(pubkey, withdrawal_credentials, amount_gwei, fork_version);
    // Both points were group-checked above, so blst need not check them again.
    match sig.verify(false, root.as_slice(), DST, &[], &key, false) {
        BLST_ERROR::BLST_SUCCESS => Ok(()),
        _ => Err(SignatureError::Mismatch),
    }
}

/// A deposit signed by a [`DepositKey`], with the roots a deposit data file records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedDeposit {
    /// The validator's public key.
    pub pubkey: [u8; PUBKEY_LENGTH],
    /// Where the validator's withdrawals go.
    pub withdrawal_credentials: B256,
    /// The deposit, in gwei.
    pub amount_gwei: u64,
    /// The BLS signature of the deposit message.
    pub signature: [u8; SIGNATURE_LENGTH],
    /// The SSZ root of the deposit message (what was signed, before the domain).
    pub deposit_message_root: B256,
    /// The SSZ root of the deposit data (what the deposit contract is given).
    pub deposit_data_root: B256,
    /// The fork version the signature is for.
    pub fork_version: ForkVersion,
}

/// A validator key that signs deposits, derived deterministically from a seed.
///
/// For the local chain and tests only: anyone who knows the seed knows the key. Real
/// validator keys come from the operator's own key management (EIP-2333 derivation, as
/// Ethereum's deposit CLI does), and this type never sees them.
pub struct DepositKey {
    secret: SecretKey,
    pubkey: [u8; PUBKEY_LENGTH],
}

impl std::fmt::Debug for DepositKey {
    /// Shows the public key only, so a key never ends up in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepositKey")
            .field("pubkey", &alloy_primitives::hex::encode(self.pubkey))
            .finish_non_exhaustive()
    }
}

impl DepositKey {
    /// Key number `index` of `seed`: the IETF `KeyGen` of `sha256(seed ‖ index as 4
    /// big-endian bytes)`, so each index gives an independent key and the same seed and
    /// index always give the same key.
    pub fn from_seed(seed: &[u8], index: u32) -> Self {
        let ikm: [u8; IKM_LENGTH] =
            Sha256::new().chain_update(seed).chain_update(index.to_be_bytes()).finalize().into();
        let secret = match SecretKey::key_gen(&ikm, &[]) {
            Ok(secret) => secret,
            // key_gen refuses only key material shorter than 32 bytes.
            Err(_) => unreachable!("{IKM_LENGTH} bytes of key material"),
        };
        let pubkey = secret.sk_to_pk().compress();
        Self { secret, pubkey }
    }

    /// The compressed public key.
    pub fn pubkey(&self) -> [u8; PUBKEY_LENGTH] {
        self.pubkey
    }

    /// Signs a deposit of `amount_gwei` to `withdrawal_credentials` for `fork_version`.
    pub fn sign_deposit(
        &self,
        withdrawal_credentials: B256,
        amount_gwei: u64,
        fork_version: ForkVersion,
    ) -> SignedDeposit {
        let message_root = deposit_message_root(&self.pubkey, &withdrawal_credentials, amount_gwei);
        let root = signing_root(&message_root, &deposit_domain(fork_version));
        let signature = self.secret.sign(root.as_slice(), DST, &[]).compress();
        SignedDeposit {
            pubkey: self.pubkey,
            withdrawal_credentials,
            amount_gwei,
            signature,
            deposit_message_root: message_root,
            deposit_data_root: deposit_data_root(
                &self.pubkey,
                &withdrawal_credentials,
                amount_gwei,
                &signature,
            ),
            fork_version,
        }
    }
}
