//! The `deposit-guard` program.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_deposit_guard::DepositGuard);
