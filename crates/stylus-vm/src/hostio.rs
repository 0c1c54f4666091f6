//! The `vm_hooks` host interface: every import a Stylus program may use, with Nitro's
//! semantics, priced in ink. State, logs and child frames go through the [`Host`].

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use wasmi::{AsContext, Caller, Error, Extern, Func, Memory, Store, ValType};

use crate::{
    host::{CallRequest, CallScheme, CreateRequest, Host, HostError, Message, Pages},
    ink::{self, EVM_API_INK, HOSTIO_INK, PTR_INK},
};

/// Why a program stopped other than by returning from `user_entrypoint`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Escape {
    /// `exit_early(status)`.
    #[error("exit_early({0})")]
    Exit(u32),
    /// Ink ran out inside a host I/O.
    #[error("out of ink")]
    OutOfInk,
    /// The program broke a rule (bad pointer, write in a static call, ...): a trap.
    #[error("{0}")]
    Trap(String),
    /// The node itself failed (database error): aborts the transaction.
    #[error("fatal: {0}")]
    Fatal(#[from] HostError),
}

impl wasmi::errors::HostError for Escape {}

/// One storage slot in a program's cache.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// What the program sees.
    value: B256,
    /// What the EVM holds, when known: the slot is dirty (written at the next flush) only
    /// while the two differ, so writing back a loaded value stores nothing, as on Nitro.
    known: Option<B256>,
    /// Whether the slot is in the flush order already.
    listed: bool,
}

impl Slot {
    fn dirty(&self) -> bool {
        self.known != Some(self.value)
    }
}

/// Everything a running program's host I/Os can see: the host and the frame's own state.
pub(crate) struct Frame<'a> {
    pub host: &'a mut dyn Host,
    pub memory: Option<Memory>,
    /// The call this frame runs: whose storage, for whom, with what value and data.
    pub msg: Message,
    pub output: Vec<u8>,
    pub return_data: Bytes,
    cache: HashMap<B256, Slot>,
    /// Insertion order of written slots, so flushes are deterministic.
    cache_order: Vec<B256>,
    /// Storage reads and cache writes so far: Nitro's cache prices them by count.
    reads: u32,
    writes: u32,
    pub refund: i64,
    /// Pages this program added with `pay_for_memory_grow`.
    pub grown_pages: u16,
    /// Where the frame's gas went, by kind.
    pub spent: Spent,
}

/// Gas a program frame spent through its host, by kind (the rest is wasm execution).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    /// Ink of the host I/O calls themselves: their fixed and per-byte prices.
    pub hostio_ink: u64,
    /// EVM work done for the program at EVM prices: storage, logs, account access and the
    /// fixed costs of calls and creates.
    pub evm_gas: u64,
    /// Gas the frames this program called or created used (forwarded minus returned).
    pub calls_gas: u64,
    /// Memory pages grown during the call.
    pub memory_gas: u64,
}

impl<'a> Frame<'a> {
    pub fn new(host: &'a mut dyn Host, message: Message) -> Self {
        Self {
            host,
            memory: None,
            msg: message,
            output: Vec::new(),
            return_data: Bytes::new(),
            cache: HashMap::new(),
            cache_order: Vec::new(),
            reads: 0,
            writes: 0,
            refund: 0,
            grown_pages: 0,
            spent: Spent::default(),
        }
    }
}

type C<'c, 'a> = Caller<'c, Frame<'a>>;
type R<T = ()> = Result<T, Error>;

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;

