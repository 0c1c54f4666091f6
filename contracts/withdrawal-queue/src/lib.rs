//! Tidepool's withdrawal queue (Lido's unstETH role): pool tokens in, an ERC-721 ticket out,
//! ETH back once an oracle report has finalized the request.
//!
//! # The queue
//! Requests are numbered from 1 and stored as prefix sums: each keeps the nominal ETH
//! (`amountOfStETH`) and the shares of every request up to and including itself, so the ETH
//! and shares of any range of requests are two reads, and finalizing a batch costs the same
//! whatever its length. An oracle report finalizes a prefix of the queue (FIFO) at a maximum
//! share rate (ETH per share × 1e27, the report's rate) and records it as a *checkpoint*
//! `(fromRequestId, maxShareRate)`. A request is paid `min(nominal, shares × maxShareRate /
//! 1e27)` of its checkpoint, rounded down: losses between request and finalization are borne
//! by the request, rewards after it are not ([`tidepool_math::queue::eth_to_finalize`]).
//! Claims name the checkpoint (a *hint*, found off-chain with `findCheckpointHints`), so a
//! claim costs the same however many checkpoints exist; exactly one hint is valid for each
//! finalized request.
//!
//! # Differences from Lido
//! * A ticket's ERC-721 approved address and its owner's operators may claim it, and the ETH
//!   still goes to the owner; only the owner may send it elsewhere (`claimWithdrawalsTo`).
//! * A request's ticket may be given to another `owner` only if that owner made the caller
//!   one of its operators (`setApprovalForAll`): tickets cannot be pushed onto someone, which
//!   also keeps their `getWithdrawalRequests` list from being spammed.
//! * A request moves exactly the shares it records (`transferSharesFrom`), so the queue holds
//!   no dust that belongs to no request, and one pool transfer serves all of a call's amounts.
//! * The payout is the smaller of the two bounds rather than a comparison of floored rates,
//!   which never pays a wei above either bound; claims of one call pay each recipient once.
//! * `requestWithdrawalsWithPermit` goes on when the permit was already used (front-run) and
//!   the allowance suffices, so a copied permit cannot block the request.
//! * Arrays are bounded by gas only (no 36-batch cap); `tokenURI` is on-chain JSON.
//! * Wrapped-token requests (`requestWithdrawalsWrapped`, Lido's `requestWithdrawalsWstETH`)
//!   record exactly the shares unwrapped, one per wrapped token, and their value rounded
//!   down as the nominal ETH; Lido converts the unwrapped stETH back to shares, rounding
//!   down twice, and leaves the difference in the queue. The shares are counted before and
//!   after unwrapping, so a wrong wrapped-token address cannot make the queue record shares
//!   it does not hold.
//! * The oracle's `onOracleReport` hook and bunker mode are not here: Tidepool's pool does
//!   not call such a hook.
//!
//! # Three programs, one queue
//! Nitro refuses programs over 24,576 compressed bytes, and the stylus-sdk router costs a few
//! hundred bytes per public function: the queue's forty-odd functions need three programs.
//! This contract keeps the transactions users send most: requests and claims (and
//! `initialize`). Its `#[fallback]` delegatecalls `WithdrawalQueueLedger` (crate
//! `tidepool-withdrawal-queue-ledger`: finalization, which the pool calls in every report,
//! ERC-721 transfers, approvals and views, the queue's counters), whose own fallback
//! delegatecalls `WithdrawalQueueAdmin` (crate `tidepool-withdrawal-queue-admin`: metadata,
//! status, hint and claimable views, the oracle's batch calculation, pausing, roles). Both run on this contract's storage: each wraps
//! [`WithdrawalQueue`] as its only field. Without the default `contract` feature this crate
//! is only the storage layout and the shared helpers, which is how the other two use it.
//! Integrators see one address and one ABI (`abi/IWithdrawalQueue.sol`).
//!
//! # Reentrancy
//! The queue is built with the SDK's `reentrant` feature: reentrant calls are allowed, and
//! every function follows checks-effects-interactions instead, so a reentrant call only ever
//! sees finished state.
//! * Requests take the pool tokens first and then write the requests; the pool is Tidepool's
//!   own token, makes no outside call during `transferSharesFrom` and (for contract wallets)
//!   only a static `isValidSignature` call during `permit`. Wrapped-token requests take the
//!   wrapped tokens and unwrap them, both before writing anything; the wrapper calls only the
//!   pool (see `calls.rs`, `request_wrapped`).
//! * Claims check and write every request of the call (claimed, ticket burnt, locked ETH
//!   lowered) before the first ETH transfer; the transfers come last and nothing is read
//!   after them.
//! * `safeTransferFrom` moves the ticket, then calls `onERC721Received`, and reads nothing
//!   written by the receiver afterwards.
//! * Every outgoing call flushes and clears the storage cache first, so the callee and any
//!   reentrant call read current storage and this frame reads fresh values afterwards.
//!
//! The ledger and admin programs are built the same way: Nitro does not count a delegated
//! frame, so the code the fallback hands a call to sees this frame's reentrancy flag, and a
//! guard there would refuse the reentrant calls this program allows.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

