//! Report files and signature files: what members build, sign and exchange, and the checks
//! that make a bad one fail loudly before it reaches the chain.
//!
//! A member builds the report for the frame now running from the beacon chain at the
//! frame's reference slot and from the chain's state after the last block at or before that
//! slot's time, so two members who build from the same sources get the same data and the
//! same EIP-712 digest whenever they run. Each signs the digest into a signature file; any
//! one of them (or anyone) gathers the files and submits once a quorum has signed.

use std::path::Path;

use alloy_primitives::{Address, Bytes, Signature, B256, U256};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tidepool_deploy::{
    deposit,
    report::{self as reports, Observation, ReportData},
    Client, Deployment, PrivateKeySigner, Receipt, SignerSync,
};
use tidepool_interfaces::{IOracle, IPool};
use tidepool_math::oracle_report::{self, GWEI};

use crate::beacon::{BeaconError, BeaconSource, Ownership, ValidatorSummary};

/// Why building, signing or submitting failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitteeError {
    /// The chain or a contract said no (decoded revert, RPC failure).
    #[error(transparent)]
    Chain(#[from] tidepool_deploy::Error),
    /// The beacon chain could not be read.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The report is for another frame than the one running.
    #[error(
        "the report is for reference slot {report}, but the frame now running has reference \
         slot {current}: build a new report"
    )]
    WrongFrame {
        /// The report's slot.
        report: u64,
        /// The running frame's.
        current: u64,
    },
    /// A file's digest differs from the report's.
    #[error("digest mismatch: {whose} has {theirs}, the report has {ours}; members built different reports (compare their sources and --bunker)")]
    DigestMismatch {
        /// Whose digest differs (a signer, or the report file itself).
        whose: String,
        /// Their digest.
        theirs: B256,
        /// The report's.
        ours: B256,
    },
    /// A signature file is for another chain or oracle.
    #[error("{path} is for chain {chain_id} and oracle {oracle}, not this deployment")]
    OtherDeployment {
        /// The file.
        path: String,
        /// Its chain.
        chain_id: u64,
        /// Its oracle.
        oracle: Address,
    },
    /// A signature does not recover to the signer its file names.
    #[error("the signature in {path} is not {claimed}'s (it recovers to {recovered})")]
    SignerMismatch {
        /// The file.
        path: String,
        /// The signer it names.
        claimed: Address,
        /// Who actually signed.
        recovered: Address,
    },
    /// A signer is not a member of the committee.
    #[error("{signer} signed but is not a committee member")]
    NotMember {
        /// The signer.
        signer: Address,
    },
    /// Not enough distinct members signed.
    #[error("{have} of {need} signatures: {} more needed", need - have)]
    QuorumNotReached {
        /// Distinct member signatures.
        have: u64,
        /// The quorum.
        need: u64,
    },
    /// The beacon node follows another chain than the oracle.
    #[error("the beacon chain's genesis is {beacon}, the oracle's is {oracle}: wrong beacon node")]
    GenesisMismatch {
        /// The beacon node's genesis time.
        beacon: u64,
        /// The oracle's.
        oracle: u64,
    },
    /// The frame's reference slot is older than the deployment: there is no state to report.
    #[error(
        "reference slot {ref_slot} is older than the deployment (block {block}): the first \
         report is for the next frame"
    )]
    BeforeDeployment {
        /// The reference slot.
        ref_slot: u64,
        /// The deployment's first block.
        block: u64,
    },
    /// Exit reports need the deployment's own staking module (its keys and exit counts).
    #[error("this deployment uses an outside staking module: it has no exit reports")]
    NoModule,
    /// The reference slot is not finalized on the beacon chain yet.
    #[error("reference slot {ref_slot} is not finalized yet (finalized: {finalized}); wait")]
    NotFinalized {
        /// The reference slot.
        ref_slot: u64,
        /// The finalized slot.
        finalized: u64,
    },
}

