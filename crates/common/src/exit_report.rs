//! The errors of a malformed exit-report list, declared once for the two contracts that check
//! the lists (the oracle before it accepts an exit report, the staking module before it
//! applies one); the format and its parser are `tidepool_interfaces::exit_report`.

use alloy_primitives::U256;
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use tidepool_interfaces::exit_report::Malformed;

sol! {
    #![sol(abi)]
    /// An exit-report list of `length` bytes is not a whole number of 16-byte entries.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidExitDataLength(uint256 length);
    /// Entry `index` of an exit-report list names operator `nodeOperatorId`, not above the
    /// previous entry's `previousNodeOperatorId`: ids must be strictly ascending.
    #[derive(Debug, PartialEq, Eq)]
    error UnsortedNodeOperatorIds(uint256 index, uint256 nodeOperatorId, uint256 previousNodeOperatorId);
    /// The exit request for operator `nodeOperatorId` asks for no exits.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroExitRequest(uint256 nodeOperatorId);
    /// An exit report asks for `requested` exits; at most `max` are allowed.
    #[derive(Debug, PartialEq, Eq)]
    error TooManyExitRequests(uint256 requested, uint256 max);
}

/// A malformed exit-report list.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`InvalidExitDataLength`].
    InvalidExitDataLength(InvalidExitDataLength),
    /// See [`UnsortedNodeOperatorIds`].
    UnsortedNodeOperatorIds(UnsortedNodeOperatorIds),
    /// See [`ZeroExitRequest`].
    ZeroExitRequest(ZeroExitRequest),
    /// See [`TooManyExitRequests`].
    TooManyExitRequests(TooManyExitRequests),
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        match m {
            Malformed::Length { length } => {
                Self::InvalidExitDataLength(InvalidExitDataLength { length: U256::from(length) })
            }
            Malformed::NotAscending { index, id, previous } => {
                Self::UnsortedNodeOperatorIds(UnsortedNodeOperatorIds {
                    index: U256::from(index),
                    nodeOperatorId: U256::from(id),
                    previousNodeOperatorId: U256::from(previous),
                })
            }
            Malformed::ZeroCount { id } => {
                Self::ZeroExitRequest(ZeroExitRequest { nodeOperatorId: U256::from(id) })
            }
            Malformed::TooMany { requested, max } => {
                Self::TooManyExitRequests(TooManyExitRequests {
                    requested: U256::from(requested),
                    max: U256::from(max),
                })
            }
        }
    }
}
