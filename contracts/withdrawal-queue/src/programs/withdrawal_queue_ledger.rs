//! The `withdrawal-queue-ledger` program: finalization (the pool calls `prefinalize` and
//! `finalize` in every oracle report, `unfinalizedStETH` before deposits), the ERC-721
//! transfers, approvals and views of the tickets, and the queue's counters, run by
//! delegatecall on the queue's storage. Its `#[fallback]` delegatecalls
//! `withdrawal-queue-admin` (see the crate docs, "Why the queue is three programs").

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U64, Address, Uint, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::{abi::Bytes, prelude::*};
use tidepool_common::abi::{emit, AsWord};
use tidepool_common::program::Delegate;
use tidepool_interfaces::withdrawal_queue::MAX_FINALIZATION_BATCHES;
use tidepool_math::queue::eth_to_finalize;

use crate::{errors::*, events::*, QueueError, WithdrawalQueue};

tidepool_common::program_type! {
    /// The queue's storage, seen by the ledger's code: one field, so every slot is the queue's.
    pub struct WithdrawalQueueLedger { queue: WithdrawalQueue }
}

// SAFETY: `admin_contract` is set once, in the queue's `initialize`, by the proven deployer, to
// code checked to exist: the `withdrawal-queue-admin` program, whose program type wraps
// `WithdrawalQueue`. (At this program's own address it is zero: its storage is never
// initialised.)
#[allow(unsafe_code)]
unsafe impl Delegate for WithdrawalQueueLedger {
    fn next_program(&self) -> Address {
        self.admin_contract.get()
    }
}

#[public]
impl WithdrawalQueueLedger {
    // ------------------------------------------------------------------ finalization

    /// ETH to lock and shares to burn to finalize the requests up to the last batch end at
    /// `max_share_rate`. Each batch `(previous end, end]` is worth `min(its nominal ETH, its
    /// shares × max_share_rate / 1e27)`; when every batch is all-nominal or all-discounted
    /// (what `calculateFinalizationBatches` returns) that is what its requests will claim,
    /// less a wei per discounted request, and for any split into batches it is at least
    /// that, so claims never run out of locked ETH.
    ///
    /// At most `MAX_FINALIZATION_BATCHES` (36) batches: the oracle's checks and the pool's
    /// report each run this loop, so its length bounds a report's gas whatever the queue
    /// holds.
    ///
    /// # Arguments
    /// * `batches` - the last request id of each batch, strictly increasing.
    /// * `max_share_rate` - ETH per share × 1e27 of the report.
    ///
    /// # Errors
    /// * `ZeroShareRate`; `EmptyBatches`; `TooManyBatches` above 36; `InvalidRequestId` for a
    ///   first batch end already finalized or any end above the last request;
    ///   `BatchesAreNotSorted`.
    pub fn prefinalize(
        &self,
        batches: Vec<U256>,
        max_share_rate: U256,
    ) -> Result<(U256, U256), QueueError> {
        if max_share_rate.is_zero() {
            return Err(ZeroShareRate {}.into());
        }
        if batches.is_empty() {
            return Err(EmptyBatches {}.into());
        }
        if batches.len() > MAX_FINALIZATION_BATCHES {
            return Err(TooManyBatches {
                batches: U256::from(batches.len()),
                maxBatches: U256::from(MAX_FINALIZATION_BATCHES),
            }
            .into());
        }
        let (last_request, last_finalized) = self.counters();
        let mut previous = last_finalized;
        let (mut eth_to_lock, mut shares_to_burn) = (U256::ZERO, U256::ZERO);
        for (i, &batch_end) in batches.iter().enumerate() {
            let end = match u64::try_from(batch_end) {
                Ok(end) if end <= last_request && (i > 0 || end > previous) => end,
                _ => return Err(InvalidRequestId { requestId: batch_end }.into()),
            };
            if end <= previous {
                return Err(BatchesAreNotSorted {}.into());
            }
            let (steth, shares) = self.range(previous, end)?;
            let eth = eth_to_finalize(steth, shares, max_share_rate)?;
            eth_to_lock = eth_to_lock.checked_add(eth).ok_or_else(arithmetic)?;
            shares_to_burn = shares_to_burn.checked_add(shares).ok_or_else(arithmetic)?;
            previous = end;
        }
        Ok((eth_to_lock, shares_to_burn))
    }

