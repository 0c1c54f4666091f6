//! Running one Stylus call: entry cost, instantiation, `user_entrypoint`, and turning the
//! outcome into an EVM frame result.

use alloy_sol_types::SolError;
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{Bytes, B256},
};
use wasmi::{Extern, Instance, Store, TrapCode};

use crate::{
    arbwasm::{self, IArbWasm},
    arbwasmcache,
    evm::{Ctx, Precompiles},
    host::{self, Escape, HostState},
    ink,
    program::{self, ActivationInfo},
};

/// Where one program frame's gas went. Ink is converted to gas rounding up, so the parts
/// can differ from the frame's total by a gas or two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameProfile {
    /// The program's address (its code's, for a delegated frame).
    pub program: revm::primitives::Address,
    /// Call depth of the frame.
    pub depth: usize,
    /// Entry (cached or not) plus the initial memory pages.
    pub entry_gas: u64,
    /// Pages grown while running.
    pub memory_gas: u64,
    /// Executing wasm instructions.
    pub wasm_gas: u64,
    /// Host I/O calls' own prices.
    pub hostio_gas: u64,
    /// EVM work at EVM prices: storage, logs, account access, fixed call costs.
    pub evm_gas: u64,
    /// Frames it called, in all.
    pub calls_gas: u64,
}

/// Whether `code` is a Stylus program (starts `EF F0 00`).
pub fn is_program(code: &[u8]) -> bool {
    program::is_stylus_program(code)
}

fn halt(result: InstructionResult, gas_limit: u64) -> InterpreterResult {
    let mut gas = Gas::new(gas_limit);
    gas.spend_all();
    InterpreterResult::new(result, Bytes::new(), gas)
}

fn revert(data: Vec<u8>, gas: Gas) -> InterpreterResult {
    InterpreterResult::new(InstructionResult::Revert, data.into(), gas)
}

/// Reads the activation record of `code_hash` from the ArbWasm account.
pub(crate) fn activation(ctx: &mut Ctx, code_hash: B256) -> Result<Option<ActivationInfo>, String> {
    let journal = ctx.journal_mut();
    journal.load_account(arbwasm::ADDRESS).map_err(|e| e.to_string())?;
    let word = journal
        .sload(arbwasm::ADDRESS, program::record_slot(code_hash))
        .map_err(|e| e.to_string())?
        .data;
    Ok(ActivationInfo::decode(word))
}

