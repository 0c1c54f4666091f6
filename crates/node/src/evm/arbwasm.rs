//! The `ArbWasm` precompile at `0x…71`: program activation and the views deploy tools call,
//! and the activation records it keeps in its own account's storage (so snapshots, reverts
//! and state dumps carry them).

use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use revm::{
    context_interface::{Block, ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{keccak256, Address, Bytes, Log, B256, U256},
};
use tidepool_stylus_vm::{
    ink,
    program::{self, fragments, ActivationInfo, ProgramCache, ProgramError},
};

use super::context::Ctx;

/// Address of the ArbWasm precompile.
pub const ADDRESS: Address = tidepool_interfaces::ARB_WASM;

/// Gas for any ArbWasm view.
pub const VIEW_GAS: u64 = 800;
/// Fixed part of activation gas.
pub const ACTIVATION_BASE_GAS: u64 = 1_100_000;
/// Activation gas per byte of decompressed wasm.
pub const ACTIVATION_BYTE_GAS: u64 = 10;

sol! {
    /// Solidity's `Error(string)`, for activation failures that carry a validator message.
    error Error(string message);
}

pub use tidepool_interfaces::IArbWasm;
use IArbWasm::IArbWasmCalls as Calls;

/// Storage slot (in the ArbWasm account) holding the activation record of `code_hash`.
pub fn record_slot(code_hash: B256) -> U256 {
    let mut buf = [0u8; 48];
    buf[..32].copy_from_slice(code_hash.as_slice());
    buf[32..].copy_from_slice(b"tidepool.program");
    U256::from_be_bytes(keccak256(buf).0)
}

/// Storage slot (in the ArbWasm account) holding the module hash of `code_hash`.
pub fn module_hash_slot(code_hash: B256) -> U256 {
    let mut buf = [0u8; 48];
    buf[..32].copy_from_slice(code_hash.as_slice());
    buf[32..].copy_from_slice(b"tidepool.modhash");
    U256::from_be_bytes(keccak256(buf).0)
}

/// Reads the activation record of `code_hash` from the ArbWasm account.
pub(crate) fn activation(ctx: &mut Ctx, code_hash: B256) -> Result<Option<ActivationInfo>, String> {
    let journal = ctx.journal_mut();
    journal.load_account(ADDRESS).map_err(|e| e.to_string())?;
    let word = journal.sload(ADDRESS, record_slot(code_hash)).map_err(|e| e.to_string())?.data;
    Ok(ActivationInfo::decode(word))
}

/// The wasm of deployed program `code`: a whole program's, or a root's assembled from its
/// fragments. Activation passes `budget`, the gas it may spend reading fragments (Nitro
/// charges each like `EXTCODECOPY` of the whole fragment: cold or warm access plus 3 per
/// word, warming it); running a program whose module is not compiled yet reads them without
/// a charge. The outer error is the node's own failure, the inner one the program's.
pub(crate) fn program_wasm(
    ctx: &mut Ctx,
    code: &[u8],
    budget: Option<&mut u64>,
) -> Result<Result<Vec<u8>, ProgramError>, String> {
    if !fragments::is_root(code) {
        return Ok(program::decompress_program(code));
    }
    let root = match fragments::Root::parse(code) {
        Ok(root) => root,
        Err(e) => return Ok(Err(ProgramError::Invalid(e.to_string()))),
    };
    if root.fragments.len() > usize::from(fragments::MAX_FRAGMENTS) {
        return Ok(Err(ProgramError::Invalid(format!(
            "{} fragments, more than {}",
            root.fragments.len(),
            fragments::MAX_FRAGMENTS
        ))));
    }
    let mut codes = Vec::with_capacity(root.fragments.len());
    let mut budget = budget;
    for address in &root.fragments {
        let address = Address::from(*address);
        let code = match budget.as_deref_mut() {
            Some(left) => {
                let acc =
                    ctx.journal_mut().load_account_with_code(address).map_err(|e| e.to_string())?;
                let access = if acc.is_cold { 2_600 } else { 100 };
                let code = acc.data.info.code.as_ref().map(|c| c.original_bytes());
                let code = code.unwrap_or_default();
                let cost = access + 3 * (code.len() as u64).div_ceil(32);
                if cost > *left {
                    return Ok(Err(ProgramError::Invalid("out of gas reading fragments".into())));
                }
                *left -= cost;
                code
            }
            None => {
                use revm::Database;
                let db = ctx.db_mut();
                let info = db.basic(address).map_err(|e| e.to_string())?.unwrap_or_default();
                match info.code {
                    Some(code) => code.original_bytes(),
                    None => {
                        db.code_by_hash(info.code_hash).map_err(|e| e.to_string())?.original_bytes()
                    }
                }
            }
        };
        codes.push(code);
    }
    let codes: Vec<&[u8]> = codes.iter().map(|c| c.as_ref()).collect();
    Ok(root.assemble(&codes).map_err(|e| ProgramError::Invalid(e.to_string())))
}

struct Out {
    ok: bool,
    data: Vec<u8>,
    gas: u64,
}

fn ok(data: Vec<u8>) -> Result<Out, String> {
    Ok(Out { ok: true, data, gas: VIEW_GAS })
}

fn fail(data: Vec<u8>) -> Result<Out, String> {
    Ok(Out { ok: false, data, gas: VIEW_GAS })
}

fn code_hash_of(ctx: &mut Ctx, program: Address) -> Result<(B256, Bytes), String> {
    let acc = ctx.journal_mut().load_account_with_code(program).map_err(|e| e.to_string())?;
    let code = acc.data.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
    Ok((acc.data.info.code_hash, code))
}

/// The activation of `program`'s code, or the revert data explaining why there is none.
fn active(ctx: &mut Ctx, code_hash: B256) -> Result<Result<ActivationInfo, Vec<u8>>, String> {
    Ok(match activation(ctx, code_hash)? {
        Some(info) if info.version == ink::STYLUS_VERSION => Ok(info),
        Some(info) => Err(IArbWasm::ProgramNeedsUpgrade {
            version: info.version,
            stylusVersion: ink::STYLUS_VERSION,
        }
        .abi_encode()),
        None => Err(IArbWasm::ProgramNotActivated {}.abi_encode()),
    })
}

/// The activation of the code `program` holds, as [`active`] gives it for a code hash.
fn active_program(
    ctx: &mut Ctx,
    program: Address,
) -> Result<Result<ActivationInfo, Vec<u8>>, String> {
    let (hash, _) = code_hash_of(ctx, program)?;
    active(ctx, hash)
}

/// A view of one activation: its encoded value, or the revert data saying why there is none.
fn answer(view: Result<Vec<u8>, Vec<u8>>) -> Result<Out, String> {
    match view {
        Ok(data) => ok(data),
        Err(data) => fail(data),
    }
}

fn time_left(ctx: &Ctx, info: &ActivationInfo) -> u64 {
    let now: u64 = ctx.block().timestamp().saturating_to();
    let lifetime = u64::from(ink::EXPIRY_DAYS) * 86_400;
    (info.activated_at + lifetime).saturating_sub(now)
}

/// Handles one call to ArbWasm.
pub(crate) fn run(
    programs: &ProgramCache,
    ctx: &mut Ctx,
    inputs: &CallInputs,
) -> Result<InterpreterResult, String> {
    let input = inputs.input.bytes(ctx);
    let out = match Calls::abi_decode(&input) {
        Ok(call) => dispatch(programs, ctx, inputs, call)?,
        // Unknown selectors revert with no data, as a Solidity contract without fallback does.
        Err(_) => fail(Vec::new())?,
    };
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(out.gas) {
        gas.spend_all();
        return Ok(InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas));
    }
    let result = if out.ok { InstructionResult::Return } else { InstructionResult::Revert };
    Ok(InterpreterResult::new(result, out.data.into(), gas))
}

