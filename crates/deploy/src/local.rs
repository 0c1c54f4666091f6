//! The local world around a deployment (a development chain run by this project's node): the
//! node's simulated beacon chain set up for it, the dev depositor, who sends buffered ether
//! to validators with the guardians' dev keys (Lido's depositor bot and council daemons in
//! one), and the dev operator, who performs the exits the staking module asks of it.
//!
//! Everything goes through the node's JSON-RPC (`tidepool_beacon*` and `eth_getLogs`), so it
//! works against an embedded node and a separate `tidepool-node` alike.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::Filter;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolEvent;
use tidepool_interfaces::{staking_module::MAX_DEPOSITS_PER_CALL, IPool, IStakingModule};

use crate::{deposit, report::chain_config, Client, Deployment, Error, ETHER};

/// Execution-layer rewards per slot on the local chain: 10⁻⁷ ETH, about 0.00072 ETH a day.
pub const EL_REWARD_WEI_PER_SLOT: u64 = 100_000_000_000;

/// How often the dev operator looks for new exit requests and the dev depositor for
/// depositable ether.
pub const EXIT_POLL: Duration = Duration::from_secs(2);

/// Turns on the node's simulated beacon chain for `d`: its genesis and slot timing are the
/// oracle's, so frames
/// and reference slots mean the same slots on both sides; it reads the deployment's deposit
/// contract, and execution-layer rewards go to the rewards vault (the protocol's validators'
/// fee recipient).
///
/// # Errors
/// [`Error::Options`] when the deployment has no deposit contract of its own (an outside
/// staking module); [`Error::Rpc`].
pub async fn start_beacon(client: &Client, d: &Deployment) -> Result<(), Error> {
    let module = deposit::module(d)?;
    let chain = chain_config(client, d.contracts.oracle.address).await?;
    let params = serde_json::json!([{
        "depositContract": module.deposit_contract,
        "feeRecipient": d.contracts.rewards_vault.address,
        "genesisTime": chain.genesis_time,
        "secondsPerSlot": chain.seconds_per_slot,
        "slotsPerEpoch": chain.slots_per_epoch,
        "elRewardWeiPerSlot": U256::from(EL_REWARD_WEI_PER_SLOT),
    }]);
    let _: serde_json::Value = client
        .provider()
        .raw_request("tidepool_beaconConfigure".into(), params)
        .await
        .map_err(|e| Error::Rpc(format!("tidepool_beaconConfigure: {e}")))?;
    Ok(())
}

/// Performs the exits the staking module asked of `operators` (all when `None`) in blocks
/// `from..=latest`: each `ValidatorExitRequested` becomes a voluntary exit in the node's
/// simulated beacon chain (what a real operator does by signing and broadcasting the
/// validator's exit message). Returns the next block to look from and the exits performed.
///
/// A request for a validator that is already leaving is not an error: the exit stands.
///
/// # Errors
/// [`Error::Rpc`], also for a request the simulation refuses for another reason than that;
/// [`Error::Decode`] for a log that is not the event.
pub async fn perform_exits(
    client: &Client,
    module: Address,
    operators: Option<&[u64]>,
    from: u64,
) -> Result<(u64, Vec<IStakingModule::ValidatorExitRequested>), Error> {
    let (latest, _) = client.latest_block().await?;
    if latest < from {
        return Ok((from, Vec::new()));
    }
    let filter = Filter::new()
        .address(module)
        .event_signature(IStakingModule::ValidatorExitRequested::SIGNATURE_HASH)
        .from_block(from)
        .to_block(latest);
    let logs = client
        .provider()
        .get_logs(&filter)
        .await
        .map_err(|e| Error::Rpc(format!("eth_getLogs: {e}")))?;
    let mut performed = Vec::new();
    for log in logs {
        let event = IStakingModule::ValidatorExitRequested::decode_log_data(log.data())
            .map_err(|source| Error::Decode { what: "ValidatorExitRequested".into(), source })?;
        let operator: u64 = event.nodeOperatorId.saturating_to();
        if operators.is_some_and(|ids| !ids.contains(&operator)) {
            continue;
        }
        let answer: Result<serde_json::Value, _> = client
            .provider()
            .raw_request(
                "tidepool_beaconRequestExit".into(),
                serde_json::json!([event.pubkey.to_string()]),
            )
            .await;
        if let Err(error) = answer {
            let text = error.to_string();
            // Already exiting (slashed, or asked before) or exited: the exit stands anyway.
            // The simulation says so in these words (`SimError::AlreadyExiting`, `NotActive`).
            if !(text.contains("already exiting") || text.contains("not active")) {
                return Err(Error::Rpc(format!(
                    "exiting operator {operator}'s key {}: {text}",
                    event.keyIndex
                )));
            }
        }
        performed.push(event);
    }
    Ok((latest + 1, performed))
}

