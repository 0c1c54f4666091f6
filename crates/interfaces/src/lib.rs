//! Tidepool's contracts as their callers see them.
//!
//! One `sol!` interface per contract, generated from the committed `abi/I<Name>.sol` files.
//! Those files are themselves generated from the contracts' Rust source and checked in CI
//! (`tidepool abi --check`), so a caller's view of a contract cannot drift from the contract:
//! a renamed function or a changed parameter is a compile error here, not a wrong selector on
//! chain. Deploy, the committee's tools, the CLI and every test that talks to a deployed
//! contract use these types; nobody redeclares a callee's interface.
//!
//! Also here: each contract's role ids ([`roles`]) and the part of Arbitrum's `ArbWasm`
//! precompile ([`IArbWasm`]), which deployment calls and the local node implements.
#![no_std]
#![allow(missing_docs)] // the sol! items carry the interfaces' own names

extern crate alloc;

use alloy_sol_types::sol;

pub mod eip712;

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
// With `serde`, the oracle's types (`ReportData` above all) serialise with their ABI field
// names, so report files and RPC payloads need no mirror struct.
#[cfg(feature = "serde")]
sol!(
    #[sol(all_derives, extra_derives(serde::Serialize, serde::Deserialize))]
    "../../abi/IOracle.sol"
);
#[cfg(not(feature = "serde"))]
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
sol!(
    #[sol(all_derives)]
    "../../abi/IStakingModule.sol"
);
sol!(
    #[sol(all_derives)]
    "../../abi/IDepositGuard.sol"
);

