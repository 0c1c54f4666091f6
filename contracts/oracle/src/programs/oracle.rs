//! The `oracle` program, the oracle's front: set-up and reports. Every other selector goes
//! to the `oracle-admin` program by delegatecall ([`Delegate`]).

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    program::Delegate,
};

use crate::{errors::*, Oracle, ReportAccepted, ReportData, Revert, SET_UP_SELECTOR};

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
    /// * `admin_contract` - the `OracleAdmin` program every other selector runs in.
    /// * `consensus_version` - the version reports must carry, at least 1.
    /// * `genesis_time`, `seconds_per_slot`, `slots_per_epoch` - the beacon chain (fixed).
    /// * `initial_epoch`, `epochs_per_frame` - the first frame and the frame length.
    ///
    /// # Errors
    /// * `InvalidPool` if `pool` or `admin_contract` is zero or holds no code;
    ///   `PoolAnswerMalformed` or the
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
        admin_contract: Address,
        consensus_version: u64,
        genesis_time: u64,
        seconds_per_slot: u64,
        slots_per_epoch: u64,
        initial_epoch: u64,
        epochs_per_frame: u64,
    ) -> Result<(), Revert> {
        if admin_contract.is_zero() || self.vm().code_size(admin_contract) == 0 {
            return Err(OracleError::from(InvalidPool { pool: admin_contract }).into());
        }
        // The deployer proves itself here, before any foreign code runs on this storage.
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce).map_err(OracleError::from)?;
        self.admin_contract.set(admin_contract);
        // The rest of the set-up is `OracleAdmin::setUp`, run here by delegatecall (it keeps
        // this contract small); it refuses to run at any other time.
        let words = [
            admin.word(),
            pool.word(),
            consensus_version.word(),
            genesis_time.word(),
            seconds_per_slot.word(),
            slots_per_epoch.word(),
            initial_epoch.word(),
            epochs_per_frame.word(),
        ];
        let data = tidepool_common::abi::encode_error(SET_UP_SELECTOR, &words);
        self.delegate(&data)?;
        Ok(())
    }

    // ------------------------------------------------------------------ reports

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
        let last = self.last_processing_ref_slot.get();
        let ref_slot = self.check_frame(data.consensusVersion, data.refSlot, last)?;
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

    /// Runs every selector this contract does not know in `OracleAdmin`'s code, on this
    /// storage (committee, frames, version, limits, roles and their views).
    ///
    /// # Errors
    /// * `NotInitialized` before initialisation (no admin contract yet);
    /// * whatever `OracleAdmin` reverts with, unchanged (empty data for an unknown selector).
    ///
    /// # Events
    /// Those of the admin function.
    #[fallback]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        self.delegate(calldata)
    }
}
