//! The `oracle-admin` program: the oracle's management and its exit reports, run by
//! delegatecall on the oracle's storage: the committee, the frame length, the consensus
//! version, the sanity limits, roles, the views of all of them, and `submitExitReport` (room
//! the `oracle` program, filled by `submitReport`, does not have). The `oracle` program's `#[fallback]` delegatecalls it
//! for every selector it does not serve (see the crate docs, "Why the oracle is two
//! programs").
//!
//! # Storage
//! [`OracleAdmin`] has exactly one field, the oracle's own storage struct, so under the
//! oracle's delegatecall every field is read and written at the oracle's slots. Native tests
//! run both over one host to check this.
//!
//! # Called at its own address
//! Its own storage is never initialised (only the oracle has `initialize`): `setUp` refuses
//! (`NotInitialized`), every other state-changing function reverts
//! (`AccessControlUnauthorizedAccount`) and the views read zeros.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    access_control::DEFAULT_ADMIN_ROLE,
    eip712, exit_report as malformed, initializable,
};
use tidepool_interfaces::exit_report;
use tidepool_math::oracle::{ChainConfig, FrameConfig};

use crate::{
    check_quorum, errors::*, roles, ExitReport, ExitReportAccepted, MemberAdded, MemberRemoved,
    Oracle, OracleReportLimits, ReportData, DEFAULT_LIMITS, NAME, U64, VERSION,
};

tidepool_common::program_type! {
    /// The oracle's storage, seen by the management code: one field, so every slot is the
    /// oracle's.
    pub struct OracleAdmin { oracle: Oracle }
}

#[public]
impl OracleAdmin {
    // ------------------------------------------------------------------ set-up

    /// The oracle's set-up, run by its `initialize` through delegatecall right after the
    /// deployer proved itself; refused at any other time. Arguments as `initialize`.
    ///
    /// # Errors
    /// * `NotInitialized` unless the oracle's `initialize` has just run (and so at this
    ///   contract's own address); `AlreadyInitialized` once set up; `InvalidPool`;
    ///   `PoolAnswerMalformed` or the pool's revert if it cannot be read;
    ///   `InvalidChainConfig`; `InvalidFrameConfig`; `InvalidConsensusVersion`;
    ///   `FrameShorterThanReportInterval` for frames shorter than the default minimum report
    ///   interval (12 hours).
    ///
    /// # Events
    /// `Initialized`, `RoleGranted`, `ConsensusVersionSet`, `FrameConfigSet`, `QuorumSet`,
    /// `OracleReportLimitsSet`.
    #[allow(clippy::too_many_arguments)]
    pub fn set_up(
        &mut self,
        admin: Address,
        pool: Address,
        consensus_version: u64,
        genesis_time: u64,
        seconds_per_slot: u64,
        slots_per_epoch: u64,
        initial_epoch: u64,
        epochs_per_frame: u64,
    ) -> Result<(), Vec<u8>> {
        self.init.only_initialized().map_err(OracleError::from)?;
        if !self.pool.get().is_zero() {
            return Err(OracleError::from(initializable::AlreadyInitialized {}).into());
        }
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
        let (withdrawal_vault, rewards_vault, queue) = self.pool_contracts(pool)?;
        self.pool.set(pool);
        self.withdrawal_vault.set(withdrawal_vault);
        self.rewards_vault.set(rewards_vault);
        self.withdrawal_queue.set(queue);
        self.genesis_time.set(U64::from(genesis_time));
        self.seconds_per_slot.set(U64::from(seconds_per_slot));
        self.slots_per_epoch.set(U64::from(slots_per_epoch));
        let caller = self.vm().msg_sender();
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        self.access._grant_role(DEFAULT_ADMIN_ROLE, admin);
        self.store_consensus_version(consensus_version)?;
        self.store_frame_config(FrameConfig { initial_epoch, epochs_per_frame })?;
        self.store_quorum(1);
        self.store_limits(DEFAULT_LIMITS.to_array().map(U256::from))?;
        Ok(())
    }

    // ------------------------------------------------------------------ reports

    /// The EIP-712 digest members sign for `data` (domain: name, version, chain id, this
    /// oracle).
    pub fn hash_report(&self, data: ReportData) -> B256 {
        self.report_digest(&data)
    }

    /// The EIP-712 digest members sign for the exit report `data` (same domain as
    /// `hashReport`).
    pub fn hash_exit_report(&self, data: ExitReport) -> B256 {
        self.exit_report_digest(&data)
    }

