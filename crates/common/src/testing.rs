//! Test host for native contract tests (feature `testing`): [`TestVM`] with a working
//! `ecrecover` precompile, strict call mocks and a reentrancy switch.
//!
//! Plain `TestVM` answers every call with the data of the *last* mock, matched or not, so a
//! test of "the contract hashed the wrong thing" would pass anyway, and a contract that makes
//! two different calls reads the wrong answer for one of them. Here a static call to `0x01`
//! runs real secp256k1 recovery with the precompile's rules, and any other call must match a
//! mock exactly (address, calldata and, for mutating calls, value) or it reverts with empty
//! data. Mutating calls are recorded in order so tests can assert what a contract sent where.
//! A delegatecall runs the handler registered for its target with [`TestHost::on_delegate`]
//! (typically another contract's router over this same host, which is what a delegatecall
//! is: foreign code on this storage), and reverts with empty data otherwise.
//! A call or static call to a target registered with [`TestHost::on_call`] runs that handler
//! instead of the mocks (typically another contract's router over *its own* host, entered
//! with [`TestHost::enter`], so several contracts with separate storage call each other as on
//! chain). Everything else is forwarded to the inner `TestVM`, which tests reach through
//! `Deref`.
// Implementing the host's raw-pointer traits needs `unsafe impl`; test-only.
#![allow(unsafe_code)]

use std::{
    cell::{Cell, RefCell},
    ops::Deref,
    rc::Rc,
    slice,
};

use alloy_primitives::{uint, Address, Signature, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use stylus_sdk::{abi::Router, prelude::*, testing::TestVM};

use crate::signature::ECRECOVER;

/// A mutating call a contract made: `(to, calldata, value)`.
pub type RecordedCall = (Address, Vec<u8>, U256);

/// Code a delegatecall runs: gets the host (same storage, sender and value as the caller)
/// and the calldata, returns the output or the revert data.
pub type DelegateHandler = Rc<dyn Fn(&TestHost, &[u8]) -> Result<Vec<u8>, Vec<u8>>>;

/// A call that reached a target registered with [`TestHost::on_call`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingCall {
    /// The calling contract (this host's contract address).
    pub caller: Address,
    /// Wei sent with it (zero for static calls).
    pub value: U256,
    /// The calldata.
    pub calldata: Vec<u8>,
    /// Whether it is a static call.
    pub is_static: bool,
}

/// Code a call to a registered target runs: the output or the revert data.
pub type CallHandler = Rc<dyn Fn(&IncomingCall) -> Result<Vec<u8>, Vec<u8>>>;

/// A contract's router type, which the host can run: every `#[entrypoint]` or `#[public]`
/// storage type.
pub trait Program:
    Router<Self>
    + StorageType
    + TopLevelStorage
    + std::borrow::BorrowMut<<Self as Router<Self>>::Storage>
    + ValueDenier
{
}

impl<C> Program for C where
    C: Router<C>
        + StorageType
        + TopLevelStorage
        + std::borrow::BorrowMut<<C as Router<C>>::Storage>
        + ValueDenier
{
}

/// A `TestVM` whose calls are answered faithfully; see the module docs.
#[derive(Clone, Default)]
pub struct TestHost {
    vm: TestVM,
    /// Return data of the last call, which this host answered itself.
    return_data: Rc<RefCell<Option<Vec<u8>>>>,
    /// Mutating calls made so far, in order.
    calls: Rc<RefCell<Vec<RecordedCall>>>,
    /// What `msg_reentrant` answers.
    reentrant: Rc<Cell<bool>>,
    /// What delegatecalls to each address run.
    delegates: Rc<RefCell<Vec<(Address, DelegateHandler)>>>,
    /// What calls and static calls to each address run.
    handlers: Rc<RefCell<Vec<(Address, CallHandler)>>>,
}

impl Deref for TestHost {
    type Target = TestVM;
    fn deref(&self) -> &TestVM {
        &self.vm
    }
}

impl TestHost {
    /// A fresh host around a new `TestVM`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `msg_reentrant` answer `reentrant`, as if the contract were already on the stack.
    pub fn set_reentrant(&self, reentrant: bool) {
        self.reentrant.set(reentrant);
    }

    /// Makes a delegatecall to `target` run `handler`. `msg_reentrant` keeps its value, as
    /// on Nitro, which counts only called (not delegated) frames per acting address.
    pub fn on_delegate(
        &self,
        target: Address,
        handler: impl Fn(&TestHost, &[u8]) -> Result<Vec<u8>, Vec<u8>> + 'static,
    ) {
        self.delegates.borrow_mut().push((target, Rc::new(handler)));
    }

