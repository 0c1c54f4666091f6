//! The queue's programs (see the crate docs, "Why the queue is three programs"), each built by
//! a shell crate under `contracts/withdrawal-queue/programs/`.

pub mod withdrawal_queue;
pub mod withdrawal_queue_admin;
pub mod withdrawal_queue_ledger;

pub use withdrawal_queue_admin::{
    BatchesCalculationState, WithdrawalQueueAdmin, WithdrawalRequestStatus,
};
pub use withdrawal_queue_ledger::WithdrawalQueueLedger;
