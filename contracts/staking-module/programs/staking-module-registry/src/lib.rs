//! The `staking-module-registry` program: node operators, keys, vetting and roles, run by
//! delegatecall on the module's storage.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_staking_module::programs::StakingModuleRegistry);
