//! The REST API: each endpoint's JSON shape against the beacon-APIs spec (field names, decimal
//! strings for uint64, hex for bytes), the filters, the errors, and the committee's client
//! reading 10,000 validators.

use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256};
use serde_json::Value;
use tidepool_beacon::{withdrawal_credentials, GWEI_PER_ETH};
use tidepool_beacon_sim::{rest, BeaconChain, BeaconConfig, Deposit, ValidatorId};
use tidepool_committee::beacon::BeaconSource;

const ETH: u64 = GWEI_PER_ETH;
const GENESIS: u64 = 1_000;

fn vault() -> Address {
    Address::repeat_byte(0xaa)
}

fn pubkey(n: u32) -> [u8; 48] {
    let mut pubkey = [0x80; 48];
    pubkey[..4].copy_from_slice(&n.to_be_bytes());
    pubkey
}

/// `n` validators of 32 ETH to the vault (signatures unchecked: synthetic keys), then
/// `epochs` epochs.
fn chain(n: u32, epochs: u64) -> BeaconChain {
    let mut c = BeaconChain::new(BeaconConfig {
        genesis_time: GENESIS,
        check_signatures: false,
        sweep_every_epochs: 1_000_000,
        ..BeaconConfig::default()
    })
    .expect("config");
    for i in 0..n {
        c.deposit(&Deposit {
            pubkey: pubkey(i),
            withdrawal_credentials: withdrawal_credentials(vault(), false),
            amount_gwei: 32 * ETH,
            signature: [0; 96],
        });
    }
    c.advance_to(GENESIS + epochs * 384);
    c
}

