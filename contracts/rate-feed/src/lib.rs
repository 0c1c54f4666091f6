//! A Chainlink-style price feed (`AggregatorV3Interface`) of the wrapped token: pooled ether
//! per whole wrapped token (one pool share), 18 decimals, so a lending protocol prices the
//! wrapped token as collateral with the adapter it already has for any Chainlink feed.
//!
//! Round `n` is the pool's `n`-th applied oracle report: its answer is the rate right after
//! that report (rounded down: the feed never overstates the collateral). `updatedAt` is the
//! block time at which the report was applied, that is when the answer changed on chain, as
//! in Chainlink's feeds, so an integrator's staleness check (`block.timestamp - updatedAt`)
//! measures how long the answer has stood; `startedAt` is the report's reference time, when
//! the beacon chain was observed (hours earlier: a report is built once its reference slot
//! is finalized). The rate therefore moves only when a report is applied, never with
//! deposits or withdrawals. The history lives in the pool
//! (`getRateReport`), so every past round stays readable and the report pays for one storage
//! word, not a call into this contract.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod programs;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U80, I256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::{call::static_call, prelude::*, storage::StorageAddress};
use tidepool_common::initializable::Initializable;

/// What `description()` returns.
pub const DESCRIPTION: &str = "wtpETH / ETH exchange rate";
/// Decimals of the answer (the rate is ether per 1e18 tokens, in wei).
pub const DECIMALS: u8 = 18;

// The feed's own copy of the two pool views it calls, not `tidepool_interfaces::IPool`: with
// the interfaces crate's `IPool` the program came out 104 brotli bytes (1.8%) bigger, over
// the 1% a refactor may add, for the same calldata.
sol! {
    /// The pool's rate history (served by its accounting program).
    interface IPoolRates {
        function getRateReportCount() external view returns (uint256);
        function getRateReport(uint256 index) external view returns (uint256 timestamp, uint256 pooledEthPerShare, uint256 appliedAt);
    }
}

tidepool_common::solidity_errors! {
    /// Every way the feed can refuse a call.
    pub enum FeedError {
        /// No such round: before the first report, round 0, or a round not reached yet.
        RoundNotFound(uint80 roundId),
        /// The pool given at initialisation is zero or holds no code.
        InvalidPool(address pool),
        /// The pool answered with data of the wrong length.
        PoolAnswerMalformed(),
    }
    components { initializable }
}

/// Every event and error of the feed, for `abi/IRateFeed.sol` and `abi/RateFeed.json`.
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The feed's events and errors.
    pub fn items() -> Items {
        FeedError::abi_items(Items::new())
    }
}

/// `(roundId, answer, startedAt, updatedAt, answeredInRound)`, as `AggregatorV3Interface`.
pub type RoundData = (U80, I256, U256, U256, U80);

/// The feed's storage.
#[storage]
pub struct RateFeed {
    init: Initializable,
    pool: StorageAddress,
}

tidepool_common::program_storage!(RateFeed);

impl RateFeed {
    fn round(&self, round_id: U80) -> Result<RoundData, Vec<u8>> {
        let not_found = || Vec::<u8>::from(FeedError::from(RoundNotFound { roundId: round_id }));
        if round_id.is_zero() {
            return Err(not_found());
        }
        let index = U256::from(round_id) - U256::from(1);
        let data = IPoolRates::getRateReportCall { index }.abi_encode();
        let out = static_call(self.vm(), Call::new(), self.pool.get(), &data)
            // The pool refuses an index past its history: that round does not exist yet.
            .map_err(|_| not_found())?;
        let (observed, rate, applied) = (word(&out, 0, 3)?, word(&out, 1, 3)?, word(&out, 2, 3)?);
        // A rate below 2^128 (the pool stores it in 128 bits) is a positive int256.
        let answer = I256::from_raw(rate);
        Ok((round_id, answer, observed, applied, round_id))
    }

    fn pool_word(&self, data: &[u8], index: usize) -> Result<U256, Vec<u8>> {
        let out =
            static_call(self.vm(), Call::new(), self.pool.get(), data).map_err(Vec::<u8>::from)?;
        word(&out, index, 1)
    }
}

/// Word `index` of an answer that must be exactly `words` words long.
fn word(out: &[u8], index: usize, words: usize) -> Result<U256, Vec<u8>> {
    if out.len() != 32 * words {
        return Err(FeedError::from(PoolAnswerMalformed {}).into());
    }
    Ok(U256::from_be_slice(&out[32 * index..32 * (index + 1)]))
}
