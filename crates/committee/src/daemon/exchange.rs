//! How members' signatures meet: each daemon serves the signed reports it holds for a frame
//! (`GET /v1/frames/{refSlot}`) and takes others' (`POST /v1/signatures`). Nothing about the
//! transport is trusted: a signed report counts only once its digest is recomputed from its
//! data for this chain and oracle and its signature recovers to a current committee member.

use std::fmt;

use alloy_primitives::{Address, Bytes, Signature, B256};
use serde::{Deserialize, Serialize};
use tidepool_deploy::{
    exit_report::{exit_digest, ExitReport},
    report::{self as reports, ReportData},
    PrivateKeySigner, SignerSync,
};

/// The two reports a frame has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// The accounting report (`submitReport`).
    Accounting,
    /// The exit report (`submitExitReport`).
    Exits,
}

impl Kind {
    /// Both, in the order the daemon handles them.
    pub const ALL: [Kind; 2] = [Kind::Accounting, Kind::Exits];

    /// Its label in logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Accounting => "accounting",
            Kind::Exits => "exits",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A report of either kind, as the oracle's ABI defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "camelCase")]
pub enum FrameReport {
    /// An accounting report.
    Accounting(ReportData),
    /// An exit report.
    Exits(ExitReport),
}

impl FrameReport {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            FrameReport::Accounting(_) => Kind::Accounting,
            FrameReport::Exits(_) => Kind::Exits,
        }
    }

    /// Its reference slot (saturated: a slot beyond u64 is no frame's).
    pub fn ref_slot(&self) -> u64 {
        match self {
            FrameReport::Accounting(d) => d.refSlot.saturating_to(),
            FrameReport::Exits(d) => d.refSlot.saturating_to(),
        }
    }

    /// Its EIP-712 digest for `chain_id` and `oracle` (what `hashReport` or `hashExitReport`
    /// returns).
    pub fn digest(&self, chain_id: u64, oracle: Address) -> B256 {
        match self {
            FrameReport::Accounting(d) => reports::digest(d, chain_id, oracle),
            FrameReport::Exits(d) => exit_digest(d, chain_id, oracle),
        }
    }

    /// The fields in which `other` differs from this report, by their ABI names.
    pub fn differing_fields(&self, other: &FrameReport) -> Vec<String> {
        if self.kind() != other.kind() {
            return vec!["kind".into()];
        }
        let (Ok(a), Ok(b)) = (serde_json::to_value(self), serde_json::to_value(other)) else {
            return vec!["(unreadable)".into()];
        };
        let (Some(a), Some(b)) = (a["data"].as_object(), b["data"].as_object()) else {
            return vec!["(unreadable)".into()];
        };
        let mut fields: Vec<String> = a
            .iter()
            .filter(|(k, v)| b.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.clone())
            .collect();
        fields.sort();
        fields
    }
}

/// One member's signature of one report, with the report: what daemons exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedReport {
    /// The chain.
    pub chain_id: u64,
    /// The oracle the digest is bound to.
    pub oracle: Address,
    /// The report.
    pub report: FrameReport,
    /// Its digest.
    pub digest: B256,
    /// Who signed.
    pub signer: Address,
    /// 65 bytes: r, s, v.
    pub signature: Bytes,
}

/// Why a signed report is not counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// For another chain or oracle.
    #[error("for chain {chain_id} and oracle {oracle}, not this deployment")]
    OtherDeployment {
        /// Its chain.
        chain_id: u64,
        /// Its oracle.
        oracle: Address,
    },
    /// The digest is not the data's.
    #[error("its digest {claimed} is not its data's ({computed})")]
    WrongDigest {
        /// What it says.
        claimed: B256,
        /// What the data hashes to.
        computed: B256,
    },
    /// The signature does not recover, or not to the named signer.
    #[error("the signature is not {claimed}'s")]
    WrongSigner {
        /// The signer it names.
        claimed: Address,
    },
    /// The signer is not on the committee now.
    #[error("{0} is not a committee member")]
    NotMember(Address),
    /// For another frame than the running one.
    #[error("for reference slot {got}, the running frame's is {running}")]
    OtherFrame {
        /// Its slot.
        got: u64,
        /// The running frame's.
        running: u64,
    },
}