    /// Makes calls and static calls to `target` run `handler` instead of the mocks (they are
    /// still recorded); a later registration for the same target replaces this one. The
    /// handler typically runs another contract's router over that
    /// contract's own host through [`TestHost::enter`], or plays an account that accepts
    /// ETH or calls back.
    pub fn on_call(
        &self,
        target: Address,
        handler: impl Fn(&IncomingCall) -> Result<Vec<u8>, Vec<u8>> + 'static,
    ) {
        self.handlers.borrow_mut().push((target, Rc::new(handler)));
    }

    /// Runs `run` (typically this host's contract's router) as a call from `caller` with
    /// `value`, as the chain would: `msg.sender` and `msg.value` are set for it and restored
    /// afterwards (calls nest), and if it fails, this host's storage is put back as it was,
    /// as a revert does (logs emitted meanwhile stay).
    pub fn enter(
        &self,
        caller: Address,
        value: U256,
        run: impl FnOnce() -> Result<Vec<u8>, Vec<u8>>,
    ) -> Result<Vec<u8>, Vec<u8>> {
        let before = self.vm.snapshot();
        self.vm.set_sender(caller);
        self.vm.set_value(value);
        let result = run();
        self.vm.set_sender(before.msg_sender);
        self.vm.set_value(before.msg_value);
        if result.is_err() {
            self.vm.clear_storage();
            for (key, word) in before.storage {
                self.vm.set_storage(key, word);
            }
        }
        result
    }

    /// Runs contract `C`'s router over this host with `calldata`: what a delegatecall to
    /// `C`'s code does (its code, this storage). Typically the body of an
    /// [`TestHost::on_delegate`] handler.
    pub fn route<C: Program>(&self, calldata: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        stylus_sdk::abi::router_entrypoint::<C, C>(
            calldata.to_vec(),
            stylus_sdk::host::VM { host: Box::new(self.clone()) },
        )
    }

    /// Runs contract `C`'s router over this host (its own storage) as `call`, entered as
    /// [`TestHost::enter`] does: what the chain does when another contract calls `C` at this
    /// host's address. Typically the body of an [`TestHost::on_call`] handler.
    pub fn route_call<C: Program>(&self, call: &IncomingCall) -> Result<Vec<u8>, Vec<u8>> {
        self.enter(call.caller, call.value, || self.route::<C>(&call.calldata))
    }

    /// The events of type `E` this host's contracts emitted so far, decoded, in order.
    ///
    /// # Panics
    /// If a log with `E`'s topic does not decode as `E` (a test failure).
    pub fn events<E: alloy_sol_types::SolEvent>(&self) -> Vec<E> {
        self.vm
            .get_emitted_logs()
            .iter()
            .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
            .map(|(topics, data)| {
                E::decode_raw_log(topics.iter().copied(), data).expect("event decodes")
            })
            .collect()
    }

    fn handler(&self, target: Address) -> Option<CallHandler> {
        self.handlers.borrow().iter().rev().find(|(a, _)| *a == target).map(|(_, h)| h.clone())
    }

    /// Mutating calls made so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls.borrow().clone()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.calls.borrow_mut().clear();
    }

    /// What the `ecrecover` precompile returns for these arguments: `None` for its empty
    /// output.
    pub fn ecrecover(&self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        let mut input = [0u8; 128];
        input[..32].copy_from_slice(digest.as_slice());
        input[63] = v;
        input[64..96].copy_from_slice(r.as_slice());
        input[96..].copy_from_slice(s.as_slice());
        let out = precompile_ecrecover(&input);
        (!out.is_empty()).then(|| Address::from_slice(&out[12..]))
    }

    /// What a static call answers: its output or its revert data (empty when nothing
    /// answers `to`, as a strict mock requires).
    fn static_call(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        if to == ECRECOVER {
            return Ok(precompile_ecrecover(data));
        }
        if let Some(handler) = self.handler(to) {
            let call = IncomingCall {
                caller: self.vm.contract_address(),
                value: U256::ZERO,
                calldata: data.to_vec(),
                is_static: true,
            };
            return handler(&call);
        }
        let mocked = self.vm.snapshot().static_call_returns.get(&(to, data.to_vec())).cloned();
        mocked.unwrap_or_else(|| Err(Vec::new()))
    }

    /// Ends a call the way the host ABI does: the call's return data becomes readable and its
    /// length goes to `outs_len`; the status is 0 for success and 1 for a revert. `None`
    /// (nothing answers the target) reverts with empty data.
    fn answer(&self, result: Option<Result<Vec<u8>, Vec<u8>>>, outs_len: &mut usize) -> u8 {
        let (status, out) = match result {
            Some(Ok(out)) => (0, out),
            Some(Err(out)) => (1, out),
            None => (1, Vec::new()),
        };
        *outs_len = out.len();
        *self.return_data.borrow_mut() = Some(out);
        status
    }
}

