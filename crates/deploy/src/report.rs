//! Oracle reports as the committee's tooling makes them: observed beacon-chain numbers in,
//! a complete `ReportData` out (reference slot, vault balances, simulated share rate,
//! finalization batches), signed by committee keys in the order the oracle wants.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolStruct};
use tidepool_math::{
    oracle::ChainConfig,
    oracle_report::{self, DOMAIN_NAME, DOMAIN_VERSION, GWEI},
};

use crate::{Client, Deployment, Error, Receipt};
use tidepool_interfaces::{
    eip712, withdrawal_queue::MAX_FINALIZATION_BATCHES, IOracle, IPool, IWithdrawalQueue,
};

/// `ReportData` as the oracle's ABI defines it.
pub type ReportData = IOracle::ReportData;

/// The share rate's unit: ether per 1e27 shares.
pub const RATE_PRECISION: U256 = tidepool_math::SHARE_RATE_PRECISION;

/// What the committee observed on the beacon chain at the reference slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// Validators the protocol has on the beacon chain (ever deposited and seen).
    pub cl_validators: u64,
    /// Their total balance, in gwei.
    pub cl_balance_gwei: u64,
    /// The withdrawal vault's balance; `None` reads it now.
    pub withdrawal_vault_balance: Option<U256>,
    /// The rewards vault's balance; `None` reads it now.
    pub el_rewards_vault_balance: Option<U256>,
    /// Whether the committee declares bunker mode (finalization at the discounted rate).
    pub bunker: bool,
    /// Whether to finalize the requests the ether allows (ignored while the queue is
    /// paused: the oracle refuses a report whose finalization fails).
    pub finalize: bool,
}

/// A report ready to sign, with what the simulation said it will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedReport {
    /// The report.
    pub data: ReportData,
    /// Last slot at which the oracle still accepts it.
    pub deadline_slot: u64,
    /// Total pooled ether after the report, before finalization (simulated).
    pub post_total_pooled: U256,
    /// Total shares after the report, before finalization (simulated).
    pub post_total_shares: U256,
}

/// The EIP-712 domain reports are signed in.
pub fn domain(chain_id: u64, oracle: Address) -> Eip712Domain {
    eip712::domain(DOMAIN_NAME, DOMAIN_VERSION, U256::from(chain_id), oracle)
}

/// The digest committee members sign (the oracle's `hashReport`).
pub fn digest(data: &ReportData, chain_id: u64, oracle: Address) -> B256 {
    data.eip712_signing_hash(&domain(chain_id, oracle))
}

/// Signs `data` with each key and returns the signatures in ascending signer order, as
/// `submitReport` requires.
///
/// # Errors
/// [`Error::Signer`] if a key cannot sign.
pub fn sign(
    data: &ReportData,
    chain_id: u64,
    oracle: Address,
    keys: &[&PrivateKeySigner],
) -> Result<Vec<Bytes>, Error> {
    sign_ascending(digest(data, chain_id, oracle), keys)
}

/// 65-byte signatures of `keys` over `hash`, in ascending signer order: what the oracle's
/// committee and the deposit guard's guardians both send.
///
/// # Errors
/// [`Error::Signer`].
pub fn sign_ascending(hash: B256, keys: &[&PrivateKeySigner]) -> Result<Vec<Bytes>, Error> {
    let mut keys = keys.to_vec();
    keys.sort_by_key(|k| k.address());
    keys.iter()
        .map(|k| {
            k.sign_hash_sync(&hash)
                .map(|s| Bytes::from(s.as_bytes().to_vec()))
                .map_err(|e| Error::Signer(e.to_string()))
        })
        .collect()
}

/// `pooled * 1e27 / shares`, rounded down (the oracle's unit), as the oracle computes it;
/// zero when there are no shares (nothing to rate) or the rate overflows.
pub fn share_rate(pooled: U256, shares: U256) -> U256 {
    tidepool_math::queue::share_rate(pooled, shares).unwrap_or(U256::ZERO)
}

