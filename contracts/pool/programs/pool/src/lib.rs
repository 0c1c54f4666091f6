//! The `pool` program: the token, permits, shares and staking; everything else goes to
//! `pool-accounting`.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_pool::Pool);
