//! The `rate-feed` program: the whole rate feed.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_rate_feed::RateFeed);
