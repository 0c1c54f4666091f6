//! Tidepool's accounting oracle: a committee of members signs one beacon-chain report per
//! frame; anyone submits the report with a quorum of signatures; the oracle checks it against
//! sanity limits and applies it with one call of the pool's `handleOracleReport`.
//!
//! # Committee
//! Members are added and removed with the new quorum in the same call (as Lido's
//! `HashConsensus`), so the committee never sits with a quorum meant for another size. The
//! quorum must exceed half the members: two disjoint quorums can never both sign, so two
//! conflicting reports for one frame cannot both reach it. A quorum above the member count is
//! allowed on purpose: it halts reporting (an emergency brake that needs no pause role).
//! A fresh oracle has no members and a quorum of 1, so nothing can be reported until the
//! committee is set up.
//!
//! # Frames
//! As Lido's `HashConsensus`: the chain configuration (genesis time, seconds per slot, slots
//! per epoch) is fixed at initialisation; frame `k` begins at epoch `initialEpoch + k *
//! epochsPerFrame`. A frame's report describes its reference slot, the last slot before the
//! frame began, and can be applied only while the frame lasts: the processing deadline is
//! the frame's last slot, the next frame's reference slot (Lido's deadline too). A report for
//! a reference slot at or before the last applied one is refused, so each frame is applied at
//! most once, in order. Members agree off chain (each signs the same EIP-712 digest), so the
//! on-chain cost is one transaction per frame instead of one per member; a frame without a
//! quorum simply has no report, and the next frame's report covers the longer time.
//!
//! # Signatures
//! `submitReport(data, signatures)` is permissionless. `signatures` holds one entry per
//! signing member, in strictly ascending order of the signer's address, which rejects
//! duplicates in one pass with no storage. Each entry is either
//! - 65 bytes `r ‖ s ‖ v`: an ECDSA signature (low `s`, `v` 27 or 28); the signer is the
//!   address it recovers to; or
//! - `abi.encode(address member, bytes signature)`: a contract member's signature, accepted
//!   when `member` has code and its EIP-1271 `isValidSignature(digest, signature)` answers
//!   the magic value; the signer is `member`. (This encoding is at least 128 bytes, so it can
//!   never be mistaken for an ECDSA signature, and the member is named explicitly because a
//!   contract signature recovers to nothing.)
//!
//! The digest is EIP-712 over the domain (name, version, chain id, this oracle's address) and
//! the whole `ReportData`, including its consensus version and reference slot, so a signature
//! is valid for one report of one frame on one oracle on one chain.
//!
//! # Exit reports
//! Besides the accounting report the committee signs, per frame, a companion *exit report*
//! (EIP-712 type `ExitReport`, same domain): which operators should exit how many of their
//! oldest validators, for the withdrawal queue's needs, and each operator's exited validators
//! on the beacon chain. `submitExitReport(data, signatures)` (permissionless, in the
//! `oracle-admin` program) applies the same version, frame and signature rules as
//! `submitReport`, with its own last reference slot: the two reports of a frame are applied
//! independently, in either order, and each at most once. It checks the lists' form
//! (`tidepool_interfaces::exit_report`, at most `MAX_EXIT_REQUESTS_PER_REPORT` exits) and
//! calls the staking module's `processExitReport`, which holds the per-operator rules. The
//! module is the one the pool deposits to, read from the pool at each report, so the two can
//! never disagree. Why a companion report: exit lists vary in size, and a wrong or late exit
//! list must never block the accounting report (rewards, finalisation); it is also how Lido
//! splits `AccountingOracle` and `ValidatorsExitBusOracle`.
//!
//! # Sanity limits
//! Checked before anything moves, with Lido's mainnet values as defaults (see
//! [`Limits::LIDO_DEFAULTS`]). Two of them can only be measured on what the pool did (the
//! share rate after the report), so they are checked right after the pool's call: a failure
//! reverts the whole transaction, the pool's changes included, so nothing moves then either.
//!
//! One of those two, the positive-rebase cap, is the pool's setting, not the oracle's: the
//! pool smooths each report down to it (vault pulls, share burns), and the oracle reads it from
//! the pool at each report (`getMaxPositiveRebase`, one setting with one role, the pool's
//! `FEE_MANAGER_ROLE`) and checks the report with the pool's own rule
//! (`tidepool_math::oracle::check_positive_rebase`, the limiter's ceiling compared exactly).
//! So the two can never disagree: with a copy here, a cap lowered on one side only made every
//! report with rewards fail, and rounding made the oracle refuse the pool's own result by one
//! unit about once in 8,000 reports without a fee. What the check still catches is a pool
//! that exceeds its own cap (beyond consensus-layer growth, which cannot be held back).
//!
//! # Bunker mode
//! When the committee flags the report as bunker mode (losses are still unfolding, e.g. a
//! mass slashing whose penalties are not all applied), withdrawals are finalised at
//! `min(simulatedShareRate, share rate before the report)`, and the simulated rate may be
//! below the report's actual rate by any amount (only an excess over it is limited). The
//! committee can so discount expected losses: requests leaving now bear their share of the
//! losses still to come, instead of leaving them to the holders who stay. Outside bunker mode
//! finalisation uses `simulatedShareRate`, which must be within the deviation limit of the
//! actual rate on both sides.
//!
//! # Why the oracle is two programs
//! The whole oracle compiles to about 31 KB compressed, over Nitro's 24,576-byte limit, so it
//! is deployed as two programs (the table is `crates/programs`). The `oracle` program
//! ([`programs::oracle`]) keeps what a report needs (`submitReport`, and `initialize`, which
//! must exist before anything else can be reached); its `#[fallback]` delegatecalls the
//! `oracle-admin` program ([`programs::oracle_admin`]) for every other selector: committee,
//! frames, version, limits, roles, `hashReport`, the exit report and the views, on this storage. A report
//! costs no extra call; integrators use one address and one ABI (`abi/IOracle.sol`, which
//! names the program serving each function). `initialize` proves the deployer here, records
//! the admin program, then runs `OracleAdmin::setUp` by delegatecall for the rest, which
//! refuses to run at any other time.
//!
//! # Reentrancy
//! The SDK's guard is on: nothing the oracle calls (the pool, and through it the vaults and
//! the queue) calls the oracle back. The reference slot is recorded before the pool's call
//! anyway, so a report could not be applied twice even then.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod errors;
mod pool;
pub mod programs;
mod report;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolEvent as _};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU16, StorageU32, StorageU64, StorageVec},
};
use tidepool_common::{
    abi::{emit, AsWord},
    access_control::AccessControl,
    eip712,
    initializable::Initializable,
    program::Delegate,
};
use tidepool_math::oracle::{ChainConfig, FrameConfig};
pub use tidepool_math::oracle_limits::OracleReportLimits as Limits;

