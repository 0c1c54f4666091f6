//! The frames this member has signed, on disk: a member never signs two different digests for
//! one frame and report kind, across restarts. A signature is written (and synced) here before
//! anyone else sees it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use super::exchange::{Kind, SignedReport};

/// Signed frames kept on disk: enough to cover restarts and a week of daily frames.
const KEEP: usize = 64;

/// Why the store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The member already signed another digest for this frame and kind.
    #[error(
        "already signed {signed} for the {kind} report of reference slot {ref_slot}; refusing \
         to sign {refused} (a member signs one digest per frame)"
    )]
    SecondDigest {
        /// The report kind.
        kind: Kind,
        /// The frame.
        ref_slot: u64,
        /// What was signed before.
        signed: B256,
        /// What was asked now.
        refused: B256,
    },
    /// The file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The member's own signatures, persisted in `<data dir>/signed-frames.json`.
#[derive(Debug)]
pub struct SignedFrames {
    path: PathBuf,
    signed: Vec<SignedReport>,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    signed: Vec<SignedReport>,
}

impl SignedFrames {
    /// Opens (or starts) the store in `dir`.
    ///
    /// # Errors
    /// [`StoreError::Io`] if the directory cannot be made or the file is unreadable or corrupt:
    /// a daemon that cannot remember what it signed must not sign.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("signed-frames.json");
        let io = |message: String| StoreError::Io { path: path.clone(), message };
        std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
        let signed = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<File>(&text).map_err(|e| io(e.to_string()))?.signed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e.to_string())),
        };
        Ok(Self { path, signed })
    }

    /// What this member signed for `kind` at `ref_slot`, if anything.
    pub fn get(&self, kind: Kind, ref_slot: u64) -> Option<&SignedReport> {
        self.signed.iter().find(|s| s.report.kind() == kind && s.report.ref_slot() == ref_slot)
    }

    /// Records `signature` before it is published; returns whether it is new (recording the
    /// same digest again, as after a restart, changes nothing).
    ///
    /// # Errors
    /// [`StoreError::SecondDigest`] if another digest was signed for its frame and kind;
    /// [`StoreError::Io`] if it cannot be made durable (then it must not be published).
    pub fn record(&mut self, signature: &SignedReport) -> Result<bool, StoreError> {
        let (kind, ref_slot) = (signature.report.kind(), signature.report.ref_slot());
        if let Some(before) = self.get(kind, ref_slot) {
            if before.digest == signature.digest {
                return Ok(false);
            }
            return Err(StoreError::SecondDigest {
                kind,
                ref_slot,
                signed: before.digest,
                refused: signature.digest,
            });
        }
        self.signed.push(signature.clone());
        self.signed.sort_by_key(|s| s.report.ref_slot());
        if self.signed.len() > KEEP {
            let drop = self.signed.len() - KEEP;
            self.signed.drain(..drop);
        }
        self.persist()?;
        Ok(true)
    }

    /// Writes a temporary file, syncs it and renames it over the store, so a crash leaves
    /// either the old or the new list, never half of one.
    fn persist(&self) -> Result<(), StoreError> {
        let io = |message: String| StoreError::Io { path: self.path.clone(), message };
        let text = serde_json::to_string_pretty(&File { signed: self.signed.clone() })
            .map_err(|e| io(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(e.to_string()))?;
        f.write_all(text.as_bytes()).map_err(|e| io(e.to_string()))?;
        f.sync_all().map_err(|e| io(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io(e.to_string()))?;
        if let Some(dir) = self.path.parent() {
            // The rename is durable once the directory is synced (ignored where unsupported).
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::exchange::FrameReport;
    use alloy_primitives::{Address, U256};
    use tidepool_deploy::{report::ReportData, PrivateKeySigner};

    fn signed(balance: u64, ref_slot: u64) -> SignedReport {
        let data = ReportData {
            consensusVersion: U256::from(1u8),
            refSlot: U256::from(ref_slot),
            clBalanceGwei: U256::from(balance),
            ..ReportData::default()
        };
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).expect("key");
        SignedReport::sign(FrameReport::Accounting(data), 1, Address::with_last_byte(9), &key)
            .expect("signs")
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tidepool-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_second_digest_for_a_frame_is_refused_after_a_restart_and_the_first_kept() {
        let d = dir("second");
        let mut store = SignedFrames::open(&d).expect("opens");
        let first = signed(32, 31);
        assert!(store.record(&first).expect("first"));
        assert!(!store.record(&first).expect("the same digest again is fine"), "not new");
        drop(store);
        let mut reopened = SignedFrames::open(&d).expect("reopens");
        assert_eq!(reopened.get(Kind::Accounting, 31), Some(&first));
        let e = reopened.record(&signed(33, 31)).expect_err("another digest");
        assert!(matches!(e, StoreError::SecondDigest { ref_slot: 31, .. }), "{e}");
        // Another frame, or the other kind, is free.
        reopened.record(&signed(33, 63)).expect("the next frame");
        assert_eq!(reopened.get(Kind::Exits, 31), None);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn the_store_keeps_the_latest_frames_and_a_corrupt_file_stops_the_daemon() {
        let d = dir("keep");
        let mut store = SignedFrames::open(&d).expect("opens");
        for frame in 0..(KEEP as u64 + 5) {
            store.record(&signed(1, 31 + frame * 32)).expect("records");
        }
        let reopened = SignedFrames::open(&d).expect("reopens");
        assert_eq!(reopened.signed.len(), KEEP);
        assert!(reopened.get(Kind::Accounting, 31).is_none(), "the oldest dropped");
        assert!(reopened.get(Kind::Accounting, 31 + (KEEP as u64 + 4) * 32).is_some());
        std::fs::write(d.join("signed-frames.json"), "{ not json").expect("write");
        assert!(matches!(SignedFrames::open(&d), Err(StoreError::Io { .. })));
        let _ = std::fs::remove_dir_all(&d);
    }
}
