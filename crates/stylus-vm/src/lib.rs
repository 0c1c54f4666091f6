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
//! 1 gas = 10,000 ink. Opcode prices are the public table (Arbitrum docs, "Gas and ink
//! costs"), charged per basic block by wasmi's fuel metering with 1 fuel = 25 ink:
//!
//! | opcodes | ink (published) | charged |
//! |---|---|---|
//! | unreachable, nop, block, loop, else, end, return, i32/i64.const | 1 | 0 |
//! | if, br, br_if | 765 | 775 |
//! | br_table | 2,400 + 325·n | 2,400 |
//! | call | 3,800 | 3,800 |
//! | call_indirect | 13,610 + 650·n | 6,375 (wasmi's cap of 255 fuel) |
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
//! | memory.copy, memory.fill | 950 + 100·bytes | 950 + wasmi's per-byte copy fuel (25 per byte) |
//! | floats | unbounded (Nitro) | rejected at activation; 6,375 if ever run |
//!
//! Host I/Os: every call 8,400 ink; +5,040 per pointer written (e.g. `msg_sender` 13,440);
//! `read_args` 8,400 + 5,040 per byte after 32; `write_result` 8,400 + 16,381 per byte after
//! 32; `native_keccak256` 121,800 + 21,000 per word. EVM work a host I/O does is charged in
//! gas at EVM prices: `storage_load_bytes32` 2,100 cold / 100 warm (cache hits free);
//! flushing the storage cache charges EIP-2200/2929/3529 SSTORE costs and refunds per dirty
//! slot, with the 2,300-gas sentry; transient storage 100; account I/Os EIP-2929 access
//! costs (+3 per word copied); logs 375 + 375·topics + 8·bytes; calls access cost + 9,000
//! with value (+25,000 to a new account), the callee gets at most 63/64 of what is left (plus
//! the 2,300 stipend with value) and returns what it leaves; creates 32,000 + 2/word
//! (+6/word for `create2`).
//!
//! Entry: uncached 72 × 128 gas, cached (marked through ArbWasmCache at `0x72`, or already
//! run in this transaction) 11 × 32 gas (ArbWasm's `minInitGas`), plus `initCostScalar` (50%) of a per-program init
//! cost. Memory: the first 2 pages of a transaction are free, each further open page costs
//! `pageGas` (1,000) and a new high-water mark adds a ramp doubling every 16 pages; at most
//! 128 pages across all open programs. Activation costs 1,100,000 + 10 gas per wasm byte.
//!
//! # Known deviations from Nitro (in the VM)
//!
//! - Opcode prices are rounded to multiples of 25 ink (table above); `br_table` and
//!   `call_indirect` do not add their per-entry/per-argument parts; per-byte bulk-memory
//!   cost is 25 ink instead of 100.
//! - A program's own init cost is estimated from its wasm size (1 gas per 64 bytes), not
//!   from compiled machine code. The memory ramp is not Nitro's fixed-point `pageRamp`
//!   curve (the value is reported unchanged by `pageRamp()`).
//! - `math_div`/`math_mod`/`math_pow`/`math_add_mod`/`math_mul_mod` are priced at the EVM
//!   opcodes doing the same work (5, 5, 10 + 50/byte, 8, 8 gas), not Nitro's own figures.
//! - A trap (including a bad pointer or a write in a static context) halts the frame with
//!   all its gas consumed ([`Outcome::Trap`]); running out of ink is [`Outcome::OutOfGas`].
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