use errors::*;

/// EIP-712 domain name (the committee's tools sign in the same, from the same constant).
pub const NAME: &str = tidepool_math::oracle_report::DOMAIN_NAME;
/// EIP-712 domain version.
pub const VERSION: &str = tidepool_math::oracle_report::DOMAIN_VERSION;

/// Roles: `keccak256` of their names, declared once in `tidepool-interfaces`.
pub use tidepool_interfaces::roles::oracle as roles;

sol! {
    #![sol(abi, extra_derives(Debug, PartialEq, Eq))]
    /// One frame's report, as members sign it (EIP-712 type `ReportData`).
    #[derive(AbiType)]
    struct ReportData {
        /// Must equal the oracle's consensus version.
        uint256 consensusVersion;
        /// The current frame's reference slot.
        uint256 refSlot;
        /// Validators the beacon chain shows for the pool at the reference slot.
        uint256 numValidators;
        /// Their total balance, in gwei.
        uint256 clBalanceGwei;
        /// The withdrawal vault's balance at the reference slot, wei.
        uint256 withdrawalVaultBalance;
        /// The execution-layer rewards vault's balance at the reference slot, wei.
        uint256 elRewardsVaultBalance;
        /// Ends of the withdrawal-queue batches to finalise, ascending (empty: none).
        uint256[] withdrawalFinalizationBatches;
        /// The share rate (1e27) the report produces, simulated off chain without
        /// finalisation; the finalisation rate.
        uint256 simulatedShareRate;
        /// Bunker mode: finalise at a rate that may discount losses still unfolding.
        bool isBunkerMode;
    }

    /// One frame's exit report, as members sign it (EIP-712 type `ExitReport`; see the crate
    /// docs, "Exit reports"; the lists' format is `tidepool_interfaces::exit_report`).
    #[derive(AbiType)]
    struct ExitReport {
        /// Must equal the oracle's consensus version.
        uint256 consensusVersion;
        /// The current frame's reference slot.
        uint256 refSlot;
        /// Packed `uint64 nodeOperatorId ‖ uint64 count` entries, ids ascending: exit the
        /// operator's next `count` deposited keys.
        bytes exitRequests;
        /// Packed `uint64 nodeOperatorId ‖ uint64 totalExited` entries, ids ascending: the
        /// operators' exited validators at the reference slot.
        bytes exitedCounts;
    }

    /// The sanity limits (`getOracleReportLimits`, `setOracleReportLimits`).
    #[derive(AbiType)]
    struct OracleReportLimits {
        /// Largest yearly growth of the consensus-layer balance, bp, pro-rated by time.
        uint256 annualBalanceIncreaseBPLimit;
        /// Largest one-off fall of the consensus-layer balance, bp.
        uint256 oneOffCLBalanceDecreaseBPLimit;
        /// Most validators that may appear per day, pro-rated by time.
        uint256 appearedValidatorsPerDayLimit;
        /// Largest gap between the simulated and the actual share rate, bp of the actual.
        uint256 simulatedShareRateDeviationBPLimit;
        /// Fewest seconds between the reference slots of two applied reports.
        uint256 minReportInterval;
    }

}

