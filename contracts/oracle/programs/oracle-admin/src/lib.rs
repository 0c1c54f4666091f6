//! The `oracle-admin` program: the committee, frames, limits, roles and views, run by
//! delegatecall on the oracle's storage.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_oracle::programs::OracleAdmin);
