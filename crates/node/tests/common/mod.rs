//! Shared helpers for the node's tests: WAT programs deployed and activated on a chain.
#![allow(dead_code)]

use std::path::PathBuf;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use tidepool_node::{
    arbwasm::{IArbWasm, ADDRESS as ARBWASM},
    chain::{Chain, ChainConfig},
    program::compress_program,
};

pub fn chain() -> Chain {
    Chain::new(ChainConfig::default()).expect("chain")
}

pub fn dev(chain: &Chain, i: usize) -> Address {
    chain.accounts()[i]
}

pub fn req(from: Address, to: Address, data: impl Into<Bytes>) -> TransactionRequest {
    TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Call(to)),
        input: data.into().into(),
        ..Default::default()
    }
}

/// Sends a transaction from dev account 0 and returns (hash, success).
pub fn send(chain: &mut Chain, to: Address, data: impl Into<Bytes>) -> (B256, bool) {
    let from = dev(chain, 0);
    mine(chain, req(from, to, data))
}

/// [`send`] with `value` attached and 5M gas.
pub fn send_value(
    chain: &mut Chain,
    to: Address,
    data: impl Into<Bytes>,
    value: U256,
) -> (B256, bool) {
    let r = TransactionRequest { gas: Some(5_000_000), ..value_req(chain, to, data, value) };
    mine(chain, r)
}

/// Sends `r` and returns (hash, success) of the mined transaction.
fn mine(chain: &mut Chain, r: TransactionRequest) -> (B256, bool) {
    let hash = chain.send_request(r).expect("send");
    (hash, chain.tx(&hash).expect("mined").success)
}

/// An `eth_call` from `from`; returns (success, output).
pub fn call_from(chain: &mut Chain, from: Address, to: Address, data: Vec<u8>) -> (bool, Bytes) {
    eth_call(chain, req(from, to, data))
}

pub fn call(chain: &mut Chain, to: Address, data: impl Into<Bytes>) -> (bool, Bytes) {
    let r = value_req(chain, to, data, U256::ZERO);
    eth_call(chain, r)
}

/// `eth_call` of `r` at the latest block; returns (success, output).
pub fn eth_call(chain: &mut Chain, r: TransactionRequest) -> (bool, Bytes) {
    let out = chain.call(r, BlockNumberOrTag::Latest, None).expect("call");
    (out.success, out.output)
}

/// A request from dev account 0 sending `value` (for [`eth_call`] or [`send_value`]).
pub fn value_req(
    chain: &Chain,
    to: Address,
    data: impl Into<Bytes>,
    value: U256,
) -> TransactionRequest {
    TransactionRequest { value: Some(value), ..req(dev(chain, 0), to, data) }
}

/// Deploys `init` (creation code with any constructor arguments appended) with a CREATE
/// transaction from dev account 0 and returns the new contract's address.
pub fn create(chain: &mut Chain, init: impl Into<Bytes>) -> Address {
    let from = dev(chain, 0);
    let request = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Create),
        input: init.into().into(),
        gas: Some(5_000_000),
        ..Default::default()
    };
    let hash = chain.send_request(request).expect("send create");
    let mined = chain.tx(&hash).expect("mined");
    assert!(mined.success, "CREATE failed: {mined:?}");
    mined.contract_address.expect("created address")
}

/// Slot 0 of `address` at the latest block.
pub fn slot0(chain: &Chain, address: Address) -> U256 {
    chain.storage(address, U256::ZERO, chain.block_number()).expect("slot")
}

/// The balance of `address` at the latest block.
pub fn balance(chain: &Chain, address: Address) -> U256 {
    chain.account(address, chain.block_number()).expect("account").balance
}

/// Puts a WAT program at `address` and activates it through ArbWasm.
pub fn deploy_wat(chain: &mut Chain, address: Address, wat: &str) {
    let wasm = wat::parse_str(wat).expect("wat");
    let code = compress_program(&wasm).expect("compress");
    chain.set_code(address, code.into()).expect("set code");
    let data = IArbWasm::activateProgramCall { program: address }.abi_encode();
    let (hash, ok) = send(chain, ARBWASM, data);
    assert!(ok, "activation failed: {:?}", chain.tx(&hash));
}

pub fn word(n: u64) -> B256 {
    B256::from(U256::from(n))
}

pub fn addr(n: u64) -> Address {
    Address::from_word(word(n))
}

