//! `tidepool-node-bench`: prints Stylus calls per second in-process and transactions per
//! second over JSON-RPC, both for a storage-writing counter program.
//!
//! Usage: `tidepool-node-bench [CALLS] [TXS]` (defaults 20000 and 4000).

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::Instant,
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{hex, Address, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use tidepool_node::{
    arbwasm::{IArbWasm, ADDRESS as ARBWASM},
    chain::{Chain, ChainConfig},
    node::{Node, NodeConfig},
    program::compress_program,
};

const COUNTER: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $sload (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $scache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (memory (export "memory") 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 128))
    (call $sload (i32.const 0) (i32.const 32))
    (i64.store (i32.const 56)
      (i64.add (i64.load (i32.const 56)) (i64.const 1)))
    (call $scache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 1))
    (call $write_result (i32.const 32) (i32.const 32))
    (i32.const 0)))"#;

type BoxError = Box<dyn std::error::Error>;

fn deploy(chain: &mut Chain, at: Address) -> Result<(), BoxError> {
    let wasm = wat::parse_str(COUNTER)?;
    chain.set_code(at, compress_program(&wasm)?.into())?;
    let from = chain.accounts()[0];
    let req = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Call(ARBWASM)),
        input: IArbWasm::activateProgramCall { program: at }.abi_encode().into(),
        ..Default::default()
    };
    let hash = chain.send_request(req)?;
    if !chain.tx(&hash).is_some_and(|t| t.success) {
        return Err("activation failed".into());
    }
    Ok(())
}

fn in_process(calls: usize) -> Result<(), BoxError> {
    let mut chain = Chain::new(ChainConfig { state_history: Some(0), ..ChainConfig::default() })?;
    let counter = Address::repeat_byte(0xC0);
    deploy(&mut chain, counter)?;
    let from = chain.accounts()[0];
    let req = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Call(counter)),
        gas: Some(200_000),
        ..Default::default()
    };
    let start = Instant::now();
    for _ in 0..calls {
        chain.send_request(req.clone())?;
    }
    let secs = start.elapsed().as_secs_f64();
    let slot = chain.storage(counter, U256::ZERO, chain.block_number())?;
    if slot.is_zero() {
        return Err("counter never written".into());
    }
    println!(
        "in-process: {calls} storage-writing Stylus transactions (one block each) in {secs:.2}s = {:.0} calls/s",
        calls as f64 / secs
    );
    let start = Instant::now();
    for _ in 0..calls {
        chain.call(req.clone(), alloy_eips::BlockNumberOrTag::Latest, None)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "in-process: {calls} Stylus eth_calls in {secs:.2}s = {:.0} calls/s",
        calls as f64 / secs
    );
    Ok(())
}

/// A keep-alive HTTP/1.1 JSON-RPC connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Conn {
    fn open(url: &str) -> Result<Self, BoxError> {
        let host = url.trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(&host)?;
        stream.set_nodelay(true)?;
        Ok(Self { reader: BufReader::new(stream.try_clone()?), writer: stream, host })
    }

    fn post(&mut self, body: &str) -> Result<String, BoxError> {
        write!(
            self.writer,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        )?;
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse()?;
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf)?;
        Ok(String::from_utf8(buf)?)
    }
}

fn over_rpc(txs: usize) -> Result<(), BoxError> {
    let mut config = NodeConfig::ephemeral();
    config.chain.state_history = Some(0);
    let node = Node::spawn(config)?;
    let counter = Address::repeat_byte(0xC0);
    deploy(&mut node.chain().lock(), counter)?;
    let signers = node.chain().lock().signers().to_vec();
    let chain_id = node.chain().lock().config().chain_id;
    // Pre-sign so the measurement is the node's work, split over clients by sender.
    let clients = signers.len().min(4);
    let mut batches = Vec::new();
    for (c, signer) in signers.iter().take(clients).enumerate() {
        let start_nonce = {
            let chain = node.chain().lock();
            chain.account(signer.address(), chain.block_number())?.nonce
        };
        let mut raws = Vec::new();
        for i in 0..txs / clients {
            let mut tx = TxEip1559 {
                chain_id,
                nonce: start_nonce + i as u64,
                gas_limit: 200_000,
                max_fee_per_gas: 100_000_000_000,
                max_priority_fee_per_gas: 0,
                to: TxKind::Call(counter),
                input: vec![c as u8].into(),
                ..Default::default()
            };
            let sig = signer.sign_transaction_sync(&mut tx)?;
            let env = TxEnvelope::Eip1559(tx.into_signed(sig));
            raws.push(format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"eth_sendRawTransaction","params":["0x{}"]}}"#,
                hex::encode(env.encoded_2718())
            ));
        }
        batches.push(raws);
    }
    let url = node.url();
    let total: usize = batches.iter().map(Vec::len).sum();
    let start = Instant::now();
    let workers: Vec<_> = batches
        .into_iter()
        .map(|raws| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<usize, String> {
                let mut conn = Conn::open(&url).map_err(|e| e.to_string())?;
                let mut errors = 0;
                for body in raws {
                    let resp = conn.post(&body).map_err(|e| e.to_string())?;
                    if resp.contains("\"error\"") {
                        errors += 1;
                    }
                }
                Ok(errors)
            })
        })
        .collect();
    let mut errors = 0;
    for w in workers {
        errors += w.join().map_err(|_| "client thread panicked")??;
    }
    let secs = start.elapsed().as_secs_f64();
    let slot = {
        let chain = node.chain().lock();
        chain.storage(counter, U256::ZERO, chain.block_number())?
    };
    println!(
        "over RPC: {total} eth_sendRawTransaction (storage-writing Stylus call, automined) from {clients} clients in {secs:.2}s = {:.0} tx/s ({errors} errors, counter slot {})",
        total as f64 / secs,
        if slot.is_zero() { "unwritten" } else { "written" }
    );
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let calls = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let txs = args.next().and_then(|a| a.parse().ok()).unwrap_or(4_000);
    in_process(calls)?;
    over_rpc(txs)?;
    Ok(())
}
