//! `tidepool demo`: the protocol's life cycle, step by step, with a table after each step.

use alloy_primitives::{keccak256, Address, U256};
use alloy_provider::Provider;
use anyhow::{bail, ensure, Context, Result};
use tidepool_beacon::GWEI_PER_ETH;
use tidepool_committee::{
    beacon::BeaconSource,
    exits,
    report::{self, Bunker, SignatureFile},
};
use tidepool_deploy::{
    deploy_protocol, deposit, invariants, local, Client, DeployOptions, Deployment, OperatorSetup,
    PrivateKeySigner, ETHER,
};
use tidepool_interfaces::{exit_report, IPool, IWithdrawalQueue};
use tidepool_node::node::{Node, NodeConfig};

use crate::{build, keys::SignerArgs, show, up::dev_signers, workspace::Workspace};

/// Arguments of `tidepool demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run against this chain instead of an embedded node: a `tidepool-node` started with
    /// `--beacon-port` (the demo needs `evm_increaseTime` and the simulated beacon chain's
    /// `tidepool_beacon*` methods); the key must hold about 170 ETH.
    #[arg(long, value_name = "URL", requires = "beacon")]
    pub rpc: Option<String>,
    /// That node's beacon API (`http://127.0.0.1:5052`).
    #[arg(long, value_name = "URL")]
    pub beacon: Option<String>,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Use the code already in target/wasm instead of building it.
    #[arg(long)]
    pub skip_build: bool,
}

/// A demo key derived from a label: deterministic, so every run shows the same addresses.
fn demo_key(label: &str) -> Result<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&keccak256(format!("tidepool demo: {label}"))).context("demo key")
}

fn ether(n: u64) -> U256 {
    U256::from(n) * ETHER
}

fn milli(n: u64) -> U256 {
    U256::from(n) * ETHER / U256::from(1_000u64)
}

/// The people of the story.
struct Cast {
    deployer: Address,
    alice: Address,
    bob: Address,
    carol: Address,
    treasury: Address,
    committee: Vec<PrivateKeySigner>,
}

