//! The pool's programs (see the crate docs, "Why the pool is three programs"), each built by
//! a shell crate under `contracts/pool/programs/`.

pub mod pool;
pub mod pool_accounting;
pub mod pool_admin;

pub use pool_accounting::PoolAccounting;
pub use pool_admin::PoolAdmin;
