//! `tidepool up`, the main job: build, start the local Stylus node, deploy, serve.

use std::net::IpAddr;

use anyhow::{Context, Result};
use tidepool_deploy::{deploy_and_record, Client, DeployOptions, OperatorSetup, PrivateKeySigner};
use tidepool_node::node::{Node, NodeConfig};

use crate::{build, show, workspace::Workspace};
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
        let options = DeployOptions {
            artifacts: ws.root.join("target/wasm"),
            members: committee,
            quorum: Some(3),
            operators: vec![operator],
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
        let beacon = node.beacon_url().context("the node serves no beacon API")?;
        println!("\nTidepool is running on a local Stylus chain.");
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
                i if COMMITTEE.contains(&i) => "oracle committee and deposit guardians (3 of 5)",
                _ => "free",
            };
            println!(
                "  ({i}) {} 0x{}  {role}",
                k.address(),
                alloy_primitives::hex::encode(k.to_bytes())
            );
        }
        let key = format!("0x{}", alloy_primitives::hex::encode(keys[1].to_bytes()));
        println!("\nTry:\n{}", show::cast_lines(&deployment, &url, Some(&key)));
        println!(
            "  # every 32 ETH staked goes to a validator within seconds (the dev depositor, with \
             3 of the guardians' keys); then: cargo run -p tidepool-cli -- beacon status --rpc {url}"
        );
        // A report: move a frame (and the few epochs that finalize its reference slot) on,
        // build from the simulated beacon chain, sign with three members, submit.
        let member = |i: usize| format!("0x{}", alloy_primitives::hex::encode(keys[i].to_bytes()));
        println!("  # a day later: a report from the simulated beacon chain rebases balances");
        println!("  cast rpc --rpc-url {url} evm_increaseTime 87600 && cast rpc --rpc-url {url} evm_mine");
        println!("  cargo run -p tidepool-cli -- oracle report build --rpc {url} --beacon {beacon}");
        for i in COMMITTEE.take(3) {
            println!(
                "  cargo run -p tidepool-cli -- oracle report sign --rpc {url} --report report.json --private-key {} --out sig{i}.json",
                member(i)
            );
        }
        println!(
            "  cargo run -p tidepool-cli -- oracle report submit --rpc {url} --report report.json --signature sig5.json --signature sig6.json --signature sig7.json --private-key {key}\n"
        );
        println!("Serving; Ctrl-C stops.");
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        anyhow::Ok(())
    });
    eprintln!("stopping the node");
    node.stop().context("stopping the node")?;
    served
}
