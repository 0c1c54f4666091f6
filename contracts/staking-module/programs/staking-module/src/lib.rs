//! The `staking-module` program: the node-operator and key registry.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_staking_module::StakingModule);
