//! A committee's frame on the local node: beacon fixtures with 100,000 validators (a few of
//! them the protocol's), two members building the same report independently (from saved
//! files and from a beacon node's REST API), signatures gathered and checked, the report
//! submitted; and each way it can go wrong refused with a clear error.

use std::{collections::BTreeSet, path::PathBuf};

use alloy_primitives::U256;
use tidepool_committee::{
    beacon::{fixtures, BeaconError, BeaconSource},
    report::{self, Bunker, CommitteeError, ReportFile, SignatureFile},
};
use tidepool_deploy::{
    deploy_protocol, Client, DeployOptions, Deployment, PrivateKeySigner, ETHER,
};
use tidepool_interfaces::{IOracle, IPool};
use tidepool_node::node::{Node, NodeConfig, NodeHandle};

const TOTAL: u64 = 100_000;
const OURS_BALANCE_GWEI: u64 = 32_001_000_000;

fn ours() -> BTreeSet<u64> {
    [7, 50_000, 99_999].into_iter().collect()
}

struct Frame {
    _node: NodeHandle,
    client: Client,
    d: Deployment,
    members: Vec<PrivateKeySigner>,
    dir: PathBuf,
}

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm")
}

fn member(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&alloy_primitives::keccak256([b'm', i])).expect("key")
}

