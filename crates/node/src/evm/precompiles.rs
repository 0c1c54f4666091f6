//! revm's precompile provider: Ethereum precompiles (Prague's, plus Arbitrum's P256
//! verification at `0x100`), ArbWasm at `0x71`, ArbWasmCache at `0x72`, and every account
//! whose code starts `EF F0 00` (a Stylus program), which runs in the Stylus VM. Also the
//! EVMs themselves: the transaction's, and the nested one a program's call or create runs in,
//! on the same journal.

use std::{cell::RefCell, rc::Rc, sync::OnceLock};

use revm::{
    context::Evm,
    context_interface::{ContextTr, JournalTr, LocalContextTr},
    handler::{
        instructions::EthInstructions, EthFrame, EthPrecompiles, EvmTr, FrameResult, ItemOrResult,
        PrecompileProvider,
    },
    inspector::handler::{frame_end, frame_start},
    interpreter::{
        interpreter::EthInterpreter, interpreter_action::FrameInit, CallInputs, CallScheme,
        FrameInput, InterpreterResult, SharedMemory,
    },
    precompile::{secp256r1, PrecompileSpecId, Precompiles as PrecompileSet},
    primitives::{hardfork::SpecId, AddressSet},
};
use tidepool_stylus_vm::program::{self, ProgramCache};

use super::{
    arbownerpublic, arbsys, arbwasm, arbwasmcache, cachemanager,
    context::{Ctx, SPEC},
    frames::TxFrames,
    host::ChildFrames,
    stylus::{self, Programs},
    tracer::{CallTracer, TraceHook},
};

/// The top-level EVM type.
pub type TopEvm = Evm<Ctx, (), EthInstructions<EthInterpreter, Ctx>, Precompiles, EthFrame>;

/// The EVM of a traced transaction (`debug_traceTransaction`): [`TopEvm`] reporting every
/// frame to a [`CallTracer`].
pub type TracedEvm =
    Evm<Ctx, TraceHook, EthInstructions<EthInterpreter, Ctx>, Precompiles, EthFrame>;

type NestedEvm<'a> =
    Evm<&'a mut Ctx, (), EthInstructions<EthInterpreter, &'a mut Ctx>, Precompiles, EthFrame>;

/// Prague's precompiles plus P256 verification (RIP-7212) at `0x100` at its original price
/// (3,450 gas), which Arbitrum has had since ArbOS 30 (Ethereum's Osaka version costs 6,900).
fn ethereum_precompiles() -> &'static PrecompileSet {
    static SET: OnceLock<PrecompileSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = PrecompileSet::new(PrecompileSpecId::from_spec_id(SPEC)).clone();
        set.extend([secp256r1::P256VERIFY]);
        set
    })
}

/// Precompile provider: Ethereum precompiles, ArbWasm at 0x71, ArbWasmCache at 0x72, and
/// every account whose code starts `EF F0 00` (a Stylus program), which runs in wasmi.
///
/// Cloning is cheap and clones share state, so nested EVMs started by a Stylus program see
/// the same open-frame list and module cache.
#[derive(Clone)]
pub struct Precompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
    programs: ProgramCache,
    pub(crate) frames: Rc<RefCell<TxFrames>>,
    /// The tracer of a traced transaction, handed to the nested EVMs programs start.
    trace: TraceHook,
}

impl std::fmt::Debug for Precompiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Precompiles").finish_non_exhaustive()
    }
}

impl Precompiles {
    /// Creates a provider for one transaction, sharing the node's compiled-module cache.
    pub fn new(programs: ProgramCache) -> Self {
        let eth = EthPrecompiles { precompiles: ethereum_precompiles(), spec: SPEC };
        let mut warm = eth.warm_addresses().clone();
        warm.insert(arbwasm::ADDRESS);
        warm.insert(arbwasmcache::ADDRESS);
        warm.insert(arbownerpublic::ADDRESS);
        warm.insert(arbsys::ADDRESS);
        warm.insert(cachemanager::ADDRESS);
        Self { eth, warm, programs, frames: Rc::default(), trace: TraceHook::default() }
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
            return arbwasm::run(&self.programs, ctx, inputs).map(Some);
        }
        if inputs.bytecode_address == arbwasmcache::ADDRESS {
            return arbwasmcache::run(ctx, inputs).map(Some);
        }
        if inputs.bytecode_address == arbownerpublic::ADDRESS {
            return Ok(Some(arbownerpublic::run(ctx, inputs)));
        }
        if inputs.bytecode_address == arbsys::ADDRESS {
            return Ok(Some(arbsys::run(ctx, inputs)));
        }
        if inputs.bytecode_address == cachemanager::ADDRESS {
            return cachemanager::run(ctx, inputs).map(Some);
        }
        let code = inputs.known_bytecode.1.original_byte_slice();
        if program::is_program_code(code) {
            let code_hash = inputs.known_bytecode.0;
            let programs =
                Programs { cache: &self.programs, frames: &self.frames, children: &*self };
            return stylus::run(programs, ctx, inputs, code_hash, reentrant).map(Some);
        }
        Ok(None)
    }
}