struct Server {
    url: String,
    chain: Arc<Mutex<BeaconChain>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(chain: BeaconChain) -> Server {
    let chain = Arc::new(Mutex::new(chain));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let access = chain.clone();
    tokio::spawn(async move {
        let _ = rest::serve(listener, access, async move {
            let _ = stopped.await;
        })
        .await;
    });
    Server { url, chain, _stop: stop }
}

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", server.url)).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn is_uint(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

fn is_hex(v: &Value, bytes: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 2 + 2 * bytes
            && s.starts_with("0x")
            && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn assert_validator_entry(e: &Value) {
    assert!(is_uint(&e["index"]) && is_uint(&e["balance"]), "{e}");
    assert!(e["status"].is_string(), "{e}");
    let v = &e["validator"];
    assert!(is_hex(&v["pubkey"], 48) && is_hex(&v["withdrawal_credentials"], 32), "{e}");
    assert!(v["slashed"].is_boolean(), "{e}");
    for field in [
        "effective_balance",
        "activation_eligibility_epoch",
        "activation_epoch",
        "exit_epoch",
        "withdrawable_epoch",
    ] {
        assert!(is_uint(&v[field]), "{field}: {e}");
    }
}

#[tokio::test]
async fn genesis_node_and_spec_endpoints_have_the_spec_shapes() {
    let server = serve(chain(2, 3)).await;
    let (status, body) = get(&server, "/eth/v1/beacon/genesis").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["genesis_time"], "1000");
    assert!(is_hex(&body["data"]["genesis_validators_root"], 32));
    assert_eq!(body["data"]["genesis_fork_version"], "0x00000000");

    let (_, body) = get(&server, "/eth/v1/node/version").await;
    assert!(body["data"]["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("tidepool-beacon-sim/")));
    let (_, body) = get(&server, "/eth/v1/node/syncing").await;
    assert_eq!(body["data"]["head_slot"], "96");
    assert_eq!(body["data"]["sync_distance"], "0");
    assert_eq!(body["data"]["is_syncing"], false);
    let (_, body) = get(&server, "/eth/v1/config/spec").await;
    assert_eq!(body["data"]["SECONDS_PER_SLOT"], "12");
    assert_eq!(body["data"]["SLOTS_PER_EPOCH"], "32");

    let (status, body) = get(&server, "/eth/v1/nothing").await;
    assert_eq!((status, &body["code"]), (404, &Value::from(404)));
}

#[tokio::test]
async fn headers_by_block_id() {
    let server = serve(chain(3, 10)).await;
    for (id, slot) in [("head", 320), ("finalized", 256), ("genesis", 0), ("100", 100)] {
        let (status, body) = get(&server, &format!("/eth/v1/beacon/headers/{id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        assert_eq!(body["execution_optimistic"], false);
        assert!(body["finalized"].is_boolean());
        let data = &body["data"];
        assert!(is_hex(&data["root"], 32) && data["canonical"] == true, "{body}");
        let message = &data["header"]["message"];
        assert_eq!(message["slot"], slot.to_string(), "{id}");
        assert!(is_uint(&message["proposer_index"]));
        for root in ["parent_root", "state_root", "body_root"] {
            assert!(is_hex(&message[root], 32), "{root}");
        }
        assert!(is_hex(&data["header"]["signature"], 96));
    }
    let (_, head) = get(&server, "/eth/v1/beacon/headers/head").await;
    let (_, parent) = get(&server, "/eth/v1/beacon/headers/319").await;
    assert_eq!(head["data"]["header"]["message"]["parent_root"], parent["data"]["root"]);
    let (status, body) = get(&server, "/eth/v1/beacon/headers/321").await;
    assert_eq!((status, &body["code"]), (404, &Value::from(404)), "{body}");
    assert!(body["message"].is_string());
    let (status, _) = get(&server, "/eth/v1/beacon/headers/latest").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn validators_with_id_and_status_filters() {
    let mut c = chain(4, 6);
    c.request_exit(ValidatorId::Index(1)).expect("active");
    c.deposit(&Deposit {
        pubkey: pubkey(99),
        withdrawal_credentials: withdrawal_credentials(vault(), false),
        amount_gwei: ETH,
        signature: [0; 96],
    });
    let server = serve(c).await;

    let (status, body) = get(&server, "/eth/v1/beacon/states/head/validators").await;
    assert_eq!(status, 200);
    assert_eq!(body["execution_optimistic"], false);
    assert_eq!(body["finalized"], false);
    let data = body["data"].as_array().expect("array");
    assert_eq!(data.len(), 5);
    data.iter().for_each(assert_validator_entry);
    assert_eq!(data[0]["status"], "active_ongoing");
    assert_eq!(data[1]["status"], "active_exiting");
    assert_eq!(data[4]["status"], "pending_initialized");
    assert_eq!(data[4]["validator"]["activation_epoch"], u64::MAX.to_string());

    let ids = |body: &Value| -> Vec<String> {
        body["data"].as_array().expect("array").iter().map(|e| e["index"].to_string()).collect()
    };
    let hex = format!("0x{}", alloy_primitives::hex::encode(pubkey(2)));
    let path = format!("/eth/v1/beacon/states/head/validators?id=0,{hex}&id=3&id=77");
    let (_, body) = get(&server, &path).await;
    assert_eq!(ids(&body), ["\"0\"", "\"2\"", "\"3\""], "unknown ids are left out");
    let (_, body) = get(&server, "/eth/v1/beacon/states/head/validators?status=active").await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(4));
    let path = "/eth/v1/beacon/states/head/validators?status=active_exiting%2Cpending";
    let (_, body) = get(&server, path).await;
    assert_eq!(ids(&body), ["\"1\"", "\"4\""]);
    let (_, body) = get(&server, "/eth/v1/beacon/states/head/validators?status=exited").await;
    assert_eq!(body["data"], serde_json::json!([]));

    // A past slot: epoch 2's state has the 4 first validators, all pending_queued.
    let (status, body) = get(&server, "/eth/v1/beacon/states/70/validators").await;
    assert_eq!(status, 200);
    assert_eq!(body["finalized"], true);
    let data = body["data"].as_array().expect("array");
    assert_eq!(data.len(), 4);
    assert!(data.iter().all(|e| e["status"] == "pending_queued"), "{body}");

    for (path, code) in [
        ("/eth/v1/beacon/states/head/validators?id=abc", 400),
        ("/eth/v1/beacon/states/head/validators?status=sleeping", 400),
        ("/eth/v1/beacon/states/nonsense/validators", 400),
        ("/eth/v1/beacon/states/99999/validators", 404),
        (&format!("/eth/v1/beacon/states/0x{}/validators", "11".repeat(32)), 404),
    ] {
        let (status, body) = get(&server, path).await;
        assert_eq!((status, &body["code"]), (code, &Value::from(code)), "{path}: {body}");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn one_validator_and_finality_checkpoints() {
    let server = serve(chain(2, 10)).await;
    let (status, body) = get(&server, "/eth/v1/beacon/states/head/validators/1").await;
    assert_eq!(status, 200);
    assert_validator_entry(&body["data"]);
    assert_eq!(body["data"]["index"], "1");
    assert_eq!(body["data"]["validator"]["effective_balance"], (32 * ETH).to_string());
    let hex = format!("0x{}", alloy_primitives::hex::encode(pubkey(0)));
    let (_, body) =
        get(&server, &format!("/eth/v1/beacon/states/finalized/validators/{hex}")).await;
    assert_eq!(body["data"]["index"], "0");
    assert_eq!(body["finalized"], true);
    let (status, _) = get(&server, "/eth/v1/beacon/states/head/validators/2").await;
    assert_eq!(status, 404);
    let (status, _) = get(&server, "/eth/v1/beacon/states/head/validators/0x12").await;
    assert_eq!(status, 400);

    let (status, body) = get(&server, "/eth/v1/beacon/states/head/finality_checkpoints").await;
    assert_eq!(status, 200);
    assert_eq!(body["execution_optimistic"], false);
    for (name, epoch) in
        [("previous_justified", "8"), ("current_justified", "9"), ("finalized", "8")]
    {
        assert_eq!(body["data"][name]["epoch"], epoch, "{name}");
        assert!(is_hex(&body["data"][name]["root"], 32));
    }
}

#[tokio::test]
async fn the_committee_client_reads_ten_thousand_validators() {
    let server = serve(chain(10_000, 300)).await;
    {
        // One of them exits, one is someone else's: all of the vault's still count.
        let mut c = server.chain.lock().expect("lock");
        c.request_exit(ValidatorId::Index(5)).expect("active");
        c.deposit(&Deposit {
            pubkey: pubkey(10_000),
            withdrawal_credentials: B256::repeat_byte(0x01),
            amount_gwei: 32 * ETH,
            signature: [0; 96],
        });
        c.advance_to(GENESIS + 310 * 384);
    }
    let source = BeaconSource::Url(server.url.clone());
    assert_eq!(source.genesis_time().await.expect("genesis"), GENESIS);
    let finalized = source.finalized_slot().await.expect("header").expect("a slot");
    assert_eq!(finalized, 308 * 32);
    let mut progress = |_| {};
    let ownership = tidepool_committee::beacon::Ownership::credentials(vault());
    let summary =
        source.validators(finalized, &ownership, &mut progress).await.expect("validators");
    assert_eq!(summary.scanned, 10_001);
    assert_eq!(summary.validators, 10_000);
    let expected = server
        .chain
        .lock()
        .expect("lock")
        .state(tidepool_beacon_sim::StateId::Slot(finalized))
        .expect("kept")
        .iter()
        .filter(|v| v.withdrawal_credentials == withdrawal_credentials(vault(), false))
        .map(|v| v.balance_gwei)
        .sum::<u64>();
    assert_eq!(summary.balance_gwei, expected);
    assert!(expected > 10_000 * 32 * ETH);
}