    /// Finalizes every request up to `last_request_id` at `max_share_rate`, locking the ETH
    /// sent for their claims. The pool calls it during a report with exactly what
    /// `prefinalize` returned; the queue trusts that amount (it cannot recompute it without
    /// the batches) beyond refusing more than the requests' nominal value.
    ///
    /// # Arguments
    /// * `last_request_id` - the last request to finalize.
    /// * `max_share_rate` - ETH per share × 1e27 of the report; requests made at a higher
    ///   rate are paid at this one.
    ///
    /// # Errors
    /// * `NotPool` unless the pool calls; `ResumedExpected` while paused; `ZeroShareRate`;
    ///   `InvalidRequestId` unless `last_request_id` is after the last finalized request and
    ///   at most the last request; `TooMuchEtherToFinalize` if more ETH than the requests'
    ///   nominal value is sent; `ArithmeticFailed`.
    ///
    /// # Events
    /// `WithdrawalsFinalized(first, last_request_id, value, shares, timestamp)`;
    /// `BatchMetadataUpdate(first, lastRequestId)` (every pending ticket's metadata moves).
    #[payable]
    pub fn finalize(
        &mut self,
        last_request_id: U256,
        max_share_rate: U256,
    ) -> Result<(), QueueError> {
        let caller = self.vm().msg_sender();
        if caller != self.pool.get() {
            return Err(NotPool { caller }.into());
        }
        self.pause.when_resumed()?;
        if max_share_rate.is_zero() {
            return Err(ZeroShareRate {}.into());
        }
        let (last_request, last_finalized) = self.counters();
        let id = match u64::try_from(last_request_id) {
            Ok(id) if id > last_finalized && id <= last_request => id,
            _ => return Err(InvalidRequestId { requestId: last_request_id }.into()),
        };
        let (steth, shares) = self.range(last_finalized, id)?;
        let value = self.vm().msg_value();
        if value > steth {
            return Err(TooMuchEtherToFinalize { sent: value, maxExpected: steth }.into());
        }
        let locked =
            U256::from(self.locked_ether.get()).checked_add(value).ok_or_else(arithmetic)?;
        // The surplus sweep matches this ETH with the requests' payouts later (`surplus.rs`):
        // finalization itself stays O(1) in the number of requests.
        let unmatched =
            U256::from(self.unmatched_ether.get()).checked_add(value).ok_or_else(arithmetic)?;

        let first = last_finalized + 1;
        let index = self.checkpoint_count().checked_add(1).ok_or_else(arithmetic)?;
        let now = self.vm().block_timestamp();
        {
            let mut checkpoint = self.checkpoints.setter(index);
            // Ids stop at MAX_REQUEST_ID, so `first` fits 56 bits; see `Checkpoint` for the
            // rate's cap.
            checkpoint.from_request_id.set(Uint::saturating_from(first));
            checkpoint.timestamp.set(Uint::saturating_from(now));
            checkpoint.max_share_rate.set(Uint::saturating_from(max_share_rate));
        }
        self.last_checkpoint_index.set(U64::from(index));
        self.locked_ether
            .set(Uint::checked_from_limbs_slice(locked.as_limbs()).ok_or_else(arithmetic)?);
        self.unmatched_ether
            .set(Uint::checked_from_limbs_slice(unmatched.as_limbs()).ok_or_else(arithmetic)?);
        self.last_finalized_request_id.set(U64::from(id));

        emit(
            self.vm(),
            &[WithdrawalsFinalized::SIGNATURE_HASH, first.word(), id.word()],
            &[value.word(), shares.word(), now.word()],
        );
        emit(
            self.vm(),
            &[BatchMetadataUpdate::SIGNATURE_HASH],
            &[first.word(), last_request.word()],
        );
        Ok(())
    }

