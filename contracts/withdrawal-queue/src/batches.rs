//! `calculateFinalizationBatches`: how an oracle splits the queue into at most
//! [`MAX_FINALIZATION_BATCHES`] batches that `prefinalize` prices.
//!
//! A batch's price is `min(nominal, shares × rate)` over the whole batch, while each request
//! is later paid the same formula on its own, so a batch is always worth at least what its
//! requests claim (the sum of minimums is at most the minimum of sums) and claims never run
//! short, however the queue is split. What the split decides is how much more than the
//! claims a batch locks: nothing when every request of a batch is on the same side (all paid
//! their nominal amount, or all discounted), a wei per request at most when they were priced
//! at the same pool rate and differ only by rounding. `sweepSurplus` returns such surplus to
//! the pool's buffer.
//!
//! So requests are classed by report period (made between the same two applied reports, so
//! at one pool rate): a period is on the discounted side when its rate is above the
//! report's, and all its requests with it, whatever their own rounding (judging each
//! request on its own let anyone make one batch per request with alternating 110- and
//! 109-wei requests, and let a request paid in full only by rounding chain an older
//! period's full payments to its own period's discounted ones). As in Lido, a request joins
//! the batch before it when both are on the same side or in the same period; a new batch
//! starts only where the side of the periods changes, and the calculation stops at
//! [`MAX_FINALIZATION_BATCHES`]: a report's `prefinalize` loops stay bounded whatever the
//! queue holds, and what is left waits for the next report.
//!
//! Report periods and their rates come from the pool's rate history (`getRateReport`: when
//! each report was applied and the rate it left), compared with each request's block time. A request made in the same block as a
//! report, before it, counts as the later period: it may then share a batch across the rate
//! change, which locks a little more than its claims and is never short.

use alloc::{vec, vec::Vec};

use alloy_primitives::U256;
use alloy_sol_types::{sol, SolCall as _};
use stylus_sdk::{call::static_call, prelude::*};
use tidepool_interfaces::withdrawal_queue::MAX_FINALIZATION_BATCHES;
use tidepool_math::{queue::eth_to_finalize, SHARE_RATE_PRECISION};

use crate::{
    calls::{pool_failed, IPoolToken},
    errors::*,
    ledger::small,
    QueueError, WithdrawalQueue,
};

sol! {
    /// What `calculateFinalizationBatches` carries from one call to the next.
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct BatchesCalculationState {
        /// ETH still available for finalization; lowered by each request taken.
        uint256 remainingEthBudget;
        /// Whether the calculation is done (no more calls needed).
        bool finished;
        /// The last request id of each batch so far (at most 36).
        uint256[] batches;
    }
}

/// The pool's applied reports, walked forward in time alongside the requests (whose times
/// never decrease), so each report is read once.
struct Periods {
    /// Reports applied so far.
    count: u64,
    /// The first report not yet passed, `next`, read (`None` past the last report): its
    /// application time ends the current period, its rate starts the following one.
    upcoming: Option<AppliedReport>,
    /// Its index.
    next: u64,
    /// The pool's share rate (1e27) during the period: what report `next - 1` left, or one
    /// ether per share before the first report (the pool starts at 1:1).
    rate: U256,
}

/// `getRateReport(index)` as `(applied at, share rate × 1e27)`.
struct AppliedReport {
    applied_at: u64,
    rate: U256,
}

/// A report's rate is ether per 1e18 shares; the queue's rates are per share × 1e27.
const PER_TOKEN_TO_SHARE_RATE: U256 = U256::from_limbs([1_000_000_000, 0, 0, 0]);

impl WithdrawalQueue {
    /// The pool's report `index` (from 0): when it was applied and the rate it left.
    fn applied_report(&self, index: u64) -> Result<AppliedReport, QueueError> {
        let data = IPoolToken::getRateReportCall { index: U256::from(index) }.abi_encode();
        match static_call(self.vm(), Call::new(), self.pool.get(), &data) {
            // Three words: reference time, rate per 1e18 shares, application time.
            Ok(out) if out.len() == 96 => Ok(AppliedReport {
                applied_at: U256::from_be_slice(&out[64..])
                    .try_into()
                    .map_err(|_| pool_failed())?,
                rate: U256::from_be_slice(&out[32..64])
                    .checked_mul(PER_TOKEN_TO_SHARE_RATE)
                    .ok_or_else(pool_failed)?,
            }),
            _ => Err(pool_failed()),
        }
    }