/// Every host I/O with its wasm signature: (module, name, params, results).
pub const HOSTIOS: &[(&str, &str, &[ValType], &[ValType])] = &[
    ("vm_hooks", "read_args", &[I32], &[]),
    ("vm_hooks", "write_result", &[I32, I32], &[]),
    ("vm_hooks", "exit_early", &[I32], &[]),
    ("vm_hooks", "storage_load_bytes32", &[I32, I32], &[]),
    ("vm_hooks", "storage_cache_bytes32", &[I32, I32], &[]),
    ("vm_hooks", "storage_flush_cache", &[I32], &[]),
    ("vm_hooks", "transient_load_bytes32", &[I32, I32], &[]),
    ("vm_hooks", "transient_store_bytes32", &[I32, I32], &[]),
    ("vm_hooks", "call_contract", &[I32, I32, I32, I32, I64, I32], &[I32]),
    ("vm_hooks", "delegate_call_contract", &[I32, I32, I32, I64, I32], &[I32]),
    ("vm_hooks", "static_call_contract", &[I32, I32, I32, I64, I32], &[I32]),
    ("vm_hooks", "create1", &[I32, I32, I32, I32, I32], &[]),
    ("vm_hooks", "create2", &[I32, I32, I32, I32, I32, I32], &[]),
    ("vm_hooks", "read_return_data", &[I32, I32, I32], &[I32]),
    ("vm_hooks", "return_data_size", &[], &[I32]),
    ("vm_hooks", "emit_log", &[I32, I32, I32], &[]),
    ("vm_hooks", "account_balance", &[I32, I32], &[]),
    ("vm_hooks", "account_code", &[I32, I32, I32, I32], &[I32]),
    ("vm_hooks", "account_code_size", &[I32], &[I32]),
    ("vm_hooks", "account_codehash", &[I32, I32], &[]),
    ("vm_hooks", "evm_gas_left", &[], &[I64]),
    ("vm_hooks", "evm_ink_left", &[], &[I64]),
    ("vm_hooks", "block_basefee", &[I32], &[]),
    ("vm_hooks", "chainid", &[], &[I64]),
    ("vm_hooks", "block_coinbase", &[I32], &[]),
    ("vm_hooks", "block_gas_limit", &[], &[I64]),
    ("vm_hooks", "block_number", &[], &[I64]),
    ("vm_hooks", "block_timestamp", &[], &[I64]),
    ("vm_hooks", "contract_address", &[I32], &[]),
    ("vm_hooks", "math_div", &[I32, I32], &[]),
    ("vm_hooks", "math_mod", &[I32, I32], &[]),
    ("vm_hooks", "math_pow", &[I32, I32], &[]),
    ("vm_hooks", "math_add_mod", &[I32, I32, I32], &[]),
    ("vm_hooks", "math_mul_mod", &[I32, I32, I32], &[]),
    ("vm_hooks", "msg_reentrant", &[], &[I32]),
    ("vm_hooks", "msg_sender", &[I32], &[]),
    ("vm_hooks", "msg_value", &[I32], &[]),
    ("vm_hooks", "native_keccak256", &[I32, I32, I32], &[]),
    ("vm_hooks", "tx_gas_price", &[I32], &[]),
    ("vm_hooks", "tx_ink_price", &[], &[I32]),
    ("vm_hooks", "tx_origin", &[I32], &[]),
    ("vm_hooks", "pay_for_memory_grow", &[I32], &[]),
    ("console", "log_txt", &[I32, I32], &[]),
    ("console", "log_i32", &[I32], &[]),
    ("console", "log_i64", &[I64], &[]),
];

/// The expected signature of an import, if the host provides it.
pub fn signature(module: &str, name: &str) -> Option<(&'static [ValType], &'static [ValType])> {
    HOSTIOS.iter().find(|(m, n, _, _)| *m == module && *n == name).map(|(_, _, p, r)| (*p, *r))
}

/// Builds the host function for an import (the names in [`HOSTIOS`]).
pub(crate) fn make_func(store: &mut Store<Frame<'_>>, module: &str, name: &str) -> Option<Extern> {
    let s = &mut *store;
    let f = match (module, name) {
        ("vm_hooks", "read_args") => Func::wrap(s, read_args),
        ("vm_hooks", "write_result") => Func::wrap(s, write_result),
        ("vm_hooks", "exit_early") => Func::wrap(s, exit_early),
        ("vm_hooks", "storage_load_bytes32") => Func::wrap(s, storage_load_bytes32),
        ("vm_hooks", "storage_cache_bytes32") => Func::wrap(s, storage_cache_bytes32),
        ("vm_hooks", "storage_flush_cache") => Func::wrap(s, storage_flush_cache),
        ("vm_hooks", "transient_load_bytes32") => Func::wrap(s, transient_load_bytes32),
        ("vm_hooks", "transient_store_bytes32") => Func::wrap(s, transient_store_bytes32),
        ("vm_hooks", "call_contract") => Func::wrap(s, call_contract),
        ("vm_hooks", "delegate_call_contract") => Func::wrap(s, valueless_call(Kind::Delegate)),
        ("vm_hooks", "static_call_contract") => Func::wrap(s, valueless_call(Kind::Static)),
        ("vm_hooks", "create1") => Func::wrap(s, create1),
        ("vm_hooks", "create2") => Func::wrap(s, create2),
        ("vm_hooks", "read_return_data") => Func::wrap(s, read_return_data),
        ("vm_hooks", "return_data_size") => Func::wrap(s, return_data_size),
        ("vm_hooks", "emit_log") => Func::wrap(s, emit_log),
        ("vm_hooks", "account_balance") => Func::wrap(s, account_balance),
        ("vm_hooks", "account_code") => Func::wrap(s, account_code),
        ("vm_hooks", "account_code_size") => Func::wrap(s, account_code_size),
        ("vm_hooks", "account_codehash") => Func::wrap(s, account_codehash),
        ("vm_hooks", "evm_gas_left") => Func::wrap(s, evm_gas_left),
        ("vm_hooks", "evm_ink_left") => Func::wrap(s, evm_ink_left),
        ("vm_hooks", "block_basefee") => Func::wrap(s, block_basefee),
        ("vm_hooks", "chainid") => Func::wrap(s, chainid),
        ("vm_hooks", "block_coinbase") => Func::wrap(s, block_coinbase),
        ("vm_hooks", "block_gas_limit") => Func::wrap(s, block_gas_limit),
        ("vm_hooks", "block_number") => Func::wrap(s, block_number),
        ("vm_hooks", "block_timestamp") => Func::wrap(s, block_timestamp),
        ("vm_hooks", "contract_address") => Func::wrap(s, contract_address),
        ("vm_hooks", "math_div") => Func::wrap(s, math_div),
        ("vm_hooks", "math_mod") => Func::wrap(s, math_mod),
        ("vm_hooks", "math_pow") => Func::wrap(s, math_pow),
        ("vm_hooks", "math_add_mod") => Func::wrap(s, math_add_mod),
        ("vm_hooks", "math_mul_mod") => Func::wrap(s, math_mul_mod),
        ("vm_hooks", "msg_reentrant") => Func::wrap(s, msg_reentrant),
        ("vm_hooks", "msg_sender") => Func::wrap(s, msg_sender),
        ("vm_hooks", "msg_value") => Func::wrap(s, msg_value),
        ("vm_hooks", "native_keccak256") => Func::wrap(s, native_keccak256),
        ("vm_hooks", "tx_gas_price") => Func::wrap(s, tx_gas_price),
        ("vm_hooks", "tx_ink_price") => Func::wrap(s, tx_ink_price),
        ("vm_hooks", "tx_origin") => Func::wrap(s, tx_origin),
        ("vm_hooks", "pay_for_memory_grow") => Func::wrap(s, pay_for_memory_grow),
        ("console", "log_txt") => Func::wrap(s, log_txt),
        ("console", "log_i32") => Func::wrap(s, log_i32),
        ("console", "log_i64") => Func::wrap(s, log_i64),
        _ => return None,
    };
    Some(Extern::Func(f))
}