/// Builds the report for the frame now running from `seen`.
///
/// The share rate is simulated as Lido's oracle does: an `eth_call` of the pool's
/// `handleOracleReport` as the oracle, without finalization. Batches are then computed by
/// the queue's `calculateFinalizationBatches` at that rate (or the pre-report rate if lower,
/// in bunker mode), with the ether the pool will hold after the report as the budget: at most
/// `MAX_FINALIZATION_BATCHES` (36) batches, a thousand requests per call, so however many
/// requests wait (spam included) the report stays within what `prefinalize` accepts and its
/// gas bounded; what does not fit waits for the next report.
///
/// # Errors
/// Reverts of the views or the simulation, decoded ([`Error::Reverted`]).
pub async fn prepare(
    client: &Client,
    deployment: &Deployment,
    seen: &Observation,
) -> Result<PreparedReport, Error> {
    prepare_at(client, deployment, seen, None).await
}

/// [`prepare`] with the chain's state (vault balances, the pool, the queue) read after
/// block `at` instead of the latest: committee members who each read the state at the
/// reference slot's block build the same report whenever they run.
///
/// # Errors
/// As [`prepare`].
pub async fn prepare_at(
    client: &Client,
    deployment: &Deployment,
    seen: &Observation,
    at: Option<u64>,
) -> Result<PreparedReport, Error> {
    let c = &deployment.contracts;
    let (oracle, pool, queue) = (c.oracle.address, c.pool.address, c.withdrawal_queue.address);
    let frame = client.view(oracle, IOracle::getCurrentFrameCall {}).await?;
    let (ref_slot, deadline_slot) = (frame._0, frame._1);
    let chain = chain_config(client, oracle).await?;
    let epochs_per_frame = client.view(oracle, IOracle::getFrameConfigCall {}).await?._1;
    let version = client.view(oracle, IOracle::getConsensusVersionCall {}).await?;
    let last = client.view(oracle, IOracle::getLastProcessingRefSlotCall {}).await?;
    // The window and the timestamp the oracle will pass the pool for this report.
    let elapsed = oracle_report::time_elapsed(&chain, epochs_per_frame, last, ref_slot)
        .ok_or_else(|| beyond_u64("the time the report covers"))?;
    let timestamp = oracle_report::report_timestamp(&chain, ref_slot)
        .ok_or_else(|| beyond_u64("the report's timestamp"))?;
    let withdrawal_vault_balance = match seen.withdrawal_vault_balance {
        Some(b) => b,
        None => client.balance_at(c.withdrawal_vault.address, at).await?,
    };
    let el_rewards_vault_balance = match seen.el_rewards_vault_balance {
        Some(b) => b,
        None => client.balance_at(c.rewards_vault.address, at).await?,
    };
    let cl_balance = U256::from(seen.cl_balance_gwei) * GWEI;
    let zero = U256::ZERO;

    let simulation = IPool::handleOracleReportCall {
        report_timestamp: U256::from(timestamp),
        time_elapsed: U256::from(elapsed),
        cl_validators: U256::from(seen.cl_validators),
        cl_balance,
        withdrawal_vault_balance,
        el_rewards_vault_balance,
        withdrawal_finalization_batches: Vec::new(),
        max_share_rate: U256::ZERO,
    };
    let post = client.call_at(Some(oracle), pool, simulation, U256::ZERO, at).await?;
    let (post_total_pooled, post_total_shares) = (post._0, post._1);
    let simulated = share_rate(post_total_pooled, post_total_shares);

    let mut batches = Vec::new();
    let paused = client.call_at(None, queue, IWithdrawalQueue::isPausedCall {}, zero, at).await?;
    let waiting = client
        .call_at(None, queue, IWithdrawalQueue::unfinalizedRequestNumberCall {}, zero, at)
        .await?;
    if seen.finalize && !paused && !waiting.is_zero() {
        let pre_pooled =
            client.call_at(None, pool, IPool::getTotalPooledEtherCall {}, zero, at).await?;
        let pre_shares = client.call_at(None, pool, IPool::getTotalSharesCall {}, zero, at).await?;
        let pre_rate = share_rate(pre_pooled, pre_shares);
        let rate = oracle_report::finalization_rate(simulated, pre_rate, seen.bunker);
        // What the pool will hold: its buffer plus what the report pulls from the vaults.
        let buffered = client.call_at(None, pool, IPool::getBufferedEtherCall {}, zero, at).await?;
        let budget = buffered.saturating_add(post._2).saturating_add(post._3);
        let mut state = IWithdrawalQueue::BatchesCalculationState {
            remainingEthBudget: budget,
            finished: false,
            batches: Vec::new(),
        };
        while !state.finished && !state.remainingEthBudget.is_zero() {
            let call = IWithdrawalQueue::calculateFinalizationBatchesCall {
                max_share_rate: rate,
                max_timestamp: U256::from(timestamp),
                max_requests_per_call: U256::from(1_000u64),
                state: state.clone(),
            };
            state = client.call_at(None, queue, call, zero, at).await?;
        }
        batches = state.batches;
        // The queue stops at the cap itself; a longer answer would only make the report
        // revert, and any prefix of the batch ends is a valid (smaller) finalization.
        batches.truncate(MAX_FINALIZATION_BATCHES);
    }
    Ok(PreparedReport {
        data: ReportData {
            consensusVersion: U256::from(version),
            refSlot: U256::from(ref_slot),
            numValidators: U256::from(seen.cl_validators),
            clBalanceGwei: U256::from(seen.cl_balance_gwei),
            withdrawalVaultBalance: withdrawal_vault_balance,
            elRewardsVaultBalance: el_rewards_vault_balance,
            withdrawalFinalizationBatches: batches,
            simulatedShareRate: simulated,
            isBunkerMode: seen.bunker,
        },
        deadline_slot,
        post_total_pooled,
        post_total_shares,
    })
}

