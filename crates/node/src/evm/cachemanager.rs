//! A CacheManager: Arbitrum's auction for places in the program cache, the way
//! `cargo stylus cache bid|status|suggest-bid` use it (found through
//! `ArbWasmCache.allCacheManagers()`).
//!
//! A bid caches an activated program (through the same flag ArbWasmCache keeps) and takes its
//! compiled size out of the cache's capacity. The cache here is large (1 GiB) and never fills
//! on a dev chain, so the minimum bid is 0 and eviction of lower bids, decay and pausing by a
//! chain owner are not modelled: a program that would not fit is refused with `AsmTooLarge`
//! instead of outbidding others. The bids' value stays with the manager's account.

use alloy_sol_types::{sol, SolCall, SolError, SolInterface};
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{Address, Bytes, B256, U256},
};
use tidepool_stylus_vm::ink;

use super::{arbwasm, arbwasmcache, context::Ctx};

/// Address of the CacheManager, as ArbWasmCache lists it.
pub const ADDRESS: Address = arbwasmcache::CACHE_MANAGER;

/// Bytes of compiled programs the cache holds.
pub const CACHE_SIZE: u64 = 1 << 30;

/// Gas of a bid that caches a program (two storage writes and a log, as ArbWasmCache's own).
const BID_GAS: u64 = 2 * arbwasmcache::UPDATE_GAS;

sol! {
    /// The part of Arbitrum's `CacheManager` that cargo-stylus calls.
    #[sol(all_derives)]
    interface ICacheManager {
        function cacheSize() external view returns (uint64);
        function queueSize() external view returns (uint64);
        function isPaused() external view returns (bool);
        function placeBid(address program) external payable;
        function getMinBid(address program) external view returns (uint192 min);
        function getMinBid(uint64 size) external view returns (uint192 min);

        error AsmTooLarge(uint256 asm, uint256 queueSize, uint256 cacheSize);
        error AlreadyCached(bytes32 codehash);
        error BidTooSmall(uint192 bid, uint192 min);
        error BidsArePaused();
        error ProgramNotActivated();
    }
}

use ICacheManager::ICacheManagerCalls as Calls;

/// Return data or revert data of one call.
type Answer = Result<Vec<u8>, Vec<u8>>;

/// Slot (in the manager's account) of the bytes the cached programs take.
const QUEUE_SIZE_SLOT: U256 = U256::ZERO;

fn queue_size(ctx: &mut Ctx) -> Result<u64, String> {
    let journal = ctx.journal_mut();
    journal.load_account(ADDRESS).map_err(|e| e.to_string())?;
    let word = journal.sload(ADDRESS, QUEUE_SIZE_SLOT).map_err(|e| e.to_string())?.data;
    Ok(word.saturating_to())
}

/// What a program's place costs: 0 while it fits, else the refusal.
fn min_bid(ctx: &mut Ctx, asm: u64) -> Result<Result<u64, Vec<u8>>, String> {
    let queue = queue_size(ctx)?;
    Ok(if queue.saturating_add(asm) > CACHE_SIZE {
        Err(ICacheManager::AsmTooLarge {
            asm: U256::from(asm),
            queueSize: U256::from(queue),
            cacheSize: U256::from(CACHE_SIZE),
        }
        .abi_encode())
    } else {
        Ok(0)
    })
}

/// The compiled size of `program`'s activation, or the revert data if it has none.
fn asm_of(ctx: &mut Ctx, program: Address) -> Result<Result<(u64, B256), Vec<u8>>, String> {
    let code_hash = {
        let acc = ctx.journal_mut().load_account_with_code(program).map_err(|e| e.to_string())?;
        acc.data.info.code_hash
    };
    Ok(match arbwasm::activation(ctx, code_hash)? {
        Some(info) if info.version == ink::STYLUS_VERSION => {
            Ok((u64::from(arbwasm::asm_size(&info)), code_hash))
        }
        _ => Err(ICacheManager::ProgramNotActivated {}.abi_encode()),
    })
}

/// Handles one call to the CacheManager.
pub(crate) fn run(ctx: &mut Ctx, inputs: &CallInputs) -> Result<InterpreterResult, String> {
    let input = inputs.input.bytes(ctx);
    let paid = !inputs.value.get().is_zero();
    let (result, cost) = match Calls::abi_decode(&input) {
        Ok(Calls::placeBid(c)) => place_bid(ctx, inputs, c.program)?,
        // Views take no value.
        Ok(_) if paid => (Err(Vec::new()), arbwasm::VIEW_GAS),
        Ok(call) => (view(ctx, call)?, arbwasm::VIEW_GAS),
        Err(_) => (Err(Vec::new()), arbwasm::VIEW_GAS),
    };
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(cost) {
        gas.spend_all();
        return Ok(InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas));
    }
    Ok(match result {
        Ok(data) => InterpreterResult::new(InstructionResult::Return, data.into(), gas),
        Err(data) => InterpreterResult::new(InstructionResult::Revert, data.into(), gas),
    })
}

fn view(ctx: &mut Ctx, call: Calls) -> Result<Answer, String> {
    use ICacheManager::*;
    let min = |bid: Result<u64, Vec<u8>>| {
        bid.map(|m| getMinBid_1Call::abi_encode_returns(&alloy_primitives::aliases::U192::from(m)))
    };
    Ok(match call {
        Calls::cacheSize(_) => Ok(cacheSizeCall::abi_encode_returns(&CACHE_SIZE)),
        Calls::queueSize(_) => Ok(queueSizeCall::abi_encode_returns(&queue_size(ctx)?)),
        Calls::isPaused(_) => Ok(isPausedCall::abi_encode_returns(&false)),
        Calls::getMinBid_0(c) => match asm_of(ctx, c.program)? {
            Ok((asm, _)) => min(min_bid(ctx, asm)?),
            Err(data) => Err(data),
        },
        Calls::getMinBid_1(c) => min(min_bid(ctx, c.size)?),
        Calls::placeBid(_) => Err(Vec::new()),
    })
}

fn place_bid(
    ctx: &mut Ctx,
    inputs: &CallInputs,
    program: Address,
) -> Result<(Answer, u64), String> {
    let refuse = |data: Vec<u8>| Ok((Err(data), arbwasm::VIEW_GAS));
    if inputs.is_static {
        return refuse(Vec::new());
    }
    let (asm, code_hash) = match asm_of(ctx, program)? {
        Ok(found) => found,
        Err(data) => return refuse(data),
    };
    if arbwasmcache::is_cached(ctx, code_hash)? {
        return refuse(ICacheManager::AlreadyCached { codehash: code_hash }.abi_encode());
    }
    if let Err(data) = min_bid(ctx, asm)? {
        return refuse(data);
    }
    let queue = queue_size(ctx)?;
    ctx.journal_mut()
        .sstore(ADDRESS, QUEUE_SIZE_SLOT, U256::from(queue + asm))
        .map_err(|e| e.to_string())?;
    arbwasmcache::set_cached_flag(ctx, ADDRESS, code_hash, true)?;
    Ok((Ok(Vec::new()), BID_GAS))
}
