//! The vault's program, built by the shell crate `contracts/vault/programs/vault`.

pub mod vault;
