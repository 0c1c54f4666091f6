//! Prints the oracle's Solidity interface (`--sol`) or JSON ABI (`--json`): the functions of
//! the oracle and of this contract, which integrators all call at the oracle's address.
//! Needs `--features export-abi`; `tidepool abi` writes both files to abi/.
use std::fmt;

use stylus_sdk::abi::export::internal::InnerTypes;

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
            tidepool_abi_export::sdk_abi!(tidepool_oracle::Oracle),
            tidepool_abi_export::sdk_abi!(tidepool_oracle_admin::OracleAdmin),
            tidepool_abi_export::SdkAbi {
                name: "Oracle",
                fmt_abi: report_data_struct,
                fmt_constructor: nothing,
            },
        ],
        tidepool_oracle::abi_items::items(),
    )
}
