//! The `rate-feed` program: the whole rate feed.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{aliases::U80, Address, U256};
use alloy_sol_types::{SolCall, SolEvent as _};
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    initializable,
};

use crate::{FeedError, IPoolRates, InvalidPool, RateFeed, RoundData, DECIMALS, DESCRIPTION};

#[public]
impl RateFeed {
    /// Sets the pool, once, by the account that deployed the feed.
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed this contract with (proves it did).
    /// * `pool` - the pool whose rate history is published.
    ///
    /// # Errors
    /// * `InvalidPool` if `pool` is zero or holds no code; `AlreadyInitialized`,
    ///   `NotDeployer`.
    ///
    /// # Events
    /// `Initialized`.
    pub fn initialize(&mut self, deployer_nonce: u64, pool: Address) -> Result<(), FeedError> {
        if pool.is_zero() || self.vm().code_size(pool) == 0 {
            return Err(InvalidPool { pool }.into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;
        self.pool.set(pool);
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        Ok(())
    }

    /// The pool whose rate is published.
    pub fn pool(&self) -> Address {
        self.pool.get()
    }

    /// 18: answers are wei of pooled ether per whole wrapped token.
    pub fn decimals(&self) -> u8 {
        DECIMALS
    }

    /// What the feed measures.
    pub fn description(&self) -> String {
        String::from(DESCRIPTION)
    }

    /// Version of this feed's interface behaviour.
    pub fn version(&self) -> U256 {
        U256::from(1)
    }

    /// The round of the latest applied report.
    ///
    /// # Errors
    /// * `RoundNotFound(0)` before the first report; `PoolAnswerMalformed` or the pool's
    ///   revert if the pool cannot be read.
    pub fn latest_round_data(&self) -> Result<RoundData, Vec<u8>> {
        let count = self.pool_word(&IPoolRates::getRateReportCountCall {}.abi_encode(), 0)?;
        self.round(U80::saturating_from(count))
    }

    /// Round `round_id` (1 is the first report).
    ///
    /// # Errors
    /// * `RoundNotFound` for round 0 or a round not reached yet; as `latestRoundData`.
    pub fn get_round_data(&self, round_id: U80) -> Result<RoundData, Vec<u8>> {
        self.round(round_id)
    }
}