/// What `report build` writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportFile {
    /// The chain.
    pub chain_id: u64,
    /// The oracle the digest is bound to.
    pub oracle: Address,
    /// The last slot at which the oracle takes this report.
    pub deadline_slot: u64,
    /// The block whose state the report reads.
    pub state_block: u64,
    /// Validators read from the beacon chain (all of them, ours or not).
    pub validators_scanned: u64,
    /// Validators with the vault's withdrawal credentials that are not the protocol's (no
    /// deposited key of the staking module): read and left out of the report.
    #[serde(default)]
    pub foreign_validators: u64,
    /// The report, as the oracle's ABI defines it (JSON keys are its field names; numbers are
    /// hex strings, never lossy floats).
    pub data: ReportData,
    /// Its EIP-712 digest, what members sign.
    pub digest: B256,
}

/// What `report sign` writes: one member's signature of one digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureFile {
    /// The chain.
    pub chain_id: u64,
    /// The oracle.
    pub oracle: Address,
    /// The report's reference slot.
    pub ref_slot: u64,
    /// The digest signed.
    pub digest: B256,
    /// Who signed.
    pub signer: Address,
    /// 65 bytes: r, s, v.
    pub signature: Bytes,
}

/// Reads a JSON file.
///
/// # Errors
/// [`CommitteeError::File`].
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, CommitteeError> {
    let file = |message: String| CommitteeError::File { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| file(e.to_string()))
}

/// Writes a JSON file.
///
/// # Errors
/// [`CommitteeError::File`].
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CommitteeError> {
    let file = |message: String| CommitteeError::File { path: path.display().to_string(), message };
    let mut text = serde_json::to_string_pretty(value).map_err(|e| file(e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| file(e.to_string()))
}

/// Whether the report is in bunker mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Bunker {
    /// On when the consensus layer lost ether over the frame (balance plus withdrawals
    /// below the previous balance plus new deposits): part of Lido's rule, the part every
    /// member computes the same way from the same sources.
    #[default]
    Auto,
    /// The committee declares it.
    On,
    /// The committee declares it off.
    Off,
}

/// The frame now running: `(refSlot, deadlineSlot)`.
pub async fn current_frame(client: &Client, d: &Deployment) -> Result<(u64, u64), CommitteeError> {
    let f = client.view(d.contracts.oracle.address, IOracle::getCurrentFrameCall {}).await?;
    Ok((f._0, f._1))
}

/// The running frame as a report for it sees it.
pub(crate) struct Frame {
    /// Its reference slot.
    pub ref_slot: u64,
    /// Its deadline.
    pub deadline_slot: u64,
    /// The last block at or before the reference slot's time, whose state the report reads.
    pub state_block: u64,
}

/// The running frame, after checking that `beacon` is the oracle's beacon chain (same genesis)
/// and has finalized the reference slot.
///
/// # Errors
/// [`CommitteeError::GenesisMismatch`], [`CommitteeError::NotFinalized`],
/// [`CommitteeError::BeforeDeployment`], beacon and chain errors.
pub(crate) async fn frame(
    client: &Client,
    d: &Deployment,
    beacon: &BeaconSource,
) -> Result<Frame, CommitteeError> {
    let (ref_slot, deadline_slot) = current_frame(client, d).await?;
    let chain = reports::chain_config(client, d.contracts.oracle.address).await?;
    let beacon_genesis = beacon.genesis_time().await?;
    if beacon_genesis != chain.genesis_time {
        return Err(CommitteeError::GenesisMismatch {
            beacon: beacon_genesis,
            oracle: chain.genesis_time,
        });
    }
    if let Some(finalized) = beacon.finalized_slot().await? {
        if finalized < ref_slot {
            return Err(CommitteeError::NotFinalized { ref_slot, finalized });
        }
    }
    // The report's timestamp, as the oracle will compute it; beyond u64, no block is that late.
    let ref_time = oracle_report::report_timestamp(&chain, ref_slot).unwrap_or(u64::MAX);
    let state_block = client
        .last_block_at(d.block, ref_time)
        .await?
        .ok_or(CommitteeError::BeforeDeployment { ref_slot, block: d.block })?;
    Ok(Frame { ref_slot, deadline_slot, state_block })
}

