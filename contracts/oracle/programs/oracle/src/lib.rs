//! The `oracle` program: set-up and reports; everything else goes to `oracle-admin`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_oracle::Oracle);
