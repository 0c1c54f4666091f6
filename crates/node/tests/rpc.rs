//! JSON-RPC behaviour over HTTP: standard methods, dev methods, and error handling.

mod common;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{hex, Address, TxKind, U256};
use common::*;
use serde_json::json;
use tidepool_node::{
    chain::dev_signers,
    node::{Node, NodeConfig},
};

fn raw_1559(chain_id: u64, nonce: u64, to: Address, value: u64) -> String {
    let signer = &dev_signers(1).expect("signer")[0];
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    let env = TxEnvelope::Eip1559(tx.into_signed(sig));
    format!("0x{}", hex::encode(env.encoded_2718()))
}

#[test]
fn standard_methods_and_errors() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    assert_eq!(rpc_ok(&url, "eth_chainId", json!([])), json!("0x64aba"));
    assert_eq!(rpc_ok(&url, "net_version", json!([])), json!("412346"));
    let accounts = rpc_ok(&url, "eth_accounts", json!([]));
    assert_eq!(accounts.as_array().map(|a| a.len()), Some(10));
    assert_eq!(accounts[0], json!("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    let bal = rpc_ok(&url, "eth_getBalance", json!([accounts[0], "latest"]));
    assert_eq!(bal, json!("0x21e19e0c9bab2400000"));

    // Error codes.
    let r = rpc_raw(&url, "{not json");
    assert_eq!(r["error"]["code"], json!(-32700), "{r}");
    let r = rpc(&url, "eth_nope", json!([]));
    assert_eq!(r["error"]["code"], json!(-32601), "{r}");
    let r = rpc(&url, "eth_getBalance", json!(["0x12"]));
    assert_eq!(r["error"]["code"], json!(-32602), "{r}");
    let r = rpc(&url, "eth_sendRawTransaction", json!(["0x1234"]));
    assert_eq!(r["error"]["code"], json!(-32000), "{r}");

    // Raw transactions: wrong chain id, then good, then nonce reuse.
    let to = Address::repeat_byte(0x42);
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw_1559(1, 0, to, 1)]));
    assert!(r["error"]["message"].as_str().unwrap_or("").contains("chain id"), "{r}");
    let hash = rpc_ok(&url, "eth_sendRawTransaction", json!([raw_1559(412_346, 0, to, 5)]));
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw_1559(412_346, 0, to, 5)]));
    assert!(r["error"].is_object(), "{r}");
    // A nonce ahead of the account's waits in the pool (tests/rpc_pool.rs) and is not mined.
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw_1559(412_346, 7, to, 5)]));
    assert!(r["result"].is_string(), "{r}");
    assert_eq!(rpc_ok(&url, "eth_getBalance", json!([to])), json!("0x5"));
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x1"));
    let block = rpc_ok(&url, "eth_getBlockByNumber", json!(["latest", true]));
    assert_eq!(block["transactions"][0]["hash"], hash);
    let by_hash = rpc_ok(&url, "eth_getBlockByHash", json!([block["hash"], false]));
    assert_eq!(by_hash["number"], json!("0x1"));
    let tx = rpc_ok(&url, "eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["from"], accounts[0]);

    // Batches.
    let r = rpc_raw(
        &url,
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]},{"jsonrpc":"2.0","id":2,"method":"nope","params":[]}]"#,
    );
    assert_eq!(r.as_array().map(|a| a.len()), Some(2), "{r}");

    // Legacy transaction from an insufficiently funded account fails cleanly.
    let poor = alloy_signer_local::PrivateKeySigner::random();
    let mut legacy = TxLegacy {
        chain_id: Some(412_346),
        nonce: 0,
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value: U256::from(1),
        ..Default::default()
    };
    let sig = poor.sign_transaction_sync(&mut legacy).expect("sign");
    let raw =
        format!("0x{}", hex::encode(TxEnvelope::Legacy(legacy.into_signed(sig)).encoded_2718()));
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw]));
    assert!(r["error"]["message"].as_str().unwrap_or("").contains("insufficient funds"), "{r}");
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x1"));
}

#[test]
fn dev_methods() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let who = "0x00000000000000000000000000000000000000aa";
    let snap = rpc_ok(&url, "evm_snapshot", json!([]));
    rpc_ok(&url, "anvil_setBalance", json!([who, "0x1000000000000000000"]));
    rpc_ok(&url, "anvil_setCode", json!([who, "0x6001600055"]));
    assert_eq!(rpc_ok(&url, "eth_getCode", json!([who, "latest"])), json!("0x6001600055"));
    rpc_ok(&url, "anvil_impersonateAccount", json!([who]));
    let t0 = rpc_ok(&url, "eth_getBlockByNumber", json!(["latest", false]))["timestamp"].clone();
    rpc_ok(&url, "evm_increaseTime", json!([3600]));
    let h = rpc_ok(
        &url,
        "eth_sendTransaction",
        json!([{"from": who, "to": "0x00000000000000000000000000000000000000bb", "value": "0x1"}]),
    );
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([h]));
    assert_eq!(receipt["from"], json!(who));
    let t1 = rpc_ok(&url, "eth_getBlockByNumber", json!(["latest", false]))["timestamp"].clone();
    let parse = |v: &serde_json::Value| {
        u64::from_str_radix(v.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16).unwrap_or(0)
    };
    assert!(parse(&t1) >= parse(&t0) + 3600);
    rpc_ok(&url, "evm_mine", json!([]));
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x2"));
    assert_eq!(rpc_ok(&url, "evm_revert", json!([snap])), json!(true));
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(rpc_ok(&url, "eth_getCode", json!([who, "latest"])), json!("0x"));
    assert_eq!(rpc_ok(&url, "eth_getTransactionReceipt", json!([h])), json!(null));
}

#[test]
fn state_survives_restart() {
    let dir = std::env::temp_dir().join(format!("tidepool-node-state-{}", std::process::id()));
    let file = dir.with_extension("json");
    let who = "0x00000000000000000000000000000000000000cc";
    {
        let node =
            Node::spawn(NodeConfig { dump_state: Some(file.clone()), ..NodeConfig::ephemeral() })
                .expect("node");
        rpc_ok(&node.url(), "anvil_setBalance", json!([who, "0x1234"]));
        node.stop().expect("stop");
    }
    let node =
        Node::spawn(NodeConfig { load_state: Some(file.clone()), ..NodeConfig::ephemeral() })
            .expect("node");
    assert_eq!(rpc_ok(&node.url(), "eth_getBalance", json!([who, "latest"])), json!("0x1234"));
    let _ = std::fs::remove_file(file);
}