// ---------------------------------------------------------------------------------------
// Helpers: ink, memory, EVM gas.

fn trap(msg: impl Into<String>) -> Error {
    Error::host(Escape::Trap(msg.into()))
}

fn fatal(err: HostError) -> Error {
    Error::host(Escape::Fatal(err))
}

/// Ink left to the program (fuel is ink in units of [`ink::INK_PER_FUEL`]).
fn ink_left(c: &C<'_, '_>) -> u64 {
    c.get_fuel().unwrap_or(0).saturating_mul(ink::INK_PER_FUEL)
}

fn charge_ink(c: &mut C<'_, '_>, ink_cost: u64) -> R {
    c.data_mut().spent.hostio_ink += ink_cost;
    take_ink(c, ink_cost)
}

fn charge_gas(c: &mut C<'_, '_>, gas: u64) -> R {
    c.data_mut().spent.evm_gas += gas;
    take_ink(c, ink::gas_to_ink(gas))
}

/// Charges the gas handed to a child frame; what it returns is credited back by the caller.
fn forward_gas(c: &mut C<'_, '_>, gas: u64) -> R {
    c.data_mut().spent.calls_gas += gas;
    take_ink(c, ink::gas_to_ink(gas))
}

/// Credits back gas a child frame did not use.
fn return_gas(c: &mut C<'_, '_>, gas: u64) -> R {
    let spent = &mut c.data_mut().spent;
    spent.calls_gas = spent.calls_gas.saturating_sub(gas);
    let fuel = c.get_fuel()?;
    c.set_fuel(fuel.saturating_add(ink::gas_to_ink(gas) / ink::INK_PER_FUEL))
}

fn take_ink(c: &mut C<'_, '_>, ink_cost: u64) -> R {
    let fuel = c.get_fuel()?;
    let need = ink::ink_to_fuel(ink_cost);
    if fuel < need {
        c.set_fuel(0)?;
        return Err(Error::host(Escape::OutOfInk));
    }
    c.set_fuel(fuel - need)
}

/// Fails with out-of-ink unless `gas` is left, charging nothing (Nitro's `require_gas`, the
/// guard before work whose price is known only once done).
fn require_gas(c: &mut C<'_, '_>, gas: u64) -> R {
    if gas_left(c) < gas {
        c.set_fuel(0)?;
        return Err(Error::host(Escape::OutOfInk));
    }
    Ok(())
}

fn gas_left(c: &C<'_, '_>) -> u64 {
    ink::ink_to_gas(ink_left(c))
}

fn memory(c: &C<'_, '_>) -> R<Memory> {
    c.data().memory.ok_or_else(|| trap("program has no memory"))
}

fn range(ptr: u32, len: u32, size: usize) -> R<std::ops::Range<usize>> {
    let start = ptr as usize;
    let end = start
        .checked_add(len as usize)
        .filter(|end| *end <= size)
        .ok_or_else(|| trap(format!("memory access {ptr}+{len} out of bounds")))?;
    Ok(start..end)
}

fn read(c: &C<'_, '_>, ptr: u32, len: u32) -> R<Vec<u8>> {
    let mem = memory(c)?;
    let data = mem.data(c.as_context());
    Ok(data[range(ptr, len, data.len())?].to_vec())
}

fn read32(c: &C<'_, '_>, ptr: u32) -> R<B256> {
    let mem = memory(c)?;
    let data = mem.data(c.as_context());
    Ok(B256::from_slice(&data[range(ptr, 32, data.len())?]))
}

