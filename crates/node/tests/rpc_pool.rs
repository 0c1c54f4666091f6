//! What real clients call beyond sending: polled filters, the pending pool (queued nonces,
//! concurrent sends, replacement), state at any past block, and dev-account signing.
//! `scripts/clients.sh` checks the same with web3.py, viem and ethers.

mod artifacts;
mod common;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_dyn_abi::eip712::TypedData;
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{hex, Address, Signature, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use artifacts::Counter;
use common::*;
use serde_json::{json, Value};
use tidepool_node::{
    chain::{dev_signers, ChainConfig},
    node::{Node, NodeConfig, NodeHandle},
};

const CHAIN_ID: u64 = 412_346;

fn node() -> NodeHandle {
    Node::spawn(NodeConfig::ephemeral()).expect("node")
}

/// A transfer of `value` wei from dev account `key` with `nonce` and a tip of `tip` wei, as
/// raw hex and hash.
fn raw_transfer(key: usize, nonce: u64, value: u64, tip: u128) -> (String, String) {
    raw_transfer_paying(key, nonce, value, 2_000_000_000 + tip, tip)
}

/// [`raw_transfer`] with its fee cap given too.
fn raw_transfer_paying(
    key: usize,
    nonce: u64,
    value: u64,
    max_fee: u128,
    tip: u128,
) -> (String, String) {
    let signer = &dev_signers(key + 1).expect("signers")[key];
    let mut tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(0x77)),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    let env = TxEnvelope::Eip1559(tx.into_signed(sig));
    (format!("0x{}", hex::encode(env.encoded_2718())), format!("{:?}", env.tx_hash()))
}

fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex quantity").trim_start_matches("0x"), 16)
        .expect("quantity")
}

fn error_message(r: &Value) -> String {
    r["error"]["message"].as_str().unwrap_or_else(|| panic!("expected an error: {r}")).to_string()
}

