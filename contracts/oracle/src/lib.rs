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
//! # Sanity limits
//! Checked before anything moves, with Lido's mainnet values as defaults (see
//! [`DEFAULT_LIMITS`]). Two of them can only be measured on what the pool did (the share rate
//! after the report), so they are checked right after the pool's call: a failure reverts the
//! whole transaction, the pool's changes included, so nothing moves then either.
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
//! # Reentrancy
//! The SDK's guard is on: nothing the oracle calls (the pool, and through it the vaults and
//! the queue) calls the oracle back. The reference slot is recorded before the pool's call
//! anyway, so a report could not be applied twice even then.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod errors;
mod pool;
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
    access_control::{AccessControl, DEFAULT_ADMIN_ROLE},
    eip712,
    initializable::{self, Initializable},
};
use tidepool_math::oracle::{ChainConfig, FrameConfig};

use errors::*;

/// EIP-712 domain name.
pub const NAME: &str = "Tidepool Accounting Oracle";
/// EIP-712 domain version.
pub const VERSION: &str = "1";

/// Roles, `keccak256` of their names.
pub mod roles {
    use alloy_primitives::B256;
    use tidepool_common::eip712::keccak256_const;

    /// Adds and removes members, sets the quorum.
    pub const MANAGE_MEMBERS_AND_QUORUM_ROLE: B256 =
        keccak256_const(b"MANAGE_MEMBERS_AND_QUORUM_ROLE");
    /// Changes the frame length.
    pub const MANAGE_FRAME_CONFIG_ROLE: B256 = keccak256_const(b"MANAGE_FRAME_CONFIG_ROLE");
    /// Changes the consensus version reports must carry.
    pub const MANAGE_CONSENSUS_VERSION_ROLE: B256 =
        keccak256_const(b"MANAGE_CONSENSUS_VERSION_ROLE");
    /// Changes the sanity limits.
    pub const MANAGE_LIMITS_ROLE: B256 = keccak256_const(b"MANAGE_LIMITS_ROLE");
}

sol! {
    #![sol(abi)]
    /// One frame's report, as members sign it (EIP-712 type `ReportData`).
    #[derive(Debug, PartialEq, Eq, AbiType)]
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

    /// The sanity limits (`getOracleReportLimits`, `setOracleReportLimits`).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct OracleReportLimits {
        /// Largest yearly growth of the consensus-layer balance, bp, pro-rated by time.
        uint256 annualBalanceIncreaseBPLimit;
        /// Largest one-off fall of the consensus-layer balance, bp.
        uint256 oneOffCLBalanceDecreaseBPLimit;
        /// Most validators that may appear per day, pro-rated by time.
        uint256 appearedValidatorsPerDayLimit;
        /// Largest gap between the simulated and the actual share rate, bp of the actual.
        uint256 simulatedShareRateDeviationBPLimit;
        /// Largest share-rate rise in one report, 1e9 = 100%.
        uint256 maxPositiveTokenRebase;
        /// Fewest seconds between the reference slots of two applied reports.
        uint256 minReportInterval;
    }

    /// `member` joined; the committee now has `newTotalMembers` and quorum `newQuorum`.
    #[derive(Debug, PartialEq, Eq)]
    event MemberAdded(address indexed member, uint256 newTotalMembers, uint256 newQuorum);
    /// `member` left; the committee now has `newTotalMembers` and quorum `newQuorum`.
    #[derive(Debug, PartialEq, Eq)]
    event MemberRemoved(address indexed member, uint256 newTotalMembers, uint256 newQuorum);
    /// The quorum changed from `prevQuorum` to `newQuorum` (`totalMembers` members).
    #[derive(Debug, PartialEq, Eq)]
    event QuorumSet(uint256 newQuorum, uint256 totalMembers, uint256 prevQuorum);
    /// Frames now start at `newInitialEpoch` and last `newEpochsPerFrame` epochs.
    #[derive(Debug, PartialEq, Eq)]
    event FrameConfigSet(uint256 newInitialEpoch, uint256 newEpochsPerFrame);
    /// Reports must now carry consensus version `version`.
    #[derive(Debug, PartialEq, Eq)]
    event ConsensusVersionSet(uint256 indexed version, uint256 indexed prevVersion);
    /// The sanity limits changed (fields as in `OracleReportLimits`).
    #[derive(Debug, PartialEq, Eq)]
    event OracleReportLimitsSet(
        uint256 annualBalanceIncreaseBPLimit,
        uint256 oneOffCLBalanceDecreaseBPLimit,
        uint256 appearedValidatorsPerDayLimit,
        uint256 simulatedShareRateDeviationBPLimit,
        uint256 maxPositiveTokenRebase,
        uint256 minReportInterval
    );
    /// The report for `refSlot`, EIP-712 digest `reportHash`, was applied with the
    /// signatures of `signers` (ascending).
    #[derive(Debug, PartialEq, Eq)]
    event ReportAccepted(uint256 indexed refSlot, bytes32 indexed reportHash, address[] signers);
}