    // ------------------------------------------------------------------ ERC-721 views

    /// How many unclaimed tickets `owner` holds.
    ///
    /// # Arguments
    /// * `owner` - the holder.
    ///
    /// # Errors
    /// * `ERC721InvalidOwner` for the zero address.
    pub fn balance_of(&self, owner: Address) -> Result<U256, QueueError> {
        if owner.is_zero() {
            return Err(ERC721InvalidOwner { owner }.into());
        }
        Ok(U256::from(self.owned.getter(owner).len()))
    }

    /// The owner of ticket `token_id` (the request with that id).
    ///
    /// # Arguments
    /// * `token_id` - the ticket.
    ///
    /// # Errors
    /// * `ERC721NonexistentToken` if it was never requested or has been claimed.
    pub fn owner_of(&self, token_id: U256) -> Result<Address, QueueError> {
        Ok(self.live_ticket(token_id)?.1)
    }

    /// The address approved for ticket `token_id` (zero if none).
    ///
    /// # Arguments
    /// * `token_id` - the ticket.
    ///
    /// # Errors
    /// * `ERC721NonexistentToken`.
    pub fn get_approved(&self, token_id: U256) -> Result<Address, QueueError> {
        let (id, _) = self.live_ticket(token_id)?;
        Ok(self.token_approvals.get(id))
    }

    /// Whether `operator` may move and claim every ticket of `owner`.
    ///
    /// # Arguments
    /// * `owner`, `operator` - the two accounts.
    pub fn is_approved_for_all(&self, owner: Address, operator: Address) -> bool {
        self.operator_approvals.getter(owner).get(operator)
    }

    // ------------------------------------------------------------------ ERC-721 actions

    /// Lets `to` move and claim ticket `token_id` (zero clears it); a transfer or claim
    /// clears it too.
    ///
    /// # Arguments
    /// * `to` - the approved address.
    /// * `token_id` - the ticket.
    ///
    /// # Errors
    /// * `ERC721NonexistentToken`; `ERC721InvalidApprover` unless the caller is the owner or
    ///   one of its operators.
    ///
    /// # Events
    /// `Approval(owner, to, token_id)`.
    pub fn approve(&mut self, to: Address, token_id: U256) -> Result<(), QueueError> {
        let (id, owner) = self.live_ticket(token_id)?;
        let caller = self.vm().msg_sender();
        if caller != owner && !self.operator_approvals.getter(owner).get(caller) {
            return Err(ERC721InvalidApprover { approver: caller }.into());
        }
        self.token_approvals.setter(id).set(to);
        emit(self.vm(), &[Approval::SIGNATURE_HASH, owner.word(), to.word(), token_id.word()], &[]);
        Ok(())
    }

    /// Lets `operator` move and claim all of the caller's tickets, present and future, or
    /// stops it; also the consent `requestWithdrawals` needs to create tickets for the
    /// caller.
    ///
    /// # Arguments
    /// * `operator` - the operator.
    /// * `approved` - whether it may.
    ///
    /// # Errors
    /// * `ERC721InvalidOperator` for the zero address.
    ///
    /// # Events
    /// `ApprovalForAll(caller, operator, approved)`.
    pub fn set_approval_for_all(
        &mut self,
        operator: Address,
        approved: bool,
    ) -> Result<(), QueueError> {
        if operator.is_zero() {
            return Err(ERC721InvalidOperator { operator }.into());
        }
        let owner = self.vm().msg_sender();
        self.operator_approvals.setter(owner).setter(operator).set(approved);
        emit(
            self.vm(),
            &[ApprovalForAll::SIGNATURE_HASH, owner.word(), operator.word()],
            &[approved.word()],
        );
        Ok(())
    }

