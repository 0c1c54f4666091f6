//! `tidepool oracle`: what a committee member runs each frame.

use std::path::PathBuf;

use alloy_primitives::Address;
use anyhow::{Context, Result};
use tidepool_committee::{
    beacon::BeaconSource,
    exits,
    report::{self, Bunker, ReportFile, SignatureFile},
};
use tidepool_deploy::{Client, Deployment};

use crate::{keys::SignerArgs, workspace::Workspace};

/// Arguments of `tidepool oracle`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the chain and the deployment are.
#[derive(Debug, Clone, clap::Args)]
pub struct ChainArgs {
    /// JSON-RPC URL of the chain the oracle lives on.
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// The deployment record (default: deployments/<chain-id>.json).
    #[arg(long, value_name = "FILE")]
    pub deployment: Option<PathBuf>,
}

/// `tidepool oracle` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The running frame, its deadline, the last processed slot, the committee and limits.
    Status(ChainArgs),
    /// Build, sign or submit a report.
    #[command(subcommand)]
    Report(ReportCommand),
    /// The member's daemon: each frame build, sign, exchange signatures with the other
    /// members' daemons and (with --submit, in the frame's rotation) submit; serves /metrics
    /// and /health.
    Run(crate::oracle_run::RunArgs),
    /// Check the daemon's settings: key, membership, endpoints, chain id, beacon genesis,
    /// store, peers, balance.
    Preflight(crate::oracle_run::RunArgs),
}

/// `tidepool oracle report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Build the running frame's report from the beacon chain and the chain's state; write
    /// it with its EIP-712 digest.
    Build {
        #[command(flatten)]
        chain: ChainArgs,
        /// A beacon node's REST API (http://…) or a directory of saved responses
        /// (genesis.json, headers_finalized.json, validators_<slot>.json).
        #[arg(long, value_name = "URL|DIR")]
        beacon: String,
        /// Bunker mode: auto (on after a consensus-layer loss), on or off.
        #[arg(long, value_enum, default_value = "auto")]
        bunker: BunkerArg,
        /// Where to write the report.
        #[arg(long, value_name = "FILE", default_value = "report.json")]
        out: PathBuf,
    },
    /// Build the running frame's exit report: which validators to ask to exit so the
    /// withdrawal queue is paid (oldest deposits first, spread across operators, at most 100),
    /// and each operator's exited validators; write it with its EIP-712 digest. `sign` and
    /// `submit` take it as they take an accounting report.
    BuildExits {
        #[command(flatten)]
        chain: ChainArgs,
        /// A beacon node's REST API (http://…) or a directory of saved responses.
        #[arg(long, value_name = "URL|DIR")]
        beacon: String,
        /// Where to write the exit report.
        #[arg(long, value_name = "FILE", default_value = "exits.json")]
        out: PathBuf,
    },
    /// Sign a report's digest (refused unless its frame is running).
    Sign {
        #[command(flatten)]
        chain: ChainArgs,
        /// The report `build` wrote.
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        #[command(flatten)]
        signer: SignerArgs,
        /// Where to write the signature (default: signature-<address>.json).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check signature files against the report and the committee, order them and submit
    /// once a quorum has signed.
    Submit {
        #[command(flatten)]
        chain: ChainArgs,
        /// The report.
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        /// A member's signature file (repeat for each).
        #[arg(long = "signature", value_name = "FILE", required = true)]
        signatures: Vec<PathBuf>,
        /// The account that pays for the transaction (anyone may).
        #[command(flatten)]
        signer: SignerArgs,
    },
}

/// A report file of either kind: `sign` and `submit` take both.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum AnyReport {
    /// What `report build` writes.
    Accounting(Box<ReportFile>),
    /// What `report build-exits` writes.
    Exits(Box<exits::ExitReportFile>),
}

/// `--bunker` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BunkerArg {
    /// On after a consensus-layer loss over the frame.
    Auto,
    /// Declared on.
    On,
    /// Declared off.
    Off,
}

impl From<BunkerArg> for Bunker {
    fn from(b: BunkerArg) -> Self {
        match b {
            BunkerArg::Auto => Bunker::Auto,
            BunkerArg::On => Bunker::On,
            BunkerArg::Off => Bunker::Off,
        }
    }
}

pub(crate) async fn connect(
    chain: &ChainArgs,
    signers: Vec<tidepool_deploy::PrivateKeySigner>,
) -> Result<(Client, Deployment)> {
    let client = Client::connect(&chain.rpc, signers)
        .await
        .with_context(|| format!("the node at {} is unreachable", chain.rpc))?;
    let path = match &chain.deployment {
        Some(p) => p.clone(),
        None => Deployment::path(&Workspace::load()?.root.join("deployments"), client.chain_id()),
    };
    let d = Deployment::load(&path)?;
    anyhow::ensure!(
        d.chain_id == client.chain_id(),
        "{} records chain {}, the node is chain {}",
        path.display(),
        d.chain_id,
        client.chain_id()
    );
    Ok((client, d))
}