impl ChildFrames for Precompiles {
    /// Runs a call or create that a Stylus program makes, as a child frame on the same
    /// journal.
    ///
    /// The child starts at the current journal depth, so `CALL_STACK_LIMIT` counts Stylus
    /// frames too, and its EVM memory is carved out after everything the open EVM frames
    /// hold in the shared buffer (revm passes call data between frames through that buffer).
    fn run_child(&self, ctx: &mut Ctx, input: FrameInput) -> Result<FrameResult, String> {
        let depth = ctx.journal().depth();
        let mut base = SharedMemory::new_with_buffer(ctx.local.shared_memory_buffer().clone());
        let memory = base.new_child_context();
        let init = FrameInit { depth, memory, frame_input: input };
        let mut evm: NestedEvm<'_> =
            Evm::new(ctx, EthInstructions::new_mainnet_with_spec(SPEC), self.clone());
        let result = drive(&mut evm, init, &mut self.trace.clone());
        base.free_child_context();
        result
    }
}

impl PrecompileProvider<Ctx> for Precompiles {
    type Output = InterpreterResult;

    // The node only ever runs `SPEC`, and revm's provider swaps its set (dropping P256) only
    // when the spec changes, so the set built in `new` stays.
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

/// The EVM of a traced transaction over `ctx`: [`build_evm`]'s, reporting to `tracer`.
pub fn build_traced_evm(
    ctx: Ctx,
    programs: ProgramCache,
    tracer: Rc<RefCell<CallTracer>>,
) -> TracedEvm {
    let hook = TraceHook::new(tracer);
    let mut precompiles = Precompiles::new(programs);
    precompiles.trace = hook.clone();
    Evm::new_with_inspector(ctx, hook, EthInstructions::new_mainnet_with_spec(SPEC), precompiles)
}

/// Runs frames from `init` until it returns, as revm's handler loop does, reporting each
/// frame's start and end to `trace` when the transaction is traced.
///
/// revm's inspecting loop needs a context it can set transactions on, which the nested
/// EVM's borrowed context is not, so the frame hooks are called here around the plain loop
/// (the tracer needs no per-instruction hooks).
fn drive(
    evm: &mut NestedEvm<'_>,
    init: FrameInit,
    trace: &mut TraceHook,
) -> Result<FrameResult, String> {
    // The inputs of the traced frames on the stack, innermost last, for their end hooks.
    let mut running: Vec<FrameInput> = Vec::new();
    if let Some(result) = start_frame(evm, init, trace, &mut running)? {
        return Ok(result);
    }
    loop {
        let result = match evm.frame_run().map_err(|e| format!("{e:?}"))? {
            ItemOrResult::Item(init) => match start_frame(evm, init, trace, &mut running)? {
                None => continue,
                Some(result) => result,
            },
            ItemOrResult::Result(mut result) => {
                if let Some(input) = running.pop() {
                    frame_end(evm.ctx, trace, &input, &mut result);
                }
                result
            }
        };
        if let Some(result) = evm.frame_return_result(result).map_err(|e| format!("{e:?}"))? {
            return Ok(result);
        }
    }
}

/// Starts the frame `init`: its result when it ends at once (a precompile, a Stylus program,
/// a failure before any code runs), `None` when it is on the stack to run.
fn start_frame(
    evm: &mut NestedEvm<'_>,
    mut init: FrameInit,
    trace: &mut TraceHook,
    running: &mut Vec<FrameInput>,
) -> Result<Option<FrameResult>, String> {
    let input = if trace.is_active() {
        if let Some(mut result) = frame_start(evm.ctx, trace, &mut init.frame_input) {
            frame_end(evm.ctx, trace, &init.frame_input, &mut result);
            return Ok(Some(result));
        }
        Some(init.frame_input.clone())
    } else {
        None
    };
    let ended = match evm.frame_init(init).map_err(|e| format!("{e:?}"))? {
        ItemOrResult::Item(_) => None,
        ItemOrResult::Result(result) => Some(result),
    };
    match (ended, input) {
        (None, input) => {
            running.extend(input);
            Ok(None)
        }
        (Some(mut result), Some(input)) => {
            frame_end(evm.ctx, trace, &input, &mut result);
            Ok(Some(result))
        }
        (Some(result), None) => Ok(Some(result)),
    }
}
