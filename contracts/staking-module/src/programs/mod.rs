//! The module's programs: one, the whole registry.

pub mod staking_module;
