//! The host functions a Stylus program may import, with their wasm signatures.
//!
//! Every import of a program comes from module [`HOST_MODULE`] (`vm_hooks`) and must name one of
//! [`HOSTIOS`] with exactly the listed signature; Nitro refuses to activate anything else. The
//! table holds Nitro's full list: the 34 host functions stylus-sdk 0.10.10 declares (marked
//! [`HostIo::sdk`]) plus the 8 it does not (`exit_early`, transient storage, the `math_*`
//! helpers). Rust's `usize`, pointers, `bool`, `u8`, `u16` and `u32` all lower to `i32`;
//! `u64` lowers to `i64`.
//!
//! Nitro also links a `console` module (`log_txt`, `log_i32`, …) but only on debug chains,
//! so [`crate::validate`] rejects it like any other module; [`CONSOLE_HOSTIOS`] lists it for
//! a local node that wants to offer debug printing.

use core::fmt;

/// The wasm import module every host function comes from.
pub const HOST_MODULE: &str = "vm_hooks";

/// The import module of Nitro's debug-only printing functions.
pub const CONSOLE_MODULE: &str = "console";

/// A wasm value type that can appear in a host function's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer: pointers, lengths, `bool`, `u8`, `u16`, `u32`.
    I32,
    /// 64-bit integer: gas, ink, block numbers, timestamps, chain id.
    I64,
    /// 32-bit float (debug console only).
    F32,
    /// 64-bit float (debug console only).
    F64,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
        })
    }
}

/// One host function: its import name and wasm signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostIo {
    /// Import name inside [`HOST_MODULE`].
    pub name: &'static str,
    /// Parameter types, in order.
    pub params: &'static [ValType],
    /// Result types (empty or one).
    pub results: &'static [ValType],
    /// Whether stylus-sdk 0.10.10 declares it (so contracts built with the SDK may import it).
    pub sdk: bool,
}

impl HostIo {
    /// The signature in wasm text notation, e.g. `(i32, i32) -> i32`.
    pub fn signature(&self) -> String {
        format_signature(self.params, self.results)
    }
}

/// Formats a signature as `(i32, i64) -> i32`, `() -> ()` when empty.
pub fn format_signature(params: &[ValType], results: &[ValType]) -> String {
    let join = |tys: &[ValType]| tys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", join(params), join(results))
}

use ValType::{F32, F64, I32, I64};

const fn io(
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    sdk: bool,
) -> HostIo {
    HostIo { name, params, results, sdk }
}

/// Every host function Nitro links into module `vm_hooks`, in Nitro's order.
pub const HOSTIOS: [HostIo; 42] = [
    io("read_args", &[I32], &[], true),
    io("write_result", &[I32, I32], &[], true),
    io("exit_early", &[I32], &[], false),
    io("storage_load_bytes32", &[I32, I32], &[], true),
    io("storage_cache_bytes32", &[I32, I32], &[], true),
    io("storage_flush_cache", &[I32], &[], true),
    io("transient_load_bytes32", &[I32, I32], &[], false),
    io("transient_store_bytes32", &[I32, I32], &[], false),
    io("call_contract", &[I32, I32, I32, I32, I64, I32], &[I32], true),
    io("delegate_call_contract", &[I32, I32, I32, I64, I32], &[I32], true),
    io("static_call_contract", &[I32, I32, I32, I64, I32], &[I32], true),
    io("create1", &[I32, I32, I32, I32, I32], &[], true),
    io("create2", &[I32, I32, I32, I32, I32, I32], &[], true),
    io("read_return_data", &[I32, I32, I32], &[I32], true),
    io("return_data_size", &[], &[I32], true),
    io("emit_log", &[I32, I32, I32], &[], true),
    io("account_balance", &[I32, I32], &[], true),
    io("account_code", &[I32, I32, I32, I32], &[I32], true),
    io("account_code_size", &[I32], &[I32], true),
    io("account_codehash", &[I32, I32], &[], true),
    io("evm_gas_left", &[], &[I64], true),
    io("evm_ink_left", &[], &[I64], true),
    io("block_basefee", &[I32], &[], true),
    io("chainid", &[], &[I64], true),
    io("block_coinbase", &[I32], &[], true),
    io("block_gas_limit", &[], &[I64], true),
    io("block_number", &[], &[I64], true),
    io("block_timestamp", &[], &[I64], true),
    io("contract_address", &[I32], &[], true),
    io("math_div", &[I32, I32], &[], false),
    io("math_mod", &[I32, I32], &[], false),
    io("math_pow", &[I32, I32], &[], false),
    io("math_add_mod", &[I32, I32, I32], &[], false),
    io("math_mul_mod", &[I32, I32, I32], &[], false),
    io("msg_reentrant", &[], &[I32], true),
    io("msg_sender", &[I32], &[], true),
    io("msg_value", &[I32], &[], true),
    io("native_keccak256", &[I32, I32, I32], &[], true),
    io("tx_gas_price", &[I32], &[], true),
    io("tx_ink_price", &[], &[I32], true),
    io("tx_origin", &[I32], &[], true),
    io("pay_for_memory_grow", &[I32], &[], true),
];

/// Nitro's debug-only `console` functions (rejected by [`crate::validate`]).
pub const CONSOLE_HOSTIOS: [HostIo; 5] = [
    io("log_txt", &[I32, I32], &[], true),
    io("log_i32", &[I32], &[], true),
    io("log_i64", &[I64], &[], true),
    io("log_f32", &[F32], &[], true),
    io("log_f64", &[F64], &[], true),
];

/// Looks a `vm_hooks` host function up by name.
pub fn hostio(name: &str) -> Option<&'static HostIo> {
    HOSTIOS.iter().find(|h| h.name == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let names: HashSet<_> = HOSTIOS.iter().map(|h| h.name).collect();
        assert_eq!(names.len(), HOSTIOS.len());
    }

    #[test]
    fn sdk_declares_34() {
        assert_eq!(HOSTIOS.iter().filter(|h| h.sdk).count(), 34);
    }

    #[test]
    fn lookup_and_format() {
        let call = hostio("call_contract").expect("listed");
        assert_eq!(call.signature(), "(i32, i32, i32, i32, i64, i32) -> (i32)");
        assert_eq!(hostio("chainid").map(HostIo::signature).as_deref(), Some("() -> (i64)"));
        assert!(hostio("log_txt").is_none());
    }
}