/// Runs the program at `inputs.bytecode_address` (code hash `code_hash`) for one call.
pub(crate) fn run(
    pre: &mut Precompiles,
    ctx: &mut Ctx,
    inputs: &CallInputs,
    code_hash: B256,
    reentrant: bool,
) -> Result<InterpreterResult, String> {
    let gas_limit = inputs.gas_limit;
    let mut gas = Gas::new(gas_limit);
    let Some(info) = activation(ctx, code_hash)? else {
        return Ok(revert(IArbWasm::ProgramNotActivated {}.abi_encode(), gas));
    };
    if info.version != ink::STYLUS_VERSION {
        let err = IArbWasm::ProgramNeedsUpgrade {
            version: info.version,
            stylusVersion: ink::STYLUS_VERSION,
        };
        return Ok(revert(err.abi_encode(), gas));
    }
    let code = inputs.known_bytecode.1.original_byte_slice();
    let compiled = match pre.programs.get_or_compile(code_hash, code) {
        Ok(compiled) => compiled,
        // Activated code that no longer compiles can only mean a node bug; fail the call.
        Err(e) => return Err(format!("activated program {code_hash} does not compile: {e}")),
    };

    // Entry: Nitro charges less for programs warm in its caches: those marked cached through
    // ArbWasmCache, and (as the model of its recent-programs list) those already called in
    // this transaction.
    let recent = pre.frames.borrow_mut().note_called(code_hash);
    let cached = recent || arbwasmcache::is_cached(ctx, code_hash)?;
    let mut entry = ink::entry_gas(u64::from(info.init_cost), cached);
    let (open, ever) = {
        let f = pre.frames.borrow();
        (f.open_pages, f.ever_pages)
    };
    match ink::memory_gas(open, ever, compiled.footprint) {
        Some(mem) => entry += mem,
        None => return Ok(halt(InstructionResult::OutOfGas, gas_limit)),
    }
    if !gas.record_regular_cost(entry) {
        return Ok(halt(InstructionResult::OutOfGas, gas_limit));
    }
    {
        let mut f = pre.frames.borrow_mut();
        f.open_pages += compiled.footprint;
        f.ever_pages = f.ever_pages.max(f.open_pages);
    }

    let depth = ctx.journal().depth();
    let args = inputs.input.bytes(ctx);
    let args_len = args.len() as i32;
    let state = HostState::new(
        ctx,
        pre.clone(),
        inputs.target_address,
        inputs.caller,
        inputs.value.get(),
        args,
        inputs.is_static,
        reentrant,
    );
    let mut store = Store::new(pre.programs.engine(), state);
    let fuel = ink::gas_to_ink(gas.remaining()) / ink::INK_PER_FUEL;
    let outcome = execute(&mut store, &compiled.module, args_len, fuel);
    let fuel_left = store.get_fuel().unwrap_or(0);
    let state = store.into_data();
    {
        let mut f = pre.frames.borrow_mut();
        f.open_pages = f.open_pages.saturating_sub(compiled.footprint + state.grown_pages);
    }
    let ink_left = fuel_left.saturating_mul(ink::INK_PER_FUEL);
    let used = gas.remaining() - ink::ink_to_gas(ink_left).min(gas.remaining());
    let status = match outcome {
        Ok(status) => status,
        Err(err) if err.as_trap_code() == Some(TrapCode::OutOfFuel) => {
            return Ok(halt(InstructionResult::OutOfGas, gas_limit))
        }
        Err(err) => match err.downcast::<Escape>() {
            Some(Escape::Exit(status)) => status as i32,
            Some(Escape::OutOfInk) => return Ok(halt(InstructionResult::OutOfGas, gas_limit)),
            Some(Escape::Fatal(msg)) => return Err(msg),
            Some(Escape::Trap(_)) => {
                return Ok(halt(InstructionResult::PrecompileError, gas_limit))
            }
            None => return Ok(halt(InstructionResult::PrecompileError, gas_limit)),
        },
    };
    if !gas.record_regular_cost(used) {
        return Ok(halt(InstructionResult::OutOfGas, gas_limit));
    }
    let spent = state.spent;
    let accounted = ink::ink_to_gas(spent.hostio_ink)
        .saturating_add(spent.evm_gas)
        .saturating_add(spent.calls_gas)
        .saturating_add(spent.memory_gas);
    pre.frames.borrow_mut().profile.push(FrameProfile {
        program: inputs.bytecode_address,
        depth,
        entry_gas: entry,
        memory_gas: spent.memory_gas,
        wasm_gas: used.saturating_sub(accounted),
        hostio_gas: ink::ink_to_gas(spent.hostio_ink),
        evm_gas: spent.evm_gas,
        calls_gas: spent.calls_gas,
    });
    if status == 0 {
        gas.record_refund(state.refund);
        Ok(InterpreterResult::new(InstructionResult::Return, state.output.into(), gas))
    } else {
        Ok(revert(state.output, gas))
    }
}

fn execute(
    store: &mut Store<HostState<'_>>,
    module: &wasmi::Module,
    args_len: i32,
    fuel: u64,
) -> Result<i32, wasmi::Error> {
    store.set_fuel(fuel)?;
    let mut imports = Vec::new();
    for import in module.imports() {
        let func = host::make_func(store, import.module(), import.name()).ok_or_else(|| {
            wasmi::Error::new(format!("unknown import {}.{}", import.module(), import.name()))
        })?;
        imports.push(func);
    }
    let instance = Instance::new(&mut *store, module, &imports)?;
    let memory = match instance.get_export(&*store, "memory") {
        Some(Extern::Memory(m)) => m,
        _ => return Err(wasmi::Error::new("program exports no memory")),
    };
    store.data_mut().memory = Some(memory);
    let entry = instance.get_typed_func::<i32, i32>(&*store, "user_entrypoint")?;
    entry.call(&mut *store, args_len)
}
