//! Entering a Stylus program from revm: its activation record, the cached-entry rule, the
//! VM run over an [`EvmHost`], and the outcome as an EVM frame result.

use std::{cell::RefCell, rc::Rc};

use alloy_sol_types::SolError;
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{Bytes, B256},
};
use tidepool_stylus_vm::{
    ink,
    program::{ProgramCache, ProgramError},
    Entry, Message, Outcome,
};

use super::{
    arbwasm::{self, IArbWasm},
    arbwasmcache,
    context::Ctx,
    frames::{FrameProfile, TxFrames},
    host::{ChildFrames, EvmHost},
};

/// What a program frame needs from the precompile provider that routes to it.
pub(crate) struct Programs<'a> {
    /// Compiled modules by code hash.
    pub cache: &'a ProgramCache,
    /// The transaction's frame bookkeeping.
    pub frames: &'a Rc<RefCell<TxFrames>>,
    /// Runs the program's calls and creates as child frames.
    pub children: &'a dyn ChildFrames,
}

fn halt(result: InstructionResult, gas_limit: u64) -> InterpreterResult {
    let mut gas = Gas::new(gas_limit);
    gas.spend_all();
    InterpreterResult::new(result, Bytes::new(), gas)
}

fn revert(data: Vec<u8>, gas: Gas) -> InterpreterResult {
    InterpreterResult::new(InstructionResult::Revert, data.into(), gas)
}

/// Runs the program at `inputs.bytecode_address` (code hash `code_hash`) for one call.
pub(crate) fn run(
    programs: Programs<'_>,
    ctx: &mut Ctx,
    inputs: &CallInputs,
    code_hash: B256,
    reentrant: bool,
) -> Result<InterpreterResult, String> {
    let gas_limit = inputs.gas_limit;
    let mut gas = Gas::new(gas_limit);
    let Some(info) = arbwasm::activation(ctx, code_hash)? else {
        return Ok(revert(IArbWasm::ProgramNotActivated {}.abi_encode(), gas));
    };
    if info.version != ink::STYLUS_VERSION {
        let err = IArbWasm::ProgramNeedsUpgrade {
            version: info.version,
            stylusVersion: ink::STYLUS_VERSION,
        };
        return Ok(revert(err.abi_encode(), gas));
    }
    let code = inputs.known_bytecode.1.original_bytes();
    let mut fatal = None;
    let wasm_of = || match arbwasm::program_wasm(ctx, &code, None) {
        Ok(wasm) => wasm,
        Err(e) => {
            fatal = Some(e);
            Err(ProgramError::Invalid("the node failed reading the program".into()))
        }
    };
    let compiled = match programs.cache.get_or_compile(code_hash, wasm_of) {
        Ok(compiled) => compiled,
        Err(_) if fatal.is_some() => return Err(fatal.unwrap_or_default()),
        // Activated code that no longer compiles can only mean a node bug; fail the call.
        Err(e) => return Err(format!("activated program {code_hash} does not compile: {e}")),
    };

    // Entry: Nitro charges less for programs warm in its caches: those marked cached through
    // ArbWasmCache, and (as the model of its recent-programs list) those already called in
    // this transaction.
    let recent = programs.frames.borrow_mut().note_called(code_hash);
    let cached = recent || arbwasmcache::is_cached(ctx, code_hash)?;
    let entry =
        Entry { init_cost: info.init_cost, cached_init_cost: info.cached_init_cost, cached };

    let depth = ctx.journal().depth();
    let message = Message {
        address: inputs.target_address,
        caller: inputs.caller,
        value: inputs.value.get(),
        args: inputs.input.bytes(ctx),
        is_static: inputs.is_static,
        reentrant,
    };
    let mut host = EvmHost::new(ctx, programs.frames.clone(), programs.children);
    let outcome = tidepool_stylus_vm::execute(
        programs.cache.engine(),
        &compiled,
        &mut host,
        message,
        entry,
        gas_limit,
    )
    .map_err(|e| e.0)?;
    // Nitro's outcomes: out of ink or stack is an EVM error that consumes the call's gas; a
    // failure (any other trap) reverts with empty data and hands the unused gas back.
    let (result, output, gas_left, refund, spent) = match outcome {
        Outcome::OutOfGas => return Ok(halt(InstructionResult::OutOfGas, gas_limit)),
        Outcome::OutOfStack => return Ok(halt(InstructionResult::CallTooDeep, gas_limit)),
        Outcome::Failure { gas_left, gas } => {
            (InstructionResult::Revert, Vec::new(), gas_left, 0, gas)
        }
        Outcome::Finished { success, output, gas_left, refund, gas } => {
            let result =
                if success { InstructionResult::Return } else { InstructionResult::Revert };
            (result, output, gas_left, refund, gas)
        }
    };
    // Entry, memory and execution, all within the limit by construction.
    if !gas.record_regular_cost(gas_limit - gas_left) {
        return Ok(halt(InstructionResult::OutOfGas, gas_limit));
    }
    let profile = FrameProfile { program: inputs.bytecode_address, depth, gas: spent };
    programs.frames.borrow_mut().profile.push(profile);
    if result == InstructionResult::Return {
        gas.record_refund(refund);
    }
    Ok(InterpreterResult::new(result, output.into(), gas))
}
