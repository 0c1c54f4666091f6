//! The `ArbWasmCache` precompile at `0x…72`: marking activated programs as cached.
//!
//! On Nitro a cached program (placed there by the CacheManager auction or the chain owner)
//! pays the lower cached entry price on every call, not only on a repeat call within a
//! transaction. Benchmarks need both prices, so the node keeps the flag per code hash and
//! the entry cost in [`super::stylus`] reads it.
//!
//! The node's CacheManager (`cachemanager`) is the one listed by `allCacheManagers`, so
//! `cargo stylus cache bid` works. Deviation: a dev chain has no chain owner, so any caller
//! may also cache or evict here directly (benchmarks do); `isCacheManager` answers true for
//! every address.

use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{address, keccak256, Address, Bytes, Log, B256, U256},
};

use tidepool_stylus_vm::ink;

use super::{
    arbwasm::{self, IArbWasm},
    context::Ctx,
};

/// Address of the ArbWasmCache precompile.
pub const ADDRESS: Address = address!("0000000000000000000000000000000000000072");

/// Address of the node's CacheManager (`super::cachemanager`), the one manager listed.
pub const CACHE_MANAGER: Address = address!("000000000000000000000000000000000000ca00");

/// Gas for a view.
pub const VIEW_GAS: u64 = arbwasm::VIEW_GAS;
/// Gas for changing a program's cached flag (one storage write).
pub const UPDATE_GAS: u64 = 20_000;

sol! {
    /// The subset of Nitro's `ArbWasmCache` interface this node implements.
    #[sol(all_derives)]
    interface IArbWasmCache {
        function isCacheManager(address manager) external view returns (bool);
        function allCacheManagers() external view returns (address[] memory managers);
        function cacheProgram(address addr) external;
        function evictCodehash(bytes32 codehash) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);

        event UpdateProgramCache(address indexed manager, bytes32 indexed codehash, bool cached);
    }
}

use IArbWasmCache::IArbWasmCacheCalls as Calls;

/// Storage slot (in the ArbWasmCache account) holding whether `code_hash` is cached.
pub fn cached_slot(code_hash: B256) -> U256 {
    let mut buf = [0u8; 47];
    buf[..32].copy_from_slice(code_hash.as_slice());
    buf[32..].copy_from_slice(b"tidepool.cached");
    U256::from_be_bytes(keccak256(buf).0)
}

/// Whether `code_hash` is marked cached.
pub(crate) fn is_cached(ctx: &mut Ctx, code_hash: B256) -> Result<bool, String> {
    let journal = ctx.journal_mut();
    journal.load_account(ADDRESS).map_err(|e| e.to_string())?;
    let word = journal.sload(ADDRESS, cached_slot(code_hash)).map_err(|e| e.to_string())?.data;
    Ok(!word.is_zero())
}

/// Handles one call to ArbWasmCache.
pub(crate) fn run(ctx: &mut Ctx, inputs: &CallInputs) -> Result<InterpreterResult, String> {
    let input = inputs.input.bytes(ctx);
    let (ok, data, cost) = if !inputs.value.get().is_zero() {
        (false, Vec::new(), VIEW_GAS)
    } else {
        match Calls::abi_decode(&input) {
            Ok(call) => dispatch(ctx, inputs, call)?,
            Err(_) => (false, Vec::new(), VIEW_GAS),
        }
    };
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(cost) {
        gas.spend_all();
        return Ok(InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas));
    }
    let result = if ok { InstructionResult::Return } else { InstructionResult::Revert };
    Ok(InterpreterResult::new(result, data.into(), gas))
}

fn dispatch(
    ctx: &mut Ctx,
    inputs: &CallInputs,
    call: Calls,
) -> Result<(bool, Vec<u8>, u64), String> {
    use IArbWasmCache::*;
    Ok(match call {
        Calls::isCacheManager(_) => (true, isCacheManagerCall::abi_encode_returns(&true), VIEW_GAS),
        Calls::allCacheManagers(_) => {
            let managers = vec![CACHE_MANAGER];
            (true, allCacheManagersCall::abi_encode_returns(&managers), VIEW_GAS)
        }
        Calls::codehashIsCached(c) => {
            let cached = is_cached(ctx, c.codehash)?;
            (true, codehashIsCachedCall::abi_encode_returns(&cached), VIEW_GAS)
        }
        Calls::cacheProgram(c) => {
            let code_hash = {
                let acc =
                    ctx.journal_mut().load_account_with_code(c.addr).map_err(|e| e.to_string())?;
                acc.data.info.code_hash
            };
            // Only current activations can be cached, as on Nitro.
            match arbwasm::activation(ctx, code_hash)? {
                Some(info) if info.version == ink::STYLUS_VERSION => {
                    set_cached(ctx, inputs, code_hash, true)?
                }
                Some(info) => (
                    false,
                    IArbWasm::ProgramNeedsUpgrade {
                        version: info.version,
                        stylusVersion: ink::STYLUS_VERSION,
                    }
                    .abi_encode(),
                    VIEW_GAS,
                ),
                None => (false, IArbWasm::ProgramNotActivated {}.abi_encode(), VIEW_GAS),
            }
        }
        Calls::evictCodehash(c) => set_cached(ctx, inputs, c.codehash, false)?,
    })
}

fn set_cached(
    ctx: &mut Ctx,
    inputs: &CallInputs,
    code_hash: B256,
    cached: bool,
) -> Result<(bool, Vec<u8>, u64), String> {
    if inputs.is_static {
        return Ok((false, Vec::new(), VIEW_GAS));
    }
    if is_cached(ctx, code_hash)? == cached {
        return Ok((true, Vec::new(), VIEW_GAS));
    }
    set_cached_flag(ctx, inputs.caller, code_hash, cached)?;
    Ok((true, Vec::new(), UPDATE_GAS))
}

/// Sets `code_hash`'s cached flag for `manager` and logs `UpdateProgramCache`.
pub(crate) fn set_cached_flag(
    ctx: &mut Ctx,
    manager: Address,
    code_hash: B256,
    cached: bool,
) -> Result<(), String> {
    let journal = ctx.journal_mut();
    journal.load_account(ADDRESS).map_err(|e| e.to_string())?;
    journal
        .sstore(ADDRESS, cached_slot(code_hash), U256::from(u8::from(cached)))
        .map_err(|e| e.to_string())?;
    let event = IArbWasmCache::UpdateProgramCache { manager, codehash: code_hash, cached };
    journal.log(Log { address: ADDRESS, data: event.encode_log_data() });
    Ok(())
}
