//! Arbitrum fidelity and the RPC methods debuggers and wallets call beyond the send path
//! (issue 16): receipts with `gasUsedForL1`/`l1BlockNumber`, `eth_getBlockReceipts`,
//! `eth_blobBaseFee`, the calldata floor off by default, P256 verification at `0x100`,
//! `eth_createAccessList`, `eth_getProof` and `debug_traceTransaction` with `callTracer`.

mod artifacts;
mod common;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, eip2930::AccessList};
use alloy_network::TxSignerSync;
use alloy_primitives::{address, hex, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolValue};
use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
use artifacts::{Counter, ReentrancyProbe, Reverter};
use common::*;
use serde_json::{json, Value};
use tidepool_node::{
    chain::{dev_signers, Chain, ChainConfig},
    node::{Node, NodeConfig},
};

/// P256 verification (RIP-7212) at `0x100`.
const P256: Address = address!("0000000000000000000000000000000000000100");
/// A valid (message hash, r, s, x, y), from the daimo-eth p256-verifier test vectors.
const P256_VALID: &str = "4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4da73bd4903f0ce3b639bbbf6e8e80d16931ff4bcf5993d58468e8fb19086e8cac36dbcd03009df8c59286b162af3bd7fcc0450c9aa81be5d10d312af6c66b1d604aebd3099c618202fcfe16ae7770b0c49ab5eadf74b754204a3bb6060e44eff37618b065f9832de4ca6ca971a7a1adc826d0f7c00181a5fb2ddf79ae00b4e10e";

/// Standard (EIP-2028) calldata gas: 4 per zero byte, 16 per other byte.
fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

fn signed(nonce: u64, to: Address, data: Vec<u8>, gas_limit: u64) -> String {
    let signer = &dev_signers(1).expect("signer")[0];
    let mut tx = TxEip1559 {
        chain_id: 412_346,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        to: TxKind::Call(to),
        input: data.into(),
        ..Default::default()
    };
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    format!("0x{}", hex::encode(TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718()))
}

#[test]
fn receipts_carry_arbitrums_fields_and_blocks_list_them() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    rpc_ok(&url, "anvil_mine", json!([2]));
    let hash = rpc_ok(&url, "eth_sendRawTransaction", json!([signed(0, addr(7), vec![], 21_000)]));
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["blockNumber"], json!("0x3"), "{receipt}");
    assert_eq!(receipt["gasUsedForL1"], json!("0x0"), "no L1 data fee on this node: {receipt}");
    assert_eq!(receipt["l1BlockNumber"], json!("0x3"), "the block's own number: {receipt}");

    let by_number = rpc_ok(&url, "eth_getBlockReceipts", json!(["0x3"]));
    assert_eq!(by_number, json!([receipt]));
    let by_hash = rpc_ok(&url, "eth_getBlockReceipts", json!([receipt["blockHash"]]));
    assert_eq!(by_hash, json!([receipt]));
    assert_eq!(rpc_ok(&url, "eth_getBlockReceipts", json!(["latest"])), json!([receipt]));
    assert_eq!(rpc_ok(&url, "eth_getBlockReceipts", json!(["0x1"])), json!([]));
    assert_eq!(rpc_ok(&url, "eth_getBlockReceipts", json!(["0x63"])), Value::Null);

    // No blob transactions here: every header has excess blob gas 0, so the minimum.
    assert_eq!(rpc_ok(&url, "eth_blobBaseFee", json!([])), json!("0x1"));
}

/// A transfer carrying 2,000 bytes of calldata to an account without code (not a precompile).
fn calldata_heavy(chain: &mut Chain) -> (u64, Vec<u8>) {
    let data: Vec<u8> = (0..2_000u32).map(|i| if i % 4 == 0 { 0 } else { 0xab }).collect();
    let from = dev(chain, 0);
    let request =
        TransactionRequest { gas: Some(200_000), ..req(from, addr(0x9999), data.clone()) };
    let hash = chain.send_request(request).expect("send");
    (chain.tx(&hash).expect("mined").gas_used, data)
}

