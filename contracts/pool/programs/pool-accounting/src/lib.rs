//! The `pool-accounting` program: oracle reports and deposits, run by delegatecall on the pool's
//! storage; everything else goes to `pool-admin`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_pool::programs::PoolAccounting);
