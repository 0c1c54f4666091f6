//! The module's programs (see the crate docs, "Why two programs"), each built by a shell crate
//! under `contracts/staking-module/programs/`.

pub mod registry;
pub mod staking_module;

pub use registry::StakingModuleRegistry;
