//! Prints the oracle's Solidity interface (`--sol`) or JSON ABI (`--json`); needs
//! `--features export-abi`. `tidepool abi` writes both to abi/.
fn main() -> std::process::ExitCode {
    tidepool_abi_export::run(
        tidepool_abi_export::sdk_abi!(tidepool_oracle::Oracle),
        tidepool_oracle::abi_items::items(),
    )
}
