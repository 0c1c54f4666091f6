//! The rate feed's program, built by the shell crate `contracts/rate-feed/programs/rate-feed`.

pub mod rate_feed;
