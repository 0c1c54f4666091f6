//! The wrapped token's program, built by the shell crate `contracts/wrapped/programs/wrapped`.

pub mod wrapped;
