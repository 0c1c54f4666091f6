//! Validator statuses as the beacon API names them, derived from a validator's epochs as the
//! spec's status table does: one definition for the simulated beacon chain that serves them
//! and the committee's tools that read them.

use core::fmt;

/// `FAR_FUTURE_EPOCH`: an epoch not yet set.
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;

/// A validator's status (the beacon-APIs `ValidatorStatus`), derived from its epochs, slashed
/// flag and balance at a state's epoch exactly as the spec's status table does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValidatorStatus {
    /// Deposited, balance below 32 ETH (not yet eligible for activation).
    PendingInitialized,
    /// Eligible, waiting for its activation epoch.
    PendingQueued,
    /// Active, no exit scheduled.
    ActiveOngoing,
    /// Active, voluntary exit scheduled.
    ActiveExiting,
    /// Active, slashed (forced exit scheduled).
    ActiveSlashed,
    /// Exited voluntarily, not yet withdrawable.
    ExitedUnslashed,
    /// Exited after slashing, not yet withdrawable.
    ExitedSlashed,
    /// Withdrawable, balance not yet swept.
    WithdrawalPossible,
    /// Withdrawable and swept to zero.
    WithdrawalDone,
}

impl ValidatorStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [ValidatorStatus; 9] = [
        Self::PendingInitialized,
        Self::PendingQueued,
        Self::ActiveOngoing,
        Self::ActiveExiting,
        Self::ActiveSlashed,
        Self::ExitedUnslashed,
        Self::ExitedSlashed,
        Self::WithdrawalPossible,
        Self::WithdrawalDone,
    ];

    /// The beacon API's name (`active_ongoing`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingInitialized => "pending_initialized",
            Self::PendingQueued => "pending_queued",
            Self::ActiveOngoing => "active_ongoing",
            Self::ActiveExiting => "active_exiting",
            Self::ActiveSlashed => "active_slashed",
            Self::ExitedUnslashed => "exited_unslashed",
            Self::ExitedSlashed => "exited_slashed",
            Self::WithdrawalPossible => "withdrawal_possible",
            Self::WithdrawalDone => "withdrawal_done",
        }
    }

    /// The status the beacon API names `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether it has exited (or is withdrawable, or withdrawn): it no longer earns, and its
    /// operator counts it as exited.
    pub fn has_exited(self) -> bool {
        matches!(self.coarse(), "exited" | "withdrawal")
    }

    /// Whether its exit has begun or is behind it (exiting, slashed, exited or withdrawn):
    /// asking it to exit again achieves nothing.
    pub fn is_leaving(self) -> bool {
        self.has_exited() || matches!(self, Self::ActiveExiting | Self::ActiveSlashed)
    }

    /// The coarse status (`pending`, `active`, `exited`, `withdrawal`) it belongs to.
    pub fn coarse(self) -> &'static str {
        match self {
            Self::PendingInitialized | Self::PendingQueued => "pending",
            Self::ActiveOngoing | Self::ActiveExiting | Self::ActiveSlashed => "active",
            Self::ExitedUnslashed | Self::ExitedSlashed => "exited",
            Self::WithdrawalPossible | Self::WithdrawalDone => "withdrawal",
        }
    }

    /// The status at `epoch` of a validator with these epochs, slashed flag and balance.
    pub fn at(epoch: u64, epochs: &ValidatorEpochs, slashed: bool, balance_gwei: u64) -> Self {
        if epochs.activation > epoch {
            if epochs.activation_eligibility == FAR_FUTURE_EPOCH {
                Self::PendingInitialized
            } else {
                Self::PendingQueued
            }
        } else if epoch < epochs.exit {
            if epochs.exit == FAR_FUTURE_EPOCH {
                Self::ActiveOngoing
            } else if slashed {
                Self::ActiveSlashed
            } else {
                Self::ActiveExiting
            }
        } else if epoch < epochs.withdrawable {
            if slashed {
                Self::ExitedSlashed
            } else {
                Self::ExitedUnslashed
            }
        } else if balance_gwei > 0 {
            Self::WithdrawalPossible
        } else {
            Self::WithdrawalDone
        }
    }
}

impl fmt::Display for ValidatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validator's life-cycle epochs, [`FAR_FUTURE_EPOCH`] until set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatorEpochs {
    /// When it became eligible for activation (its balance reached 32 ETH).
    pub activation_eligibility: u64,
    /// When it activates.
    pub activation: u64,
    /// When it exits.
    pub exit: u64,
    /// When its whole balance may be withdrawn.
    pub withdrawable: u64,
}

impl Default for ValidatorEpochs {
    fn default() -> Self {
        Self {
            activation_eligibility: FAR_FUTURE_EPOCH,
            activation: FAR_FUTURE_EPOCH,
            exit: FAR_FUTURE_EPOCH,
            withdrawable: FAR_FUTURE_EPOCH,
        }
    }
}
