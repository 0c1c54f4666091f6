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

// Host I/O prices, as Nitro's `arbutil::pricing` defines them (ArbOS 61, Stylus version 2).

/// Base ink of every host I/O that may return something (0.84 gas).
pub const HOSTIO_INK: u64 = 8_400;
/// Extra ink per pointer a host I/O reads or writes a word through (13,440 − 8,400).
pub const PTR_INK: u64 = 13_440 - HOSTIO_INK;
/// Extra ink of a host I/O that asks the EVM side for something (about 6 gas): storage
/// flushes, transient storage, calls, creates, return data, logs and account reads.
pub const EVM_API_INK: u64 = 59_673;
/// Extra ink of `math_div` and `math_mod`.
pub const DIV_INK: u64 = 20_000;
/// Extra ink of `math_mul_mod`.
pub const MUL_MOD_INK: u64 = 24_100;
/// Extra ink of `math_add_mod`.
pub const ADD_MOD_INK: u64 = 21_000;
/// Gas the storage cache must see left before a miss goes to the EVM, on top of the slot's
/// access cost (Nitro's `StorageCache::REQUIRED_ACCESS_GAS`).
pub const STORAGE_REQUIRED_ACCESS_GAS: u64 = 10;
/// Extra gas of reading code through `account_code`/`account_code_size` (EIP-150's
/// `EXTCODESIZE` price, scaled by a max code size of 24,576 that Arbitrum keeps).
pub const EXTCODE_GAS: u64 = 700;

/// Ink of copying `bytes` from the host into the program's memory (Nitro's `write_price`).
pub const fn write_price(bytes: u32) -> u64 {
    5_040 + 30 * (bytes.saturating_sub(32) as u64)
}

/// Ink of copying `bytes` from the program's memory to the host (Nitro's `read_price`).
pub const fn read_price(bytes: u32) -> u64 {
    16_381 + 55 * (bytes.saturating_sub(32) as u64)
}

/// Ink of `native_keccak256` over `bytes`: its base covers the first two words.
pub const fn keccak_price(bytes: u32) -> u64 {
    let words = (bytes as u64).div_ceil(32).saturating_sub(2);
    121_800 + 21_000 * words
}

/// Variable ink of `math_pow`: 17,500 per significant exponent byte, plus one byte's worth.
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let significant = 32 - exponent.iter().take_while(|b| **b == 0).count() as u64;
    3_000 + (significant + 1) * 17_500
}

/// Gas per storage read of one program call, by how many it has made (Nitro's storage cache
/// charges nothing for the first 32, then a little more as they pile up).
pub const fn storage_read_gas(reads: u32) -> u64 {
    match reads {
        0..=32 => 0,
        33..=128 => 2,
        _ => 10,
    }
}

/// Gas per storage write into the cache of one program call, by count.
pub const fn storage_write_gas(writes: u32) -> u64 {
    match writes {
        0..=8 => 0,
        9..=64 => 7,
        _ => 10,
    }
}

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
// Entry prices (ArbOS's Stylus parameters and the formulas over a program's costs) live with
// the cost terms they price, so the build tooling quotes the same figures.
pub use tidepool_activation::costs::{
    cached_entry_gas, entry_gas, init_entry_gas, CACHED_COST_SCALAR, COST_SCALAR_PERCENT,
    INIT_COST_SCALAR, MIN_CACHED_GAS_UNIT, MIN_CACHED_INIT_GAS, MIN_INIT_GAS, MIN_INIT_GAS_UNIT,
};
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