fn read_address(c: &C<'_, '_>, ptr: u32) -> R<Address> {
    let mem = memory(c)?;
    let data = mem.data(c.as_context());
    Ok(Address::from_slice(&data[range(ptr, 20, data.len())?]))
}

fn write(c: &mut C<'_, '_>, ptr: u32, bytes: &[u8]) -> R {
    let mem = memory(c)?;
    let data = mem.data_mut(c);
    let r = range(ptr, bytes.len() as u32, data.len())?;
    data[r].copy_from_slice(bytes);
    Ok(())
}

fn write_u32(c: &mut C<'_, '_>, ptr: u32, value: u32) -> R {
    write(c, ptr, &value.to_le_bytes())
}

fn write_word(c: &mut C<'_, '_>, ptr: u32, value: U256) -> R {
    write(c, ptr, &value.to_be_bytes::<32>())
}

/// EIP-2929 account access cost, loading the account into the journal.
fn access_account(c: &mut C<'_, '_>, address: Address) -> R<u64> {
    let cold = c.data_mut().host.access_account(address).map_err(fatal)?;
    Ok(if cold { COLD_ACCOUNT_GAS } else { 100 })
}

/// EIP-2929's cold account access, which account host I/Os require to be left first.
const COLD_ACCOUNT_GAS: u64 = 2_600;
/// EIP-2929's cold slot access.
const COLD_SLOAD_GAS: u64 = 2_100;
/// EIP-2200's sentry: a store never runs on the call stipend alone.
const SSTORE_SENTRY_GAS: u64 = 2_300;
/// The gas part of [`EVM_API_INK`] that a storage miss charges (Nitro converts it, floored).
const EVM_API_GAS: u64 = EVM_API_INK / ink::INK_PER_GAS;

fn deny_in_static(c: &C<'_, '_>, what: &str) -> R {
    if c.data().msg.is_static {
        return Err(trap(format!("{what} in a static call")));
    }
    Ok(())
}

const fn words(len: u64) -> u64 {
    len.div_ceil(32)
}

// ---------------------------------------------------------------------------------------
// Arguments, results, exit.

fn read_args(mut c: C<'_, '_>, ptr: u32) -> R {
    let args = c.data().msg.args.clone();
    charge_ink(&mut c, HOSTIO_INK + ink::write_price(args.len() as u32))?;
    write(&mut c, ptr, &args)
}

fn write_result(mut c: C<'_, '_>, ptr: u32, len: u32) -> R {
    // Read once from the program and once more by the EVM side: Nitro charges both.
    charge_ink(&mut c, HOSTIO_INK + 2 * ink::read_price(len))?;
    let out = read(&c, ptr, len)?;
    c.data_mut().output = out;
    Ok(())
}

/// Free on Nitro: the program stops here.
fn exit_early(_c: C<'_, '_>, status: u32) -> R {
    Err(Error::host(Escape::Exit(status)))
}

// ---------------------------------------------------------------------------------------
// Storage.

fn storage_load_bytes32(mut c: C<'_, '_>, key_ptr: u32, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + 2 * PTR_INK)?;
    require_gas(&mut c, COLD_SLOAD_GAS + ink::STORAGE_REQUIRED_ACCESS_GAS + EVM_API_GAS)?;
    let key = read32(&c, key_ptr)?;
    let st = c.data_mut();
    st.reads = st.reads.saturating_add(1);
    let mut gas = ink::storage_read_gas(st.reads);
    let value = match st.cache.get(&key) {
        Some(slot) => slot.value,
        None => {
            let address = st.msg.address;
            let (value, cold) = st.host.sload(address, key.into()).map_err(fatal)?;
            let value = B256::from(value.to_be_bytes::<32>());
            st.cache.insert(key, Slot { value, known: Some(value), listed: false });
            gas += if cold { COLD_SLOAD_GAS } else { 100 } + EVM_API_GAS;
            value
        }
    };
    charge_gas(&mut c, gas)?;
    write(&mut c, dest, value.as_slice())
}

fn storage_cache_bytes32(mut c: C<'_, '_>, key_ptr: u32, value_ptr: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + 2 * PTR_INK)?;
    require_gas(&mut c, SSTORE_SENTRY_GAS + ink::STORAGE_REQUIRED_ACCESS_GAS)?;
    let key = read32(&c, key_ptr)?;
    let value = read32(&c, value_ptr)?;
    let st = c.data_mut();
    st.writes = st.writes.saturating_add(1);
    let gas = ink::storage_write_gas(st.writes);
    let slot = st.cache.entry(key).or_insert(Slot { value, known: None, listed: false });
    slot.value = value;
    if !slot.listed {
        slot.listed = true;
        st.cache_order.push(key);
    }
    charge_gas(&mut c, gas)
}