pub mod calls;
pub mod errors;
pub mod events;
pub mod ledger;
pub mod tickets;

use alloc::{vec, vec::Vec};

use alloy_primitives::{uint, Address, B256, U256};
use alloy_sol_types::{sol, SolError as _, SolEvent as _};
use stylus_sdk::{
    call::RawCall,
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU128, StorageU160, StorageU64, StorageUint,
        StorageVec,
    },
};
use tidepool_common::{
    abi::{emit, AsWord},
    access_control::AccessControl,
    initializable::{self, Initializable},
    pausable::PausableUntil,
};

use errors::*;
pub use errors::{QueueError, Revert};

/// ERC-721 name.
pub const NAME: &str = "Tidepool tpETH Withdrawal NFT";
/// ERC-721 symbol.
pub const SYMBOL: &str = "untpETH";
/// The smallest request, in wei of the pool token (Lido's figure).
pub const MIN_STETH_WITHDRAWAL_AMOUNT: U256 = U256::from_limbs([100, 0, 0, 0]);
/// The largest request, 1000 ETH (Lido's figure): larger amounts are split into several
/// requests, so no single request waits for an outsized share of the exits.
pub const MAX_STETH_WITHDRAWAL_AMOUNT: U256 = uint!(1_000_000_000_000_000_000_000_U256);
/// The last request id the storage layout can hold (checkpoints keep ids in 56 bits).
pub const MAX_REQUEST_ID: u64 = (1 << 56) - 1;

/// Roles (keccak256 of the name, as in OpenZeppelin and Lido).
pub mod roles {
    use alloy_primitives::B256;
    use stylus_sdk::keccak_const::Keccak256;

    const fn id(name: &[u8]) -> B256 {
        B256::new(Keccak256::new().update(name).finalize())
    }
    /// May pause requests and finalization.
    pub const PAUSE_ROLE: B256 = id(b"PAUSE_ROLE");
    /// May resume them.
    pub const RESUME_ROLE: B256 = id(b"RESUME_ROLE");
}

sol! {
    /// An EIP-2612 permit of the pool token, for `requestWithdrawalsWithPermit`, or of the
    /// wrapped token, for `requestWithdrawalsWrappedWithPermit` (Lido's layout).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct PermitInput {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }
}

/// One withdrawal request: two slots.
#[storage]
pub struct Request {
    /// Nominal ETH of all requests up to and including this one.
    pub cumulative_steth: StorageU128,
    /// Shares of all requests up to and including this one.
    pub cumulative_shares: StorageU128,
    /// The ticket's owner (kept after the claim, for the status view).
    pub owner: StorageAddress,
    /// When the request was made.
    pub timestamp: StorageUint<40, 1>,
    pub claimed: StorageBool,
    /// Where the ticket sits in its owner's list (see [`WithdrawalQueue::owned`]); 40 bits
    /// like the timestamp, so the program carries one accessor for both widths.
    pub owner_index: StorageUint<40, 1>,
}

