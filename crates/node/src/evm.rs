//! revm integration: the context type, the precompile provider that routes calls to Stylus
//! programs and ArbWasm, and a frame runner for calls that a Stylus program makes back into
//! the EVM on the same journal.

use std::{cell::RefCell, rc::Rc};

use revm::{
    context::{BlockEnv, CfgEnv, Context, Evm, Journal, TxEnv},
    context_interface::{ContextTr, JournalTr, LocalContextTr},
    database::{CacheDB, EmptyDB},
    handler::{
        instructions::EthInstructions, EthFrame, EthPrecompiles, EvmTr, FrameResult, ItemOrResult,
        PrecompileProvider,
    },
    interpreter::{
        interpreter::EthInterpreter, interpreter_action::FrameInit, CallInputs, CallScheme,
        FrameInput, InterpreterResult, SharedMemory,
    },
    primitives::{hardfork::SpecId, Address, AddressSet},
};

use crate::{arbwasm, arbwasmcache, program::ProgramCache, stylus};

/// The state database: an in-memory overlay over nothing (the node's whole state).
pub type Db = CacheDB<EmptyDB>;

/// The revm context every transaction runs in.
pub type Ctx = Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>;

/// The top-level EVM type.
pub type TopEvm = Evm<Ctx, (), EthInstructions<EthInterpreter, Ctx>, Precompiles, EthFrame>;

type NestedEvm<'a> =
    Evm<&'a mut Ctx, (), EthInstructions<EthInterpreter, &'a mut Ctx>, Precompiles, EthFrame>;

/// The hardfork the node runs: Arbitrum's current EVM matches Prague.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Per-transaction bookkeeping shared by every frame of one transaction.
#[derive(Debug, Default)]
pub(crate) struct TxFrames {
    /// Open frames, deepest last. Pruned lazily: a new frame at depth `d` proves every
    /// recorded frame at depth >= `d` has returned.
    open: Vec<OpenFrame>,
    /// Pages held by the Stylus programs currently running in this transaction.
    pub open_pages: u16,
    /// Most pages held at once so far in this transaction.
    pub ever_pages: u16,
    /// Programs entered so far in this transaction (their entry counts as cached).
    called: std::collections::HashSet<revm::primitives::B256>,
    /// Where each program frame's gas went, in the order the frames ended.
    pub profile: Vec<crate::stylus::FrameProfile>,
}

impl TxFrames {
    /// Records that `code_hash` ran and tells whether it had already run in this transaction.
    pub(crate) fn note_called(&mut self, code_hash: revm::primitives::B256) -> bool {
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
    fn enter(&mut self, depth: usize, address: Address, delegated: bool) -> bool {
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

/// Precompile provider: Ethereum precompiles, ArbWasm at 0x71, ArbWasmCache at 0x72, and every account whose code
/// starts `EF F0 00` (a Stylus program), which runs in wasmi.
///
/// Cloning is cheap and clones share state, so nested EVMs started by a Stylus program see
/// the same open-frame list and module cache.
#[derive(Clone)]
pub struct Precompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
    pub(crate) programs: ProgramCache,
    pub(crate) frames: Rc<RefCell<TxFrames>>,
}

impl std::fmt::Debug for Precompiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Precompiles").finish_non_exhaustive()
    }
}

impl Precompiles {
    /// Creates a provider for one transaction, sharing the node's compiled-module cache.
    pub fn new(programs: ProgramCache) -> Self {
        let eth = EthPrecompiles::new(SPEC);
        let mut warm = eth.warm_addresses().clone();
        warm.insert(arbwasm::ADDRESS);
        warm.insert(arbwasmcache::ADDRESS);
        Self { eth, warm, programs, frames: Rc::default() }
    }

    fn run_any(
        &mut self,
        ctx: &mut Ctx,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        let depth = ctx.journal().depth();
        let delegated = matches!(inputs.scheme, CallScheme::DelegateCall | CallScheme::CallCode);
        let reentrant = self.frames.borrow_mut().enter(depth, inputs.target_address, delegated);
        if self.eth.contains(&inputs.bytecode_address) {
            return <EthPrecompiles as PrecompileProvider<Ctx>>::run(&mut self.eth, ctx, inputs);
        }
        if inputs.bytecode_address == arbwasm::ADDRESS {
            return arbwasm::run(self, ctx, inputs).map(Some);
        }
        if inputs.bytecode_address == arbwasmcache::ADDRESS {
            return arbwasmcache::run(ctx, inputs).map(Some);
        }
        let code = inputs.known_bytecode.1.original_byte_slice();
        if stylus::is_program(code) {
            let code_hash = inputs.known_bytecode.0;
            return stylus::run(self, ctx, inputs, code_hash, reentrant).map(Some);
        }
        Ok(None)
    }
}

impl PrecompileProvider<Ctx> for Precompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<Ctx>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        context: &mut Ctx,
        inputs: &CallInputs,
    ) -> Result<Option<Self::Output>, String> {
        self.run_any(context, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

impl<'a> PrecompileProvider<&'a mut Ctx> for Precompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<Ctx>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        context: &mut &'a mut Ctx,
        inputs: &CallInputs,
    ) -> Result<Option<Self::Output>, String> {
        self.run_any(context, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

/// Builds the EVM for one transaction over `ctx`.
pub fn build_evm(ctx: Ctx, programs: ProgramCache) -> TopEvm {
    Evm::new(ctx, EthInstructions::new_mainnet_with_spec(SPEC), Precompiles::new(programs))
}

/// Runs a call or create that a Stylus program makes, as a child frame on the same journal.
///
/// The child starts at the current journal depth, so `CALL_STACK_LIMIT` counts Stylus frames
/// too, and its EVM memory is carved out after everything the open EVM frames hold in the
/// shared buffer (revm passes call data between frames through that buffer).
pub(crate) fn run_child(
    ctx: &mut Ctx,
    pre: &Precompiles,
    input: FrameInput,
) -> Result<FrameResult, String> {
    let depth = ctx.journal().depth();
    let mut base = SharedMemory::new_with_buffer(ctx.local.shared_memory_buffer().clone());
    let memory = base.new_child_context();
    let init = FrameInit { depth, memory, frame_input: input };
    let mut evm: NestedEvm<'_> =
        Evm::new(ctx, EthInstructions::new_mainnet_with_spec(SPEC), pre.clone());
    let result = drive(&mut evm, init);
    base.free_child_context();
    result
}

fn drive(evm: &mut NestedEvm<'_>, init: FrameInit) -> Result<FrameResult, String> {
    let first = evm.frame_init(init).map_err(|e| format!("{e:?}"))?;
    if let ItemOrResult::Result(result) = first {
        return Ok(result);
    }
    loop {
        let next = evm.frame_run().map_err(|e| format!("{e:?}"))?;
        let result = match next {
            ItemOrResult::Item(init) => match evm.frame_init(init).map_err(|e| format!("{e:?}"))? {
                ItemOrResult::Item(_) => continue,
                ItemOrResult::Result(result) => result,
            },
            ItemOrResult::Result(result) => result,
        };
        if let Some(result) = evm.frame_return_result(result).map_err(|e| format!("{e:?}"))? {
            return Ok(result);
        }
    }
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
