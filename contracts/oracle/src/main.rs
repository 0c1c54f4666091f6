//! Prints the oracle's Solidity interface (`--sol`) or JSON ABI (`--json`): the functions of
//! both its programs, which integrators all call at the oracle's address, each noted with
//! the program serving it. Needs `--features export-abi`; `tidepool abi` writes both files
//! to abi/.
use tidepool_abi_export::{parameter_structs, sdk_abi};
use tidepool_oracle::{programs::OracleAdmin, Oracle};
use tidepool_programs::Program;

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run_merged(
        "Oracle",
        &[
            sdk_abi!(Oracle, Program::Oracle.name()),
            sdk_abi!(OracleAdmin, Program::OracleAdmin.name()),
            parameter_structs!("Oracle", tidepool_oracle::ReportData),
            parameter_structs!("Oracle", tidepool_oracle::ExitReport),
        ],
        tidepool_oracle::abi_items::items(),
    )
}
