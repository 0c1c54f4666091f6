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
//! * A request's ticket may be created for another `owner` only if that owner made the
//!   caller one of its operators (`setApprovalForAll`). Like any ERC-721 token, an existing
//!   ticket can still be transferred to anyone, so an owner's `getWithdrawalRequests` list
//!   can grow by others' transfers (each costing the sender a request of at least 100 wei);
//!   nothing on chain walks that list (a ticket leaves it in constant time), so only the
//!   view grows.
//! * A request records the shares rounded up at the share rate a report at the current pool
//!   finalizes with (`ceil(amount × 1e27 / rate)`), so its ticket pays exactly its amount
//!   unless the rate falls; Lido records them rounded down, and its ticket pays a wei or two
//!   less. The pool charges the allowance those shares' value rounded up, a few wei above the
//!   amounts. A whole balance asked for in several requests takes every share, the last
//!   request giving up the rounding (see `calls.rs`, `request`).
//! * A request moves exactly the shares it records (`transferSharesFrom`), counted through
//!   `sharesOf` before and after (`TransferredSharesMismatch` otherwise), so the queue holds
//!   no dust that belongs to no request, and one pool transfer serves all of a call's amounts.
//! * ETH finalization locks above what the requests claim (rounding, more when a batch mixes
//!   requests paid in full and discounted) goes back to the pool's buffer with
//!   `sweepSurplus` (`SWEEP_SURPLUS_ROLE`), exactly, never a claimable wei (`surplus.rs`).
//! * The payout is the smaller of the two bounds rather than a comparison of floored rates,
//!   which never pays a wei above either bound; claims of one call pay each recipient once.
//! * `requestWithdrawalsWithPermit` goes on when the permit was already used (front-run) and
//!   the allowance suffices, so a copied permit cannot block the request.
//! * Report periods for `calculateFinalizationBatches` come from the pool's rate history
//!   (when each report was applied) rather than a report time stored in every request, so
//!   requests write nothing for it; the 36-batch cap is Lido's, and `prefinalize` enforces
//!   it too. `tokenURI` is on-chain JSON.
//! * Wrapped-token requests (`requestWithdrawalsWrapped`, Lido's `requestWithdrawalsWstETH`)
//!   record exactly the shares unwrapped, one per wrapped token, and as nominal ETH what they
//!   pay at the current pool's report rate, rounded down (so the ticket pays exactly it
//!   unless the rate falls); Lido converts the unwrapped stETH back to shares, rounding
//!   down twice, and leaves the difference in the queue. The shares are counted before and
//!   after unwrapping, so a wrong wrapped-token address cannot make the queue record shares
//!   it does not hold.
//! * The oracle's `onOracleReport` hook and bunker mode are not here: Tidepool's pool does
//!   not call such a hook.
//!
//! # Why the queue is three programs
//! Nitro refuses programs over 24,576 compressed bytes, and the stylus-sdk router costs a few
//! hundred bytes per public function: the queue's forty-odd functions do not fit one
//! program, nor two (as two they compiled to 25.2 KB and 22.6 KB), so it is deployed as
//! three (the table is `crates/programs`). The `withdrawal-queue` program
//! ([`programs::withdrawal_queue`]) keeps the transactions users send most: requests and
//! claims (and `initialize`). Its `#[fallback]` delegatecalls `withdrawal-queue-ledger`
//! ([`programs::withdrawal_queue_ledger`]: finalization, which the pool calls in every report,
//! ERC-721 transfers, approvals and views, the queue's counters), whose own fallback
//! delegatecalls `withdrawal-queue-admin` ([`programs::withdrawal_queue_admin`]: metadata,
//! status, hint and claimable views, the oracle's batch calculation, pausing, roles). What
//! contracts call on chain is at most one delegatecall away. Integrators see one address and
//! one ABI (`abi/IWithdrawalQueue.sol`, which names the program serving each function).
//!
//! # Storage
//! The ledger's and the admin's program types each have exactly one field, this crate's
//! [`WithdrawalQueue`], so under the queue's delegatecall every field is read and written at
//! the queue's slots. The helpers all programs share are methods of [`WithdrawalQueue`]
//! (`calls`, `ledger`, `tickets`, `batches`, `metadata`). Native tests run the three programs
//! over one host to check this.
//!
//! # Called at their own addresses
//! The other two programs' own storage is never initialised (only the queue has
//! `initialize`): there is no pool, no request and no role, so `finalize` reverts with
//! `NotPool`, pausing and role changes with `AccessControlUnauthorizedAccount`, the ledger's
//! fallback with `NotInitialized`, and the views read an empty queue.
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
//! * `finalize` takes ETH and writes state only; in the admin program only `sweepSurplus`
//!   calls out, to the pool's `receiveWithdrawalSurplus` (which calls nothing), after
//!   writing everything it changes.
//!
//! The ledger and admin programs are built the same way (one crate, one `reentrant`
//! choice): Nitro does not count a delegated frame, so the code the fallback hands a call to
//! sees this frame's reentrancy flag, and a guard there would refuse the reentrant calls this
//! program allows (a ticket receiver may read the queue's views from `onERC721Received`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

