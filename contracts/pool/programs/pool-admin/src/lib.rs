//! The `pool-admin` program: configuration, switches and roles, run by delegatecall on the pool's
//! storage.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_pool::programs::PoolAdmin);