/// Ink of checking and debiting the meter, which Nitro's instrumentation charges once per
/// basic block (`ink_header_cost`).
pub const BLOCK_HEADER_INK: u64 = 2_450;

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
    // Control flow. Nitro meters per basic block and charges each block a header of
    // [`BLOCK_HEADER_INK`]; every block ends at exactly one of the operators below that carry
    // it, so adding the header to them charges the same total.
    price!(c, op(1) => unreachable, nop, block);
    price!(c, op(1 + BLOCK_HEADER_INK) => loop_, else_, end, return_);
    price!(c, op(765 + BLOCK_HEADER_INK) => if_, br, br_if);
    price!(c, op(2_400 + BLOCK_HEADER_INK) => br_table);
    price!(c, op(3_800 + BLOCK_HEADER_INK) => call);
    price!(c, op(13_610 + BLOCK_HEADER_INK) => call_indirect);
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
/// given that at most `ever` pages were held at once before: Nitro's memory model.
///
/// Nothing is charged while the high-water mark stays within [`FREE_PAGES`]; beyond them every
/// newly opened page costs [`PAGE_GAS`], and every new high-water mark adds the difference of
/// Nitro's exponential table ([`PAGE_RAMP`] tuned so that 8 MB costs about 32 million gas).
/// Returns `None` past [`PAGE_LIMIT`], where Nitro's table is exhausted (out of gas).
pub fn memory_gas(open: u16, ever: u16, new: u16) -> Option<u64> {
    let new_open = open.saturating_add(new);
    let new_ever = ever.max(new_open);
    if new_open > PAGE_LIMIT || new_ever > PAGE_LIMIT {
        return None;
    }
    if new_ever <= FREE_PAGES {
        return Some(0);
    }
    let sub_free = |pages: u16| pages.saturating_sub(FREE_PAGES);
    let adding = sub_free(new_open).saturating_sub(sub_free(open));
    let linear = u64::from(adding) * u64::from(PAGE_GAS);
    let expand = u64::from(MEMORY_EXPONENTS[usize::from(new_ever)])
        - u64::from(MEMORY_EXPONENTS[usize::from(ever.min(PAGE_LIMIT))]);
    Some(linear + expand)
}

/// Nitro's `memoryExponents`: the ramp's value at each high-water mark from 0 to 128 pages.
const MEMORY_EXPONENTS: [u32; PAGE_LIMIT as usize + 1] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_prices_scale_to_fuel() {
        let c = operator_costs();
        // (operator, its cost in fuel, the fuel its Nitro ink price scales to)
        for (operator, cost, fuel) in [
            ("i32.add", c.i32_add, 3),
            // 3,800 + the 2,450 block header.
            ("call", c.call, 250),
            ("end", c.end, 98),
            ("br_if", c.br_if, 129),
            ("block", c.block, 0),
            ("local.get", c.local_get, 3),
            ("i64.popcnt", c.i64_popcnt, 240),
            ("call_indirect", c.call_indirect, 255),
            ("f64.add", c.f64_add, 255),
        ] {
            assert_eq!(cost, fuel, "{operator}");
        }
    }

    #[test]
    fn memory_follows_nitros_model() {
        // Free while the high-water mark stays within the free pages.
        assert_eq!(memory_gas(0, 0, 2), Some(0));
        // One page beyond them: the linear price, and the table is still flat (1 → 1).
        assert_eq!(memory_gas(0, 0, 3), Some(1_000));
        assert_eq!(memory_gas(2, 2, 1), Some(1_000));
        // Re-opening pages below the high-water mark pays only the linear part.
        assert_eq!(memory_gas(0, 3, 3), Some(1_000));
        // 0 → 10 pages: 8 linear pages, table 3 − 1.
        assert_eq!(memory_gas(0, 0, 10), Some(8_000 + 2));
        // The whole table: 126 linear pages and 31,873,999 − 1 of ramp.
        assert_eq!(memory_gas(0, 0, 128), Some(126_000 + 31_873_998));
        assert_eq!(memory_gas(1, 1, 128), None);
    }

    #[test]
    fn hostio_prices_match_nitro() {
        assert_eq!(write_price(0), 5_040);
        assert_eq!(write_price(32), 5_040);
        assert_eq!(write_price(1_024), 5_040 + 30 * 992);
        assert_eq!(read_price(33), 16_381 + 55);
        // The first two words of a keccak are in its base.
        assert_eq!(keccak_price(64), 121_800);
        assert_eq!(keccak_price(65), 121_800 + 21_000);
        let mut exponent = [0u8; 32];
        assert_eq!(pow_price(&exponent), 3_000 + 17_500);
        exponent[31] = 2;
        assert_eq!(pow_price(&exponent), 3_000 + 2 * 17_500);
        exponent[0] = 1;
        assert_eq!(pow_price(&exponent), 3_000 + 33 * 17_500);
        assert_eq!((storage_read_gas(32), storage_read_gas(33), storage_read_gas(129)), (0, 2, 10));
        assert_eq!((storage_write_gas(8), storage_write_gas(9), storage_write_gas(65)), (0, 7, 10));
    }

    #[test]
    fn conversions_round_safely() {
        assert_eq!(ink_to_fuel(1), 1);
        assert_eq!(ink_to_fuel(25), 1);
        assert_eq!(ink_to_fuel(26), 2);
        assert_eq!(ink_to_gas(gas_to_ink(7)), 7);
    }
}
