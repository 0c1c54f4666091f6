//! revm's precompile provider: Ethereum precompiles, ArbWasm at `0x71`, ArbWasmCache at
//! `0x72`, and every account whose code starts `EF F0 00` (a Stylus program), which runs in
//! the Stylus VM. Also the EVMs themselves: the transaction's, and the nested one a program's
//! call or create runs in, on the same journal.

use std::{cell::RefCell, rc::Rc};

use revm::{
    context::Evm,
    context_interface::{ContextTr, JournalTr, LocalContextTr},
    handler::{
        instructions::EthInstructions, EthFrame, EthPrecompiles, EvmTr, FrameResult, ItemOrResult,
        PrecompileProvider,
    },
    interpreter::{
        interpreter::EthInterpreter, interpreter_action::FrameInit, CallInputs, CallScheme,
        FrameInput, InterpreterResult, SharedMemory,
    },
    primitives::{hardfork::SpecId, AddressSet},
};
use tidepool_stylus_vm::program::{self, ProgramCache};

use super::{
    arbownerpublic, arbwasm, arbwasmcache, cachemanager,
    context::{Ctx, SPEC},
    frames::TxFrames,
    host::ChildFrames,
    stylus::{self, Programs},
};

/// The top-level EVM type.
pub type TopEvm = Evm<Ctx, (), EthInstructions<EthInterpreter, Ctx>, Precompiles, EthFrame>;

type NestedEvm<'a> =
    Evm<&'a mut Ctx, (), EthInstructions<EthInterpreter, &'a mut Ctx>, Precompiles, EthFrame>;

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
        warm.insert(arbownerpublic::ADDRESS);
        warm.insert(cachemanager::ADDRESS);
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
            return arbwasm::run(&self.programs, ctx, inputs).map(Some);
        }
        if inputs.bytecode_address == arbwasmcache::ADDRESS {
            return arbwasmcache::run(ctx, inputs).map(Some);
        }
        if inputs.bytecode_address == arbownerpublic::ADDRESS {
            return Ok(Some(arbownerpublic::run(ctx, inputs)));
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
        let result = drive(&mut evm, init);
        base.free_child_context();
        result
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
