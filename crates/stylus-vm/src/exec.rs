//! Running one Stylus call: entry cost, memory, instantiation, `user_entrypoint`, and the
//! outcome with the gas it used.

use wasmi::{Extern, Instance, Store, TrapCode};

use crate::{
    host::{Host, HostError, Message, Pages},
    hostio::{self, Escape, Frame},
    ink,
    program::Compiled,
};

/// How the program's entry is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The program's `init_cost` from its activation (charged on an uncached entry).
    pub init_cost: u16,
    /// The program's `cached_init_cost` from its activation (charged on every entry).
    pub cached_init_cost: u16,
    /// Whether the program is warm in the node's caches (Nitro's cheaper entry).
    pub cached: bool,
}

/// Where one program frame's gas went. Ink is converted to gas rounding up, so the parts
/// can differ from the frame's total by a gas or two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameGas {
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

/// How a program call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `user_entrypoint` returned, or the program called `exit_early`: status 0 is success,
    /// anything else a revert with `output` as its data.
    Finished {
        /// Whether the status was 0.
        success: bool,
        /// Result or revert data.
        output: Vec<u8>,
        /// Gas left of the call's limit.
        gas_left: u64,
        /// Storage refunds earned (kept by the caller only on success).
        refund: i64,
        /// Where the used gas went.
        gas: FrameGas,
    },
    /// Ink or gas ran out (entry, memory, execution or a host I/O), or the returned data
    /// would cost more EVM memory than the call's gas: all gas is consumed (Nitro's
    /// `userOutOfInk`, the EVM's out-of-gas).
    OutOfGas,
    /// The program went deeper than its stack allows: all gas is consumed (Nitro's
    /// `userOutOfStack`, the EVM's depth error).
    OutOfStack,
    /// The program failed (a panic's `unreachable`, a bad pointer, a write in a static call,
    /// any other trap): the call reverts with empty data and the unused gas goes back to the
    /// caller, as Nitro's `userFailure` does.
    Failure {
        /// Gas left of the call's limit.
        gas_left: u64,
        /// Where the used gas went.
        gas: FrameGas,
    },
}

/// Runs `program` for one call with `gas_limit` gas, charging its entry and memory first.
///
/// # Errors
///
/// [`HostError`] when the host itself failed: the transaction is aborted.
pub fn execute(
    engine: &wasmi::Engine,
    program: &Compiled,
    host: &mut dyn Host,
    message: Message,
    entry: Entry,
    gas_limit: u64,
) -> Result<Outcome, HostError> {
    let mut entry_gas = ink::entry_gas(entry.init_cost, entry.cached_init_cost, entry.cached);
    let held = host.pages();
    match ink::memory_gas(held.open, held.ever, program.footprint) {
        Some(mem) => entry_gas += mem,
        None => return Ok(Outcome::OutOfGas),
    }
    let Some(remaining) = gas_limit.checked_sub(entry_gas) else {
        return Ok(Outcome::OutOfGas);
    };
    let open = held.open + program.footprint;
    host.set_pages(Pages { open, ever: held.ever.max(open) });

    let args_len = message.args.len() as i32;
    let mut store = Store::new(engine, Frame::new(host, message));
    let fuel = ink::gas_to_ink(remaining) / ink::INK_PER_FUEL;
    let run = instantiate_and_call(&mut store, &program.module, args_len, fuel);
    let fuel_left = store.get_fuel().unwrap_or(0);
    let frame = store.into_data();
    let held = frame.host.pages();
    let open = held.open.saturating_sub(program.footprint + frame.grown_pages);
    frame.host.set_pages(Pages { open, ..held });
    let ink_left = fuel_left.saturating_mul(ink::INK_PER_FUEL);
    let used = remaining - ink::ink_to_gas(ink_left).min(remaining);
    let gas_left = remaining - used;
    let spent = frame.spent;
    let accounted = ink::ink_to_gas(spent.hostio_ink)
        .saturating_add(spent.evm_gas)
        .saturating_add(spent.calls_gas)
        .saturating_add(spent.memory_gas);
    let gas = FrameGas {
        entry_gas,
        memory_gas: spent.memory_gas,
        wasm_gas: used.saturating_sub(accounted),
        hostio_gas: ink::ink_to_gas(spent.hostio_ink),
        evm_gas: spent.evm_gas,
        calls_gas: spent.calls_gas,
    };
    let status = match run {
        Ok(status) => status,
        Err(err) => match err.as_trap_code() {
            Some(TrapCode::OutOfFuel) => return Ok(Outcome::OutOfGas),
            Some(TrapCode::StackOverflow) => return Ok(Outcome::OutOfStack),
            _ => match err.downcast::<Escape>() {
                Some(Escape::Exit(status)) => status as i32,
                Some(Escape::OutOfInk) => return Ok(Outcome::OutOfGas),
                Some(Escape::Fatal(err)) => return Err(err),
                Some(Escape::Trap(_)) | None => return Ok(Outcome::Failure { gas_left, gas }),
            },
        },
    };
    let output = frame.output;
    // Returned data must cost at least what EVM memory for it would: Nitro keeps that much of
    // the call's gas (ArbOS's Stylus fixes), and fails the call if it never had it.
    let memory = evm_memory_gas(output.len() as u64);
    if !output.is_empty() && gas_limit < memory {
        return Ok(Outcome::OutOfGas);
    }
    let gas_left = if output.is_empty() { gas_left } else { gas_left.min(gas_limit - memory) };
    Ok(Outcome::Finished { success: status == 0, output, gas_left, refund: frame.refund, gas })
}

/// EVM memory expansion gas for `len` bytes from zero: 3 per word plus words² / 512.
fn evm_memory_gas(len: u64) -> u64 {
    let words = len.div_ceil(32);
    words * 3 + words * words / 512
}

fn instantiate_and_call(
    store: &mut Store<Frame<'_>>,
    module: &wasmi::Module,
    args_len: i32,
    fuel: u64,
) -> Result<i32, wasmi::Error> {
    store.set_fuel(fuel)?;
    let mut imports = Vec::new();
    for import in module.imports() {
        let func = hostio::make_func(store, import.module(), import.name()).ok_or_else(|| {
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