/// EIP-2200/2929/3529 SSTORE gas and refund for one slot.
fn sstore_cost(original: U256, current: U256, new: U256, cold: bool) -> (u64, i64) {
    let cold_cost = if cold { 2_100 } else { 0 };
    let mut refund = 0i64;
    let cost = if current == new {
        100
    } else if original == current {
        if original.is_zero() {
            20_000
        } else {
            if new.is_zero() {
                refund += 4_800;
            }
            2_900
        }
    } else {
        if !original.is_zero() {
            if current.is_zero() {
                refund -= 4_800;
            }
            if new.is_zero() {
                refund += 4_800;
            }
        }
        if original == new {
            refund += if original.is_zero() { 19_900 } else { 2_800 };
        }
        100
    };
    (cost + cold_cost, refund)
}

fn storage_flush_cache(mut c: C<'_, '_>, clear: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + EVM_API_INK)?;
    require_gas(&mut c, SSTORE_SENTRY_GAS)?;
    let order = std::mem::take(&mut c.data_mut().cache_order);
    let dirty: Vec<(B256, Slot)> = order
        .into_iter()
        .filter_map(|key| {
            let slot = c.data_mut().cache.get_mut(&key)?;
            slot.listed = false;
            slot.dirty().then_some((key, *slot))
        })
        .collect();
    if !dirty.is_empty() {
        deny_in_static(&c, "storage write")?;
    }
    let address = c.data().msg.address;
    for (key, slot) in dirty {
        let write = c
            .data_mut()
            .host
            .sstore(address, key.into(), U256::from_be_bytes(slot.value.0))
            .map_err(fatal)?;
        let (cost, refund) = sstore_cost(write.original, write.present, write.new, write.is_cold);
        charge_gas(&mut c, cost)?;
        let st = c.data_mut();
        st.refund += refund;
        if let Some(s) = st.cache.get_mut(&key) {
            s.known = Some(slot.value);
        }
    }
    if clear != 0 {
        c.data_mut().cache.clear();
    }
    Ok(())
}

fn transient_load_bytes32(mut c: C<'_, '_>, key_ptr: u32, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + 2 * PTR_INK + EVM_API_INK)?;
    charge_gas(&mut c, 100)?;
    let key = read32(&c, key_ptr)?;
    let address = c.data().msg.address;
    let value = c.data_mut().host.tload(address, key.into());
    write_word(&mut c, dest, value)
}

fn transient_store_bytes32(mut c: C<'_, '_>, key_ptr: u32, value_ptr: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + 2 * PTR_INK + EVM_API_INK)?;
    deny_in_static(&c, "transient storage write")?;
    charge_gas(&mut c, 100)?;
    let key = read32(&c, key_ptr)?;
    let value = read32(&c, value_ptr)?;
    let address = c.data().msg.address;
    c.data_mut().host.tstore(address, key.into(), U256::from_be_bytes(value.0));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Calls and creates.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Delegate,
    Static,
}

#[allow(clippy::too_many_arguments)]
fn do_call(
    c: &mut C<'_, '_>,
    kind: Kind,
    contract_ptr: u32,
    data_ptr: u32,
    data_len: u32,
    value: U256,
    gas: u64,
    ret_len_ptr: u32,
) -> R<u32> {
    // Nitro reads the data from the program, and the EVM side reads it again.
    charge_ink(c, HOSTIO_INK + 3 * PTR_INK + EVM_API_INK + 2 * ink::read_price(data_len))?;
    let left = gas_left(c);
    let target = read_address(c, contract_ptr)?;
    let input = Bytes::from(read(c, data_ptr, data_len)?);
    if kind == Kind::Call && !value.is_zero() && c.data().msg.is_static {
        // The EVM refuses the call (write protection): it fails without costing anything.
        c.data_mut().return_data = Bytes::new();
        write_u32(c, ret_len_ptr, 0)?;
        return Ok(1);
    }
    // The program's cache is not flushed for it: the SDK flushes before calling, as on Nitro.
    let mut cost = access_account(c, target)?;
    if !value.is_zero() {
        cost += 9_000;
        if c.data_mut().host.is_empty(target).map_err(fatal)? {
            cost += 25_000;
        }
    }
    if cost > left {
        // The EVM side cannot pay the call's own cost: the call fails and uses all gas left.
        charge_gas(c, left)?;
        c.data_mut().return_data = Bytes::new();
        write_u32(c, ret_len_ptr, 0)?;
        return Ok(1);
    }
    charge_gas(c, cost)?;
    // EIP-150 as Nitro applies it: the callee gets at most 63/64 of what is left after the
    // call's own cost. With value it also gets the 2,300 stipend, which on Nitro the caller
    // pays for as far as the callee uses it.
    let mut gas_limit = gas.min(left).min((left - cost) * 63 / 64);
    if !value.is_zero() {
        gas_limit += 2_300;
    }
    forward_gas(c, gas_limit)?;
    let st = c.data_mut();
    let msg = &st.msg;
    let (scheme, target_address, caller, value, is_static) = match kind {
        Kind::Call => (CallScheme::Call, target, msg.address, value, msg.is_static),
        Kind::Delegate => {
            (CallScheme::DelegateCall, msg.address, msg.caller, msg.value, msg.is_static)
        }
        Kind::Static => (CallScheme::StaticCall, target, msg.address, U256::ZERO, true),
    };
    let request = CallRequest {
        scheme,
        code_address: target,
        target_address,
        caller,
        value,
        is_static,
        input,
        gas_limit,
    };
    let outcome = st.host.call(request).map_err(fatal)?;
    let ok = outcome.success;
    if ok {
        c.data_mut().refund += outcome.refund;
    }
    return_gas(c, outcome.gas_left)?;
    let len = outcome.output.len() as u32;
    c.data_mut().return_data = outcome.output;
    write_u32(c, ret_len_ptr, len)?;
    Ok(if ok { 0 } else { 1 })
}

