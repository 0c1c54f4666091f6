//! The daemon's Prometheus metrics (OpenMetrics text at `GET /metrics`). Each says what an
//! operator alerts on; the committee page of the README lists what each alert means.

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

use super::{exchange::Kind, Wait};

/// A report kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// `accounting` or `exits`.
    pub kind: String,
}

/// A report kind and a state or outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindReason {
    /// `accounting` or `exits`.
    pub kind: String,
    /// What it waits for, or how a submission ended.
    pub reason: String,
}

/// An endpoint class: `rpc`, `beacon` or `peer`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    /// The class.
    pub endpoint: String,
}

/// Every metric the daemon exports.
#[derive(Debug, Default)]
pub struct Metrics {
    registry: Registry,
    /// The running frame's reference slot.
    pub frame: Gauge,
    /// The last reference slot a report of each kind was applied for.
    pub last_reported: Family<KindLabel, Gauge>,
    /// Verified member signatures held for the leading digest of the running frame.
    pub signatures: Family<KindLabel, Gauge>,
    /// Signatures still missing for a quorum (0 once reached).
    pub missing: Family<KindLabel, Gauge>,
    /// Members seen signing another digest than this daemon built.
    pub mismatches: Family<KindLabel, Counter>,
    /// Submissions by outcome: `accepted`, `reverted`, `error`, `dry_run`.
    pub submissions: Family<KindReason, Counter>,
    /// Failed requests per endpoint class.
    pub endpoint_errors: Family<EndpointLabel, Counter>,
    /// The submitting account's balance, in gwei.
    pub balance_gwei: Gauge,
    /// 1 for what each report kind waits for now, 0 for the other reasons.
    pub waiting: Family<KindReason, Gauge>,
    /// Times this member refused to sign a second digest for a frame.
    pub second_digests: Counter,
    /// Unix time of the last completed cycle.
    pub last_cycle: Gauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut m = Self::default();
        let r = &mut m.registry;
        r.register(
            "tidepool_oracle_frame_ref_slot",
            "The running frame's reference slot",
            m.frame.clone(),
        );
        r.register(
            "tidepool_oracle_last_reported_ref_slot",
            "Reference slot of the last applied report of each kind",
            m.last_reported.clone(),
        );
        r.register(
            "tidepool_oracle_signatures",
            "Verified member signatures held for the running frame's leading digest",
            m.signatures.clone(),
        );
        r.register(
            "tidepool_oracle_signatures_missing",
            "Signatures still missing for a quorum",
            m.missing.clone(),
        );
        r.register(
            "tidepool_oracle_digest_mismatches",
            "Members seen signing another digest than this daemon built",
            m.mismatches.clone(),
        );
        r.register(
            "tidepool_oracle_submissions",
            "Report submissions by outcome (accepted, reverted, error, dry_run)",
            m.submissions.clone(),
        );
        r.register(
            "tidepool_oracle_endpoint_errors",
            "Failed requests per endpoint class (rpc, beacon, peer)",
            m.endpoint_errors.clone(),
        );
        r.register(
            "tidepool_oracle_submitter_balance_gwei",
            "The submitting account's balance in gwei",
            m.balance_gwei.clone(),
        );
        r.register(
            "tidepool_oracle_waiting",
            "1 for what each report kind waits for now",
            m.waiting.clone(),
        );
        r.register(
            "tidepool_oracle_second_digest_refusals",
            "Times this member refused to sign a second digest for one frame",
            m.second_digests.clone(),
        );
        r.register(
            "tidepool_oracle_last_cycle_timestamp_seconds",
            "Unix time of the last completed cycle",
            m.last_cycle.clone(),
        );
        m
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Records what `kind` waits for: that reason 1, the others 0.
    pub fn wait(&self, kind: Kind, wait: Wait) {
        for w in Wait::ALL {
            let label = KindReason { kind: kind.label().into(), reason: w.label().into() };
            self.waiting.get_or_create(&label).set(i64::from(w == wait));
        }
    }

    /// Counts a failed request to an endpoint of `class`.
    pub fn endpoint_error(&self, class: &str) {
        self.endpoint_errors.get_or_create(&EndpointLabel { endpoint: class.into() }).inc();
    }

    /// Counts a submission's outcome.
    pub fn submission(&self, kind: Kind, outcome: &str) {
        let label = KindReason { kind: kind.label().into(), reason: outcome.into() };
        self.submissions.get_or_create(&label).inc();
    }

    /// A per-kind gauge's label.
    pub fn kind(kind: Kind) -> KindLabel {
        KindLabel { kind: kind.label().into() }
    }
}