/// Deploys a Counter from dev account 0 with eth_sendTransaction; returns its address.
fn deploy_counter(url: &str) -> String {
    let from = rpc_ok(url, "eth_accounts", json!([]))[0].clone();
    let code = format!("0x{}", hex::encode(&Counter::BYTECODE));
    let hash = rpc_ok(url, "eth_sendTransaction", json!([{"from": from, "data": code}]));
    let receipt = rpc_ok(url, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    receipt["contractAddress"].as_str().expect("address").to_string()
}

/// `increment` on `counter` from dev account `who`; returns the transaction hash.
fn increment(url: &str, counter: &str, who: usize) -> Value {
    let from = rpc_ok(url, "eth_accounts", json!([]))[who].clone();
    let data = format!("0x{}", hex::encode(Counter::incrementCall {}.abi_encode()));
    rpc_ok(url, "eth_sendTransaction", json!([{"from": from, "to": counter, "data": data}]))
}

fn topic_of(account: &Value) -> String {
    let address: Address = account.as_str().expect("address").parse().expect("address");
    format!("{:?}", address.into_word())
}

#[test]
fn filters_report_matching_logs_and_blocks_once() {
    let node = node();
    let url = node.url();
    let accounts = rpc_ok(&url, "eth_accounts", json!([]));
    let a = deploy_counter(&url);
    let b = deploy_counter(&url);
    let start = quantity(&rpc_ok(&url, "eth_blockNumber", json!([])));
    let counted = format!("{:?}", Counter::Counted::SIGNATURE_HASH);
    let new_filter = |params: Value| rpc_ok(&url, "eth_newFilter", json!([params]));
    let all = new_filter(json!({}));
    let at_a = new_filter(json!({"address": a}));
    let at_either = new_filter(json!({"address": [a, b]}));
    // A null position matches any topic; a list matches any of its topics.
    let by_1_or_2 =
        new_filter(json!({"topics": [null, [topic_of(&accounts[1]), topic_of(&accounts[2])]]}));
    let counted_any = new_filter(json!({"topics": [counted, null]}));
    let by_3 = new_filter(json!({"topics": [counted, topic_of(&accounts[3])]}));
    let until = new_filter(json!({"toBlock": format!("{:#x}", start + 2)}));
    let a_since_0 = new_filter(json!({"address": a, "fromBlock": "0x0"}));
    let blocks = rpc_ok(&url, "eth_newBlockFilter", json!([]));
    let pending = rpc_ok(&url, "eth_newPendingTransactionFilter", json!([]));

    let sent = [increment(&url, &a, 0), increment(&url, &b, 1), increment(&url, &a, 2)];
    let changes = |id: &Value| rpc_ok(&url, "eth_getFilterChanges", json!([id]));
    let tx_hashes = |logs: &Value| -> Vec<Value> {
        logs.as_array().expect("array").iter().map(|l| l["transactionHash"].clone()).collect()
    };
    let logs = changes(&all);
    assert_eq!(tx_hashes(&logs), sent, "{logs}");
    assert_eq!(logs[1]["address"], json!(b));
    assert_eq!(logs[1]["topics"][1], json!(topic_of(&accounts[1])));
    assert_eq!(changes(&all), json!([]), "new logs are reported only once");
    assert_eq!(tx_hashes(&changes(&at_a)), [sent[0].clone(), sent[2].clone()]);
    assert_eq!(tx_hashes(&changes(&at_either)), sent);
    assert_eq!(tx_hashes(&changes(&by_1_or_2)), [sent[1].clone(), sent[2].clone()]);
    assert_eq!(tx_hashes(&changes(&counted_any)), sent);
    assert_eq!(changes(&by_3), json!([]));
    assert_eq!(tx_hashes(&changes(&until)), [sent[0].clone(), sent[1].clone()]);
    let block_hashes: Vec<Value> = (start + 1..=start + 3)
        .map(|n| {
            rpc_ok(&url, "eth_getBlockByNumber", json!([format!("{n:#x}"), false]))["hash"].clone()
        })
        .collect();
    assert_eq!(changes(&blocks).as_array().expect("hashes"), &block_hashes);
    assert_eq!(changes(&blocks), json!([]));
    assert_eq!(changes(&pending).as_array().expect("hashes"), &sent);
    assert_eq!(changes(&pending), json!([]));

    // eth_getFilterLogs reads the whole range every time and leaves the changes alone.
    let whole = rpc_ok(&url, "eth_getFilterLogs", json!([a_since_0]));
    assert_eq!(tx_hashes(&whole), [sent[0].clone(), sent[2].clone()]);
    assert_eq!(rpc_ok(&url, "eth_getFilterLogs", json!([a_since_0])), whole);
    assert_eq!(tx_hashes(&changes(&a_since_0)), [sent[0].clone(), sent[2].clone()]);
    let r = rpc(&url, "eth_getFilterLogs", json!([blocks]));
    assert_eq!(error_message(&r), "filter not found", "a block filter has no logs");

    let later = increment(&url, &a, 0);
    assert_eq!(tx_hashes(&changes(&all)), [later]);
    assert_eq!(changes(&until), json!([]), "past its toBlock");

    // Removed filters are gone: uninstall says so, and polls fail as in geth.
    assert_eq!(rpc_ok(&url, "eth_uninstallFilter", json!([all])), json!(true));
    assert_eq!(rpc_ok(&url, "eth_uninstallFilter", json!([all])), json!(false));
    for method in ["eth_getFilterChanges", "eth_getFilterLogs"] {
        let r = rpc(&url, method, json!([all]));
        assert_eq!(r["error"]["code"], json!(-32000), "{r}");
        assert_eq!(error_message(&r), "filter not found");
    }
}

/// After `evm_revert`, block numbers a filter has passed name new blocks, and it reports them.
#[test]
fn block_filter_follows_a_revert() {
    let node = node();
    let url = node.url();
    let blocks = rpc_ok(&url, "eth_newBlockFilter", json!([]));
    let snapshot = rpc_ok(&url, "evm_snapshot", json!([]));
    rpc_ok(&url, "anvil_mine", json!(["0x3"]));
    assert_eq!(
        rpc_ok(&url, "eth_getFilterChanges", json!([blocks])).as_array().map(Vec::len),
        Some(3)
    );
    rpc_ok(&url, "evm_revert", json!([snapshot]));
    rpc_ok(&url, "evm_mine", json!([]));
    let fresh = rpc_ok(&url, "eth_getBlockByNumber", json!(["0x1", false]))["hash"].clone();
    assert_eq!(rpc_ok(&url, "eth_getFilterChanges", json!([blocks])), json!([fresh]));
}

#[test]
fn nonce_gaps_filled_out_of_order_are_mined_in_order() {
    let node = node();
    let url = node.url();
    let dev0 = rpc_ok(&url, "eth_accounts", json!([]))[0].clone();
    let send = |nonce: u64| {
        let (raw, hash) = raw_transfer(0, nonce, nonce + 1, 1);
        assert_eq!(rpc_ok(&url, "eth_sendRawTransaction", json!([raw])), json!(hash));
        hash
    };
    let h3 = send(3);
    let h1 = send(1);
    let h2 = send(2);
    // Queued, not mined, and shown as geth shows them.
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(
        rpc_ok(&url, "txpool_status", json!([])),
        json!({"pending": "0x0", "queued": "0x3"})
    );
    let content = rpc_ok(&url, "txpool_content", json!([]));
    let sender = dev0.as_str().expect("address");
    let queued = &content["queued"][sender];
    assert_eq!(queued["1"]["hash"], json!(h1), "{content}");
    assert_eq!(queued["3"]["nonce"], json!("0x3"));
    assert_eq!(queued["2"]["blockHash"], Value::Null);
    assert_eq!(content["pending"], json!({}));
    let inspect = rpc_ok(&url, "txpool_inspect", json!([]));
    let line = inspect["queued"][sender]["2"].as_str().expect("summary").to_string();
    assert!(line.ends_with(": 3 wei + 21000 gas × 2000000001 wei"), "{line}");
    let tx = rpc_ok(&url, "eth_getTransactionByHash", json!([h2]));
    assert_eq!((tx["hash"].clone(), tx["blockNumber"].clone()), (json!(h2), Value::Null));
    assert_eq!(rpc_ok(&url, "eth_getTransactionReceipt", json!([h2])), Value::Null);
    assert_eq!(rpc_ok(&url, "eth_getTransactionCount", json!([dev0, "pending"])), json!("0x0"));
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw_transfer(0, 2, 3, 1).0]));
    assert!(error_message(&r).starts_with("already known"), "{r}");

    // Nonce 0 fills the gap: it and its queued successors are mined at once, in nonce order.
    let h0 = send(0);
    assert_eq!(rpc_ok(&url, "eth_blockNumber", json!([])), json!("0x4"));
    for (n, hash) in [&h0, &h1, &h2, &h3].into_iter().enumerate() {
        let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([hash]));
        assert_eq!(quantity(&receipt["blockNumber"]), n as u64 + 1, "{receipt}");
        assert_eq!(receipt["status"], json!("0x1"));
    }
    assert_eq!(
        rpc_ok(&url, "txpool_status", json!([])),
        json!({"pending": "0x0", "queued": "0x0"})
    );
    assert_eq!(rpc_ok(&url, "eth_getTransactionCount", json!([dev0, "pending"])), json!("0x4"));
    let to = format!("{:?}", Address::repeat_byte(0x77));
    assert_eq!(rpc_ok(&url, "eth_getBalance", json!([to, "latest"])), json!("0xa"));
    let r = rpc(&url, "eth_sendRawTransaction", json!([raw_transfer(0, 1, 9, 1).0]));
    assert!(error_message(&r).contains("nonce too low"), "{r}");
}