#[test]
fn calldata_costs_the_standard_rate_unless_the_floor_is_enabled() {
    let (gas, data) = calldata_heavy(&mut chain());
    assert_eq!(gas, 21_000 + calldata_gas(&data), "4/16 per byte, as on Arbitrum by default");

    let mut floored =
        Chain::new(ChainConfig { calldata_floor: true, ..ChainConfig::default() }).expect("chain");
    let (gas, data) = calldata_heavy(&mut floored);
    // EIP-7623: 10 gas per token, a non-zero byte being 4 tokens.
    let tokens: u64 = data.iter().map(|b| if *b == 0 { 1 } else { 4 }).sum();
    assert_eq!(gas, 21_000 + 10 * tokens, "the floor applies when enabled");
    assert!(gas > 21_000 + calldata_gas(&data));
}

#[test]
fn p256_verification_is_at_0x100_for_3450_gas() {
    let mut chain = chain();
    let valid = hex::decode(P256_VALID).expect("hex");
    let mut invalid = valid.clone();
    invalid[0] ^= 0x70;

    let (ok, out) = call(&mut chain, P256, valid.clone());
    assert!(ok);
    assert_eq!(out.as_ref(), B256::with_last_byte(1).as_slice(), "a valid signature answers 1");
    let (ok, out) = call(&mut chain, P256, invalid.clone());
    assert!(ok, "an invalid signature is not a failure");
    assert!(out.is_empty(), "an invalid signature answers nothing: {out}");

    // The price: the precompile's 3,450 on top of the transaction's intrinsic gas.
    let (hash, ok) = send(&mut chain, P256, valid.clone());
    assert!(ok);
    let used = chain.tx(&hash).expect("mined").gas_used;
    assert_eq!(used, 21_000 + calldata_gas(&valid) + 3_450);

    // From Solidity: the probe's `relay` calls the precompile and returns what it answered.
    let probe = create(&mut chain, ReentrancyProbe::BYTECODE.clone());
    for (input, expected) in [(valid, B256::with_last_byte(1).to_vec()), (invalid, Vec::new())] {
        let relay = ReentrancyProbe::relayCall { program: P256, data: input.into() };
        let (ok, out) = call(&mut chain, probe, relay.abi_encode());
        assert!(ok);
        let answer = ReentrancyProbe::relayCall::abi_decode_returns(&out).expect("bytes");
        assert_eq!(answer.to_vec(), expected);
    }
}

#[test]
fn access_lists_hold_what_solidity_and_stylus_code_loads() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let (counter, stylus) = {
        let mut chain = node.chain().lock();
        let counter = create(&mut chain, Counter::BYTECODE.clone());
        let stylus = addr(0x5757);
        deploy_wat(&mut chain, stylus, &common::counter());
        (counter, stylus)
    };
    let from = format!("{:?}", dev_signers(1).expect("signer")[0].address());

    // Solidity: `count` is slot 0 of the called contract.
    let data = format!("0x{}", hex::encode(Counter::incrementCall {}.abi_encode()));
    let request = json!({"from": from, "to": counter, "data": data});
    let result = rpc_ok(&url, "eth_createAccessList", json!([request, "latest"]));
    assert_eq!(
        result["accessList"],
        json!([{"address": counter, "storageKeys": [B256::ZERO]}]),
        "{result}"
    );
    assert!(result.get("error").is_none(), "{result}");
    // The reported gas is what the transaction uses with that list.
    let gas_used = result["gasUsed"].clone();
    let list: AccessList = serde_json::from_value(result["accessList"].clone()).expect("list");
    let sent = TransactionRequest {
        access_list: Some(list),
        ..req(
            dev_signers(1).expect("signer")[0].address(),
            counter,
            Counter::incrementCall {}.abi_encode(),
        )
    };
    let hash = node.chain().lock().send_request(sent).expect("send");
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["gasUsed"], gas_used);

    // Stylus: the slot the program reads and writes through its host I/Os is listed; the
    // node's activation records in ArbWasm are not.
    let request = json!({"from": from, "to": stylus, "data": "0x"});
    let result = rpc_ok(&url, "eth_createAccessList", json!([request]));
    assert_eq!(
        result["accessList"],
        json!([{"address": stylus, "storageKeys": [B256::ZERO]}]),
        "{result}"
    );

    // A reverting call still answers, with the error.
    let reverter = create(&mut node.chain().lock(), Reverter::BYTECODE.clone());
    let data =
        format!("0x{}", hex::encode(Reverter::refuseCall { code: U256::from(3) }.abi_encode()));
    let request = json!({"from": from, "to": reverter, "data": data});
    let result = rpc_ok(&url, "eth_createAccessList", json!([request]));
    assert_eq!(result["error"], json!("execution reverted"), "{result}");
    assert_eq!(result["accessList"][0]["address"], json!(reverter), "{result}");
}

