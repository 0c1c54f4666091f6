//! The coarse filters of the validators endpoint, over the statuses of
//! [`tidepool_beacon::status`].

use std::str::FromStr;

use tidepool_beacon::status::ValidatorStatus;

/// A `status` filter of the validators endpoint: one status, or a coarse one that expands to
/// its sub-statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this status.
    Exact(ValidatorStatus),
    /// Any status whose [`ValidatorStatus::coarse`] is this.
    Coarse(&'static str),
}

impl StatusFilter {
    /// Whether `status` passes.
    pub fn matches(self, status: ValidatorStatus) -> bool {
        match self {
            Self::Exact(s) => s == status,
            Self::Coarse(c) => status.coarse() == c,
        }
    }
}

/// A `status` value the beacon API does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown validator status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for StatusFilter {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(status) = ValidatorStatus::from_name(s) {
            return Ok(Self::Exact(status));
        }
        ["pending", "active", "exited", "withdrawal"]
            .into_iter()
            .find(|c| *c == s)
            .map(Self::Coarse)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}