impl OracleReportLimits {
    /// The five limits in declaration order: what `store_limits` takes and what
    /// `OracleReportLimitsSet` logs.
    pub fn to_array(&self) -> [U256; 5] {
        [
            self.annualBalanceIncreaseBPLimit,
            self.oneOffCLBalanceDecreaseBPLimit,
            self.appearedValidatorsPerDayLimit,
            self.simulatedShareRateDeviationBPLimit,
            self.minReportInterval,
        ]
    }
}

tidepool_common::solidity_events! {
    /// `member` joined; the committee now has `newTotalMembers` and quorum `newQuorum`.
    event MemberAdded(address indexed member, uint256 newTotalMembers, uint256 newQuorum);
    /// `member` left; the committee now has `newTotalMembers` and quorum `newQuorum`.
    event MemberRemoved(address indexed member, uint256 newTotalMembers, uint256 newQuorum);
    /// The quorum changed from `prevQuorum` to `newQuorum` (`totalMembers` members).
    event QuorumSet(uint256 newQuorum, uint256 totalMembers, uint256 prevQuorum);
    /// Frames now start at `newInitialEpoch` and last `newEpochsPerFrame` epochs.
    event FrameConfigSet(uint256 newInitialEpoch, uint256 newEpochsPerFrame);
    /// Reports must now carry consensus version `version`.
    event ConsensusVersionSet(uint256 indexed version, uint256 indexed prevVersion);
    /// The sanity limits changed (fields as in `OracleReportLimits`).
    event OracleReportLimitsSet(
        uint256 annualBalanceIncreaseBPLimit,
        uint256 oneOffCLBalanceDecreaseBPLimit,
        uint256 appearedValidatorsPerDayLimit,
        uint256 simulatedShareRateDeviationBPLimit,
        uint256 minReportInterval
    );
    /// The report for `refSlot`, EIP-712 digest `reportHash`, was applied with the
    /// signatures of `signers` (ascending).
    event ReportAccepted(uint256 indexed refSlot, bytes32 indexed reportHash, address[] signers);
    /// The exit report for `refSlot`, EIP-712 digest `reportHash`, asking for `exitRequests`
    /// validator exits in all, was applied with the signatures of `signers` (ascending).
    event ExitReportAccepted(
        uint256 indexed refSlot,
        bytes32 indexed reportHash,
        uint256 exitRequests,
        address[] signers
    );
}

/// Every event and error of the oracle, with parameter names, for `abi/IOracle.sol` and
/// `abi/Oracle.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The oracle's events and errors.
    pub fn items() -> Items {
        OracleError::abi_items(abi_events(Items::new()))
    }
}

/// The default sanity limits: Lido's mainnet values (see
/// [`Limits::LIDO_DEFAULTS`] for why each).
pub const DEFAULT_LIMITS: Limits = Limits::LIDO_DEFAULTS;

