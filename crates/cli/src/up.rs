//! `tidepool up`, the main job: build, start the local Stylus node, deploy, serve.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use anyhow::{Context, Result};
use tidepool_committee::{daemon, report::Bunker};
use tidepool_deploy::{
    deploy_and_record, BeaconConfig, Client, DeployOptions, OperatorSetup, PrivateKeySigner,
};
use tidepool_node::node::{Node, NodeConfig};

use crate::{build, show, web, workspace::Workspace};
use tidepool_deploy::local;

/// Dev accounts (of the node's test mnemonic) that form the committee: 5 to 9, quorum 3.
/// They are the deposit guardians too.
const COMMITTEE: std::ops::RangeInclusive<usize> = 5..=9;
/// Dev account that receives the dev operator's rewards.
const OPERATOR_REWARDS: usize = 4;
/// Keys of the local chain's dev operator: room for 64 validators (2,048 ETH).
const DEV_OPERATOR_KEYS: u32 = 64;
/// Seed of the dev operator's deterministic BLS keys (public: never use them on a real chain).
pub const DEV_OPERATOR_SEED: &[u8] = b"tidepool local chain dev operator";
/// The local chain's beacon timing: 2-second slots, 8 slots per epoch, so an epoch is 16 s and
/// frames of a few epochs let the local world report every minute or so.
const LOCAL_SECONDS_PER_SLOT: u64 = 2;
const LOCAL_SLOTS_PER_EPOCH: u64 = 8;
/// First port of the committee daemons (one each, upwards).
const DAEMON_PORT: u16 = 9101;

/// Arguments of `tidepool up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to serve on (0 picks a free one).
    #[arg(long, default_value_t = 8547)]
    pub port: u16,
    /// Port of the simulated beacon chain's REST API (0 picks a free one).
    #[arg(long, default_value_t = 5052)]
    pub beacon_port: u16,
    /// Use the code already in target/wasm instead of building it.
    #[arg(long)]
    pub skip_build: bool,
    /// Oracle frame length in epochs of 16 s (2-second slots, 8 per epoch); the committee's
    /// daemons report every frame.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(3..))]
    pub frame_epochs: u64,
    /// Port of the first committee daemon (signatures, /metrics, /health); the others follow.
    #[arg(long, default_value_t = DAEMON_PORT)]
    pub daemon_port: u16,
    /// Start no committee daemons (report by hand with `tidepool oracle report`).
    #[arg(long)]
    pub no_daemons: bool,
    /// Port of the staking web app (`web/`, built by `npm run build`; 0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub web_port: u16,
    /// Do not serve the web app.
    #[arg(long)]
    pub no_web: bool,
}

/// The node's dev keys as deployment signers.
pub fn dev_signers(node: &tidepool_node::node::NodeHandle) -> Result<Vec<PrivateKeySigner>> {
    let chain = node.chain().lock();
    chain
        .signers()
        .iter()
        .map(|s| {
            PrivateKeySigner::from_slice(s.to_bytes().as_slice()).context("a dev key does not load")
        })
        .collect()
}

