//! `tidepool oracle run` and `tidepool oracle preflight`: the committee member's daemon and its
//! checks, configured by a TOML file and flags (flags win).

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tidepool_committee::daemon::{
    self,
    preflight::{self, Outcome},
    Config,
};
use tidepool_deploy::{Client, Deployment};

use crate::{keys::SignerArgs, oracle::BunkerArg, workspace::Workspace};

/// The config file (`--config`): every key optional, flags override.
///
/// ```toml
/// rpc = ["http://127.0.0.1:8547", "http://fallback:8547"]
/// beacon = ["http://127.0.0.1:5052"]
/// deployment = "deployments/412346.json"
/// keystore = "member.json"
/// password_file = "member.password"
/// listen = "0.0.0.0:9101"
/// peers = ["http://member-b:9101", "http://member-c:9101"]
/// data_dir = "oracle-data"
/// submit = true
/// poll_seconds = 12
/// fallback_seconds = 60
/// bunker = "auto"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    rpc: Option<Vec<String>>,
    beacon: Option<Vec<String>>,
    deployment: Option<PathBuf>,
    keystore: Option<PathBuf>,
    password_file: Option<PathBuf>,
    listen: Option<SocketAddr>,
    peers: Option<Vec<String>>,
    data_dir: Option<PathBuf>,
    submit: Option<bool>,
    relay: Option<bool>,
    poll_seconds: Option<u64>,
    fallback_seconds: Option<u64>,
    bunker: Option<String>,
}

/// Arguments of `tidepool oracle run` and `preflight`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// A TOML config file (see the README's committee page); flags override its keys.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// JSON-RPC endpoint (repeat for fallbacks, tried in order).
    #[arg(long, value_name = "URL")]
    pub rpc: Vec<String>,
    /// Beacon node REST API or saved-response directory (repeat for fallbacks).
    #[arg(long, value_name = "URL|DIR")]
    pub beacon: Vec<String>,
    /// The deployment record (default: deployments/<chain-id>.json).
    #[arg(long, value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Where to serve signatures, /metrics and /health [default: 127.0.0.1:9101].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Another member's daemon, http://host:port (repeat).
    #[arg(long = "peer", value_name = "URL")]
    pub peers: Vec<String>,
    /// Where signed frames are recorded [default: oracle-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Send transactions (without it: dry run, say what would be sent).
    #[arg(long)]
    pub submit: bool,
    /// Relay: gather signatures and submit with this key, never sign.
    #[arg(long)]
    pub relay: bool,
    /// Seconds between cycles [default: 12].
    #[arg(long, value_name = "SECONDS")]
    pub poll: Option<u64>,
    /// Seconds each member waits after the previous one in the frame's rotation [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub fallback: Option<u64>,
    /// Bunker mode [default: auto].
    #[arg(long, value_enum)]
    pub bunker: Option<BunkerArg>,
}

impl RunArgs {
    /// The daemon's config: the file's keys, overridden by flags, with the defaults.
    async fn resolve(&self) -> Result<Config> {
        let file: FileConfig = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("{} is not a valid config", p.display()))?
            }
            None => FileConfig::default(),
        };
        let pick = |flag: &[String], file: Option<Vec<String>>| {
            if flag.is_empty() {
                file.unwrap_or_default()
            } else {
                flag.to_vec()
            }
        };
        let rpc = pick(&self.rpc, file.rpc);
        let beacon = pick(&self.beacon, file.beacon);
        let peers = pick(&self.peers, file.peers);
        if rpc.is_empty() || beacon.is_empty() {
            bail!("give at least one --rpc and one --beacon (or `rpc` and `beacon` in the config file)");
        }
        let mut signer = self.signer.clone();
        if signer.private_key.is_none() && signer.keystore.is_none() {
            signer.keystore = file.keystore;
            signer.password_file = signer.password_file.or(file.password_file);
        }
        let key = signer.load()?;
        let client = Client::connect(&rpc[0], Vec::new())
            .await
            .with_context(|| format!("the node at {} is unreachable", rpc[0]))?;
        let path = match self.deployment.clone().or(file.deployment) {
            Some(p) => p,
            None => {
                Deployment::path(&Workspace::load()?.root.join("deployments"), client.chain_id())
            }
        };
        let deployment = Deployment::load(&path)?;
        let bunker = match (self.bunker, file.bunker.as_deref()) {
            (Some(b), _) => b,
            (None, None | Some("auto")) => BunkerArg::Auto,
            (None, Some("on")) => BunkerArg::On,
            (None, Some("off")) => BunkerArg::Off,
            (None, Some(other)) => bail!("bunker = {other:?}: use auto, on or off"),
        };
        Ok(Config {
            rpc,
            beacon,
            deployment,
            key,
            relay: self.relay || file.relay.unwrap_or(false),
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9101))),
            peers,
            data_dir: self
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("oracle-data")),
            submit: self.submit || file.submit.unwrap_or(false),
            poll: Duration::from_secs(self.poll.or(file.poll_seconds).unwrap_or(12).max(1)),
            fallback: Duration::from_secs(self.fallback.or(file.fallback_seconds).unwrap_or(60)),
            bunker: bunker.into(),
        })
    }
}

/// A log line on stderr with the time.
pub fn stderr_log() -> daemon::Log {
    Arc::new(|line: &str| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        eprintln!("{h:02}:{m:02}:{s:02} {line}");
    })
}

/// Runs the daemon until Ctrl-C.
pub async fn run(args: &RunArgs) -> Result<()> {
    let config = args.resolve().await?;
    let handle = daemon::spawn(config, stderr_log()).await?;
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    handle.stop().await;
    Ok(())
}

/// Prints each check; fails if any failed.
pub async fn preflight(args: &RunArgs) -> Result<()> {
    let config = args.resolve().await?;
    let checks = preflight::run(&config).await;
    let mut failed = 0;
    for c in &checks {
        let mark = match c.outcome {
            Outcome::Pass => "ok  ",
            Outcome::Warn => "warn",
            Outcome::Fail => {
                failed += 1;
                "FAIL"
            }
        };
        println!("{mark} {:<40} {}", c.what, c.detail);
    }
    if failed > 0 {
        bail!("{failed} check(s) failed: the daemon would not work");
    }
    println!("ready: `tidepool oracle run` with the same settings");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_takes_every_documented_key_and_refuses_unknown_ones() {
        let text = include_str!("oracle_run.rs")
            .split("/// ```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("/// ```\n").next())
            .expect("the documented example")
            .lines()
            .map(|l| l.trim_start_matches("///").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let parsed: FileConfig = toml::from_str(&text).expect("the documented example parses");
        assert_eq!(parsed.peers.as_ref().map(Vec::len), Some(2));
        assert_eq!(parsed.fallback_seconds, Some(60));
        assert!(
            toml::from_str::<FileConfig>("rcp = [\"http://x\"]").is_err(),
            "a typo is an error"
        );
    }
}