/// Runs an oracle subcommand.
pub fn run(args: &Args) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        match &args.command {
            Command::Status(chain) => status(chain).await,
            Command::Run(args) => crate::oracle_run::run(args).await,
            Command::Preflight(args) => crate::oracle_run::preflight(args).await,
            Command::Report(ReportCommand::Build { chain, beacon, bunker, out }) => {
                let (client, d) = connect(chain, Vec::new()).await?;
                let source = BeaconSource::parse(beacon);
                let mut progress = |n: u64| eprint!("\r  read {n} validators");
                let file =
                    report::build(&client, &d, &source, (*bunker).into(), &mut progress).await?;
                eprintln!();
                report::write_json(out, &file)?;
                let data = &file.data;
                println!(
                    "report for reference slot {} (deadline slot {})",
                    data.refSlot, file.deadline_slot
                );
                println!(
                    "  validators: {} of {} scanned, {} gwei",
                    data.numValidators, file.validators_scanned, data.clBalanceGwei
                );
                if file.foreign_validators > 0 {
                    println!(
                        "  left out: {} validators with the vault's credentials that the staking module did not deposit",
                        file.foreign_validators
                    );
                }
                println!(
                    "  vaults: withdrawal {} wei, rewards {} wei",
                    data.withdrawalVaultBalance, data.elRewardsVaultBalance
                );
                println!(
                    "  finalization batches: {:?}; simulated share rate {}; bunker {}",
                    data.withdrawalFinalizationBatches, data.simulatedShareRate, data.isBunkerMode
                );
                println!("  state read at block {}", file.state_block);
                println!("digest {}\nwritten to {}", file.digest, out.display());
                Ok(())
            }
            Command::Report(ReportCommand::BuildExits { chain, beacon, out }) => {
                let (client, d) = connect(chain, Vec::new()).await?;
                let source = BeaconSource::parse(beacon);
                let mut progress = |n: u64| eprint!("\r  read {n} validators");
                let file = exits::build(&client, &d, &source, &mut progress).await?;
                eprintln!();
                report::write_json(out, &file)?;
                let entries = |b: &[u8]| tidepool_interfaces::exit_report::entries(b);
                println!("exit report for reference slot {}", file.data.refSlot);
                println!(
                    "  queue short by {} wei after {} wei expected; {} validators deferred",
                    file.shortfall, file.expected, file.deferred
                );
                println!("  exit requests (operator, count): {:?}", entries(&file.data.exitRequests));
                println!("  exited (operator, total): {:?}", entries(&file.data.exitedCounts));
                println!("digest {}\nwritten to {}", file.digest, out.display());
                Ok(())
            }
            Command::Report(ReportCommand::Sign { chain, report: path, signer, out }) => {
                let key = signer.load()?;
                let (client, d) = connect(chain, Vec::new()).await?;
                let file: AnyReport = report::read_json(path)?;
                let signature = match &file {
                    AnyReport::Accounting(f) => report::sign(&client, &d, &**f, &key).await?,
                    AnyReport::Exits(f) => report::sign(&client, &d, &**f, &key).await?,
                };
                let out = out
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(format!("signature-{}.json", key.address())));
                report::write_json(&out, &signature)?;
                println!(
                    "{} signed {} (reference slot {}); written to {}",
                    key.address(),
                    signature.digest,
                    signature.ref_slot,
                    out.display()
                );
                Ok(())
            }
            Command::Report(ReportCommand::Submit { chain, report: path, signatures, signer }) => {
                let key = signer.load()?;
                let from: Address = key.address();
                let (client, d) = connect(chain, vec![key]).await?;
                let file: AnyReport = report::read_json(path)?;
                let mut files = Vec::new();
                for p in signatures {
                    let s: SignatureFile = report::read_json(p)?;
                    files.push((p.display().to_string(), s));
                }
                let (receipt, what, ref_slot) = match &file {
                    AnyReport::Accounting(f) => {
                        (report::submit(&client, &d, f, &files, from).await?, "report", f.data.refSlot)
                    }
                    AnyReport::Exits(f) => {
                        (exits::submit(&client, &d, f, &files, from).await?, "exit report", f.data.refSlot)
                    }
                };
                println!(
                    "{what} for reference slot {} accepted in block {} ({} gas)",
                    ref_slot,
                    receipt.block_number.unwrap_or_default(),
                    receipt.gas_used
                );
                Ok(())
            }
        }
    })
}

async fn status(chain: &ChainArgs) -> Result<()> {
    let (client, d) = connect(chain, Vec::new()).await?;
    let s = report::status(&client, &d).await?;
    println!("oracle {} on chain {}", d.contracts.oracle.address, d.chain_id);
    println!(
        "  frame: reference slot {}, deadline slot {}, now slot {}",
        s.ref_slot, s.deadline_slot, s.current_slot
    );
    let processed = if s.last_processed == s.ref_slot {
        "this frame's report is in"
    } else {
        "this frame's report is due"
    };
    println!("  last processed reference slot: {} ({processed})", s.last_processed);
    println!("  committee: {} members, quorum {}", s.members.len(), s.quorum);
    for m in &s.members {
        println!("    {m}");
    }
    let l = &s.limits;
    println!("  limits: CL increase {} bp/year, CL decrease {} bp, {} validators/day, share-rate deviation {} bp, minimum interval {} s",
        l.annualBalanceIncreaseBPLimit, l.oneOffCLBalanceDecreaseBPLimit, l.appearedValidatorsPerDayLimit,
        l.simulatedShareRateDeviationBPLimit, l.minReportInterval);
    println!("  positive-rebase cap (the pool's): {} (1e9 = 100%)", s.max_positive_rebase);
    Ok(())
}