#[test]
fn proofs_verify_against_the_state_root() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let counter = create(&mut node.chain().lock(), Counter::BYTECODE.clone());
    let data = Counter::incrementCall {}.abi_encode();
    for _ in 0..3 {
        let (_, ok) = send(&mut node.chain().lock(), counter, data.clone());
        assert!(ok);
    }
    let (n, root) = {
        let chain = node.chain().lock();
        let n = chain.block_number();
        (n, chain.state_root(n).expect("root"))
    };
    let slots = json!(["0x0", "0x1", B256::with_last_byte(9)]);
    let r = rpc_ok(&url, "eth_getProof", json!([counter, slots, format!("{n:#x}")]));
    let proof: alloy_rpc_types_eth::EIP1186AccountProofResponse =
        serde_json::from_value(r.clone()).expect("proof");
    assert_eq!(proof.nonce, 1, "a contract's nonce starts at 1");
    assert_eq!(
        proof.code_hash,
        keccak256(
            rpc_ok(&url, "eth_getCode", json!([counter]))
                .as_str()
                .map(|c| hex::decode(c).expect("hex"))
                .expect("code")
        )
    );
    let account = TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    verify_proof(
        root,
        Nibbles::unpack(keccak256(counter)),
        Some(alloy_rlp::encode(account)),
        &proof.account_proof,
    )
    .expect("the account proof verifies against the state root");
    let values: Vec<U256> = proof.storage_proof.iter().map(|p| p.value).collect();
    assert_eq!(values, [U256::from(3), U256::ZERO, U256::ZERO], "count is 3, the rest unset");
    for p in &proof.storage_proof {
        let expected = (!p.value.is_zero()).then(|| alloy_rlp::encode(p.value));
        verify_proof(
            proof.storage_hash,
            Nibbles::unpack(keccak256(p.key.as_b256())),
            expected,
            &p.proof,
        )
        .unwrap_or_else(|e| panic!("slot {:?}: {e}", p.key));
    }

    // An account that does not exist: an exclusion proof against the same root.
    let absent = addr(0xdead);
    let r = rpc_ok(&url, "eth_getProof", json!([absent, [], "latest"]));
    let proof: alloy_rpc_types_eth::EIP1186AccountProofResponse =
        serde_json::from_value(r).expect("proof");
    assert_eq!(proof.balance, U256::ZERO);
    verify_proof(root, Nibbles::unpack(keccak256(absent)), None, &proof.account_proof)
        .expect("the exclusion proof verifies");
}

