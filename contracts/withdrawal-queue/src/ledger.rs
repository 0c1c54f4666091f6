//! The queue's bookkeeping: prefix sums, checkpoints, what a finalized request pays, and
//! claims. Shared with `WithdrawalQueueExt`, which runs on the same storage.

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U40, Address, Uint, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::{call::transfer::transfer_eth, prelude::*};
use tidepool_common::abi::{emit, AsWord};
use tidepool_math::queue::eth_to_finalize;

use crate::{errors::*, events::*, WithdrawalQueue, MAX_REQUEST_ID};

/// The value of a one-limb integer (every id, index and timestamp in storage is one).
pub fn small<const B: usize>(x: Uint<B, 1>) -> u64 {
    x.as_limbs()[0]
}

impl WithdrawalQueue {
    /// `(lastRequestId, lastFinalizedRequestId)`.
    pub fn counters(&self) -> (u64, u64) {
        (small(self.last_request_id.get()), small(self.last_finalized_request_id.get()))
    }

    /// The number of checkpoints (finalizations); they are indexed from 1.
    pub fn checkpoint_count(&self) -> u64 {
        small(self.last_checkpoint_index.get())
    }

    /// `(cumulative nominal ETH, cumulative shares)` of requests 1 to `id` (zeros for 0).
    pub fn cumulative(&self, id: u64) -> (U256, U256) {
        let request = self.requests.getter(id);
        (U256::from(request.cumulative_steth.get()), U256::from(request.cumulative_shares.get()))
    }

    /// Nominal ETH and shares of the requests after `after` up to and including `end`.
    pub fn range(&self, after: u64, end: u64) -> Result<(U256, U256), QueueError> {
        let (steth_before, shares_before) = self.cumulative(after);
        let (steth, shares) = self.cumulative(end);
        Ok((
            steth.checked_sub(steth_before).ok_or_else(arithmetic)?,
            shares.checked_sub(shares_before).ok_or_else(arithmetic)?,
        ))
    }

    /// `request_id` as an existing request's id.
    ///
    /// # Errors
    /// `InvalidRequestId` for 0 or above the last request.
    pub fn valid_request_id(&self, request_id: U256) -> Result<u64, QueueError> {
        match u64::try_from(request_id) {
            Ok(id) if id != 0 && id <= self.counters().0 => Ok(id),
            _ => Err(InvalidRequestId { requestId: request_id }.into()),
        }
    }

    /// The first request of checkpoint `index`.
    pub fn checkpoint_start(&self, index: u64) -> u64 {
        small(self.checkpoints.getter(index).from_request_id.get())
    }

