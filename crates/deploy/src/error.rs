//! What can go wrong talking to a chain, and readable revert reasons.

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{Panic, Revert, SolError, SolInterface};

use tidepool_interfaces::{
    IArbWasm, IDepositGuard, IOracle, IPool, IRateFeed, IStakingModule, IVault, IWithdrawalQueue,
    IWrapped,
};

/// Errors of deployment and of driving a deployed protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node could not be reached or answered with an error other than a revert.
    #[error("RPC: {0}")]
    Rpc(String),
    /// A call or transaction reverted; `reason` is the decoded custom error when known.
    #[error("{what} reverted: {reason}")]
    Reverted {
        /// What was being done.
        what: String,
        /// The raw revert data.
        data: Bytes,
        /// The decoded revert (`decode_revert`).
        reason: String,
    },
    /// A transaction was not mined in time.
    #[error("transaction {hash} was not mined within {seconds} s")]
    NotMined {
        /// The transaction's hash.
        hash: B256,
        /// How long we waited.
        seconds: u64,
    },
    /// Return data did not decode as the ABI says.
    #[error("{what}: answer does not decode: {source}")]
    Decode {
        /// What was being read.
        what: String,
        /// The decoding error.
        source: alloy_sol_types::Error,
    },
    /// `tidepool build` output missing or unreadable.
    #[error("{}: {source} (run `tidepool build` first)", path.display())]
    Artifact {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A deployment record could not be read or written.
    #[error("{}: {message}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A deployment record exists and its contracts are live.
    #[error(
        "{} already records a deployment on chain {chain_id} whose pool {pool} has code; \
         use it, or pass --force to deploy a new protocol and replace the record",
        path.display()
    )]
    AlreadyDeployed {
        /// The record.
        path: PathBuf,
        /// Its chain.
        chain_id: u64,
        /// Its pool.
        pool: Address,
    },
    /// The deployment options are inconsistent.
    #[error("invalid options: {0}")]
    Options(String),
    /// An exit-report list the oracle would refuse (see `tidepool_interfaces::exit_report`).
    #[error("malformed exit-report list: {0:?}")]
    ExitList(tidepool_interfaces::exit_report::Malformed),
    /// A signing key could not be loaded or used.
    #[error("signer: {0}")]
    Signer(String),
    /// Something the chain did that deployment cannot accept.
    #[error("{0}")]
    Unexpected(String),
}

impl Error {
    /// The raw revert data, when this is a revert.
    pub fn revert_data(&self) -> Option<&Bytes> {
        match self {
            Self::Reverted { data, .. } => Some(data),
            _ => None,
        }
    }

    /// The revert decoded as error `E`, when this is a revert with exactly that error.
    pub fn reverted_with<E: SolError>(&self) -> Option<E> {
        self.revert_data().and_then(|d| E::abi_decode(d).ok())
    }
}

/// Strips the enum wrapper from `Variant(Variant { .. })`, leaving `Variant { .. }`.
fn inner(debug: String, name: &str) -> String {
    debug
        .strip_prefix(name)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
        .map(str::to_owned)
        .unwrap_or(debug)
}

macro_rules! try_decode {
    ($data:expr, $($errors:ty),+) => {$(
        if let Some(selector) = $data.get(..4) {
            let selector: [u8; 4] = selector.try_into().unwrap_or_default();
            if let (Some(name), Ok(e)) =
                (<$errors>::name_by_selector(selector), <$errors>::abi_decode($data))
            {
                return inner(format!("{e:?}"), name);
            }
        }
    )+};
}

/// A revert's data as the error it encodes: any Tidepool contract's custom error with its
/// arguments, ArbWasm's errors, `Error(string)` and `Panic(uint256)`; otherwise the hex.
pub fn decode_revert(data: &[u8]) -> String {
    if data.is_empty() {
        return "empty revert data".to_owned();
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return format!("Error({:?})", r.reason);
    }
    if let Ok(p) = Panic::abi_decode(data) {
        return format!("Panic({:#x})", p.code);
    }
    try_decode!(
        data,
        IPool::IPoolErrors,
        IWithdrawalQueue::IWithdrawalQueueErrors,
        IOracle::IOracleErrors,
        IWrapped::IWrappedErrors,
        IRateFeed::IRateFeedErrors,
        IVault::IVaultErrors,
        IStakingModule::IStakingModuleErrors,
        IDepositGuard::IDepositGuardErrors,
        IArbWasm::IArbWasmErrors
    );
    format!("unknown error 0x{}", alloy_primitives::hex::encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn decodes_custom_errors_with_arguments() {
        let data = IOracle::IncorrectCLBalanceIncrease {
            increase: U256::from(5),
            maxIncrease: U256::from(3),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data),
            "IncorrectCLBalanceIncrease { increase: 5, maxIncrease: 3 }"
        );
        assert_eq!(decode_revert(&IPool::ZeroAddress {}.abi_encode()), "ZeroAddress");
        assert_eq!(decode_revert(&Revert::from("nope").abi_encode()), "Error(\"nope\")");
        assert_eq!(decode_revert(&[]), "empty revert data");
        assert_eq!(decode_revert(&[1, 2, 3, 4]), "unknown error 0x01020304");
    }
}
