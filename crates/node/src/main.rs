//! `tidepool-node`: a local Stylus-capable Ethereum JSON-RPC node.

use std::{net::IpAddr, path::PathBuf, process::ExitCode};

use clap::Parser;
use tidepool_node::{
    chain::ChainConfig,
    node::{Node, NodeConfig},
};

/// A local Ethereum node whose EVM is revm and whose Stylus programs run in wasmi.
#[derive(Debug, Parser)]
#[command(name = "tidepool-node", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 8547)]
    port: u16,
    /// EIP-155 chain id.
    #[arg(long, default_value_t = 412_346)]
    chain_id: u64,
    /// Number of dev accounts from the test mnemonic.
    #[arg(long, default_value_t = 10)]
    accounts: usize,
    /// Balance of each dev account, in ETH.
    #[arg(long, default_value_t = 10_000)]
    balance: u64,
    /// Gas limit of every block.
    #[arg(long, default_value_t = 30_000_000)]
    gas_limit: u64,
    /// Base fee of the genesis block, in wei.
    #[arg(long, default_value_t = 1_000_000_000)]
    base_fee: u64,
    /// Load state from this file at startup.
    #[arg(long)]
    load_state: Option<PathBuf>,
    /// Write state to this file on shutdown (Ctrl-C).
    #[arg(long)]
    dump_state: Option<PathBuf>,
    /// Keep the state of only the last N blocks for calls and state queries at past blocks
    /// (by default every block's state is kept: each block stores only what it changed).
    #[arg(long, value_name = "N")]
    prune_history: Option<usize>,
    /// Apply the EIP-7623 calldata floor (Arbitrum leaves it off unless the chain owner
    /// enables it; so does this node by default).
    #[arg(long)]
    calldata_floor: bool,
    /// Load from and dump to the same file.
    #[arg(long, conflicts_with_all = ["load_state", "dump_state"])]
    state: Option<PathBuf>,
    #[command(flatten)]
    beacon: BeaconArgs,
}

/// The simulated beacon chain: on from the start with `--beacon-deposit-contract` (else
/// `tidepool_beaconConfigure` turns it on); its REST API with `--beacon-port`. Parameters
/// left out keep the simulation's defaults.
#[derive(Debug, clap::Args)]
struct BeaconArgs {
    /// Serve the beacon REST API on this port (0 picks a free one).
    #[arg(long)]
    beacon_port: Option<u16>,
    /// Deposit contract whose DepositEvents create validators (turns the simulation on).
    #[arg(long, value_name = "ADDRESS")]
    beacon_deposit_contract: Option<alloy_primitives::Address>,
    /// Where execution-layer rewards go.
    #[arg(long, value_name = "ADDRESS", default_value_t = alloy_primitives::Address::ZERO)]
    beacon_fee_recipient: alloy_primitives::Address,
    /// Seconds per slot.
    #[arg(long)]
    beacon_seconds_per_slot: Option<u64>,
    /// Slots per epoch.
    #[arg(long)]
    beacon_slots_per_epoch: Option<u64>,
    /// Epochs from reaching 32 ETH to activation.
    #[arg(long)]
    beacon_activation_delay: Option<u64>,
    /// Epochs from an exit request to the exit.
    #[arg(long)]
    beacon_exit_delay: Option<u64>,
    /// Epochs from the exit to withdrawability.
    #[arg(long)]
    beacon_withdrawable_delay: Option<u64>,
    /// Consensus-layer APR in basis points (300 = 3%).
    #[arg(long)]
    beacon_apr_bps: Option<u64>,
    /// Sweep balances above the maximum effective balance every N epochs.
    #[arg(long)]
    beacon_sweep_every: Option<u64>,
    /// Execution-layer reward per slot with an online proposer, in wei.
    #[arg(long)]
    beacon_el_reward_wei: Option<alloy_primitives::U256>,
    /// Inactivity penalty per offline epoch, in gwei.
    #[arg(long)]
    beacon_inactivity_penalty_gwei: Option<u64>,
    /// Past epochs kept for beacon queries at a past slot.
    #[arg(long)]
    beacon_history_epochs: Option<u64>,
}

impl BeaconArgs {
    fn settings(&self) -> Option<tidepool_node::chain::BeaconSettings> {
        let params = tidepool_node::rpc::BeaconConfigureParams {
            deposit_contract: self.beacon_deposit_contract?,
            fee_recipient: self.beacon_fee_recipient,
            genesis_time: None,
            seconds_per_slot: self.beacon_seconds_per_slot,
            slots_per_epoch: self.beacon_slots_per_epoch,
            activation_delay_epochs: self.beacon_activation_delay,
            exit_delay_epochs: self.beacon_exit_delay,
            withdrawable_delay_epochs: self.beacon_withdrawable_delay,
            apr_bps: self.beacon_apr_bps,
            sweep_every_epochs: self.beacon_sweep_every,
            el_reward_wei_per_slot: self.beacon_el_reward_wei,
            inactivity_penalty_gwei: self.beacon_inactivity_penalty_gwei,
            history_epochs: self.beacon_history_epochs,
        };
        Some(params.settings(tidepool_beacon_sim::BeaconConfig::default()))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let wei = alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18u64));
    let (load_state, dump_state) = match &args.state {
        Some(p) => (p.exists().then(|| p.clone()), Some(p.clone())),
        None => (args.load_state.clone(), args.dump_state.clone()),
    };
    let config = NodeConfig {
        host: args.host,
        port: args.port,
        chain: ChainConfig {
            chain_id: args.chain_id,
            block_gas_limit: args.gas_limit,
            initial_base_fee: args.base_fee,
            dev_accounts: args.accounts,
            dev_balance: alloy_primitives::U256::from(args.balance) * wei,
            state_history: args.prune_history,
            calldata_floor: args.calldata_floor,
            ..ChainConfig::default()
        },
        load_state,
        dump_state,
        beacon: args.beacon.settings(),
        beacon_port: args.beacon.beacon_port,
    };
    let handle = match Node::spawn(config) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("tidepool-node: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let chain = handle.chain().lock();
        println!("tidepool-node {}", env!("CARGO_PKG_VERSION"));
        println!("Chain ID: {}", chain.config().chain_id);
        println!("\nAvailable accounts ({} ETH each):", args.balance);
        for (i, s) in chain.signers().iter().enumerate() {
            println!("({i}) {}", s.address());
        }
        println!("\nPrivate keys:");
        for (i, s) in chain.signers().iter().enumerate() {
            println!("({i}) 0x{}", alloy_primitives::hex::encode(s.to_bytes()));
        }
    }
    println!("\nListening on {}", handle.addr());
    if let Some(url) = handle.beacon_url() {
        println!("Beacon API on {url}");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tidepool-node: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    println!("\nShutting down");
    match handle.stop() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidepool-node: {e}");
            ExitCode::FAILURE
        }
    }
}
