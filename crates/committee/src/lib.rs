//! What an oracle committee member runs: read the beacon chain, build the frame's report
//! from it and the chain's state, sign it, gather signatures and submit them.
//!
//! - [`beacon`]: the standard beacon-node REST API (or saved JSON files): genesis, the
//!   finalized header, and the protocol's validators at a slot, streamed so a million
//!   validators fit in little memory.
//! - [`report`]: report files and signature files, and the checks between them.
//! - [`daemon`]: `tidepool oracle run`, which does all of it each frame and exchanges
//!   signatures with the other members' daemons.
#![warn(missing_docs)]

pub mod beacon;
pub mod daemon;
pub mod exits;
pub mod report;