fn dispatch(
    programs: &ProgramCache,
    ctx: &mut Ctx,
    inputs: &CallInputs,
    call: Calls,
) -> Result<Out, String> {
    use IArbWasm::*;
    let value = inputs.value.get();
    let payable = matches!(call, Calls::activateProgram(_) | Calls::codehashKeepalive(_));
    if !payable && !value.is_zero() {
        return fail(Vec::new());
    }
    match call {
        Calls::activateProgram(c) => activate(programs, ctx, inputs, c.program),
        Calls::stylusVersion(_) => ok(stylusVersionCall::abi_encode_returns(&ink::STYLUS_VERSION)),
        Calls::inkPrice(_) => ok(inkPriceCall::abi_encode_returns(&(ink::INK_PER_GAS as u32))),
        Calls::maxStackDepth(_) => ok(maxStackDepthCall::abi_encode_returns(&ink::MAX_STACK_DEPTH)),
        Calls::freePages(_) => ok(freePagesCall::abi_encode_returns(&ink::FREE_PAGES)),
        Calls::pageGas(_) => ok(pageGasCall::abi_encode_returns(&ink::PAGE_GAS)),
        Calls::pageRamp(_) => ok(pageRampCall::abi_encode_returns(&ink::PAGE_RAMP)),
        Calls::pageLimit(_) => ok(pageLimitCall::abi_encode_returns(&ink::PAGE_LIMIT)),
        // Nitro reports the minimums in gas and the scalar in percent, not in its units.
        Calls::minInitGas(_) => ok(minInitGasCall::abi_encode_returns(&minInitGasReturn {
            gas: ink::MIN_INIT_GAS * ink::MIN_INIT_GAS_UNIT,
            cached: ink::MIN_CACHED_INIT_GAS * ink::MIN_CACHED_GAS_UNIT,
        })),
        Calls::initCostScalar(_) => ok(initCostScalarCall::abi_encode_returns(
            &(ink::INIT_COST_SCALAR * ink::COST_SCALAR_PERCENT),
        )),
        Calls::expiryDays(_) => ok(expiryDaysCall::abi_encode_returns(&ink::EXPIRY_DAYS)),
        Calls::keepaliveDays(_) => ok(keepaliveDaysCall::abi_encode_returns(&ink::KEEPALIVE_DAYS)),
        Calls::blockCacheSize(_) => {
            ok(blockCacheSizeCall::abi_encode_returns(&ink::BLOCK_CACHE_SIZE))
        }
        Calls::codehashVersion(c) => answer(
            active(ctx, c.codehash)?.map(|i| codehashVersionCall::abi_encode_returns(&i.version)),
        ),
        Calls::codehashAsmSize(c) => answer(
            active(ctx, c.codehash)?
                .map(|i| codehashAsmSizeCall::abi_encode_returns(&asm_size(&i))),
        ),
        // Programs never expire here within a dev chain's life, so keepalive is always "too
        // soon", as on Nitro for a recently activated program.
        Calls::codehashKeepalive(c) => fail(match active(ctx, c.codehash)? {
            Ok(_) => ProgramKeepaliveTooSoon { ageInSeconds: 0 }.abi_encode(),
            Err(data) => data,
        }),
        Calls::programVersion(c) => answer(
            active_program(ctx, c.program)?
                .map(|i| programVersionCall::abi_encode_returns(&i.version)),
        ),
        // As Nitro for Stylus version 2: `gas` is a whole uncached entry (both parts).
        Calls::programInitGas(c) => answer(active_program(ctx, c.program)?.map(|info| {
            programInitGasCall::abi_encode_returns(&programInitGasReturn {
                gas: ink::entry_gas(info.init_cost, info.cached_init_cost, false),
                gasWhenCached: ink::entry_gas(info.init_cost, info.cached_init_cost, true),
            })
        })),
        Calls::programMemoryFootprint(c) => answer(
            active_program(ctx, c.program)?
                .map(|i| programMemoryFootprintCall::abi_encode_returns(&i.footprint)),
        ),
        Calls::programTimeLeft(c) => answer(
            active_program(ctx, c.program)?
                .map(|i| programTimeLeftCall::abi_encode_returns(&time_left(ctx, &i))),
        ),
    }
}

