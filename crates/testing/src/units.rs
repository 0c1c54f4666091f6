//! Ether units, and the exact 512-bit reference arithmetic tests check the contracts' rounding
//! against (independent of `tidepool-math`, which the contracts use).

use alloy_primitives::{U256, U512};

/// One ether in wei.
pub const ETH: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
/// One gwei in wei.
pub const GWEI: U256 = U256::from_limbs([1_000_000_000, 0, 0, 0]);

/// `n` ether in wei.
pub fn eth(n: u64) -> U256 {
    U256::from(n) * ETH
}

/// 1e27: the share-rate precision of the pool's report and the queue.
pub fn e27() -> U256 {
    U256::from(10u8).pow(U256::from(27u8))
}

/// `floor(a × b / c)` without intermediate overflow.
///
/// # Panics
/// If `c` is zero (a test failure).
pub fn mul_div(a: U256, b: U256, c: U256) -> U256 {
    narrow(U512::from(a) * U512::from(b) / U512::from(c))
}

/// `ceil(a × b / c)` without intermediate overflow.
///
/// # Panics
/// If `c` is zero (a test failure).
pub fn mul_div_up(a: U256, b: U256, c: U256) -> U256 {
    narrow((U512::from(a) * U512::from(b)).div_ceil(U512::from(c)))
}

/// `x` as 256 bits.
///
/// # Panics
/// If `x` does not fit (a result the contract could not have returned either).
pub fn narrow(x: U512) -> U256 {
    assert!(x >> 256 == U512::ZERO, "{x} does not fit 256 bits");
    U256::from_limbs_slice(&x.as_limbs()[..4])
}
