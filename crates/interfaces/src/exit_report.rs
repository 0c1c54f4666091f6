//! The two packed lists of the committee's exit report, as the oracle checks them, the
//! staking module applies them and the committee's tools build them (one parser for all).
//!
//! Each list is a run of 16-byte entries `uint64 nodeOperatorId ‖ uint64 value`, big-endian,
//! operator ids strictly ascending (so an operator appears at most once, checked in one pass
//! with no storage):
//! - `exitRequests`: `value` is how many more of the operator's deposited keys to exit, the
//!   oldest first (keys are deposited in key order, so the next ones in key order); at least 1,
//!   and at most [`MAX_EXIT_REQUESTS_PER_REPORT`] over the whole list;
//! - `exitedCounts`: `value` is the operator's total of exited validators on the beacon chain at
//!   the report's reference slot.
//!
//! Packed bytes rather than `uint256[]` pairs: a quarter of the calldata, and the module reads
//! the entries without an ABI decoder.

use alloc::vec::Vec;

pub use crate::staking_module::MAX_EXIT_REQUESTS_PER_REPORT;

/// Bytes of one entry: two big-endian `uint64`.
pub const ENTRY_LENGTH: usize = 16;

/// One entry: `(nodeOperatorId, value)`.
pub type Entry = (u64, u64);

/// Why a list is refused (the contracts report each as a custom error of the same name in
/// `tidepool_common::exit_report`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// `length` bytes are not a whole number of entries.
    Length { length: usize },
    /// Entry `index` names operator `id`, not above the previous entry's `previous`.
    NotAscending { index: usize, id: u64, previous: u64 },
    /// The exit request for operator `id` asks for no exits.
    ZeroCount { id: u64 },
    /// The exit requests ask for `requested` exits in all, above `max`.
    TooMany { requested: u64, max: u64 },
}

/// The entries of a list, checked for length and ascending ids.
///
/// # Errors
/// [`Malformed::Length`], [`Malformed::NotAscending`].
pub fn entries(data: &[u8]) -> Result<Vec<Entry>, Malformed> {
    if !data.len().is_multiple_of(ENTRY_LENGTH) {
        return Err(Malformed::Length { length: data.len() });
    }
    let mut out: Vec<Entry> = Vec::with_capacity(data.len() / ENTRY_LENGTH);
    for (index, chunk) in data.chunks_exact(ENTRY_LENGTH).enumerate() {
        let (id, value) = chunk.split_at(8);
        let id = u64::from_be_bytes(id.try_into().unwrap_or_default());
        let value = u64::from_be_bytes(value.try_into().unwrap_or_default());
        if let Some(&(previous, _)) = out.last() {
            if id <= previous {
                return Err(Malformed::NotAscending { index, id, previous });
            }
        }
        out.push((id, value));
    }
    Ok(out)
}

/// The entries of an `exitRequests` list and the exits they ask for in all: [`entries`], each
/// count at least 1, at most [`MAX_EXIT_REQUESTS_PER_REPORT`] in all.
///
/// # Errors
/// As [`entries`]; [`Malformed::ZeroCount`], [`Malformed::TooMany`].
pub fn exit_requests(data: &[u8]) -> Result<(Vec<Entry>, u64), Malformed> {
    let list = entries(data)?;
    let mut requested: u64 = 0;
    for &(id, count) in &list {
        if count == 0 {
            return Err(Malformed::ZeroCount { id });
        }
        // Saturating: a sum past u64 is past the maximum all the same.
        requested = requested.saturating_add(count);
    }
    if requested > MAX_EXIT_REQUESTS_PER_REPORT {
        return Err(Malformed::TooMany { requested, max: MAX_EXIT_REQUESTS_PER_REPORT });
    }
    Ok((list, requested))
}

/// The packed bytes of `list` (not checked: see [`entries`] and [`exit_requests`]).
pub fn encode(list: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(list.len() * ENTRY_LENGTH);
    for &(id, value) in list {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&value.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn entries_round_trip_and_refuse_malformed_lists() {
        let list = vec![(0, 3), (2, 1), (7, 96)];
        assert_eq!(entries(&encode(&list)), Ok(list.clone()));
        assert_eq!(exit_requests(&encode(&list)), Ok((list.clone(), 100)));
        assert_eq!(entries(&[]), Ok(vec![]));
        assert_eq!(entries(&[0; 17]), Err(Malformed::Length { length: 17 }));
        assert_eq!(
            entries(&encode(&[(1, 1), (1, 1)])),
            Err(Malformed::NotAscending { index: 1, id: 1, previous: 1 })
        );
        assert_eq!(
            entries(&encode(&[(2, 1), (1, 1)])),
            Err(Malformed::NotAscending { index: 1, id: 1, previous: 2 })
        );
        assert_eq!(exit_requests(&encode(&[(4, 0)])), Err(Malformed::ZeroCount { id: 4 }));
        assert_eq!(
            exit_requests(&encode(&[(0, 100), (1, 1)])),
            Err(Malformed::TooMany { requested: 101, max: 100 })
        );
        assert_eq!(
            exit_requests(&encode(&[(0, u64::MAX), (1, u64::MAX)])),
            Err(Malformed::TooMany { requested: u64::MAX, max: 100 })
        );
        // Exited counts may be zero.
        assert_eq!(entries(&encode(&[(0, 0)])), Ok(vec![(0, 0)]));
    }
}
