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

use alloy_sol_types::sol;
use tidepool_common::{access_control, initializable, pausable};
use tidepool_math::MathError;

sol! {
    #![sol(abi)]
    /// `owner` cannot own tickets (the zero address).
    #[derive(Debug, PartialEq, Eq)]
    error ERC721InvalidOwner(address owner);
    /// No ticket `tokenId` exists: never requested, or burnt by its claim.
    #[derive(Debug, PartialEq, Eq)]
    error ERC721NonexistentToken(uint256 tokenId);
    /// `sender` is not the owner of `tokenId`, which `owner` holds.
    #[derive(Debug, PartialEq, Eq)]
    error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner);
    /// Tickets cannot go to `receiver`: zero, the queue itself, or a contract that does not
    /// accept them in `onERC721Received`.
    #[derive(Debug, PartialEq, Eq)]
    error ERC721InvalidReceiver(address receiver);
    /// `operator` is neither the owner of `tokenId`, nor approved for it, nor an operator of
    /// its owner.
    #[derive(Debug, PartialEq, Eq)]
    error ERC721InsufficientApproval(address operator, uint256 tokenId);
    /// `approver` may not approve for this ticket (neither its owner nor an operator).
    #[derive(Debug, PartialEq, Eq)]
    error ERC721InvalidApprover(address approver);
    /// `operator` cannot be an operator (the zero address).
    #[derive(Debug, PartialEq, Eq)]
    error ERC721InvalidOperator(address operator);

    /// A request below the 100 wei minimum, or too small to buy one share.
    #[derive(Debug, PartialEq, Eq)]
    error RequestAmountTooSmall(uint256 amountOfStETH);
    /// A request above the 1000 ETH maximum.
    #[derive(Debug, PartialEq, Eq)]
    error RequestAmountTooLarge(uint256 amountOfStETH);
    /// `caller` asked for tickets owned by `owner`, who has not made `caller` an operator.
    #[derive(Debug, PartialEq, Eq)]
    error NotApprovedByOwner(address caller, address owner);
    /// A request or claim with no amounts or no ids.
    #[derive(Debug, PartialEq, Eq)]
    error EmptyArray();
    /// Two arrays that go together have different lengths.
    #[derive(Debug, PartialEq, Eq)]
    error ArraysLengthMismatch(uint256 firstArrayLength, uint256 secondArrayLength);
    /// No request has id `requestId` (zero, or above the last one), or it is not one the
    /// operation can take.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidRequestId(uint256 requestId);
    /// A checkpoint search range outside `[1, getLastCheckpointIndex()]`.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidRequestIdRange(uint256 startId, uint256 endId);
    /// Request `requestId` is not finalized yet.
    #[derive(Debug, PartialEq, Eq)]
    error RequestNotFoundOrNotFinalized(uint256 requestId);
    /// Request `requestId` was already claimed.
    #[derive(Debug, PartialEq, Eq)]
    error RequestAlreadyClaimed(uint256 requestId);
    /// Only the ticket's owner `owner` may choose where its ETH goes; `sender` is not it.
    #[derive(Debug, PartialEq, Eq)]
    error NotOwner(address sender, address owner);
    /// `hint` is not the checkpoint of the request (see `findCheckpointHints`).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidHint(uint256 hint);
    /// A claim to the zero address.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroRecipient();
    /// `recipient` did not accept the `amount` wei of its claim.
    #[derive(Debug, PartialEq, Eq)]
    error EtherSendFailed(address recipient, uint256 amount);
    /// `findCheckpointHints` needs the request ids in ascending order.
    #[derive(Debug, PartialEq, Eq)]
    error RequestIdsNotSorted();

    /// A finalization share rate of zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroShareRate();
    /// `prefinalize` was given no batches.
    #[derive(Debug, PartialEq, Eq)]
    error EmptyBatches();
    /// Batch ends must strictly increase.
    #[derive(Debug, PartialEq, Eq)]
    error BatchesAreNotSorted();
    /// `calculateFinalizationBatches` was given a finished state, no budget or no
    /// requests to look at.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidState();
    /// `finalize` was sent more than the nominal value of the requests it finalizes.
    #[derive(Debug, PartialEq, Eq)]
    error TooMuchEtherToFinalize(uint256 sent, uint256 maxExpected);
    /// Only the pool may finalize.
    #[derive(Debug, PartialEq, Eq)]
    error NotPool(address caller);
    /// The pool answered a view with something other than one word, or reverted without
    /// saying why.
    #[derive(Debug, PartialEq, Eq)]
    error PoolCallFailed();
    /// The wrapped token reverted without saying why (out of gas, for one).
    #[derive(Debug, PartialEq, Eq)]
    error WrappedCallFailed();
    /// Unwrapping `expected` wrapped tokens gave the queue `received` pool shares instead of
    /// as many (a wrapped token of another pool, or no contract at its address).
    #[derive(Debug, PartialEq, Eq)]
    error UnwrappedSharesMismatch(uint256 expected, uint256 received);

    /// An address given at initialisation is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
    /// `extension`, given at initialisation to run on the queue's storage, holds no code (a
    /// delegatecall to it would succeed doing nothing).
    #[derive(Debug, PartialEq, Eq)]
    error ExtensionWithoutCode(address extension);
    /// An arithmetic step overflowed or divided by zero: unreachable from valid states.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticFailed();
}

