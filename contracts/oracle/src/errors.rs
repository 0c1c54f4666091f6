//! The oracle's custom errors: one per way a call can fail, each with the values that explain
//! it. Signature errors name the signature by its position in `signatures`. The pool's errors
//! (a report the pool itself refuses) reach callers unchanged.

use tidepool_common::signature;
use tidepool_math::oracle::Breach;

tidepool_common::solidity_errors! {
    /// Every way the oracle itself can refuse a call.
    pub enum OracleError {
        // ---------------------------------------------------------------- set-up
        /// The pool given at initialisation is zero or holds no code.
        InvalidPool(address pool),
        /// The pool answered a call with data of an unexpected length.
        PoolAnswerMalformed(),
        /// Slots or epochs of zero length, or a genesis in the future of the frames.
        InvalidChainConfig(uint256 secondsPerSlot, uint256 slotsPerEpoch),
        /// Frames of zero epochs, frame 0 at epoch 0 (it would have no reference slot), or slots
        /// beyond `uint64`.
        InvalidFrameConfig(uint256 initialEpoch, uint256 epochsPerFrame),
        /// A consensus version of zero.
        InvalidConsensusVersion(uint256 version),
        /// Frames of `frameSeconds` are shorter than the minimum report interval: no report
        /// could ever be applied (the first covers one frame). Refused from either side: a
        /// frame length or a minimum interval.
        FrameShorterThanReportInterval(uint256 frameSeconds, uint256 minReportInterval),

        // ---------------------------------------------------------------- committee
        /// The zero address cannot be a member.
        ZeroMemberAddress(),
        /// `member` is already in the committee.
        DuplicateMember(address member),
        /// `member` is not in the committee.
        NonMember(address member),
        /// The quorum must exceed half the members: at least `minQuorum`.
        QuorumTooSmall(uint256 minQuorum, uint256 receivedQuorum),

        // ---------------------------------------------------------------- frames
        /// The report is for consensus version `received`; the oracle expects `expected`.
        UnexpectedConsensusVersion(uint256 expected, uint256 received),
        /// The first frame has not begun: no report can be made yet.
        InitialEpochNotYetReached(),
        /// The report's reference slot is not the current frame's (`expected`), nor a past one.
        UnexpectedRefSlot(uint256 expected, uint256 received),
        /// The frame of reference slot `refSlot` ended (deadline slot `deadline`): its report
        /// can no longer be applied.
        ProcessingDeadlineMissed(uint256 refSlot, uint256 deadline),
        /// A report for `refSlot` or a later slot (`lastProcessingRefSlot`) was already applied.
        RefSlotAlreadyProcessed(uint256 refSlot, uint256 lastProcessingRefSlot),

        // ---------------------------------------------------------------- signatures
        /// Signature `index` is neither 65 bytes (ECDSA) nor `abi.encode(address, bytes)`
        /// (EIP-1271).
        InvalidSignatureLength(uint256 index, uint256 length),
        /// Signature `index` has `s` in the upper half of the curve order (malleable).
        InvalidSignatureS(uint256 index, bytes32 s),
        /// Signature `index` has `v` other than 27 or 28.
        InvalidSignatureV(uint256 index, uint8 v),
        /// Signature `index` recovers to no address.
        InvalidSignature(uint256 index),
        /// Contract member `member` (signature `index`) has no code or did not accept its
        /// signature through EIP-1271.
        ContractSignatureRejected(uint256 index, address member),
        /// Signature `index` is from `signer`, who is not a current member.
        SignerNotMember(uint256 index, address signer),
        /// Signature `index` is from `signer`, who already signed (signature `index - 1`).
        DuplicateSigner(uint256 index, address signer),
        /// Signature `index` is from `signer`, below the previous signer `previous`: signatures
        /// must come in ascending signer order.
        SignersNotAscending(uint256 index, address signer, address previous),
        /// `signatures` members signed; `quorum` are needed.
        QuorumNotReached(uint256 signatures, uint256 quorum),

        // ---------------------------------------------------------------- sanity limits
        /// A limit outside its range `[0, max]`; `index` is its position in `OracleReportLimits`.
        IncorrectLimitValue(uint256 index, uint256 value, uint256 max),
        /// The report comes `timeElapsed` seconds after the previous one; at least `minimum`
        /// must pass.
        ReportTooSoon(uint256 timeElapsed, uint256 minimum),
        /// Fewer validators than the pool already saw (the pool's own error, checked first).
        ReportedValidatorsDecreased(uint256 previous, uint256 reported),
        /// More validators than the pool deposited (the pool's own error, checked first).
        ReportedValidatorsExceedDeposited(uint256 deposited, uint256 reported),
        /// More validators appeared than `appearedValidatorsPerDayLimit` allows for the time.
        IncorrectAppearedValidators(uint256 appeared, uint256 maxAppeared),
        /// The consensus-layer balance grew faster than `annualBalanceIncreaseBPLimit` allows.
        IncorrectCLBalanceIncrease(uint256 increase, uint256 maxIncrease),
        /// The consensus-layer balance fell more than `oneOffCLBalanceDecreaseBPLimit` allows.
        IncorrectCLBalanceDecrease(uint256 decrease, uint256 maxDecrease),
        /// The report claims more in the withdrawal vault than it holds.
        IncorrectWithdrawalsVaultBalance(uint256 reported, uint256 actual),
        /// The report claims more in the execution-layer rewards vault than it holds.
        IncorrectELRewardsVaultBalance(uint256 reported, uint256 actual),
        /// The simulated share rate is further from the rate the report produced than
        /// `simulatedShareRateDeviationBPLimit` allows.
        IncorrectSimulatedShareRate(uint256 simulatedShareRate, uint256 actualShareRate),
        /// The share rate rose above what the pool's positive-rebase cap (its
        /// `getMaxPositiveRebase`) allows in one report and above what the consensus-layer
        /// growth alone would give; `maxShareRate` is the larger bound, rounded down, and
        /// `postShareRate` the rate the report produced, rounded up.
        IncorrectPositiveTokenRebase(uint256 postShareRate, uint256 maxShareRate),
        /// An arithmetic step on the report's values overflowed or divided by zero.
        ArithmeticFailed(),

        // ---------------------------------------------------------------- exit reports
        /// The staking module the pool names, `stakingModule`, holds no code: an exit report
        /// sent to it would be lost.
        InvalidStakingModule(address stakingModule),
    }
    components { access_control, initializable, exit_report }
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