/// Builds the report for the frame now running. `progress` hears how many validators have
/// been read.
///
/// # Errors
/// [`CommitteeError::GenesisMismatch`], [`CommitteeError::NotFinalized`], beacon and chain
/// errors.
pub async fn build(
    client: &Client,
    d: &Deployment,
    beacon: &BeaconSource,
    bunker: Bunker,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ReportFile, CommitteeError> {
    let oracle = d.contracts.oracle.address;
    let Frame { ref_slot, deadline_slot, state_block } = frame(client, d, beacon).await?;
    let ownership = ownership(client, d, state_block).await?;
    let summary = beacon.validators(ref_slot, &ownership, progress).await?;
    let ValidatorSummary { scanned, validators, balance_gwei, foreign, .. } = summary;

    let bunker = match bunker {
        Bunker::On => true,
        Bunker::Off => false,
        Bunker::Auto => {
            let pool = d.contracts.pool.address;
            let stat = client
                .call_at(None, pool, IPool::getBeaconStatCall {}, U256::ZERO, Some(state_block))
                .await?;
            let (seen_before, balance_before) = (stat._1, stat._2);
            let appeared = U256::from(validators).saturating_sub(seen_before);
            // The oracle's own test of a loss: less than the principal it judges balances by.
            let principal =
                oracle_report::cl_principal(balance_before, appeared).unwrap_or(U256::MAX);
            let withdrawn =
                client.balance_at(d.contracts.withdrawal_vault.address, Some(state_block)).await?;
            U256::from(balance_gwei) * GWEI + withdrawn < principal
        }
    };
    let seen = Observation {
        cl_validators: validators,
        cl_balance_gwei: balance_gwei,
        bunker,
        finalize: true,
        ..Observation::default()
    };
    let prepared = reports::prepare_at(client, d, &seen, Some(state_block)).await?;
    let digest = reports::digest(&prepared.data, d.chain_id, oracle);
    Ok(ReportFile {
        chain_id: d.chain_id,
        oracle,
        deadline_slot,
        state_block,
        validators_scanned: scanned,
        foreign_validators: foreign,
        data: prepared.data.clone(),
        digest,
    })
}

/// Which validators are the protocol's at `block`: the staking module's deposited keys then,
/// or, for a deployment with an outside module that cannot list them, every validator with the
/// vault's credentials.
///
/// # Errors
/// Chain errors.
pub async fn ownership(
    client: &Client,
    d: &Deployment,
    block: u64,
) -> Result<Ownership, CommitteeError> {
    let vault = d.contracts.withdrawal_vault.address;
    Ok(match &d.module {
        Some(module) => {
            let keys =
                deposit::deposited_keys(client, module.staking_module.address, Some(block)).await?;
            Ownership::keys(vault, &keys)
        }
        None => Ownership::credentials(vault),
    })
}

/// A report file members sign: the accounting report ([`ReportFile`]) or the exit report
/// ([`crate::exits::ExitReportFile`]). Signing, checking and ordering signatures is the same
/// for both; only the digest's type differs.
pub trait Signable {
    /// The chain.
    fn chain_id(&self) -> u64;
    /// The oracle the digest is bound to.
    fn oracle(&self) -> Address;
    /// The frame's reference slot.
    fn ref_slot(&self) -> u64;
    /// The recorded digest.
    fn digest(&self) -> B256;
    /// Fails if the recorded digest is not the digest of the recorded data (an edited file).
    ///
    /// # Errors
    /// [`CommitteeError::DigestMismatch`].
    fn check_digest(&self) -> Result<(), CommitteeError>;
}

/// [`CommitteeError::DigestMismatch`] unless `recorded` is `computed`.
pub(crate) fn same_digest(recorded: B256, computed: B256) -> Result<(), CommitteeError> {
    if recorded == computed {
        Ok(())
    } else {
        Err(CommitteeError::DigestMismatch {
            whose: "the report file".into(),
            theirs: recorded,
            ours: computed,
        })
    }
}

impl Signable for ReportFile {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }
    fn oracle(&self) -> Address {
        self.oracle
    }
    fn ref_slot(&self) -> u64 {
        self.data.refSlot.saturating_to()
    }
    fn digest(&self) -> B256 {
        self.digest
    }
    fn check_digest(&self) -> Result<(), CommitteeError> {
        same_digest(self.digest, reports::digest(&self.data, self.chain_id, self.oracle))
    }
}

