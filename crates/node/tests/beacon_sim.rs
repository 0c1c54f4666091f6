//! The simulated beacon chain inside the node: real `DepositEvent`s from the local deposit
//! contract create validators, `evm_increaseTime` and `evm_mine` move its clock, its sweeps
//! land in the withdrawal vault's balance to the wei, snapshots revert it, and its REST API
//! serves it.

mod common;
use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall};
use common::*;
use serde_json::{json, Value};
use tidepool_beacon::{
    deposit_data_root, withdrawal_credentials, DepositKey, ForkVersion, GWEI_PER_ETH,
};
use tidepool_node::{
    chain::Chain,
    node::{Node, NodeConfig},
};

sol!(
    #[sol(all_derives)]
    BeaconDeposit,
    "../../contracts/beacon-deposit/out/BeaconDeposit.json"
);

/// One epoch with the default timing.
const EPOCH: u64 = 384;

fn gwei_to_wei(gwei: u64) -> U256 {
    U256::from(gwei) * U256::from(GWEI_PER_ETH)
}

/// Deposits `gwei` for key `n` to `vault` through the contract at `at`, signed correctly
/// unless `bad_signature`.
fn deposit(chain: &mut Chain, at: Address, n: u32, vault: Address, gwei: u64, bad_signature: bool) {
    let credentials = withdrawal_credentials(vault, false);
    let key = DepositKey::from_seed(b"node beacon-sim test", n);
    let mut signed = key.sign_deposit(credentials, gwei, ForkVersion::MAINNET);
    if bad_signature {
        // A valid signature of another message.
        signed.signature = key.sign_deposit(credentials, gwei + 1, ForkVersion::MAINNET).signature;
    }
    let root = deposit_data_root(&signed.pubkey, &credentials, gwei, &signed.signature);
    let call = BeaconDeposit::depositCall {
        pubkey: signed.pubkey.to_vec().into(),
        withdrawal_credentials: credentials.to_vec().into(),
        signature: signed.signature.to_vec().into(),
        deposit_data_root: root,
    };
    let (_, ok) = send_value(chain, at, call.abi_encode(), gwei_to_wei(gwei));
    assert!(ok, "deposit {n}");
}

fn balance_at(url: &str, address: Address, block: &str) -> U256 {
    let hex = rpc_ok(url, "eth_getBalance", json!([address, block]));
    hex.as_str().and_then(|h| h.parse().ok()).expect("a balance")
}

fn status(url: &str) -> Value {
    rpc_ok(url, "tidepool_beaconStatus", json!([]))
}

fn gwei(v: &Value) -> u64 {
    v.as_u64().expect("a number")
}

/// Moves the clock `seconds` on and mines an empty block.
fn jump(url: &str, seconds: u64) {
    rpc_ok(url, "evm_increaseTime", json!([seconds]));
    rpc_ok(url, "evm_mine", json!([]));
}

/// A GET over HTTP/1.1, returning the status code and the JSON body.
fn http_get(url: &str, path: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let hostport = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(hostport).expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let code = resp.get(9..12).and_then(|c| c.parse().ok()).expect("a status line");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    (code, serde_json::from_str(body).unwrap_or_else(|e| panic!("bad body {resp:?}: {e}")))
}

