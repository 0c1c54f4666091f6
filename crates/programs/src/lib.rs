//! Tidepool's contracts and the Stylus programs they are deployed as: the one table that
//! `tidepool build`, `tidepool abi`, `tidepool deploy`, `tidepool bench` and the tests that
//! load built wasm read.
//!
//! Nitro refuses a program over 24,576 bytes of compressed code, so a contract too big for
//! one program is deployed as several: the first (its *front* program, the address users and
//! integrators call) hands every selector it does not serve to the next by delegatecall, on
//! its own storage. Each contract is one crate, `contracts/<contract>/`, holding the storage,
//! logic, events, errors and tests; each program is a `#[public]` impl in that crate's
//! `src/programs/<program>.rs` and a thin shell crate, `contracts/<contract>/programs/<program>/`,
//! that builds it as a `cdylib`. Moving a function between two programs of a contract is
//! moving a `fn` between two of those files.
//!
//! A program's name is the name of its built files (`target/wasm/<name>.wasm`, `.code`), of
//! its row in the size and gas tables, and of the "served by" notes in `abi/`.
#![warn(missing_docs)]

use core::fmt;

/// Nitro's limit on a program's deployable code (`EF F0 00`, dictionary byte, brotli): the
/// budget of every program that is one part of a split contract (the split exists because
/// of it).
pub const MAX_CODE_SIZE: usize = 24_576;

/// The budget of a small single-program contract (the vault, the rate feed): a third of
/// Nitro's limit, about one and a half times what each needs today, so that code creeping
/// into one of them (a forgotten formatting path, a copied library) fails the build long
/// before it would need splitting.
pub const SMALL_PROGRAM: usize = 8_192;

/// A logical contract: one crate, one ABI, one address users call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contract {
    /// The rebasing token and deposit pool (Lido's stETH role).
    Pool,
    /// An ETH vault only the pool draws from (deployed twice: withdrawals, EL rewards).
    Vault,
    /// The withdrawal queue with ERC-721 tickets (Lido's unstETH role).
    WithdrawalQueue,
    /// The accounting oracle.
    Oracle,
    /// The non-rebasing wrapped token (Lido's wstETH role).
    Wrapped,
    /// The Chainlink-style rate feed.
    RateFeed,
    /// Node operators and their validator keys (Lido's curated staking module role).
    StakingModule,
    /// The guardians' quorum in front of every deposit (Lido's DepositSecurityModule role).
    DepositGuard,
}

/// A deployed Stylus program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Program {
    /// The pool's front program: token, permits, shares, staking.
    Pool,
    /// The pool's oracle-report accounting and deposits.
    PoolAccounting,
    /// The pool's configuration, switches and roles.
    PoolAdmin,
    /// The vault.
    Vault,
    /// The queue's front program: requests and claims.
    WithdrawalQueue,
    /// The queue's finalization, tickets and counters.
    WithdrawalQueueLedger,
    /// The queue's metadata, off-chain views, pausing and roles.
    WithdrawalQueueAdmin,
    /// The oracle's front program: set-up and reports.
    Oracle,
    /// The oracle's committee, frames, limits, roles and views.
    OracleAdmin,
    /// The wrapped token.
    Wrapped,
    /// The rate feed.
    RateFeed,
    /// The staking module's front: deposits, rewards, the summary.
    StakingModule,
    /// The staking module's operators, keys, vetting and roles.
    StakingModuleRegistry,
    /// The deposit guard.
    DepositGuard,
}

/// A row of the table: a contract and its programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractSpec {
    /// Which contract.
    pub contract: Contract,
    /// Its name: the directory under `contracts/` and the `--contract` argument.
    pub name: &'static str,
    /// The crate with its storage, logic and tests.
    pub package: &'static str,
    /// That crate's `export-abi` binary, which prints the contract's ABI merged over its
    /// programs (`abi/I<Name>.sol`, `abi/<Name>.json`).
    pub abi_bin: &'static str,
    /// Its programs, the front program first, then each one its predecessor's fallback
    /// delegates to.
    pub programs: &'static [ProgramSpec],
}

