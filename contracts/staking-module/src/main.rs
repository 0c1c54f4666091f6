//! Prints the staking module's Solidity interface (`--sol`) or JSON ABI (`--json`): the
//! functions of both its programs, which are all called at the module's address, each noted
//! with the program serving it. Needs `--features export-abi`; `tidepool abi` writes both to
//! abi/.
use tidepool_abi_export::sdk_abi;
use tidepool_programs::Program;
use tidepool_staking_module::{programs::StakingModuleRegistry, StakingModule};

fn main() -> std::process::ExitCode {
    tidepool_abi_export::run_merged(
        "StakingModule",
        &[
            sdk_abi!(StakingModule, Program::StakingModule.name()),
            sdk_abi!(StakingModuleRegistry, Program::StakingModuleRegistry.name()),
        ],
        tidepool_staking_module::abi_items::items(),
    )
}
