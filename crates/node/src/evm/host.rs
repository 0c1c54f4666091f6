//! The Stylus VM's [`Host`] over revm: a program's storage, accounts, logs and child frames
//! go through the transaction's journal, so they revert with the EVM's.

use std::{cell::RefCell, rc::Rc};

use revm::{
    context_interface::{Block, ContextTr, JournalTr, Transaction},
    handler::FrameResult,
    interpreter::{
        CallInput, CallInputs, CallValue, CreateInputs, CreateScheme, FrameInput, InterpreterResult,
    },
    primitives::{Address, Bytes, Log, LogData, B256, U256},
};
use tidepool_stylus_vm::{
    CallRequest, CallScheme, CreateRequest, Env, FrameOutcome, Host, HostError, HostResult, Pages,
    StorageWrite,
};

use super::{context::Ctx, frames::TxFrames};

/// Native stack a nested call must find left before it runs in place (see
/// [`EvmHost::call`]).
const CHILD_STACK_RED_ZONE: usize = 4 * 1024 * 1024;
/// Size of the stack segment a nested call gets when less than the red zone is left.
const CHILD_STACK_SEGMENT: usize = 64 * 1024 * 1024;

/// Runs a call or create as a child frame on the same journal (the precompile provider,
/// which builds the nested EVM).
pub(crate) trait ChildFrames {
    /// Runs `input` as a frame one level below the current journal depth.
    fn run_child(&self, ctx: &mut Ctx, input: FrameInput) -> Result<FrameResult, String>;
}

/// The host of one program frame.
pub(crate) struct EvmHost<'a> {
    ctx: &'a mut Ctx,
    frames: Rc<RefCell<TxFrames>>,
    children: &'a dyn ChildFrames,
}

impl<'a> EvmHost<'a> {
    pub(crate) fn new(
        ctx: &'a mut Ctx,
        frames: Rc<RefCell<TxFrames>>,
        children: &'a dyn ChildFrames,
    ) -> Self {
        Self { ctx, frames, children }
    }
}

fn fatal(e: impl std::fmt::Display) -> HostError {
    HostError(e.to_string())
}

