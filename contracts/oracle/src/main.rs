//! Prints the oracle's Solidity interface (`--sol`) or JSON ABI (`--json`): the functions of
//! both its programs, which integrators all call at the oracle's address, each noted with
//! the program serving it. Needs `--features export-abi`; `tidepool abi` writes both files
//! to abi/.
use std::fmt;

use stylus_sdk::abi::export::internal::InnerTypes;
use tidepool_abi_export::{sdk_abi, SdkAbi};
use tidepool_oracle::{programs::OracleAdmin, Oracle};
use tidepool_programs::Program;

/// Declares `ReportData`: the SDK's interface printer declares the structs of return types
/// only, and `ReportData` is only ever a parameter.
fn report_data_struct(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for t in <tidepool_oracle::ReportData as InnerTypes>::inner_types() {
        writeln!(f, "{}", t.name)?;
    }
    Ok(())
}

fn nothing(_: &mut fmt::Formatter<'_>) -> fmt::Result {
    Ok(())
}

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run_merged(
        "Oracle",
        &[
            sdk_abi!(Oracle, Program::Oracle.name()),
            sdk_abi!(OracleAdmin, Program::OracleAdmin.name()),
            SdkAbi {
                name: "Oracle",
                fmt_abi: report_data_struct,
                fmt_constructor: nothing,
                program: None,
            },
        ],
        tidepool_oracle::abi_items::items(),
    )
}
