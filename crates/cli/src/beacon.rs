//! `tidepool beacon`: the local node's simulated beacon chain, through its `tidepool_beacon*`
//! dev methods: its status and validators, and faults to inject (slash, offline, exit).

use alloy_provider::Provider;
use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use tidepool_beacon::GWEI_PER_ETH;
use tidepool_deploy::Client;
use tidepool_node::rpc::{BeaconStatus, BeaconValidator};

/// The local node's default URL (`tidepool up`, `tidepool-node`).
pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8547";

/// Arguments of `tidepool beacon`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON-RPC URL of the local node running the simulation (`--rpc`, as the other
    /// commands spell it, works too; the default is where `tidepool up` serves).
    #[arg(long, alias = "rpc", value_name = "URL", default_value = DEFAULT_RPC_URL, global = true)]
    pub rpc_url: String,
    #[command(subcommand)]
    pub command: Command,
}

/// `tidepool beacon` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The head slot, finality, validator counts by status and the totals.
    Status,
    /// Every validator: index, status, balance, flags and public key.
    Validators {
        /// Only validators with this status (`active_ongoing`, ...).
        #[arg(long)]
        status: Option<String>,
    },
    /// Slash a validator (initial penalty, forced exit).
    Slash {
        /// Index or 0x public key.
        validator: String,
    },
    /// Take a validator offline (it pays the inactivity penalty), or back online.
    Offline {
        /// Index or 0x public key.
        validator: String,
        /// Bring it back online instead.
        #[arg(long)]
        online: bool,
    },
    /// Request a validator's voluntary exit.
    Exit {
        /// Index or 0x public key.
        validator: String,
    },
}

/// A validator argument as the node takes it: a number for an index, else the text.
fn validator_param(text: &str) -> serde_json::Value {
    match text.parse::<u64>() {
        Ok(index) => index.into(),
        Err(_) => text.into(),
    }
}

/// Gwei as ETH with nine decimals.
fn eth(gwei: u64) -> String {
    format!("{}.{:09}", gwei / GWEI_PER_ETH, gwei % GWEI_PER_ETH)
}

async fn call<T: DeserializeOwned>(
    client: &Client,
    method: &'static str,
    params: serde_json::Value,
) -> Result<T> {
    // Read as JSON first: the provider's typed answers need bounds the node's types skip.
    let value: serde_json::Value = client
        .provider()
        .raw_request(method.into(), params)
        .await
        .with_context(|| method.to_owned())?;
    serde_json::from_value(value).with_context(|| format!("{method}'s answer"))
}

/// Runs `tidepool beacon`.
pub fn run(args: &Args) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = Client::connect(&args.rpc_url, Vec::new())
            .await
            .with_context(|| format!("the node at {} is unreachable", args.rpc_url))?;
        match &args.command {
            Command::Status => {
                let s: BeaconStatus =
                    call(&client, "tidepool_beaconStatus", serde_json::json!([])).await?;
                print!("{}", status_text(&s));
            }
            Command::Validators { status } => {
                let all: Vec<BeaconValidator> =
                    call(&client, "tidepool_beaconValidators", serde_json::json!([])).await?;
                print!("{}", validators_text(&all, status.as_deref()));
            }
            Command::Slash { validator } => {
                let params = serde_json::json!([validator_param(validator)]);
                let penalty: u64 = call(&client, "tidepool_beaconSlash", params).await?;
                println!("slashed {validator}: initial penalty {} ETH", eth(penalty));
            }
            Command::Offline { validator, online } => {
                let params = serde_json::json!([validator_param(validator), !online]);
                let index: u64 = call(&client, "tidepool_beaconSetOffline", params).await?;
                println!("validator {index} is {}", if *online { "online" } else { "offline" });
            }
            Command::Exit { validator } => {
                let params = serde_json::json!([validator_param(validator)]);
                let index: u64 = call(&client, "tidepool_beaconRequestExit", params).await?;
                println!("validator {index} is exiting");
            }
        }
        Ok(())
    })
}

fn status_text(s: &BeaconStatus) -> String {
    let mut out = format!(
        "deposit contract  {}\nfee recipient     {}\ngenesis time      {}\nhead slot         {} (epoch {}, finalized {})\nvalidators        {}\n",
        s.deposit_contract, s.fee_recipient, s.genesis_time, s.head_slot, s.epoch, s.finalized_epoch, s.validators
    );
    for (status, n) in &s.by_status {
        out += &format!("  {status:<20} {n}\n");
    }
    out += &format!(
        "balances          {} ETH\ndeposited         {} ETH (ignored: {} ETH)\nrewards           {} ETH\npenalties         {} ETH\nwithdrawn         {} ETH\nEL rewards        {} wei\n",
        eth(s.total_balance_gwei),
        eth(s.deposited_gwei),
        eth(s.ignored_gwei),
        eth(s.rewards_gwei),
        eth(s.penalties_gwei),
        eth(s.withdrawn_gwei),
        s.el_rewards_wei
    );
    out
}

fn validators_text(all: &[BeaconValidator], status: Option<&str>) -> String {
    let mut out = format!(
        "{:>6}  {:<20} {:>22}  {:<8} pubkey\n",
        "index", "status", "balance (ETH)", "flags"
    );
    for v in all.iter().filter(|v| status.is_none_or(|s| v.status == s)) {
        let flags = match (v.slashed, v.offline) {
            (true, true) => "slashed,offline",
            (true, false) => "slashed",
            (false, true) => "offline",
            (false, false) => "",
        };
        out += &format!(
            "{:>6}  {:<20} {:>22}  {:<8} {}\n",
            v.index,
            v.status,
            eth(v.balance_gwei),
            flags,
            v.pubkey
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `tidepool beacon`'s arguments alone.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn the_node_url_defaults_to_the_local_node_and_takes_both_spellings() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|c| c.args);
        let a = parse(&["beacon", "status"]).expect("parses");
        assert_eq!(a.rpc_url, DEFAULT_RPC_URL);
        let a =
            parse(&["beacon", "offline", "3", "--online", "--rpc", "http://x:1"]).expect("parses");
        assert_eq!(a.rpc_url, "http://x:1");
        assert!(
            matches!(a.command, Command::Offline { ref validator, online: true } if validator == "3")
        );
        let a = parse(&["beacon", "--rpc-url", "http://y:2", "exit", "0xab"]).expect("parses");
        assert!(matches!(a.command, Command::Exit { ref validator } if validator == "0xab"));
        assert!(parse(&["beacon", "slash"]).is_err(), "slash needs a validator");
    }

    #[test]
    fn amounts_and_ids_are_shown_and_sent_as_the_node_expects() {
        assert_eq!(eth(32 * GWEI_PER_ETH + 11_689), "32.000011689");
        assert_eq!(validator_param("7"), serde_json::json!(7));
        assert_eq!(validator_param("0xab"), serde_json::json!("0xab"));
    }

    #[test]
    fn validators_are_filtered_by_status() {
        let v = |index, status: &str| BeaconValidator {
            index,
            pubkey: Default::default(),
            withdrawal_credentials: Default::default(),
            status: status.into(),
            balance_gwei: 32 * GWEI_PER_ETH,
            effective_balance_gwei: 32 * GWEI_PER_ETH,
            slashed: index == 1,
            offline: false,
            activation_epoch: 5,
            exit_epoch: u64::MAX,
            withdrawable_epoch: u64::MAX,
        };
        let all = [v(0, "active_ongoing"), v(1, "active_slashed")];
        let text = validators_text(&all, Some("active_slashed"));
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("slashed"));
        assert_eq!(validators_text(&all, None).lines().count(), 3);
    }
}