/// The oracle's storage. Small fields are grouped so that what a report reads sits in few
/// slots: the report state with the genesis time, the frame configuration, the limits.
#[storage]
pub struct Oracle {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    // One slot: read by every report.
    pub(crate) quorum: StorageU64,
    pub(crate) consensus_version: StorageU64,
    pub(crate) last_processing_ref_slot: StorageU64,
    pub(crate) genesis_time: StorageU64,
    // One slot: chain and frame configuration.
    pub(crate) seconds_per_slot: StorageU64,
    pub(crate) slots_per_epoch: StorageU64,
    pub(crate) initial_epoch: StorageU64,
    pub(crate) epochs_per_frame: StorageU64,
    // One slot: the sanity limits.
    pub(crate) annual_increase_bp: StorageU16,
    pub(crate) one_off_decrease_bp: StorageU16,
    pub(crate) share_rate_deviation_bp: StorageU16,
    pub(crate) appeared_per_day: StorageU32,
    pub(crate) min_report_interval: StorageU32,
    // The positive-rebase cap that followed here is the pool's alone now (see "Sanity
    // limits" above); dropping it moves no later field, as `pool` starts the next slot
    // either way.
    /// The pool, and what it pays from and finalises into (read from it once: the pool
    /// cannot change them).
    pub(crate) pool: StorageAddress,
    pub(crate) withdrawal_vault: StorageAddress,
    pub(crate) rewards_vault: StorageAddress,
    pub(crate) withdrawal_queue: StorageAddress,
    pub(crate) members: StorageVec<StorageAddress>,
    /// A member's position in `members` plus one; zero for non-members.
    pub(crate) member_position: StorageMap<Address, StorageU64>,
    /// The `oracle-admin` program, whose code the fallback runs on this storage.
    pub(crate) admin_contract: StorageAddress,
    /// The reference slot of the last applied exit report (0: none); apart from
    /// `last_processing_ref_slot` because the two reports of a frame are independent. Last, so
    /// that no earlier field moves.
    pub(crate) last_exit_ref_slot: StorageU64,
}

tidepool_common::program_storage!(Oracle);

// SAFETY: `admin_contract` is set once, in `initialize`, by the proven deployer, to code
// checked to exist: the `oracle-admin` program, whose program type wraps `Oracle`.
#[allow(unsafe_code)]
unsafe impl Delegate for Oracle {
    fn next_program(&self) -> Address {
        self.admin_contract.get()
    }
}

/// Pool calls revert with the pool's own error data, passed on unchanged, so functions that
/// reach the pool return raw revert data.
pub(crate) type Revert = Vec<u8>;

/// The value type of `StorageU64`.
pub type U64 = alloy_primitives::Uint<64, 1>;

/// The quorum must exceed half of `total` members (and so be at least 1).
pub fn check_quorum(quorum: u64, total: u64) -> Result<(), OracleError> {
    let min = total / 2 + 1;
    if quorum < min {
        return Err(QuorumTooSmall {
            minQuorum: U256::from(min),
            receivedQuorum: U256::from(quorum),
        }
        .into());
    }
    Ok(())
}

/// `bytes4(keccak256("setUp(address,address,uint64,uint64,uint64,uint64,uint64,uint64)"))`:
/// [`OracleAdmin::set_up`](programs::oracle_admin::OracleAdmin::set_up), which `initialize` runs by
/// delegatecall.
pub const SET_UP_SELECTOR: [u8; 4] = {
    let h = eip712::keccak256_const(
        b"setUp(address,address,uint64,uint64,uint64,uint64,uint64,uint64)",
    );
    [h.0[0], h.0[1], h.0[2], h.0[3]]
};