/// A program: the crate that builds it and how big it may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramSpec {
    /// Which program.
    pub program: Program,
    /// Its name (see the crate docs).
    pub name: &'static str,
    /// The crate that builds it as a `cdylib`.
    pub package: &'static str,
    /// That crate's directory, relative to the workspace root.
    pub dir: &'static str,
    /// Most bytes of deployable code it may have; `tidepool build` fails above it.
    pub budget: usize,
    /// The operations that enter it, i.e. who pays its entry price (its data bytes on every
    /// call, its size on every uncached call): the reason it is drawn where it is.
    pub entered_by: &'static str,
}

impl ProgramSpec {
    /// The stem of the `.wasm` file cargo builds: the package's library name.
    pub fn lib_name(&self) -> String {
        self.package.replace('-', "_")
    }
}

const fn program(
    program: Program,
    name: &'static str,
    package: &'static str,
    dir: &'static str,
    budget: usize,
    entered_by: &'static str,
) -> ProgramSpec {
    ProgramSpec { program, name, package, dir, budget, entered_by }
}

/// The table, in deployment-listing order.
pub const CONTRACTS: [ContractSpec; 8] = [
    ContractSpec {
        contract: Contract::Pool,
        name: "pool",
        package: "tidepool-pool",
        abi_bin: "tidepool-pool-abi",
        programs: &[
            program(
                Program::Pool,
                "pool",
                "tidepool-pool-program",
                "contracts/pool/programs/pool",
                MAX_CODE_SIZE,
                "every token call, stake and permit; wraps and requests call it",
            ),
            program(
                Program::PoolAccounting,
                "pool-accounting",
                "tidepool-pool-accounting-program",
                "contracts/pool/programs/pool-accounting",
                MAX_CODE_SIZE,
                "reports and validator deposits",
            ),
            program(
                Program::PoolAdmin,
                "pool-admin",
                "tidepool-pool-admin-program",
                "contracts/pool/programs/pool-admin",
                MAX_CODE_SIZE,
                "configuration, switches and roles; the one-time set-up",
            ),
        ],
    },
    ContractSpec {
        contract: Contract::Vault,
        name: "vault",
        package: "tidepool-vault",
        abi_bin: "tidepool-vault-abi",
        programs: &[program(
            Program::Vault,
            "vault",
            "tidepool-vault-program",
            "contracts/vault/programs/vault",
            SMALL_PROGRAM,
            "reports (the pool draws its ether)",
        )],
    },
    ContractSpec {
        contract: Contract::WithdrawalQueue,
        name: "withdrawal-queue",
        package: "tidepool-withdrawal-queue",
        abi_bin: "tidepool-withdrawal-queue-abi",
        programs: &[
            program(
                Program::WithdrawalQueue,
                "withdrawal-queue",
                "tidepool-withdrawal-queue-program",
                "contracts/withdrawal-queue/programs/withdrawal-queue",
                MAX_CODE_SIZE,
                "requests and claims",
            ),
            program(
                Program::WithdrawalQueueLedger,
                "withdrawal-queue-ledger",
                "tidepool-withdrawal-queue-ledger-program",
                "contracts/withdrawal-queue/programs/withdrawal-queue-ledger",
                MAX_CODE_SIZE,
                "requests, finalization in reports, ticket transfers",
            ),
            program(
                Program::WithdrawalQueueAdmin,
                "withdrawal-queue-admin",
                "tidepool-withdrawal-queue-admin-program",
                "contracts/withdrawal-queue/programs/withdrawal-queue-admin",
                MAX_CODE_SIZE,
                "pausing, roles, surplus sweeps; views read off-chain (hints, statuses, metadata)",
            ),
        ],
    },
    ContractSpec {
        contract: Contract::Oracle,
        name: "oracle",
        package: "tidepool-oracle",
        abi_bin: "tidepool-oracle-abi",
        programs: &[
            program(
                Program::Oracle,
                "oracle",
                "tidepool-oracle-program",
                "contracts/oracle/programs/oracle",
                MAX_CODE_SIZE,
                "accounting reports",
            ),
            program(
                Program::OracleAdmin,
                "oracle-admin",
                "tidepool-oracle-admin-program",
                "contracts/oracle/programs/oracle-admin",
                MAX_CODE_SIZE,
                "exit reports; committee, frame and limit changes; views",
            ),
        ],
    },
    ContractSpec {
        contract: Contract::Wrapped,
        name: "wrapped",
        package: "tidepool-wrapped",
        abi_bin: "tidepool-wrapped-abi",
        programs: &[program(
            Program::Wrapped,
            "wrapped",
            "tidepool-wrapped-program",
            "contracts/wrapped/programs/wrapped",
            MAX_CODE_SIZE,
            "wraps, unwraps, ERC-4626 and its ERC-20",
        )],
    },
    ContractSpec {
        contract: Contract::RateFeed,
        name: "rate-feed",
        package: "tidepool-rate-feed",
        abi_bin: "tidepool-rate-feed-abi",
        programs: &[program(
            Program::RateFeed,
            "rate-feed",
            "tidepool-rate-feed-program",
            "contracts/rate-feed/programs/rate-feed",
            SMALL_PROGRAM,
            "lenders' price reads (views)",
        )],
    },
    ContractSpec {
        contract: Contract::StakingModule,
        name: "staking-module",
        package: "tidepool-staking-module",
        abi_bin: "tidepool-staking-module-abi",
        programs: &[
            program(
                Program::StakingModule,
                "staking-module",
                "tidepool-staking-module-program",
                "contracts/staking-module/programs/staking-module",
                MAX_CODE_SIZE,
                "validator deposits and reports (rewards, exits)",
            ),
            program(
                Program::StakingModuleRegistry,
                "staking-module-registry",
                "tidepool-staking-module-registry-program",
                "contracts/staking-module/programs/staking-module-registry",
                MAX_CODE_SIZE,
                "operator and key management",
            ),
        ],
    },
    ContractSpec {
        contract: Contract::DepositGuard,
        name: "deposit-guard",
        package: "tidepool-deposit-guard",
        abi_bin: "tidepool-deposit-guard-abi",
        programs: &[program(
            Program::DepositGuard,
            "deposit-guard",
            "tidepool-deposit-guard-program",
            "contracts/deposit-guard/programs/deposit-guard",
            MAX_CODE_SIZE,
            "validator deposits and the guardians' pause",
        )],
    },
];

