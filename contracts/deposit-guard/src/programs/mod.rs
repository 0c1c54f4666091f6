//! The guard's program, built by the shell crate `contracts/deposit-guard/programs/deposit-guard`.

pub mod deposit_guard;