/// One finalization: one slot.
#[storage]
pub struct Checkpoint {
    /// The first request this finalization covered; it covers every request up to the next
    /// checkpoint's first.
    pub from_request_id: StorageUint<56, 1>,
    /// When the finalization happened (for metadata).
    pub timestamp: StorageUint<40, 1>,
    /// The finalization's maximum share rate, capped at `2^160 - 1`: every request's own rate
    /// is below `2^160` (at most 1000 ETH for at least one share, ×1e27 ≈ 2^159.6), so the
    /// cap never changes a payout.
    pub max_share_rate: StorageU160,
}

/// The queue's storage. Small fields are grouped so each group packs into one slot.
///
/// The fields are public because `WithdrawalQueueLedger` and `WithdrawalQueueAdmin` run on
/// this same storage: each wraps this struct as its only field, so all three see every field
/// at the same slot.
#[cfg_attr(all(feature = "contract", target_arch = "wasm32"), entrypoint)]
#[storage]
pub struct WithdrawalQueue {
    pub init: Initializable,
    pub access: AccessControl,
    pub pause: PausableUntil,

    // One slot: the pool and the checkpoint count.
    pub pool: StorageAddress,
    pub last_checkpoint_index: StorageU64,

    /// `WithdrawalQueueLedger`, whose code this contract's fallback runs on this storage.
    pub ledger_contract: StorageAddress,
    /// `WithdrawalQueueAdmin`, whose code the ledger's fallback runs on this storage.
    pub admin_contract: StorageAddress,
    /// The wrapped token (1 token = 1 pool share) that `requestWithdrawalsWrapped` takes.
    pub wrapped: StorageAddress,

    // One slot: what every request, finalization and claim updates.
    pub last_request_id: StorageU64,
    pub last_finalized_request_id: StorageU64,
    /// ETH held for finalized, unclaimed requests.
    pub locked_ether: StorageU128,

    /// Requests by id; id 0 is never written and reads as zero sums.
    pub requests: StorageMap<u64, Request>,
    /// Checkpoints by index, from 1.
    pub checkpoints: StorageMap<u64, Checkpoint>,
    /// Each owner's unclaimed tickets, unordered (a claimed or moved ticket's place is taken
    /// by the owner's last one). Its length is the owner's ERC-721 balance.
    pub owned: StorageMap<Address, StorageVec<StorageU64>>,
    /// ERC-721 single-ticket approvals.
    pub token_approvals: StorageMap<u64, StorageAddress>,
    /// ERC-721 operators: owner → operator → approved.
    pub operator_approvals: StorageMap<Address, StorageMap<Address, StorageBool>>,
}

// `#[entrypoint]` exports `user_entrypoint`, which only a wasm program needs; natively the
// crates that wrap this storage link it too, and two definitions of the symbol break a native
// build of both. Native tests route with `router_entrypoint` and the impl below.
#[cfg(all(feature = "contract", not(target_arch = "wasm32")))]
#[allow(unsafe_code)]
// SAFETY: with `contract` this struct is the program's top-level storage, as `#[entrypoint]`
// would declare on wasm.
unsafe impl TopLevelStorage for WithdrawalQueue {}

