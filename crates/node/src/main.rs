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
