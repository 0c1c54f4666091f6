//! The `withdrawal-queue-admin` program: metadata, off-chain views, the oracle's batches, pausing and
//! roles, run by delegatecall on the queue's storage.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_withdrawal_queue::programs::WithdrawalQueueAdmin);