/// Signs `report` with `key`, after checking its digest and that its frame is running.
///
/// # Errors
/// [`CommitteeError::DigestMismatch`], [`CommitteeError::WrongFrame`], chain errors.
pub async fn sign(
    client: &Client,
    d: &Deployment,
    report: &impl Signable,
    key: &PrivateKeySigner,
) -> Result<SignatureFile, CommitteeError> {
    report.check_digest()?;
    check_deployment(d, report.chain_id(), report.oracle(), "the report")?;
    let (current, _) = current_frame(client, d).await?;
    if current != report.ref_slot() {
        return Err(CommitteeError::WrongFrame { report: report.ref_slot(), current });
    }
    let signature = key
        .sign_hash_sync(&report.digest())
        .map_err(|e| tidepool_deploy::Error::Signer(e.to_string()))?;
    Ok(SignatureFile {
        chain_id: report.chain_id(),
        oracle: report.oracle(),
        ref_slot: report.ref_slot(),
        digest: report.digest(),
        signer: key.address(),
        signature: Bytes::from(signature.as_bytes().to_vec()),
    })
}

fn check_deployment(
    d: &Deployment,
    chain_id: u64,
    oracle: Address,
    path: &str,
) -> Result<(), CommitteeError> {
    if chain_id == d.chain_id && oracle == d.contracts.oracle.address {
        Ok(())
    } else {
        Err(CommitteeError::OtherDeployment { path: path.to_owned(), chain_id, oracle })
    }
}

/// Checks the signature files against `report` and the committee, and returns the
/// signatures of distinct members in ascending signer order, as `submitReport` takes them.
///
/// # Errors
/// [`CommitteeError::DigestMismatch`], [`CommitteeError::SignerMismatch`],
/// [`CommitteeError::NotMember`], [`CommitteeError::QuorumNotReached`], chain errors.
pub async fn aggregate(
    client: &Client,
    d: &Deployment,
    report: &impl Signable,
    signatures: &[(String, SignatureFile)],
) -> Result<Vec<Bytes>, CommitteeError> {
    report.check_digest()?;
    let oracle = d.contracts.oracle.address;
    let mut chosen: Vec<(Address, Bytes)> = Vec::new();
    for (path, s) in signatures {
        check_deployment(d, s.chain_id, s.oracle, path)?;
        if s.digest != report.digest() {
            return Err(CommitteeError::DigestMismatch {
                whose: format!("{} ({path})", s.signer),
                theirs: s.digest,
                ours: report.digest(),
            });
        }
        let recovered = Signature::try_from(s.signature.as_ref())
            .and_then(|sig| sig.recover_address_from_prehash(&report.digest()))
            .map_err(|e| CommitteeError::File { path: path.clone(), message: e.to_string() })?;
        if recovered != s.signer {
            return Err(CommitteeError::SignerMismatch {
                path: path.clone(),
                claimed: s.signer,
                recovered,
            });
        }
        if !client.view(oracle, IOracle::isMemberCall { account: s.signer }).await? {
            return Err(CommitteeError::NotMember { signer: s.signer });
        }
        if !chosen.iter().any(|(a, _)| *a == s.signer) {
            chosen.push((s.signer, s.signature.clone()));
        }
    }
    let quorum = client.view(oracle, IOracle::getQuorumCall {}).await?;
    let have = chosen.len() as u64;
    if have < quorum {
        return Err(CommitteeError::QuorumNotReached { have, need: quorum });
    }
    chosen.sort_by_key(|(a, _)| *a);
    Ok(chosen.into_iter().map(|(_, s)| s).collect())
}

