//! The oracle's programs (see the crate docs, "Why the oracle is two programs"), each built
//! by a shell crate under `contracts/oracle/programs/`.

pub mod oracle;
pub mod oracle_admin;

pub use oracle_admin::OracleAdmin;
