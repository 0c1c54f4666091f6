//! The `withdrawal-queue` program: requests, claims and `initialize`; everything else goes to
//! `withdrawal-queue-ledger`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_withdrawal_queue::WithdrawalQueue);
