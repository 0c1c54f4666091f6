//! End-to-end tests with Foundry's npm-packaged binaries: `cast` deploying and calling a
//! Stylus program, and a differential run of EVM-only transactions against `anvil`.
//!
//! The binaries come from `crates/node/scripts/install-tools.sh` (into `<workspace>/.tools`,
//! or `$TIDEPOOL_TOOLS`). Without them these tests print why and pass without checking.

mod common;
use std::{path::PathBuf, process::Command};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{hex, Address, Bytes, TxKind, U256};
use common::*;
use serde_json::{json, Value};
use tidepool_node::{
    chain::{dev_signers, ChainConfig},
    node::{Node, NodeConfig},
    program::compress_program,
};

fn tool(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TIDEPOOL_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
    let path = root.join(format!("node_modules/@foundry-rs/{name}-linux-amd64/bin/{name}"));
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} not found; run crates/node/scripts/install-tools.sh",
            path.display()
        );
        None
    }
}

fn cast(cast: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(cast).args(args).output().expect("run cast");
    assert!(out.status.success(), "cast {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn cast_deploys_activates_and_calls_a_stylus_program() {
    let Some(cast_bin) = tool("cast") else { return };
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let key = format!("0x{}", hex::encode(dev_signers(1).expect("key")[0].to_bytes()));
    let wasm = wat::parse_str(counter()).expect("wat");
    let code = compress_program(&wasm).expect("compress");
    let init = format!("0x{}", hex::encode(tidepool_deploy::program::init_code_returning(&code)));
    let receipt = cast(
        &cast_bin,
        &["send", "--rpc-url", &url, "--private-key", &key, "--json", "--create", &init],
    );
    let receipt: Value = serde_json::from_str(&receipt).expect("receipt json");
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let program = receipt["contractAddress"].as_str().expect("address").to_string();
    let out = cast(
        &cast_bin,
        &[
            "send",
            "--rpc-url",
            &url,
            "--private-key",
            &key,
            "--json",
            "0x0000000000000000000000000000000000000071",
            "activateProgram(address)",
            &program,
        ],
    );
    let out: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(out["status"], json!("0x1"), "{out}");
    assert_eq!(
        cast(
            &cast_bin,
            &[
                "call",
                "--rpc-url",
                &url,
                "0x0000000000000000000000000000000000000071",
                "programVersion(address)(uint16)",
                &program
            ]
        ),
        "2"
    );
    let out = cast(
        &cast_bin,
        &["send", "--rpc-url", &url, "--private-key", &key, "--json", &program, "0x"],
    );
    let out: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(out["status"], json!("0x1"), "{out}");
    assert_eq!(
        cast(&cast_bin, &["storage", "--rpc-url", &url, &program, "0"]),
        "0x0000000000000000000000000000000000000000000000000000000000000001"
    );
    let called = cast(&cast_bin, &["call", "--rpc-url", &url, &program, "0x"]);
    assert_eq!(
        U256::from_str_radix(called.trim_start_matches("0x"), 16).expect("hex"),
        U256::from(2)
    );
    assert_eq!(cast(&cast_bin, &["chain-id", "--rpc-url", &url]), "412346");
}

/// `cast run` replays a mined EVM transaction in Foundry's own EVM, from the state of the
/// block before it (read with `eth_getBalance`/`eth_getTransactionCount`/`eth_getCode`/
/// `eth_getStorageAt` at that block; it never calls `debug_traceTransaction`), and gets the
/// receipt's gas. A transaction entering a Stylus program cannot replay so: Foundry's EVM
/// does not run Stylus code (it stops at the `0xEF` prefix, `OpcodeNotFound`).
#[test]
fn cast_run_replays_an_evm_transaction() {
    let Some(cast_bin) = tool("cast") else { return };
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let key = format!("0x{}", hex::encode(dev_signers(1).expect("key")[0].to_bytes()));
    let init = tidepool_deploy::program::init_code_returning(&hex::decode(LOGGER).expect("hex"));
    let init = format!("0x{}", hex::encode(init));
    let sent = |args: &[&str]| -> Value {
        let base = ["send", "--rpc-url", &url, "--private-key", &key, "--json"];
        let out = cast(&cast_bin, &[&base[..], args].concat());
        serde_json::from_str(&out).expect("receipt json")
    };
    let created = sent(&["--create", &init]);
    let logger = created["contractAddress"].as_str().expect("address").to_string();
    let word = format!("0x{}", hex::encode(U256::from(7).to_be_bytes::<32>()));
    let receipt = sent(&[&logger, &word]);
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let hash = receipt["transactionHash"].as_str().expect("hash");
    let gas =
        u64::from_str_radix(receipt["gasUsed"].as_str().expect("gas").trim_start_matches("0x"), 16)
            .expect("quantity");
    let out = cast(&cast_bin, &["run", "--rpc-url", &url, hash]);
    assert!(out.contains("Transaction successfully executed"), "{out}");
    assert!(out.contains(&format!("Gas used: {gas}")), "the receipt's gas, {gas}: {out}");
}

/// Runtime: stores word 0 of calldata in slot 0, logs it under topic 0xaa, reverts if zero.
const LOGGER: &str = "600035806000528060005560aa60206000a1601a5760006000fd5b00";

struct Anvil(std::process::Child);

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn wait_ready(url: &str) {
    for _ in 0..100 {
        let hostport = url.trim_start_matches("http://");
        if std::net::TcpStream::connect(hostport).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{url} never came up");
}

fn raw(tx: TxEnvelope) -> String {
    format!("0x{}", hex::encode(tx.encoded_2718()))
}

fn sequence() -> Vec<String> {
    let signer = &dev_signers(2).expect("keys")[0];
    let chain_id = 412_346;
    let mut txs = Vec::new();
    let mut nonce = 0;
    let mut eip1559 = |to: TxKind, data: Vec<u8>, value: u64, gas: u64| {
        let mut tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to,
            value: U256::from(value),
            input: Bytes::from(data),
            ..Default::default()
        };
        nonce += 1;
        let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
        raw(TxEnvelope::Eip1559(tx.into_signed(sig)))
    };
    let logger = signer.address().create(1);
    let word = |n: u8| {
        let mut w = vec![0u8; 32];
        w[31] = n;
        w
    };
    txs.push(eip1559(TxKind::Call(Address::repeat_byte(0x42)), vec![], 12_345, 21_000));
    txs.push(eip1559(
        TxKind::Create,
        tidepool_deploy::program::init_code_returning(&hex::decode(LOGGER).expect("hex")).to_vec(),
        0,
        200_000,
    ));
    txs.push(eip1559(TxKind::Call(logger), word(7), 0, 100_000));
    txs.push(eip1559(TxKind::Call(logger), word(0), 0, 100_000));
    txs.push(eip1559(TxKind::Call(logger), word(9), 5, 100_000));
    let mut legacy = TxLegacy {
        chain_id: Some(chain_id),
        nonce,
        gas_price: 2_000_000_000,
        gas_limit: 30_000,
        to: TxKind::Call(Address::repeat_byte(0x43)),
        value: U256::from(1),
        input: Bytes::from(vec![1, 2, 3]),
    };
    let sig = signer.sign_transaction_sync(&mut legacy).expect("sign");
    txs.push(raw(TxEnvelope::Legacy(legacy.into_signed(sig))));
    txs
}

fn run_sequence(url: &str) -> (Vec<Value>, Vec<Value>) {
    let mut receipts = Vec::new();
    for tx in sequence() {
        let hash = rpc_ok(url, "eth_sendRawTransaction", json!([tx]));
        let mut receipt = Value::Null;
        for _ in 0..50 {
            receipt = rpc_ok(url, "eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let keep = [
            "status",
            "gasUsed",
            "cumulativeGasUsed",
            "contractAddress",
            "effectiveGasPrice",
            "type",
            "from",
            "to",
            "logsBloom",
        ];
        let mut r = serde_json::Map::new();
        for k in keep {
            r.insert(k.to_string(), receipt[k].clone());
        }
        let logs: Vec<Value> = receipt["logs"].as_array().cloned().unwrap_or_default().into_iter()
            .map(|l| json!({"address": l["address"], "topics": l["topics"], "data": l["data"], "logIndex": l["logIndex"]}))
            .collect();
        r.insert("logs".into(), Value::Array(logs));
        receipts.push(Value::Object(r));
    }
    let signer = dev_signers(1).expect("key")[0].address();
    let who = [signer, Address::repeat_byte(0x42), Address::repeat_byte(0x43), signer.create(1)];
    let balances =
        who.iter().map(|a| rpc_ok(url, "eth_getBalance", json!([a, "latest"]))).collect();
    (receipts, balances)
}

#[test]
fn evm_transactions_match_anvil() {
    let Some(anvil_bin) = tool("anvil") else { return };
    let port = free_port();
    let child = Command::new(anvil_bin)
        .args([
            "--port",
            &port.to_string(),
            "--chain-id",
            "412346",
            "--hardfork",
            "prague",
            "--base-fee",
            "1000000000",
            "--gas-limit",
            "30000000",
            "--silent",
        ])
        .spawn()
        .expect("start anvil");
    let _anvil = Anvil(child);
    let anvil_url = format!("http://127.0.0.1:{port}");
    wait_ready(&anvil_url);
    // anvil runs Ethereum's Prague, which has the EIP-7623 calldata floor; the node leaves it
    // off by default as Arbitrum does, so it is turned on for this comparison.
    let chain = ChainConfig { calldata_floor: true, ..ChainConfig::default() };
    let node = Node::spawn(NodeConfig { chain, ..NodeConfig::ephemeral() }).expect("node");
    let (ours, our_balances) = run_sequence(&node.url());
    let (theirs, their_balances) = run_sequence(&anvil_url);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "receipt {i} differs\n ours:  {a}\n anvil: {b}");
    }
    assert_eq!(our_balances, their_balances, "balances differ");
}
