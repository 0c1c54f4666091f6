//! `calculateFinalizationBatches`: how an oracle splits the queue into batches that
//! `prefinalize` can price exactly.
//!
//! A batch's price is `min(nominal, shares × rate)` over the whole batch, while each request
//! is later paid the same formula on its own. The two agree (to a wei per discounted
//! request) when every request of a batch falls on the same side: all paid their nominal
//! amount, or all discounted. So consecutive requests on the same side share a batch and a
//! change of side starts a new one. Lido also merges requests made between the same two
//! reports, to absorb rounding; Tidepool's pool gives the queue no report times, and the
//! batch list here is unbounded, so a split too many costs only calldata.

use alloc::{vec, vec::Vec};

use alloy_primitives::U256;
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use tidepool_math::queue::eth_to_finalize;

use crate::{errors::*, ledger::small, QueueError, WithdrawalQueue};

sol! {
    /// What `calculateFinalizationBatches` carries from one call to the next.
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct BatchesCalculationState {
        /// ETH still available for finalization; lowered by each request taken.
        uint256 remainingEthBudget;
        /// Whether the calculation is done (no more calls needed).
        bool finished;
        /// The last request id of each batch so far.
        uint256[] batches;
    }
}

impl WithdrawalQueue {
    /// Whether request `id` is paid less than its nominal amount at `rate`, and what it is
    /// paid.
    fn request_at_rate(&self, id: u64, rate: U256) -> Result<(bool, U256), QueueError> {
        let (steth, shares) = self.range(id - 1, id)?;
        let eth = eth_to_finalize(steth, shares, rate)?;
        Ok((eth < steth, eth))
    }

    pub(crate) fn batches(
        &self,
        max_share_rate: U256,
        max_timestamp: U256,
        max_requests_per_call: U256,
        mut state: BatchesCalculationState,
    ) -> Result<BatchesCalculationState, QueueError> {
        if state.finished || state.remainingEthBudget.is_zero() || max_requests_per_call.is_zero() {
            return Err(InvalidState {}.into());
        }
        let (last_request, last_finalized) = self.counters();
        let (mut current, mut previous_discounted) = match state.batches.last() {
            None => (last_finalized + 1, None),
            Some(&end) => {
                let id = self.valid_request_id(end)?;
                if id <= last_finalized {
                    return Err(InvalidRequestId { requestId: end }.into());
                }
                (id + 1, Some(self.request_at_rate(id, max_share_rate)?.0))
            }
        };
        let stop = current.saturating_add(max_requests_per_call.saturating_to::<u64>());
        let mut batches: Vec<U256> = vec![];
        core::mem::swap(&mut batches, &mut state.batches);

        while current <= last_request && current < stop {
            let created = small(self.requests.getter(current).timestamp.get());
            if U256::from(created) > max_timestamp {
                break;
            }
            let (discounted, eth) = self.request_at_rate(current, max_share_rate)?;
            let Some(remaining) = state.remainingEthBudget.checked_sub(eth) else {
                break;
            };
            state.remainingEthBudget = remaining;
            match batches.last_mut() {
                Some(end) if previous_discounted == Some(discounted) => *end = U256::from(current),
                _ => batches.push(U256::from(current)),
            }
            previous_discounted = Some(discounted);
            current += 1;
        }
        // Done when the queue ran out or something other than the call limit stopped us.
        state.finished = current > last_request || current < stop;
        state.batches = batches;
        Ok(state)
    }
}
