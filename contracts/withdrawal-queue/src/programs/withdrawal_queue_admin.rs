//! The `withdrawal-queue-admin` program: ticket metadata (`name`, `symbol`, `tokenURI`,
//! `supportsInterface`), the status, hint and claimable views wallets and oracle tooling
//! read, the oracle's `calculateFinalizationBatches`, pausing and roles. The ledger's
//! fallback delegatecalls it, so these functions run on the queue's storage at the queue's
//! address (two delegatecalls: nothing here is on a path contracts call in transactions).
//!
//! Called at its own address, the program finds no roles and no requests (its storage is
//! never initialised): pausing and role changes revert with
//! `AccessControlUnauthorizedAccount` and the views read an empty queue. Only `sweepSurplus`
//! calls out, to the pool, after writing everything (see `surplus.rs`).

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, FixedBytes, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;

use crate::{errors::RequestIdsNotSorted, roles, QueueError, WithdrawalQueue, NAME, SYMBOL};

pub use crate::batches::BatchesCalculationState;

sol! {
    /// One request as `getWithdrawalStatus` reports it (Lido's layout).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct WithdrawalRequestStatus {
        uint256 amountOfStETH;
        uint256 amountOfShares;
        address owner;
        uint256 timestamp;
        bool isFinalized;
        bool isClaimed;
    }
}

tidepool_common::program_type! {
    /// The queue's storage, seen by the admin code: one field, so every slot is the queue's.
    pub struct WithdrawalQueueAdmin { queue: WithdrawalQueue }
}

#[public]
impl WithdrawalQueueAdmin {
    // ------------------------------------------------------------------ metadata

    /// The ERC-721 name.
    pub fn name(&self) -> String {
        String::from(NAME)
    }

    /// The ERC-721 symbol.
    pub fn symbol(&self) -> String {
        String::from(SYMBOL)
    }

    /// On-chain metadata of ticket `token_id`: a `data:application/json;base64,` URI of a
    /// JSON object with the amount, status, request time and, once finalized, the
    /// finalization time and the claimable ETH.
    ///
    /// # Arguments
    /// * `token_id` - the ticket.
    ///
    /// # Errors
    /// * `ERC721NonexistentToken`.
    #[selector(name = "tokenURI")]
    pub fn token_uri(&self, token_id: U256) -> Result<String, QueueError> {
        self.metadata(token_id)
    }

    /// ERC-165: true for ERC-165, ERC-721, ERC-721 Metadata, ERC-4906 and AccessControl.
    ///
    /// # Arguments
    /// * `interface_id` - the ERC-165 identifier asked about.
    pub fn supports_interface(&self, interface_id: FixedBytes<4>) -> bool {
        const SUPPORTED: [[u8; 4]; 5] = [
            [0x01, 0xff, 0xc9, 0xa7], // ERC-165
            [0x80, 0xac, 0x58, 0xcd], // ERC-721
            [0x5b, 0x5e, 0x13, 0x9f], // ERC-721 Metadata
            [0x49, 0x06, 0x49, 0x06], // ERC-4906
            [0x79, 0x65, 0xdb, 0x0b], // AccessControl
        ];
        SUPPORTED.contains(&interface_id.0)
    }

    /// `(pool, ledgerContract, adminContract)`: the pool whose token the queue redeems, and
    /// the two programs that run on the queue's storage.
    pub fn get_queue_contracts(&self) -> (Address, Address, Address) {
        (self.pool.get(), self.ledger_contract.get(), self.admin_contract.get())
    }

    /// The wrapped token `requestWithdrawalsWrapped` takes (Lido's name for the view, whose
    /// queue takes wstETH).
    #[selector(name = "WSTETH")]
    pub fn wsteth(&self) -> Address {
        self.wrapped.get()
    }

    // ------------------------------------------------------------------ claims' views

    /// The checkpoint of each request, searched in `[first_index, last_index]`: pass them to
    /// `claimWithdrawals`. 0 for a request not finalized (or outside the range).
    ///
    /// # Arguments
    /// * `request_ids` - ascending.
    /// * `first_index`, `last_index` - the range, usually `1` and `getLastCheckpointIndex()`.
    ///   Unlike Lido's, an unfinalized id does not make the ids after it revert.
    ///
    /// # Errors
    /// * `RequestIdsNotSorted`; `InvalidRequestId`; `InvalidRequestIdRange`.
    pub fn find_checkpoint_hints(
        &self,
        request_ids: Vec<U256>,
        first_index: U256,
        last_index: U256,
    ) -> Result<Vec<U256>, QueueError> {
        let mut hints = Vec::with_capacity(request_ids.len());
        let (mut previous, mut first) = (U256::ZERO, first_index);
        for request_id in request_ids {
            if request_id < previous {
                return Err(RequestIdsNotSorted {}.into());
            }
            let hint = self.find_checkpoint_hint(request_id, first, last_index)?;
            if hint != 0 {
                // Later ids are not before this checkpoint: search from here on.
                first = U256::from(hint);
            }
            hints.push(U256::from(hint));
            previous = request_id;
        }
        Ok(hints)
    }

