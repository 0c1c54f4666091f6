//! Prints the pool's Solidity interface (`--sol`) or JSON ABI (`--json`): the functions of
//! the pool, this contract and `PoolAdmin`, which integrators all call at the pool's address.
//! Needs `--features export-abi`; `tidepool abi` writes both files to abi/.
fn main() -> std::process::ExitCode {
    tidepool_abi_export::run_merged(
        "Pool",
        &[
            tidepool_abi_export::sdk_abi!(tidepool_pool::Pool),
            tidepool_abi_export::sdk_abi!(tidepool_pool_accounting::PoolAccounting),
            tidepool_abi_export::sdk_abi!(tidepool_pool_admin::PoolAdmin),
        ],
        tidepool_pool::abi_items::items(),
    )
}