/// Every event and error of the queue (all three programs), with parameter names, for
/// `abi/IWithdrawalQueue.sol` and `abi/WithdrawalQueue.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;
    use tidepool_common::{access_control, pausable};

    /// The queue's events and errors, and its fallback.
    pub fn items() -> Items {
        Items::new()
            .event::<events::WithdrawalRequested>()
            .event::<events::WithdrawalsFinalized>()
            .event::<events::WithdrawalClaimed>()
            .event::<events::Transfer>()
            .event::<events::Approval>()
            .event::<events::ApprovalForAll>()
            .event::<events::BatchMetadataUpdate>()
            .event::<initializable::Initialized>()
            .event::<access_control::RoleGranted>()
            .event::<access_control::RoleRevoked>()
            .event::<access_control::RoleAdminChanged>()
            .event::<pausable::Paused>()
            .event::<pausable::Resumed>()
            .error::<errors::ERC721InvalidOwner>()
            .error::<errors::ERC721NonexistentToken>()
            .error::<errors::ERC721IncorrectOwner>()
            .error::<errors::ERC721InvalidReceiver>()
            .error::<errors::ERC721InsufficientApproval>()
            .error::<errors::ERC721InvalidApprover>()
            .error::<errors::ERC721InvalidOperator>()
            .error::<errors::RequestAmountTooSmall>()
            .error::<errors::RequestAmountTooLarge>()
            .error::<errors::NotApprovedByOwner>()
            .error::<errors::EmptyArray>()
            .error::<errors::ArraysLengthMismatch>()
            .error::<errors::InvalidRequestId>()
            .error::<errors::InvalidRequestIdRange>()
            .error::<errors::RequestNotFoundOrNotFinalized>()
            .error::<errors::RequestAlreadyClaimed>()
            .error::<errors::NotOwner>()
            .error::<errors::InvalidHint>()
            .error::<errors::ZeroRecipient>()
            .error::<errors::EtherSendFailed>()
            .error::<errors::RequestIdsNotSorted>()
            .error::<errors::ZeroShareRate>()
            .error::<errors::EmptyBatches>()
            .error::<errors::BatchesAreNotSorted>()
            .error::<errors::InvalidState>()
            .error::<errors::TooMuchEtherToFinalize>()
            .error::<errors::NotPool>()
            .error::<errors::PoolCallFailed>()
            .error::<errors::WrappedCallFailed>()
            .error::<errors::UnwrappedSharesMismatch>()
            .error::<errors::ZeroAddress>()
            .error::<errors::ExtensionWithoutCode>()
            .error::<errors::ArithmeticFailed>()
            .error::<initializable::AlreadyInitialized>()
            .error::<initializable::NotDeployer>()
            .error::<initializable::NotInitialized>()
            .error::<access_control::AccessControlUnauthorizedAccount>()
            .error::<access_control::AccessControlBadConfirmation>()
            .error::<pausable::ResumedExpected>()
            .error::<pausable::PausedExpected>()
            .error::<pausable::ZeroPauseDuration>()
            .error::<pausable::PauseUntilMustBeInFuture>()
            .fallback(true)
    }
}

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
    /// must have approved the queue on the pool for the amounts' total.
    ///
    /// Each request records `amount` as its nominal ETH and `floor(amount × totalShares /
    /// totalPooledEther)` shares; the queue takes exactly the shares recorded, which costs the
    /// caller at most `amount` of allowance and balance (the pool rounds the allowance up from
    /// the shares, never above the amount they were rounded down from).
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
    /// * `ZeroRecipient`; `NotOwner` unless the caller owns every ticket (approved addresses
    ///   and operators cannot redirect ETH); otherwise those of `claimWithdrawals`.
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

    /// Runs every selector this contract does not know in `WithdrawalQueueLedger`'s code
    /// (and, through its fallback, `WithdrawalQueueAdmin`'s), on this contract's storage
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
        let ledger = self.ledger_contract.get();
        self.delegate(ledger, calldata)
    }
}

impl WithdrawalQueue {
    /// Runs `calldata` in `target`'s code on this storage (delegatecall) and passes its output
    /// or revert data on unchanged; `NotInitialized` when `target` is unset.
    pub fn delegate(&mut self, target: Address, calldata: &[u8]) -> stylus_sdk::ArbResult {
        if target.is_zero() {
            return Err(initializable::NotInitialized {}.abi_encode());
        }
        // SAFETY: `target` is one of the two contracts fixed at initialisation (checked to
        // hold code) and built from this workspace on this very storage layout (each wraps
        // `WithdrawalQueue`). Clearing the storage cache first hands it the current state and
        // keeps this frame from writing stale values afterwards.
        #[allow(unsafe_code)]
        unsafe {
            RawCall::new_delegate(self.vm()).clear_storage_cache().call(target, calldata)
        }
    }
}

/// `ArraysLengthMismatch` for two lengths.
pub fn length_mismatch(first: usize, second: usize) -> QueueError {
    ArraysLengthMismatch {
        firstArrayLength: U256::from(first),
        secondArrayLength: U256::from(second),
    }
    .into()
}
