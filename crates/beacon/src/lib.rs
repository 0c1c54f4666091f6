//! Ethereum's beacon deposit formats, as the deposit contract and the consensus
//! specification define them: withdrawal credentials, the SSZ `hash_tree_root` of a
//! `DepositData` (the `deposit_data_root` every deposit carries and the contract checks), and
//! the deposit contract's incremental Merkle tree (`get_deposit_root`, `get_deposit_count`).
//!
//! Also the deposit's BLS signature ([`signing`]: the signing domain and root, verification,
//! and deterministic keys for the local chain) and the deposit data files node operators
//! bring ([`deposit_data`]), and validator statuses as the beacon API names them
//! ([`status`]).
//!
//! The staking module's tooling computes deposit data roots with it before sending keys; the
//! local chain's deposit contract and simulated beacon chain are checked against it.
//!
//! Without its `signing` feature (on by default) the crate is `no_std`: the staking module
//! computes each deposit's root with it on chain.
#![cfg_attr(not(any(test, feature = "signing")), no_std)]
#![warn(missing_docs)]

#[cfg(feature = "signing")]
pub mod deposit_data;
#[cfg(feature = "signing")]
pub mod signing;
pub mod status;

use alloy_primitives::{Address, B256};
use sha2::{Digest, Sha256};

#[cfg(feature = "signing")]
pub use signing::{verify_deposit_signature, DepositKey, ForkVersion, SignatureError};

/// Bytes of a BLS12-381 public key (compressed G1 point).
pub const PUBKEY_LENGTH: usize = 48;
/// Bytes of a BLS12-381 signature (compressed G2 point).
pub const SIGNATURE_LENGTH: usize = 96;
/// Depth of the deposit contract's Merkle tree: room for 2^32 − 1 deposits.
pub const DEPOSIT_TREE_DEPTH: usize = 32;
/// Gwei in one ether: deposit amounts are in gwei.
pub const GWEI_PER_ETH: u64 = 1_000_000_000;
/// A validator's activation deposit, in gwei.
pub const FULL_DEPOSIT_GWEI: u64 = 32 * GWEI_PER_ETH;

/// Withdrawal credentials that send a validator's withdrawals to `address`: prefix `0x01`
/// (execution address) or, for a compounding validator (EIP-7251), `0x02`; 11 zero bytes;
/// the address.
pub fn withdrawal_credentials(address: Address, compounding: bool) -> B256 {
    let mut out = [0u8; 32];
    out[0] = if compounding { 0x02 } else { 0x01 };
    out[12..].copy_from_slice(address.as_slice());
    B256::from(out)
}

fn sha256(parts: &[&[u8]]) -> B256 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    B256::from_slice(&hasher.finalize())
}

/// SHA-256 of two 32-byte nodes: one step up a Merkle tree.
pub fn hash_pair(left: &B256, right: &B256) -> B256 {
    sha256(&[left.as_slice(), right.as_slice()])
}

/// The SSZ root of a 48-byte public key: vectors longer than one chunk are padded to whole
/// 32-byte chunks and merkleized.
fn pubkey_root(pubkey: &[u8; PUBKEY_LENGTH]) -> B256 {
    sha256(&[pubkey, &[0u8; 16]])
}

/// The SSZ chunk of a `uint64`: little-endian, zero-padded to 32 bytes.
fn u64_chunk(value: u64) -> B256 {
    let mut chunk = [0u8; 32];
    chunk[..8].copy_from_slice(&value.to_le_bytes());
    B256::from(chunk)
}

/// The SSZ `hash_tree_root` of `DepositData { pubkey, withdrawal_credentials, amount,
/// signature }`: the `deposit_data_root` a deposit must carry.
pub fn deposit_data_root(
    pubkey: &[u8; PUBKEY_LENGTH],
    withdrawal_credentials: &B256,
    amount_gwei: u64,
    signature: &[u8; SIGNATURE_LENGTH],
) -> B256 {
    let signature_root =
        hash_pair(&sha256(&[&signature[..64]]), &sha256(&[&signature[64..], &[0u8; 32]]));
    hash_pair(
        &hash_pair(&pubkey_root(pubkey), withdrawal_credentials),
        &hash_pair(&u64_chunk(amount_gwei), &signature_root),
    )
}

/// The SSZ `hash_tree_root` of `DepositMessage { pubkey, withdrawal_credentials, amount }`:
/// the `deposit_message_root`, the object a deposit's BLS signature signs (through
/// [`signing::signing_root`]).
pub fn deposit_message_root(
    pubkey: &[u8; PUBKEY_LENGTH],
    withdrawal_credentials: &B256,
    amount_gwei: u64,
) -> B256 {
    // Three fields pad to four leaves; the fourth is the zero chunk.
    hash_pair(
        &hash_pair(&pubkey_root(pubkey), withdrawal_credentials),
        &hash_pair(&u64_chunk(amount_gwei), &B256::ZERO),
    )
}

/// The roots of all-zero subtrees: `zero[h]` is the root of a tree of height `h` of empty
/// leaves.
fn zero_hashes() -> [B256; DEPOSIT_TREE_DEPTH] {
    let mut zero = [B256::ZERO; DEPOSIT_TREE_DEPTH];
    for h in 1..DEPOSIT_TREE_DEPTH {
        zero[h] = hash_pair(&zero[h - 1], &zero[h - 1]);
    }
    zero
}

/// The deposit contract's tree: each deposit's data root is appended as a leaf; the root
/// mixes in the count, as `get_deposit_root()` returns it. Keeps one node per level (the
/// "branch"), as the contract does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositTree {
    branch: [B256; DEPOSIT_TREE_DEPTH],
    count: u64,
}