    /// The pool's report periods, positioned at time `start`.
    fn periods_from(&self, start: u64) -> Result<Periods, QueueError> {
        let data = IPoolToken::getRateReportCountCall {}.abi_encode();
        let count =
            self.pool_view(self.pool.get(), &data)?.try_into().map_err(|_| pool_failed())?;
        // The first report applied after `start`: application times never decrease.
        let (mut low, mut high) = (0u64, count);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.applied_report(mid)?.applied_at <= start {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let upcoming = if low < count { Some(self.applied_report(low)?) } else { None };
        let rate = match low {
            0 => SHARE_RATE_PRECISION,
            passed => self.applied_report(passed - 1)?.rate,
        };
        Ok(Periods { count, upcoming, next: low, rate })
    }

    /// The pool's rate in the report period of a request made at `created`, not before the
    /// last one asked.
    fn rate_at(&self, periods: &mut Periods, created: u64) -> Result<U256, QueueError> {
        while let Some(report) = periods.upcoming.take_if(|r| r.applied_at <= created) {
            periods.rate = report.rate;
            periods.next += 1;
            if periods.next < periods.count {
                periods.upcoming = Some(self.applied_report(periods.next)?);
            }
        }
        Ok(periods.rate)
    }

    /// Whether request `id` is discounted at `rate`, and what it is paid. Its side is its
    /// period's: a request is discounted when the pool's rate it was made at is above
    /// `rate`, so requests of one period are always on one side. (Judged one by one, a
    /// request paid in full only thanks to its rounding would join an older period's batch
    /// of full payments, and chain it to its own period's discounted ones: the batch would
    /// lock the older requests' whole rise in value.)
    fn classify(
        &self,
        periods: &mut Periods,
        id: u64,
        rate: U256,
    ) -> Result<(bool, U256), QueueError> {
        let (steth, shares) = self.range(id - 1, id)?;
        let eth = eth_to_finalize(steth, shares, rate)?;
        let made_at = self.rate_at(periods, self.created(id))?;
        Ok((made_at > rate, eth))
    }

    /// When request `id` was made.
    fn created(&self, id: u64) -> u64 {
        small(self.requests.getter(id).timestamp.get())
    }

    pub(crate) fn batches(
        &self,
        max_share_rate: U256,
        max_timestamp: U256,
        max_requests_per_call: U256,
        mut state: BatchesCalculationState,
    ) -> Result<BatchesCalculationState, QueueError> {
        if state.finished
            || state.remainingEthBudget.is_zero()
            || max_requests_per_call.is_zero()
            || state.batches.len() > MAX_FINALIZATION_BATCHES
        {
            return Err(InvalidState {}.into());
        }
        let (last_request, last_finalized) = self.counters();
        let previous_end = match state.batches.last() {
            None => None,
            Some(&end) => {
                let id = self.valid_request_id(end)?;
                if id <= last_finalized {
                    return Err(InvalidRequestId { requestId: end }.into());
                }
                Some(id)
            }
        };
        let mut current = previous_end.map_or(last_finalized + 1, |id| id + 1);
        if current > last_request {
            state.finished = true;
            return Ok(state);
        }
        let mut periods = self.periods_from(self.created(previous_end.unwrap_or(current)))?;
        let mut previous = match previous_end {
            Some(id) => Some(self.classify(&mut periods, id, max_share_rate)?.0),
            None => None,
        };
        let stop = current.saturating_add(max_requests_per_call.saturating_to::<u64>());
        let mut batches: Vec<U256> = vec![];
        core::mem::swap(&mut batches, &mut state.batches);

        while current <= last_request && current < stop {
            if U256::from(self.created(current)) > max_timestamp {
                break;
            }
            let (discounted, eth) = self.classify(&mut periods, current, max_share_rate)?;
            let Some(remaining) = state.remainingEthBudget.checked_sub(eth) else {
                break;
            };
            let full = batches.len() == MAX_FINALIZATION_BATCHES;
            match (previous, batches.last_mut()) {
                // Same side: joins the batch before (a period's requests share a side).
                (Some(before), Some(end)) if before == discounted => *end = U256::from(current),
                // A new batch, if one more is allowed; otherwise this report is full.
                _ if full => break,
                _ => batches.push(U256::from(current)),
            }
            state.remainingEthBudget = remaining;
            previous = Some(discounted);
            current += 1;
        }
        // Done when the queue ran out or something other than the call limit stopped us.
        state.finished = current > last_request || current < stop;
        state.batches = batches;
        Ok(state)
    }
}
