//! `tidepool oracle preflight`: what a member checks before starting the daemon (and what
//! the daemon itself would otherwise only discover frame by frame): the key, membership,
//! every endpoint's chain id and genesis, the store, the peers and the gas money.

use alloy_primitives::U256;
use tidepool_deploy::{report as reports, Client};
use tidepool_interfaces::IOracle;

use super::{store::SignedFrames, Config};
use crate::beacon::BeaconSource;

/// Below this balance (0.05 ETH) the submitter is warned: a report costs well under 0.01 ETH
/// at L2 prices, so this is a few frames' margin.
pub const LOW_BALANCE_WEI: u64 = 50_000_000_000_000_000;

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Fine.
    Pass,
    /// Works, but needs attention.
    Warn,
    /// The daemon would not work.
    Fail,
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

fn check(what: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Check {
    Check { what: what.into(), outcome, detail: detail.into() }
}

/// Runs every check; the first usable RPC endpoint serves the on-chain ones.
pub async fn run(config: &Config) -> Vec<Check> {
    let d = &config.deployment;
    let oracle = d.contracts.oracle.address;
    let me = config.key.address();
    let mut out = vec![check(
        "key",
        Outcome::Pass,
        format!("{me} ({})", if config.relay { "relay: pays, never signs" } else { "member key" }),
    )];
    let mut client: Option<Client> = None;
    for url in &config.rpc {
        match Client::connect(url, Vec::new()).await {
            Ok(c) if c.chain_id() == d.chain_id => {
                let detail = match c.latest_block().await {
                    Ok((n, t)) => format!("chain {}, block {n} at {t}", c.chain_id()),
                    Err(e) => format!("chain {}, but no block: {e}", c.chain_id()),
                };
                out.push(check(format!("rpc {url}"), Outcome::Pass, detail));
                client.get_or_insert(c);
            }
            Ok(c) => out.push(check(
                format!("rpc {url}"),
                Outcome::Fail,
                format!("chain {}, the deployment is on chain {}", c.chain_id(), d.chain_id),
            )),
            Err(e) => out.push(check(format!("rpc {url}"), Outcome::Fail, e.to_string())),
        }
    }
    let Some(client) = client else {
        out.push(check("chain", Outcome::Fail, "no RPC endpoint serves the deployment's chain"));
        return out;
    };
    let genesis = match reports::chain_config(&client, oracle).await {
        Ok(chain) => {
            out.push(check(
                "oracle",
                Outcome::Pass,
                format!(
                    "{oracle}: genesis {}, {} s slots, {} slots per epoch",
                    chain.genesis_time, chain.seconds_per_slot, chain.slots_per_epoch
                ),
            ));
            Some(chain.genesis_time)
        }
        Err(e) => {
            out.push(check("oracle", Outcome::Fail, format!("{oracle} does not answer: {e}")));
            None
        }
    };
    let committee = async {
        let members = client.view(oracle, IOracle::getMembersCall {}).await?;
        let quorum = client.view(oracle, IOracle::getQuorumCall {}).await?;
        Ok::<_, tidepool_deploy::Error>((members, quorum))
    };
    let membership = match (config.relay, committee.await) {
        (true, _) => check("membership", Outcome::Pass, "relay: membership not needed"),
        (false, Err(e)) => {
            check("membership", Outcome::Fail, format!("the committee is unreadable: {e}"))
        }
        (false, Ok((members, quorum))) if members.contains(&me) => check(
            "membership",
            Outcome::Pass,
            format!("{me} is one of {} members (quorum {quorum})", members.len()),
        ),
        (false, Ok((members, _))) => check(
            "membership",
            Outcome::Fail,
            format!("{me} is not a member of the committee ({} members)", members.len()),
        ),
    };
    out.push(membership);
    for b in &config.beacon {
        let source = BeaconSource::parse(b);
        let what = format!("beacon {b}");
        match (source.genesis_time().await, genesis) {
            (Ok(g), Some(o)) if g == o => {
                let finalized = match source.finalized_slot().await {
                    Ok(Some(s)) => format!("finalized slot {s}"),
                    Ok(None) => "no finalized header (a directory)".into(),
                    Err(e) => format!("finalized header unreadable: {e}"),
                };
                out.push(check(what, Outcome::Pass, format!("genesis {g}, {finalized}")));
            }
            (Ok(g), Some(o)) => out.push(check(
                what,
                Outcome::Fail,
                format!("genesis {g}, the oracle's is {o}: another beacon chain"),
            )),
            (Ok(g), None) => {
                out.push(check(what, Outcome::Warn, format!("genesis {g}, not compared")))
            }
            (Err(e), _) => out.push(check(what, Outcome::Fail, e.to_string())),
        }
    }
    match SignedFrames::open(&config.data_dir) {
        Ok(_) => out.push(check(
            "store",
            Outcome::Pass,
            format!("{} readable and writable", config.data_dir.display()),
        )),
        Err(e) => out.push(check("store", Outcome::Fail, e.to_string())),
    }
    match client.balance(me).await {
        Ok(b) if b >= U256::from(LOW_BALANCE_WEI) => {
            out.push(check("balance", Outcome::Pass, format!("{b} wei")))
        }
        Ok(b) => out.push(check(
            "balance",
            Outcome::Warn,
            format!("{b} wei: too little to pay for submissions when it is this member's turn"),
        )),
        Err(e) => out.push(check("balance", Outcome::Fail, e.to_string())),
    }
    let http = reqwest::Client::new();
    for p in &config.peers {
        let url = format!("{}/health", p.trim_end_matches('/'));
        let outcome = match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                check(format!("peer {p}"), Outcome::Pass, "healthy")
            }
            Ok(r) => check(format!("peer {p}"), Outcome::Warn, format!("HTTP {}", r.status())),
            Err(e) => check(format!("peer {p}"), Outcome::Warn, format!("unreachable: {e}")),
        };
        out.push(outcome);
    }
    if !config.submit {
        out.push(check("mode", Outcome::Warn, "dry run: the daemon will not send transactions"));
    }
    out
}
