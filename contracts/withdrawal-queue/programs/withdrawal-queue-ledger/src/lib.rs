//! The `withdrawal-queue-ledger` program: finalization, the tickets' ERC-721 transfers and views, the
//! counters, run by delegatecall on the queue's storage; everything else goes to
//! `withdrawal-queue-admin`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_withdrawal_queue::programs::WithdrawalQueueLedger);