/// A WAT prelude importing every hostio the tests use.
pub const IMPORTS: &str = r#"
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "exit_early" (func $exit_early (param i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $sload (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $scache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "transient_load_bytes32" (func $tload (param i32 i32)))
  (import "vm_hooks" "transient_store_bytes32" (func $tstore (param i32 i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "delegate_call_contract" (func $dcall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "static_call_contract" (func $scall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "create1" (func $create1 (param i32 i32 i32 i32 i32)))
  (import "vm_hooks" "create2" (func $create2 (param i32 i32 i32 i32 i32 i32)))
  (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
  (import "vm_hooks" "return_data_size" (func $rds (result i32)))
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (import "vm_hooks" "account_balance" (func $balance (param i32 i32)))
  (import "vm_hooks" "account_code" (func $code (param i32 i32 i32 i32) (result i32)))
  (import "vm_hooks" "account_code_size" (func $codesize (param i32) (result i32)))
  (import "vm_hooks" "account_codehash" (func $codehash (param i32 i32)))
  (import "vm_hooks" "evm_gas_left" (func $gas_left (result i64)))
  (import "vm_hooks" "evm_ink_left" (func $ink_left (result i64)))
  (import "vm_hooks" "block_basefee" (func $basefee (param i32)))
  (import "vm_hooks" "chainid" (func $chainid (result i64)))
  (import "vm_hooks" "block_coinbase" (func $coinbase (param i32)))
  (import "vm_hooks" "block_gas_limit" (func $gaslimit (result i64)))
  (import "vm_hooks" "block_number" (func $number (result i64)))
  (import "vm_hooks" "block_timestamp" (func $timestamp (result i64)))
  (import "vm_hooks" "contract_address" (func $address (param i32)))
  (import "vm_hooks" "math_div" (func $div (param i32 i32)))
  (import "vm_hooks" "math_mod" (func $mod (param i32 i32)))
  (import "vm_hooks" "math_pow" (func $pow (param i32 i32)))
  (import "vm_hooks" "math_add_mod" (func $addmod (param i32 i32 i32)))
  (import "vm_hooks" "math_mul_mod" (func $mulmod (param i32 i32 i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "msg_sender" (func $sender (param i32)))
  (import "vm_hooks" "msg_value" (func $value (param i32)))
  (import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vm_hooks" "tx_gas_price" (func $gasprice (param i32)))
  (import "vm_hooks" "tx_ink_price" (func $inkprice (result i32)))
  (import "vm_hooks" "tx_origin" (func $origin (param i32)))
  (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
  (memory (export "memory") 1)
"#;

/// A module with the prelude and `body` as the entrypoint's code.
pub fn program(body: &str) -> String {
    format!(
        "(module {IMPORTS}\n (func (export \"user_entrypoint\") (param $len i32) (result i32)\n {body}\n ))"
    )
}

/// A counter: increments slot 0 and returns the new value.
pub fn counter() -> String {
    program(
        r#"
    (call $sload (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 63) (i32.add (i32.load8_u (i32.const 63)) (i32.const 1)))
    (call $scache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 0))
    (call $write_result (i32.const 32) (i32.const 32))
    (i32.const 0)"#,
    )
}

/// Minimal JSON-RPC over HTTP/1.1 (one request per connection), so tests need no client crate.
pub fn rpc_raw(url: &str, body: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let hostport = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(hostport).expect("connect");
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("bad response {resp:?}: {e}"))
}

pub fn rpc(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    rpc_raw(url, &body.to_string())
}

/// The `result` of a call, panicking with the error otherwise.
pub fn rpc_ok(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let r = rpc(url, method, params);
    r.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {r}"))
}

// ------------------------------------------------------------ built contracts

/// The built wasm of `program`, or `None` (with a note) when `tidepool build` has not run.
pub fn built_wasm(program: tidepool_programs::Program) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm")
        .join(program.wasm_file());
    match std::fs::read(&path) {
        Ok(wasm) => Some(wasm),
        // CI runs `tidepool build` first, so a missing file there is a failure, not a skip.
        Err(e) if std::env::var_os("CI").is_some() => panic!("{}: {e}", path.display()),
        Err(_) => {
            eprintln!("SKIPPED: {} missing; run `tidepool build` first", path.display());
            None
        }
    }
}

/// Deploys `wasm` from dev account 0 with CREATE and activates it; returns (address, nonce).
pub fn deploy(chain: &mut Chain, wasm: &[u8]) -> (Address, u64) {
    let from = dev(chain, 0);
    let code = compress_program(wasm).expect("compress");
    let nonce = chain.account(from, chain.block_number()).expect("account").nonce;
    let request = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Create),
        input: tidepool_deploy::program::init_code_returning(&code).into(),
        gas: Some(10_000_000),
        ..Default::default()
    };
    let hash = chain.send_request(request).expect("send create");
    let mined = chain.tx(&hash).expect("mined");
    assert!(mined.success, "CREATE of Stylus code failed");
    let address = mined.contract_address.expect("created address");
    assert_eq!(address, from.create(nonce));
    let activate = tidepool_node::arbwasm::IArbWasm::activateProgramCall { program: address };
    let (_, ok) = send_value(chain, ARBWASM, activate.abi_encode(), U256::ZERO);
    assert!(ok, "activation of the built wasm failed");
    (address, nonce)
}

pub fn view<C: SolCall>(chain: &mut Chain, to: Address, call_data: C) -> C::Return {
    let (ok, out) = call(chain, to, call_data.abi_encode());
    assert!(ok, "view reverted: {out}");
    C::abi_decode_returns(&out).expect("decodes")
}
