//! The `ArbOwnerPublic` precompile at `0x…6b`, as far as deploy tools read it: the chain's
//! limit on fragments per Stylus program (cargo-stylus asks before a fragmented deploy).
//! Other methods revert with no data, as an unknown selector does.

use alloy_sol_types::{sol, SolCall, SolInterface};
use revm::{
    interpreter::{CallInputs, InterpreterResult},
    primitives::{address, Address},
};
use tidepool_stylus_vm::program::fragments;

use super::{arbwasm::view_result, context::Ctx};

/// Address of the ArbOwnerPublic precompile.
pub const ADDRESS: Address = address!("000000000000000000000000000000000000006b");

sol! {
    /// The subset of Nitro's `ArbOwnerPublic` interface this node implements.
    #[sol(all_derives)]
    interface IArbOwnerPublic {
        function getMaxStylusContractFragments() external view returns (uint8);
    }
}

/// Handles one call to ArbOwnerPublic.
pub(crate) fn run(ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.bytes(ctx);
    let answer = match IArbOwnerPublic::IArbOwnerPublicCalls::abi_decode(&input) {
        Ok(IArbOwnerPublic::IArbOwnerPublicCalls::getMaxStylusContractFragments(_))
            if inputs.value.get().is_zero() =>
        {
            Some(IArbOwnerPublic::getMaxStylusContractFragmentsCall::abi_encode_returns(
                &fragments::MAX_FRAGMENTS,
            ))
        }
        _ => None,
    };
    view_result(inputs.gas_limit, answer)
}
