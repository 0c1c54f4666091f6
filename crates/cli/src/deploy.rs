//! `tidepool deploy`: the whole protocol onto any Stylus chain.

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use anyhow::{Context, Result};
use tidepool_deploy::{deploy_and_record, BeaconConfig, Client, DeployOptions};

use crate::{keys::SignerArgs, show, workspace::Workspace};

/// Which beacon chain the oracle's frames follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Beacon {
    /// A development beacon chain timed from the chain's clock: frame 1 has just begun, so
    /// a first report can be made at once.
    Dev,
    /// Ethereum mainnet's beacon chain (genesis 1606824023, 12 s slots, 32-slot epochs).
    Mainnet,
}

/// Arguments of `tidepool deploy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON-RPC URL of the chain (a Nitro node, the local node, ...).
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Final holder of every admin role (default: the deployer). The deployer hands its
    /// roles over and keeps none.
    #[arg(long, value_name = "ADDRESS")]
    pub admin: Option<Address>,
    /// Receives the treasury's part of the fee (default: the admin).
    #[arg(long, value_name = "ADDRESS")]
    pub treasury: Option<Address>,
    /// Use an outside staking module instead of deploying the protocol's own module and
    /// deposit guard (it receives the deposits and the module's fee).
    #[arg(long, value_name = "ADDRESS")]
    pub staking_module: Option<Address>,
    /// With --staking-module: gets the pool's DEPOSIT_ROLE (default: the admin). The
    /// protocol's own module gives it to its deposit guard.
    #[arg(long, value_name = "ADDRESS", requires = "staking_module")]
    pub depositor: Option<Address>,
    /// The beacon deposit contract (Ethereum's is 0x00000000219ab540356cBB839Cbe05303d7705Fa);
    /// default: deploy the local one (contracts/beacon-deposit).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "staking_module")]
    pub deposit_contract: Option<Address>,
    /// A deposit guardian (repeat for each); default: the committee members.
    #[arg(long = "guardian", value_name = "ADDRESS", conflicts_with = "staking_module")]
    pub guardians: Vec<Address>,
    /// Guardian signatures a deposit needs (default: a simple majority of the guardians).
    #[arg(long, conflicts_with = "staking_module")]
    pub guardian_quorum: Option<u64>,
    /// Withdrawal credentials 0x02 (compounding validators, EIP-7251) instead of 0x01.
    #[arg(long, conflicts_with = "staking_module")]
    pub compounding: bool,
    /// An oracle committee member (repeat for each).
    #[arg(long = "member", value_name = "ADDRESS")]
    pub members: Vec<Address>,
    /// Signatures a report needs (default: a simple majority of the members).
    #[arg(long)]
    pub quorum: Option<u64>,
    /// The beacon chain the oracle's frames follow.
    #[arg(long, value_enum, default_value = "dev")]
    pub beacon: Beacon,
    /// Frame length in epochs (225 = one day).
    #[arg(long, default_value_t = 225)]
    pub epochs_per_frame: u64,
    /// Wei the pool locks at 0x…dEaD when initialised.
    #[arg(long, default_value = "10000000000000000")]
    pub initial_stake_wei: U256,
    /// Where `tidepool build` wrote the code (default: target/wasm).
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Where the record goes (default: deployments/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Deploy even if the record names a live deployment (the record is replaced).
    #[arg(long)]
    pub force: bool,
}

/// Deploys and prints the result.
pub fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    let signer = args.signer.load()?;
    let deployer = signer.address();
    let options = DeployOptions {
        artifacts: args.artifacts.clone().unwrap_or_else(|| ws.root.join("target/wasm")),
        admin: args.admin,
        treasury: args.treasury,
        staking_module: args.staking_module,
        depositor: args.depositor,
        deposit_contract: args.deposit_contract,
        guardians: (!args.guardians.is_empty()).then(|| args.guardians.clone()),
        guardian_quorum: args.guardian_quorum,
        compounding: args.compounding,
        members: args.members.clone(),
        quorum: args.quorum,
        initial_stake: args.initial_stake_wei,
        beacon: BeaconConfig {
            epochs_per_frame: args.epochs_per_frame,
            ..match args.beacon {
                Beacon::Dev => BeaconConfig::DEV,
                Beacon::Mainnet => BeaconConfig::MAINNET,
            }
        },
        ..DeployOptions::default()
    };
    let dir = args.out.clone().unwrap_or_else(|| ws.root.join("deployments"));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = Client::connect(&args.rpc, [signer]).await?;
        eprintln!("deploying from {deployer} to chain {} at {}", client.chain_id(), args.rpc);
        if options.members.is_empty() {
            eprintln!(
                "note: no --member given; reports are halted until the admin seats a committee"
            );
        }
        let (deployment, path) =
            deploy_and_record(&client, deployer, &options, &dir, args.force, &mut |line| {
                eprintln!("  {line}")
            })
            .await?;
        println!(
            "deployed on chain {} at block {}; recorded in {}",
            deployment.chain_id,
            deployment.block,
            path.display()
        );
        print!("{}", show::contracts(&deployment));
        println!("try:\n{}", show::cast_lines(&deployment, &args.rpc, None));
        Ok(())
    })
}
