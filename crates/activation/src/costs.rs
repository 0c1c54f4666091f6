//! What a program costs to enter, computed once at activation from the shape of its module,
//! with the coefficients of Nitro's activation (Stylus version 2): Nitro stores `init_cost`
//! and `cached_init_cost` with the program and charges them, scaled, on every call.
//!
//! Each term is floored on its own before the terms are summed, as Nitro does, so these
//! figures are exact rather than close.

use crate::{ActivationError, ModuleInfo};

/// Globals Nitro's instrumentation adds to every module (ink left, ink status, stack depth
/// left, a scratch global for dynamic pricing).
pub const INSTRUMENTATION_GLOBALS: u64 = 4;

/// Minimum entry gas, uncached, in units of [`MIN_INIT_GAS_UNIT`] (ArbWasm `minInitGas()`;
/// 69 since Stylus version 2, which also charges the cached minimum on an uncached entry).
pub const MIN_INIT_GAS: u64 = 69;
/// Minimum entry gas, cached, in units of [`MIN_CACHED_GAS_UNIT`].
pub const MIN_CACHED_INIT_GAS: u64 = 11;
/// Unit of [`MIN_INIT_GAS`].
pub const MIN_INIT_GAS_UNIT: u64 = 128;
/// Unit of [`MIN_CACHED_INIT_GAS`].
pub const MIN_CACHED_GAS_UNIT: u64 = 32;
/// ArbWasm's `initCostScalar` parameter, in units of [`COST_SCALAR_PERCENT`] (50 × 2% = 100%:
/// a program's own init cost is charged in full).
pub const INIT_COST_SCALAR: u64 = 50;
/// ArbWasm's `cachedCostScalar` parameter, in units of [`COST_SCALAR_PERCENT`].
pub const CACHED_COST_SCALAR: u64 = 50;
/// Percent per unit of the cost scalars.
pub const COST_SCALAR_PERCENT: u64 = 2;

/// Gas of entering a cached program: Nitro's `cachedGas`, the cached minimum plus the
/// program's `cached_init_cost` scaled by `cachedCostScalar` (rounded up).
pub const fn cached_entry_gas(cached_init_cost: u16) -> u64 {
    MIN_CACHED_INIT_GAS * MIN_CACHED_GAS_UNIT
        + (cached_init_cost as u64 * CACHED_COST_SCALAR * COST_SCALAR_PERCENT).div_ceil(100)
}

/// What an uncached entry adds: Nitro's `initGas`, the minimum plus the program's
/// `init_cost` scaled by `initCostScalar` (rounded up).
pub const fn init_entry_gas(init_cost: u16) -> u64 {
    MIN_INIT_GAS * MIN_INIT_GAS_UNIT
        + (init_cost as u64 * INIT_COST_SCALAR * COST_SCALAR_PERCENT).div_ceil(100)
}

/// Entry gas of a program call (memory aside): a cached entry pays [`cached_entry_gas`], an
/// uncached one (Stylus version 2) that plus [`init_entry_gas`].
pub const fn entry_gas(init_cost: u16, cached_init_cost: u16, cached: bool) -> u64 {
    let warm = cached_entry_gas(cached_init_cost);
    if cached {
        warm
    } else {
        warm + init_entry_gas(init_cost)
    }
}

/// A program's entry costs, as stored at activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramCosts {
    /// Gas every entry pays on top of the cached minimum (before `cachedCostScalar`).
    pub cached_init_cost: u16,
    /// Gas an uncached entry pays on top of the uncached minimum (before `initCostScalar`).
    pub init_cost: u16,
    /// Nitro's estimate of the compiled program's size in bytes (it prices the data fee).
    pub asm_estimate: u32,
}

impl ProgramCosts {
    /// Gas of a cached entry (memory aside).
    pub const fn cached_entry_gas(&self) -> u64 {
        entry_gas(self.init_cost, self.cached_init_cost, true)
    }

    /// Gas of an uncached entry (memory aside).
    pub const fn uncached_entry_gas(&self) -> u64 {
        entry_gas(self.init_cost, self.cached_init_cost, false)
    }
}

/// `count · numerator / denominator`, floored and saturating: one term of a cost formula.
fn term(count: u64, numerator: u64, denominator: u64) -> u64 {
    count.saturating_mul(numerator) / denominator
}