/// The `ecrecover` precompile: input zero-padded to 128 bytes, `v` a full word of 27 or 28,
/// `r` and `s` in `[1, n)`, either half of the order accepted; empty output on any failure.
fn precompile_ecrecover(input: &[u8]) -> Vec<u8> {
    let mut padded = [0u8; 128];
    let used = input.len().min(128);
    padded[..used].copy_from_slice(&input[..used]);
    let v = U256::from_be_slice(&padded[32..64]);
    if v != U256::from(27) && v != U256::from(28) {
        return Vec::new();
    }
    let digest = B256::from_slice(&padded[..32]);
    let sig = Signature::from_scalars_and_parity(
        B256::from_slice(&padded[64..96]),
        B256::from_slice(&padded[96..]),
        v == U256::from(28),
    );
    match sig.recover_address_from_prehash(&digest) {
        Ok(address) => address.into_word().to_vec(),
        Err(_) => Vec::new(),
    }
}

/// A fixed test key, different for each `n > 0`.
pub fn signer(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(n)).expect("small non-zero scalar")
}

/// Test key `n`'s signature `(v, r, s)` over `digest` (`v` is 27 or 28, `s` low), as a
/// wallet signs an EIP-712 digest.
pub fn sign_digest(n: u8, digest: B256) -> (u8, B256, B256) {
    let key = signer(n);
    let recoverable =
        key.credential().sign_prehash_recoverable(digest.as_slice()).expect("local keys sign");
    let sig = Signature::from(recoverable);
    (27 + u8::from(sig.v()), sig.r().into(), sig.s().into())
}

/// The order `n` of the secp256k1 group.
pub const SECP256K1_ORDER: U256 =
    uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

/// The malleable twin `(v', n - s)` of a low-s signature `(v, s)`.
pub fn high_s(v: u8, s: B256) -> (u8, B256) {
    let twin = SECP256K1_ORDER - U256::from_be_bytes(s.0);
    (if v == 27 { 28 } else { 27 }, twin.into())
}

impl Host for TestHost {}

impl CryptographyAccess for TestHost {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for TestHost {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        match &*self.return_data.borrow() {
            Some(data) => {
                let start = offset.min(data.len());
                let end = size.map_or(data.len(), |s| (start + s).min(data.len()));
                data[start..end].to_vec()
            }
            None => self.vm.read_return_data(offset, size),
        }
    }
    fn return_data_size(&self) -> usize {
        match &*self.return_data.borrow() {
            Some(data) => data.len(),
            None => self.vm.return_data_size(),
        }
    }
    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl UnsafeDeploymentAccess for TestHost {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm.create1(code, code_len, endowment, contract, revert_data_len)
    }
    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm.create2(code, code_len, endowment, salt, contract, revert_data_len)
    }
}

impl StorageAccess for TestHost {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.vm.storage_load_bytes32(key)
    }
    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        self.vm.storage_cache_bytes32(key, value)
    }
    fn flush_cache(&self, clear: bool) {
        self.vm.flush_cache(clear)
    }
}

unsafe impl UnsafeCallAccess for TestHost {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let _ = gas;
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = slice::from_raw_parts(data, data_len).to_vec();
        let value = U256::from_be_slice(slice::from_raw_parts(value, 32));
        self.calls.borrow_mut().push((to, data.clone(), value));
        let result = match self.handler(to) {
            Some(handler) => Some(handler(&IncomingCall {
                caller: self.vm.contract_address(),
                value,
                calldata: data,
                is_static: false,
            })),
            None => self.vm.snapshot().call_returns.get(&(to, data, value)).cloned(),
        };
        self.answer(result, outs_len)
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = slice::from_raw_parts(data, data_len);
        let result = self.static_call(to, data);
        self.answer(Some(result), outs_len)
    }
    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let _ = gas;
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = slice::from_raw_parts(data, data_len);
        let handler =
            self.delegates.borrow().iter().find(|(a, _)| *a == to).map(|(_, h)| h.clone());
        self.answer(handler.map(|handler| handler(self, data)), outs_len)
    }
}

