//! The pool's custom errors. Each failure has its own error carrying the values that explain
//! it; ERC-20 failures use the ERC-6093 names integrators already decode.

use alloy_sol_types::sol;
pub use tidepool_common::erc20::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidApprover,
    ERC20InvalidReceiver, ERC20InvalidSender, ERC20InvalidSpender,
};
use tidepool_common::{access_control, erc20, initializable, nonces, permit};
use tidepool_math::MathError;

sol! {
    #![sol(abi)]
    /// `decreaseAllowance` asked to go below zero.
    #[derive(Debug, PartialEq, Eq)]
    error ERC20FailedDecreaseAllowance(address spender, uint256 currentAllowance, uint256 requestedDecrease);
    /// `account` holds `shares` shares but the operation needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientShares(address account, uint256 shares, uint256 needed);

    /// The protocol is stopped: no staking, transfers, deposits or reports.
    #[derive(Debug, PartialEq, Eq)]
    error ProtocolStopped();
    /// `resume` was called while the protocol runs.
    #[derive(Debug, PartialEq, Eq)]
    error ProtocolNotStopped();
    /// Staking is paused.
    #[derive(Debug, PartialEq, Eq)]
    error StakingIsPaused();
    /// `resumeStaking` was called while staking runs.
    #[derive(Debug, PartialEq, Eq)]
    error StakingNotPaused();
    /// A stake of zero wei.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroDeposit();
    /// A stake too small to mint one share at the current rate.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroSharesMinted(uint256 amount);
    /// The stake exceeds what the regenerating stake limit allows now.
    #[derive(Debug, PartialEq, Eq)]
    error StakeLimitExceeded(uint256 requested, uint256 available);
    /// A stake-limit configuration that cannot work (see `setStakingLimit`).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidStakeLimit(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock);

    /// `deposit` was asked for zero validators.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroValidators();
    /// Buffered ETH not reserved for withdrawals is below what the deposit needs.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientDepositableEther(uint256 requested, uint256 depositable);
    /// The staking module refused the deposit transfer.
    #[derive(Debug, PartialEq, Eq)]
    error DepositTransferFailed(address stakingModule, uint256 amount);

    /// Only the oracle may report.
    #[derive(Debug, PartialEq, Eq)]
    error NotOracle(address caller);
    /// The report shows fewer validators than the previous one.
    #[derive(Debug, PartialEq, Eq)]
    error ReportedValidatorsDecreased(uint256 previous, uint256 reported);
    /// The report shows more validators than the pool ever deposited.
    #[derive(Debug, PartialEq, Eq)]
    error ReportedValidatorsExceedDeposited(uint256 deposited, uint256 reported);
    /// A vault did not pay the amount the report pulls from it.
    #[derive(Debug, PartialEq, Eq)]
    error VaultWithdrawalFailed(address vault, uint256 amount);
    /// The withdrawal queue rejected a call made while finalising.
    #[derive(Debug, PartialEq, Eq)]
    error WithdrawalQueueCallFailed();
    /// Finalisation needs more ETH than the pool holds.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientEtherToFinalize(uint256 required, uint256 available);
    /// ETH arrived through `receiveVaultFunds` from something other than a vault the pool called.
    #[derive(Debug, PartialEq, Eq)]
    error UnexpectedVaultFunds(address sender);
    /// A call re-entered the pool while one of its own external calls was running.
    #[derive(Debug, PartialEq, Eq)]
    error ReentrantCall();

    /// Treasury plus module fee exceeds 100%.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidFee(uint256 treasuryFeeBasisPoints, uint256 moduleFeeBasisPoints);
    /// A positive-rebase limit of zero or above 100% (1e9).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidMaxPositiveRebase(uint256 maxPositiveRebase);
    /// A protocol address that must be set was zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
    /// The initial stake (the shares locked at 0x…dEaD) was zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroInitialStake();
    /// `PoolAccounting` or `PoolAdmin` as given at initialisation holds no code.
    #[derive(Debug, PartialEq, Eq)]
    error ExtensionWithoutCode(address extension);
    /// No report with this index has been applied (see `getRateReport`).
    #[derive(Debug, PartialEq, Eq)]
    error RateReportNotFound(uint256 index);
    /// An arithmetic step overflowed or divided by zero.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticFailed();
}

