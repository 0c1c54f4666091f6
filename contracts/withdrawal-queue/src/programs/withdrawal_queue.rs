//! The `withdrawal-queue` program, the queue's front: requests, claims and `initialize`. Every
//! other selector goes to `withdrawal-queue-ledger` by delegatecall ([`Delegate`]).

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent as _;
use stylus_sdk::prelude::*;
use tidepool_common::{
    abi::{emit, AsWord},
    initializable,
    program::Delegate,
};

use crate::{calls, errors::*, length_mismatch, PermitInput, WithdrawalQueue};

#[public]
impl WithdrawalQueue {
    // ------------------------------------------------------------------ set-up

    /// Sets the queue up, once, by the account that deployed it. The queue starts running
    /// (Lido's starts paused until governance resumes it; here every address it needs is
    /// given now, so there is nothing to wait for).
    ///
    /// # Arguments
    /// * `deployer_nonce` - the nonce the caller deployed this contract with (proves it did).
    /// * `admin` - receives `DEFAULT_ADMIN_ROLE` (grants `PAUSE_ROLE` and `RESUME_ROLE`).
    /// * `pool` - the pool whose token is redeemed; the only caller of `finalize`.
    /// * `wrapped` - the wrapped token of `pool` (1 token = 1 share), which
    ///   `requestWithdrawalsWrapped` takes and unwraps.
    /// * `ledger_contract`, `admin_contract` - the deployed `WithdrawalQueueLedger` and
    ///   `WithdrawalQueueAdmin`, whose code runs on this storage for every function this
    ///   contract does not have itself.
    ///
    /// # Errors
    /// * `ZeroAddress` if any address is zero; `ExtensionWithoutCode` if either contract
    ///   holds no code (a delegatecall to it would succeed doing nothing).
    /// * `AlreadyInitialized`, `NotDeployer` from the initialisation guard.
    ///
    /// # Events
    /// `RoleGranted(DEFAULT_ADMIN_ROLE, admin, caller)`, `Initialized(caller)`.
    pub fn initialize(
        &mut self,
        deployer_nonce: u64,
        admin: Address,
        pool: Address,
        wrapped: Address,
        ledger_contract: Address,
        admin_contract: Address,
    ) -> Result<(), QueueError> {
        if [admin, pool, wrapped, ledger_contract, admin_contract].iter().any(|a| a.is_zero()) {
            return Err(ZeroAddress {}.into());
        }
        for extension in [ledger_contract, admin_contract] {
            if self.vm().code_size(extension) == 0 {
                return Err(ExtensionWithoutCode { extension }.into());
            }
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;
        self.access._grant_role(B256::ZERO, admin);
        self.pool.set(pool);
        self.wrapped.set(wrapped);
        self.ledger_contract.set(ledger_contract);
        self.admin_contract.set(admin_contract);
        emit(self.vm(), &[initializable::Initialized::SIGNATURE_HASH, caller.word()], &[]);
        Ok(())
    }

    // ------------------------------------------------------------------ requests

    /// Locks pool tokens and creates one request, with its ticket, per amount. The caller
    /// must have approved the queue on the pool for the amounts' total and a little more
    /// (below).
    ///
    /// Each request records `amount` as its nominal ETH and the fewest shares that pay it at
    /// the rate a report would finalize with (`ceil(amount × 1e27 / rate)`, the rate rounded
    /// down), so its ticket pays exactly its amount unless the rate falls; the queue takes
    /// exactly the shares recorded. The pool charges the allowance for those shares valued
    /// rounded up, which at a rate other than 1 can exceed the amounts' total by a few wei:
    /// approve (or permit) the total plus two shares' worth per amount and one wei, and the
    /// queue spends only what it takes. Never more shares than the caller holds (see
    /// `request` in the crate's calls).
    ///
    /// # Arguments
    /// * `amounts` - one request per entry, each from 100 wei to 1000 ETH.
    /// * `owner` - who gets the tickets: zero or the caller for the caller; anyone else only
    ///   if they made the caller an operator (`setApprovalForAll`).
    ///
    /// # Errors
    /// * `EmptyArray`; `RequestAmountTooSmall` (also for an amount worth no whole share);
    ///   `RequestAmountTooLarge`; `NotApprovedByOwner`; `ResumedExpected` while paused;
    ///   `NotInitialized`; `PoolCallFailed`; `ArithmeticFailed`.
    /// * The pool's own revert data, unchanged, if it refuses the transfer
    ///   (`ERC20InsufficientAllowance`, `InsufficientShares`, `ProtocolStopped`, ...).
    ///
    /// # Events
    /// The pool's `Transfer`/`TransferShares` to the queue; per request
    /// `WithdrawalRequested(id, caller, owner, amount, shares)` and `Transfer(0, owner, id)`.
    pub fn request_withdrawals(
        &mut self,
        amounts: Vec<U256>,
        owner: Address,
    ) -> Result<Vec<U256>, Revert> {
        let caller = self.vm().msg_sender();
        self.request(caller, &amounts, owner)
    }

    /// `requestWithdrawals` after applying the caller's EIP-2612 permit of the pool token
    /// for the queue. If the permit fails but the allowance it would have set is already in
    /// place (someone submitted the same permit first), the request goes on.
    ///
    /// # Arguments
    /// * `amounts`, `owner` - as `requestWithdrawals`.
    /// * `permit` - `(value, deadline, v, r, s)` of the caller's permit for the queue.
    ///
    /// # Errors
    /// * The pool's permit error, unchanged (`ERC2612ExpiredSignature`,
    ///   `ERC2612InvalidSigner`, ...), when the permit fails and the allowance is short.
    /// * Those of `requestWithdrawals`.
    ///
    /// # Events
    /// The pool's `Approval`; those of `requestWithdrawals`.
    pub fn request_withdrawals_with_permit(
        &mut self,
        amounts: Vec<U256>,
        owner: Address,
        permit: PermitInput,
    ) -> Result<Vec<U256>, Revert> {
        let (caller, pool) = (self.vm().msg_sender(), self.pool.get());
        self.apply_permit(pool, caller, &permit, calls::pool_failed)?;
        self.request(caller, &amounts, owner)
    }

    /// Takes wrapped tokens, unwraps them into pool shares and creates one request, with its
    /// ticket, per wrapped amount (Lido's `requestWithdrawalsWstETH`). The caller must have
    /// approved the queue on the wrapped token for the amounts' total.
    ///
    /// Each request records its wrapped amount as its shares (one wrapped token is one
    /// share) and their value in pooled ETH, rounded down (the pool's
    /// `getPooledEthByShares`), as its nominal ETH; the limits apply to that value. The queue
    /// ends up holding exactly the shares recorded.
    ///
    /// # Arguments
    /// * `amounts` - wrapped amounts, one request per entry, each worth 100 wei to 1000 ETH.
    /// * `owner` - as `requestWithdrawals`.
    ///
    /// # Errors
    /// * `EmptyArray`; `RequestAmountTooSmall`, `RequestAmountTooLarge` with the amount's
    ///   value in pooled ETH; `NotApprovedByOwner`; `ResumedExpected` while paused;
    ///   `NotInitialized`; `PoolCallFailed`; `WrappedCallFailed`; `UnwrappedSharesMismatch`
    ///   if unwrapping did not give the queue exactly the total in shares; `ArithmeticFailed`.
    /// * The wrapped token's or the pool's own revert data, unchanged, if it refuses the
    ///   transfer or the unwrapping (`ERC20InsufficientAllowance`,
    ///   `ERC20InsufficientBalance`, `ProtocolStopped`, ...).
    ///
    /// # Events
    /// The wrapped token's `Approval` (allowance spent), `Transfer(caller, queue, total)`,
    /// `Transfer(queue, 0, total)` and `Withdraw`; the pool's `Transfer`/`TransferShares` to
    /// the queue; per request `WithdrawalRequested(id, caller, owner, amount, shares)` and
    /// `Transfer(0, owner, id)`.
    pub fn request_withdrawals_wrapped(
        &mut self,
        amounts: Vec<U256>,
        owner: Address,
    ) -> Result<Vec<U256>, Revert> {
        let caller = self.vm().msg_sender();
        self.request_wrapped(caller, &amounts, owner)
    }

    /// `requestWithdrawalsWrapped` after applying the caller's EIP-2612 permit of the
    /// wrapped token for the queue (Lido's `requestWithdrawalsWstETHWithPermit`). If the
    /// permit fails but the allowance it would have set is already in place (someone
    /// submitted the same permit first), the request goes on.
    ///
    /// # Arguments
    /// * `amounts`, `owner` - as `requestWithdrawalsWrapped`.
    /// * `permit` - `(value, deadline, v, r, s)` of the caller's permit for the queue.
    ///
    /// # Errors
    /// * The wrapped token's permit error, unchanged (`ERC2612ExpiredSignature`,
    ///   `ERC2612InvalidSigner`, ...), when the permit fails and the allowance is short;
    ///   `WrappedCallFailed` if it fails without data.
    /// * Those of `requestWithdrawalsWrapped`.
    ///
    /// # Events
    /// The wrapped token's `Approval`; those of `requestWithdrawalsWrapped`.
    pub fn request_withdrawals_wrapped_with_permit(
        &mut self,
        amounts: Vec<U256>,
        owner: Address,
        permit: PermitInput,
    ) -> Result<Vec<U256>, Revert> {
        let caller = self.vm().msg_sender();
        let wrapped = self.wrapped.get();
        self.apply_permit(wrapped, caller, &permit, calls::wrapped_failed)?;
        self.request_wrapped(caller, &amounts, owner)
    }

    // ------------------------------------------------------------------ claims

    /// Claims finalized requests, paying each one's ETH to its ticket's owner and burning
    /// the ticket. The caller may be the owner, the ticket's approved address or an operator
    /// of the owner.
    ///
    /// # Arguments
    /// * `request_ids` - the requests, in any order.
    /// * `hints` - each request's checkpoint index, from `findCheckpointHints`.
    ///
    /// # Errors
    /// * `EmptyArray`; `ArraysLengthMismatch`; per request `InvalidRequestId`,
    ///   `RequestNotFoundOrNotFinalized`, `RequestAlreadyClaimed` (also for an id given
    ///   twice), `ERC721InsufficientApproval`, `InvalidHint`; `EtherSendFailed` if an owner
    ///   refuses the ETH.
    ///
    /// # Events
    /// Per request `WithdrawalClaimed(id, owner, owner, amount)` and `Transfer(owner, 0, id)`.
    pub fn claim_withdrawals(
        &mut self,
        request_ids: Vec<U256>,
        hints: Vec<U256>,
    ) -> Result<(), QueueError> {
        if request_ids.len() != hints.len() {
            return Err(length_mismatch(request_ids.len(), hints.len()));
        }
        self.claim(&request_ids, Some(&hints), None)
    }

    /// Claims finalized requests of the caller's tickets and sends all their ETH to
    /// `recipient` in one transfer.
    ///
    /// # Arguments
    /// * `request_ids`, `hints` - as `claimWithdrawals`.
    /// * `recipient` - where the ETH goes.
    ///
    /// # Errors
    /// * `ZeroRecipient`; `InvalidRecipient` for the queue itself, the pool or the wrapped
    ///   token (ETH sent there would be lost or staked for the queue, not the caller);
    ///   `NotOwner` unless the caller owns every ticket (approved addresses and operators
    ///   cannot redirect ETH); otherwise those of `claimWithdrawals`.
    ///
    /// # Events
    /// Per request `WithdrawalClaimed(id, caller, recipient, amount)` and
    /// `Transfer(caller, 0, id)`.
    pub fn claim_withdrawals_to(
        &mut self,
        request_ids: Vec<U256>,
        hints: Vec<U256>,
        recipient: Address,
    ) -> Result<(), QueueError> {
        if recipient.is_zero() {
            return Err(ZeroRecipient {}.into());
        }
        let sinks = [self.vm().contract_address(), self.pool.get(), self.wrapped.get()];
        if sinks.contains(&recipient) {
            return Err(InvalidRecipient { recipient }.into());
        }
        if request_ids.len() != hints.len() {
            return Err(length_mismatch(request_ids.len(), hints.len()));
        }
        self.claim(&request_ids, Some(&hints), Some(recipient))
    }

    /// Claims one finalized request for its owner, finding the checkpoint by binary search
    /// (a cost that grows with the log of the number of finalizations).
    ///
    /// # Arguments
    /// * `request_id` - the request.
    ///
    /// # Errors
    /// As `claimWithdrawals`, without the array errors.
    ///
    /// # Events
    /// `WithdrawalClaimed(id, owner, owner, amount)`, `Transfer(owner, 0, id)`.
    pub fn claim_withdrawal(&mut self, request_id: U256) -> Result<(), QueueError> {
        self.claim(&[request_id], None, None)
    }

    // ------------------------------------------------------------------ the other two

    /// Runs every selector this program does not serve in `withdrawal-queue-ledger`'s code
    /// (and, through its fallback, `withdrawal-queue-admin`'s), on this contract's storage
    /// (delegatecall): finalization, views, metadata, pausing and roles.
    ///
    /// # Arguments
    /// * `calldata` - the whole call, selector included, passed on unchanged.
    ///
    /// # Errors
    /// * `NotInitialized` before `initialize`;
    /// * whatever the delegated code reverts with, unchanged (empty data for a selector no
    ///   part of the queue knows).
    ///
    /// # Events
    /// Those of the delegated function.
    #[fallback]
    #[payable]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        self.delegate(calldata)
    }
}
