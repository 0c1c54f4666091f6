//! Prints the withdrawal queue's Solidity interface (`--sol`) or JSON ABI (`--json`): the
//! functions of the queue, this contract and `WithdrawalQueueAdmin`, which integrators all
//! call at the queue's address, with the pool's errors the queue passes on from requests.
//! Needs `--features export-abi`; `tidepool abi` writes both files to abi/.
fn main() -> std::process::ExitCode {
    use tidepool_pool::errors as pool;
    tidepool_abi_export::run_merged(
        "WithdrawalQueue",
        &[
            tidepool_abi_export::sdk_abi!(tidepool_withdrawal_queue::WithdrawalQueue),
            tidepool_abi_export::sdk_abi!(tidepool_withdrawal_queue_ledger::WithdrawalQueueLedger),
            tidepool_abi_export::sdk_abi!(tidepool_withdrawal_queue_admin::WithdrawalQueueAdmin),
        ],
        tidepool_withdrawal_queue::abi_items::items()
            .error::<pool::ERC20InsufficientAllowance>()
            .error::<pool::InsufficientShares>()
            .error::<pool::ProtocolStopped>()
            .error::<pool::ReentrantCall>()
            .error::<tidepool_common::permit::ERC2612ExpiredSignature>()
            .error::<tidepool_common::permit::ERC2612InvalidSigner>(),
    )
}
