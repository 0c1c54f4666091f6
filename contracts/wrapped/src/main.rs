//! Prints the wrapper's Solidity interface (`--sol`) or JSON ABI (`--json`); needs
//! `--features export-abi`. `tidepool abi` writes both to abi/.
use tidepool_programs::Program;

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run(
        tidepool_abi_export::sdk_abi!(tidepool_wrapped::Wrapped, Program::Wrapped.name()),
        tidepool_wrapped::abi_items::items(),
    )
}