    /// Applies the frame's exit report with the signatures of at least a quorum of members
    /// (see the crate docs, "Exit reports"): checks the version, the frame (against the last
    /// applied exit report, independently of accounting reports), the lists' form and the
    /// signatures, then calls the pool's staking module's `processExitReport`. Anyone may
    /// submit.
    ///
    /// # Arguments
    /// * `data` - the frame's exit report.
    /// * `signatures` - one per signing member, ascending by signer, as for `submitReport`.
    ///
    /// # Errors
    /// * Frame and version: `NotInitialized`, `UnexpectedConsensusVersion`,
    ///   `InitialEpochNotYetReached`, `RefSlotAlreadyProcessed` (with the last exit report's
    ///   reference slot), `ProcessingDeadlineMissed`, `UnexpectedRefSlot`.
    /// * Lists: `InvalidExitDataLength`, `UnsortedNodeOperatorIds`, `ZeroExitRequest`,
    ///   `TooManyExitRequests`.
    /// * Signatures: as `submitReport`.
    /// * `InvalidStakingModule` if the pool's module holds no code; `PoolAnswerMalformed` or
    ///   the pool's revert if it cannot be read; the module's reverts, unchanged
    ///   (`NodeOperatorNotFound`, `ExitRequestExceedsDeposited`, `ExitedCountDecreased`,
    ///   `ExitedCountExceedsDeposited`, `AccessControlUnauthorizedAccount` if the oracle lacks
    ///   `REPORT_EXITS_ROLE`).
    ///
    /// # Events
    /// The module's `ValidatorExitRequested` per key and `ExitedValidatorsCountChanged`, then
    /// `ExitReportAccepted`.
    pub fn submit_exit_report(
        &mut self,
        data: ExitReport,
        signatures: Vec<Bytes>,
    ) -> Result<(), Vec<u8>> {
        self.init.only_initialized().map_err(OracleError::from)?;
        let last = self.last_exit_ref_slot.get();
        let ref_slot = self.check_frame(data.consensusVersion, data.refSlot, last)?;
        let refuse = |m| OracleError::from(malformed::Error::from(m));
        let (_, requested) = exit_report::exit_requests(&data.exitRequests).map_err(refuse)?;
        exit_report::entries(&data.exitedCounts).map_err(refuse)?;
        let digest = self.exit_report_digest(&data);
        let signers = self.verify_signatures(digest, &signatures)?;
        let module = self.pool_staking_module()?;
        // Effects before the call: the frame's exit report is spent whatever the module does.
        self.last_exit_ref_slot.set(U64::from(ref_slot));
        self.module_process_exit_report(module, &data)?;
        let mut words = Vec::with_capacity(signers.len() + 3);
        words.push(requested.word());
        words.push(U256::from(64).word());
        words.push(U256::from(signers.len()).word());
        words.extend(signers.iter().map(|s| s.word()));
        emit(self.vm(), &[ExitReportAccepted::SIGNATURE_HASH, data.refSlot.word(), digest], &words);
        Ok(())
    }

    /// The reference slot of the last applied exit report (0: none yet).
    pub fn get_last_exit_ref_slot(&self) -> u64 {
        self.last_exit_ref_slot.get().to()
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
        self.membership_changed(MemberAdded::SIGNATURE_HASH, member, total, quorum);
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
            if let Some(mut slot) = self.members.setter(position as usize - 1) {
                slot.set(last);
            }
            self.member_position.setter(last).set(U64::from(position));
        }
        self.member_position.delete(member);
        self.membership_changed(MemberRemoved::SIGNATURE_HASH, member, total, quorum);
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
    /// * `InvalidFrameConfig` for zero; `FrameShorterThanReportInterval` for frames shorter
    ///   than the minimum report interval (no report could be applied);
    ///   `AccessControlUnauthorizedAccount` without `MANAGE_FRAME_CONFIG_ROLE`.
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

    // ------------------------------------------------------------------ sanity limits

    /// The sanity limits. The positive-rebase cap is not among them: it is the pool's
    /// (`getMaxPositiveRebase`), which reports are checked against.
    pub fn get_oracle_report_limits(&self) -> OracleReportLimits {
        let [a, b, c, d, e] = self.limits().to_array();
        OracleReportLimits {
            annualBalanceIncreaseBPLimit: U256::from(a),
            oneOffCLBalanceDecreaseBPLimit: U256::from(b),
            appearedValidatorsPerDayLimit: U256::from(c),
            simulatedShareRateDeviationBPLimit: U256::from(d),
            minReportInterval: U256::from(e),
        }
    }

    /// Sets every sanity limit.
    ///
    /// # Errors
    /// * `IncorrectLimitValue` for a value above its range (basis points above 10,000, a
    ///   validators or seconds above `uint32`);
    ///   `FrameShorterThanReportInterval` for a minimum report interval longer than a frame;
    ///   `AccessControlUnauthorizedAccount` without `MANAGE_LIMITS_ROLE`.
    ///
    /// # Events
    /// `OracleReportLimitsSet`.
    pub fn set_oracle_report_limits(
        &mut self,
        limits: OracleReportLimits,
    ) -> Result<(), OracleError> {
        self.only_role(roles::MANAGE_LIMITS_ROLE)?;
        self.store_limits(limits.to_array())
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
