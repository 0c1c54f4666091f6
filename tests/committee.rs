//! The oracle committee running itself: five member daemons on loopback against the node's
//! simulated beacon chain, exchanging signatures over HTTP and submitting in rotation.
//!
//! Time is the node's: each frame the test moves the clock to when the next reference slot is
//! finalized and lets the daemons (polling every 150 ms) do the rest. Submissions are counted
//! from the chain's blocks (every transaction to the oracle), not from what daemons say.

#![allow(clippy::unwrap_used)]

use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use tidepool_committee::{
    daemon::{
        self, exchange::Kind, preflight::Outcome, submitter_position, Config, DaemonHandle, Wait,
    },
    report::Bunker,
};
use tidepool_deploy::{
    local, BeaconConfig, Client, DeployOptions, Deployment, OperatorSetup, PrivateKeySigner,
};
use tidepool_e2e::{eth, key};
use tidepool_interfaces::{IOracle, IPool, IWithdrawalQueue};
use tidepool_node::node::NodeHandle;

/// Slots of 12 s, epochs of 32 slots, frames of 4 epochs (25.6 minutes of chain time).
const EPOCH: u64 = 384;
const EPOCHS_PER_FRAME: u64 = 4;
const FRAME: u64 = EPOCHS_PER_FRAME * EPOCH;
/// How long a report may take to land once its slot is final (wall time).
const LAND_WITHIN: Duration = Duration::from_secs(90);
/// Long enough that the frame's first submitter, seeing the quorum a poll or two after the
/// others on a loaded machine, still goes first.
const FALLBACK: Duration = Duration::from_secs(3);

struct World {
    client: Client,
    d: Deployment,
    deployer: Address,
    alice: Address,
    members: Vec<PrivateKeySigner>,
    beacon: String,
    rpc: String,
    /// A listening address and data directory per member, kept across restarts.
    slots: Vec<(SocketAddr, PathBuf)>,
    daemons: Vec<Option<DaemonHandle>>,
    logs: Vec<Arc<Mutex<Vec<String>>>>,
    _node: NodeHandle,
}

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

