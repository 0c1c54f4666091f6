//! Prints the withdrawal queue's Solidity interface (`--sol`) or JSON ABI (`--json`): the
//! functions of its three programs, which integrators all call at the queue's address, each
//! noted with the program serving it, with the pool's and the wrapped token's errors the
//! queue passes on from requests.
//! Needs `--features export-abi`; `tidepool abi` writes both files to abi/.
use std::fmt;

use stylus_sdk::abi::export::internal::InnerTypes;
use tidepool_abi_export::{sdk_abi, SdkAbi};
use tidepool_programs::Program;
use tidepool_withdrawal_queue::{
    programs::{WithdrawalQueueAdmin, WithdrawalQueueLedger},
    WithdrawalQueue,
};

/// stylus-sdk declares the structs of return types only; `PermitInput` is only ever a
/// parameter, so its declaration (as the SDK's own derive writes it) is added as one more
/// part of the interface.
fn parameter_structs(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for item in <tidepool_withdrawal_queue::PermitInput as InnerTypes>::inner_types() {
        writeln!(f, "\n    {}", item.name)?;
    }
    Ok(())
}

fn no_constructor(_: &mut fmt::Formatter<'_>) -> fmt::Result {
    Ok(())
}

fn main() -> std::process::ExitCode {
    use tidepool_pool::errors as pool;
    tidepool_abi_export::run_merged(
        "WithdrawalQueue",
        &[
            sdk_abi!(WithdrawalQueue, Program::WithdrawalQueue.name()),
            sdk_abi!(WithdrawalQueueLedger, Program::WithdrawalQueueLedger.name()),
            sdk_abi!(WithdrawalQueueAdmin, Program::WithdrawalQueueAdmin.name()),
            SdkAbi {
                name: "WithdrawalQueue",
                fmt_abi: parameter_structs,
                fmt_constructor: no_constructor,
                program: None,
            },
        ],
        tidepool_withdrawal_queue::abi_items::items()
            .error::<pool::ERC20InsufficientAllowance>()
            .error::<pool::InsufficientShares>()
            .error::<pool::ProtocolStopped>()
            .error::<pool::ReentrantCall>()
            // The wrapped token's, from `requestWithdrawalsWrapped` (its
            // `ERC20InsufficientAllowance` is the pool's, listed above).
            .error::<tidepool_common::erc20::ERC20InsufficientBalance>()
            .error::<tidepool_common::permit::ERC2612ExpiredSignature>()
            .error::<tidepool_common::permit::ERC2612InvalidSigner>(),
    )
}