/// Aggregates and submits from `from` (any funded account: the report is permissionless).
///
/// # Errors
/// As [`aggregate`]; [`CommitteeError::WrongFrame`]; the oracle's revert, decoded.
pub async fn submit(
    client: &Client,
    d: &Deployment,
    report: &ReportFile,
    signatures: &[(String, SignatureFile)],
    from: Address,
) -> Result<Receipt, CommitteeError> {
    let ordered = aggregate(client, d, report, signatures).await?;
    let (current, _) = current_frame(client, d).await?;
    if current != report.ref_slot() {
        return Err(CommitteeError::WrongFrame { report: report.ref_slot(), current });
    }
    Ok(reports::submit(client, d, from, report.data.clone(), ordered).await?)
}

/// The oracle's state, for `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The running frame's reference slot.
    pub ref_slot: u64,
    /// Its processing deadline.
    pub deadline_slot: u64,
    /// The beacon slot the chain's clock is at.
    pub current_slot: u64,
    /// The last reference slot a report was applied for.
    pub last_processed: u64,
    /// Committee members.
    pub members: Vec<Address>,
    /// The quorum.
    pub quorum: u64,
    /// The sanity limits.
    pub limits: IOracle::OracleReportLimits,
    /// The pool's positive-rebase cap (1e9 = 100%), which reports are smoothed to and checked
    /// against: the pool's setting, not one of the oracle's limits.
    pub max_positive_rebase: u64,
}

/// Reads the oracle's state.
///
/// # Errors
/// Chain errors.
pub async fn status(client: &Client, d: &Deployment) -> Result<Status, CommitteeError> {
    let oracle = d.contracts.oracle.address;
    let (ref_slot, deadline_slot) = current_frame(client, d).await?;
    let chain = reports::chain_config(client, oracle).await?;
    let (_, now) = client.latest_block().await?;
    let current_slot = chain.slot_at(now).unwrap_or(0);
    Ok(Status {
        ref_slot,
        deadline_slot,
        current_slot,
        last_processed: client.view(oracle, IOracle::getLastProcessingRefSlotCall {}).await?,
        members: client.view(oracle, IOracle::getMembersCall {}).await?,
        quorum: client.view(oracle, IOracle::getQuorumCall {}).await?,
        limits: client.view(oracle, IOracle::getOracleReportLimitsCall {}).await?,
        max_positive_rebase: client
            .view(d.contracts.pool.address, IPool::getMaxPositiveRebaseCall {})
            .await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> ReportFile {
        let data = ReportData {
            consensusVersion: U256::from(1u8),
            refSlot: U256::from(7_231u64),
            numValidators: U256::from(3u8),
            clBalanceGwei: U256::from(96_000_000_000u64),
            withdrawalFinalizationBatches: vec![U256::from(4u8)],
            simulatedShareRate: U256::from(10u64).pow(U256::from(27u8)),
            ..ReportData::default()
        };
        let oracle = Address::with_last_byte(7);
        ReportFile {
            chain_id: 412_346,
            oracle,
            deadline_slot: 14_430,
            state_block: 40,
            validators_scanned: 100,
            foreign_validators: 0,
            digest: reports::digest(&data, 412_346, oracle),
            data,
        }
    }

    #[test]
    fn report_files_round_trip_through_json_with_their_digest() {
        let f = file();
        let text = serde_json::to_string(&f).expect("json");
        let back: ReportFile = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, f);
        back.check_digest().expect("digest matches");
    }

    #[test]
    fn report_json_keys_are_the_abi_field_names() {
        let json = serde_json::to_value(file().data).expect("json");
        let mut keys: Vec<&str> =
            json.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "clBalanceGwei",
                "consensusVersion",
                "elRewardsVaultBalance",
                "isBunkerMode",
                "numValidators",
                "refSlot",
                "simulatedShareRate",
                "withdrawalFinalizationBatches",
                "withdrawalVaultBalance",
            ]
        );
        assert_eq!(json["refSlot"], "0x1c3f");
    }

    #[test]
    fn an_edited_report_file_is_refused() {
        let mut f = file();
        f.data.clBalanceGwei += U256::from(1u8);
        assert!(matches!(f.check_digest(), Err(CommitteeError::DigestMismatch { .. })));
    }

    #[test]
    fn quorum_message_says_how_many_more() {
        let e = CommitteeError::QuorumNotReached { have: 1, need: 3 };
        assert_eq!(e.to_string(), "1 of 3 signatures: 2 more needed");
    }
}