/// Every event and error of the oracle, with parameter names, for `abi/IOracle.sol` and
/// `abi/Oracle.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;
    use tidepool_common::access_control;

    /// The oracle's events and errors.
    pub fn items() -> Items {
        Items::new()
            .event::<MemberAdded>()
            .event::<MemberRemoved>()
            .event::<QuorumSet>()
            .event::<FrameConfigSet>()
            .event::<ConsensusVersionSet>()
            .event::<OracleReportLimitsSet>()
            .event::<ReportAccepted>()
            .event::<initializable::Initialized>()
            .event::<access_control::RoleGranted>()
            .event::<access_control::RoleRevoked>()
            .event::<access_control::RoleAdminChanged>()
            .error::<InvalidPool>()
            .error::<PoolAnswerMalformed>()
            .error::<InvalidChainConfig>()
            .error::<InvalidFrameConfig>()
            .error::<InvalidConsensusVersion>()
            .error::<ZeroMemberAddress>()
            .error::<DuplicateMember>()
            .error::<NonMember>()
            .error::<QuorumTooSmall>()
            .error::<UnexpectedConsensusVersion>()
            .error::<InitialEpochNotYetReached>()
            .error::<UnexpectedRefSlot>()
            .error::<ProcessingDeadlineMissed>()
            .error::<RefSlotAlreadyProcessed>()
            .error::<InvalidSignatureLength>()
            .error::<InvalidSignatureS>()
            .error::<InvalidSignatureV>()
            .error::<InvalidSignature>()
            .error::<ContractSignatureRejected>()
            .error::<SignerNotMember>()
            .error::<DuplicateSigner>()
            .error::<SignersNotAscending>()
            .error::<QuorumNotReached>()
            .error::<IncorrectLimitValue>()
            .error::<ReportTooSoon>()
            .error::<ReportedValidatorsDecreased>()
            .error::<ReportedValidatorsExceedDeposited>()
            .error::<IncorrectAppearedValidators>()
            .error::<IncorrectCLBalanceIncrease>()
            .error::<IncorrectCLBalanceDecrease>()
            .error::<IncorrectWithdrawalsVaultBalance>()
            .error::<IncorrectELRewardsVaultBalance>()
            .error::<IncorrectSimulatedShareRate>()
            .error::<IncorrectPositiveTokenRebase>()
            .error::<ArithmeticFailed>()
            .error::<access_control::AccessControlUnauthorizedAccount>()
            .error::<access_control::AccessControlBadConfirmation>()
            .error::<initializable::AlreadyInitialized>()
            .error::<initializable::NotDeployer>()
            .error::<initializable::NotInitialized>()
    }
}