#[test]
fn a_queued_transaction_is_replaced_only_by_a_ten_percent_higher_fee() {
    let node = node();
    let url = node.url();
    const GWEI: u128 = 1_000_000_000;
    let send = |nonce: u64, value: u64, max_fee: u128, tip: u128| {
        let (raw, hash) = raw_transfer_paying(0, nonce, value, max_fee, tip);
        (rpc(&url, "eth_sendRawTransaction", json!([raw])), hash)
    };
    let (r, first) = send(1, 1, 40 * GWEI, 10 * GWEI);
    assert!(r["result"].is_string(), "{r}");
    // Both fees must rise by 10%: 5% more is not enough, nor is only one fee, nor less.
    for (max_fee, tip, why) in [
        (42 * GWEI, 105 * GWEI / 10, "5% more"),
        (40 * GWEI, 11 * GWEI, "a higher tip alone"),
        (44 * GWEI, 10 * GWEI, "a higher fee cap alone"),
        (36 * GWEI, 9 * GWEI, "less"),
    ] {
        let (r, _) = send(1, 2, max_fee, tip);
        assert_eq!(error_message(&r), "replacement transaction underpriced", "{why}: {r}");
    }
    let (r, second) = send(1, 3, 44 * GWEI, 11 * GWEI);
    assert_eq!(r["result"], json!(second), "10% more replaces: {r}");
    assert_eq!(rpc_ok(&url, "eth_getTransactionByHash", json!([first])), Value::Null);
    let (r, zero) = send(0, 1, 2 * GWEI, 0);
    assert_eq!(r["result"], json!(zero));
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([second]));
    assert_eq!(receipt["blockNumber"], json!("0x2"), "{receipt}");
    assert_eq!(rpc_ok(&url, "eth_getTransactionReceipt", json!([first])), Value::Null);
    let to = format!("{:?}", Address::repeat_byte(0x77));
    assert_eq!(rpc_ok(&url, "eth_getBalance", json!([to, "latest"])), json!("0x4"));
}