    /// What each request would pay if claimed now: 0 if not finalized or already claimed.
    ///
    /// # Arguments
    /// * `request_ids` - the requests.
    /// * `hints` - their checkpoints (`findCheckpointHints`).
    ///
    /// # Errors
    /// * `ArraysLengthMismatch`; `InvalidRequestId`; `InvalidHint` for a finalized,
    ///   unclaimed request with the wrong hint.
    pub fn get_claimable_ether(
        &self,
        request_ids: Vec<U256>,
        hints: Vec<U256>,
    ) -> Result<Vec<U256>, QueueError> {
        if request_ids.len() != hints.len() {
            return Err(crate::length_mismatch(request_ids.len(), hints.len()));
        }
        let last_finalized = self.counters().1;
        let mut amounts = Vec::with_capacity(request_ids.len());
        for (&request_id, &hint) in request_ids.iter().zip(&hints) {
            let id = self.valid_request_id(request_id)?;
            let amount = if id > last_finalized || self.requests.getter(id).claimed.get() {
                U256::ZERO
            } else {
                self.claimable_at(id, hint)?
            };
            amounts.push(amount);
        }
        Ok(amounts)
    }

    /// Each request's nominal ETH, shares, owner, time, and whether it is finalized and
    /// claimed (a claimed request keeps its last owner).
    ///
    /// # Arguments
    /// * `request_ids` - the requests, in any order.
    ///
    /// # Errors
    /// * `InvalidRequestId`.
    pub fn get_withdrawal_status(
        &self,
        request_ids: Vec<U256>,
    ) -> Result<Vec<WithdrawalRequestStatus>, QueueError> {
        let last_finalized = self.counters().1;
        let mut statuses = Vec::with_capacity(request_ids.len());
        for request_id in request_ids {
            let id = self.valid_request_id(request_id)?;
            let (steth, shares) = self.range(id - 1, id)?;
            let request = self.requests.getter(id);
            statuses.push(WithdrawalRequestStatus {
                amountOfStETH: steth,
                amountOfShares: shares,
                owner: request.owner.get(),
                timestamp: U256::from(request.timestamp.get()),
                isFinalized: id <= last_finalized,
                isClaimed: request.claimed.get(),
            });
        }
        Ok(statuses)
    }

    /// The unclaimed requests (tickets) `owner` holds, in no particular order.
    ///
    /// # Arguments
    /// * `owner` - the holder.
    pub fn get_withdrawal_requests(&self, owner: Address) -> Vec<U256> {
        let list = self.owned.getter(owner);
        (0..list.len()).filter_map(|i| list.get(i)).map(U256::from).collect()
    }

    // ------------------------------------------------------------------ oracle tooling

    /// Splits the requests after `lastFinalizedRequestId` (or after the last batch of
    /// `state`) into at most 36 batches for `prefinalize`, spending
    /// `state.remainingEthBudget`; call it again with the state it returns until `finished`.
    /// A request joins the batch before it when both are paid their nominal amount or both
    /// are discounted at `max_share_rate`, or when both were made between the same two
    /// reports (Lido's rule; see the crate's `batches` module). For oracle tooling,
    /// off-chain: it reads the pool's report times.
    ///
    /// # Arguments
    /// * `max_share_rate` - the report's share rate (1e27).
    /// * `max_timestamp` - requests made after this time are left for a later report.
    /// * `max_requests_per_call` - how many requests this call may look at.
    /// * `state` - `(remainingEthBudget, finished, batches)`; start with the ETH available
    ///   for withdrawals, `false` and no batches. Unlike Lido's, the batch list is as long
    ///   as it is used (at most 36), with no separate length.
    ///
    /// # Errors
    /// * `InvalidState` for a finished state, no budget, `max_requests_per_call` zero or
    ///   more than 36 batches; `InvalidRequestId` if the state's last batch end is not a
    ///   request after the last finalized one; `PoolCallFailed` if the pool's report history
    ///   cannot be read.
    pub fn calculate_finalization_batches(
        &self,
        max_share_rate: U256,
        max_timestamp: U256,
        max_requests_per_call: U256,
        state: BatchesCalculationState,
    ) -> Result<BatchesCalculationState, QueueError> {
        self.batches(max_share_rate, max_timestamp, max_requests_per_call, state)
    }