fn call_contract(
    mut c: C<'_, '_>,
    contract: u32,
    data: u32,
    data_len: u32,
    value_ptr: u32,
    gas: u64,
    ret_len: u32,
) -> R<u32> {
    let value = U256::from_be_bytes(read32(&c, value_ptr)?.0);
    do_call(&mut c, Kind::Call, contract, data, data_len, value, gas, ret_len)
}

/// `delegate_call_contract` or `static_call_contract`: a call that moves no value, so its
/// import has no value pointer (`call_contract` less one parameter).
fn valueless_call(
    kind: Kind,
) -> impl Fn(C<'_, '_>, u32, u32, u32, u64, u32) -> R<u32> + Send + Sync + 'static {
    move |mut c, contract, data, data_len, gas, ret_len| {
        do_call(&mut c, kind, contract, data, data_len, U256::ZERO, gas, ret_len)
    }
}

fn do_create(
    c: &mut C<'_, '_>,
    code_ptr: u32,
    code_len: u32,
    endowment_ptr: u32,
    salt: Option<U256>,
    contract_ptr: u32,
    revert_len_ptr: u32,
) -> R {
    let pointers = if salt.is_some() { 4 } else { 3 };
    charge_ink(c, HOSTIO_INK + pointers * PTR_INK + EVM_API_INK + 2 * ink::read_price(code_len))?;
    deny_in_static(c, "create")?;
    let code = Bytes::from(read(c, code_ptr, code_len)?);
    let value = U256::from_be_bytes(read32(c, endowment_ptr)?.0);
    // Nitro's create prices: 32,000, plus hashing the code for create2 (no EIP-3860 init-code
    // word cost). Without that much gas the create fails the program.
    let mut cost = 32_000;
    if salt.is_some() {
        cost += 6 * words(u64::from(code_len));
    }
    if gas_left(c) < cost {
        return Err(trap("out of gas for create"));
    }
    charge_gas(c, cost)?;
    let left = gas_left(c);
    let gas_limit = left - left / 64;
    forward_gas(c, gas_limit)?;
    let caller = c.data().msg.address;
    let request = CreateRequest { caller, code, value, salt, gas_limit };
    let outcome = c.data_mut().host.create(request).map_err(fatal)?;
    return_gas(c, outcome.gas_left)?;
    let ok = outcome.success;
    if ok {
        c.data_mut().refund += outcome.refund;
    }
    let address = if ok { outcome.created.unwrap_or_default() } else { Address::ZERO };
    // Nitro hands back revert data of a failed constructor; a success leaves none.
    let data = if outcome.reverted { outcome.output } else { Bytes::new() };
    let len = data.len() as u32;
    c.data_mut().return_data = data;
    write(c, contract_ptr, address.as_slice())?;
    write_u32(c, revert_len_ptr, len)
}

fn create1(
    mut c: C<'_, '_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    contract: u32,
    revert_len: u32,
) -> R {
    do_create(&mut c, code, code_len, endowment, None, contract, revert_len)
}

fn create2(
    mut c: C<'_, '_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt_ptr: u32,
    contract: u32,
    revert_len: u32,
) -> R {
    let salt = U256::from_be_bytes(read32(&c, salt_ptr)?.0);
    do_create(&mut c, code, code_len, endowment, Some(salt), contract, revert_len)
}

fn read_return_data(mut c: C<'_, '_>, dest: u32, offset: u32, size: u32) -> R<u32> {
    // Only the bytes that can be copied are paid for.
    let available = (c.data().return_data.len() as u32).saturating_sub(offset);
    charge_ink(&mut c, HOSTIO_INK + EVM_API_INK + ink::write_price(size.min(available)))?;
    let data = c.data().return_data.clone();
    let start = (offset as usize).min(data.len());
    let end = start.saturating_add(size as usize).min(data.len());
    write(&mut c, dest, &data[start..end])?;
    Ok((end - start) as u32)
}

fn return_data_size(mut c: C<'_, '_>) -> R<u32> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(c.data().return_data.len() as u32)
}

// ---------------------------------------------------------------------------------------
// Logs.

