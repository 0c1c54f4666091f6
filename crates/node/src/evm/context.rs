//! The revm types every transaction runs in.

use revm::{
    context::{BlockEnv, CfgEnv, Context, Journal, TxEnv},
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
};

/// The state database: an in-memory overlay over nothing (the node's whole state).
pub type Db = CacheDB<EmptyDB>;

/// The revm context every transaction runs in.
pub type Ctx = Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>;

/// The hardfork the node runs: Arbitrum's current EVM matches Prague.
pub const SPEC: SpecId = SpecId::PRAGUE;