/// Deposits what the pool can send to validators now: whole 32 ETH of its depositable ether,
/// as many as the module has keys for (at most `MAX_DEPOSITS_PER_CALL`), attested by
/// `guardians` and sent from `from` (one of the client's signers: the signatures are the
/// authority, anyone may send). Returns the validators deposited (0 when there was nothing to
/// do).
///
/// # Errors
/// As [`deposit::deposit`].
pub async fn deposit_buffered(
    client: &Client,
    d: &Deployment,
    from: Address,
    guardians: &[&PrivateKeySigner],
) -> Result<u64, Error> {
    let depositable =
        client.view(d.contracts.pool.address, IPool::getDepositableEtherCall {}).await?;
    let by_ether = depositable / (U256::from(32u8) * ETHER);
    let keys = deposit::depositable_keys(client, deposit::module(d)?).await?;
    let n: u64 = by_ether.min(keys).min(U256::from(MAX_DEPOSITS_PER_CALL)).saturating_to();
    if n > 0 {
        deposit::deposit(client, d, from, n, guardians).await?;
    }
    Ok(n)
}

/// Runs the dev depositor until the task is dropped: every [`EXIT_POLL`], [`deposit_buffered`].
/// Errors are printed and retried.
pub async fn dev_depositor(
    client: Client,
    d: Deployment,
    from: Address,
    guardians: Vec<PrivateKeySigner>,
) {
    let keys: Vec<&PrivateKeySigner> = guardians.iter().collect();
    loop {
        match deposit_buffered(&client, &d, from, &keys).await {
            Ok(0) => {}
            Ok(n) => eprintln!("dev depositor: {n} validator(s) deposited ({} ETH)", 32 * n),
            Err(error) => eprintln!("dev depositor: {error}"),
        }
        tokio::time::sleep(EXIT_POLL).await;
    }
}

/// Mines an empty block every `every` until the task is dropped: a real chain makes blocks
/// whether or not anyone transacts, and the local node only mines on demand, so without this
/// its clock (and the simulated beacon chain, which advances with blocks) would stand still
/// between transactions. Errors are printed and retried.
pub async fn clock(client: Client, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let mined: Result<serde_json::Value, _> =
            client.provider().raw_request("evm_mine".into(), ()).await;
        if let Err(error) = mined {
            eprintln!("block clock: {error}");
        }
    }
}

/// Runs the dev operator until the task is dropped: every [`EXIT_POLL`], the exits asked since
/// the last look. Errors are printed and retried (a node restarting must not end it).
pub async fn dev_operator(client: Client, module: Address, mut from: u64) {
    loop {
        match perform_exits(&client, module, None, from).await {
            Ok((next, performed)) => {
                for e in &performed {
                    eprintln!(
                        "dev operator: exiting operator {}'s key {} ({})",
                        e.nodeOperatorId, e.keyIndex, e.pubkey
                    );
                }
                from = next;
            }
            Err(error) => eprintln!("dev operator: {error}"),
        }
        tokio::time::sleep(EXIT_POLL).await;
    }
}