#[test]
fn deposits_become_validators_whose_sweeps_reach_the_vault() {
    let node =
        Node::spawn(NodeConfig { beacon_port: Some(0), ..NodeConfig::ephemeral() }).expect("node");
    let url = node.url();
    let beacon_url = node.beacon_url().expect("a beacon port");
    let vault = Address::repeat_byte(0xaa);
    let fee_recipient = Address::repeat_byte(0xfe);
    let (contract, other) = {
        let mut chain = node.chain().lock();
        let contract = create(&mut chain, BeaconDeposit::BYTECODE.clone());
        let other = create(&mut chain, BeaconDeposit::BYTECODE.clone());
        (contract, other)
    };
    let (code, body) = http_get(&beacon_url, "/eth/v1/beacon/genesis");
    assert_eq!((code, &body["code"]), (503, &json!(503)), "off until configured: {body}");
    assert!(rpc(&url, "tidepool_beaconStatus", json!([]))["error"].is_object());

    let configured = rpc_ok(
        &url,
        "tidepool_beaconConfigure",
        json!([{
            "depositContract": contract,
            "feeRecipient": fee_recipient,
            "sweepEveryEpochs": 1,
            "elRewardWeiPerSlot": "0x3e8",
        }]),
    );
    assert_eq!(configured["validators"], 0);

    {
        let mut chain = node.chain().lock();
        deposit(&mut chain, contract, 0, vault, 32 * GWEI_PER_ETH, false);
        deposit(&mut chain, contract, 1, vault, 33 * GWEI_PER_ETH, false);
        deposit(&mut chain, contract, 2, vault, 32 * GWEI_PER_ETH, true);
        // Same event, another emitter: not the deposit contract, so ignored.
        deposit(&mut chain, other, 3, vault, 32 * GWEI_PER_ETH, false);
    }
    let s = status(&url);
    assert_eq!(s["validators"], 2, "{s}");
    assert_eq!(gwei(&s["depositedGwei"]), 65 * GWEI_PER_ETH);
    assert_eq!(gwei(&s["ignoredGwei"]), 32 * GWEI_PER_ETH, "the bad signature");
    assert_eq!(s["byStatus"]["pending_initialized"], 2);

    // Ten epochs on: active since epoch 5 (eligible at 1, four epochs of delay), and each
    // boundary swept what was above 32 ETH into the vault.
    let vault_before = balance_at(&url, vault, "latest");
    assert_eq!(vault_before, U256::ZERO);
    jump(&url, 10 * EPOCH);
    let s = status(&url);
    assert_eq!(s["byStatus"]["active_ongoing"], 2, "{s}");
    let withdrawn = gwei(&s["withdrawnGwei"]);
    assert!(withdrawn > GWEI_PER_ETH, "the extra ether and rewards were swept: {s}");
    assert_eq!(balance_at(&url, vault, "latest"), gwei_to_wei(withdrawn));
    let latest: u64 = rpc_ok(&url, "eth_blockNumber", json!([]))
        .as_str()
        .and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        .expect("a number");
    let previous = format!("0x{:x}", latest - 1);
    assert_eq!(balance_at(&url, vault, &previous), U256::ZERO, "credited in the latest block");
    let el = s["elRewardsWei"].as_str().and_then(|h| h.parse::<U256>().ok()).expect("wei");
    assert!(!el.is_zero());
    assert_eq!(balance_at(&url, fee_recipient, "latest"), el);

    // A snapshot reverts the simulation with the state.
    let snapshot = rpc_ok(&url, "evm_snapshot", json!([]));
    jump(&url, 3 * EPOCH);
    assert!(gwei(&status(&url)["withdrawnGwei"]) > withdrawn);
    assert_eq!(rpc_ok(&url, "evm_revert", json!([snapshot])), json!(true));
    assert_eq!(status(&url), s, "the beacon state is the snapshot's");
    assert_eq!(balance_at(&url, vault, "latest"), gwei_to_wei(withdrawn));

    // Exit one, slash the other: after the exit and withdrawable delays, both balances are
    // swept in full and the vault holds exactly everything withdrawn.
    let pubkey0 = format!(
        "0x{}",
        alloy_primitives::hex::encode(DepositKey::from_seed(b"node beacon-sim test", 0).pubkey())
    );
    assert_eq!(rpc_ok(&url, "tidepool_beaconRequestExit", json!([pubkey0])), 0);
    assert_eq!(rpc_ok(&url, "tidepool_beaconSlash", json!([1])), 32 * GWEI_PER_ETH / 4096);
    assert!(rpc(&url, "tidepool_beaconSlash", json!([1]))["error"].is_object());
    assert_eq!(rpc_ok(&url, "tidepool_beaconSetOffline", json!(["1", true])), 1);
    let validators = rpc_ok(&url, "tidepool_beaconValidators", json!([]));
    assert_eq!(validators[0]["status"], "active_exiting");
    assert_eq!(validators[1]["status"], "active_slashed");
    assert_eq!(validators[1]["offline"], true);
    jump(&url, 20 * EPOCH);
    let s = status(&url);
    assert_eq!(s["byStatus"]["withdrawal_done"], 2, "{s}");
    assert_eq!(gwei(&s["totalBalanceGwei"]), 0);
    let withdrawn = gwei(&s["withdrawnGwei"]);
    assert_eq!(balance_at(&url, vault, "latest"), gwei_to_wei(withdrawn));
    assert_eq!(
        gwei(&s["depositedGwei"]) + gwei(&s["rewardsGwei"]) - gwei(&s["penaltiesGwei"]),
        withdrawn,
        "everything deposited and earned, less penalties, reached the vault"
    );

    // The REST API serves the same registry.
    let (code, body) = http_get(&beacon_url, "/eth/v1/beacon/states/head/validators");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["data"][1]["status"], "withdrawal_done");
    assert_eq!(body["data"][1]["validator"]["slashed"], true);
    let (_, body) = http_get(&beacon_url, "/eth/v1/beacon/headers/finalized");
    let finalized = gwei(&s["finalizedEpoch"]) * 32;
    assert_eq!(body["data"]["header"]["message"]["slot"], finalized.to_string());
}