fn emit_log(mut c: C<'_, '_>, data_ptr: u32, len: u32, topics: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + EVM_API_INK)?;
    if topics > 4 || u64::from(len) < u64::from(topics) * 32 {
        return Err(trap(format!("bad log: {topics} topics in {len} bytes")));
    }
    charge_ink(&mut c, ink::read_price(len))?;
    let data_len = u64::from(len) - u64::from(topics) * 32;
    charge_gas(&mut c, 375 + 375 * u64::from(topics) + 8 * data_len)?;
    let bytes = read(&c, data_ptr, len)?;
    deny_in_static(&c, "log")?;
    let (topic_bytes, data) = bytes.split_at(topics as usize * 32);
    let topics = topic_bytes.chunks(32).map(B256::from_slice).collect();
    let address = c.data().msg.address;
    c.data_mut().host.log(address, topics, Bytes::copy_from_slice(data));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Accounts.

/// What every account host I/O does first, in this order: charge its `ink`, require a cold
/// access's gas to be left, read the address at `address_ptr`, then charge the EVM's warm or
/// cold access gas for it plus `extra_gas`.
fn access_account_at(c: &mut C<'_, '_>, ink: u64, address_ptr: u32, extra_gas: u64) -> R<Address> {
    charge_ink(c, ink)?;
    require_gas(c, COLD_ACCOUNT_GAS)?;
    let address = read_address(c, address_ptr)?;
    let cost = access_account(c, address)?;
    charge_gas(c, cost + extra_gas)?;
    Ok(address)
}

fn account_balance(mut c: C<'_, '_>, address_ptr: u32, dest: u32) -> R {
    let address =
        access_account_at(&mut c, HOSTIO_INK + 2 * PTR_INK + EVM_API_INK, address_ptr, 0)?;
    let balance = c.data_mut().host.balance(address).map_err(fatal)?;
    write_word(&mut c, dest, balance)
}

fn code_of(c: &mut C<'_, '_>, address: Address) -> R<Bytes> {
    c.data_mut().host.code(address).map_err(fatal)
}

/// Nitro charges the whole code's copy into the host, whatever slice is asked for.
fn account_code(mut c: C<'_, '_>, address_ptr: u32, offset: u32, size: u32, dest: u32) -> R<u32> {
    let ink = HOSTIO_INK + EVM_API_INK;
    let address = access_account_at(&mut c, ink, address_ptr, ink::EXTCODE_GAS)?;
    let code = code_of(&mut c, address)?;
    charge_ink(&mut c, ink::write_price(code.len() as u32))?;
    let start = (offset as usize).min(code.len());
    let end = start.saturating_add(size as usize).min(code.len());
    write(&mut c, dest, &code[start..end])?;
    Ok((end - start) as u32)
}

fn account_code_size(mut c: C<'_, '_>, address_ptr: u32) -> R<u32> {
    let ink = HOSTIO_INK + EVM_API_INK;
    let address = access_account_at(&mut c, ink, address_ptr, ink::EXTCODE_GAS)?;
    Ok(code_of(&mut c, address)?.len() as u32)
}

fn account_codehash(mut c: C<'_, '_>, address_ptr: u32, dest: u32) -> R {
    let address =
        access_account_at(&mut c, HOSTIO_INK + 2 * PTR_INK + EVM_API_INK, address_ptr, 0)?;
    let hash = c.data_mut().host.code_hash(address).map_err(fatal)?;
    write(&mut c, dest, hash.as_slice())
}

// ---------------------------------------------------------------------------------------
// Gas and ink.

fn evm_gas_left(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(gas_left(&c))
}

fn evm_ink_left(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(ink_left(&c))
}

fn tx_ink_price(mut c: C<'_, '_>) -> R<u32> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(ink::INK_PER_GAS as u32)
}

/// Only the zero-page call (the SDK's way of keeping the import) has a host I/O price; a
/// real grow pays the memory model alone.
fn pay_for_memory_grow(mut c: C<'_, '_>, pages: u32) -> R {
    let pages = pages as u16;
    if pages == 0 {
        return charge_ink(&mut c, HOSTIO_INK);
    }
    let held = c.data().host.pages();
    let Some(gas) = ink::memory_gas(held.open, held.ever, pages) else {
        c.set_fuel(0)?;
        return Err(Error::host(Escape::OutOfInk));
    };
    c.data_mut().spent.memory_gas += gas;
    take_ink(&mut c, ink::gas_to_ink(gas))?;
    let st = c.data_mut();
    st.grown_pages = st.grown_pages.saturating_add(pages);
    let open = held.open.saturating_add(pages);
    st.host.set_pages(Pages { open, ever: held.ever.max(open) });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Block, transaction and message context.

fn block_basefee(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let fee = U256::from(c.data().host.env().basefee);
    write_word(&mut c, dest, fee)
}

fn chainid(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(c.data().host.env().chain_id)
}

fn block_coinbase(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let coinbase = c.data().host.env().coinbase;
    write(&mut c, dest, coinbase.as_slice())
}

fn block_gas_limit(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(c.data().host.env().gas_limit)
}

fn block_number(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(c.data().host.env().number)
}

fn block_timestamp(mut c: C<'_, '_>) -> R<u64> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(c.data().host.env().timestamp)
}