#[test]
fn concurrent_sends_from_one_key_are_all_mined() {
    const SENDS: u64 = 8;
    let node = node();
    let url = &node.url();
    let dev = rpc_ok(url, "eth_accounts", json!([]));
    // Signed with consecutive nonces (as a client's nonce manager does), sent at once.
    let raw: Vec<(String, String)> = (0..SENDS).map(|n| raw_transfer(0, n, 1, 1)).collect();
    let raw_hashes: Vec<Value> = std::thread::scope(|s| {
        let threads: Vec<_> = raw
            .iter()
            .map(|(raw, _)| s.spawn(move || rpc_ok(url, "eth_sendRawTransaction", json!([raw]))))
            .collect();
        threads.into_iter().map(|t| t.join().expect("thread")).collect()
    });
    // eth_sendTransaction with no nonce: the node numbers them.
    let from = &dev[1];
    let request = json!([{"from": from, "to": dev[2], "value": "0x1"}]);
    let sent_hashes: Vec<Value> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..SENDS)
            .map(|_| s.spawn(|| rpc_ok(url, "eth_sendTransaction", request.clone())))
            .collect();
        threads.into_iter().map(|t| t.join().expect("thread")).collect()
    });
    for (hashes, sender) in [(&raw_hashes, &dev[0]), (&sent_hashes, &dev[1])] {
        let mut nonces = Vec::new();
        for hash in hashes {
            let tx = rpc_ok(url, "eth_getTransactionByHash", json!([hash]));
            assert!(tx["blockNumber"].is_string(), "mined: {tx}");
            nonces.push((quantity(&tx["blockNumber"]), quantity(&tx["nonce"])));
        }
        nonces.sort_unstable();
        let in_block_order: Vec<u64> = nonces.iter().map(|(_, nonce)| *nonce).collect();
        assert_eq!(in_block_order, (0..SENDS).collect::<Vec<_>>());
        let count = rpc_ok(url, "eth_getTransactionCount", json!([sender, "latest"]));
        assert_eq!(quantity(&count), SENDS);
    }
}

#[test]
fn state_of_every_block_is_kept_unless_pruned() {
    let node = node();
    let url = node.url();
    let dev0 = rpc_ok(&url, "eth_accounts", json!([]))[0].clone();
    let counter = deploy_counter(&url); // block 1: count 0
    increment(&url, &counter, 0); // block 2: count 1
    rpc_ok(&url, "anvil_mine", json!(["0x3e8"]));
    increment(&url, &counter, 0); // block 1003: count 2
    let count_at = |url: &str, block: &str| {
        let data = format!("0x{}", hex::encode(Counter::countCall {}.abi_encode()));
        rpc(url, "eth_call", json!([{"to": counter, "data": data}, block]))
    };
    let word = |n: u64| json!(format!("{:?}", B256::from(U256::from(n))));
    assert_eq!(count_at(&url, "0x1")["result"], word(0));
    assert_eq!(count_at(&url, "0x2")["result"], word(1));
    assert_eq!(count_at(&url, "0x3e9")["result"], word(1));
    assert_eq!(count_at(&url, "latest")["result"], word(2));
    let slot0 = |block: &str| rpc_ok(&url, "eth_getStorageAt", json!([counter, "0x0", block]));
    assert_eq!((slot0("0x1"), slot0("0x2"), slot0("latest")), (word(0), word(1), word(2)));
    assert_eq!(rpc_ok(&url, "eth_getCode", json!([counter, "0x0"])), json!("0x"));
    let code = format!("0x{}", hex::encode(&Counter::DEPLOYED_BYTECODE));
    assert_eq!(rpc_ok(&url, "eth_getCode", json!([counter, "0x1"])), json!(code));
    assert_eq!(rpc_ok(&url, "eth_getTransactionCount", json!([dev0, "0x1"])), json!("0x1"));
    let funded = rpc_ok(&url, "eth_getBalance", json!([dev0, "0x0"]));
    assert_eq!(funded, json!("0x21e19e0c9bab2400000"));
    assert_ne!(rpc_ok(&url, "eth_getBalance", json!([dev0, "latest"])), funded);

    // --prune-history 10 keeps the last ten blocks' states.
    let config = NodeConfig {
        chain: ChainConfig { state_history: Some(10), ..ChainConfig::default() },
        ..NodeConfig::ephemeral()
    };
    let pruned = Node::spawn(config).expect("node");
    let url = pruned.url();
    let counter = deploy_counter(&url);
    rpc_ok(&url, "anvil_mine", json!(["0x14"])); // latest 21
    let count_at = |block: &str| {
        let data = format!("0x{}", hex::encode(Counter::countCall {}.abi_encode()));
        rpc(&url, "eth_call", json!([{"to": counter, "data": data}, block]))
    };
    assert_eq!(count_at("0xb")["result"], word(0), "block 11 is kept");
    let r = count_at("0xa");
    assert!(error_message(&r).contains("no longer kept"), "{r}");
    let r = rpc(&url, "eth_getBalance", json!([dev0, "0x1"]));
    assert!(error_message(&r).contains("no longer kept"), "{r}");
}

