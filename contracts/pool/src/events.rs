//! The pool's events. Names and fields follow Lido's stETH where the meaning is the same, so
//! indexers written for Lido read Tidepool unchanged.

pub use tidepool_common::erc20::{Approval, Transfer};

tidepool_common::solidity_events! {
    /// `sharesValue` shares moved; always paired with a `Transfer` of their token value.
    event TransferShares(address indexed from, address indexed to, uint256 sharesValue);
    /// `sharesAmount` shares of `account` burnt: worth `preRebaseTokenAmount` before the
    /// report and `postRebaseTokenAmount` after it.
    event SharesBurnt(address indexed account, uint256 preRebaseTokenAmount, uint256 postRebaseTokenAmount, uint256 sharesAmount);
    /// `sender` staked `amount` wei, crediting `referral`.
    event Submitted(address indexed sender, uint256 amount, address referral);
    /// An oracle report moved the share rate.
    event TokenRebased(uint256 indexed reportTimestamp, uint256 timeElapsed, uint256 preTotalShares, uint256 preTotalEther, uint256 postTotalShares, uint256 postTotalEther, uint256 sharesMintedAsFees);
    /// Where the ETH of an oracle report went.
    event ETHDistributed(uint256 indexed reportTimestamp, uint256 preCLBalance, uint256 postCLBalance, uint256 withdrawalsWithdrawn, uint256 executionLayerRewardsWithdrawn, uint256 postBufferedEther);
    /// The number of validators the consensus layer shows changed.
    event CLValidatorsUpdated(uint256 indexed reportTimestamp, uint256 preCLValidators, uint256 postCLValidators);
    /// `amount` wei left the buffer for the staking module.
    event Unbuffered(uint256 amount);
    /// The count of validators ever deposited is now `depositedValidators`.
    event DepositedValidatorsChanged(uint256 depositedValidators);
    /// `amount` wei arrived from `vault` during a report.
    event VaultFundsReceived(address indexed vault, uint256 amount);
    /// `amount` wei of the withdrawal queue's surplus came back into the buffer.
    event WithdrawalSurplusReceived(uint256 amount);
    /// `amount` wei went to the withdrawal queue to finalise requests up to `lastRequestId`.
    event WithdrawalsFinalized(uint256 indexed lastRequestId, uint256 amount, uint256 sharesToBurn);
    /// Staking paused.
    event StakingPaused();
    /// Staking resumed.
    event StakingResumed();
    /// The regenerating stake limit was set.
    event StakingLimitSet(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock);
    /// The stake limit was removed.
    event StakingLimitRemoved();
    /// The whole protocol stopped.
    event Stopped();
    /// The whole protocol resumed.
    event Resumed();
    /// The fee, split between treasury and staking module, in basis points.
    event FeeSet(uint256 treasuryFeeBasisPoints, uint256 moduleFeeBasisPoints);
    /// The cap on one report's share-rate increase, in 1e9 precision.
    event MaxPositiveRebaseSet(uint256 maxPositiveRebase);
    /// The treasury that receives fee shares changed.
    event TreasurySet(address treasury);
    /// The staking module (deposit target and module fee recipient) changed.
    event StakingModuleSet(address stakingModule);
}