mod batches;
pub mod calls;
pub mod errors;
pub mod events;
pub mod ledger;
mod metadata;
pub mod programs;
mod surplus;
pub mod tickets;

use alloc::{vec, vec::Vec};

use alloy_primitives::{uint, Address, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU128, StorageU160, StorageU64, StorageUint,
        StorageVec,
    },
};
use tidepool_common::{
    access_control::AccessControl, initializable::Initializable, pausable::PausableUntil,
    program::Delegate,
};

use errors::*;
pub use errors::{QueueError, Revert};
use ledger::small;

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

/// Roles: `keccak256` of their names, declared once in `tidepool-interfaces`.
pub use tidepool_interfaces::roles::withdrawal_queue as roles;

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

/// The queue's storage, and the `withdrawal-queue` program's type. Small fields are grouped so
/// each group packs into one slot.
#[storage]
pub struct WithdrawalQueue {
    pub(crate) init: Initializable,
    pub(crate) access: AccessControl,
    pub(crate) pause: PausableUntil,

    // One slot: the pool and the checkpoint count.
    pub(crate) pool: StorageAddress,
    pub(crate) last_checkpoint_index: StorageU64,

    /// The `withdrawal-queue-ledger` program, whose code the queue's fallback runs on this
    /// storage.
    pub(crate) ledger_contract: StorageAddress,
    /// The `withdrawal-queue-admin` program, whose code the ledger's fallback runs on this
    /// storage.
    pub(crate) admin_contract: StorageAddress,
    /// The wrapped token (1 token = 1 pool share) that `requestWithdrawalsWrapped` takes.
    pub(crate) wrapped: StorageAddress,

    // One slot: what every request, finalization and claim updates.
    pub(crate) last_request_id: StorageU64,
    pub(crate) last_finalized_request_id: StorageU64,
    /// ETH held for finalized, unclaimed requests.
    pub(crate) locked_ether: StorageU128,

    /// Requests by id; id 0 is never written and reads as zero sums.
    pub(crate) requests: StorageMap<u64, Request>,
    /// Checkpoints by index, from 1.
    pub(crate) checkpoints: StorageMap<u64, Checkpoint>,
    /// Each owner's unclaimed tickets, unordered (a claimed or moved ticket's place is taken
    /// by the owner's last one). Its length is the owner's ERC-721 balance.
    pub(crate) owned: StorageMap<Address, StorageVec<StorageU64>>,
    /// ERC-721 single-ticket approvals.
    pub(crate) token_approvals: StorageMap<u64, StorageAddress>,
    /// ERC-721 operators: owner → operator → approved.
    pub(crate) operator_approvals: StorageMap<Address, StorageMap<Address, StorageBool>>,

    // One slot: the surplus sweep's count (see `surplus.rs`).
    /// The last request whose payout the sweep has counted (0 before the first).
    pub(crate) sweep_counted_to: StorageU64,
    /// ETH finalizations locked that no counted request's payout accounts for: after the
    /// sweep has counted every finalized request, exactly the locked ETH no claim can take.
    pub(crate) unmatched_ether: StorageU128,
}

tidepool_common::program_storage!(WithdrawalQueue);

// SAFETY: `ledger_contract` is set once, in `initialize`, by the proven deployer, to code
// checked to exist: the `withdrawal-queue-ledger` program, whose program type wraps
// `WithdrawalQueue`.
#[allow(unsafe_code)]
unsafe impl Delegate for WithdrawalQueue {
    fn next_program(&self) -> Address {
        self.ledger_contract.get()
    }
}

/// Every event and error of the queue (all three programs), with parameter names, for
/// `abi/IWithdrawalQueue.sol` and `abi/WithdrawalQueue.json` (see README, "ABI files").
#[cfg(feature = "export-abi")]
pub mod abi_items {
    use super::*;
    use tidepool_abi_export::Items;

    /// The queue's events and errors, and its fallback.
    pub fn items() -> Items {
        QueueError::abi_items(events::abi_events(Items::new())).fallback(true)
    }
}

// Helpers shared by the programs.
impl WithdrawalQueue {
    pub(crate) fn only_role(&self, role: B256) -> Result<(), QueueError> {
        Ok(self.access.only_role(role, self.vm().msg_sender())?)
    }

    /// When request `id` was finalized and its checkpoint, if it was.
    pub(crate) fn finalization(&self, id: u64) -> Result<Option<(u64, U256)>, QueueError> {
        if id > self.counters().1 {
            return Ok(None);
        }
        let count = U256::from(self.checkpoint_count());
        let hint = self.find_checkpoint_hint(U256::from(id), U256::from(1u8), count)?;
        let timestamp = small(self.checkpoints.getter(hint).timestamp.get());
        Ok(Some((timestamp, U256::from(hint))))
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