#[test]
fn dev_accounts_sign_and_others_are_unknown() {
    let node = node();
    let url = node.url();
    let dev0: Address = rpc_ok(&url, "eth_accounts", json!([]))[0]
        .as_str()
        .expect("address")
        .parse()
        .expect("address");
    let recover = |sig: &Value, hash: B256| {
        let bytes = hex::decode(sig.as_str().expect("signature")).expect("hex");
        assert_eq!(bytes.len(), 65);
        assert!(bytes[64] == 27 || bytes[64] == 28, "v is 27 or 28");
        Signature::from_raw(&bytes).expect("signature").recover_address_from_prehash(&hash)
    };
    let personal = |msg: &[u8]| alloy_primitives::eip191_hash_message(msg);
    let sig = rpc_ok(&url, "eth_sign", json!([dev0, "0x68656c6c6f"]));
    assert_eq!(recover(&sig, personal(b"hello")).expect("recover"), dev0);
    let sig = rpc_ok(&url, "personal_sign", json!(["0x6869", dev0]));
    assert_eq!(recover(&sig, personal(b"hi")).expect("recover"), dev0);
    let sig = rpc_ok(&url, "personal_sign", json!(["plain text", dev0, ""]));
    assert_eq!(recover(&sig, personal(b"plain text")).expect("recover"), dev0);

    let typed = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "Mail": [{"name": "to", "type": "address"}, {"name": "contents", "type": "string"}]
        },
        "primaryType": "Mail",
        "domain": {"name": "Tidepool", "chainId": CHAIN_ID, "verifyingContract": format!("{:?}", Address::repeat_byte(0xcc))},
        "message": {"to": format!("{:?}", Address::repeat_byte(0xbb)), "contents": "hello"}
    });
    let hash = serde_json::from_value::<TypedData>(typed.clone())
        .expect("typed data")
        .eip712_signing_hash()
        .expect("hash");
    // As an object and, as viem and ethers send it, as a JSON string.
    for data in [typed.clone(), json!(typed.to_string())] {
        let sig = rpc_ok(&url, "eth_signTypedData_v4", json!([dev0, data]));
        assert_eq!(recover(&sig, hash).expect("recover"), dev0);
    }

    let stranger = format!("{:?}", Address::repeat_byte(0x99));
    for (method, params) in [
        ("eth_sign", json!([stranger, "0x00"])),
        ("personal_sign", json!(["0x00", stranger])),
        ("eth_signTypedData_v4", json!([stranger, typed])),
        ("eth_sendTransaction", json!([{"from": stranger, "to": stranger}])),
    ] {
        let r = rpc(&url, method, params);
        assert!(error_message(&r).starts_with("unknown account"), "{method}: {r}");
    }

    // eth_sendTransaction fills nonce, gas and fees and signs with the dev key.
    let hash = rpc_ok(
        &url,
        "eth_sendTransaction",
        json!([{"from": dev0, "to": stranger, "value": "0x5"}]),
    );
    let tx = rpc_ok(&url, "eth_getTransactionByHash", json!([hash]));
    assert_eq!(
        (tx["nonce"].clone(), tx["gas"].clone(), tx["type"].clone()),
        (json!("0x0"), json!("0x5208"), json!("0x2"))
    );
    let from: Address = tx["from"].as_str().expect("from").parse().expect("address");
    assert_eq!(from, dev0);
}
