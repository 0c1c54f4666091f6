//! JSON-RPC errors: codes and messages as geth's and anvil's clients expect them.

use alloy_primitives::hex;
use alloy_sol_types::{Revert, SolError};
use jsonrpsee::types::ErrorObjectOwned;

use crate::chain::ChainError;

/// An error with `code` and `message` and no data.
pub(crate) fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// geth's generic server error (-32000), for requests the node cannot answer.
pub(crate) fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    err(-32000, message)
}

impl From<ChainError> for ErrorObjectOwned {
    fn from(e: ChainError) -> Self {
        match e {
            // geth's convention, which alloy and cast decode: code 3 with the revert data.
            ChainError::Reverted(data) => ErrorObjectOwned::owned(
                3,
                revert_message(&data),
                Some(format!("0x{}", hex::encode(&data))),
            ),
            ChainError::Internal(m) => err(-32603, m),
            other => err(-32000, other.to_string()),
        }
    }
}

/// "execution reverted", plus the reason when the data is `Error(string)`.
fn revert_message(data: &[u8]) -> String {
    match Revert::abi_decode(data) {
        Ok(r) => format!("execution reverted: {}", r.reason),
        Err(_) => "execution reverted".to_string(),
    }
}