/// Lido's mainnet values, in the order of `OracleReportLimits`:
/// - annual consensus-layer balance increase 1,000 bp (10% a year): well above real staking
///   yields (about 3%), well below what a fabricated balance would need to matter;
/// - one-off consensus-layer decrease 500 bp (5%): a correlated slashing of a large part of
///   the validators, beyond which a human should look first;
/// - 43,200 appeared validators a day: Lido's deposit throughput (one block's worth of
///   deposits every 12 s at most), far above anything the pool can deposit;
/// - simulated share rate deviation 50 bp (0.5%): the off-chain simulation and the chain
///   differ only by rounding and by blocks between simulation and submission;
/// - maximum positive token rebase 750,000 (0.075% per report, as the pool's own default
///   cap): what the pool cannot hold back (consensus-layer rewards) may not raise the rate
///   more than this in one report; vault rewards beyond it wait in the vaults;
/// - minimum report interval 43,200 s (12 h; not a Lido limit): with daily frames two
///   reports are at least a day apart anyway, so this only binds when frames are shortened,
///   where it stops the per-report caps from being compounded by reporting often.
pub const DEFAULT_LIMITS: [u64; 6] = [1_000, 500, 43_200, 50, 750_000, 43_200];

/// Upper bounds of the limits, same order: basis points at most 100%, validators and
/// seconds within their storage width, the rebase at most 100%.
const LIMIT_MAX: [u64; 6] =
    [10_000, 10_000, u32::MAX as u64, 10_000, tidepool_math::LIMITER_PRECISION, u32::MAX as u64];

/// The oracle's storage. Small fields are grouped so that what a report reads sits in few
/// slots: the report state with the genesis time, the frame configuration, the limits.
#[entrypoint]
#[storage]
pub struct Oracle {
    init: Initializable,
    access: AccessControl,
    // One slot: read by every report.
    quorum: StorageU64,
    consensus_version: StorageU64,
    last_processing_ref_slot: StorageU64,
    genesis_time: StorageU64,
    // One slot: chain and frame configuration.
    seconds_per_slot: StorageU64,
    slots_per_epoch: StorageU64,
    initial_epoch: StorageU64,
    epochs_per_frame: StorageU64,
    // One slot: the sanity limits.
    annual_increase_bp: StorageU16,
    one_off_decrease_bp: StorageU16,
    share_rate_deviation_bp: StorageU16,
    appeared_per_day: StorageU32,
    min_report_interval: StorageU32,
    max_positive_rebase: StorageU64,
    /// The pool, and what it pays from and finalises into (read from it once: the pool
    /// cannot change them).
    pool: StorageAddress,
    withdrawal_vault: StorageAddress,
    rewards_vault: StorageAddress,
    withdrawal_queue: StorageAddress,
    members: StorageVec<StorageAddress>,
    /// A member's position in `members` plus one; zero for non-members.
    member_position: StorageMap<Address, StorageU64>,
}

/// Pool calls revert with the pool's own error data, passed on unchanged, so functions that
/// reach the pool return raw revert data.
type Revert = Vec<u8>;

#[public]
impl Oracle {
    // ------------------------------------------------------------------ set-up