    /// Moves ticket `token_id` from `from` to `to` without asking `to` (see
    /// `safeTransferFrom`). The request, and the ETH it will pay, go with the ticket.
    ///
    /// # Arguments
    /// * `from` - the current owner.
    /// * `to` - the new owner.
    /// * `token_id` - the ticket.
    ///
    /// # Errors
    /// * `ERC721InvalidReceiver` for the zero address or the queue itself;
    ///   `ERC721NonexistentToken`; `ERC721IncorrectOwner` if `from` is not the owner;
    ///   `ERC721InsufficientApproval` unless the caller is the owner, approved for the
    ///   ticket or an operator of the owner.
    ///
    /// # Events
    /// `Transfer(from, to, token_id)`.
    pub fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), QueueError> {
        self.transfer(from, to, token_id)
    }

    /// `transferFrom`, then, if `to` holds code, `to.onERC721Received(caller, from,
    /// token_id, "")` must return its selector.
    ///
    /// # Arguments
    /// As `transferFrom`.
    ///
    /// # Errors
    /// Those of `transferFrom`; the receiver's revert data unchanged if it reverts with
    /// data; `ERC721InvalidReceiver` if it reverts without data or answers anything else.
    ///
    /// # Events
    /// `Transfer(from, to, token_id)`.
    #[selector(name = "safeTransferFrom")]
    pub fn safe_transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Revert> {
        self.safe_transfer(from, to, token_id, &[])
    }

    /// `safeTransferFrom` passing `data` to `onERC721Received`.
    ///
    /// # Arguments
    /// * `from`, `to`, `token_id` - as `transferFrom`.
    /// * `data` - passed to the receiver unchanged.
    ///
    /// # Errors
    /// As `safeTransferFrom`.
    ///
    /// # Events
    /// `Transfer(from, to, token_id)`.
    #[selector(name = "safeTransferFrom")]
    pub fn safe_transfer_from_with_data(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Revert> {
        self.safe_transfer(from, to, token_id, &data)
    }

    // ------------------------------------------------------------------ the queue's views

    /// Nominal ETH of all requests not yet finalized: the pool keeps this much of its
    /// buffer from being deposited.
    ///
    /// # Errors
    /// * `ArithmeticFailed` only in unreachable states (prefix sums that shrink).
    #[selector(name = "unfinalizedStETH")]
    pub fn unfinalized_steth(&self) -> Result<U256, QueueError> {
        let (last, finalized) = self.counters();
        Ok(self.range(finalized, last)?.0)
    }

    /// The id of the last request (0 before the first).
    pub fn get_last_request_id(&self) -> U256 {
        U256::from(self.counters().0)
    }

    /// The id of the last finalized request (0 before the first finalization).
    pub fn get_last_finalized_request_id(&self) -> U256 {
        U256::from(self.counters().1)
    }

    /// The number of checkpoints, i.e. the largest valid hint (0 before any finalization).
    pub fn get_last_checkpoint_index(&self) -> U256 {
        U256::from(self.checkpoint_count())
    }

    /// How many requests wait for finalization.
    pub fn unfinalized_request_number(&self) -> U256 {
        let (last, finalized) = self.counters();
        U256::from(last.saturating_sub(finalized))
    }

    /// ETH held for finalized requests not yet claimed: what they can claim, plus the
    /// rounding finalization locked above it (up to a wei per discounted request, more when
    /// a batch mixes requests paid in full and discounted) until `sweepSurplus` returns it
    /// to the pool.
    pub fn get_locked_ether_amount(&self) -> U256 {
        U256::from(self.locked_ether.get())
    }

    // ------------------------------------------------------------------ the third part

    /// Runs every selector this contract does not know in `WithdrawalQueueAdmin`'s code,
    /// still on the queue's storage (the queue's fallback delegated here).
    ///
    /// # Arguments
    /// * `calldata` - the whole call, selector included, passed on unchanged.
    ///
    /// # Errors
    /// * `NotInitialized` at this contract's own address (no admin contract is set there);
    /// * whatever `WithdrawalQueueAdmin` reverts with, unchanged (empty data for an unknown
    ///   selector).
    ///
    /// # Events
    /// Those of the admin function.
    #[fallback]
    #[payable]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        self.delegate(calldata)
    }
}
