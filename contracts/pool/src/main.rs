//! Prints the pool's Solidity interface (`--sol`) or JSON ABI (`--json`): the functions of
//! its three programs, which integrators all call at the pool's address, each noted with the
//! program serving it. Needs `--features export-abi`; `tidepool abi` writes both files to
//! abi/.
use tidepool_abi_export::sdk_abi;
use tidepool_pool::{
    programs::{PoolAccounting, PoolAdmin},
    Pool,
};
use tidepool_programs::Program;

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run_merged(
        "Pool",
        &[
            sdk_abi!(Pool, Program::Pool.name()),
            sdk_abi!(PoolAccounting, Program::PoolAccounting.name()),
            sdk_abi!(PoolAdmin, Program::PoolAdmin.name()),
        ],
        tidepool_pool::abi_items::items(),
    )
}