tidepool_common::solidity_errors! {
    /// Every way a queue call can fail, apart from revert data passed on from the pool, the
    /// wrapped token or a ticket receiver.
    pub enum QueueError {
        ERC721InvalidOwner(ERC721InvalidOwner) { owner },
        ERC721NonexistentToken(ERC721NonexistentToken) { tokenId },
        ERC721IncorrectOwner(ERC721IncorrectOwner) { sender, tokenId, owner },
        ERC721InvalidReceiver(ERC721InvalidReceiver) { receiver },
        ERC721InsufficientApproval(ERC721InsufficientApproval) { operator, tokenId },
        ERC721InvalidApprover(ERC721InvalidApprover) { approver },
        ERC721InvalidOperator(ERC721InvalidOperator) { operator },
        RequestAmountTooSmall(RequestAmountTooSmall) { amountOfStETH },
        RequestAmountTooLarge(RequestAmountTooLarge) { amountOfStETH },
        NotApprovedByOwner(NotApprovedByOwner) { caller, owner },
        EmptyArray(EmptyArray) {},
        ArraysLengthMismatch(ArraysLengthMismatch) { firstArrayLength, secondArrayLength },
        InvalidRequestId(InvalidRequestId) { requestId },
        InvalidRequestIdRange(InvalidRequestIdRange) { startId, endId },
        RequestNotFoundOrNotFinalized(RequestNotFoundOrNotFinalized) { requestId },
        RequestAlreadyClaimed(RequestAlreadyClaimed) { requestId },
        NotOwner(NotOwner) { sender, owner },
        InvalidHint(InvalidHint) { hint },
        ZeroRecipient(ZeroRecipient) {},
        EtherSendFailed(EtherSendFailed) { recipient, amount },
        RequestIdsNotSorted(RequestIdsNotSorted) {},
        ZeroShareRate(ZeroShareRate) {},
        EmptyBatches(EmptyBatches) {},
        BatchesAreNotSorted(BatchesAreNotSorted) {},
        InvalidState(InvalidState) {},
        TooMuchEtherToFinalize(TooMuchEtherToFinalize) { sent, maxExpected },
        NotPool(NotPool) { caller },
        PoolCallFailed(PoolCallFailed) {},
        WrappedCallFailed(WrappedCallFailed) {},
        UnwrappedSharesMismatch(UnwrappedSharesMismatch) { expected, received },
        ZeroAddress(ZeroAddress) {},
        ExtensionWithoutCode(ExtensionWithoutCode) { extension },
        ArithmeticFailed(ArithmeticFailed) {},
        AlreadyInitialized(initializable::AlreadyInitialized) {},
        NotDeployer(initializable::NotDeployer) { caller, nonce },
        NotInitialized(initializable::NotInitialized) {},
        AccessControlUnauthorizedAccount(access_control::AccessControlUnauthorizedAccount) { account, neededRole },
        AccessControlBadConfirmation(access_control::AccessControlBadConfirmation) {},
        ResumedExpected(pausable::ResumedExpected) {},
        PausedExpected(pausable::PausedExpected) {},
        ZeroPauseDuration(pausable::ZeroPauseDuration) {},
        PauseUntilMustBeInFuture(pausable::PauseUntilMustBeInFuture) {},
    }
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

// Component errors are flattened into leaf variants so the ABI lists every error by name.
impl From<initializable::Error> for QueueError {
    fn from(e: initializable::Error) -> Self {
        match e {
            initializable::Error::AlreadyInitialized(e) => e.into(),
            initializable::Error::NotDeployer(e) => e.into(),
            initializable::Error::NotInitialized(e) => e.into(),
        }
    }
}

impl From<access_control::Error> for QueueError {
    fn from(e: access_control::Error) -> Self {
        match e {
            access_control::Error::UnauthorizedAccount(e) => e.into(),
            access_control::Error::BadConfirmation(e) => e.into(),
        }
    }
}

impl From<pausable::Error> for QueueError {
    fn from(e: pausable::Error) -> Self {
        match e {
            pausable::Error::ResumedExpected(e) => e.into(),
            pausable::Error::PausedExpected(e) => e.into(),
            pausable::Error::ZeroPauseDuration(e) => e.into(),
            pausable::Error::PauseUntilMustBeInFuture(e) => e.into(),
        }
    }
}

/// The error of every unreachable arithmetic failure.
pub fn arithmetic() -> QueueError {
    QueueError::ArithmeticFailed(ArithmeticFailed {})
}
