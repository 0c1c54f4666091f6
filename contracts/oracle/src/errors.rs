//! The oracle's custom errors: one per way a call can fail, each with the values that explain
//! it. Signature errors name the signature by its position in `signatures`. The pool's errors
//! (a report the pool itself refuses) reach callers unchanged.

use alloy_sol_types::sol;
use tidepool_common::{access_control, initializable, signature};
use tidepool_math::oracle::Breach;

sol! {
    #![sol(abi)]
    // ---------------------------------------------------------------- set-up
    /// The pool given at initialisation is zero or holds no code.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidPool(address pool);
    /// The pool answered a call with data of an unexpected length.
    #[derive(Debug, PartialEq, Eq)]
    error PoolAnswerMalformed();
    /// Slots or epochs of zero length, or a genesis in the future of the frames.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidChainConfig(uint256 secondsPerSlot, uint256 slotsPerEpoch);
    /// Frames of zero epochs, frame 0 at epoch 0 (it would have no reference slot), or slots
    /// beyond `uint64`.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidFrameConfig(uint256 initialEpoch, uint256 epochsPerFrame);
    /// A consensus version of zero.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidConsensusVersion(uint256 version);

    // ---------------------------------------------------------------- committee
    /// The zero address cannot be a member.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroMemberAddress();
    /// `member` is already in the committee.
    #[derive(Debug, PartialEq, Eq)]
    error DuplicateMember(address member);
    /// `member` is not in the committee.
    #[derive(Debug, PartialEq, Eq)]
    error NonMember(address member);
    /// The quorum must exceed half the members: at least `minQuorum`.
    #[derive(Debug, PartialEq, Eq)]
    error QuorumTooSmall(uint256 minQuorum, uint256 receivedQuorum);

    // ---------------------------------------------------------------- frames
    /// The report is for consensus version `received`; the oracle expects `expected`.
    #[derive(Debug, PartialEq, Eq)]
    error UnexpectedConsensusVersion(uint256 expected, uint256 received);
    /// The first frame has not begun: no report can be made yet.
    #[derive(Debug, PartialEq, Eq)]
    error InitialEpochNotYetReached();
    /// The report's reference slot is not the current frame's (`expected`), nor a past one.
    #[derive(Debug, PartialEq, Eq)]
    error UnexpectedRefSlot(uint256 expected, uint256 received);
    /// The frame of reference slot `refSlot` ended (deadline slot `deadline`): its report
    /// can no longer be applied.
    #[derive(Debug, PartialEq, Eq)]
    error ProcessingDeadlineMissed(uint256 refSlot, uint256 deadline);
    /// A report for `refSlot` or a later slot (`lastProcessingRefSlot`) was already applied.
    #[derive(Debug, PartialEq, Eq)]
    error RefSlotAlreadyProcessed(uint256 refSlot, uint256 lastProcessingRefSlot);

    // ---------------------------------------------------------------- signatures
    /// Signature `index` is neither 65 bytes (ECDSA) nor `abi.encode(address, bytes)`
    /// (EIP-1271).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSignatureLength(uint256 index, uint256 length);
    /// Signature `index` has `s` in the upper half of the curve order (malleable).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSignatureS(uint256 index, bytes32 s);
    /// Signature `index` has `v` other than 27 or 28.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSignatureV(uint256 index, uint8 v);
    /// Signature `index` recovers to no address.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSignature(uint256 index);
    /// Contract member `member` (signature `index`) has no code or did not accept its
    /// signature through EIP-1271.
    #[derive(Debug, PartialEq, Eq)]
    error ContractSignatureRejected(uint256 index, address member);
    /// Signature `index` is from `signer`, who is not a current member.
    #[derive(Debug, PartialEq, Eq)]
    error SignerNotMember(uint256 index, address signer);
    /// Signature `index` is from `signer`, who already signed (signature `index - 1`).
    #[derive(Debug, PartialEq, Eq)]
    error DuplicateSigner(uint256 index, address signer);
    /// Signature `index` is from `signer`, below the previous signer `previous`: signatures
    /// must come in ascending signer order.
    #[derive(Debug, PartialEq, Eq)]
    error SignersNotAscending(uint256 index, address signer, address previous);
    /// `signatures` members signed; `quorum` are needed.
    #[derive(Debug, PartialEq, Eq)]
    error QuorumNotReached(uint256 signatures, uint256 quorum);

    // ---------------------------------------------------------------- sanity limits
    /// A limit outside its range `[0, max]`; `index` is its position in `OracleReportLimits`.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectLimitValue(uint256 index, uint256 value, uint256 max);
    /// The report comes `timeElapsed` seconds after the previous one; at least `minimum`
    /// must pass.
    #[derive(Debug, PartialEq, Eq)]
    error ReportTooSoon(uint256 timeElapsed, uint256 minimum);
    /// Fewer validators than the pool already saw (the pool's own error, checked first).
    #[derive(Debug, PartialEq, Eq)]
    error ReportedValidatorsDecreased(uint256 previous, uint256 reported);
    /// More validators than the pool deposited (the pool's own error, checked first).
    #[derive(Debug, PartialEq, Eq)]
    error ReportedValidatorsExceedDeposited(uint256 deposited, uint256 reported);
    /// More validators appeared than `appearedValidatorsPerDayLimit` allows for the time.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectAppearedValidators(uint256 appeared, uint256 maxAppeared);
    /// The consensus-layer balance grew faster than `annualBalanceIncreaseBPLimit` allows.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectCLBalanceIncrease(uint256 increase, uint256 maxIncrease);
    /// The consensus-layer balance fell more than `oneOffCLBalanceDecreaseBPLimit` allows.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectCLBalanceDecrease(uint256 decrease, uint256 maxDecrease);
    /// The report claims more in the withdrawal vault than it holds.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectWithdrawalsVaultBalance(uint256 reported, uint256 actual);
    /// The report claims more in the execution-layer rewards vault than it holds.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectELRewardsVaultBalance(uint256 reported, uint256 actual);
    /// The simulated share rate is further from the rate the report produced than
    /// `simulatedShareRateDeviationBPLimit` allows.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectSimulatedShareRate(uint256 simulatedShareRate, uint256 actualShareRate);
    /// The share rate rose above what `maxPositiveTokenRebase` allows in one report and above
    /// what the consensus-layer growth alone would give; `maxShareRate` is the larger bound.
    #[derive(Debug, PartialEq, Eq)]
    error IncorrectPositiveTokenRebase(uint256 postShareRate, uint256 maxShareRate);
    /// An arithmetic step on the report's values overflowed or divided by zero.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticFailed();
}

