//! What a running program needs from the chain around it: the [`Host`] trait.
//!
//! The VM prices and checks every host I/O itself (ink, EVM-priced gas, static-call rules,
//! the 63/64 rule for calls); the host only reads and writes state and runs child frames. A
//! node implements it over its EVM's journal, so a program's writes, logs and calls share
//! one journal with the EVM's and revert with it.

use alloy_primitives::{Address, Bytes, B256, U256};

/// A failure of the node itself (a database error), not of the program: it aborts the
/// transaction instead of reverting the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

/// Result of a host operation.
pub type HostResult<T> = Result<T, HostError>;

/// Memory pages held by the programs of one transaction (Nitro prices memory per
/// transaction, not per frame).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pages {
    /// Pages held by the programs currently running.
    pub open: u16,
    /// Most pages held at once so far.
    pub ever: u16,
}

/// What a storage write changed, for EIP-2200/2929/3529 pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageWrite {
    /// The slot's value when the transaction started.
    pub original: U256,
    /// Its value before this write.
    pub present: U256,
    /// Its value now.
    pub new: U256,
    /// Whether the slot was cold (EIP-2929).
    pub is_cold: bool,
}

/// Block and transaction facts the host I/Os report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Env {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The block's base fee.
    pub basefee: u64,
    /// The block's beneficiary.
    pub coinbase: Address,
    /// The block's gas limit.
    pub gas_limit: u64,
    /// The block number.
    pub number: u64,
    /// The block timestamp.
    pub timestamp: u64,
    /// The transaction's effective gas price.
    pub gas_price: U256,
    /// The transaction's sender.
    pub origin: Address,
}

/// The call a program is entered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The address whose storage and balance the program acts on (the caller's own for a
    /// delegated frame).
    pub address: Address,
    /// `msg.sender`.
    pub caller: Address,
    /// `msg.value`.
    pub value: U256,
    /// Call data.
    pub args: Bytes,
    /// Whether state changes are forbidden.
    pub is_static: bool,
    /// What `msg_reentrant` answers: the host decides by its frame-counting rule.
    pub reentrant: bool,
}

/// How a program calls another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallScheme {
    /// `call_contract`: runs the callee's code on its own storage, moving `value`.
    Call,
    /// `delegate_call_contract`: runs the callee's code on the caller's storage; `value` is
    /// the caller's own, only reported.
    DelegateCall,
    /// `static_call_contract`: no state changes anywhere below.
    StaticCall,
}

/// A call a program makes, fully resolved by the VM (who acts, for whom, with what value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// The kind of call.
    pub scheme: CallScheme,
    /// Whose code runs.
    pub code_address: Address,
    /// Whose storage and balance the callee acts on.
    pub target_address: Address,
    /// `msg.sender` in the callee.
    pub caller: Address,
    /// `msg.value` in the callee: transferred for [`CallScheme::Call`], apparent for
    /// [`CallScheme::DelegateCall`].
    pub value: U256,
    /// Whether the callee runs in a static context.
    pub is_static: bool,
    /// Call data.
    pub input: Bytes,
    /// Gas handed to the callee (the stipend included).
    pub gas_limit: u64,
}

/// A contract creation a program makes (`create1`, or `create2` with a salt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// The creating program's address.
    pub caller: Address,
    /// Init code.
    pub code: Bytes,
    /// Endowment.
    pub value: U256,
    /// `create2`'s salt; `None` for `create1`.
    pub salt: Option<U256>,
    /// Gas handed to the constructor.
    pub gas_limit: u64,
}

/// How a child frame ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameOutcome {
    /// Whether it succeeded.
    pub success: bool,
    /// Whether it reverted (as opposed to succeeding or halting).
    pub reverted: bool,
    /// Return or revert data.
    pub output: Bytes,
    /// Gas it did not use.
    pub gas_left: u64,
    /// Its gas refund (EIP-3529), which the caller keeps only on success.
    pub refund: i64,
    /// The created account, for a successful create.
    pub created: Option<Address>,
}

/// The chain a program runs on.
///
/// Every method that loads an account or slot follows the EVM's journal (warm/cold access
/// lists, reverts); the VM charges for it from the answers.
pub trait Host {
    /// Loads a storage slot of `address`: its value and whether it was cold.
    fn sload(&mut self, address: Address, key: U256) -> HostResult<(U256, bool)>;
    /// Writes a storage slot of `address`.
    fn sstore(&mut self, address: Address, key: U256, value: U256) -> HostResult<StorageWrite>;
    /// Reads a transient storage slot (EIP-1153).
    fn tload(&mut self, address: Address, key: U256) -> U256;
    /// Writes a transient storage slot (EIP-1153).
    fn tstore(&mut self, address: Address, key: U256, value: U256);
    /// Loads an account into the access list; tells whether it was cold (EIP-2929).
    fn access_account(&mut self, address: Address) -> HostResult<bool>;
    /// Whether an account is empty (EIP-161), for the new-account surcharge of a call.
    fn is_empty(&mut self, address: Address) -> HostResult<bool>;
    /// An account's balance.
    fn balance(&mut self, address: Address) -> HostResult<U256>;
    /// An account's code.
    fn code(&mut self, address: Address) -> HostResult<Bytes>;
    /// An account's code hash.
    fn code_hash(&mut self, address: Address) -> HostResult<B256>;
    /// Appends a log.
    fn log(&mut self, address: Address, topics: Vec<B256>, data: Bytes);
    /// Runs a call as a child frame.
    fn call(&mut self, call: CallRequest) -> HostResult<FrameOutcome>;
    /// Runs a contract creation as a child frame.
    fn create(&mut self, create: CreateRequest) -> HostResult<FrameOutcome>;
    /// Block and transaction facts.
    fn env(&self) -> Env;
    /// Memory pages held by the transaction's programs.
    fn pages(&self) -> Pages;
    /// Records the pages held after a program opened, grew or released memory.
    fn set_pages(&mut self, pages: Pages);
}
