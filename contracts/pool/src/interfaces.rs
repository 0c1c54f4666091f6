//! Calls the pool makes to the other Tidepool contracts, encoded with alloy so the exact
//! calldata is visible to tests.

use alloy_sol_types::sol;

sol! {
    /// The withdrawal queue as the pool sees it.
    interface IWithdrawalQueue {
        /// ETH value of all requests not yet finalised (reserved: cannot be deposited).
        function unfinalizedStETH() external view returns (uint256);
        /// ETH to lock and shares to burn to finalise `batches` at `maxShareRate` (1e27).
        function prefinalize(uint256[] batches, uint256 maxShareRate) external view returns (uint256 ethToLock, uint256 sharesToBurn);
        /// Finalises requests up to `lastRequestId`, taking the ETH sent with the call.
        function finalize(uint256 lastRequestId, uint256 maxShareRate) external payable;
    }

    /// A vault the pool draws from.
    interface IVault {
        /// Sends `amount` wei back to the pool through `receiveVaultFunds`.
        function withdraw(uint256 amount) external;
    }

    /// The staking module as the pool sees it.
    interface IStakingModule {
        /// Deposits `validators` keys to the beacon chain with the ETH sent (32 per key).
        function deposit(uint256 validators) external payable;
    }
}