/// The oracle's beacon-chain timing.
///
/// # Errors
/// The view's error.
pub async fn chain_config(client: &Client, oracle: Address) -> Result<ChainConfig, Error> {
    let chain = client.view(oracle, IOracle::getChainConfigCall {}).await?;
    // Lido's order: (slotsPerEpoch, secondsPerSlot, genesisTime).
    Ok(ChainConfig {
        slots_per_epoch: chain._0,
        seconds_per_slot: chain._1,
        genesis_time: chain._2,
    })
}

/// The oracle's configuration puts a report's time beyond `u64`: it could never take one.
fn beyond_u64(what: &str) -> Error {
    Error::Unexpected(format!("{what} overflows u64 with this oracle's configuration"))
}

/// Submits `data` with `signatures` from `from` (anyone may relay a signed report).
///
/// # Errors
/// The oracle's revert, decoded ([`Error::Reverted`]).
pub async fn submit(
    client: &Client,
    deployment: &Deployment,
    from: Address,
    data: ReportData,
    signatures: Vec<Bytes>,
) -> Result<Receipt, Error> {
    let call = IOracle::submitReportCall { data, signatures };
    client.send(from, deployment.contracts.oracle.address, call, U256::ZERO).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_precision_is_1e27() {
        assert_eq!(RATE_PRECISION, U256::from(10u64).pow(U256::from(27u64)));
        assert_eq!(
            share_rate(U256::from(3u8), U256::from(2u8)),
            RATE_PRECISION * U256::from(3u8) / U256::from(2u8)
        );
        assert_eq!(share_rate(U256::from(3u8), U256::ZERO), U256::ZERO);
    }

    #[test]
    fn signatures_come_in_ascending_signer_order_and_recover() {
        let keys: Vec<_> = (1..=5u8)
            .map(|n| PrivateKeySigner::from_bytes(&B256::with_last_byte(n)).expect("key"))
            .collect();
        let data = ReportData { refSlot: U256::from(7u8), ..Default::default() };
        let oracle = Address::with_last_byte(9);
        let refs: Vec<_> = keys.iter().rev().collect();
        let sigs = sign(&data, 412_346, oracle, &refs).expect("signs");
        let hash = digest(&data, 412_346, oracle);
        let signers: Vec<Address> = sigs
            .iter()
            .map(|s| {
                alloy_primitives::Signature::try_from(s.as_ref())
                    .expect("65 bytes")
                    .recover_address_from_prehash(&hash)
                    .expect("recovers")
            })
            .collect();
        let mut sorted = signers.clone();
        sorted.sort();
        assert_eq!(signers, sorted);
        assert_eq!(signers.len(), 5);
        assert!(keys.iter().all(|k| signers.contains(&k.address())));
    }
}