tidepool_common::solidity_errors! {
    /// Every way the oracle itself can refuse a call.
    pub enum OracleError {
        InvalidPool(InvalidPool) { pool },
        PoolAnswerMalformed(PoolAnswerMalformed) {},
        InvalidChainConfig(InvalidChainConfig) { secondsPerSlot, slotsPerEpoch },
        InvalidFrameConfig(InvalidFrameConfig) { initialEpoch, epochsPerFrame },
        InvalidConsensusVersion(InvalidConsensusVersion) { version },
        ZeroMemberAddress(ZeroMemberAddress) {},
        DuplicateMember(DuplicateMember) { member },
        NonMember(NonMember) { member },
        QuorumTooSmall(QuorumTooSmall) { minQuorum, receivedQuorum },
        UnexpectedConsensusVersion(UnexpectedConsensusVersion) { expected, received },
        InitialEpochNotYetReached(InitialEpochNotYetReached) {},
        UnexpectedRefSlot(UnexpectedRefSlot) { expected, received },
        ProcessingDeadlineMissed(ProcessingDeadlineMissed) { refSlot, deadline },
        RefSlotAlreadyProcessed(RefSlotAlreadyProcessed) { refSlot, lastProcessingRefSlot },
        InvalidSignatureLength(InvalidSignatureLength) { index, length },
        InvalidSignatureS(InvalidSignatureS) { index, s },
        InvalidSignatureV(InvalidSignatureV) { index, v },
        InvalidSignature(InvalidSignature) { index },
        ContractSignatureRejected(ContractSignatureRejected) { index, member },
        SignerNotMember(SignerNotMember) { index, signer },
        DuplicateSigner(DuplicateSigner) { index, signer },
        SignersNotAscending(SignersNotAscending) { index, signer, previous },
        QuorumNotReached(QuorumNotReached) { signatures, quorum },
        IncorrectLimitValue(IncorrectLimitValue) { index, value, max },
        ReportTooSoon(ReportTooSoon) { timeElapsed, minimum },
        ReportedValidatorsDecreased(ReportedValidatorsDecreased) { previous, reported },
        ReportedValidatorsExceedDeposited(ReportedValidatorsExceedDeposited) { deposited, reported },
        IncorrectAppearedValidators(IncorrectAppearedValidators) { appeared, maxAppeared },
        IncorrectCLBalanceIncrease(IncorrectCLBalanceIncrease) { increase, maxIncrease },
        IncorrectCLBalanceDecrease(IncorrectCLBalanceDecrease) { decrease, maxDecrease },
        IncorrectWithdrawalsVaultBalance(IncorrectWithdrawalsVaultBalance) { reported, actual },
        IncorrectELRewardsVaultBalance(IncorrectELRewardsVaultBalance) { reported, actual },
        IncorrectSimulatedShareRate(IncorrectSimulatedShareRate) { simulatedShareRate, actualShareRate },
        IncorrectPositiveTokenRebase(IncorrectPositiveTokenRebase) { postShareRate, maxShareRate },
        ArithmeticFailed(ArithmeticFailed) {},
        AccessControlUnauthorizedAccount(access_control::AccessControlUnauthorizedAccount) { account, neededRole },
        AccessControlBadConfirmation(access_control::AccessControlBadConfirmation) {},
        AlreadyInitialized(initializable::AlreadyInitialized) {},
        NotDeployer(initializable::NotDeployer) { caller, nonce },
        NotInitialized(initializable::NotInitialized) {},
    }
}