    /// Sets the oracle up, once, by the account that deployed it. The pool must already be
    /// initialised with this oracle's address: its vaults and queue are read from it.
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed this contract with (proves it did).
    /// * `admin` - receives `DEFAULT_ADMIN_ROLE` (a timelock or multisig in production).
    /// * `pool` - the pool whose reports this oracle applies.
    /// * `consensus_version` - the version reports must carry, at least 1.
    /// * `genesis_time`, `seconds_per_slot`, `slots_per_epoch` - the beacon chain (fixed).
    /// * `initial_epoch`, `epochs_per_frame` - the first frame and the frame length.
    ///
    /// # Errors
    /// * `InvalidPool` if `pool` is zero or holds no code; `PoolAnswerMalformed` or the
    ///   pool's revert if it cannot be read; `InvalidChainConfig`; `InvalidFrameConfig`;
    ///   `InvalidConsensusVersion`; `AlreadyInitialized`, `NotDeployer`.
    ///
    /// # Events
    /// `Initialized`, `RoleGranted`, `ConsensusVersionSet`, `FrameConfigSet`, `QuorumSet`,
    /// `OracleReportLimitsSet`.
    #[allow(clippy::too_many_arguments)]
    pub fn initialize(
        &mut self,
        deployer_nonce: u64,
        admin: Address,
        pool: Address,
        consensus_version: u64,
        genesis_time: u64,
        seconds_per_slot: u64,
        slots_per_epoch: u64,
        initial_epoch: u64,
        epochs_per_frame: u64,
    ) -> Result<(), Revert> {
        if pool.is_zero() || self.vm().code_size(pool) == 0 {
            return Err(OracleError::from(InvalidPool { pool }).into());
        }
        let chain = ChainConfig { genesis_time, seconds_per_slot, slots_per_epoch };
        if !chain.is_valid() {
            return Err(OracleError::from(InvalidChainConfig {
                secondsPerSlot: U256::from(seconds_per_slot),
                slotsPerEpoch: U256::from(slots_per_epoch),
            })
            .into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce).map_err(OracleError::from)?;
        let (withdrawal_vault, rewards_vault, queue) = self.pool_contracts(pool)?;
        self.pool.set(pool);
        self.withdrawal_vault.set(withdrawal_vault);
        self.rewards_vault.set(rewards_vault);
        self.withdrawal_queue.set(queue);
        self.genesis_time.set(U64::from(genesis_time));
        self.seconds_per_slot.set(U64::from(seconds_per_slot));
        self.slots_per_epoch.set(U64::from(slots_per_epoch));
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        self.access._grant_role(DEFAULT_ADMIN_ROLE, admin);
        self.store_consensus_version(consensus_version)?;
        self.store_frame_config(FrameConfig { initial_epoch, epochs_per_frame })?;
        self.store_quorum(1);
        self.store_limits(DEFAULT_LIMITS.map(U256::from))?;
        Ok(())
    }

    // ------------------------------------------------------------------ committee

    /// The members, in no particular order.
    pub fn get_members(&self) -> Vec<Address> {
        (0..self.members.len()).filter_map(|i| self.members.get(i)).collect()
    }

    /// Whether `account` is a member.
    pub fn is_member(&self, account: Address) -> bool {
        self.member_position.get(account) != U64::ZERO
    }

    /// Signatures of distinct members a report needs.
    pub fn get_quorum(&self) -> u64 {
        self.quorum.get().to()
    }

    /// Adds `member` and sets the quorum, in one step.
    ///
    /// # Errors
    /// * `ZeroMemberAddress`; `DuplicateMember`; `QuorumTooSmall` unless `quorum` exceeds
    ///   half the new member count; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_MEMBERS_AND_QUORUM_ROLE`.
    ///
    /// # Events
    /// `MemberAdded`, then `QuorumSet` if the quorum changed.
    pub fn add_member(&mut self, member: Address, quorum: u64) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE)?;
        if member.is_zero() {
            return Err(ZeroMemberAddress {}.into());
        }
        if self.is_member(member) {
            return Err(DuplicateMember { member }.into());
        }
        let total = self.members.len() as u64 + 1;
        check_quorum(quorum, total)?;
        self.members.push(member);
        self.member_position.setter(member).set(U64::from(total));
        emit(
            self.vm(),
            &[MemberAdded::SIGNATURE_HASH, member.word()],
            &[total.word(), quorum.word()],
        );
        self.store_quorum(quorum);
        Ok(())
    }

    /// Removes `member` and sets the quorum, in one step. Its signatures stop counting at
    /// once, for every report not yet applied.
    ///
    /// # Errors
    /// * `NonMember`; `QuorumTooSmall` unless `quorum` exceeds half the new member count;
    ///   `AccessControlUnauthorizedAccount` without `MANAGE_MEMBERS_AND_QUORUM_ROLE`.
    ///
    /// # Events
    /// `MemberRemoved`, then `QuorumSet` if the quorum changed.
    pub fn remove_member(&mut self, member: Address, quorum: u64) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE)?;
        let position = self.member_position.get(member).to::<u64>();
        if position == 0 {
            return Err(NonMember { member }.into());
        }
        let total = self.members.len() as u64 - 1;
        check_quorum(quorum, total)?;
        // Swap-remove: the last member takes the leaving one's place.
        let last = self.members.pop().unwrap_or_default();
        if last != member {
            self.members.setter(position as usize - 1).map(|mut s| s.set(last));
            self.member_position.setter(last).set(U64::from(position));
        }
        self.member_position.delete(member);
        emit(
            self.vm(),
            &[MemberRemoved::SIGNATURE_HASH, member.word()],
            &[total.word(), quorum.word()],
        );
        self.store_quorum(quorum);
        Ok(())
    }

    /// Sets the quorum.
    ///
    /// # Errors
    /// * `QuorumTooSmall` unless `quorum` exceeds half the members;
    ///   `AccessControlUnauthorizedAccount` without `MANAGE_MEMBERS_AND_QUORUM_ROLE`.
    ///
    /// # Events
    /// `QuorumSet` if the quorum changed.
    pub fn set_quorum(&mut self, quorum: u64) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE)?;
        check_quorum(quorum, self.members.len() as u64)?;
        self.store_quorum(quorum);
        Ok(())
    }

    // ------------------------------------------------------------------ frames

    /// `(slotsPerEpoch, secondsPerSlot, genesisTime)`, in Lido's order.
    pub fn get_chain_config(&self) -> (u64, u64, u64) {
        let c = self.chain_config();
        (c.slots_per_epoch, c.seconds_per_slot, c.genesis_time)
    }

    /// `(initialEpoch, epochsPerFrame)`.
    pub fn get_frame_config(&self) -> (u64, u64) {
        let f = self.frame_config();
        (f.initial_epoch, f.epochs_per_frame)
    }

    /// `(refSlot, reportProcessingDeadlineSlot)` of the frame now running.
    ///
    /// # Errors
    /// * `InitialEpochNotYetReached` before the first frame.
    pub fn get_current_frame(&self) -> Result<(u64, u64), OracleError> {
        let frame = self.current_frame()?;
        Ok((frame.ref_slot, frame.deadline_slot))
    }

    /// Sets the frame length. Once frames have begun, frames are counted anew from the start
    /// of the frame now running, so that frame keeps its reference slot (its report, signed
    /// or not yet, stays valid) and the new length applies from its start: a frame shortened
    /// below the time already elapsed in it ends at once. Before the first frame, the initial
    /// epoch stays.
    ///
    /// # Errors
    /// * `InvalidFrameConfig` for zero; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_FRAME_CONFIG_ROLE`.
    ///
    /// # Events
    /// `FrameConfigSet`.
    pub fn set_frame_config(&mut self, epochs_per_frame: u64) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_FRAME_CONFIG_ROLE)?;
        let initial_epoch = match self.current_frame() {
            Ok(frame) => frame.start_epoch,
            Err(_) => self.initial_epoch.get().to(),
        };
        self.store_frame_config(FrameConfig { initial_epoch, epochs_per_frame })
    }

    /// The reference slot of the last applied report (0: none yet).
    pub fn get_last_processing_ref_slot(&self) -> u64 {
        self.last_processing_ref_slot.get().to()
    }

    /// The consensus version reports must carry.
    pub fn get_consensus_version(&self) -> u64 {
        self.consensus_version.get().to()
    }

    /// Sets the consensus version reports must carry; signatures over reports of another
    /// version stop counting.
    ///
    /// # Errors
    /// * `InvalidConsensusVersion` for zero; `AccessControlUnauthorizedAccount` without
    ///   `MANAGE_CONSENSUS_VERSION_ROLE`.
    ///
    /// # Events
    /// `ConsensusVersionSet`.
    pub fn set_consensus_version(&mut self, version: u64) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_CONSENSUS_VERSION_ROLE)?;
        self.store_consensus_version(version)
    }

    // ------------------------------------------------------------------ reports

    /// The EIP-712 digest members sign for `data` (domain: name, version, chain id, this
    /// oracle).
    pub fn hash_report(&self, data: ReportData) -> B256 {
        self.report_digest(&data)
    }

    /// Applies `data` with the signatures of at least a quorum of members: checks the
    /// version, the frame, the signatures and the sanity limits, then calls the pool's
    /// `handleOracleReport` (see the module docs for each rule). Anyone may submit.
    ///
    /// # Arguments
    /// * `data` - the frame's report.
    /// * `signatures` - one per signing member, ascending by signer (65-byte ECDSA, or
    ///   `abi.encode(member, signature)` for a contract member).
    ///
    /// # Errors
    /// * Frame and version: `NotInitialized`, `UnexpectedConsensusVersion`,
    ///   `InitialEpochNotYetReached`, `RefSlotAlreadyProcessed`, `ProcessingDeadlineMissed`,
    ///   `UnexpectedRefSlot`.
    /// * Signatures: `InvalidSignatureLength`, `InvalidSignatureS`, `InvalidSignatureV`,
    ///   `InvalidSignature`, `ContractSignatureRejected`, `DuplicateSigner`,
    ///   `SignersNotAscending`, `SignerNotMember`, `QuorumNotReached`.
    /// * Limits: `ReportTooSoon`, `ReportedValidatorsDecreased`,
    ///   `ReportedValidatorsExceedDeposited`, `IncorrectAppearedValidators`,
    ///   `IncorrectWithdrawalsVaultBalance`, `IncorrectELRewardsVaultBalance`,
    ///   `IncorrectCLBalanceIncrease`, `IncorrectCLBalanceDecrease`,
    ///   `IncorrectSimulatedShareRate`, `IncorrectPositiveTokenRebase`, `ArithmeticFailed`.
    /// * The pool's and the queue's reverts, unchanged; `PoolAnswerMalformed`.
    ///
    /// # Events
    /// The pool's report events, then `ReportAccepted`.
    pub fn submit_report(
        &mut self,
        data: ReportData,
        signatures: Vec<alloy_primitives::Bytes>,
    ) -> Result<(), Revert> {
        self.init.only_initialized().map_err(OracleError::from)?;
        let ref_slot = self.check_frame(&data)?;
        let digest = self.report_digest(&data);
        let signers = self.verify_signatures(digest, &signatures)?;
        self.apply_report(&data, ref_slot)?;
        let mut words = Vec::with_capacity(signers.len() + 2);
        words.push(U256::from(32).word());
        words.push(U256::from(signers.len()).word());
        words.extend(signers.iter().map(|s| s.word()));
        emit(self.vm(), &[ReportAccepted::SIGNATURE_HASH, data.refSlot.word(), digest], &words);
        Ok(())
    }

    // ------------------------------------------------------------------ sanity limits

    /// The sanity limits.
    pub fn get_oracle_report_limits(&self) -> OracleReportLimits {
        let [a, b, c, d, e, f] = self.limits();
        OracleReportLimits {
            annualBalanceIncreaseBPLimit: U256::from(a),
            oneOffCLBalanceDecreaseBPLimit: U256::from(b),
            appearedValidatorsPerDayLimit: U256::from(c),
            simulatedShareRateDeviationBPLimit: U256::from(d),
            maxPositiveTokenRebase: U256::from(e),
            minReportInterval: U256::from(f),
        }
    }

    /// Sets every sanity limit.
    ///
    /// # Errors
    /// * `IncorrectLimitValue` for a value above its range (basis points above 10,000, a
    ///   rebase above 1e9, validators or seconds above `uint32`);
    ///   `AccessControlUnauthorizedAccount` without `MANAGE_LIMITS_ROLE`.
    ///
    /// # Events
    /// `OracleReportLimitsSet`.
    pub fn set_oracle_report_limits(
        &mut self,
        limits: OracleReportLimits,
    ) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_LIMITS_ROLE)?;
        self.store_limits([
            limits.annualBalanceIncreaseBPLimit,
            limits.oneOffCLBalanceDecreaseBPLimit,
            limits.appearedValidatorsPerDayLimit,
            limits.simulatedShareRateDeviationBPLimit,
            limits.maxPositiveTokenRebase,
            limits.minReportInterval,
        ])
    }

    // ------------------------------------------------------------------ contracts, roles

    /// `(pool, withdrawalVault, elRewardsVault, withdrawalQueue)`.
    pub fn get_contracts(&self) -> (Address, Address, Address, Address) {
        (
            self.pool.get(),
            self.withdrawal_vault.get(),
            self.rewards_vault.get(),
            self.withdrawal_queue.get(),
        )
    }

    /// EIP-5267: the fields of the EIP-712 domain reports are signed under.
    pub fn eip712_domain(&self) -> eip712::Eip712Domain {
        eip712::eip712_domain(NAME, VERSION, self.vm().chain_id(), self.vm().contract_address())
    }

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// The role that administers `role`.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.access.get_role_admin(role)
    }

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without the role's admin role.
    ///
    /// # Events
    /// `RoleGranted` if `account` did not hold it.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), OracleError> {
        Ok(self.access.grant_role(role, account)?)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without the role's admin role.
    ///
    /// # Events
    /// `RoleRevoked` if `account` held it.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), OracleError> {
        Ok(self.access.revoke_role(role, account)?)
    }

    /// Gives up `role`; `confirmation` must be the caller.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation`.
    ///
    /// # Events
    /// `RoleRevoked` if the caller held it.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), OracleError> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}

