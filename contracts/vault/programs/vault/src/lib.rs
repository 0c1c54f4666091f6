//! The `vault` program: the whole vault.
#![no_std]
#![no_main]

tidepool_common::program_entrypoint!(tidepool_vault::Vault);