    // ------------------------------------------------------------------ surplus

    /// Sends the ETH the queue holds above what its finalized, unclaimed requests can claim
    /// (finalization's rounding, or ETH forced in) to the pool's buffer
    /// (`receiveWithdrawalSurplus`), never any claimable wei; returns the amount sent.
    ///
    /// First counts up to `max_requests` finalized requests not counted by earlier sweeps
    /// (each request is counted once, claimed or not; a storage read each); sends only once
    /// all are counted, and returns 0 until then, so a long backlog takes several calls.
    /// With nothing above the claims it sends nothing and returns 0: a second sweep is
    /// harmless. Works while paused (it only returns ETH to the pool).
    ///
    /// # Arguments
    /// * `max_requests` - the most requests this call may count.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `SWEEP_SURPLUS_ROLE`; the pool's revert
    ///   data unchanged if it refuses the ETH, `PoolCallFailed` if it gives none;
    ///   `ArithmeticFailed` only in unreachable states.
    ///
    /// # Events
    /// `SurplusSwept(amount, lockedEther)` when ETH is sent (and the pool's
    /// `WithdrawalSurplusReceived`).
    pub fn sweep_surplus(&mut self, max_requests: U256) -> Result<U256, Vec<u8>> {
        self.only_role(roles::SWEEP_SURPLUS_ROLE)?;
        self.queue.sweep_surplus(max_requests)
    }

    // ------------------------------------------------------------------ pausing

    /// Pauses requests and finalization for `duration` seconds (claims and transfers go
    /// on).
    ///
    /// # Arguments
    /// * `duration` - seconds; `type(uint256).max` (or anything past `2^64 - 1`) until
    ///   `resume`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `PAUSE_ROLE`; `ResumedExpected` if
    ///   already paused; `ZeroPauseDuration`.
    ///
    /// # Events
    /// `Paused(duration)`.
    pub fn pause_for(&mut self, duration: U256) -> Result<(), QueueError> {
        self.only_role(roles::PAUSE_ROLE)?;
        Ok(self.pause.pause_for(duration.saturating_to())?)
    }

    /// Pauses requests and finalization until the end of second `pause_until_inclusive`.
    ///
    /// # Arguments
    /// * `pause_until_inclusive` - the last paused second; `type(uint256).max` until
    ///   `resume`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `PAUSE_ROLE`; `ResumedExpected` if
    ///   already paused; `PauseUntilMustBeInFuture`.
    ///
    /// # Events
    /// `Paused(duration)`.
    pub fn pause_until(&mut self, pause_until_inclusive: U256) -> Result<(), QueueError> {
        self.only_role(roles::PAUSE_ROLE)?;
        Ok(self.pause.pause_until(pause_until_inclusive.saturating_to())?)
    }

    /// Ends the pause now.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `RESUME_ROLE`; `PausedExpected` if not
    ///   paused.
    ///
    /// # Events
    /// `Resumed()`.
    pub fn resume(&mut self) -> Result<(), QueueError> {
        self.only_role(roles::RESUME_ROLE)?;
        Ok(self.pause.resume()?)
    }

    /// Whether requests and finalization are paused now.
    pub fn is_paused(&self) -> bool {
        self.pause.is_paused()
    }

    /// The first second at which the queue runs again (0 if never paused, `2^64 - 1` if
    /// paused until `resume`).
    pub fn get_resume_since_timestamp(&self) -> U256 {
        U256::from(self.pause.get_resume_since_timestamp())
    }

    // ------------------------------------------------------------------ roles

    /// Whether `account` holds `role`.
    ///
    /// # Arguments
    /// * `role`, `account` - what and who.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// The role that administers `role`.
    ///
    /// # Arguments
    /// * `role` - the role.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.access.get_role_admin(role)
    }

    /// Grants `role` to `account`.
    ///
    /// # Arguments
    /// * `role`, `account` - what and to whom.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// `RoleGranted` when it was not held.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), QueueError> {
        Ok(self.access.grant_role(role, account)?)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Arguments
    /// * `role`, `account` - what and from whom.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// `RoleRevoked` when it was held.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), QueueError> {
        Ok(self.access.revoke_role(role, account)?)
    }

    /// Gives up the caller's `role`.
    ///
    /// # Arguments
    /// * `role` - the role; `confirmation` - must be the caller.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation` if `confirmation` is not the caller.
    ///
    /// # Events
    /// `RoleRevoked` when it was held.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), QueueError> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}