sol! {
    /// Arbitrum's precompile for Stylus programs (`0x…71`), as far as the local node
    /// implements it; deployment uses `activateProgram` and the version views.
    #[sol(all_derives)]
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function inkPrice() external view returns (uint32 price);
        function maxStackDepth() external view returns (uint32 depth);
        function freePages() external view returns (uint16 pages);
        function pageGas() external view returns (uint16 gas);
        function pageRamp() external view returns (uint64 ramp);
        function pageLimit() external view returns (uint16 limit);
        function minInitGas() external view returns (uint64 gas, uint64 cached);
        function initCostScalar() external view returns (uint64 percent);
        function expiryDays() external view returns (uint16 _days);
        function keepaliveDays() external view returns (uint16 _days);
        function blockCacheSize() external view returns (uint16 count);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function codehashKeepalive(bytes32 codehash) external payable;
        function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function programTimeLeft(address program) external view returns (uint64 _secs);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
        event ProgramLifetimeExtended(bytes32 indexed codehash, uint256 dataFee);

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

/// The staking module's call-size limits, which its tooling must respect too.
pub mod staking_module {
    /// Most keys one `addSigningKeys` or `removeSigningKeys` call may carry: each added key
    /// writes six fresh slots (about 135,000 gas), so 50 keep a batch near 7 million gas,
    /// well inside a block.
    pub const MAX_KEYS_PER_BATCH: u64 = 50;
    /// Most keys one `deposit` call may fund: allocation costs deposits × operators steps and
    /// each beacon deposit about 41,500 gas, so 100 keep a deposit near 4.5 million gas.
    pub const MAX_DEPOSITS_PER_CALL: u64 = 100;
    /// Most validators one exit report may ask to exit. The module emits one
    /// `ValidatorExitRequested` per key (two storage reads and a log with the public key,
    /// about 7,000 gas), so 100 keep the module's part near 0.7 million gas next to the
    /// signature checks; and 100 validators (3,200 ETH) a day is far above what the queue of
    /// a protocol this size needs, while a committee that asked for a wrong list can do no more
    /// than 100 needless exits before the next frame.
    pub const MAX_EXIT_REQUESTS_PER_REPORT: u64 = 100;
}

/// The withdrawal queue's limits, which the oracle's tooling must respect too.
pub mod withdrawal_queue {
    /// Most batches one report may finalize (Lido's `MAX_BATCHES_LENGTH`). `prefinalize` runs
    /// once in the oracle's checks and once in the pool's report, each batch two storage
    /// reads and a 512-bit division (about 24,000 gas per batch and run with today's
    /// bit-by-bit division: `docs/BENCHMARKS.md` measures 36 batches at 2.15 million gas
    /// for the whole report against 0.50 million for one), so 36 bound a report far below a
    /// block whatever the queue holds. `calculateFinalizationBatches` stops at this many, and
    /// requests of one report period share a batch, so a report finalizes at least 36 report
    /// periods' requests (as far as the ETH goes).
    pub const MAX_FINALIZATION_BATCHES: usize = 36;
}

pub mod exit_report;

/// Role ids: `keccak256` of the role's name, as OpenZeppelin's `AccessControl` (and Lido)
/// define them; `DEFAULT_ADMIN_ROLE` is zero and administers every other role.
pub mod roles {
    use alloy_primitives::B256;

    /// `keccak256(name)`, at compile time.
    pub const fn id(name: &[u8]) -> B256 {
        B256::new(keccak_const::Keccak256::new().update(name).finalize())
    }

    /// Every contract's admin role: grants and revokes all the others.
    pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;

    /// The pool's roles.
    pub mod pool {
        use super::{id, B256};

        /// May pause staking.
        pub const STAKING_PAUSE_ROLE: B256 = id(b"STAKING_PAUSE_ROLE");
        /// May resume staking and set or remove the stake limit.
        pub const STAKING_CONTROL_ROLE: B256 = id(b"STAKING_CONTROL_ROLE");
        /// May stop the whole protocol.
        pub const PAUSE_ROLE: B256 = id(b"PAUSE_ROLE");
        /// May resume the whole protocol.
        pub const RESUME_ROLE: B256 = id(b"RESUME_ROLE");
        /// May send buffered ETH to the staking module.
        pub const DEPOSIT_ROLE: B256 = id(b"DEPOSIT_ROLE");
        /// May set the fee, its split and the positive-rebase cap.
        pub const FEE_MANAGER_ROLE: B256 = id(b"FEE_MANAGER_ROLE");
    }

    /// The staking module's roles.
    pub mod staking_module {
        use super::{id, B256};

        /// May add operators, rename them, change their reward and manager addresses, and
        /// activate and deactivate them.
        pub const MANAGE_NODE_OPERATOR_ROLE: B256 = id(b"MANAGE_NODE_OPERATOR_ROLE");
        /// May set how many of an operator's keys are vetted for deposits.
        pub const SET_VETTED_KEYS_ROLE: B256 = id(b"SET_VETTED_KEYS_ROLE");
        /// May apply the committee's exit report: request validator exits and record exited
        /// counts (the oracle holds it).
        pub const REPORT_EXITS_ROLE: B256 = id(b"REPORT_EXITS_ROLE");
    }

    /// The withdrawal queue's roles.
    pub mod withdrawal_queue {
        use super::{id, B256};

        /// May pause requests and finalization.
        pub const PAUSE_ROLE: B256 = id(b"PAUSE_ROLE");
        /// May resume the queue.
        pub const RESUME_ROLE: B256 = id(b"RESUME_ROLE");
        /// May send the queue's surplus ETH (above what finalized requests can claim) back
        /// to the pool's buffer (`sweepSurplus`).
        pub const SWEEP_SURPLUS_ROLE: B256 = id(b"SWEEP_SURPLUS_ROLE");
    }

    /// The oracle's roles.
    pub mod oracle {
        use super::{id, B256};

        /// Adds and removes members, sets the quorum.
        pub const MANAGE_MEMBERS_AND_QUORUM_ROLE: B256 = id(b"MANAGE_MEMBERS_AND_QUORUM_ROLE");
        /// Changes the frame length.
        pub const MANAGE_FRAME_CONFIG_ROLE: B256 = id(b"MANAGE_FRAME_CONFIG_ROLE");
        /// Changes the consensus version reports must carry.
        pub const MANAGE_CONSENSUS_VERSION_ROLE: B256 = id(b"MANAGE_CONSENSUS_VERSION_ROLE");
        /// Changes the sanity limits.
        pub const MANAGE_LIMITS_ROLE: B256 = id(b"MANAGE_LIMITS_ROLE");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;
    use alloy_sol_types::SolCall;

    #[test]
    fn role_ids_are_the_keccak_of_their_names() {
        assert_eq!(roles::pool::DEPOSIT_ROLE, keccak256("DEPOSIT_ROLE"));
        assert_eq!(roles::pool::FEE_MANAGER_ROLE, keccak256("FEE_MANAGER_ROLE"));
        assert_eq!(roles::staking_module::REPORT_EXITS_ROLE, keccak256("REPORT_EXITS_ROLE"));
        assert_eq!(roles::withdrawal_queue::PAUSE_ROLE, keccak256("PAUSE_ROLE"));
        assert_eq!(roles::withdrawal_queue::SWEEP_SURPLUS_ROLE, keccak256("SWEEP_SURPLUS_ROLE"));
        assert_eq!(
            roles::oracle::MANAGE_MEMBERS_AND_QUORUM_ROLE,
            keccak256("MANAGE_MEMBERS_AND_QUORUM_ROLE")
        );
    }

    #[test]
    fn interfaces_carry_the_selectors_integrators_know() {
        // Lido's stETH and withdrawal queue selectors: the names and types are the same.
        assert_eq!(IPool::submitCall::SELECTOR, [0xa1, 0x90, 0x3e, 0xab]);
        assert_eq!(IPool::sharesOfCall::SELECTOR, [0xf5, 0xeb, 0x42, 0xdc]);
        assert_eq!(IWithdrawalQueue::requestWithdrawalsCall::SELECTOR, [0xd6, 0x68, 0x10, 0x42]);
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    extern crate std;

    #[test]
    fn report_data_serialises_with_its_abi_field_names() {
        let data = crate::IOracle::ReportData::default();
        let json = serde_json::to_string(&data).expect("json");
        assert!(json.contains("\"refSlot\":\"0x0\""), "{json}");
    }
}