fn contract_address(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let address = c.data().msg.address;
    write(&mut c, dest, address.as_slice())
}

fn msg_reentrant(mut c: C<'_, '_>) -> R<u32> {
    charge_ink(&mut c, HOSTIO_INK)?;
    Ok(u32::from(c.data().msg.reentrant))
}

fn msg_sender(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let sender = c.data().msg.caller;
    write(&mut c, dest, sender.as_slice())
}

fn msg_value(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let value = c.data().msg.value;
    write_word(&mut c, dest, value)
}

fn tx_gas_price(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let price = c.data().host.env().gas_price;
    write_word(&mut c, dest, price)
}

fn tx_origin(mut c: C<'_, '_>, dest: u32) -> R {
    charge_ink(&mut c, HOSTIO_INK + PTR_INK)?;
    let origin = c.data().host.env().origin;
    write(&mut c, dest, origin.as_slice())
}

// ---------------------------------------------------------------------------------------
// Math and hashing, at Nitro's ink prices.

fn math2(c: &mut C<'_, '_>, a_ptr: u32, b_ptr: u32, ink: u64, f: fn(U256, U256) -> U256) -> R {
    charge_ink(c, HOSTIO_INK + 3 * PTR_INK + ink)?;
    let a = U256::from_be_bytes(read32(c, a_ptr)?.0);
    let b = U256::from_be_bytes(read32(c, b_ptr)?.0);
    write_word(c, a_ptr, f(a, b))
}

fn math_div(mut c: C<'_, '_>, a: u32, b: u32) -> R {
    math2(&mut c, a, b, ink::DIV_INK, |a, b| a.checked_div(b).unwrap_or_default())
}

fn math_mod(mut c: C<'_, '_>, a: u32, b: u32) -> R {
    math2(&mut c, a, b, ink::DIV_INK, |a, b| a.checked_rem(b).unwrap_or_default())
}

fn math_pow(mut c: C<'_, '_>, a: u32, b: u32) -> R {
    let exponent = read32(&c, b)?;
    math2(&mut c, a, b, ink::pow_price(&exponent.0), |a, b| a.pow(b))
}

fn math3(
    c: &mut C<'_, '_>,
    a: u32,
    b: u32,
    m: u32,
    ink: u64,
    f: fn(U256, U256, U256) -> U256,
) -> R {
    charge_ink(c, HOSTIO_INK + 4 * PTR_INK + ink)?;
    let x = U256::from_be_bytes(read32(c, a)?.0);
    let y = U256::from_be_bytes(read32(c, b)?.0);
    let n = U256::from_be_bytes(read32(c, m)?.0);
    write_word(c, a, f(x, y, n))
}

fn math_add_mod(mut c: C<'_, '_>, a: u32, b: u32, m: u32) -> R {
    math3(&mut c, a, b, m, ink::ADD_MOD_INK, |x, y, n| x.add_mod(y, n))
}

fn math_mul_mod(mut c: C<'_, '_>, a: u32, b: u32, m: u32) -> R {
    math3(&mut c, a, b, m, ink::MUL_MOD_INK, |x, y, n| x.mul_mod(y, n))
}

fn native_keccak256(mut c: C<'_, '_>, ptr: u32, len: u32, dest: u32) -> R {
    charge_ink(&mut c, ink::keccak_price(len))?;
    let data = read(&c, ptr, len)?;
    let hash = keccak256(data);
    write(&mut c, dest, hash.as_slice())
}

// ---------------------------------------------------------------------------------------
// Debug console (free, as in Nitro's debug mode; output goes to stderr).

fn log_txt(c: C<'_, '_>, ptr: u32, len: u32) -> R {
    let text = read(&c, ptr, len)?;
    eprintln!("stylus {}: {}", c.data().msg.address, String::from_utf8_lossy(&text));
    Ok(())
}

fn log_i32(c: C<'_, '_>, value: i32) -> R {
    eprintln!("stylus {}: {value}", c.data().msg.address);
    Ok(())
}

fn log_i64(c: C<'_, '_>, value: i64) -> R {
    eprintln!("stylus {}: {value}", c.data().msg.address);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sstore_prices_follow_eip2200_and_3529() {
        let z = U256::ZERO;
        let one = U256::from(1);
        let two = U256::from(2);
        assert_eq!(sstore_cost(z, z, one, true), (22_100, 0));
        assert_eq!(sstore_cost(one, one, two, false), (2_900, 0));
        assert_eq!(sstore_cost(one, one, z, false), (2_900, 4_800));
        assert_eq!(sstore_cost(one, one, one, false), (100, 0));
        assert_eq!(sstore_cost(z, one, z, false), (100, 19_900));
        assert_eq!(sstore_cost(one, z, one, false), (100, -4_800 + 2_800));
    }

    #[test]
    fn every_nitro_hostio_is_listed() {
        let vm_hooks = HOSTIOS.iter().filter(|h| h.0 == "vm_hooks").count();
        assert_eq!(vm_hooks, 42);
    }
}
