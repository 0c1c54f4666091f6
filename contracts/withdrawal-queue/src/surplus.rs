//! The surplus sweep: ETH the queue holds above what its finalized, unclaimed requests can
//! claim goes back to the pool's buffer.
//!
//! Finalization locks what `prefinalize` priced per batch, which is at least what the
//! batch's requests claim one by one: a wei per discounted request, more when a batch mixes
//! requests paid in full and discounted. That rounding, and any ETH forced into the queue,
//! would otherwise stay for good.
//!
//! # Knowing the claimable ETH exactly, cheaply
//! What every finalized request claims is a function of its prefix sums and its checkpoint's
//! rate alone (`eth_to_finalize`), claimed or not. So, with `D = locked − owed` (`owed`:
//! what the finalized, unclaimed requests claim), a claim lowers `locked` and `owed` alike
//! and leaves `D` alone; a finalization adds its ETH minus its requests' payouts. The queue
//! keeps `unmatched` = ETH of every finalization − payouts of the requests the sweep has
//! counted − rounding already swept; once the sweep has counted every finalized request,
//! `unmatched = D` exactly, and the surplus is `balance − (locked − D)`.
//!
//! The alternative, summing the payouts in `finalize`, would cost a storage read per
//! request inside every oracle report; here finalization adds one word, claims nothing,
//! and each request is counted once in the queue's life, by the sweep, which may count a
//! long backlog over several calls (`max_requests`).

use alloy_primitives::{aliases::U64, Uint, U256};
use alloy_sol_types::{SolCall as _, SolEvent as _};
use stylus_sdk::prelude::*;
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::queue::eth_to_finalize;

use crate::{
    calls::{calldata, pool_revert, IPoolToken},
    errors::*,
    events::SurplusSwept,
    ledger::small,
    Revert, WithdrawalQueue,
};

impl WithdrawalQueue {
    /// Counts up to `max_requests` finalized requests not yet counted; once all are, sends
    /// the surplus to the pool and returns it (0 while requests remain to count, or when
    /// there is no surplus).
    ///
    /// Checks-effects-interactions: the count, `unmatched` (zeroed) and `locked` (lowered to
    /// exactly what claims can take) are written before the one call out, to the pool's
    /// `receiveWithdrawalSurplus`, which calls nothing back.
    pub(crate) fn sweep_surplus(&mut self, max_requests: U256) -> Result<U256, Revert> {
        let last_finalized = self.counters().1;
        let mut counted = small(self.sweep_counted_to.get());
        let mut unmatched = U256::from(self.unmatched_ether.get());
        let stop = last_finalized.min(counted.saturating_add(max_requests.saturating_to()));
        if counted < stop {
            let count = self.checkpoint_count();
            // `counted + 1` is finalized, so it has a checkpoint.
            let mut index = self.find_checkpoint_hint(
                U256::from(counted + 1),
                U256::from(1u8),
                U256::from(count),
            )?;
            let next_start = |queue: &Self, index: u64| {
                if index < count {
                    queue.checkpoint_start(index + 1)
                } else {
                    u64::MAX
                }
            };
            let mut next = next_start(self, index);
            let mut rate = U256::from(self.checkpoints.getter(index).max_share_rate.get());
            let mut before = self.cumulative(counted);
            for id in counted + 1..=stop {
                if id >= next {
                    index += 1;
                    next = next_start(self, index);
                    rate = U256::from(self.checkpoints.getter(index).max_share_rate.get());
                }
                let after = self.cumulative(id);
                let steth = after.0.checked_sub(before.0).ok_or_else(arithmetic)?;
                let shares = after.1.checked_sub(before.1).ok_or_else(arithmetic)?;
                // What `claimable_at` pays this request, claimed or not.
                let paid = eth_to_finalize(steth, shares, rate).map_err(QueueError::from)?;
                // Finalizations lock at least their requests' payouts (`prefinalize`).
                unmatched = unmatched.checked_sub(paid).ok_or_else(arithmetic)?;
                before = after;
            }
            counted = stop;
            self.sweep_counted_to.set(U64::from(counted));
        }
        if counted < last_finalized {
            self.unmatched_ether.set(Uint::saturating_from(unmatched));
            return Ok(U256::ZERO);
        }

        let owed =
            U256::from(self.locked_ether.get()).checked_sub(unmatched).ok_or_else(arithmetic)?;
        let this = self.vm().contract_address();
        let surplus = self.vm().balance(this).checked_sub(owed).ok_or_else(arithmetic)?;
        // Lower than the stored value, so it fits where that came from.
        self.locked_ether.set(Uint::saturating_from(owed));
        self.unmatched_ether.set(Uint::ZERO);
        if surplus.is_zero() {
            return Ok(U256::ZERO);
        }
        emit(self.vm(), &[SurplusSwept::SIGNATURE_HASH], &[surplus.word(), owed.word()]);
        let pool = self.pool.get();
        let data = calldata(IPoolToken::receiveWithdrawalSurplusCall::SELECTOR, &[]);
        self.call_out(pool, surplus, &data).map_err(pool_revert)?;
        Ok(surplus)
    }
}
