//! Prints the withdrawal queue's Solidity interface (`--sol`) or JSON ABI (`--json`): the
//! functions of its three programs, which integrators all call at the queue's address, each
//! noted with the program serving it, with the pool's and the wrapped token's errors the
//! queue passes on from requests.
//! Needs `--features export-abi`; `tidepool abi` writes both files to abi/.
use tidepool_abi_export::{parameter_structs, sdk_abi};
use tidepool_programs::Program;
use tidepool_withdrawal_queue::{
    programs::{WithdrawalQueueAdmin, WithdrawalQueueLedger},
    WithdrawalQueue,
};

fn main() -> std::process::ExitCode {
    use tidepool_pool::errors as pool;
    tidepool_abi_export::run_merged(
        "WithdrawalQueue",
        &[
            sdk_abi!(WithdrawalQueue, Program::WithdrawalQueue.name()),
            sdk_abi!(WithdrawalQueueLedger, Program::WithdrawalQueueLedger.name()),
            sdk_abi!(WithdrawalQueueAdmin, Program::WithdrawalQueueAdmin.name()),
            parameter_structs!("WithdrawalQueue", tidepool_withdrawal_queue::PermitInput),
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
