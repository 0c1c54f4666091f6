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