// Component errors are flattened into leaf variants so the ABI lists every error by name.
impl From<initializable::Error> for OracleError {
    fn from(e: initializable::Error) -> Self {
        match e {
            initializable::Error::AlreadyInitialized(e) => e.into(),
            initializable::Error::NotDeployer(e) => e.into(),
            initializable::Error::NotInitialized(e) => e.into(),
        }
    }
}

impl From<access_control::Error> for OracleError {
    fn from(e: access_control::Error) -> Self {
        match e {
            access_control::Error::UnauthorizedAccount(e) => e.into(),
            access_control::Error::BadConfirmation(e) => e.into(),
        }
    }
}

impl From<Breach> for OracleError {
    fn from(b: Breach) -> Self {
        use alloy_primitives::U256;
        match b {
            Breach::ClBalanceIncrease { increase, max } => {
                IncorrectCLBalanceIncrease { increase, maxIncrease: max }.into()
            }
            Breach::ClBalanceDecrease { decrease, max } => {
                IncorrectCLBalanceDecrease { decrease, maxDecrease: max }.into()
            }
            Breach::AppearedValidators { appeared, max } => IncorrectAppearedValidators {
                appeared: U256::from(appeared),
                maxAppeared: U256::from(max),
            }
            .into(),
            Breach::ShareRate { simulated, actual } => IncorrectSimulatedShareRate {
                simulatedShareRate: simulated,
                actualShareRate: actual,
            }
            .into(),
            Breach::PositiveRebase { post_rate, max_rate } => {
                IncorrectPositiveTokenRebase { postShareRate: post_rate, maxShareRate: max_rate }
                    .into()
            }
            Breach::Math(_) => ArithmeticFailed {}.into(),
        }
    }
}

impl From<tidepool_math::MathError> for OracleError {
    fn from(_: tidepool_math::MathError) -> Self {
        ArithmeticFailed {}.into()
    }
}

/// The error for signature `index` that common's recovery refused.
pub(crate) fn signature_error(index: usize, e: signature::Error) -> OracleError {
    use alloy_primitives::U256;
    let index = U256::from(index);
    match e {
        signature::Error::InvalidSignatureS(e) => InvalidSignatureS { index, s: e.s }.into(),
        signature::Error::InvalidSignatureV(e) => InvalidSignatureV { index, v: e.v }.into(),
        signature::Error::InvalidSignatureLength(e) => {
            InvalidSignatureLength { index, length: e.length }.into()
        }
        signature::Error::InvalidSignature(_) => InvalidSignature { index }.into(),
    }
}
