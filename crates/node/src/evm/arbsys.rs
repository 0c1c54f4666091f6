//! The `ArbSys` precompile at `0x…64`, as far as contracts on this chain read it: the L2
//! block number and the hashes of the last 256 blocks. Stylus has no block-hash host I/O and
//! its `block_number` is Arbitrum's L1 estimate, so a program that must tie a signature to a
//! recent block (the deposit guard) asks ArbSys, as it would on Arbitrum. Other methods
//! revert with no data, as an unknown selector does.

use alloy_sol_types::{sol, SolCall, SolInterface};
use revm::{
    context_interface::{Block, Cfg, ContextTr},
    interpreter::{CallInputs, Host, InterpreterResult},
    primitives::{address, Address, U256},
};

use super::{arbwasm::view_result, context::Ctx};

/// Address of the ArbSys precompile.
pub const ADDRESS: Address = address!("0000000000000000000000000000000000000064");

/// How far back `arbBlockHash` reaches, as on Arbitrum (and the EVM's `BLOCKHASH`).
pub const BLOCK_HASH_WINDOW: u64 = 256;

sol! {
    /// The subset of Nitro's `ArbSys` interface this node implements.
    #[sol(all_derives)]
    interface IArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbBlockHash(uint256 arbBlockNum) external view returns (bytes32);
        function arbChainID() external view returns (uint256);
    }
}

/// Handles one call to ArbSys.
pub(crate) fn run(ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
    use IArbSys::IArbSysCalls as Calls;
    let input = inputs.input.bytes(ctx);
    let current = ctx.block().number().saturating_to::<u64>();
    let answer = match Calls::abi_decode(&input) {
        _ if !inputs.value.get().is_zero() => None,
        Ok(Calls::arbBlockNumber(_)) => {
            Some(IArbSys::arbBlockNumberCall::abi_encode_returns(&U256::from(current)))
        }
        Ok(Calls::arbChainID(_)) => {
            Some(IArbSys::arbChainIDCall::abi_encode_returns(&U256::from(ctx.cfg().chain_id())))
        }
        // Nitro refuses the current block and anything older than 256 blocks.
        Ok(Calls::arbBlockHash(call)) => u64::try_from(call.arbBlockNum)
            .ok()
            .filter(|n| *n < current && current - n <= BLOCK_HASH_WINDOW)
            .and_then(|n| ctx.block_hash(n))
            .map(|hash| IArbSys::arbBlockHashCall::abi_encode_returns(&hash)),
        Err(_) => None,
    };
    view_result(inputs.gas_limit, answer)
}
