//! The revm glue: the context every transaction runs in, the precompile provider that
//! routes calls to Stylus programs, ArbWasm and ArbWasmCache, and the Stylus VM's host over
//! the transaction's journal (child calls and creates on the same journal).
//!
//! Dependencies point one way: `context` ← `frames` ← `host` ← `arbwasm` ← `arbwasmcache` ←
//! `stylus` ← `precompiles`; `host` reaches the precompile provider only through the
//! [`host::ChildFrames`] trait it implements.

pub mod arbwasm;
pub mod arbwasmcache;
mod context;
mod frames;
mod host;
mod precompiles;
mod stylus;

pub use context::{Ctx, Db, SPEC};
pub use frames::FrameProfile;
pub use precompiles::{build_evm, Precompiles, TopEvm};