/// Starts the committee's five daemons (dev accounts 5 to 9) on consecutive ports from
/// `args.daemon_port`, each the others' peer, submitting, with their signed frames in a fresh
/// directory (the local chain starts afresh each time). Their log lines go to stderr, each
/// with its member's number.
async fn start_committee(
    args: &Args,
    rpc: &str,
    beacon: &str,
    deployment: &tidepool_deploy::Deployment,
    keys: &[PrivateKeySigner],
) -> Result<Vec<daemon::DaemonHandle>> {
    let root = std::env::temp_dir().join(format!("tidepool-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let addr = |i: usize| -> Result<SocketAddr> {
        let port = u16::try_from(usize::from(args.daemon_port) + i)
            .context("--daemon-port leaves no room for five daemons")?;
        Ok(SocketAddr::new(args.host, port))
    };
    let slot = Duration::from_secs(LOCAL_SECONDS_PER_SLOT);
    let mut daemons = Vec::new();
    for (n, i) in COMMITTEE.enumerate() {
        let peers = (0..COMMITTEE.count())
            .filter(|m| *m != n)
            .map(|m| addr(m).map(|a| format!("http://{a}")))
            .collect::<Result<Vec<_>>>()?;
        let config = daemon::Config {
            rpc: vec![rpc.to_owned()],
            beacon: vec![beacon.to_owned()],
            deployment: deployment.clone(),
            key: keys[i].clone(),
            relay: false,
            listen: addr(n)?,
            peers,
            data_dir: root.join(format!("member-{i}")),
            submit: true,
            poll: slot,
            fallback: slot * 3,
            bunker: Bunker::Auto,
        };
        let print = crate::oracle_run::stderr_log();
        let log: daemon::Log = std::sync::Arc::new(move |line: &str| {
            if line.contains("submitted") || line.contains("MISMATCH") || line.contains("REFUSED") {
                print(&format!("oracle member ({i}): {line}"));
            }
        });
        daemons.push(daemon::spawn(config, log).await.with_context(|| {
            format!("starting committee member {i}'s daemon (use --daemon-port or --no-daemons)")
        })?);
    }
    Ok(daemons)
}

/// A dev key as printed and as wallets import it: `0x` and 64 hex digits.
fn key_hex(key: &PrivateKeySigner) -> String {
    format!("0x{}", alloy_primitives::hex::encode(key.to_bytes()))
}

/// Serves the web app against `deployment` (the document its record file holds), with every
/// dev key for its dev-account mode; `Ok(Err(why))` when the page is not built (the chain
/// runs without it).
async fn serve_web(
    args: &Args,
    root: &std::path::Path,
    url: &str,
    deployment: &tidepool_deploy::Deployment,
    keys: &[PrivateKeySigner],
) -> Result<Result<String, String>> {
    let dist = match web::WebApp::dist(root) {
        Ok(dist) => dist,
        Err(why) => return Ok(Err(why)),
    };
    let record = serde_json::to_value(deployment).context("serialising the deployment")?;
    let dev_keys: Vec<String> = keys.iter().map(key_hex).collect();
    let config = web::WebApp::config(deployment.chain_id, url, record, &dev_keys);
    let app = web::WebApp { dist, config, rpc: url.to_string() };
    let addr = web::serve(args.host, args.web_port, app).await?;
    Ok(Ok(format!("http://{addr}/")))
}

/// Builds, starts the node, deploys, prints how to reach it and serves until Ctrl-C.
pub fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    if !args.skip_build {
        build::run(&build::Args::default())?;
    }
    let node = Node::spawn(NodeConfig {
        host: args.host,
        port: args.port,
        beacon_port: Some(args.beacon_port),
        ..NodeConfig::default()
    })
    .context("starting the local node")?;
    let url = node.url();
    let keys = dev_signers(&node)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let served = runtime.block_on(async {
        let client = Client::connect(&url, keys.clone()).await?;
        let committee: Vec<_> = keys[COMMITTEE].iter().map(PrivateKeySigner::address).collect();
        let operator = OperatorSetup {
            name: "dev operator".into(),
            reward_address: keys[OPERATOR_REWARDS].address(),
            key_seed: DEV_OPERATOR_SEED.to_vec(),
            keys: DEV_OPERATOR_KEYS,
        };
        let beacon = BeaconConfig {
            seconds_per_slot: LOCAL_SECONDS_PER_SLOT,
            slots_per_epoch: LOCAL_SLOTS_PER_EPOCH,
            epochs_per_frame: args.frame_epochs,
            ..BeaconConfig::DEV
        };
        let options = DeployOptions {
            artifacts: ws.root.join("target/wasm"),
            members: committee,
            quorum: Some(3),
            operators: vec![operator],
            // Reports every frame: the minimum interval is one frame.
            min_report_interval: beacon.frame_seconds(),
            beacon,
            ..DeployOptions::default()
        };
        eprintln!("deploying to the local node at {url}");
        let (deployment, path) = deploy_and_record(
            &client,
            keys[0].address(),
            &options,
            &ws.root.join("deployments"),
            false,
            &mut |line| eprintln!("  {line}"),
        )
        .await?;
        local::start_beacon(&client, &deployment).await?;
        let module = tidepool_deploy::deposit::module(&deployment)?.staking_module.address;
        let (from, _) = client.latest_block().await?;
        tokio::spawn(local::dev_operator(client.clone(), module, from));
        // Staked ether becomes validators on its own: a quorum of the guardians (the
        // committee's dev keys) attests each deposit.
        let guardians: Vec<PrivateKeySigner> = keys[COMMITTEE].iter().take(3).cloned().collect();
        let from = keys[0].address();
        tokio::spawn(local::dev_depositor(client.clone(), deployment.clone(), from, guardians));
        // Blocks every slot, so the chain's clock and the beacon chain move on their own.
        tokio::spawn(local::clock(client.clone(), Duration::from_secs(LOCAL_SECONDS_PER_SLOT)));
        let beacon = node.beacon_url().context("the node serves no beacon API")?;
        let daemons = if args.no_daemons {
            Vec::new()
        } else {
            start_committee(args, &url, &beacon, &deployment, &keys).await?
        };
        let web = if args.no_web {
            None
        } else {
            Some(serve_web(args, &ws.root, &url, &deployment, &keys).await?)
        };
        println!("\nTidepool is running on a local Stylus chain.");
        match &web {
            Some(Ok(app)) => println!(
                "  web app: {app} (stake, wrap, withdraw, claim; \"dev account\" signs with the keys below)"
            ),
            Some(Err(why)) => println!("  web app: not served: {why}"),
            None => {}
        }
        println!("  RPC URL: {url}");
        println!("  beacon API: {beacon} (a simulated beacon chain: deposits become validators that earn)");
        println!("  Chain ID: {}", deployment.chain_id);
        println!("  record: {}\n", path.display());
        print!("{}", show::contracts(&deployment));
        println!("\nDev accounts (10,000 ETH each; keys from the public test mnemonic):");
        for (i, k) in keys.iter().enumerate() {
            let role = match i {
                0 => "deployer, admin, treasury, dev operator's key manager",
                OPERATOR_REWARDS => "dev operator's rewards",
                i if COMMITTEE.contains(&i) => {
                    "oracle committee (a daemon each) and deposit guardians (3 of 5)"
                }
                _ => "free",
            };
            println!("  ({i}) {} {}  {role}", k.address(), key_hex(k));
        }
        let key = key_hex(&keys[1]);
        println!("\nTry:\n{}", show::cast_lines(&deployment, &url, Some(&key)));
        println!(
            "  # every 32 ETH staked goes to a validator within seconds (the dev depositor, with \
             3 of the guardians' keys); then: cargo run -p tidepool-cli -- beacon status --rpc {url}"
        );
        let frame = options.beacon.frame_seconds();
        if daemons.is_empty() {
            println!("  # no committee daemons (--no-daemons): report by hand with `tidepool oracle report build | sign | submit`");
        } else {
            println!(
                "  # the committee's five daemons report every {frame} s frame by themselves (3 of 5 sign; one submits):"
            );
            println!("  cargo run -p tidepool-cli -- oracle status --rpc {url}");
            let first = &daemons[0];
            println!("  curl {}/health; curl {}/metrics", first.url(), first.url());
        }
        println!("  # watch a balance rebase after each report:");
        println!(
            "  cast call {} \"balanceOf(address)(uint256)\" {} --rpc-url {url}\n",
            deployment.contracts.pool.address,
            keys[1].address()
        );
        println!("Serving; Ctrl-C stops.");
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        for d in daemons {
            d.stop().await;
        }
        anyhow::Ok(())
    });
    eprintln!("stopping the node");
    node.stop().context("stopping the node")?;
    served
}
