//! The `wrapped` program: the whole wrapped token.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_wrapped::Wrapped);