/// Nitro stores the compiled size estimate in whole kilobytes, rounded up, and reports that.
pub(crate) fn asm_size(info: &ActivationInfo) -> u32 {
    info.asm_estimate.div_ceil(1024).saturating_mul(1024)
}

fn activate(
    programs: &ProgramCache,
    ctx: &mut Ctx,
    inputs: &CallInputs,
    program_address: Address,
) -> Result<Out, String> {
    if inputs.is_static {
        return fail(Vec::new());
    }
    let (code_hash, code) = code_hash_of(ctx, program_address)?;
    if fragments::is_fragment(&code) {
        let message = format!(
            "activation of {program_address} failed: a fragment cannot be activated; \
             activate its root program instead"
        );
        return fail(Error { message }.abi_encode());
    }
    if !program::is_program_code(&code) {
        return fail(IArbWasm::ProgramNotWasm {}.abi_encode());
    }
    if let Some(info) = activation(ctx, code_hash)? {
        if info.version == ink::STYLUS_VERSION {
            return fail(IArbWasm::ProgramUpToDate {}.abi_encode());
        }
    }
    // Reading fragments is paid for out of the call's gas, before the activation's own.
    let mut budget = inputs.gas_limit;
    let wasm = program_wasm(ctx, &code, Some(&mut budget))?;
    let fragments_gas = inputs.gas_limit - budget;
    let checked =
        wasm.and_then(|wasm| tidepool_stylus_vm::activation::check_wasm(programs.engine(), wasm));
    let (wasm_len, compiled, mut info) = match checked {
        Ok(found) => found,
        Err(e) => {
            return fail(
                Error { message: format!("activation of {program_address} failed: {e}") }
                    .abi_encode(),
            )
        }
    };
    let gas = fragments_gas + ACTIVATION_BASE_GAS + ACTIVATION_BYTE_GAS * wasm_len as u64;
    if gas > inputs.gas_limit {
        return Ok(Out { ok: false, data: Vec::new(), gas });
    }
    info.activated_at = ctx.block().timestamp().saturating_to();
    let module_hash = compiled.1;
    let journal = ctx.journal_mut();
    journal.load_account(ADDRESS).map_err(|e| e.to_string())?;
    journal.sstore(ADDRESS, record_slot(code_hash), info.encode()).map_err(|e| e.to_string())?;
    journal
        .sstore(ADDRESS, module_hash_slot(code_hash), U256::from_be_bytes(module_hash.0))
        .map_err(|e| e.to_string())?;
    // No data fee is charged on a dev chain: whatever was sent goes back to the caller.
    let value = inputs.value.get();
    if !value.is_zero() {
        if let Some(err) =
            journal.transfer(ADDRESS, inputs.caller, value).map_err(|e| e.to_string())?
        {
            return Err(format!("refunding activation value failed: {err:?}"));
        }
    }
    let event = IArbWasm::ProgramActivated {
        codehash: code_hash,
        moduleHash: module_hash,
        program: program_address,
        dataFee: U256::ZERO,
        version: info.version,
    };
    journal.log(Log { address: ADDRESS, data: event.encode_log_data() });
    programs.insert(code_hash, compiled.0);
    Ok(Out {
        ok: true,
        data: IArbWasm::activateProgramCall::abi_encode_returns(&IArbWasm::activateProgramReturn {
            version: info.version,
            dataFee: U256::ZERO,
        }),
        gas,
    })
}

/// A precompile view's result: `answer` (`None` reverts with no data, as an unknown selector
/// does) for the flat view price, or out of gas below it.
pub(crate) fn view_result(gas_limit: u64, answer: Option<Vec<u8>>) -> InterpreterResult {
    let mut gas = Gas::new(gas_limit);
    if !gas.record_regular_cost(VIEW_GAS) {
        gas.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas);
    }
    match answer {
        Some(data) => InterpreterResult::new(InstructionResult::Return, data.into(), gas),
        None => InterpreterResult::new(InstructionResult::Revert, Bytes::new(), gas),
    }
}
