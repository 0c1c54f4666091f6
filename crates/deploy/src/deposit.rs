//! Deposits through the deposit guard: what the guardians attest and what the depositor
//! sends (the role of Lido's council daemon and depositor bot, for tools, tests and the
//! local chain).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use tidepool_beacon::{PUBKEY_LENGTH, SIGNATURE_LENGTH};
use tidepool_interfaces::{staking_module::MAX_KEYS_PER_BATCH, IDepositGuard, IStakingModule};

use crate::{record::ModuleSetup, report::sign_ascending, Client, Deployment, Error, Receipt};

/// The `addSigningKeys` calls that upload `keys` (public key, deposit signature) to operator
/// `operator` in order, at most `MAX_KEYS_PER_BATCH` keys each: what the deployment's dev
/// operators and `tidepool operator keys add` send.
pub fn key_batches<'a>(
    operator: u64,
    keys: impl IntoIterator<Item = (&'a [u8; PUBKEY_LENGTH], &'a [u8; SIGNATURE_LENGTH])>,
) -> Vec<IStakingModule::addSigningKeysCall> {
    let keys: Vec<_> = keys.into_iter().collect();
    // A u64 limit of 50: it fits any usize.
    keys.chunks(MAX_KEYS_PER_BATCH as usize)
        .map(|chunk| IStakingModule::addSigningKeysCall {
            node_operator_id: U256::from(operator),
            count: chunk.len() as u64,
            pubkeys: chunk.iter().flat_map(|k| *k.0).collect::<Vec<u8>>().into(),
            signatures: chunk.iter().flat_map(|k| *k.1).collect::<Vec<u8>>().into(),
        })
        .collect()
}

/// What guardians sign for one deposit: a recent block, the deposit contract's root and the
/// module's nonce as of now, and the guard's digest over them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The attested block (the latest when read).
    pub block_number: u64,
    /// Its hash.
    pub block_hash: B256,
    /// The deposit contract's `get_deposit_root()`.
    pub deposit_root: B256,
    /// The staking module's `getNonce()`.
    pub nonce: U256,
    /// The digest each guardian signs (the guard's `attestDigest`, so the rule lives in one
    /// place).
    pub digest: B256,
}

alloy_sol_types::sol! {
    /// The beacon deposit contract, as far as the depositor reads it.
    interface IBeaconDepositRoot {
        function get_deposit_root() external view returns (bytes32);
    }
}

/// The module side of `deployment`.
///
/// # Errors
/// [`Error::Options`] when the deployment uses an outside module.
pub fn module(deployment: &Deployment) -> Result<&ModuleSetup, Error> {
    deployment.module.as_ref().ok_or_else(|| {
        Error::Options("this deployment uses an outside staking module (no deposit guard)".into())
    })
}

/// Reads what the guardians must attest now.
///
/// # Errors
/// [`Error::Rpc`] and reverts from the reads.
pub async fn attestation(client: &Client, module: &ModuleSetup) -> Result<Attestation, Error> {
    let (block_number, _) = client.latest_block().await?;
    let block_hash = client.block_hash(block_number).await?;
    let deposit_root =
        client.view(module.deposit_contract, IBeaconDepositRoot::get_deposit_rootCall {}).await?;
    let nonce = client.view(module.staking_module.address, IStakingModule::getNonceCall {}).await?;
    let digest = client
        .view(
            module.deposit_guard.address,
            IDepositGuard::attestDigestCall {
                block_number: U256::from(block_number),
                block_hash,
                deposit_root,
                nonce,
            },
        )
        .await?;
    Ok(Attestation { block_number, block_hash, deposit_root, nonce, digest })
}

/// How many keys the module can take in one deposit now (its summary's third figure).
///
/// # Errors
/// [`Error::Rpc`] and reverts.
pub async fn depositable_keys(client: &Client, module: &ModuleSetup) -> Result<U256, Error> {
    let summary = client
        .view(module.staking_module.address, IStakingModule::getStakingModuleSummaryCall {})
        .await?;
    Ok(summary._2)
}

/// Deposits `validators` keys: reads the attestation, has `guardians` sign it (ascending),
/// and sends `depositBufferedEther` from `from` (any account: the signatures are the
/// authority).
///
/// # Errors
/// [`Error::Options`] for an outside module; [`Error::Signer`]; any revert, decoded.
pub async fn deposit(
    client: &Client,
    deployment: &Deployment,
    from: Address,
    validators: u64,
    guardians: &[&PrivateKeySigner],
) -> Result<Receipt, Error> {
    let module = module(deployment)?;
    let call = signed_deposit(client, module, validators, guardians).await?;
    client.send(from, module.deposit_guard.address, call, U256::ZERO).await
}