type U64 = alloy_primitives::Uint<64, 1>;

/// The quorum must exceed half of `total` members (and so be at least 1).
fn check_quorum(quorum: u64, total: u64) -> Result<(), OracleError> {
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

// Internal helpers.
impl Oracle {
    fn only_role(&self, role: B256) -> Result<(), OracleError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    pub(crate) fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            genesis_time: self.genesis_time.get().to(),
            seconds_per_slot: self.seconds_per_slot.get().to(),
            slots_per_epoch: self.slots_per_epoch.get().to(),
        }
    }

    pub(crate) fn frame_config(&self) -> FrameConfig {
        FrameConfig {
            initial_epoch: self.initial_epoch.get().to(),
            epochs_per_frame: self.epochs_per_frame.get().to(),
        }
    }

    pub(crate) fn current_frame(&self) -> Result<tidepool_math::oracle::Frame, OracleError> {
        let now = self.vm().block_timestamp();
        self.chain_config()
            .frame_at(&self.frame_config(), now)
            .ok_or_else(|| InitialEpochNotYetReached {}.into())
    }

    /// `[annual, decrease, appeared, deviation, rebase, interval]`, as stored.
    pub(crate) fn limits(&self) -> [u64; 6] {
        [
            self.annual_increase_bp.get().to(),
            self.one_off_decrease_bp.get().to(),
            self.appeared_per_day.get().to(),
            self.share_rate_deviation_bp.get().to(),
            self.max_positive_rebase.get().to(),
            self.min_report_interval.get().to(),
        ]
    }

    fn store_limits(&mut self, values: [U256; 6]) -> Result<(), OracleError> {
        let mut v = [0u64; 6];
        for (i, value) in values.iter().enumerate() {
            let max = LIMIT_MAX[i];
            if *value > U256::from(max) {
                return Err(IncorrectLimitValue {
                    index: U256::from(i),
                    value: *value,
                    max: U256::from(max),
                }
                .into());
            }
            v[i] = value.to();
        }
        // Each value is within its field's width, checked above.
        self.annual_increase_bp.set(alloy_primitives::Uint::from(v[0] as u16));
        self.one_off_decrease_bp.set(alloy_primitives::Uint::from(v[1] as u16));
        self.appeared_per_day.set(alloy_primitives::Uint::from(v[2] as u32));
        self.share_rate_deviation_bp.set(alloy_primitives::Uint::from(v[3] as u16));
        self.max_positive_rebase.set(U64::from(v[4]));
        self.min_report_interval.set(alloy_primitives::Uint::from(v[5] as u32));
        let words = values.map(|x| x.word());
        emit(self.vm(), &[OracleReportLimitsSet::SIGNATURE_HASH], &words);
        Ok(())
    }

    fn store_quorum(&mut self, quorum: u64) {
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

    fn store_consensus_version(&mut self, version: u64) -> Result<(), OracleError> {
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

    /// Stores a frame configuration whose first frame has a reference slot after slot 0
    /// (slot 0 stands for "no report yet") and whose frames fit in `u64` slots for a century.
    fn store_frame_config(&mut self, frames: FrameConfig) -> Result<(), OracleError> {
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
