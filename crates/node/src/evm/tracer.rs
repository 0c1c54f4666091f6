//! geth's `callTracer` over revm's frame hooks, for `debug_traceTransaction`.
//!
//! revm calls an inspector's `call`/`call_end` around every call frame, precompile frames
//! included, so a Stylus program's own frame is traced as the CALL that entered it. The calls
//! and creates a program makes run in a nested EVM (`precompiles::run_child`), which reports
//! to the same tracer through the shared [`TraceHook`]; they nest under the program's frame
//! because the program's `call_end` only comes once the program has returned.
//!
//! Logs (`withLog`) are read from the journal when a frame ends, not from the `log` hook: a
//! Stylus program's logs reach the journal through its host I/Os, and revm reports them to
//! the hook only after the program's frame, together with its children's. A frame's own logs
//! are those the journal gained while it was open outside its children's spans; as geth, a
//! failed frame and everything under it keep no logs.

use std::{cell::RefCell, rc::Rc};

use alloy_rpc_types_trace::geth::{CallFrame, CallLogFrame};
use alloy_sol_types::{Revert, SolError};
use revm::{
    context_interface::{ContextTr, JournalTr},
    inspector::Inspector,
    interpreter::{
        CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, CreateScheme,
        InstructionResult, InterpreterResult,
    },
    primitives::{Address, U256},
};

/// Builds geth's call-frame tree of one transaction.
#[derive(Debug, Default)]
pub struct CallTracer {
    /// Open frames, innermost last.
    open: Vec<OpenFrame>,
    /// The transaction's frame, once it has ended.
    done: Option<CallFrame>,
}

/// A frame that has not ended, with where its logs are in the journal.
#[derive(Debug)]
struct OpenFrame {
    frame: CallFrame,
    /// Journal log count when the frame began.
    first_log: usize,
    /// The journal log range of each ended child, in order.
    child_logs: Vec<(usize, usize)>,
}

impl CallTracer {
    /// The finished tree (the transaction's frame), if the transaction entered one.
    pub fn into_frame(self) -> Option<CallFrame> {
        self.done
    }

    fn enter(&mut self, frame: CallFrame, logs: usize) {
        self.open.push(OpenFrame { frame, first_log: logs, child_logs: Vec::new() });
    }

    fn exit(
        &mut self,
        result: &InterpreterResult,
        to: Option<Address>,
        logs: &[revm::primitives::Log],
    ) {
        let Some(OpenFrame { mut frame, first_log, child_logs }) = self.open.pop() else {
            return;
        };
        let end = logs.len();
        if result.result.is_ok() {
            frame.logs = own_logs(logs, first_log, &child_logs);
        } else {
            clear_logs(&mut frame);
        }
        frame.gas_used = U256::from(result.gas.total_gas_spent());
        if to.is_some() {
            frame.to = to;
        }
        let output = result.output.clone();
        if result.result.is_ok() {
            frame.output = (!output.is_empty()).then_some(output);
        } else {
            frame.error = Some(error_message(result.result));
            if result.result.is_revert() {
                frame.revert_reason = Revert::abi_decode(&output).ok().map(|r| r.reason);
                frame.output = (!output.is_empty()).then_some(output);
            }
        }
        match self.open.last_mut() {
            Some(parent) => {
                parent.frame.calls.push(frame);
                parent.child_logs.push((first_log.min(end), end));
            }
            None => self.done = Some(frame),
        }
    }
}

/// The logs `logs[first..]` holds outside `children`'s spans, each with its position (how
/// many of the frame's calls came before it) and its index in the transaction.
fn own_logs(
    logs: &[revm::primitives::Log],
    first: usize,
    children: &[(usize, usize)],
) -> Vec<CallLogFrame> {
    let mut out = Vec::new();
    let mut take = |range: std::ops::Range<usize>, position: usize| {
        for index in range {
            let Some(log) = logs.get(index) else { continue };
            out.push(CallLogFrame {
                address: Some(log.address),
                topics: Some(log.topics().to_vec()),
                data: Some(log.data.data.clone()),
                position: Some(position as u64),
                index: Some(index as u64),
            });
        }
    };
    let mut next = first;
    for (position, (start, end)) in children.iter().enumerate() {
        take(next..*start, position);
        next = next.max(*end);
    }
    take(next..logs.len(), children.len());
    out
}

/// Drops the logs of `frame` and of every frame under it (a failed frame's, whose writes it
/// undid, or all of them when logs were not asked for).
pub fn clear_logs(frame: &mut CallFrame) {
    frame.logs.clear();
    for child in &mut frame.calls {
        clear_logs(child);
    }
}

/// Adds `offset` to every log index in the tree (transaction-level to block-level indices).
pub fn offset_log_indices(frame: &mut CallFrame, offset: u64) {
    for log in &mut frame.logs {
        log.index = log.index.map(|i| i + offset);
    }
    for child in &mut frame.calls {
        offset_log_indices(child, offset);
    }
}