impl Contract {
    /// Every contract, in table order.
    pub const ALL: [Contract; 8] = [
        Contract::Pool,
        Contract::Vault,
        Contract::WithdrawalQueue,
        Contract::Oracle,
        Contract::Wrapped,
        Contract::RateFeed,
        Contract::StakingModule,
        Contract::DepositGuard,
    ];

    /// Its row of the table.
    pub fn spec(self) -> &'static ContractSpec {
        // Every contract has exactly one row (checked by this crate's tests).
        let index = CONTRACTS.iter().position(|c| c.contract == self).unwrap_or_default();
        &CONTRACTS[index]
    }

    /// Its name (the directory under `contracts/`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Its programs, the front program first.
    pub fn programs(self) -> impl Iterator<Item = Program> {
        self.spec().programs.iter().map(|p| p.program)
    }

    /// The contract named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        CONTRACTS.iter().find(|c| c.name == name).map(|c| c.contract)
    }
}

impl Program {
    /// Every program, in table order.
    pub const ALL: [Program; 14] = [
        Program::Pool,
        Program::PoolAccounting,
        Program::PoolAdmin,
        Program::Vault,
        Program::WithdrawalQueue,
        Program::WithdrawalQueueLedger,
        Program::WithdrawalQueueAdmin,
        Program::Oracle,
        Program::OracleAdmin,
        Program::Wrapped,
        Program::RateFeed,
        Program::StakingModule,
        Program::StakingModuleRegistry,
        Program::DepositGuard,
    ];

