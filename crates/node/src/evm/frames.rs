//! Per-transaction bookkeeping shared by every frame of one transaction: Nitro's
//! reentrancy count, the programs already entered, memory pages and each program frame's
//! gas profile.

use std::collections::HashSet;

use revm::primitives::{Address, B256};
use tidepool_stylus_vm::{FrameGas, Pages};

/// One program frame of a transaction and where its gas went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameProfile {
    /// The program's address (its code's, for a delegated frame).
    pub program: Address,
    /// Call depth of the frame.
    pub depth: usize,
    /// The frame's gas by part (entry, memory, wasm, host I/O, EVM work, calls).
    pub gas: FrameGas,
}

/// Per-transaction bookkeeping shared by every frame of one transaction.
#[derive(Debug, Default)]
pub(crate) struct TxFrames {
    /// Open frames, deepest last. Pruned lazily: a new frame at depth `d` proves every
    /// recorded frame at depth >= `d` has returned.
    open: Vec<OpenFrame>,
    /// Memory pages held by the Stylus programs of this transaction.
    pub pages: Pages,
    /// Programs entered so far in this transaction (their entry counts as cached).
    called: HashSet<B256>,
    /// Where each program frame's gas went, in the order the frames ended.
    pub profile: Vec<FrameProfile>,
}

impl TxFrames {
    /// Records that `code_hash` ran and tells whether it had already run in this transaction.
    pub(crate) fn note_called(&mut self, code_hash: B256) -> bool {
        !self.called.insert(code_hash)
    }

    /// Records a frame entered at `depth` that acts for `address` (its storage address) and
    /// tells whether that frame is reentrant in Nitro's sense.
    ///
    /// Nitro counts open frames per acting address, but only frames that were *called*: a
    /// DELEGATECALL or CALLCODE frame acts for its caller's address without adding to that
    /// address's count. A frame is reentrant when the count for its acting address, its own
    /// frame included if it counts, exceeds one. So a proxy's code delegated to once is not
    /// reentrant, but it is once the proxy has been called again further down the stack.
    pub(crate) fn enter(&mut self, depth: usize, address: Address, delegated: bool) -> bool {
        self.open.retain(|f| f.depth < depth);
        let called = self.open.iter().filter(|f| f.called && f.address == address).count();
        self.open.push(OpenFrame { depth, address, called: !delegated });
        called + usize::from(!delegated) > 1
    }
}

/// One frame of the transaction that revm routed through the precompile provider.
#[derive(Debug, Clone, Copy)]
struct OpenFrame {
    depth: usize,
    /// The address whose storage and balance the frame acts on.
    address: Address,
    /// Entered by CALL or STATICCALL (or as the transaction), not by DELEGATECALL/CALLCODE.
    called: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reentrancy_counts_called_frames_per_acting_address() {
        let (proxy, module) = (Address::repeat_byte(0xaa), Address::repeat_byte(0xbb));
        let mut f = TxFrames::default();
        assert!(!f.enter(1, proxy, false), "the transaction's own call");
        assert!(!f.enter(2, proxy, true), "delegated once: still one called frame of proxy");
        assert!(!f.enter(3, module, false), "the module's own address is a different actor");
        assert!(f.enter(4, proxy, false), "proxy called again while its first frame is open");
        assert!(f.enter(5, proxy, true), "delegated under two called frames of proxy");
        // A new frame at depth 2 means every frame at depth 2 or deeper has returned.
        assert!(!f.enter(2, proxy, true));
        assert!(!f.enter(2, module, false));
    }
}