/// geth's message for a failed frame (`core/vm/errors.go`), so clients that match on it
/// (`cast`, block explorers) read the same text.
fn error_message(result: InstructionResult) -> String {
    use InstructionResult as R;
    match result {
        R::Revert => "execution reverted",
        R::OutOfGas
        | R::MemoryOOG
        | R::MemoryLimitOOG
        | R::PrecompileOOG
        | R::InvalidOperandOOG
        | R::ReentrancySentryOOG => "out of gas",
        R::InvalidFEOpcode => "invalid opcode: INVALID",
        R::OpcodeNotFound | R::NotActivated => "invalid opcode",
        R::InvalidJump => "invalid jump destination",
        R::StackUnderflow => "stack underflow",
        R::StackOverflow => "stack limit reached 1024",
        R::CallTooDeep => "max call depth exceeded",
        R::OutOfFunds => "insufficient balance for transfer",
        R::CreateCollision => "contract address collision",
        R::CreateContractSizeLimit => "max code size exceeded",
        R::CreateInitCodeSizeLimit => "max initcode size exceeded",
        R::CreateContractStartingWithEF => "invalid code: must not begin with 0xef",
        R::StateChangeDuringStaticCall | R::CallNotAllowedInsideStatic => "write protection",
        R::NonceOverflow => "nonce uint64 overflow",
        R::OutOfOffset => "return data out of bounds",
        other => return format!("{other:?}"),
    }
    .to_string()
}

fn call_type(scheme: CallScheme) -> &'static str {
    match scheme {
        CallScheme::Call => "CALL",
        CallScheme::CallCode => "CALLCODE",
        CallScheme::DelegateCall => "DELEGATECALL",
        CallScheme::StaticCall => "STATICCALL",
    }
}

impl<CTX: ContextTr> Inspector<CTX> for CallTracer {
    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        // A delegated frame runs the code of `bytecode_address` for its caller; geth shows
        // the code's address as `to` there, and the called account otherwise.
        let to = match inputs.scheme {
            CallScheme::DelegateCall | CallScheme::CallCode => inputs.bytecode_address,
            CallScheme::Call | CallScheme::StaticCall => inputs.target_address,
        };
        let logs = context.journal().logs().len();
        self.enter(
            CallFrame {
                typ: call_type(inputs.scheme).to_string(),
                from: inputs.caller,
                to: Some(to),
                input: inputs.input.bytes(context),
                gas: U256::from(inputs.gas_limit),
                value: (inputs.scheme != CallScheme::StaticCall).then(|| inputs.value.get()),
                ..Default::default()
            },
            logs,
        );
        None
    }

    fn call_end(&mut self, context: &mut CTX, _: &CallInputs, outcome: &mut CallOutcome) {
        self.exit(&outcome.result, None, context.journal().logs());
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let logs = context.journal().logs().len();
        let typ = match inputs.scheme() {
            CreateScheme::Create2 { .. } => "CREATE2",
            _ => "CREATE",
        };
        self.enter(
            CallFrame {
                typ: typ.to_string(),
                from: inputs.caller(),
                input: inputs.init_code().clone(),
                gas: U256::from(inputs.gas_limit()),
                value: Some(inputs.value()),
                ..Default::default()
            },
            logs,
        );
        None
    }

    fn create_end(&mut self, context: &mut CTX, _: &CreateInputs, outcome: &mut CreateOutcome) {
        self.exit(&outcome.result, outcome.address, context.journal().logs());
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        if let Some(parent) = self.open.last_mut() {
            parent.frame.calls.push(CallFrame {
                typ: "SELFDESTRUCT".to_string(),
                from: contract,
                to: Some(target),
                value: Some(value),
                ..Default::default()
            });
        }
    }
}

/// The tracer a traced transaction reports to, shared by its EVM and the nested EVMs its
/// Stylus programs start; `None` (the default) when the transaction is not traced.
#[derive(Debug, Clone, Default)]
pub struct TraceHook(pub(crate) Option<Rc<RefCell<CallTracer>>>);

impl TraceHook {
    /// A hook reporting to `tracer`.
    pub fn new(tracer: Rc<RefCell<CallTracer>>) -> Self {
        Self(Some(tracer))
    }

    /// Whether a tracer listens.
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }
}

impl<CTX: ContextTr> Inspector<CTX> for TraceHook {
    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.0.as_ref().and_then(|t| t.borrow_mut().call(context, inputs))
    }

    fn call_end(&mut self, context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        if let Some(t) = &self.0 {
            t.borrow_mut().call_end(context, inputs, outcome);
        }
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.0.as_ref().and_then(|t| t.borrow_mut().create(context, inputs))
    }

    fn create_end(
        &mut self,
        context: &mut CTX,
        inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        if let Some(t) = &self.0 {
            t.borrow_mut().create_end(context, inputs, outcome);
        }
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        if let Some(t) = &self.0 {
            <CallTracer as Inspector<CTX>>::selfdestruct(
                &mut t.borrow_mut(),
                contract,
                target,
                value,
            );
        }
    }
}
