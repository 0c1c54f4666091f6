//! Signed messages as a wallet or a committee member builds them: the EIP-712 domain of a
//! contract (from its name and version, or from what EIP-5267's `eip712Domain()` reports) and
//! the typed structs the tokens verify, hashed by alloy's encoder rather than by the
//! contracts' own code, so that tests of that code check it against an independent encoder.

extern crate alloc;

use alloc::borrow::Cow;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, Eip712Domain};

sol! {
    /// EIP-2612's signed approval; the name is part of the type hash.
    #[derive(Debug, PartialEq, Eq)]
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

/// The domain of contract `name` version `version` at `contract` on `chain_id`: the four
/// fields (EIP-5267's `0x0f`) every Tidepool contract signs in, without a salt.
pub fn domain(
    name: impl Into<Cow<'static, str>>,
    version: impl Into<Cow<'static, str>>,
    chain_id: U256,
    contract: Address,
) -> Eip712Domain {
    Eip712Domain::new(Some(name.into()), Some(version.into()), Some(chain_id), Some(contract), None)
}
