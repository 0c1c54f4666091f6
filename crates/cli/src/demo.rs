//! `tidepool demo`: the protocol's life cycle, step by step, with a table after each step.

use alloy_primitives::{keccak256, Address, U256};
use anyhow::{bail, ensure, Context, Result};
use tidepool_deploy::{
    deploy_protocol, invariants,
    report::{self, Observation},
    Client, DeployOptions, Deployment, PrivateKeySigner, ETHER,
};
use tidepool_interfaces::{IPool, IWithdrawalQueue};
use tidepool_node::node::{Node, NodeConfig};

use crate::{build, keys::SignerArgs, show, up::dev_signers, workspace::Workspace};

/// Arguments of `tidepool demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run against this chain (it needs the anvil-style `evm_increaseTime` to move between
    /// oracle frames) instead of an embedded node; the key must hold about 50 ETH.
    #[arg(long, value_name = "URL")]
    pub rpc: Option<String>,
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
    module: Address,
    committee: Vec<PrivateKeySigner>,
}

/// Runs the demo on `--rpc` or on a node started here.
pub fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    if args.rpc.is_none() && !args.skip_build {
        build::run(&build::Args::default())?;
    }
    let (node, url, deployer) = match &args.rpc {
        Some(url) => (None, url.clone(), args.signer.load()?),
        None => {
            let node = Node::spawn(NodeConfig::ephemeral()).context("starting the local node")?;
            let key = dev_signers(&node)?.swap_remove(0);
            let url = node.url();
            (Some(node), url, key)
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let result = runtime.block_on(story(&url, deployer, &ws.root.join("target/wasm")));
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

/// Signs a report for the current frame with the first three committee keys and submits it.
async fn report(client: &Client, d: &Deployment, c: &Cast, seen: Observation) -> Result<()> {
    let prepared = report::prepare(client, d, &seen).await?;
    let keys: Vec<_> = c.committee.iter().take(3).collect();
    let signatures = report::sign(&prepared.data, d.chain_id, d.contracts.oracle.address, &keys)?;
    println!(
        "   frame ref slot {}: {} validators, {} gwei on the consensus layer, {} ETH of \
         execution-layer rewards, {} request batch(es) to finalize{}",
        prepared.data.refSlot,
        seen.cl_validators,
        seen.cl_balance_gwei,
        show::ether(prepared.data.elRewardsVaultBalance, 6),
        prepared.data.withdrawalFinalizationBatches.len(),
        if seen.bunker { ", bunker mode" } else { "" }
    );
    println!("   signed by 3 of the 5 committee members; relayed by the deployer");
    let receipt = report::submit(client, d, c.deployer, prepared.data, signatures).await?;
    println!(
        "   accepted in block {}, {} gas",
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used
    );
    Ok(())
}

async fn story(url: &str, deployer: PrivateKeySigner, artifacts: &std::path::Path) -> Result<()> {
    let (alice, bob, carol) = (demo_key("alice")?, demo_key("bob")?, demo_key("carol")?);
    let committee: Vec<_> =
        (1..=5).map(|i| demo_key(&format!("committee member {i}"))).collect::<Result<_>>()?;
    let cast = Cast {
        deployer: deployer.address(),
        alice: alice.address(),
        bob: bob.address(),
        carol: carol.address(),
        treasury: demo_key("treasury")?.address(),
        module: demo_key("staking module")?.address(),
        committee,
    };
    let c = &cast;
    let client = Client::connect(url, [deployer, alice, bob, carol]).await?;
    println!("Tidepool demo on chain {} at {url}", client.chain_id());

    step(1, "Deploy: 12 programs placed, activated, initialised and wired");
    let options = DeployOptions {
        artifacts: artifacts.to_owned(),
        treasury: Some(c.treasury),
        staking_module: Some(c.module),
        members: c.committee.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        ..DeployOptions::default()
    };
    let d =
        deploy_protocol(&client, c.deployer, &options, &mut |line| println!("   {line}")).await?;
    let pool = d.contracts.pool.address;
    let queue = d.contracts.withdrawal_queue.address;
    for (to, amount) in [(c.alice, milli(5_050)), (c.bob, milli(50)), (c.carol, milli(2_050))] {
        client.transfer(c.deployer, to, amount, Default::default()).await?;
    }
    let people = [("Alice", c.alice), ("Bob", c.bob), ("Carol", c.carol), ("treasury", c.treasury)];
    table(&client, &d, &people).await?;

    step(2, "Alice stakes 5 ETH (an EIP-1559 transaction signed in her wallet, sent raw)");
    let receipt =
        client.send(c.alice, pool, IPool::submitCall { referral: Address::ZERO }, ether(5)).await?;
    println!(
        "   submit(): block {}, {} gas",
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used
    );
    table(&client, &d, &people).await?;

    step(3, "Others stake 40 ETH; 32 ETH go to a new validator");
    client.send(c.deployer, pool, IPool::submitCall { referral: Address::ZERO }, ether(40)).await?;
    client
        .send(c.deployer, pool, IPool::depositCall { validators: U256::from(1u8) }, U256::ZERO)
        .await?;
    let buffered = client.view(pool, IPool::getBufferedEtherCall {}).await?;
    println!(
        "   buffered: {} ETH; 1 validator pending on the beacon chain",
        show::ether(buffered, 6)
    );

    step(4, "A day of rewards: the committee reports (3 of 5 signatures)");
    // About 3.2% a year on 32 ETH for one day, plus 0.01 ETH of priority fees and MEV.
    client
        .transfer(c.deployer, d.contracts.rewards_vault.address, milli(10), Default::default())
        .await?;
    let day_one_gwei = 32_000_000_000 + 2_805_479;
    report(
        &client,
        &d,
        c,
        Observation {
            cl_validators: 1,
            cl_balance_gwei: day_one_gwei,
            finalize: true,
            ..Default::default()
        },
    )
    .await?;
    table(&client, &d, &people).await?;
    println!(
        "   balances rebased: Alice earned without a transaction; the fee went to the treasury"
    );

    step(5, "Alice sends 2 tpETH to Bob");
    client
        .send(c.alice, pool, IPool::transferCall { to: c.bob, amount: ether(2) }, U256::ZERO)
        .await?;
    table(&client, &d, &people).await?;

    step(6, "Bob asks to withdraw 2 tpETH: ticket #1, an ERC-721");
    client
        .send(c.bob, pool, IPool::approveCall { spender: queue, amount: ether(2) }, U256::ZERO)
        .await?;
    let request =
        IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![ether(2)], owner: c.bob };
    client.send(c.bob, queue, request, U256::ZERO).await?;
    let ids =
        client.view(queue, IWithdrawalQueue::getWithdrawalRequestsCall { owner: c.bob }).await?;
    ensure!(ids == vec![U256::from(1u8)], "Bob's tickets are {ids:?}, not [1]");
    println!("   ticket #1 owned by Bob; his tokens are locked in the queue");
    table(&client, &d, &people).await?;

    step(7, "Bob sells ticket #1 to Carol for 1.99 ETH");
    client.transfer(c.carol, c.bob, milli(1_990), Default::default()).await?;
    let transfer =
        IWithdrawalQueue::transferFromCall { from: c.bob, to: c.carol, token_id: U256::from(1u8) };
    client.send(c.bob, queue, transfer, U256::ZERO).await?;
    let owner =
        client.view(queue, IWithdrawalQueue::ownerOfCall { token_id: U256::from(1u8) }).await?;
    ensure!(owner == c.carol, "ticket #1 belongs to {owner}");
    println!("   ticket #1 now owned by Carol");

    step(8, "A day later the validator is slashed: 0.5 ETH lost; bunker mode");
    client
        .increase_time(
            d.oracle.seconds_per_slot * d.oracle.slots_per_epoch * d.oracle.epochs_per_frame,
        )
        .await
        .context("moving to the next oracle frame needs evm_increaseTime")?;
    let rate_before =
        client.view(pool, IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await?;
    report(
        &client,
        &d,
        c,
        Observation {
            cl_validators: 1,
            cl_balance_gwei: day_one_gwei - 500_000_000,
            bunker: true,
            finalize: true,
            ..Default::default()
        },
    )
    .await?;
    let rate_after =
        client.view(pool, IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await?;
    ensure!(rate_after < rate_before, "the slashing did not lower the rate");
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
    println!(
        "   1 share: {} -> {} ETH; ticket #1 (2 tpETH asked) finalized at the lower rate: {} ETH",
        show::ether(rate_before, 9),
        show::ether(rate_after, 9),
        show::ether(claimable, 6)
    );
    table(&client, &d, &people).await?;

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
