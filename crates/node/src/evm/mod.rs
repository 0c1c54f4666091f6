//! The revm glue: the context every transaction runs in, the precompile provider that
//! routes calls to Stylus programs, ArbWasm, ArbWasmCache, ArbOwnerPublic, ArbSys and the
//! CacheManager, and the Stylus VM's host over the transaction's journal (child calls and
//! creates on the same journal).
//!
//! Dependencies point one way (`tests/modules.rs` checks it): `context` (the revm types),
//! `frames` (per-transaction bookkeeping) and `tracer` (geth's `callTracer`) at the bottom;
//! `host` (the VM's host over the journal), `arbwasm`, `arbwasmcache`, `arbownerpublic` and
//! `arbsys` on them, `cachemanager` on those; `stylus` (entering a program) on those;
//! `precompiles` (the provider and the EVMs) on top. `host` runs child frames through the
//! `ChildFrames` trait, which the provider implements, instead of importing it.

pub mod arbownerpublic;
pub mod arbsys;
pub mod arbwasm;
pub mod arbwasmcache;
pub mod cachemanager;
mod context;
mod frames;
mod host;
mod precompiles;
mod stylus;
mod tracer;

pub use context::{Ctx, Db, SPEC};
pub use frames::FrameProfile;
pub use precompiles::{build_evm, build_traced_evm, Precompiles, TopEvm, TracedEvm};
pub use tracer::{clear_logs, offset_log_indices, CallTracer};
