//! Exit reports as the committee's tooling makes them: the two packed lists built from
//! `(nodeOperatorId, value)` pairs and checked by the same parser the contracts use, the
//! EIP-712 digest (the oracle's `hashExitReport`), signatures in the order the oracle wants,
//! and the submission.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use tidepool_interfaces::exit_report::{self, Entry};

use crate::{report, Client, Deployment, Error, Receipt};
use tidepool_interfaces::IOracle;

/// `ExitReport` as the oracle's ABI defines it.
pub type ExitReport = IOracle::ExitReport;

/// The exit report for `ref_slot`: ask each `(nodeOperatorId, count)` of `exit_requests` to
/// exit its next `count` deposited keys; record each `(nodeOperatorId, totalExited)` of
/// `exited_counts`. Both lists in ascending id order.
///
/// # Errors
/// [`Error::ExitList`] for a list the oracle would refuse (ids not ascending, a zero count,
/// more than `MAX_EXIT_REQUESTS_PER_REPORT` exits).
pub fn build(
    consensus_version: u64,
    ref_slot: u64,
    exit_requests: &[Entry],
    exited_counts: &[Entry],
) -> Result<ExitReport, Error> {
    let requests = exit_report::encode(exit_requests);
    exit_report::exit_requests(&requests).map_err(Error::ExitList)?;
    let exited = exit_report::encode(exited_counts);
    exit_report::entries(&exited).map_err(Error::ExitList)?;
    Ok(ExitReport {
        consensusVersion: U256::from(consensus_version),
        refSlot: U256::from(ref_slot),
        exitRequests: requests.into(),
        exitedCounts: exited.into(),
    })
}

/// [`build`] for the oracle's current frame and consensus version, read from the chain.
///
/// # Errors
/// As [`build`]; the views' errors.
pub async fn prepare(
    client: &Client,
    deployment: &Deployment,
    exit_requests: &[Entry],
    exited_counts: &[Entry],
) -> Result<ExitReport, Error> {
    let oracle = deployment.contracts.oracle.address;
    let ref_slot = client.view(oracle, IOracle::getCurrentFrameCall {}).await?._0;
    let version = client.view(oracle, IOracle::getConsensusVersionCall {}).await?;
    build(version, ref_slot, exit_requests, exited_counts)
}

/// The digest committee members sign (the oracle's `hashExitReport`): EIP-712 under the
/// oracle's domain, as accounting reports.
pub fn exit_digest(data: &ExitReport, chain_id: u64, oracle: Address) -> B256 {
    data.eip712_signing_hash(&report::domain(chain_id, oracle))
}

/// Signs `data` with each key; the signatures in ascending signer order, as
/// `submitExitReport` requires.
///
/// # Errors
/// [`Error::Signer`] if a key cannot sign.
pub fn sign_exit(
    data: &ExitReport,
    chain_id: u64,
    oracle: Address,
    keys: &[&PrivateKeySigner],
) -> Result<Vec<Bytes>, Error> {
    report::sign_ascending(exit_digest(data, chain_id, oracle), keys)
}

/// Submits the exit report `data` with `signatures` to `oracle`, from `from` (anyone may
/// relay a signed report).
///
/// # Errors
/// The oracle's or the module's revert, decoded ([`Error::Reverted`]).
pub async fn submit_exit_report(
    client: &Client,
    oracle: Address,
    from: Address,
    data: ExitReport,
    signatures: Vec<Bytes>,
) -> Result<Receipt, Error> {
    let call = IOracle::submitExitReportCall { data, signatures };
    client.send(from, oracle, call, U256::ZERO).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_interfaces::exit_report::Malformed;

    #[test]
    fn lists_are_packed_and_checked_as_the_oracle_checks_them() {
        let data = build(1, 7_199, &[(0, 2), (3, 1)], &[(0, 5)]).expect("valid");
        assert_eq!(data.exitRequests.len(), 32);
        assert_eq!(&data.exitRequests[..16], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(data.exitedCounts.len(), 16);
        let err = |r: Result<ExitReport, Error>| match r {
            Err(Error::ExitList(m)) => m,
            other => panic!("expected a list error, got {other:?}"),
        };
        assert_eq!(
            err(build(1, 1, &[(3, 1), (0, 2)], &[])),
            Malformed::NotAscending { index: 1, id: 0, previous: 3 }
        );
        assert_eq!(err(build(1, 1, &[(0, 0)], &[])), Malformed::ZeroCount { id: 0 });
        assert_eq!(
            err(build(1, 1, &[(0, 101)], &[])),
            Malformed::TooMany { requested: 101, max: 100 }
        );
        assert_eq!(
            err(build(1, 1, &[], &[(2, 0), (2, 1)])),
            Malformed::NotAscending { index: 1, id: 2, previous: 2 }
        );
    }

    #[test]
    fn the_digest_binds_every_field_and_the_signatures_ascend() {
        let oracle = Address::with_last_byte(9);
        let data = build(1, 7_199, &[(0, 2)], &[]).expect("valid");
        let digest = exit_digest(&data, 412_346, oracle);
        let mut other = data.clone();
        other.exitedCounts = exit_report::encode(&[(0, 0)]).into();
        assert_ne!(digest, exit_digest(&other, 412_346, oracle));
        assert_ne!(digest, exit_digest(&data, 412_347, oracle));
        let keys: Vec<_> = (1..=3u8)
            .map(|n| PrivateKeySigner::from_bytes(&B256::with_last_byte(n)).expect("key"))
            .collect();
        let refs: Vec<_> = keys.iter().rev().collect();
        let signers: Vec<Address> = sign_exit(&data, 412_346, oracle, &refs)
            .expect("signs")
            .iter()
            .map(|s| {
                alloy_primitives::Signature::try_from(s.as_ref())
                    .expect("65 bytes")
                    .recover_address_from_prehash(&digest)
                    .expect("recovers")
            })
            .collect();
        let mut sorted = signers.clone();
        sorted.sort();
        assert_eq!(signers, sorted);
    }
}