#[test]
fn a_node_started_with_the_simulation_sweeps_on_anvil_mine_and_keeps_it_on_reconfigure() {
    use tidepool_beacon_sim::BeaconConfig;
    use tidepool_node::chain::BeaconSettings;

    let vault = Address::repeat_byte(0xbb);
    // The deposit contract's address is known before it is deployed: dev 0's first CREATE.
    let contract = {
        let chain = tidepool_node::chain::Chain::new(Default::default()).expect("chain");
        chain.accounts()[0].create(0)
    };
    let settings = BeaconSettings {
        deposit_contract: contract,
        config: BeaconConfig { sweep_every_epochs: 2, ..BeaconConfig::default() },
    };
    let node = Node::spawn(NodeConfig { beacon: Some(settings), ..NodeConfig::ephemeral() })
        .expect("node");
    let url = node.url();
    {
        let mut chain = node.chain().lock();
        assert_eq!(create(&mut chain, BeaconDeposit::BYTECODE.clone()), contract);
        deposit(&mut chain, contract, 7, vault, 40 * GWEI_PER_ETH, false);
    }
    assert_eq!(status(&url)["byStatus"]["pending_initialized"], 1);

    // Eight epochs in one anvil_mine of two blocks: the first block crosses them all.
    rpc_ok(&url, "evm_increaseTime", json!([8 * EPOCH]));
    rpc_ok(&url, "anvil_mine", json!([2]));
    let s = status(&url);
    assert_eq!(s["byStatus"]["active_ongoing"], 1, "{s}");
    let withdrawn = gwei(&s["withdrawnGwei"]);
    assert!(withdrawn >= 8 * GWEI_PER_ETH, "the 8 ETH above 32 were swept: {s}");
    assert_eq!(balance_at(&url, vault, "latest"), gwei_to_wei(withdrawn));

    // Reconfiguring changes the economics, not the registry or the clock.
    let genesis = s["genesisTime"].clone();
    let s = rpc_ok(
        &url,
        "tidepool_beaconConfigure",
        json!([{ "depositContract": contract, "feeRecipient": vault, "aprBps": 0, "genesisTime": 5 }]),
    );
    assert_eq!((s["validators"].clone(), s["genesisTime"].clone()), (json!(1), genesis));
    let balance = gwei(&s["totalBalanceGwei"]);
    jump(&url, 4 * EPOCH);
    assert_eq!(gwei(&status(&url)["totalBalanceGwei"]), balance, "no rewards at 0% APR");
    let unknown = rpc(
        &url,
        "tidepool_beaconConfigure",
        json!([{ "depositContract": contract, "feeRecipient": vault, "apr": 1 }]),
    );
    assert!(unknown["error"].is_object(), "unknown fields are refused: {unknown}");
}

#[test]
fn a_state_file_keeps_the_simulation() {
    use tidepool_node::chain::BeaconSettings;

    let mut chain = common::chain();
    let contract = create(&mut chain, BeaconDeposit::BYTECODE.clone());
    let settings = BeaconSettings { deposit_contract: contract, config: Default::default() };
    chain.beacon_configure(settings).expect("on");
    deposit(&mut chain, contract, 9, Address::repeat_byte(0xcc), 32 * GWEI_PER_ETH, false);
    chain.increase_time(6 * EPOCH as i64);
    chain.mine_empty(None);
    let json = serde_json::to_string(&chain.dump()).expect("dump");

    let mut loaded = common::chain();
    loaded.load(serde_json::from_str(&json).expect("a state file")).expect("loads");
    let (before, after) = (chain.beacon().expect("on"), loaded.beacon().expect("kept"));
    assert_eq!(after.deposit_contract, contract);
    assert_eq!(after.chain.dump(), before.chain.dump());
    assert_eq!(after.chain.counts(), before.chain.counts());
    // A state file from before the simulation existed still loads, with it off.
    let mut old: Value = serde_json::from_str(&json).expect("json");
    old.as_object_mut().expect("object").remove("beacon");
    let mut loaded = common::chain();
    loaded.load(serde_json::from_value(old).expect("an old state file")).expect("loads");
    assert!(loaded.beacon().is_none());
}
