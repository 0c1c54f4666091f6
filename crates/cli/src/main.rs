//! `tidepool`: the project's command line.
//!
//! Each subcommand lives in its own module with a clap `Args` struct and a `run` function;
//! adding one means a module, a variant of [`Command`] and an arm in [`main`].

mod abi;
mod bench;
mod build;
mod demo;
mod deploy;
mod keys;
mod oracle;
mod show;
mod toolchain;
mod up;
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
    /// Run the life cycle (stake, report, transfer, withdraw, slash, claim) and print a
    /// table after each step.
    Demo(demo::Args),
    /// Measure gas per operation (cached and uncached program pricing), the scaling curves
    /// and contract sizes on the local node; write them to docs/BENCHMARKS.md.
    Bench(bench::Args),
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
        Command::Bench(args) => bench::run(args),
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
}