    /// The checkpoint covering request `request_id`, searched in `[start, end]` (Lido's
    /// rules): 0 if the request is not finalized or its checkpoint is outside the range.
    ///
    /// # Errors
    /// `InvalidRequestId`; `InvalidRequestIdRange` if `start` is 0 or `end` is above the last
    /// checkpoint.
    pub fn find_checkpoint_hint(
        &self,
        request_id: U256,
        start: U256,
        end: U256,
    ) -> Result<u64, QueueError> {
        let id = self.valid_request_id(request_id)?;
        let count = self.checkpoint_count();
        if start.is_zero() || end > U256::from(count) {
            return Err(InvalidRequestIdRange { startId: start, endId: end }.into());
        }
        // `end` is at most the count, a u64; a `start` beyond u64 is past any `end`.
        let end = end.as_limbs()[0];
        let start = u64::try_from(start).unwrap_or(u64::MAX);
        if count == 0 || id > self.counters().1 || start > end {
            return Ok(0);
        }
        if id >= self.checkpoint_start(end) {
            let fits = end == count || id < self.checkpoint_start(end + 1);
            return Ok(if fits { end } else { 0 });
        }
        if id < self.checkpoint_start(start) {
            return Ok(0);
        }
        // The answer is in [start, end - 1]: the last checkpoint starting at or before `id`.
        let (mut low, mut high) = (start, end - 1);
        while high > low {
            let mid = low + (high - low).div_ceil(2);
            if self.checkpoint_start(mid) <= id {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        Ok(low)
    }

    /// What finalized request `id` pays, given its checkpoint `hint`.
    ///
    /// # Errors
    /// `InvalidHint` unless `hint` is the one checkpoint whose range holds `id`.
    pub fn claimable_at(&self, id: u64, hint: U256) -> Result<U256, QueueError> {
        let count = self.checkpoint_count();
        let index = match u64::try_from(hint) {
            Ok(index) if index != 0 && index <= count => index,
            _ => return Err(InvalidHint { hint }.into()),
        };
        if id < self.checkpoint_start(index)
            || (index < count && self.checkpoint_start(index + 1) <= id)
        {
            return Err(InvalidHint { hint }.into());
        }
        let rate = U256::from(self.checkpoints.getter(index).max_share_rate.get());
        let (steth, shares) = self.range(id - 1, id)?;
        Ok(eth_to_finalize(steth, shares, rate)?)
    }

    /// Writes request `id` (the one after the last) and gives `owner` its ticket; the caller
    /// writes the counter once for all the requests of a call.
    pub fn enqueue(
        &mut self,
        id: u64,
        steth: U256,
        shares: U256,
        owner: Address,
    ) -> Result<(), QueueError> {
        if id > MAX_REQUEST_ID {
            return Err(arithmetic());
        }
        let (steth_before, shares_before) = self.cumulative(id - 1);
        let steth = steth_before.checked_add(steth).ok_or_else(arithmetic)?;
        let shares = shares_before.checked_add(shares).ok_or_else(arithmetic)?;
        let now = self.vm().block_timestamp();
        let mut request = self.requests.setter(id);
        request
            .cumulative_steth
            .set(Uint::checked_from_limbs_slice(steth.as_limbs()).ok_or_else(arithmetic)?);
        request
            .cumulative_shares
            .set(Uint::checked_from_limbs_slice(shares.as_limbs()).ok_or_else(arithmetic)?);
        request.timestamp.set(U40::saturating_from(now));
        self.add_ticket(owner, id)
    }

    /// Claims `request_ids`: checks and writes every one (claimed, ticket burnt, locked ETH
    /// lowered, events), then pays. Payments to the same recipient in a row are added up and
    /// sent once; nothing is read after the first transfer.
    ///
    /// `hints` of `None` finds each hint by binary search; `recipient` of `None` pays each
    /// ticket's owner and accepts any caller the owner authorised, `Some` pays `recipient`
    /// and accepts only the owner.
    pub fn claim(
        &mut self,
        request_ids: &[U256],
        hints: Option<&[U256]>,
        recipient: Option<Address>,
    ) -> Result<(), QueueError> {
        if request_ids.is_empty() {
            return Err(EmptyArray {}.into());
        }
        let caller = self.vm().msg_sender();
        let last_finalized = self.counters().1;
        let mut locked = U256::from(self.locked_ether.get());
        let mut payouts: Vec<(Address, U256)> = vec![];
        for (i, &request_id) in request_ids.iter().enumerate() {
            let id = self.valid_request_id(request_id)?;
            if id > last_finalized {
                return Err(RequestNotFoundOrNotFinalized { requestId: request_id }.into());
            }
            let (claimed, owner) = {
                let request = self.requests.getter(id);
                (request.claimed.get(), request.owner.get())
            };
            if claimed {
                return Err(RequestAlreadyClaimed { requestId: request_id }.into());
            }
            let payee = match recipient {
                Some(recipient) if caller == owner => recipient,
                Some(_) => return Err(NotOwner { sender: caller, owner }.into()),
                None if self.is_authorized(owner, caller, id) => owner,
                None => {
                    return Err(ERC721InsufficientApproval {
                        operator: caller,
                        tokenId: request_id,
                    }
                    .into())
                }
            };
            let hint = match hints {
                Some(hints) => hints.get(i).copied().ok_or_else(arithmetic)?,
                None => U256::from(self.find_checkpoint_hint(
                    request_id,
                    U256::from(1u8),
                    U256::from(self.checkpoint_count()),
                )?),
            };
            let amount = self.claimable_at(id, hint)?;

            self.requests.setter(id).claimed.set(true);
            self.remove_ticket(owner, id)?;
            self.clear_approval(id);
            // Claims never exceed what finalization locked (see `prefinalize`); a shortfall
            // would be a broken invariant, and refusing beats paying from other claims.
            locked = locked.checked_sub(amount).ok_or_else(arithmetic)?;
            emit(
                self.vm(),
                &[WithdrawalClaimed::SIGNATURE_HASH, request_id.word(), owner.word(), payee.word()],
                &[amount.word()],
            );
            emit(
                self.vm(),
                &[Transfer::SIGNATURE_HASH, owner.word(), Address::ZERO.word(), request_id.word()],
                &[],
            );
            match payouts.last_mut() {
                Some((last, total)) if *last == payee => {
                    *total = total.checked_add(amount).ok_or_else(arithmetic)?
                }
                _ => payouts.push((payee, amount)),
            }
        }
        // Lower than the stored value, so it fits where that came from.
        self.locked_ether.set(Uint::saturating_from(locked));

        for (payee, amount) in payouts {
            if !amount.is_zero() {
                transfer_eth(self.vm(), payee, amount)
                    .map_err(|_| EtherSendFailed { recipient: payee, amount })?;
            }
        }
        Ok(())
    }
}
