//! The pool's custom errors. Each failure has its own error carrying the values that explain
//! it; ERC-20 failures use the ERC-6093 names integrators already decode.

pub use tidepool_common::erc20::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidApprover,
    ERC20InvalidReceiver, ERC20InvalidSender, ERC20InvalidSpender,
};
use tidepool_math::MathError;

tidepool_common::solidity_errors! {
    /// Every way a pool call can fail.
    pub enum PoolError {
        /// `decreaseAllowance` asked to go below zero.
        ERC20FailedDecreaseAllowance(address spender, uint256 currentAllowance, uint256 requestedDecrease),
        /// `account` holds `shares` shares but the operation needs `needed`.
        InsufficientShares(address account, uint256 shares, uint256 needed),

        /// The protocol is stopped: no staking, transfers, deposits or reports.
        ProtocolStopped(),
        /// `resume` was called while the protocol runs.
        ProtocolNotStopped(),
        /// Staking is paused.
        StakingIsPaused(),
        /// `resumeStaking` was called while staking runs.
        StakingNotPaused(),
        /// A stake of zero wei.
        ZeroDeposit(),
        /// A stake too small to mint one share at the current rate.
        ZeroSharesMinted(uint256 amount),
        /// The stake exceeds what the regenerating stake limit allows now.
        StakeLimitExceeded(uint256 requested, uint256 available),
        /// A stake-limit configuration that cannot work (see `setStakingLimit`).
        InvalidStakeLimit(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock),

        /// `deposit` was asked for zero validators.
        ZeroValidators(),
        /// Buffered ETH not reserved for withdrawals is below what the deposit needs.
        InsufficientDepositableEther(uint256 requested, uint256 depositable),
        /// The staking module refused the deposit (too few depositable keys, a failed beacon
        /// deposit; its `getStakingModuleSummary` says how many keys it can take).
        DepositTransferFailed(address stakingModule, uint256 amount),

        /// Only the oracle may report.
        NotOracle(address caller),
        /// The report shows fewer validators than the previous one.
        ReportedValidatorsDecreased(uint256 previous, uint256 reported),
        /// The report shows more validators than the pool ever deposited.
        ReportedValidatorsExceedDeposited(uint256 deposited, uint256 reported),
        /// A vault did not pay the amount the report pulls from it.
        VaultWithdrawalFailed(address vault, uint256 amount),
        /// The withdrawal queue rejected a call made while finalising.
        WithdrawalQueueCallFailed(),
        /// Finalisation needs more ETH than the pool holds.
        InsufficientEtherToFinalize(uint256 required, uint256 available),
        /// ETH arrived through `receiveVaultFunds` from something other than a vault the pool called.
        UnexpectedVaultFunds(address sender),
        /// Only the withdrawal queue may send its surplus (`receiveWithdrawalSurplus`);
        /// `caller` is not it.
        NotWithdrawalQueue(address caller),
        /// A call re-entered the pool while one of its own external calls was running.
        ReentrantCall(),

        /// Treasury plus module fee exceeds 100%.
        InvalidFee(uint256 treasuryFeeBasisPoints, uint256 moduleFeeBasisPoints),
        /// A positive-rebase limit of zero or above 100% (1e9).
        InvalidMaxPositiveRebase(uint256 maxPositiveRebase),
        /// A protocol address that must be set was zero.
        ZeroAddress(),
        /// The initial stake (the shares locked at 0x…dEaD) was zero.
        ZeroInitialStake(),
        /// `PoolAccounting` or `PoolAdmin` as given at initialisation holds no code.
        ExtensionWithoutCode(address extension),
        /// No report with this index has been applied (see `getRateReport`).
        RateReportNotFound(uint256 index),
        /// An arithmetic step overflowed or divided by zero.
        ArithmeticFailed(),
    }
    components { erc20, initializable, access_control, permit }
}

impl From<MathError> for PoolError {
    fn from(_: MathError) -> Self {
        // Every math failure here means an input outside any reachable state (overflow of
        // 256-bit products, a zero total); one error keeps the contract small.
        PoolError::ArithmeticFailed(ArithmeticFailed {})
    }
}

/// Shorthand constructors, so call sites read as the condition they report.
pub fn arithmetic() -> PoolError {
    PoolError::ArithmeticFailed(ArithmeticFailed {})
}