#[test]
fn call_traces_show_stylus_frames_as_calls() {
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let url = node.url();
    let (counter, relay, hash) = {
        let mut chain = node.chain().lock();
        let counter = create(&mut chain, Counter::BYTECODE.clone());
        let relay = addr(0x7e1a);
        deploy_wat(&mut chain, relay, &relay_program());
        let (hash, ok) =
            send(&mut chain, counter, Counter::incrementThroughCall { relay }.abi_encode());
        assert!(ok);
        (counter, relay, hash)
    };
    let from = dev_signers(1).expect("signer")[0].address();
    let receipt = rpc_ok(&url, "eth_getTransactionReceipt", json!([hash]));
    let tx = rpc_ok(&url, "eth_getTransactionByHash", json!([hash]));
    let trace = rpc_ok(&url, "debug_traceTransaction", json!([hash, {"tracer": "callTracer"}]));

    // Solidity -> Stylus -> Solidity, each a CALL.
    assert_eq!(trace["type"], json!("CALL"), "{trace}");
    assert_eq!(trace["from"], json!(from));
    assert_eq!(trace["to"], json!(counter));
    assert_eq!(trace["gas"], tx["gas"], "the transaction's gas limit");
    assert_eq!(trace["gasUsed"], receipt["gasUsed"], "the receipt's gas");
    assert_eq!(trace["input"], tx["input"]);
    assert_eq!(trace["value"], json!("0x0"));
    let one = format!("0x{}", hex::encode(U256::from(1).abi_encode()));
    assert_eq!(trace["output"], json!(one));
    let program = &trace["calls"][0];
    assert_eq!(program["type"], json!("CALL"), "the Stylus program's frame: {trace}");
    assert_eq!(program["from"], json!(counter));
    assert_eq!(program["to"], json!(relay));
    let increment = Counter::incrementCall {}.abi_encode();
    let relayed = [counter.as_slice(), &increment].concat();
    assert_eq!(program["input"], json!(Bytes::from(relayed)));
    assert_eq!(program["output"], json!(one));
    let inner = &program["calls"][0];
    assert_eq!(inner["type"], json!("CALL"), "the program's own call: {trace}");
    assert_eq!(inner["from"], json!(relay));
    assert_eq!(inner["to"], json!(counter));
    assert_eq!(inner["input"], json!(Bytes::from(increment)));
    assert_eq!(inner["output"], json!(one));
    assert!(inner.get("calls").is_none());
    let gas = |v: &Value| {
        u64::from_str_radix(v.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)
            .expect("quantity")
    };
    assert!(gas(&inner["gasUsed"]) < gas(&program["gasUsed"]));
    assert!(gas(&program["gasUsed"]) < gas(&trace["gasUsed"]));
    assert!(gas(&program["gasUsed"]) <= gas(&program["gas"]));

    let top = rpc_ok(
        &url,
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}]),
    );
    assert_eq!(top["gasUsed"], trace["gasUsed"]);
    assert!(top.get("calls").is_none(), "{top}");
    assert!(trace["calls"][0].get("logs").is_none(), "logs only when asked: {trace}");

    // Logs, each in the frame that emitted it: Counter's event in the inner frame, the
    // program's (emitted through its host I/O) in the program's frame after its one call.
    let logged = rpc_ok(
        &url,
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    assert!(logged.get("logs").is_none(), "the top frame logs nothing: {logged}");
    let program = &logged["calls"][0];
    assert_eq!(
        program["logs"],
        json!([{"address": relay, "topics": [word(1)], "data": "0x", "position": "0x1", "index": "0x1"}]),
        "{logged}"
    );
    let counted = Counter::Counted { by: relay, count: U256::from(1) };
    let counted = alloy_sol_types::SolEvent::encode_log_data(&counted);
    assert_eq!(
        program["calls"][0]["logs"],
        json!([{"address": counter, "topics": counted.topics(), "data": counted.data, "position": "0x0", "index": "0x0"}]),
        "{logged}"
    );

    // A revert: the error, the data and geth's decoded reason.
    let reverter = create(&mut node.chain().lock(), Reverter::BYTECODE.clone());
    let inner = Counter::incrementCall {}.abi_encode();
    let call =
        Reverter::callThenRefuseCall { target: counter, data: inner.into(), code: U256::from(5) };
    let request =
        TransactionRequest { gas: Some(300_000), ..req(from, reverter, call.abi_encode()) };
    let hash = node.chain().lock().send_request(request).expect("send");
    let trace = rpc_ok(&url, "debug_traceTransaction", json!([hash, {"tracer": "callTracer"}]));
    assert_eq!(trace["error"], json!("execution reverted"), "{trace}");
    let refused = Reverter::Refused { code: U256::from(5), caller: from };
    assert_eq!(
        trace["output"],
        json!(Bytes::from(alloy_sol_types::SolError::abi_encode(&refused)))
    );
    assert!(trace.get("revertReason").is_none(), "a custom error has no reason string");
    assert_eq!(trace["calls"][0]["to"], json!(counter), "the inner call succeeded: {trace}");
    assert!(trace["calls"][0].get("error").is_none());

    let r = rpc(&url, "debug_traceTransaction", json!([hash]));
    assert_eq!(r["error"]["code"], json!(-32602), "the struct logger is not served: {r}");
    let r = rpc(&url, "debug_traceTransaction", json!([B256::ZERO, {"tracer": "callTracer"}]));
    assert!(r["error"]["message"].as_str().unwrap_or("").contains("not found"), "{r}");
}