/// A deployment with three validators deposited, and beacon files for the running frame.
async fn frame(name: &str) -> Option<Frame> {
    if !artifacts().join("pool.code").exists() {
        assert!(std::env::var_os("CI").is_none(), "target/wasm missing on CI");
        eprintln!("SKIPPED: run `tidepool build` first");
        return None;
    }
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let dev = node.chain().lock().signers()[0].to_bytes();
    let deployer = PrivateKeySigner::from_bytes(&dev).expect("key");
    let from = deployer.address();
    let client = Client::connect(&node.url(), [deployer]).await.expect("connect");
    let members: Vec<_> = (1..=5).map(member).collect();
    // An outside module (an account) that the deployer deposits to directly: these tests
    // are about reports, not about the module's keys and guardians.
    let options = DeployOptions {
        artifacts: artifacts(),
        members: members.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        staking_module: Some(member(9).address()),
        ..DeployOptions::default()
    };
    let d = deploy_protocol(&client, from, &options, &mut |_| {}).await.expect("deploy");
    let pool = d.contracts.pool.address;
    let stake = IPool::submitCall { referral: alloy_primitives::Address::ZERO };
    client.send(from, pool, stake, U256::from(100u8) * ETHER).await.expect("stake");
    client
        .send(from, pool, IPool::depositCall { validators: U256::from(3u8) }, U256::ZERO)
        .await
        .expect("deposit");
    let dir =
        std::env::temp_dir().join(format!("tidepool-committee-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let oracle = d.contracts.oracle.address;
    let current = |client: &Client| {
        let client = client.clone();
        async move { client.view(oracle, IOracle::getCurrentFrameCall {}).await.expect("frame")._0 }
    };
    // The running frame's reference slot precedes the deployment: nothing to report on yet.
    let first = current(&client).await;
    write_beacon(&dir, &d, first, d.oracle.genesis_time, first + 64);
    match report::build(&client, &d, &BeaconSource::Dir(dir.clone()), Bunker::Auto, &mut |_| {})
        .await
    {
        Err(CommitteeError::BeforeDeployment { ref_slot, .. }) => assert_eq!(ref_slot, first),
        other => panic!("expected BeforeDeployment, got {other:?}"),
    }
    // The next frame's reference slot comes after the stake and the deposits.
    client.increase_time(86_400).await.expect("next frame");
    let ref_slot = current(&client).await;
    write_beacon(&dir, &d, ref_slot, d.oracle.genesis_time, ref_slot + 64);
    Some(Frame { _node: node, client, d, members, dir })
}

fn write_beacon(dir: &std::path::Path, d: &Deployment, slot: u64, genesis: u64, finalized: u64) {
    std::fs::write(dir.join("genesis.json"), fixtures::genesis_json(genesis)).expect("genesis");
    std::fs::write(dir.join("headers_finalized.json"), fixtures::finalized_header_json(finalized))
        .expect("header");
    let file = std::fs::File::create(dir.join(format!("validators_{slot}.json"))).expect("create");
    fixtures::write_validators(
        std::io::BufWriter::new(file),
        TOTAL,
        &ours(),
        d.contracts.withdrawal_vault.address,
        OURS_BALANCE_GWEI,
    )
    .expect("validators");
}

async fn build(
    f: &Frame,
    source: &BeaconSource,
    bunker: Bunker,
) -> Result<ReportFile, CommitteeError> {
    report::build(&f.client, &f.d, source, bunker, &mut |_| {}).await
}

async fn sign(f: &Frame, r: &ReportFile, key: &PrivateKeySigner) -> (String, SignatureFile) {
    let s = report::sign(&f.client, &f.d, r, key).await.expect("sign");
    (format!("signature-{}.json", key.address()), s)
}

#[tokio::test]
async fn members_build_the_same_report_from_files_and_from_a_beacon_node_and_a_quorum_submits_it() {
    let Some(f) = frame("flow").await else { return };
    let from_files =
        build(&f, &BeaconSource::Dir(f.dir.clone()), Bunker::Auto).await.expect("build from files");
    assert_eq!(from_files.validators_scanned, TOTAL);
    assert_eq!(from_files.data.numValidators, U256::from(3u8));
    assert_eq!(from_files.data.clBalanceGwei, U256::from(3 * OURS_BALANCE_GWEI));
    assert!(!from_files.data.isBunkerMode, "the validators earned");
    let (url, _server) = fixtures::serve(f.dir.clone());
    let from_node =
        build(&f, &BeaconSource::Url(url), Bunker::Auto).await.expect("build from a beacon node");
    assert_eq!(from_node, from_files, "same sources, same report and digest");

    // Files travel as JSON; a signature of the same digest by each member.
    let path = f.dir.join("report.json");
    report::write_json(&path, &from_files).expect("write");
    let r: ReportFile = report::read_json(&path).expect("read");
    let oracle = f.d.contracts.oracle.address;
    let hashed = f
        .client
        .view(oracle, IOracle::hashReportCall { data: r.data.clone() })
        .await
        .expect("hashReport");
    assert_eq!(hashed, r.digest, "the digest is the oracle's own");

    let mut sigs = vec![sign(&f, &r, &f.members[0]).await, sign(&f, &r, &f.members[1]).await];
    let relayer = f.d.deployer;
    // Two of three: says how many more.
    match report::submit(&f.client, &f.d, &r, &sigs, relayer).await {
        Err(CommitteeError::QuorumNotReached { have: 2, need: 3 }) => {}
        other => panic!("expected QuorumNotReached, got {other:?}"),
    }
    // A member who built with another bunker decision signed another digest.
    let other = build(&f, &BeaconSource::Dir(f.dir.clone()), Bunker::On).await.expect("build");
    assert_ne!(other.digest, r.digest);
    let mismatched = sign(&f, &other, &f.members[2]).await;
    let with_other = [sigs.clone(), vec![mismatched]].concat();
    assert!(matches!(
        report::submit(&f.client, &f.d, &r, &with_other, relayer).await,
        Err(CommitteeError::DigestMismatch { .. })
    ));
    // An outsider's signature, and a file naming someone else as its signer.
    let outsider = member(9);
    let stranger = sign(&f, &r, &outsider).await;
    assert!(matches!(
        report::submit(&f.client, &f.d, &r, &[sigs.clone(), vec![stranger.clone()]].concat(), relayer).await,
        Err(CommitteeError::NotMember { signer }) if signer == outsider.address()
    ));
    let mut forged = stranger;
    forged.1.signer = f.members[2].address();
    assert!(matches!(
        report::submit(&f.client, &f.d, &r, &[sigs.clone(), vec![forged]].concat(), relayer).await,
        Err(CommitteeError::SignerMismatch { .. })
    ));

    // A third member, a duplicate that changes nothing, submitted in signer order.
    sigs.push(sign(&f, &r, &f.members[4]).await);
    sigs.push(sigs[0].clone());
    let receipt = report::submit(&f.client, &f.d, &r, &sigs, relayer).await.expect("submit");
    assert!(receipt.status());
    let last = f.client.view(oracle, IOracle::getLastProcessingRefSlotCall {}).await.expect("view");
    assert_eq!(U256::from(last), r.data.refSlot);
    let stat =
        f.client.view(f.d.contracts.pool.address, IPool::getBeaconStatCall {}).await.expect("stat");
    assert_eq!(
        (stat._1, stat._2),
        (U256::from(3u8), U256::from(3 * OURS_BALANCE_GWEI) * U256::from(1_000_000_000u64))
    );
    let status = report::status(&f.client, &f.d).await.expect("status");
    assert_eq!((status.last_processed, status.quorum, status.members.len()), (last, 3, 5));

    // The next frame: last frame's report can no longer be signed.
    f.client.increase_time(86_400).await.expect("time");
    match report::sign(&f.client, &f.d, &r, &f.members[3]).await {
        Err(CommitteeError::WrongFrame { report, current }) => assert!(current > report),
        other => panic!("expected WrongFrame, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[tokio::test]
async fn wrong_beacon_chain_unfinalized_slots_and_unreachable_nodes_are_refused() {
    let Some(f) = frame("errors").await else { return };
    let oracle = f.d.contracts.oracle.address;
    let ref_slot = f.client.view(oracle, IOracle::getCurrentFrameCall {}).await.expect("frame")._0;
    let source = BeaconSource::Dir(f.dir.clone());

    std::fs::write(f.dir.join("genesis.json"), fixtures::genesis_json(f.d.oracle.genesis_time + 1))
        .expect("write");
    assert!(matches!(
        build(&f, &source, Bunker::Auto).await,
        Err(CommitteeError::GenesisMismatch { .. })
    ));
    std::fs::write(f.dir.join("genesis.json"), fixtures::genesis_json(f.d.oracle.genesis_time))
        .expect("write");
    std::fs::write(
        f.dir.join("headers_finalized.json"),
        fixtures::finalized_header_json(ref_slot - 1),
    )
    .expect("write");
    assert!(matches!(
        build(&f, &source, Bunker::Auto).await,
        Err(CommitteeError::NotFinalized { finalized, .. }) if finalized == ref_slot - 1
    ));
    let nowhere = BeaconSource::Url("http://127.0.0.1:1".into());
    match build(&f, &nowhere, Bunker::Auto).await {
        Err(CommitteeError::Beacon(e @ BeaconError::Unreachable { .. })) => {
            assert!(e.to_string().contains("127.0.0.1:1"), "{e}")
        }
        other => panic!("expected an unreachable beacon node, got {other:?}"),
    }
    // A consensus-layer loss turns bunker mode on by itself.
    std::fs::write(
        f.dir.join("headers_finalized.json"),
        fixtures::finalized_header_json(ref_slot + 64),
    )
    .expect("write");
    let file =
        std::fs::File::create(f.dir.join(format!("validators_{ref_slot}.json"))).expect("create");
    fixtures::write_validators(
        std::io::BufWriter::new(file),
        1_000,
        &ours(),
        f.d.contracts.withdrawal_vault.address,
        31_900_000_000,
    )
    .expect("validators");
    // 1,000 validators hold only index 7 of ours: two deposits not yet seen, one losing.
    let lossy = build(&f, &source, Bunker::Auto).await.expect("build");
    assert_eq!(lossy.data.numValidators, U256::from(1u8));
    assert!(lossy.data.isBunkerMode);
    let _ = std::fs::remove_dir_all(&f.dir);
}
