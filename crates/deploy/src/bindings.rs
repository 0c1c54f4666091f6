//! Rust bindings of the contracts' public ABI, generated from the committed `abi/*.sol` files
//! (which `tidepool abi --check` keeps in step with the contracts), plus the ArbWasm
//! precompile that activates Stylus programs.
#![allow(missing_docs)]

use alloy_sol_types::sol;

sol!(
    #[sol(all_derives)]
    "../../abi/IPool.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IVault.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IWithdrawalQueue.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IOracle.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IWrapped.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IRateFeed.sol"
);

sol! {
    /// Arbitrum's precompile for Stylus programs (`0x…71`): the part deployment needs.
    #[sol(all_derives)]
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }
}

/// The ArbWasm precompile's address.
pub const ARB_WASM: alloy_primitives::Address =
    alloy_primitives::address!("0000000000000000000000000000000000000071");