impl SignedReport {
    /// Signs `report` for `chain_id` and `oracle` with `key`.
    ///
    /// # Errors
    /// [`tidepool_deploy::Error::Signer`] if the key cannot sign.
    pub fn sign(
        report: FrameReport,
        chain_id: u64,
        oracle: Address,
        key: &PrivateKeySigner,
    ) -> Result<Self, tidepool_deploy::Error> {
        let digest = report.digest(chain_id, oracle);
        let signature = key
            .sign_hash_sync(&digest)
            .map_err(|e| tidepool_deploy::Error::Signer(e.to_string()))?;
        Ok(Self {
            chain_id,
            oracle,
            report,
            digest,
            signer: key.address(),
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks everything but membership and frame: deployment, digest, signer.
    ///
    /// # Errors
    /// [`Refusal::OtherDeployment`], [`Refusal::WrongDigest`], [`Refusal::WrongSigner`].
    pub fn verify(&self, chain_id: u64, oracle: Address) -> Result<(), Refusal> {
        if self.chain_id != chain_id || self.oracle != oracle {
            return Err(Refusal::OtherDeployment { chain_id: self.chain_id, oracle: self.oracle });
        }
        let computed = self.report.digest(chain_id, oracle);
        if computed != self.digest {
            return Err(Refusal::WrongDigest { claimed: self.digest, computed });
        }
        let recovered = Signature::try_from(self.signature.as_ref())
            .and_then(|s| s.recover_address_from_prehash(&computed))
            .ok();
        if recovered != Some(self.signer) {
            return Err(Refusal::WrongSigner { claimed: self.signer });
        }
        Ok(())
    }
}

/// Talks to one peer daemon.
#[derive(Clone, Debug)]
pub struct Peer {
    base: String,
    http: reqwest::Client,
}

impl Peer {
    /// A peer at `base` (`http://host:port`).
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        Self { base: base.trim_end_matches('/').to_owned(), http }
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The signed reports it holds for the frame at `ref_slot`.
    ///
    /// # Errors
    /// The HTTP error or status, as text.
    pub async fn frame(&self, ref_slot: u64) -> Result<Vec<SignedReport>, String> {
        let url = format!("{}/v1/frames/{ref_slot}", self.base);
        let answer = self.http.get(&url).send().await.map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("{url}: HTTP {}", answer.status()));
        }
        let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{url}: {e}"))
    }

    /// Gives it `signed`.
    ///
    /// # Errors
    /// The HTTP error, or the peer's refusal.
    pub async fn push(&self, signed: &SignedReport) -> Result<(), String> {
        let url = format!("{}/v1/signatures", self.base);
        let body = serde_json::to_vec(signed).map_err(|e| e.to_string())?;
        let answer = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if answer.status().is_success() {
            Ok(())
        } else {
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            Err(format!("{url}: HTTP {status}: {text}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    const CHAIN: u64 = 412_346;

    fn oracle() -> Address {
        Address::with_last_byte(0x0c)
    }

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).expect("key")
    }

    fn report(balance: u64) -> FrameReport {
        FrameReport::Accounting(ReportData {
            consensusVersion: U256::from(1u8),
            refSlot: U256::from(7_231u64),
            numValidators: U256::from(2u8),
            clBalanceGwei: U256::from(balance),
            ..ReportData::default()
        })
    }

    #[test]
    fn a_signed_report_verifies_and_every_tampering_is_named() {
        let s = SignedReport::sign(report(64), CHAIN, oracle(), &key(1)).expect("signs");
        s.verify(CHAIN, oracle()).expect("valid");
        // JSON round trip: what travels between daemons.
        let back: SignedReport =
            serde_json::from_str(&serde_json::to_string(&s).expect("json")).expect("parses");
        assert_eq!(back, s);
        assert!(matches!(s.verify(CHAIN + 1, oracle()), Err(Refusal::OtherDeployment { .. })));
        let mut edited = s.clone();
        edited.report = report(65);
        assert!(matches!(edited.verify(CHAIN, oracle()), Err(Refusal::WrongDigest { .. })));
        let mut claimed = s.clone();
        claimed.signer = key(2).address();
        assert_eq!(
            claimed.verify(CHAIN, oracle()),
            Err(Refusal::WrongSigner { claimed: key(2).address() })
        );
        let mut garbage = s;
        garbage.signature = Bytes::from(vec![1u8; 65]);
        assert!(garbage.verify(CHAIN, oracle()).is_err());
    }

    #[test]
    fn differing_fields_name_what_members_disagree_on() {
        assert_eq!(report(64).differing_fields(&report(65)), ["clBalanceGwei"]);
        assert!(report(64).differing_fields(&report(64)).is_empty());
        let exits = FrameReport::Exits(ExitReport::default());
        assert_eq!(report(64).differing_fields(&exits), ["kind"]);
        assert_eq!(exits.kind(), Kind::Exits);
    }
}
