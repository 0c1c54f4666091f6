//! Prints the deposit guard's Solidity interface (`--sol`) or JSON ABI (`--json`); needs
//! `--features export-abi`. `tidepool abi` writes both to abi/.
use tidepool_programs::Program;

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run(
        tidepool_abi_export::sdk_abi!(
            tidepool_deposit_guard::DepositGuard,
            Program::DepositGuard.name()
        ),
        tidepool_deposit_guard::abi_items::items(),
    )
}