    /// Its row of the table, and its contract's.
    fn row(self) -> (&'static ContractSpec, &'static ProgramSpec) {
        CONTRACTS
            .iter()
            .flat_map(|c| c.programs.iter().map(move |p| (c, p)))
            .find(|(_, p)| p.program == self)
            // Every program has exactly one row (checked by this crate's tests).
            .unwrap_or((&CONTRACTS[0], &CONTRACTS[0].programs[0]))
    }

    /// Its row of the table.
    pub fn spec(self) -> &'static ProgramSpec {
        self.row().1
    }

    /// Its name (see the crate docs).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The contract it serves.
    pub fn contract(self) -> Contract {
        self.row().0.contract
    }

    /// The program named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Its deployable code's file name, `<name>.code`, as `tidepool build` writes it.
    pub fn code_file(self) -> String {
        format!("{}.code", self.name())
    }

    /// Its wasm's file name, `<name>.wasm`, as `tidepool build` writes it.
    pub fn wasm_file(self) -> String {
        format!("{}.wasm", self.name())
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_contract_and_program_has_exactly_one_row() {
        let contracts: Vec<Contract> = CONTRACTS.iter().map(|c| c.contract).collect();
        assert_eq!(contracts, Contract::ALL, "one row per contract, in ALL's order");
        let programs: Vec<Program> =
            CONTRACTS.iter().flat_map(|c| c.programs).map(|p| p.program).collect();
        assert_eq!(programs, Program::ALL, "one row per program, in ALL's order");
        for p in Program::ALL {
            assert_eq!(p.spec().program, p);
            assert_eq!(Program::from_name(p.name()), Some(p));
            assert!(p.contract().programs().any(|q| q == p));
        }
        for c in Contract::ALL {
            assert_eq!(c.spec().contract, c);
            assert_eq!(Contract::from_name(c.name()), Some(c));
            assert!(c.programs().next().is_some(), "{c} has no program");
        }
    }

    #[test]
    fn names_packages_and_directories_are_distinct() {
        let specs: Vec<&ProgramSpec> = CONTRACTS.iter().flat_map(|c| c.programs).collect();
        for field in
            [|p: &ProgramSpec| p.name, |p: &ProgramSpec| p.package, |p: &ProgramSpec| p.dir]
        {
            let distinct: BTreeSet<&str> = specs.iter().map(|p| field(p)).collect();
            assert_eq!(distinct.len(), specs.len());
        }
        for p in specs {
            assert!(p.budget <= MAX_CODE_SIZE, "{}: a budget above Nitro's limit", p.name);
        }
    }

    /// The workspace root, from this crate's directory.
    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// `name = "..."` of the `[package]` in `manifest`.
    fn package_name(manifest: &str) -> Option<&str> {
        let package = manifest.split("[package]").nth(1)?;
        let line = package.lines().find(|l| l.trim_start().starts_with("name"))?;
        line.split('"').nth(1)
    }

    #[test]
    fn every_row_has_its_crate_and_every_program_crate_a_row() {
        for p in CONTRACTS.iter().flat_map(|c| c.programs) {
            let path = root().join(p.dir).join("Cargo.toml");
            let manifest = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{}: no crate for program {} ({e})", path.display(), p.name)
            });
            assert_eq!(package_name(&manifest), Some(p.package), "{}", path.display());
        }
        let listed: BTreeSet<String> =
            CONTRACTS.iter().flat_map(|c| c.programs).map(|p| p.dir.to_string()).collect();
        let contracts = std::fs::read_dir(root().join("contracts")).expect("contracts/");
        for contract in contracts {
            let contract = contract.expect("entry").file_name().to_string_lossy().into_owned();
            let Ok(programs) =
                std::fs::read_dir(root().join("contracts").join(&contract).join("programs"))
            else {
                continue;
            };
            for program in programs {
                let program = program.expect("entry").file_name().to_string_lossy().into_owned();
                let dir = format!("contracts/{contract}/programs/{program}");
                assert!(
                    listed.contains(&dir),
                    "{dir} builds a program the table (crates/programs) does not list"
                );
            }
        }
    }
}