/// Computes a module's [`ProgramCosts`] from what validation learned about it.
///
/// The inputs are the defined functions, the summed parameter and result counts of their
/// types, the wasm's byte length, its globals (plus [`INSTRUMENTATION_GLOBALS`]), its data
/// segment bytes plus element entries, and its initial memory pages.
///
/// # Errors
/// [`ActivationError::CostTooHigh`] when a cost does not fit Nitro's storage for it (`u16`
/// gas, `u32` bytes); activation fails then.
pub fn program_costs(info: &ModuleInfo) -> Result<ProgramCosts, ActivationError> {
    let funcs = info.functions;
    let wasm_len = info.raw_size as u64;
    let globals = info.globals + INSTRUMENTATION_GLOBALS;
    let data_len = info.data_bytes + info.element_entries;

    let cached_init = [
        term(funcs, 13_420, 100_000),
        term(info.type_len, 89, 100_000),
        term(wasm_len, 122, 100_000),
        term(globals, 1_628, 1_000),
        term(data_len, 75_244, 100_000),
        info.initial_pages.saturating_mul(5),
    ];
    let init = [
        term(funcs, 8_252, 1_000),
        term(info.type_len, 1_059, 1_000),
        term(wasm_len, 1_286, 10_000),
    ];
    let asm_estimate = [
        512_000,
        term(funcs, 996_829, 1_000),
        term(info.type_len, 11_416, 1_000),
        term(wasm_len, 62_628, 10_000),
    ];
    let sum = |terms: &[u64]| terms.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let too_high = |what: &'static str, value: u64| ActivationError::CostTooHigh { what, value };
    let cached_init = sum(&cached_init);
    let init = sum(&init);
    let asm = sum(&asm_estimate);
    Ok(ProgramCosts {
        cached_init_cost: u16::try_from(cached_init)
            .map_err(|_| too_high("cached init cost", cached_init))?,
        init_cost: u16::try_from(init).map_err(|_| too_high("init cost", init))?,
        asm_estimate: u32::try_from(asm).map_err(|_| too_high("asm estimate", asm))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    /// A module whose every count was made by hand: 3 functions of types (i32)->i32,
    /// (i32 i32)->i32 and ()->(), so type_len = 2 + 3 + 0 = 5; 1 global (+4); one data segment
    /// of 4 bytes; 2 initial pages.
    const HAND_COUNTED: &str = r#"(module
        (memory (export "memory") 2 2)
        (global $g (mut i32) (i32.const 7))
        (data (i32.const 0) "DATA")
        (func (export "user_entrypoint") (param i32) (result i32) local.get 0)
        (func $add (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
        (func $nop))"#;

    #[test]
    fn costs_follow_nitro_formula_term_by_term() {
        let wasm = wat::parse_str(HAND_COUNTED).expect("valid wat");
        let info = validate(&wasm).expect("valid program");
        assert_eq!((info.functions, info.type_len, info.globals), (3, 5, 1));
        assert_eq!((info.data_bytes, info.element_entries, info.initial_pages), (4, 0, 2));
        let len = wasm.len() as u64;
        let got = program_costs(&info).expect("fits");
        // cached: 3·0.1342 → 0, 5·0.00089 → 0, len·0.00122 → 0, 5 globals·1.628 → 8,
        // 4 data bytes·0.75244 → 3, 2 pages·5 = 10.
        assert!(len < 800, "len·0.00122 must floor to 0 for this hand count: {len}");
        assert_eq!(got.cached_init_cost, 8 + 3 + 10);
        // init: 3·8.252 → 24, 5·1.059 → 5, len·0.1286 floored.
        assert_eq!(u64::from(got.init_cost), 24 + 5 + len * 1_286 / 10_000);
        assert_eq!(
            u64::from(got.asm_estimate),
            512_000 + 2_990 + 57 + len * 62_628 / 10_000,
            "3·996.829 → 2,990, 5·11.416 → 57"
        );
    }

    #[test]
    fn data_bytes_cost_three_quarters_of_a_gas_each_on_every_call() {
        let module = |bytes: usize| {
            let data = "x".repeat(bytes);
            wat::parse_str(format!(
                r#"(module (memory (export "memory") 1 1) (data (i32.const 0) "{data}")
                   (func (export "user_entrypoint") (param i32) (result i32) local.get 0))"#
            ))
            .expect("valid wat")
        };
        let (small, large) = (module(10), module(10_010));
        let cost = |wasm: &[u8]| program_costs(&validate(wasm).expect("valid")).expect("fits");
        let (lo, hi) = (cost(&small), cost(&large));
        let len_term = |wasm: &[u8], num: u64, den: u64| wasm.len() as u64 * num / den;
        // 10,000 more data bytes: 7,531 − 7 = 7,524 more gas on every entry, beside what the
        // longer wasm adds through its length term.
        let by_length = len_term(&large, 122, 100_000) - len_term(&small, 122, 100_000);
        assert_eq!(u64::from(hi.cached_init_cost - lo.cached_init_cost), 7_524 + by_length);
        // Uncached entries pay for the wasm's length only (about 0.13 gas a byte).
        let uncached = len_term(&large, 1_286, 10_000) - len_term(&small, 1_286, 10_000);
        assert_eq!(u64::from(hi.init_cost - lo.init_cost), uncached);
        assert!((1_286..=1_287).contains(&uncached));
    }

    #[test]
    fn entry_follows_stylus_v2() {
        // The minimums alone: 11 × 32 cached, and 69 × 128 more uncached.
        assert_eq!(entry_gas(0, 0, true), 352);
        assert_eq!(entry_gas(0, 0, false), 352 + 8_832);
        // Costs are charged in full (scalars of 50 × 2%), whatever the other one is.
        assert_eq!(entry_gas(1_000, 2_916, true), 3_268);
        assert_eq!(entry_gas(1_000, 2_916, false), 3_268 + 9_832);
        // The gap between an uncached and a cached entry is exactly `initGas`.
        assert_eq!(entry_gas(77, 5, false) - entry_gas(77, 5, true), init_entry_gas(77));
    }

    #[test]
    fn a_cost_over_u16_fails_activation() {
        let info = ModuleInfo {
            raw_size: 100,
            initial_pages: 1,
            max_pages: None,
            functions: 4_000,
            type_len: 8_000,
            imports: vec![],
            exports: vec![],
            entrypoint: 0,
            globals: 0,
            table_entries: 0,
            data_segments: 1,
            data_bytes: 100_000,
            element_entries: 0,
            max_locals: 0,
            max_function_ops: 0,
        };
        assert_eq!(
            program_costs(&info),
            Err(ActivationError::CostTooHigh {
                what: "cached init cost",
                value: 75_244 + 536 + 7 + 6 + 5
            })
        );
    }
}