async fn world(name: &str) -> Option<World> {
    let alice = key("alice");
    let members: Vec<_> = (1..=5).map(|i| key(&format!("daemon member {i}"))).collect();
    let options = DeployOptions {
        members: members.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        operators: vec![OperatorSetup {
            name: "daemon test operator".into(),
            reward_address: key("operator rewards").address(),
            key_seed: b"tidepool daemon test operator".to_vec(),
            keys: 4,
        }],
        beacon: BeaconConfig { epochs_per_frame: EPOCHS_PER_FRAME, ..BeaconConfig::DEV },
        min_report_interval: FRAME,
        ..DeployOptions::default()
    };
    let (node, client, d, deployer) =
        tidepool_e2e::living_chain(options, std::slice::from_ref(&alice)).await?;
    for who in members.iter().map(PrivateKeySigner::address).chain([alice.address()]) {
        client.transfer(deployer.address(), who, eth(200), Default::default()).await.unwrap();
    }
    let root = std::env::temp_dir().join(format!("tidepool-daemons-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let slots = (0..5).map(|i| (free_port(), root.join(format!("member-{i}")))).collect();
    Some(World {
        client,
        d,
        deployer: deployer.address(),
        alice: alice.address(),
        members,
        beacon: node.beacon_url().expect("beacon API"),
        rpc: node.url(),
        slots,
        daemons: (0..5).map(|_| None).collect(),
        logs: (0..5).map(|_| Arc::default()).collect(),
        _node: node,
    })
}

impl World {
    fn oracle(&self) -> Address {
        self.d.contracts.oracle.address
    }

    fn config(&self, i: usize, beacon: &str, submit: bool) -> Config {
        Config {
            rpc: vec![self.rpc.clone()],
            beacon: vec![beacon.to_owned()],
            deployment: self.d.clone(),
            key: self.members[i].clone(),
            relay: false,
            listen: self.slots[i].0,
            peers: (0..5)
                .filter(|j| *j != i)
                .map(|j| format!("http://{}", self.slots[j].0))
                .collect(),
            data_dir: self.slots[i].1.clone(),
            submit,
            poll: Duration::from_millis(150),
            fallback: FALLBACK,
            bunker: Bunker::Auto,
        }
    }

    async fn start_with(&mut self, i: usize, config: Config) {
        let logs = self.logs[i].clone();
        let log: daemon::Log = Arc::new(move |line: &str| logs.lock().unwrap().push(line.into()));
        self.daemons[i] = Some(daemon::spawn(config, log).await.expect("daemon starts"));
    }

    async fn start(&mut self, i: usize) {
        let config = self.config(i, &self.beacon.clone(), true);
        self.start_with(i, config).await;
    }

    async fn stop(&mut self, i: usize) {
        if let Some(d) = self.daemons[i].take() {
            d.stop().await;
        }
    }

    fn daemon(&self, i: usize) -> &DaemonHandle {
        self.daemons[i].as_ref().expect("running")
    }

    fn logged(&self, i: usize, needle: &str) -> bool {
        self.logs[i].lock().unwrap().iter().any(|l| l.contains(needle))
    }

    async fn frame(&self) -> u64 {
        self.client.view(self.oracle(), IOracle::getCurrentFrameCall {}).await.unwrap()._0
    }

    async fn landed(&self, kind: Kind) -> u64 {
        match kind {
            Kind::Accounting => {
                self.client.view(self.oracle(), IOracle::getLastProcessingRefSlotCall {}).await
            }
            Kind::Exits => {
                self.client.view(self.oracle(), IOracle::getLastExitRefSlotCall {}).await
            }
        }
        .unwrap()
    }

    /// Moves the clock to the next frame with its reference slot finalized; returns the new
    /// reference slot and the first block to count submissions from.
    async fn next_frame(&self) -> (u64, u64) {
        let ref_slot = self.frame().await;
        let chain =
            tidepool_deploy::report::chain_config(&self.client, self.oracle()).await.unwrap();
        let (block, now) = self.client.latest_block().await.unwrap();
        let target = chain.genesis_time + (ref_slot + 1) * 12 + FRAME + 3 * EPOCH;
        self.client.increase_time(target.saturating_sub(now)).await.unwrap();
        let next = self.frame().await;
        assert_eq!(next, ref_slot + FRAME / 12, "one frame on");
        (next, block + 1)
    }

    async fn wait_landed(&self, kind: Kind, ref_slot: u64) {
        let start = Instant::now();
        while self.landed(kind).await < ref_slot {
            assert!(
                start.elapsed() < LAND_WITHIN,
                "the {kind} report for {ref_slot} did not land; daemons wait for: {:?}",
                (0..5)
                    .filter_map(|i| self.daemons[i].as_ref().map(|d| (i, d.waiting(kind))))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The senders of the transactions to the oracle in blocks `from..=latest`.
    async fn oracle_senders(&self, from: u64) -> Vec<Address> {
        let (latest, _) = self.client.latest_block().await.unwrap();
        let mut senders = Vec::new();
        for n in from..=latest {
            let block =
                self.client.provider().get_block_by_number(n.into()).full().await.unwrap().unwrap();
            for tx in block.transactions.txns() {
                if tx.inner.to() == Some(self.oracle()) {
                    senders.push(tx.inner.signer());
                }
            }
        }
        senders
    }

    /// The member at `position` in the rotation for `kind` at `ref_slot`.
    fn at_position(&self, ref_slot: u64, kind: Kind, position: usize) -> usize {
        let addresses: Vec<Address> = self.members.iter().map(PrivateKeySigner::address).collect();
        (0..5)
            .find(|i| {
                submitter_position(&addresses, addresses[*i], ref_slot, kind) == Some(position)
            })
            .unwrap()
    }

    fn metric(&self, i: usize, line_start: &str) -> i64 {
        self.daemon(i)
            .metrics_text()
            .lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_daemons_land_one_report_per_frame_with_one_submission_and_a_quorum_survives_outages()
{
    let Some(mut w) = world("outages").await else { return };
    for i in 0..5 {
        w.start(i).await;
    }

    // All up: every frame one report, sent by one member, the frame's first in rotation.
    for _ in 0..2 {
        let (ref_slot, from) = w.next_frame().await;
        w.wait_landed(Kind::Accounting, ref_slot).await;
        tokio::time::sleep(FALLBACK * 3).await; // room for a second submission, if any
        let first = w.at_position(ref_slot, Kind::Accounting, 0);
        assert_eq!(w.oracle_senders(from).await, vec![w.members[first].address()]);
    }

    // The next frame's first two submitters stopped: the third submits, after two fallbacks.
    let ref_slot = w.frame().await + FRAME / 12;
    let (a, b) = (
        w.at_position(ref_slot, Kind::Accounting, 0),
        w.at_position(ref_slot, Kind::Accounting, 1),
    );
    w.stop(a).await;
    w.stop(b).await;
    let (ref_slot, from) = w.next_frame().await;
    w.wait_landed(Kind::Accounting, ref_slot).await;
    tokio::time::sleep(FALLBACK * 3).await;
    let third = w.at_position(ref_slot, Kind::Accounting, 2);
    assert_eq!(w.oracle_senders(from).await, vec![w.members[third].address()]);

    // Three stopped: two signatures of three, nothing lands, and the metrics say why.
    let c = (0..5).find(|i| w.daemons[*i].is_some()).unwrap();
    w.stop(c).await;
    let (ref_slot, from) = w.next_frame().await;
    let survivors: Vec<usize> = (0..5).filter(|i| w.daemons[*i].is_some()).collect();
    let start = Instant::now();
    // Until both survivors have signed and heard each other.
    while !survivors.iter().all(|i| {
        w.daemon(*i)
            .waiting(Kind::Accounting)
            .is_some_and(|(wait, detail)| wait == Wait::Quorum && detail.contains("2 of 3 match"))
    }) {
        assert!(start.elapsed() < LAND_WITHIN, "the survivors never exchanged signatures");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several polls and more than a whole rotation later, still nothing.
    tokio::time::sleep(FALLBACK * 2).await;
    assert!(w.landed(Kind::Accounting).await < ref_slot);
    assert!(w.oracle_senders(from).await.is_empty(), "nothing is sent without a quorum");
    for &i in &survivors {
        let (wait, detail) = w.daemon(i).waiting(Kind::Accounting).unwrap();
        assert_eq!(wait, Wait::Quorum, "{detail}");
        assert!(detail.contains("2 of 3 match"), "{detail}");
        assert_eq!(w.metric(i, "tidepool_oracle_signatures_missing{kind=\"accounting\"}"), 1);
        assert_eq!(
            w.metric(i, "tidepool_oracle_waiting{kind=\"accounting\",reason=\"quorum\"}"),
            1
        );
        assert_eq!(w.metric(i, "tidepool_oracle_frame_ref_slot"), ref_slot as i64);
    }

    // Restarted (same stores and ports): this frame lands, then the next one too.
    for i in [a, b, c] {
        w.start(i).await;
    }
    w.wait_landed(Kind::Accounting, ref_slot).await;
    let (ref_slot, from) = w.next_frame().await;
    w.wait_landed(Kind::Accounting, ref_slot).await;
    tokio::time::sleep(FALLBACK * 3).await;
    assert_eq!(w.oracle_senders(from).await.len(), 1, "one submission");
    let accepted: i64 = (0..5)
        .map(|i| {
            w.metric(
                i,
                "tidepool_oracle_submissions_total{kind=\"accounting\",reason=\"accepted\"}",
            )
        })
        .sum();
    assert!(accepted >= 1);
    let health = reqwest_health(w.daemon(0).url()).await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["reports"]["accounting"]["waiting"], "landed", "{health}");

    // Every member in dry run (the default without --submit): they sign and gather but send
    // nothing; a relay with no member key pulls their signatures and submits after them all.
    for i in 0..5 {
        w.stop(i).await;
        let config = w.config(i, &w.beacon.clone(), false);
        w.start_with(i, config).await;
    }
    let relay = key("relay");
    w.client.transfer(w.deployer, relay.address(), eth(1), Default::default()).await.unwrap();
    let config = Config {
        key: relay.clone(),
        relay: true,
        listen: free_port(),
        peers: (0..5).map(|j| format!("http://{}", w.slots[j].0)).collect(),
        data_dir: w.slots[0].1.with_file_name("relay"),
        ..w.config(0, &w.beacon.clone(), true)
    };
    let relay_daemon = daemon::spawn(config, Arc::new(|_: &str| {})).await.unwrap();
    let (ref_slot, from) = w.next_frame().await;
    w.wait_landed(Kind::Accounting, ref_slot).await;
    assert_eq!(w.oracle_senders(from).await, vec![relay.address()]);
    for i in 0..5 {
        let dry = "tidepool_oracle_submissions_total{kind=\"accounting\",reason=\"dry_run\"}";
        assert_eq!(w.metric(i, dry), 1, "member {i} said once what it would send");
    }
    relay_daemon.stop().await;
    for i in 0..5 {
        w.stop(i).await;
    }
}

/// The body of `GET base + path` (HTTP/1.0 over a plain socket: the tests need no HTTP
/// client of their own).
async fn http_get(base: &str, path: &str) -> String {
    let addr = base.trim_start_matches("http://").to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned()
    })
    .await
    .unwrap()
}

async fn reqwest_health(base: String) -> serde_json::Value {
    serde_json::from_str(&http_get(&base, "/health").await).unwrap()
}

/// Writes a copy of the beacon API's answers for `ref_slot` into `dir`, with the first of our
/// validators' balances one gwei higher: a member fed this builds another digest.
async fn wrong_beacon(beacon: &str, dir: &std::path::Path, ref_slot: u64) {
    let get = |path: String| async move { http_get(beacon, &path).await };
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("genesis.json"), get("/eth/v1/beacon/genesis".into()).await).unwrap();
    std::fs::write(
        dir.join("headers_finalized.json"),
        get("/eth/v1/beacon/headers/finalized".into()).await,
    )
    .unwrap();
    let mut validators: serde_json::Value =
        serde_json::from_str(&get(format!("/eth/v1/beacon/states/{ref_slot}/validators")).await)
            .unwrap();
    let first = &mut validators["data"][0]["balance"];
    let balance: u64 = first.as_str().unwrap().parse().unwrap();
    *first = serde_json::Value::String((balance + 1).to_string());
    std::fs::write(dir.join(format!("validators_{ref_slot}.json")), validators.to_string())
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_beacon_source_is_named_and_outvoted_a_restart_never_signs_twice_and_exits_go_through_the_daemons(
) {
    let Some(mut w) = world("disagreement").await else { return };
    let pool = w.d.contracts.pool.address;
    // Two validators, so there are balances to get wrong.
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(64))
        .await
        .unwrap();
    let guardians: Vec<_> = w.members.iter().take(3).collect();
    assert_eq!(local::deposit_buffered(&w.client, &w.d, w.deployer, &guardians).await.unwrap(), 2);
    w.client.increase_time(10 * EPOCH).await.unwrap();
    let (ref_slot, _) = w.next_frame().await;

    // Member 0 reads a doctored beacon source; member 1 is honest. Member 0 signs its digest.
    let bad = w.slots[0].1.with_file_name("wrong-beacon");
    wrong_beacon(&w.beacon, &bad, ref_slot).await;
    let config = w.config(0, bad.to_str().unwrap(), true);
    w.start_with(0, config).await;
    w.start(1).await;
    let start = Instant::now();
    while !w.logged(0, "signed the accounting report") {
        assert!(start.elapsed() < LAND_WITHIN, "member 0 never signed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Member 0 restarted mid-frame on the honest source builds the honest digest and refuses
    // to sign it: its first signature stands.
    w.stop(0).await;
    w.start(0).await;
    let start = Instant::now();
    while w.metric(0, "tidepool_oracle_second_digest_refusals_total") == 0 {
        assert!(start.elapsed() < LAND_WITHIN, "no refusal: {:?}", w.logs[0].lock().unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(w.logged(0, "REFUSED TO SIGN"));
    let signed_frames = std::fs::read_to_string(w.slots[0].1.join("signed-frames.json")).unwrap();
    assert_eq!(signed_frames.matches("\"signer\"").count(), 1, "one signature on disk");

    // The honest members name the disagreement and its field; their quorum lands. Member 2
    // runs dry: it never sends.
    let config = w.config(2, &w.beacon.clone(), false);
    w.start_with(2, config).await;
    // Member 3's first RPC and beacon endpoints are down: it falls back to the next ones.
    let dead = format!("http://{}", free_port());
    let mut config = w.config(3, &w.beacon.clone(), true);
    config.rpc.insert(0, dead.clone());
    config.beacon.insert(0, dead.clone());
    w.start_with(3, config).await;
    let start = Instant::now();
    while !w.logged(1, "DIGEST MISMATCH") {
        assert!(start.elapsed() < LAND_WITHIN, "no mismatch reported");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(w.logs[1]
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("DIGEST MISMATCH") && l.contains("clBalanceGwei")));
    assert!(w.metric(1, "tidepool_oracle_digest_mismatches_total{kind=\"accounting\"}") >= 1);
    w.wait_landed(Kind::Accounting, ref_slot).await;
    let start = Instant::now();
    while !w.logged(3, "signed the accounting report") {
        assert!(start.elapsed() < LAND_WITHIN, "member 3 never signed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(w.metric(3, "tidepool_oracle_endpoint_errors_total{endpoint=\"rpc\"}") >= 1);
    assert!(w.metric(3, "tidepool_oracle_endpoint_errors_total{endpoint=\"beacon\"}") >= 1);
    // Preflight: member 3's settings pass but for the dead endpoints; a stranger's key is no
    // member.
    let mut config = w.config(3, &w.beacon.clone(), true);
    config.rpc.insert(0, dead.clone());
    let checks = daemon::preflight::run(&config).await;
    let failed: Vec<&str> =
        checks.iter().filter(|c| c.outcome == Outcome::Fail).map(|c| c.what.as_str()).collect();
    assert_eq!(failed, [format!("rpc {dead}")], "{checks:?}");
    let stranger = Config { key: key("stranger"), ..w.config(3, &w.beacon.clone(), true) };
    let checks = daemon::preflight::run(&stranger).await;
    let membership = checks.iter().find(|c| c.what == "membership").unwrap();
    assert_eq!(membership.outcome, Outcome::Fail, "{membership:?}");
    let balance = checks.iter().find(|c| c.what == "balance").unwrap();
    assert_eq!(balance.outcome, Outcome::Warn, "an empty account cannot submit");
    let accepted = w
        .client
        .provider()
        .get_logs(
            &alloy_rpc_types_eth::Filter::new()
                .address(w.oracle())
                .event_signature(
                    <IOracle::ReportAccepted as alloy_sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0u64),
        )
        .await
        .unwrap();
    let event: IOracle::ReportAccepted =
        alloy_sol_types::SolEvent::decode_log_data(accepted.last().unwrap().data()).unwrap();
    assert!(!event.signers.contains(&w.members[0].address()), "the wrong digest is not the report");
    let from_member_2 = w.oracle_senders(0).await.contains(&w.members[2].address());
    assert!(!from_member_2, "a dry-run daemon sends nothing");

    // A withdrawal the buffer cannot pay: the next frame's exit report goes through the
    // daemons too (member 0 back on the honest source).
    let queue = w.d.contracts.withdrawal_queue.address;
    let amount = eth(40);
    let approve = IPool::approveCall { spender: queue, amount: amount + U256::from(1_000u64) };
    w.client.send(w.alice, pool, approve, U256::ZERO).await.unwrap();
    let request =
        IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![amount], owner: w.alice };
    w.client.send(w.alice, queue, request, U256::ZERO).await.unwrap();
    w.start(4).await;
    let (ref_slot, from) = w.next_frame().await;
    w.wait_landed(Kind::Accounting, ref_slot).await;
    w.wait_landed(Kind::Exits, ref_slot).await;
    tokio::time::sleep(FALLBACK * 3).await;
    assert_eq!(w.oracle_senders(from).await.len(), 2, "one accounting and one exit submission");
    if std::env::var_os("TIDEPOOL_DAEMON_LOGS").is_some() {
        for i in 0..5 {
            eprintln!("member {i}:\n  {}", w.logs[i].lock().unwrap().join("\n  "));
        }
    }
    for i in 0..5 {
        w.stop(i).await;
    }
}