// Helpers, shared by both programs.
impl Oracle {
    pub fn only_role(&self, role: B256) -> Result<(), OracleError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    pub fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            genesis_time: self.genesis_time.get().to(),
            seconds_per_slot: self.seconds_per_slot.get().to(),
            slots_per_epoch: self.slots_per_epoch.get().to(),
        }
    }

    pub fn frame_config(&self) -> FrameConfig {
        FrameConfig {
            initial_epoch: self.initial_epoch.get().to(),
            epochs_per_frame: self.epochs_per_frame.get().to(),
        }
    }

    pub fn current_frame(&self) -> Result<tidepool_math::oracle::Frame, OracleError> {
        let now = self.vm().block_timestamp();
        self.chain_config()
            .frame_at(&self.frame_config(), now)
            .ok_or_else(|| InitialEpochNotYetReached {}.into())
    }

    /// The sanity limits, as stored.
    pub fn limits(&self) -> Limits {
        Limits {
            annual_balance_increase_bp_limit: self.annual_increase_bp.get().to(),
            one_off_cl_balance_decrease_bp_limit: self.one_off_decrease_bp.get().to(),
            appeared_validators_per_day_limit: self.appeared_per_day.get().to(),
            simulated_share_rate_deviation_bp_limit: self.share_rate_deviation_bp.get().to(),
            min_report_interval: self.min_report_interval.get().to(),
        }
    }

    /// Checks `values` (in `OracleReportLimits` order) against [`Limits::MAX`], stores and
    /// logs them.
    pub fn store_limits(&mut self, values: [U256; 5]) -> Result<(), OracleError> {
        let max = Limits::MAX.to_array();
        let mut v = [0u64; 5];
        for (i, value) in values.iter().enumerate() {
            if *value > U256::from(max[i]) {
                return Err(IncorrectLimitValue {
                    index: U256::from(i),
                    value: *value,
                    max: U256::from(max[i]),
                }
                .into());
            }
            v[i] = value.to();
        }
        let v = Limits::from_array(v);
        let epochs_per_frame: u64 = self.epochs_per_frame.get().to();
        self.frames_fit_interval(epochs_per_frame, v.min_report_interval)?;
        // Each value is within its field's width, checked above.
        self.annual_increase_bp
            .set(alloy_primitives::Uint::from(v.annual_balance_increase_bp_limit as u16));
        self.one_off_decrease_bp
            .set(alloy_primitives::Uint::from(v.one_off_cl_balance_decrease_bp_limit as u16));
        self.appeared_per_day
            .set(alloy_primitives::Uint::from(v.appeared_validators_per_day_limit as u32));
        self.share_rate_deviation_bp
            .set(alloy_primitives::Uint::from(v.simulated_share_rate_deviation_bp_limit as u16));
        self.min_report_interval.set(alloy_primitives::Uint::from(v.min_report_interval as u32));
        emit(self.vm(), &[OracleReportLimitsSet::SIGNATURE_HASH], &values.map(|x| x.word()));
        Ok(())
    }

    /// Logs a membership change (`MemberAdded` or `MemberRemoved`, by `event`) with the new
    /// member count, then sets the quorum: the end of both `addMember` and `removeMember`.
    pub fn membership_changed(&mut self, event: B256, member: Address, total: u64, quorum: u64) {
        emit(self.vm(), &[event, member.word()], &[total.word(), quorum.word()]);
        self.store_quorum(quorum);
    }

    pub fn store_quorum(&mut self, quorum: u64) {
        let previous: u64 = self.quorum.get().to();
        if previous == quorum {
            return;
        }
        self.quorum.set(U64::from(quorum));
        let total = self.members.len() as u64;
        emit(
            self.vm(),
            &[QuorumSet::SIGNATURE_HASH],
            &[quorum.word(), total.word(), previous.word()],
        );
    }

    pub fn store_consensus_version(&mut self, version: u64) -> Result<(), OracleError> {
        if version == 0 {
            return Err(InvalidConsensusVersion { version: U256::ZERO }.into());
        }
        let previous: u64 = self.consensus_version.get().to();
        self.consensus_version.set(U64::from(version));
        emit(
            self.vm(),
            &[ConsensusVersionSet::SIGNATURE_HASH, version.word(), previous.word()],
            &[],
        );
        Ok(())
    }

    /// `FrameShorterThanReportInterval` unless frames of `epochs_per_frame` (0: none set yet,
    /// at set-up) last at least `min_report_interval`.
    fn frames_fit_interval(
        &self,
        epochs_per_frame: u64,
        min_report_interval: u64,
    ) -> Result<(), OracleError> {
        let chain = self.chain_config();
        if epochs_per_frame == 0 || chain.frames_fit_interval(epochs_per_frame, min_report_interval)
        {
            return Ok(());
        }
        Err(FrameShorterThanReportInterval {
            frameSeconds: U256::from(chain.frame_seconds(epochs_per_frame)),
            minReportInterval: U256::from(min_report_interval),
        }
        .into())
    }

    /// Stores a frame configuration whose first frame has a reference slot after slot 0
    /// (slot 0 stands for "no report yet"), whose frames fit in `u64` slots for a century and
    /// last at least the minimum report interval.
    pub fn store_frame_config(&mut self, frames: FrameConfig) -> Result<(), OracleError> {
        let chain = self.chain_config();
        let invalid = || InvalidFrameConfig {
            initialEpoch: U256::from(frames.initial_epoch),
            epochsPerFrame: U256::from(frames.epochs_per_frame),
        };
        let first = chain.frame(&frames, 0).ok_or_else(invalid)?;
        let frame_slots = frames.epochs_per_frame.saturating_mul(chain.slots_per_epoch);
        if frame_slots == 0 || first.ref_slot == 0 {
            return Err(invalid().into());
        }
        // The frames of the next century must be computable without overflow.
        let century_slots = 100 * tidepool_math::oracle::SECONDS_PER_YEAR / chain.seconds_per_slot;
        if chain.frame(&frames, century_slots / frame_slots).is_none() {
            return Err(invalid().into());
        }
        let min_interval: u64 = self.min_report_interval.get().to();
        self.frames_fit_interval(frames.epochs_per_frame, min_interval)?;
        self.initial_epoch.set(U64::from(frames.initial_epoch));
        self.epochs_per_frame.set(U64::from(frames.epochs_per_frame));
        emit(
            self.vm(),
            &[FrameConfigSet::SIGNATURE_HASH],
            &[frames.initial_epoch.word(), frames.epochs_per_frame.word()],
        );
        Ok(())
    }
}