/// Host functions this host answers as the inner `TestVM` does: each named method forwards
/// its arguments to the method of the same name there.
macro_rules! forward_to_vm {
    ($($name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        $(fn $name(&self, $($arg: $ty),*) $(-> $ret)? {
            self.vm.$name($($arg),*)
        })*
    };
}

impl BlockAccess for TestHost {
    forward_to_vm! {
        block_basefee() -> U256;
        block_coinbase() -> Address;
        block_number() -> u64;
        block_timestamp() -> u64;
        block_gas_limit() -> u64;
    }
}

impl ChainAccess for TestHost {
    forward_to_vm! { chain_id() -> u64; }
}

impl AccountAccess for TestHost {
    forward_to_vm! {
        balance(account: Address) -> U256;
        contract_address() -> Address;
        code(account: Address) -> Vec<u8>;
        code_size(account: Address) -> usize;
        code_hash(account: Address) -> B256;
    }
}

impl MemoryAccess for TestHost {
    forward_to_vm! { pay_for_memory_grow(pages: u16); }
}

impl MessageAccess for TestHost {
    forward_to_vm! {
        msg_sender() -> Address;
        msg_value() -> U256;
        tx_origin() -> Address;
    }
    fn msg_reentrant(&self) -> bool {
        self.reentrant.get()
    }
}

impl MeteringAccess for TestHost {
    forward_to_vm! {
        evm_gas_left() -> u64;
        evm_ink_left() -> u64;
        tx_gas_price() -> U256;
        tx_ink_price() -> u32;
    }
}

impl RawLogAccess for TestHost {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        self.vm.emit_log(input, num_topics)
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use stylus_sdk::call::{static_call, RawCall};

    use super::*;

    const CALLEE: Address = Address::repeat_byte(0xcc);

    #[test]
    fn calls_to_registered_targets_run_their_handler() {
        let host = TestHost::new();
        let seen: Rc<RefCell<Vec<IncomingCall>>> = Rc::default();
        let record = seen.clone();
        host.on_call(CALLEE, move |call| {
            record.borrow_mut().push(call.clone());
            if call.calldata == [0xff] {
                Err(vec![0xde, 0xad])
            } else {
                Ok(call.calldata.iter().rev().copied().collect())
            }
        });
        let me = host.contract_address();
        let out = unsafe { RawCall::new_with_value(&host, U256::from(7)).call(CALLEE, &[1, 2]) };
        assert_eq!(out, Ok(vec![2, 1]));
        let out = unsafe { RawCall::new(&host).call(CALLEE, &[0xff]) };
        assert_eq!(out, Err(vec![0xde, 0xad]));
        assert_eq!(static_call(&host, Call::new(), CALLEE, &[3]).ok(), Some(vec![3]));
        let seen = seen.borrow();
        let expected = |value: u64, calldata: Vec<u8>, is_static| IncomingCall {
            caller: me,
            value: U256::from(value),
            calldata,
            is_static,
        };
        assert_eq!(seen[0], expected(7, vec![1, 2], false));
        assert_eq!(seen[1], expected(0, vec![0xff], false));
        assert_eq!(seen[2], expected(0, vec![3], true));
        // Recorded like any mutating call; other targets still need a mock.
        assert_eq!(host.calls().len(), 2);
        let other = unsafe { RawCall::new(&host).call(Address::repeat_byte(1), &[]) };
        assert_eq!(other, Err(vec![]));
        // A later registration replaces the earlier one.
        host.on_call(CALLEE, |_| Ok(vec![9]));
        assert_eq!(static_call(&host, Call::new(), CALLEE, &[3]).ok(), Some(vec![9]));
    }

    #[test]
    fn enter_sets_the_caller_and_undoes_storage_on_failure() {
        let host = TestHost::new();
        let (outer, inner) = (Address::repeat_byte(1), Address::repeat_byte(2));
        host.set_sender(outer);
        host.set_storage(U256::from(1), B256::repeat_byte(1));
        let ok = host.enter(inner, U256::from(5), || {
            assert_eq!((host.msg_sender(), host.msg_value()), (inner, U256::from(5)));
            host.set_storage(U256::from(2), B256::repeat_byte(2));
            Ok(vec![])
        });
        assert_eq!(ok, Ok(vec![]));
        assert_eq!((host.msg_sender(), host.msg_value()), (outer, U256::ZERO));
        assert_eq!(host.get_storage(U256::from(2)), B256::repeat_byte(2));
        let failed = host.enter(inner, U256::ZERO, || {
            host.set_storage(U256::from(1), B256::ZERO);
            host.set_storage(U256::from(3), B256::repeat_byte(3));
            Err(vec![1])
        });
        assert_eq!(failed, Err(vec![1]));
        assert_eq!(host.get_storage(U256::from(1)), B256::repeat_byte(1));
        assert_eq!(host.get_storage(U256::from(3)), B256::ZERO);
        assert_eq!(host.msg_sender(), outer);
    }
}
