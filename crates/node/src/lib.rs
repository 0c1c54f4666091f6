//! tidepool-node: a local, anvil-like Ethereum node whose EVM is [revm] and whose Stylus
//! programs (code starting `EF F0 00`) run in the Stylus VM of [`tidepool_stylus_vm`]
//! (wasmi behind the `vm_hooks` host interface, metered in ink).
//!
//! # Layout
//!
//! One concern per module, dependencies pointing one way (`tests/modules.rs` fails on an
//! import cycle):
//!
//! | module | what |
//! |---|---|
//! | [`tidepool_stylus_vm`] (crate) | the Stylus VM: activation rules, compilation, ink, host I/Os over its `Host` trait; no EVM inside |
//! | [`evm`] | the revm glue: the precompile provider (Ethereum precompiles, ArbWasm, ArbWasmCache, Stylus programs), the VM's host over revm's journal, child calls and creates |
//! | [`chain`] | the dev chain: state and its history, blocks, the pending pool, mining, calls, snapshots, state files |
//! | [`rpc`] | the JSON-RPC namespaces as typed traits and their implementation over the chain, and the polled filters |
//! | [`node`] | the HTTP server and the handle that runs it |
//!
//! # Using it
//!
//! ```no_run
//! use tidepool_node::node::{Node, NodeConfig};
//! let node = Node::spawn(NodeConfig::ephemeral()).expect("node"); // 127.0.0.1, free port
//! println!("{}", node.url()); // http://127.0.0.1:PORT, chain id 412346
//! // Dropping the handle stops the server.
//! ```
//!
//! The `tidepool-node` binary serves on `127.0.0.1:8547` (see `--help`); the
//! `tidepool-node-bench` binary prints Stylus calls/s in-process and tx/s over RPC.
//!
//! # How Stylus runs inside revm
//!
//! [`evm::Precompiles`] is revm's precompile provider: revm asks it about every call before
//! loading bytecode, after the call's journal checkpoint and value transfer. Ethereum
//! precompiles, ArbWasm (`0x71`, [`evm::arbwasm`]) and ArbWasmCache (`0x72`) are answered
//! there; code starting `EF F0 00` is run by the Stylus VM over an `EvmHost`. A program's
//! calls and creates back into the EVM start a child EVM over the *same* context, so every
//! frame shares one journal: reverts roll back Stylus and EVM writes alike, and
//! `CALL_STACK_LIMIT` counts both kinds of frame. Activation records live in the storage of
//! the ArbWasm account, so snapshots, reverts and state dumps carry them; compiled modules
//! are cached per code hash in [`program::ProgramCache`] and compiled once (at activation,
//! or on first use after a state load).
//!
//! `msg_reentrant` follows Nitro's rule: open frames are counted per *acting* (storage)
//! address, and only frames entered by CALL or STATICCALL (or as the transaction) count; a
//! DELEGATECALL or CALLCODE frame acts for its caller without adding to the caller's count.
//! A program is reentrant when its acting address has more than one counted frame open,
//! EVM frames included. So code delegated to by a proxy is not reentrant on the proxy's
//! first entry, and is once the proxy has been called again further down the stack; the
//! program's own address is a different actor. The frames are those revm routes through the
//! precompile provider, which is every call.
//!
//! See [`tidepool_stylus_vm`] for the host I/Os and the ink table.
//!
//! # What clients get beyond sending
//!
//! - **Mining and the pool.** A transaction whose nonce is its sender's next is mined at
//!   once in its own block (automine), then any queued successors, each in its own block. One
//!   with a later nonce waits in the pool (geth's "queued"; `txpool_status`,
//!   `txpool_content`, `txpool_inspect` show it) until the gap fills; the same sender and
//!   nonce replaces it only with both fees 10% higher (geth's price bump), else
//!   "replacement transaction underpriced". A queued transaction that no longer executes
//!   when its turn comes is dropped, as geth drops unexecutable ones. `"pending"` nonces
//!   equal the latest: the pool holds only transactions behind a gap, which geth does not
//!   count either.
//! - **Filters.** `eth_newFilter`, `eth_newBlockFilter` and `eth_newPendingTransactionFilter`
//!   report what blocks mined since the last `eth_getFilterChanges` hold, once each; as in
//!   geth, only block numbers bound a log filter's changes, and a filter not polled for five
//!   minutes is removed ("filter not found").
//! - **State history.** Every block's state is kept: each block records the values it
//!   overwrote (184 bytes per touched account plus 72 per written slot; empty blocks
//!   nothing), and older states are the latest with later blocks undone.
//!   `--prune-history N` keeps the last `N` blocks'.
//! - **A simulated beacon chain** (`tidepool_beaconConfigure`, or `--beacon-deposit-contract`;
//!   see `chain::beacon` and [`tidepool_beacon_sim`]): validators from the deposit contract's
//!   `DepositEvent`s, rewards, exits, slashing and sweeps on the block clock, withdrawals
//!   minted in the block whose timestamp crosses the epoch boundary; `--beacon-port` serves
//!   the standard beacon REST API over it.
//! - **Signing.** `eth_sign`, `personal_sign`, `eth_signTypedData_v4` and
//!   `eth_sendTransaction` sign with the dev accounts' keys; any other account is
//!   "unknown account" (`eth_sendTransaction` also sends for impersonated accounts).
//!
//! # What is tested
//!
//! | where | what |
//! |---|---|
//! | unit tests in `tidepool-stylus-vm` | ink table scaled to fuel, memory pricing, SSTORE pricing and refunds, activation rules, program compression, activation records, the host I/O list |
//! | unit tests in `src/` | the reentrancy counting rule |
//! | `tests/modules.rs` | no import cycle between the node's source files |
//! | `tests/chains.rs` | Solidity (solc-compiled, below) and Stylus calling each other both ways and in round trips in one journal; reverts carrying custom-error data across frames and rolling back storage and logs, caught and uncaught; traps; non-activated code refused; the reentrancy flag through EVM frames; DELEGATECALL from a Solidity proxy and from a Stylus program into a Stylus program (storage, logs, value, msg.sender/msg.value/address, reentrancy per acting address, rollback); known answers for every one of the 42 host I/Os; `create1`/`create2` of a Solidity contract |
//! | `tests/solidity.rs` | the committed artifacts in `tests/solidity/out/` are what the pinned solcjs makes of `tests/solidity/*.sol` (needs the tools below; skipped without them except on CI, and `scripts/test.sh` runs the same check) |
//! | `tests/stylus.rs` | a WAT counter activates and counts; `eth_call` leaves state alone; the gap between an uncached and a cached call is exactly `initGas` |
//! | `tests/failures.rs` | every trap kind (panic, bad pointer, out-of-bounds load, division by zero, malformed log, write in a static call) reverts with empty data and returns unused gas, called by an account and by Solidity; out of ink and out of stack consume the call's gas and a Solidity caller keeps its 1/64 |
//! | `tests/contracts.rs` | the SDK-built vault wasm (from `tidepool build`) deploys with CREATE, activates, initialises and guards withdrawals |
//! | `tests/rpc.rs` | JSON-RPC methods, dev methods, error codes, state dump and reload |
//! | `tests/rpc_pool.rs` | filters (new logs reported once, address and topic matching with wildcards and OR-lists, `toBlock`, block and pending-transaction filters, removed filters erroring, a revert), nonce gaps filled out of order mined in order, concurrent sends from one key, replacement only at a 10% higher fee, `txpool_*`, state of any past block after 1,000 blocks and `--prune-history`, `eth_sign`/`personal_sign`/`eth_signTypedData_v4` recovering to the dev account |
//! | `scripts/clients.sh` | the same with web3.py, viem and ethers v6 (pinned in `tests/clients/`) against the binary |
//! | `tests/fidelity.rs` | receipts' `gasUsedForL1`/`l1BlockNumber` and `eth_getBlockReceipts`; `eth_blobBaseFee`; calldata at 4/16 gas per byte unless the EIP-7623 floor is enabled; P256 verification at `0x100` (valid, invalid, 3,450 gas, from Solidity); `eth_createAccessList` for Solidity and Stylus storage (and the gas with the list); `eth_getProof` proofs verified against the state root; `debug_traceTransaction` with `callTracer` through Solidity -> Stylus -> Solidity, logs, reverts |
//! | `tests/beacon_sim.rs` | the simulated beacon chain: `DepositEvent`s of the deposit contract (and no other emitter) create validators, a bad signature is ignored, `evm_increaseTime` + `evm_mine` sweep exactly the simulation's withdrawals into the vault (and EL rewards to the fee recipient) in the block that crosses the boundary, `evm_revert` restores it, faults by RPC, the REST API |
//! | `tests/foundry.rs` | `cast` deploys, activates and calls a Stylus program; `cast run` replays an EVM transaction with the receipt's gas; an EVM-only transaction sequence gives the same receipts, logs and balances here as on `anvil` |
//!
//! The Solidity contracts used by `tests/chains.rs` live in `tests/solidity/`: `Counter`,
//! `Reverter` (custom error), `ReentrancyProbe` and `DelegateProxy`. Their compiled
//! artifacts are committed, so `cargo test` needs no Node.js. After changing a source:
//!
//! ```text
//! crates/node/scripts/install-tools.sh          # cast, anvil, solc (pinned) into .tools
//! node crates/node/tests/solidity/compile.js    # rewrites tests/solidity/out/*.json
//! ```
//!
//! # Known deviations from Nitro
//!
//! The VM's own (ink rounding, `call_indirect` and bulk-memory prices, data fee, `console`)
//! are listed in [`tidepool_stylus_vm`]. Here:
//!
//! - "Cached" means marked through ArbWasmCache (which any caller may do: there is no chain
//!   owner) or the CacheManager at `0x…ca00` (a bid of any value, 0 included, caches an
//!   activated program; no eviction, decay or pausing: see `evm::cachemanager`), or already
//!   entered in this transaction, not Nitro's per-block LRU of 32 programs.
//! - Activation charges no data fee (`dataFee` is 0; any value sent is refunded), programs
//!   never expire, and `codehashKeepalive` always answers `ProgramKeepaliveTooSoon`.
//!   Only the empty brotli dictionary (`EF F0 00 00`) is accepted.
//! - Receipts carry Nitro's `gasUsedForL1` (always 0: no L1, no L1 data fee) and
//!   `l1BlockNumber` (the block's own number, which is also what `block.number` returns in
//!   it here; on Arbitrum both are the L1 block number). Blocks do not carry Nitro's
//!   `l1BlockNumber`, `sendRoot` or `sendCount`.
//! - The EIP-7623 calldata floor is off unless `--calldata-floor` (or
//!   `ChainConfig::calldata_floor`) turns it on, as Nitro leaves it to the chain owner.
//! - Block headers carry no real `stateRoot`. `eth_getProof` hashes the state of the asked
//!   block into a Merkle-Patricia trie on request; its proofs verify against
//!   `Chain::state_root` of that block, not against the header.
//! - `debug_traceTransaction` serves geth's `callTracer` only (with `onlyTopCall` and
//!   `withLog`), not the struct logger or other tracers. Stylus frames are CALL frames; what
//!   happens inside a program (host I/Os) is not traced, nor are SELFDESTRUCTs in EVM code a
//!   program calls (that nested EVM reports frame starts and ends only).
//! - `cast run` replays in Foundry's own EVM from the parent block's state (it never asks
//!   the node for a trace): EVM transactions replay exactly, but one that enters a Stylus
//!   program stops there with `OpcodeNotFound` (Foundry's EVM does not run Stylus code).
//!   `debug_traceTransaction` gives such transactions' call trees.
//! - `eth_createAccessList` lists what the call loaded in the journal, so storage a Stylus
//!   program touches through its host I/Os is in it; the node's own activation records
//!   (ArbWasm, ArbWasmCache storage) are not.
//! - Contract-creation frames are not counted for `msg_reentrant` (Nitro counts them). No
//!   answer can differ: until its construction ends the new address has no code, so only
//!   delegated frames, which never count, can act for it.
#![warn(missing_docs)]

pub mod chain;
pub mod evm;
pub mod node;
pub mod rpc;

/// The precompiles tools call by address.
pub use evm::{arbwasm, arbwasmcache};
/// The Stylus VM's ink prices and limits.
pub use tidepool_stylus_vm::ink;
/// Stylus programs: compression, activation checks, compiled-module cache.
pub use tidepool_stylus_vm::program;