/// Runs the demo on `--rpc` or on a node started here.
pub fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    if args.rpc.is_none() && !args.skip_build {
        build::run(&build::Args::default())?;
    }
    let (node, url, deployer, beacon) = match (&args.rpc, &args.beacon) {
        (Some(url), Some(beacon)) => (None, url.clone(), args.signer.load()?, beacon.clone()),
        _ => {
            let node = Node::spawn(NodeConfig { beacon_port: Some(0), ..NodeConfig::ephemeral() })
                .context("starting the local node")?;
            let key = dev_signers(&node)?.swap_remove(0);
            let url = node.url();
            let beacon = node.beacon_url().context("the node serves no beacon API")?;
            (Some(node), url, key, beacon)
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let result = runtime.block_on(story(&url, deployer, &ws.root.join("target/wasm"), &beacon));
    if let Some(node) = node {
        node.stop().context("stopping the node")?;
    }
    result
}

fn step(n: u32, title: &str) {
    println!("\n== {n}. {title}");
}

/// Prints the accounts' token, share and ether balances and the pool's rate.
async fn table(client: &Client, d: &Deployment, rows: &[(&str, Address)]) -> Result<()> {
    let pool = d.contracts.pool.address;
    println!("   {:<10} {:>14} {:>22} {:>14}", "account", "tpETH", "shares", "ETH");
    for (name, account) in rows {
        let balance = client.view(pool, IPool::balanceOfCall { account: *account }).await?;
        let shares = client.view(pool, IPool::sharesOfCall { account: *account }).await?;
        let eth = client.balance(*account).await?;
        println!(
            "   {name:<10} {:>14} {:>22} {:>14}",
            show::ether(balance, 6),
            show::ether(shares, 6),
            show::ether(eth, 6)
        );
    }
    let pooled = client.view(pool, IPool::getTotalPooledEtherCall {}).await?;
    let one = client.view(pool, IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await?;
    println!(
        "   pool: {} ETH pooled; 1 share = {} ETH",
        show::ether(pooled, 6),
        show::ether(one, 9)
    );
    Ok(())
}

/// Moves the chain's clock into the next oracle frame, three epochs past its reference slot
/// (so the beacon chain has finalized it).
async fn next_frame(client: &Client, d: &Deployment) -> Result<()> {
    let oracle = d.contracts.oracle.address;
    let (ref_slot, _) = report::current_frame(client, d).await?;
    let chain = tidepool_deploy::report::chain_config(client, oracle).await?;
    let epoch = chain.seconds_per_slot * chain.slots_per_epoch;
    let frame_slots = d.oracle.slots_per_epoch * d.oracle.epochs_per_frame;
    let target = chain.genesis_time + (ref_slot + frame_slots) * chain.seconds_per_slot + 3 * epoch;
    let (_, now) = client.latest_block().await?;
    client
        .increase_time(target.saturating_sub(now))
        .await
        .context("moving to the next oracle frame needs evm_increaseTime")?;
    Ok(())
}

/// Builds the running frame's accounting report from the beacon API, has three of the five
/// members sign it and relays it.
async fn account(client: &Client, d: &Deployment, c: &Cast, beacon: &BeaconSource) -> Result<()> {
    let file = report::build(client, d, beacon, Bunker::Auto, &mut |_| {}).await?;
    let data = &file.data;
    println!(
        "   reference slot {}: {} validators with {} ETH on the beacon chain; vaults: {} ETH \
         swept, {} ETH execution-layer rewards; {} batch(es) to finalize{}",
        data.refSlot,
        data.numValidators,
        show::ether(data.clBalanceGwei * U256::from(GWEI_PER_ETH), 6),
        show::ether(data.withdrawalVaultBalance, 6),
        show::ether(data.elRewardsVaultBalance, 6),
        data.withdrawalFinalizationBatches.len(),
        if data.isBunkerMode { "; bunker mode (the beacon chain lost ether)" } else { "" }
    );
    let signatures = sign_three(client, d, c, &file).await?;
    let receipt = report::submit(client, d, &file, &signatures, c.deployer).await?;
    println!(
        "   built from the beacon API, signed by 3 of 5 members, accepted in block {} ({} gas)",
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used
    );
    Ok(())
}

/// The same for the frame's exit report; returns the keys asked to exit.
async fn exits(client: &Client, d: &Deployment, c: &Cast, beacon: &BeaconSource) -> Result<u64> {
    let file = exits::build(client, d, beacon, &mut |_| {}).await?;
    let requests = exit_report::entries(&file.data.exitRequests)
        .map_err(|e| anyhow::anyhow!("malformed exit requests: {e:?}"))?;
    println!(
        "   the queue waits for {} ETH more than the buffer, vaults and leaving validators \
         bring; exit requests (operator, keys): {requests:?}",
        show::ether(file.shortfall, 6)
    );
    let signatures = sign_three(client, d, c, &file).await?;
    exits::submit(client, d, &file, &signatures, c.deployer).await?;
    Ok(requests.iter().map(|r| r.1).sum())
}

async fn sign_three(
    client: &Client,
    d: &Deployment,
    c: &Cast,
    file: &impl report::Signable,
) -> Result<Vec<(String, SignatureFile)>> {
    let mut out = Vec::new();
    for key in c.committee.iter().take(3) {
        out.push((key.address().to_string(), report::sign(client, d, file, key).await?));
    }
    Ok(out)
}

/// The beacon simulation's validators, as `tidepool beacon validators` lists them.
async fn validators(client: &Client) -> Result<Vec<(u64, String, u64)>> {
    let all: serde_json::Value = client
        .provider()
        .raw_request("tidepool_beaconValidators".into(), serde_json::json!([]))
        .await
        .context("tidepool_beaconValidators")?;
    let rows = all.as_array().context("validators")?;
    rows.iter()
        .map(|v| {
            let index = v["index"].as_u64().context("index")?;
            let status = v["status"].as_str().context("status")?.to_owned();
            let balance = v["balanceGwei"].as_u64().context("balance")?;
            Ok((index, status, balance))
        })
        .collect()
}

async fn print_validators(client: &Client) -> Result<()> {
    for (index, status, balance) in validators(client).await? {
        println!(
            "   validator {index}: {status}, {} ETH",
            show::ether(U256::from(balance) * U256::from(GWEI_PER_ETH), 9)
        );
    }
    Ok(())
}

async fn story(
    url: &str,
    deployer: PrivateKeySigner,
    artifacts: &std::path::Path,
    beacon: &str,
) -> Result<()> {
    let (alice, bob, carol) = (demo_key("alice")?, demo_key("bob")?, demo_key("carol")?);
    let committee: Vec<_> =
        (1..=5).map(|i| demo_key(&format!("committee member {i}"))).collect::<Result<_>>()?;
    let cast = Cast {
        deployer: deployer.address(),
        alice: alice.address(),
        bob: bob.address(),
        carol: carol.address(),
        treasury: demo_key("treasury")?.address(),
        committee,
    };
    let c = &cast;
    let client = Client::connect(url, [deployer, alice, bob, carol]).await?;
    let beacon = BeaconSource::parse(beacon);
    println!("Tidepool demo on chain {} at {url}, beacon API at {beacon:?}", client.chain_id());

    step(1, "Deploy: the protocol, a node operator with 8 keys, the beacon chain simulated");
    let options = DeployOptions {
        artifacts: artifacts.to_owned(),
        treasury: Some(c.treasury),
        members: c.committee.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        operators: vec![OperatorSetup {
            name: "demo operator".into(),
            reward_address: demo_key("operator rewards")?.address(),
            key_seed: b"tidepool demo operator".to_vec(),
            keys: 8,
        }],
        ..DeployOptions::default()
    };
    let d =
        deploy_protocol(&client, c.deployer, &options, &mut |line| println!("   {line}")).await?;
    local::start_beacon(&client, &d).await?;
    let module = deposit::module(&d)?.staking_module.address;
    let pool = d.contracts.pool.address;
    let queue = d.contracts.withdrawal_queue.address;
    for (to, amount) in [(c.alice, milli(45_050)), (c.bob, milli(19_050)), (c.carol, milli(40_050))]
    {
        client.transfer(c.deployer, to, amount, Default::default()).await?;
    }
    let people = [("Alice", c.alice), ("Bob", c.bob), ("Carol", c.carol), ("treasury", c.treasury)];
    table(&client, &d, &people).await?;

    step(2, "Alice stakes 45 ETH (an EIP-1559 transaction signed in her wallet), Bob 19 ETH");
    let receipt = client
        .send(c.alice, pool, IPool::submitCall { referral: Address::ZERO }, ether(45))
        .await?;
    println!(
        "   submit(): block {}, {} gas",
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used
    );
    client.send(c.bob, pool, IPool::submitCall { referral: Address::ZERO }, ether(19)).await?;
    table(&client, &d, &people).await?;

    step(3, "The guardians (3 of 5) let 64 ETH go to two validators; they activate");
    let guardians: Vec<_> = c.committee.iter().take(3).collect();
    let receipt = deposit::deposit(&client, &d, c.deployer, 2, &guardians).await?;
    println!("   depositBufferedEther(2): {} gas; two DepositEvents", receipt.gas_used);
    print_validators(&client).await?;
    client.increase_time(10 * 384).await?;
    println!("   ten epochs later:");
    print_validators(&client).await?;

    step(4, "A day of rewards: the committee reports from the beacon chain");
    next_frame(&client, &d).await?;
    account(&client, &d, c, &beacon).await?;
    table(&client, &d, &people).await?;
    println!(
        "   balances rebased: Alice earned without a transaction; the fee went to the treasury"
    );

    step(5, "Validator 1 is slashed; the next report sees the loss: bunker mode");
    let _: serde_json::Value = client
        .provider()
        .raw_request("tidepool_beaconSlash".into(), serde_json::json!([1]))
        .await
        .context("tidepool_beaconSlash")?;
    let rate_before =
        client.view(pool, IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await?;
    next_frame(&client, &d).await?;
    print_validators(&client).await?;
    account(&client, &d, c, &beacon).await?;
    let rate_after =
        client.view(pool, IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await?;
    ensure!(rate_after < rate_before, "the slashing did not lower the rate");
    println!(
        "   1 share: {} -> {} ETH; the slashed validator's balance, swept, is in the buffer",
        show::ether(rate_before, 9),
        show::ether(rate_after, 9)
    );

    step(6, "Alice asks to withdraw 40 tpETH (ticket #1) and sells the ticket to Carol");
    // A little above the 40: the queue takes the shares rounded up, so the ticket pays 40.
    client
        .send(c.alice, pool, IPool::approveCall { spender: queue, amount: ether(41) }, U256::ZERO)
        .await?;
    let request =
        IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![ether(40)], owner: c.alice };
    client.send(c.alice, queue, request, U256::ZERO).await?;
    client.transfer(c.carol, c.alice, milli(39_900), Default::default()).await?;
    let transfer = IWithdrawalQueue::transferFromCall {
        from: c.alice,
        to: c.carol,
        token_id: U256::from(1u8),
    };
    client.send(c.alice, queue, transfer, U256::ZERO).await?;
    let owner =
        client.view(queue, IWithdrawalQueue::ownerOfCall { token_id: U256::from(1u8) }).await?;
    ensure!(owner == c.carol, "ticket #1 belongs to {owner}");
    let buffered = client.view(pool, IPool::getBufferedEtherCall {}).await?;
    println!(
        "   ticket #1 (an ERC-721) now Carol's for 39.9 ETH; the buffer holds {} ETH",
        show::ether(buffered, 6)
    );

    step(7, "The next frame: an exit report asks the operator to exit its oldest validator");
    next_frame(&client, &d).await?;
    let asked = exits(&client, &d, c, &beacon).await?;
    ensure!(asked >= 1, "no exit was asked");
    account(&client, &d, c, &beacon).await?;
    let (_, performed) = local::perform_exits(&client, module, None, 0).await?;
    for e in &performed {
        println!(
            "   ValidatorExitRequested(operator {}, key {}): the dev operator exits {}",
            e.nodeOperatorId, e.keyIndex, e.pubkey
        );
    }

    step(8, "Exited and swept: the next report finalizes ticket #1 with that ether");
    // The exit takes 4 epochs and the validator is withdrawable 8 later; the block that
    // crosses that epoch carries the sweep (a real chain has a block every slot).
    client.increase_time(20 * 384).await?;
    next_frame(&client, &d).await?;
    print_validators(&client).await?;
    account(&client, &d, c, &beacon).await?;
    let status = client
        .view(
            queue,
            IWithdrawalQueue::getWithdrawalStatusCall { request_ids: vec![U256::from(1u8)] },
        )
        .await?;
    let Some(ticket) = status.first() else { bail!("no status for ticket #1") };
    ensure!(ticket.isFinalized, "ticket #1 was not finalized: {ticket:?}");
    let hints = client
        .view(
            queue,
            IWithdrawalQueue::findCheckpointHintsCall {
                request_ids: vec![U256::from(1u8)],
                first_index: U256::from(1u8),
                last_index: client
                    .view(queue, IWithdrawalQueue::getLastCheckpointIndexCall {})
                    .await?,
            },
        )
        .await?;
    let claimable = client
        .view(
            queue,
            IWithdrawalQueue::getClaimableEtherCall { request_ids: vec![U256::from(1u8)], hints },
        )
        .await?[0];

    step(9, "Carol claims ticket #1");
    let before = client.balance(c.carol).await?;
    let receipt = client
        .send(
            c.carol,
            queue,
            IWithdrawalQueue::claimWithdrawalCall { request_id: U256::from(1u8) },
            U256::ZERO,
        )
        .await?;
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let got = client.balance(c.carol).await? + gas - before;
    ensure!(got == claimable, "Carol received {got}, not the {claimable} claimable");
    println!("   Carol received {} ETH", show::ether(got, 6));
    table(&client, &d, &people).await?;

    step(10, "Invariants, checked from chain state");
    let snapshot = invariants::check(&client, &d).await?;
    println!(
        "   all hold: {} share holders, balances = shares x rate, shares sum to the total, \
         pooled = buffered + beacon + transient, queue FIFO and solvent",
        snapshot.holders.len()
    );
    Ok(())
}
