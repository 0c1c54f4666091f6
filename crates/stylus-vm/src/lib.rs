//! tidepool-stylus-vm: the Stylus VM of the local node. Programs (code starting `EF F0 00`)
//! are decompressed, checked against Nitro's activation rules and compiled once with
//! [wasmi]; each call runs `user_entrypoint` metered in ink, behind the `vm_hooks` host
//! interface.
//!
//! The VM knows nothing of any EVM: whatever a program reads or writes outside its own
//! memory (storage, accounts, logs, calls and creates, block facts) goes through the
//! [`Host`] trait, which the node implements over revm's journal. The VM prices and checks
//! every host I/O itself (ink, EVM-priced gas, static-call rules, the 63/64 rule), so the
//! host only moves state.
//!
//! # Host I/Os
//!
//! [`hostio::HOSTIOS`] lists the 42 `vm_hooks` imports with their wasm signatures, plus the
//! `console` debug imports. 42 is Nitro's full set, not 43: checked against Nitro's sources
//! (commit `6dce8d13`, April 2026), where the native linker (`crates/stylus/src/native.rs`)
//! defines exactly 42 functions in the `vm_hooks` namespace and the WAVM user host
//! (`crates/wasm-libraries/user-host/src/host.rs`) exports exactly 42 `user_host__*`
//! functions; that file's 43rd function, `set_trap`, is an import from its own `forward`
//! module, not a host I/O. No earlier version of the linker defined more than 42 (older
//! names such as `storage_store_bytes32`, `memory_grow` or `block_chainid` were replaced, not
//! added to). stylus-sdk 0.10.10's `hostio.rs` declares 34 of the 42: it does not use
//! `exit_early`, the transient-storage or the `math_*` imports.
//!
//! # Ink pricing used
//!
//! Checked against Nitro's sources (commit `6dce8d13`, April 2026: `arbutil/src/pricing.rs`,
//! `prover/src/programs/meter.rs` and `binary.rs`, `wasm-libraries/user-host-trait`,
//! `arbos/programs/{programs,memory,api}.go`, and geth's `operations_acl_arbitrum.go`).
//!
//! 1 gas = 10,000 ink. Opcode prices are Nitro's `pricing_v1`, charged per basic block by
//! wasmi's fuel metering with 1 fuel = 25 ink. Nitro also charges every basic block a
//! 2,450-ink header; each block ends at exactly one of `loop`, `else`, `end`, `return`, `if`,
//! `br`, `br_if`, `br_table`, `call`, `call_indirect`, so their prices below include it:
//!
//! | opcodes | ink (Nitro) | charged |
//! |---|---|---|
//! | unreachable, nop, block, i32/i64.const | 1 | 0 |
//! | loop, else, end, return | 1 + 2,450 | 2,450 |
//! | if, br, br_if | 765 + 2,450 | 3,225 |
//! | br_table | 2,400 + 325·n + 2,450 | 4,850 |
//! | call | 3,800 + 2,450 | 6,250 |
//! | call_indirect | 13,610 + 650·n + 2,450 | 6,375 (wasmi's cap of 255 fuel) |
//! | drop / select | 9 / 1,250 | 0 / 1,250 |
//! | local.get, local.tee / local.set | 75 / 210 | 75 / 200 |
//! | global.get / global.set | 225 / 575 | 225 / 575 |
//! | i32 loads / i64 loads | 670 / 680 | 675 / 675 |
//! | i32 stores / i64 stores | 825 / 950 | 825 / 950 |
//! | memory.size / memory.grow | 3,000 / 8,050 | 3,000 / 6,375 (cap) |
//! | i32 compares / i64 compares | 170 / 225 | 175 / 225 |
//! | i32.clz, ctz / popcnt | 210 / 2,650 | 200 / 2,650 |
//! | i32 add, sub, and, or, xor, shifts, rotates | 70 | 75 |
//! | i32.mul / div, rem | 160 / 1,120 | 150 / 1,125 |
//! | i64.clz, ctz / popcnt | 210 / 6,000 | 200 / 6,000 |
//! | i64 add, sub, and, or, xor, shifts, rotates | 100 | 100 |
//! | i64.mul / div, rem | 160 / 1,270 | 150 / 1,275 |
//! | wrap, extend, sign-extend | 100 | 100 |
//! | memory.copy, memory.fill | 950 + 100·bytes | 950 + 25 per 64 bytes (wasmi's copy fuel) |
//! | floats | unbounded (Nitro) | rejected at activation; 6,375 if ever run |
//!
//! Host I/Os ([`ink`] holds each price once): a base of 8,400 ink, +5,040 per pointer,
//! +59,673 (`EVM_API_INK`, about 6 gas) for those that ask the EVM side (storage flush,
//! transient storage, calls, creates, return data, logs, account reads). Copies are priced by
//! length: into the program 5,040 + 30 per byte after 32 (`read_args`, `read_return_data`,
//! `account_code`), out of it 16,381 + 55 per byte after 32 (`emit_log`; twice for
//! `write_result`, call data and create code, which the EVM side reads again);
//! `native_keccak256` 121,800 + 21,000 per word after the second; `math_*` their own prices;
//! `exit_early` and a page-growing `pay_for_memory_grow` have none. EVM work is charged in
//! gas at EVM prices: storage reads through the program's cache (free for the first 32, then
//! 2 and 10 gas; a miss adds 2,100 cold / 100 warm + 5); cache writes (free for the first 8,
//! then 7 and 10 gas); a flush stores only slots whose value changed, at EIP-2200/2929/3529
//! prices and refunds, after requiring the 2,300-gas sentry; account reads 2,600 cold / 100
//! warm (+700 when they read code); logs 375 + 375·topics + 8·bytes; calls 100 / 2,600 +
//! 9,000 with value (+25,000 to an empty account), the callee gets at most 63/64 of what is
//! left after that (plus the 2,300 stipend with value, which the caller pays for as far as it
//! is used); creates 32,000 (+6 per word hashed for `create2`) and 63/64 of what is left.
//!
//! Entry, as Nitro for Stylus version 2 ([`ink::entry_gas`]): every call pays
//! `352 + cached_init_cost`; an uncached one adds `8,832 + init_cost`. Both costs are computed
//! at activation from the module's functions, types, length, globals, data and pages with
//! Nitro's coefficients (`tidepool_activation::costs`) and stored with the program. A program
//! counts as cached when marked through ArbWasmCache at `0x72`, or once already run in this
//! transaction (Nitro keeps the last 32 programs of a block; with one transaction per block
//! the two agree). Memory: Nitro's model, free while the transaction's high-water mark stays
//! within 2 pages, then `pageGas` (1,000) per newly opened page plus the difference of its
//! exponential table at each new high-water mark; at most 128 pages. Returned data costs at
//! least its EVM memory expansion. Activation costs 1,100,000 + 10 gas per wasm byte.
//!
//! # Outcomes
//!
//! As Nitro's: returning or `exit_early` ends the call with its status; running out of ink
//! (or of gas for returned data) and overflowing the stack consume all the call's gas (the
//! EVM's out-of-gas and depth errors); any other trap (a panic's `unreachable`, a bad
//! pointer, a write in a static call, a malformed log) is a *failure*: the call reverts with
//! empty data and returns its unused gas ([`Outcome::Failure`]).
//!
//! # Known deviations from Nitro (in the VM)
//!
//! - Opcode prices are rounded to multiples of 25 ink (table above); `br_table` and
//!   `call_indirect` do not add their per-entry/per-parameter parts and `call_indirect` is
//!   capped at 6,375 ink (wasmi stores each operator's price in a byte); bulk-memory copies
//!   cost wasmi's 25 ink per 64 bytes instead of 100 per byte (one wasmi setting also prices
//!   `memory.grow`, which Nitro does not charge per byte).
//! - wasmi charges a block's fuel where its own blocks begin, not exactly at Nitro's
//!   basic-block boundaries, so a trap in the middle of a block can leave a slightly different
//!   amount of gas; completed calls pay the same sum.
//! - The activation data fee is 0 (Nitro's data pricer is not modelled), and activation gas
//!   is a flat 1,100,000 + 10 per byte rather than Nitro's measured compile cost.
//! - The recent-programs cache is per transaction, not Nitro's 32-entry LRU per block.
//! - The `console` imports `log_txt`, `log_i32` and `log_i64` are available (free, printed to
//!   stderr) without a debug mode; Nitro's debug-only `tee_*` and `debug` imports are not
//!   (and float ones could not activate here).
#![warn(missing_docs)]

pub mod activation;
mod exec;
mod host;
pub mod hostio;
pub mod ink;
pub mod program;

pub use exec::{execute, Entry, FrameGas, Outcome};
pub use host::{
    CallRequest, CallScheme, CreateRequest, Env, FrameOutcome, Host, HostError, HostResult,
    Message, Pages, StorageWrite,
};