tidepool_common::solidity_errors! {
    /// Every way a pool call can fail.
    pub enum PoolError {
        ERC20InsufficientBalance(ERC20InsufficientBalance) { sender, balance, needed },
        ERC20InvalidSender(ERC20InvalidSender) { sender },
        ERC20InvalidReceiver(ERC20InvalidReceiver) { receiver },
        ERC20InsufficientAllowance(ERC20InsufficientAllowance) { spender, allowance, needed },
        ERC20InvalidApprover(ERC20InvalidApprover) { approver },
        ERC20InvalidSpender(ERC20InvalidSpender) { spender },
        ERC20FailedDecreaseAllowance(ERC20FailedDecreaseAllowance) { spender, currentAllowance, requestedDecrease },
        InsufficientShares(InsufficientShares) { account, shares, needed },
        ProtocolStopped(ProtocolStopped) {  },
        ProtocolNotStopped(ProtocolNotStopped) {  },
        StakingIsPaused(StakingIsPaused) {  },
        StakingNotPaused(StakingNotPaused) {  },
        ZeroDeposit(ZeroDeposit) {  },
        ZeroSharesMinted(ZeroSharesMinted) { amount },
        StakeLimitExceeded(StakeLimitExceeded) { requested, available },
        InvalidStakeLimit(InvalidStakeLimit) { maxStakeLimit, stakeLimitIncreasePerBlock },
        ZeroValidators(ZeroValidators) {  },
        InsufficientDepositableEther(InsufficientDepositableEther) { requested, depositable },
        DepositTransferFailed(DepositTransferFailed) { stakingModule, amount },
        NotOracle(NotOracle) { caller },
        ReportedValidatorsDecreased(ReportedValidatorsDecreased) { previous, reported },
        ReportedValidatorsExceedDeposited(ReportedValidatorsExceedDeposited) { deposited, reported },
        VaultWithdrawalFailed(VaultWithdrawalFailed) { vault, amount },
        WithdrawalQueueCallFailed(WithdrawalQueueCallFailed) {  },
        InsufficientEtherToFinalize(InsufficientEtherToFinalize) { required, available },
        UnexpectedVaultFunds(UnexpectedVaultFunds) { sender },
        ReentrantCall(ReentrantCall) {  },
        InvalidFee(InvalidFee) { treasuryFeeBasisPoints, moduleFeeBasisPoints },
        InvalidMaxPositiveRebase(InvalidMaxPositiveRebase) { maxPositiveRebase },
        ZeroAddress(ZeroAddress) {  },
        ZeroInitialStake(ZeroInitialStake) {  },
        ExtensionWithoutCode(ExtensionWithoutCode) { extension },
        RateReportNotFound(RateReportNotFound) { index },
        ArithmeticFailed(ArithmeticFailed) {  },
        AlreadyInitialized(initializable::AlreadyInitialized) {  },
        NotDeployer(initializable::NotDeployer) { caller, nonce },
        NotInitialized(initializable::NotInitialized) {  },
        AccessControlUnauthorizedAccount(access_control::AccessControlUnauthorizedAccount) { account, neededRole },
        AccessControlBadConfirmation(access_control::AccessControlBadConfirmation) {  },
        ERC2612ExpiredSignature(permit::ERC2612ExpiredSignature) { deadline },
        ERC2612InvalidSigner(permit::ERC2612InvalidSigner) { signer, owner },
        NonceOverflow(nonces::NonceOverflow) { account },
    }
}

impl From<MathError> for PoolError {
    fn from(_: MathError) -> Self {
        // Every math failure here means an input outside any reachable state (overflow of
        // 256-bit products, a zero total); one error keeps the contract small.
        PoolError::ArithmeticFailed(ArithmeticFailed {})
    }
}

// Component errors are flattened into leaf variants so the ABI lists every error by name.
impl From<initializable::Error> for PoolError {
    fn from(e: initializable::Error) -> Self {
        match e {
            initializable::Error::AlreadyInitialized(e) => e.into(),
            initializable::Error::NotDeployer(e) => e.into(),
            initializable::Error::NotInitialized(e) => e.into(),
        }
    }
}

impl From<access_control::Error> for PoolError {
    fn from(e: access_control::Error) -> Self {
        match e {
            access_control::Error::UnauthorizedAccount(e) => e.into(),
            access_control::Error::BadConfirmation(e) => e.into(),
        }
    }
}

impl From<erc20::Error> for PoolError {
    fn from(e: erc20::Error) -> Self {
        match e {
            erc20::Error::InsufficientAllowance(e) => e.into(),
            erc20::Error::InvalidApprover(e) => e.into(),
            erc20::Error::InvalidSpender(e) => e.into(),
        }
    }
}

impl From<permit::Error> for PoolError {
    fn from(e: permit::Error) -> Self {
        match e {
            permit::Error::ExpiredSignature(e) => e.into(),
            permit::Error::InvalidSigner(e) => e.into(),
            permit::Error::NonceOverflow(e) => e.into(),
        }
    }
}

/// Shorthand constructors, so call sites read as the condition they report.
pub fn arithmetic() -> PoolError {
    PoolError::ArithmeticFailed(ArithmeticFailed {})
}
