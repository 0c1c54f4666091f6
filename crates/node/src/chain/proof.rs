//! `eth_getProof`: Merkle-Patricia proofs of an account and its storage slots.
//!
//! The node keeps its state in a flat in-memory database, not in a trie, and its block
//! headers carry no state root. So a proof is built on request: the account trie and the
//! storage tries of the state at the asked block are hashed from scratch (alloy-trie's
//! `HashBuilder`, keeping the nodes on the asked paths), which costs time linear in the whole
//! state (fine for a dev chain's few thousand entries). The proofs are exact for that trie:
//! they verify against [`Chain::state_root`] of the same block (and each storage proof against
//! the account's `storageHash`), but the block header's `stateRoot` is not that root.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_trie::{
    proof::{ProofNodes, ProofRetainer},
    HashBuilder, Nibbles, TrieAccount, EMPTY_ROOT_HASH, KECCAK_EMPTY,
};
use revm::database::{AccountState, DbAccount};

use super::{types::ChainError, Chain};

/// A trie over `leaves` (hashed key, value), keeping the proof nodes of `targets`.
fn trie(mut leaves: Vec<(B256, Vec<u8>)>, targets: &[B256]) -> (B256, ProofNodes) {
    leaves.sort_unstable_by_key(|(key, _)| *key);
    let retainer = ProofRetainer::new(targets.iter().map(Nibbles::unpack).collect());
    let mut builder = HashBuilder::default().with_proof_retainer(retainer);
    for (key, value) in &leaves {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    let root = builder.root();
    (root, builder.take_proof_nodes())
}

/// The nodes from the root to `key`'s leaf (or to where its path ends).
fn proof_of(nodes: &ProofNodes, key: B256) -> Vec<Bytes> {
    nodes.matching_nodes_sorted(&Nibbles::unpack(key)).into_iter().map(|(_, node)| node).collect()
}

/// Whether the account is in the state trie: it exists and is not empty (EIP-161).
fn in_trie(account: &DbAccount) -> bool {
    let empty = account.info.is_empty() && account.storage.values().all(U256::is_zero);
    !empty && !matches!(account.account_state, AccountState::NotExisting)
}

/// The storage trie of `account`, keeping the proof nodes of `slots`.
fn storage_trie(account: Option<&DbAccount>, slots: &[B256]) -> (B256, ProofNodes) {
    let leaves = account
        .map(|a| {
            a.storage
                .iter()
                .filter(|(_, value)| !value.is_zero())
                .map(|(slot, value)| (keccak256(B256::from(*slot)), alloy_rlp::encode(value)))
                .collect()
        })
        .unwrap_or_default();
    let targets: Vec<B256> = slots.iter().map(keccak256).collect();
    trie(leaves, &targets)
}

fn trie_account(account: &DbAccount) -> TrieAccount {
    TrieAccount {
        nonce: account.info.nonce,
        balance: account.info.balance,
        storage_root: storage_trie(Some(account), &[]).0,
        code_hash: account.info.code_hash,
    }
}

impl Chain {
    /// The account trie of block `n`'s state, keeping the proof nodes of `targets`.
    fn account_trie(&self, n: u64, targets: &[Address]) -> Result<(B256, ProofNodes), ChainError> {
        let db = self.db_at(n)?;
        let leaves = db
            .cache
            .accounts
            .iter()
            .filter(|(_, account)| in_trie(account))
            .map(|(address, account)| {
                (keccak256(address), alloy_rlp::encode(trie_account(account)))
            })
            .collect();
        let targets: Vec<B256> = targets.iter().map(keccak256).collect();
        Ok(trie(leaves, &targets))
    }

    /// The root of block `n`'s state trie as [`Chain::proof`] builds it.
    pub fn state_root(&self, n: u64) -> Result<B256, ChainError> {
        Ok(self.account_trie(n, &[])?.0)
    }

    /// `address`'s account and `slots` at block `n`, with their proofs (`eth_getProof`).
    pub fn proof(
        &self,
        address: Address,
        slots: &[B256],
        n: u64,
    ) -> Result<EIP1186AccountProofResponse, ChainError> {
        let db = self.db_at(n)?;
        let account = db.cache.accounts.get(&address).filter(|a| in_trie(a));
        let (_, account_nodes) = self.account_trie(n, &[address])?;
        let (storage_hash, storage_nodes) = storage_trie(account, slots);
        let storage_proof = slots
            .iter()
            .map(|slot| EIP1186StorageProof {
                key: (*slot).into(),
                value: account
                    .and_then(|a| a.storage.get(&U256::from_be_bytes(slot.0)).copied())
                    .unwrap_or_default(),
                proof: proof_of(&storage_nodes, keccak256(slot)),
            })
            .collect();
        Ok(EIP1186AccountProofResponse {
            address,
            balance: account.map(|a| a.info.balance).unwrap_or_default(),
            code_hash: account.map(|a| a.info.code_hash).unwrap_or(KECCAK_EMPTY),
            nonce: account.map(|a| a.info.nonce).unwrap_or_default(),
            storage_hash: if account.is_some() { storage_hash } else { EMPTY_ROOT_HASH },
            account_proof: proof_of(&account_nodes, keccak256(address)),
            storage_proof,
        })
    }
}