/// The guard's `depositBufferedEther(validators, …)` call on the attestation of now, signed
/// by `guardians` in ascending order: what a depositor sends.
///
/// # Errors
/// [`Error::Signer`]; [`Error::Rpc`] and reverts from the reads.
pub async fn signed_deposit(
    client: &Client,
    module: &ModuleSetup,
    validators: u64,
    guardians: &[&PrivateKeySigner],
) -> Result<IDepositGuard::depositBufferedEtherCall, Error> {
    let seen = attestation(client, module).await?;
    let signatures: Vec<Bytes> = sign_ascending(seen.digest, guardians)?;
    Ok(IDepositGuard::depositBufferedEtherCall {
        validators: U256::from(validators),
        block_number: U256::from(seen.block_number),
        block_hash: seen.block_hash,
        deposit_root: seen.deposit_root,
        nonce: seen.nonce,
        signatures,
    })
}

/// One of the staking module's deposited keys: the validator it made is the protocol's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepositedKey {
    /// The node operator's id.
    pub operator: u64,
    /// The key's index among the operator's keys (deposits go in index order, so a lower index
    /// is an older deposit).
    pub index: u64,
    /// The validator's BLS public key.
    pub pubkey: [u8; PUBKEY_LENGTH],
}

/// Keys read per `getSigningKeys` call: 100 keys are 14.4 KB of return data, well inside any
/// node's `eth_call` limits.
const KEYS_PER_READ: u64 = 100;

/// One node operator's key counts as the module reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorCounts {
    /// The operator's id.
    pub id: u64,
    /// Keys deposited.
    pub deposited: u64,
    /// Validators the module counts as exited.
    pub exited: u64,
}

/// Every operator's counts after block `block` (`None`: the latest).
///
/// # Errors
/// [`Error::Rpc`] and reverts from the reads; [`Error::Options`] for an operator count beyond
/// `u64`.
pub async fn operator_counts(
    client: &Client,
    module: Address,
    block: Option<u64>,
) -> Result<Vec<OperatorCounts>, Error> {
    let operators = client
        .call_at(None, module, IStakingModule::getNodeOperatorsCountCall {}, U256::ZERO, block)
        .await?;
    let operators = u64::try_from(operators)
        .map_err(|_| Error::Options(format!("the module claims {operators} operators")))?;
    let mut out = Vec::new();
    for id in 0..operators {
        let record = client
            .call_at(
                None,
                module,
                IStakingModule::getNodeOperatorCall { node_operator_id: U256::from(id) },
                U256::ZERO,
                block,
            )
            .await?;
        // (active, name, reward address, manager, total, vetted, deposited, exited)
        out.push(OperatorCounts { id, deposited: record._6, exited: record._7 });
    }
    Ok(out)
}

/// Every key the module had deposited after block `block` (`None`: the latest), by operator
/// and index: the validators the protocol may count, whatever else carries its withdrawal
/// credentials.
///
/// # Errors
/// As [`operator_counts`] and [`keys_of`].
pub async fn deposited_keys(
    client: &Client,
    module: Address,
    block: Option<u64>,
) -> Result<Vec<DepositedKey>, Error> {
    let operators = operator_counts(client, module, block).await?;
    keys_of(client, module, &operators, block).await
}

/// The deposited keys of `operators` (read at the same `block`).
///
/// Deposited keys are a prefix of each operator's keys that removal never touches, so the
/// operator's deposited count and the keys below it are one consistent read at one block.
///
/// # Errors
/// [`Error::Rpc`] and reverts from the reads; [`Error::Options`] if the module answers keys
/// of the wrong length.
pub async fn keys_of(
    client: &Client,
    module: Address,
    operators: &[OperatorCounts],
    block: Option<u64>,
) -> Result<Vec<DepositedKey>, Error> {
    let mut keys = Vec::new();
    for &OperatorCounts { id: operator, deposited, .. } in operators {
        let id = U256::from(operator);
        let mut offset = 0;
        while offset < deposited {
            let limit = KEYS_PER_READ.min(deposited - offset);
            let page = client
                .call_at(
                    None,
                    module,
                    IStakingModule::getSigningKeysCall { node_operator_id: id, offset, limit },
                    U256::ZERO,
                    block,
                )
                .await?;
            let pubkeys = page._0.chunks_exact(PUBKEY_LENGTH);
            if !pubkeys.remainder().is_empty() || pubkeys.len() as u64 != limit {
                return Err(Error::Options(format!(
                    "the module answered {} bytes for {limit} keys of operator {operator}",
                    page._0.len()
                )));
            }
            for (index, pubkey) in (offset..).zip(pubkeys) {
                let mut key = [0u8; PUBKEY_LENGTH];
                key.copy_from_slice(pubkey);
                keys.push(DepositedKey { operator, index, pubkey: key });
            }
            offset += limit;
        }
    }
    Ok(keys)
}
