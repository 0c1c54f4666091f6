//! The `staking-module` program: set-up, deposits, rewards and the summary; every other
//! selector goes to `staking-module-registry`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_staking_module::StakingModule);