impl Default for DepositTree {
    fn default() -> Self {
        Self { branch: [B256::ZERO; DEPOSIT_TREE_DEPTH], count: 0 }
    }
}

/// The tree holds its maximum of 2^32 − 1 deposits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeFull;

impl DepositTree {
    /// Deposits so far (`get_deposit_count()`, which the contract returns as 8 little-endian
    /// bytes).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Appends a deposit's data root.
    ///
    /// # Errors
    /// [`TreeFull`] once the tree holds 2^32 − 1 leaves.
    pub fn push(&mut self, leaf: B256) -> Result<(), TreeFull> {
        if self.count >= (1u64 << DEPOSIT_TREE_DEPTH) - 1 {
            return Err(TreeFull);
        }
        self.count += 1;
        let mut size = self.count;
        let mut node = leaf;
        for height in 0..DEPOSIT_TREE_DEPTH {
            if size & 1 == 1 {
                self.branch[height] = node;
                return Ok(());
            }
            node = hash_pair(&self.branch[height], &node);
            size /= 2;
        }
        // Unreachable below the size limit: some bit of a count under 2^32 is set.
        Err(TreeFull)
    }

    /// `get_deposit_root()`: the tree's root with the count mixed in (SSZ `List` root).
    pub fn root(&self) -> B256 {
        let mut node = B256::ZERO;
        let mut size = self.count;
        for (branch, zero) in self.branch.iter().zip(zero_hashes()) {
            node = if size & 1 == 1 { hash_pair(branch, &node) } else { hash_pair(&node, &zero) };
            size /= 2;
        }
        hash_pair(&node, &u64_chunk(self.count))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};
    use proptest::prelude::*;

    /// SSZ merkleization the slow, obvious way: pad `chunks` with zero chunks to `2^depth`
    /// and hash pairs level by level.
    fn merkleize(chunks: &[B256], depth: usize) -> B256 {
        let mut level: Vec<B256> = chunks.to_vec();
        let mut zero = B256::ZERO;
        for _ in 0..depth {
            if level.len() % 2 == 1 {
                level.push(zero);
            }
            level = level.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
            if level.is_empty() {
                level.push(hash_pair(&zero, &zero));
            }
            zero = hash_pair(&zero, &zero);
        }
        level[0]
    }

    /// Bytes as 32-byte chunks, the last one zero-padded.
    fn chunks(bytes: &[u8]) -> Vec<B256> {
        bytes
            .chunks(32)
            .map(|c| {
                let mut chunk = [0u8; 32];
                chunk[..c.len()].copy_from_slice(c);
                B256::from(chunk)
            })
            .collect()
    }

    #[test]
    fn an_empty_tree_has_the_deposit_contracts_genesis_root() {
        // `get_deposit_root()` of Ethereum's deposit contract before any deposit.
        assert_eq!(
            DepositTree::default().root(),
            b256!("d70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e")
        );
    }

    #[test]
    fn credentials_carry_the_prefix_and_the_address() {
        let vault = address!("00000000000000000000000000000000000000aa");
        let c = withdrawal_credentials(vault, false);
        assert_eq!(c[0], 0x01);
        assert!(c[1..12].iter().all(|b| *b == 0));
        assert_eq!(&c[12..], vault.as_slice());
        assert_eq!(withdrawal_credentials(vault, true)[0], 0x02);
    }

    proptest! {
        /// The deposit data root is SSZ's container root: fields' roots merkleized.
        #[test]
        fn deposit_data_root_is_the_ssz_container_root(
            pubkey in prop::array::uniform32(any::<u8>()),
            tail in prop::array::uniform16(any::<u8>()),
            credentials in prop::array::uniform32(any::<u8>()),
            amount in any::<u64>(),
            signature in prop::collection::vec(any::<u8>(), SIGNATURE_LENGTH),
        ) {
            let mut pk = [0u8; PUBKEY_LENGTH];
            pk[..32].copy_from_slice(&pubkey);
            pk[32..].copy_from_slice(&tail);
            let mut sig = [0u8; SIGNATURE_LENGTH];
            sig.copy_from_slice(&signature);
            let credentials = B256::from(credentials);
            let mut amount_chunk = [0u8; 32];
            amount_chunk[..8].copy_from_slice(&amount.to_le_bytes());
            let fields = [
                merkleize(&chunks(&pk), 1),
                credentials,
                B256::from(amount_chunk),
                merkleize(&chunks(&sig), 2),
            ];
            prop_assert_eq!(deposit_data_root(&pk, &credentials, amount, &sig), merkleize(&fields, 2));
        }

        /// The incremental tree's root equals the full tree's root (depth 32, count mixed
        /// in) after every push.
        #[test]
        fn the_incremental_tree_matches_the_full_tree(
            leaves in prop::collection::vec(prop::array::uniform32(any::<u8>()), 0..40),
        ) {
            let mut tree = DepositTree::default();
            let mut pushed: Vec<B256> = Vec::new();
            for leaf in leaves {
                let leaf = B256::from(leaf);
                tree.push(leaf).unwrap();
                pushed.push(leaf);
                let mut count = [0u8; 32];
                count[..8].copy_from_slice(&(pushed.len() as u64).to_le_bytes());
                let expected = hash_pair(&merkleize(&pushed, DEPOSIT_TREE_DEPTH), &B256::from(count));
                prop_assert_eq!(tree.root(), expected);
                prop_assert_eq!(tree.count(), pushed.len() as u64);
            }
        }
    }
}
