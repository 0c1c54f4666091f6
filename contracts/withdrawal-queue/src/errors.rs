//! The queue's custom errors. Each failure has its own error with the values that explain
//! it: ERC-721 failures use the ERC-6093 names wallets already decode, queue failures keep
//! Lido's names where the meaning is the same.
//!
//! Calls the queue makes to the pool can also revert with the pool's own errors
//! (`ERC20InsufficientAllowance`, `InsufficientShares`, `ProtocolStopped`, the permit
//! errors), and calls to the wrapped token with its own (`ERC20InsufficientAllowance`,
//! `ERC20InsufficientBalance`, the permit errors): the queue passes that revert data on
//! unchanged, so the caller sees why the token refused. Those functions return [`Revert`], raw revert data, instead of [`QueueError`].

use alloc::vec::Vec;

use tidepool_math::MathError;

tidepool_common::solidity_errors! {
    /// Every way a queue call can fail, apart from revert data passed on from the pool, the
    /// wrapped token or a ticket receiver.
    pub enum QueueError {
        /// `owner` cannot own tickets (the zero address).
        ERC721InvalidOwner(address owner),
        /// No ticket `tokenId` exists: never requested, or burnt by its claim.
        ERC721NonexistentToken(uint256 tokenId),
        /// `sender` is not the owner of `tokenId`, which `owner` holds.
        ERC721IncorrectOwner(address sender, uint256 tokenId, address owner),
        /// Tickets cannot go to `receiver`: zero, the queue itself, or a contract that does not
        /// accept them in `onERC721Received`.
        ERC721InvalidReceiver(address receiver),
        /// `operator` is neither the owner of `tokenId`, nor approved for it, nor an operator of
        /// its owner.
        ERC721InsufficientApproval(address operator, uint256 tokenId),
        /// `approver` may not approve for this ticket (neither its owner nor an operator).
        ERC721InvalidApprover(address approver),
        /// `operator` cannot be an operator (the zero address).
        ERC721InvalidOperator(address operator),

        /// A request below the 100 wei minimum (for a wrapped request, its value), or worth
        /// less than one share.
        RequestAmountTooSmall(uint256 amountOfStETH),
        /// A request above the 1000 ETH maximum.
        RequestAmountTooLarge(uint256 amountOfStETH),
        /// `caller` asked for tickets owned by `owner`, who has not made `caller` an operator.
        NotApprovedByOwner(address caller, address owner),
        /// A request or claim with no amounts or no ids.
        EmptyArray(),
        /// Two arrays that go together have different lengths.
        ArraysLengthMismatch(uint256 firstArrayLength, uint256 secondArrayLength),
        /// No request has id `requestId` (zero, or above the last one), or it is not one the
        /// operation can take.
        InvalidRequestId(uint256 requestId),
        /// A checkpoint search range outside `[1, getLastCheckpointIndex()]`.
        InvalidRequestIdRange(uint256 startId, uint256 endId),
        /// Request `requestId` is not finalized yet.
        RequestNotFoundOrNotFinalized(uint256 requestId),
        /// Request `requestId` was already claimed.
        RequestAlreadyClaimed(uint256 requestId),
        /// Only the ticket's owner `owner` may choose where its ETH goes; `sender` is not it.
        NotOwner(address sender, address owner),
        /// `hint` is not the checkpoint of the request (see `findCheckpointHints`).
        InvalidHint(uint256 hint),
        /// A claim to the zero address.
        ZeroRecipient(),
        /// `recipient` is the queue, the pool or the wrapped token: ETH claimed there would
        /// be lost to the caller (kept, or staked for the queue).
        InvalidRecipient(address recipient),
        /// `recipient` did not accept the `amount` wei of its claim.
        EtherSendFailed(address recipient, uint256 amount),
        /// `findCheckpointHints` needs the request ids in ascending order.
        RequestIdsNotSorted(),

        /// A finalization share rate of zero.
        ZeroShareRate(),
        /// `prefinalize` was given no batches.
        EmptyBatches(),
        /// Batch ends must strictly increase.
        BatchesAreNotSorted(),
        /// `prefinalize` was given more batches than one report may finalize.
        TooManyBatches(uint256 batches, uint256 maxBatches),
        /// `calculateFinalizationBatches` was given a finished state, no budget, no requests
        /// to look at, or more batches than a report may finalize.
        InvalidState(),
        /// `finalize` was sent more than the nominal value of the requests it finalizes.
        TooMuchEtherToFinalize(uint256 sent, uint256 maxExpected),
        /// Only the pool may finalize.
        NotPool(address caller),
        /// The pool answered a view with something other than one word, or reverted without
        /// saying why.
        PoolCallFailed(),
        /// The wrapped token reverted without saying why (out of gas, for one).
        WrappedCallFailed(),
        /// Unwrapping `expected` wrapped tokens gave the queue `received` pool shares instead of
        /// as many (a wrapped token of another pool, or no contract at its address).
        UnwrappedSharesMismatch(uint256 expected, uint256 received),
        /// The pool's `transferSharesFrom` of `expected` shares gave the queue `received`
        /// shares instead (a pool that does not deliver what it says).
        TransferredSharesMismatch(uint256 expected, uint256 received),

        /// An address given at initialisation is zero.
        ZeroAddress(),
        /// `extension`, given at initialisation to run on the queue's storage, holds no code (a
        /// delegatecall to it would succeed doing nothing).
        ExtensionWithoutCode(address extension),
        /// An arithmetic step overflowed or divided by zero: unreachable from valid states.
        ArithmeticFailed(),
    }
    components { initializable, access_control, pausable }
}

/// Revert data as the router returns it: a [`QueueError`] encoded, or the pool's, the
/// wrapped token's or a receiver's own revert data passed on unchanged.
pub type Revert = Vec<u8>;

impl From<MathError> for QueueError {
    fn from(_: MathError) -> Self {
        // Every math failure here means a state no valid sequence of calls reaches (a zero
        // share total, a 256-bit overflow); one error keeps the contract small.
        arithmetic()
    }
}

/// The error of every unreachable arithmetic failure.
pub fn arithmetic() -> QueueError {
    QueueError::ArithmeticFailed(ArithmeticFailed {})
}
