//! `tidepool`: the project's command line.
//!
//! Each subcommand lives in its own module with a clap `Args` struct and a `run` function;
//! adding one means a module, a variant of [`Command`] and an arm in [`main`].

mod abi;
mod beacon;
mod bench;
mod build;
mod demo;
mod deploy;
mod depositor;
mod keys;
mod operator;
mod oracle;
mod oracle_run;
mod show;
mod toolchain;
mod up;
mod wasm_opt;
mod web;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build, check and run the Tidepool liquid-staking contracts.
#[derive(Debug, Parser)]
#[command(name = "tidepool", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build every program of the table (crates/programs) to wasm, check it against Nitro's
    /// activation rules and its size budget, compress it into deployable code
    /// (target/wasm/<program>.wasm and .code) and print a size table.
    Build(build::Args),
    /// Write the Solidity interface abi/I<Name>.sol and JSON ABI abi/<Name>.json of every
    /// contract, or with --check verify they are up to date.
    Abi(abi::Args),
    /// Deploy the whole protocol to a Stylus chain and record it in
    /// deployments/<chain-id>.json.
    Deploy(Box<deploy::Args>),
    /// The main job: build, start a local Stylus node, deploy to it, print the addresses
    /// and keep serving.
    Up(up::Args),
    /// Oracle committee tools: status, and building, signing and submitting reports.
    Oracle(oracle::Args),
    /// Node operator tools: list operators and their keys, check a deposit data file and
    /// upload its keys to the staking module, generate deterministic dev keys.
    Operator(operator::Args),
    /// Deposit buffered ETH to validators through the deposit guard, signed by guardian
    /// keys; without --validators, print what could be deposited and the digest to sign.
    Deposit(depositor::Args),
    /// Run the life cycle (stake, report, transfer, withdraw, slash, claim) and print a
    /// table after each step.
    Demo(demo::Args),
    /// Measure gas per operation (cached and uncached program pricing), the scaling curves
    /// and contract sizes on the local node; write them to docs/BENCHMARKS.md.
    Bench(bench::Args),
    /// The local node's simulated beacon chain: status, validators, and faults to inject
    /// (slash, offline, exit).
    Beacon(beacon::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Build(args) => build::run(args),
        Command::Abi(args) => abi::run(args),
        Command::Deploy(args) => deploy::run(args),
        Command::Up(args) => up::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Oracle(args) => oracle::run(args),
        Command::Operator(args) => operator::run(args),
        Command::Deposit(args) => depositor::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Beacon(args) => beacon::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_subcommands() {
        let build = Cli::try_parse_from(["tidepool", "build", "--contract", "vault"]);
        assert!(matches!(
            build.map(|c| c.command),
            Ok(Command::Build(build::Args { contract: Some(name), .. })) if name == "vault"
        ));
        let build = Cli::try_parse_from(["tidepool", "build", "--program", "pool-admin"]);
        assert!(matches!(
            build.map(|c| c.command),
            Ok(Command::Build(build::Args { program: Some(name), .. })) if name == "pool-admin"
        ));
        let both = ["tidepool", "build", "--contract", "pool", "--program", "pool-admin"];
        assert!(Cli::try_parse_from(both).is_err());
        let check = Cli::try_parse_from(["tidepool", "abi", "--check"]);
        assert!(matches!(check.map(|c| c.command), Ok(Command::Abi(abi::Args { check: true }))));
        assert!(Cli::try_parse_from(["tidepool"]).is_err());
    }

    const MODULE: &str = "0x00000000000000000000000000000000000000b0";
    const VAULT: &str = "0x00000000000000000000000000000000000000aa";

    #[test]
    fn parses_operator_keys_add() {
        use operator::{Command as Op, KeysCommand};
        let add = |extra: &[&str]| {
            let base = ["tidepool", "operator", "keys", "add", "--rpc", "http://localhost:8547"];
            let rest = ["--module", MODULE, "--operator", "3", "--deposit-data", "keys.json"];
            let args: Vec<&str> = base.iter().chain(&rest).chain(extra).copied().collect();
            Cli::try_parse_from(args).map(|c| c.command)
        };
        let parsed = add(&["--withdrawal-vault", VAULT, "--private-key", "0x01"]);
        let Ok(Command::Operator(operator::Args {
            command: Op::Keys(KeysCommand::Add { operator, vault, fork_version, compounding, .. }),
        })) = parsed
        else {
            panic!("{parsed:?}");
        };
        assert_eq!(operator, 3);
        assert_eq!(
            vault.withdrawal_vault.map(|a| a.to_string().to_lowercase()),
            Some(VAULT.to_owned())
        );
        assert_eq!(fork_version, tidepool_beacon::ForkVersion::MAINNET);
        assert!(!compounding);
        let parsed = add(&["--pool", VAULT, "--fork-version", "0x10000910", "--compounding"]);
        let Ok(Command::Operator(operator::Args {
            command: Op::Keys(KeysCommand::Add { vault, fork_version, compounding, .. }),
        })) = parsed
        else {
            panic!("{parsed:?}");
        };
        assert!(vault.pool.is_some() && vault.withdrawal_vault.is_none());
        assert_eq!(fork_version.to_string(), "10000910");
        assert!(compounding);
        // The vault comes from at most one source (none: the chain's deployment record); a
        // fork version is 4 bytes.
        assert!(add(&[]).is_ok());
        assert!(add(&["--withdrawal-vault", VAULT, "--pool", VAULT]).is_err());
        assert!(add(&["--deployment", "d.json", "--fork-version", "0x00"]).is_err());
        assert!(add(&["--deployment", "d.json"]).is_ok());
    }

    #[test]
    fn parses_operator_lists_and_generate() {
        use operator::{Command as Op, KeysCommand};
        let list = Cli::try_parse_from([
            "tidepool", "operator", "list", "--rpc", "http://x", "--module", MODULE,
        ]);
        assert!(matches!(
            list.map(|c| c.command),
            Ok(Command::Operator(operator::Args { command: Op::List(_) }))
        ));
        let keys = Cli::try_parse_from([
            "tidepool",
            "operator",
            "keys",
            "list",
            "--rpc",
            "http://x",
            "--module",
            MODULE,
            "--operator",
            "0",
        ]);
        assert!(matches!(
            keys.map(|c| c.command),
            Ok(Command::Operator(operator::Args {
                command: Op::Keys(KeysCommand::List { operator: 0, .. })
            }))
        ));
        assert!(Cli::try_parse_from([
            "tidepool",
            "operator",
            "keys",
            "list",
            "--rpc",
            "http://x",
            "--module",
            "nope",
            "--operator",
            "0"
        ])
        .is_err());
        let generate = Cli::try_parse_from([
            "tidepool",
            "operator",
            "keys",
            "generate",
            "--seed",
            "dev",
            "--count",
            "4",
            "--withdrawal-vault",
            VAULT,
            "--out",
            "keys.json",
        ]);
        assert!(matches!(
            generate.map(|c| c.command),
            Ok(Command::Operator(operator::Args {
                command: Op::Keys(KeysCommand::Generate {
                    count: 4,
                    first: 0,
                    compounding: false,
                    ..
                })
            }))
        ));
        assert!(Cli::try_parse_from([
            "tidepool", "operator", "keys", "generate", "--seed", "dev", "--count", "4", "--out",
            "k.json"
        ])
        .is_err());
    }
}