impl Host for EvmHost<'_> {
    fn sload(&mut self, address: Address, key: U256) -> HostResult<(U256, bool)> {
        let load = self.ctx.journal_mut().sload(address, key).map_err(fatal)?;
        Ok((load.data, load.is_cold))
    }

    fn sstore(&mut self, address: Address, key: U256, value: U256) -> HostResult<StorageWrite> {
        let result = self.ctx.journal_mut().sstore(address, key, value).map_err(fatal)?;
        Ok(StorageWrite {
            original: result.data.original_value,
            present: result.data.present_value,
            new: result.data.new_value,
            is_cold: result.is_cold,
        })
    }

    fn tload(&mut self, address: Address, key: U256) -> U256 {
        self.ctx.journal_mut().tload(address, key)
    }

    fn tstore(&mut self, address: Address, key: U256, value: U256) {
        self.ctx.journal_mut().tstore(address, key, value);
    }

    fn access_account(&mut self, address: Address) -> HostResult<bool> {
        Ok(self.ctx.journal_mut().load_account(address).map_err(fatal)?.is_cold)
    }

    fn is_empty(&mut self, address: Address) -> HostResult<bool> {
        Ok(self.ctx.journal_mut().load_account(address).map_err(fatal)?.data.is_empty())
    }

    fn balance(&mut self, address: Address) -> HostResult<U256> {
        Ok(self.ctx.journal_mut().load_account(address).map_err(fatal)?.data.info.balance)
    }

    fn code(&mut self, address: Address) -> HostResult<Bytes> {
        Ok(self.ctx.journal_mut().code(address).map_err(fatal)?.data)
    }

    fn code_hash(&mut self, address: Address) -> HostResult<B256> {
        Ok(self.ctx.journal_mut().code_hash(address).map_err(fatal)?.data)
    }

    fn log(&mut self, address: Address, topics: Vec<B256>, data: Bytes) {
        self.ctx.journal_mut().log(Log { address, data: LogData::new_unchecked(topics, data) });
    }

    fn call(&mut self, call: CallRequest) -> HostResult<FrameOutcome> {
        let code =
            self.ctx.journal_mut().load_account_with_code(call.code_address).map_err(fatal)?;
        let code_hash = code.data.info.code_hash;
        let bytecode = code.data.info.code.clone().unwrap_or_default();
        let (scheme, value) = match call.scheme {
            CallScheme::Call => {
                (revm::interpreter::CallScheme::Call, CallValue::Transfer(call.value))
            }
            CallScheme::DelegateCall => {
                (revm::interpreter::CallScheme::DelegateCall, CallValue::Apparent(call.value))
            }
            CallScheme::StaticCall => {
                (revm::interpreter::CallScheme::StaticCall, CallValue::Transfer(call.value))
            }
        };
        let inputs = CallInputs {
            input: CallInput::Bytes(call.input),
            return_memory_offset: 0..0,
            gas_limit: call.gas_limit,
            reservoir: 0,
            bytecode_address: call.code_address,
            known_bytecode: (code_hash, bytecode),
            target_address: call.target_address,
            caller: call.caller,
            value,
            scheme,
            is_static: call.is_static,
            charged_new_account_state_gas: false,
        };
        // Each Stylus frame nests an interpreter, a revm frame and the next program on the
        // native stack; unoptimised builds need far more than a thread's default per level,
        // so a call that finds less than this left continues on a fresh segment.
        let frame = FrameInput::Call(Box::new(inputs));
        let children = self.children;
        let ctx = &mut *self.ctx;
        let result = stacker::maybe_grow(CHILD_STACK_RED_ZONE, CHILD_STACK_SEGMENT, || {
            children.run_child(ctx, frame)
        })
        .map_err(HostError)?;
        let FrameResult::Call(outcome) = result else {
            return Err(fatal("call returned a create result"));
        };
        Ok(frame_outcome(outcome.result, None))
    }

    fn create(&mut self, create: CreateRequest) -> HostResult<FrameOutcome> {
        let scheme = match create.salt {
            Some(salt) => CreateScheme::Create2 { salt },
            None => CreateScheme::Create,
        };
        let inputs = CreateInputs::new(
            create.caller,
            scheme,
            create.value,
            create.code,
            create.gas_limit,
            0,
        );
        let result = self
            .children
            .run_child(self.ctx, FrameInput::Create(Box::new(inputs)))
            .map_err(HostError)?;
        let FrameResult::Create(outcome) = result else {
            return Err(fatal("create returned a call result"));
        };
        Ok(frame_outcome(outcome.result, outcome.address))
    }

    fn env(&self) -> Env {
        let block = self.ctx.block();
        let basefee = block.basefee();
        Env {
            chain_id: self.ctx.cfg.chain_id,
            basefee,
            coinbase: block.beneficiary(),
            gas_limit: block.gas_limit(),
            number: block.number().saturating_to(),
            timestamp: block.timestamp().saturating_to(),
            gas_price: U256::from(self.ctx.tx().effective_gas_price(u128::from(basefee))),
            origin: self.ctx.tx().caller(),
        }
    }

    fn pages(&self) -> Pages {
        self.frames.borrow().pages
    }

    fn set_pages(&mut self, pages: Pages) {
        self.frames.borrow_mut().pages = pages;
    }
}

/// What a child frame's result tells the program that made it.
fn frame_outcome(r: InterpreterResult, created: Option<Address>) -> FrameOutcome {
    FrameOutcome {
        success: r.is_ok(),
        reverted: r.is_revert(),
        gas_left: r.gas.remaining(),
        refund: r.gas.refunded(),
        output: r.output,
        created,
    }
}