/// A Stylus relay: calls `args[0..20]` with `args[20..]`, logs the answer's first word as a
/// topic, and returns the answer.
fn relay_program() -> String {
    program(
        r#"(local $st i32)
    (call $read_args (i32.const 8192))
    (local.set $st (call $call (i32.const 8192) (i32.const 8212)
        (i32.sub (local.get $len) (i32.const 20)) (i32.const 2048) (i64.const -1) (i32.const 3000)))
    (drop (call $rrd (i32.const 16384) (i32.const 0) (i32.load (i32.const 3000))))
    (call $log (i32.const 16384) (i32.const 32) (i32.const 1))
    (call $write_result (i32.const 16384) (i32.load (i32.const 3000)))
    (local.get $st)"#,
    )
}

#[test]
fn arbsys_gives_the_block_number_and_the_real_hashes_of_the_last_256_blocks() {
    use tidepool_node::evm::arbsys::{self, IArbSys};
    let mut chain = chain();
    for _ in 0..300 {
        chain.mine_empty(None);
    }
    let (ok, out) = call(&mut chain, arbsys::ADDRESS, IArbSys::arbBlockNumberCall {}.abi_encode());
    assert!(ok);
    let current = IArbSys::arbBlockNumberCall::abi_decode_returns(&out).expect("uint").to::<u64>();
    assert!(current >= 300);
    let hash_of = |chain: &mut Chain, n: u64| {
        let data = IArbSys::arbBlockHashCall { arbBlockNum: U256::from(n) }.abi_encode();
        let (ok, out) = call(chain, arbsys::ADDRESS, data);
        ok.then(|| IArbSys::arbBlockHashCall::abi_decode_returns(&out).expect("bytes32"))
    };
    for n in [current - 1, current - 100, current - 256] {
        let mined = chain.block(n).expect("mined").hash;
        assert_eq!(hash_of(&mut chain, n), Some(mined), "block {n}: the header's hash");
    }
    assert_eq!(hash_of(&mut chain, current), None, "the current block has no hash yet");
    assert_eq!(hash_of(&mut chain, current - 257), None, "older than 256 blocks");
    let (ok, out) = call(&mut chain, arbsys::ADDRESS, IArbSys::arbChainIDCall {}.abi_encode());
    assert!(ok);
    let id = IArbSys::arbChainIDCall::abi_decode_returns(&out).expect("uint");
    assert_eq!(id, U256::from(ChainConfig::default().chain_id));
}
