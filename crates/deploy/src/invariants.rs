//! DESIGN.md's accounting invariants, checked from chain state alone: what an auditor can
//! verify against any deployment with nothing but an RPC URL.

use std::collections::BTreeSet;

use alloy_primitives::{address, Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolEvent;

use crate::{Client, Deployment, Error};
use tidepool_interfaces::{IPool, IWithdrawalQueue, IWrapped};

/// Requests per queue view: a few million gas each, well inside a node's cap for calls.
const VIEW_CHUNK: usize = 500;

/// Where initialisation locks the first shares.
pub const DEAD: Address = address!("000000000000000000000000000000000000dEaD");

/// Ether per validator deposit.
pub const DEPOSIT_SIZE: U256 = U256::from_limbs([0xbc16_d674_ec80_0000, 1, 0, 0]);

/// What the check saw, for printing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Total pooled ether.
    pub total_pooled: U256,
    /// Total shares.
    pub total_shares: U256,
    /// Every account that ever received shares.
    pub holders: Vec<Address>,
    /// Ether the queue holds for finalized, unclaimed requests.
    pub locked: U256,
}

/// A broken invariant.
fn broken(what: String) -> Error {
    Error::Unexpected(format!("invariant broken: {what}"))
}

/// Every account that ever received pool shares, from the pool's `TransferShares` logs
/// (mints come from the zero address, so every holder appears as a receiver).
///
/// # Errors
/// [`Error::Rpc`].
pub async fn share_holders(
    client: &Client,
    deployment: &Deployment,
) -> Result<Vec<Address>, Error> {
    let filter = Filter::new()
        .address(deployment.contracts.pool.address)
        .event_signature(IPool::TransferShares::SIGNATURE_HASH)
        .from_block(deployment.block);
    let logs = client
        .provider()
        .get_logs(&filter)
        .await
        .map_err(|e| Error::Rpc(format!("eth_getLogs: {e}")))?;
    let mut holders = BTreeSet::new();
    for log in logs {
        let event = IPool::TransferShares::decode_log_data(log.data())
            .map_err(|source| Error::Decode { what: "TransferShares".into(), source })?;
        holders.insert(event.to);
    }
    Ok(holders.into_iter().collect())
}

/// Checks, at the latest block:
/// - `balanceOf(a) = floor(sharesOf(a) · P / S)` for every holder;
/// - `P = buffered + clBalance + (deposited − seen validators) · 32 ether`;
/// - Σ `sharesOf` = `totalShares`, Σ `balanceOf` ≤ `totalSupply`;
/// - `0x…dEaD` holds shares, so `P` and `S` are not zero;
/// - the wrapped token is backed: its supply is at most the pool shares it holds (1 token
///   = 1 share);
/// - the queue: requests up to `lastFinalizedRequestId` are finalized and no later one is
///   (FIFO); claimed ones are finalized; what the unclaimed finalized ones can claim is at
///   most the locked ether, which the queue holds; the queue holds at least the shares of
///   its unfinalized requests.
///
/// # Errors
/// [`Error::Unexpected`] naming the first broken invariant; RPC and revert errors.
pub async fn check(client: &Client, deployment: &Deployment) -> Result<Snapshot, Error> {
    let c = &deployment.contracts;
    let (pool, queue) = (c.pool.address, c.withdrawal_queue.address);
    let total_pooled = client.view(pool, IPool::getTotalPooledEtherCall {}).await?;
    let total_shares = client.view(pool, IPool::getTotalSharesCall {}).await?;
    let total_supply = client.view(pool, IPool::totalSupplyCall {}).await?;
    if total_supply != total_pooled {
        return Err(broken(format!(
            "totalSupply {total_supply} != totalPooledEther {total_pooled}"
        )));
    }
    let holders = share_holders(client, deployment).await?;
    let (mut shares_sum, mut balances_sum) = (U256::ZERO, U256::ZERO);
    for holder in &holders {
        let shares = client.view(pool, IPool::sharesOfCall { account: *holder }).await?;
        let balance = client.view(pool, IPool::balanceOfCall { account: *holder }).await?;
        let expected = shares * total_pooled / total_shares;
        if balance != expected {
            return Err(broken(format!(
                "balanceOf({holder}) = {balance}, but shares {shares} are worth {expected}"
            )));
        }
        shares_sum += shares;
        balances_sum += balance;
    }
    if shares_sum != total_shares {
        return Err(broken(format!("shares sum to {shares_sum}, totalShares is {total_shares}")));
    }
    if balances_sum > total_supply {
        return Err(broken(format!("balances sum to {balances_sum} > totalSupply {total_supply}")));
    }
    if client.view(pool, IPool::sharesOfCall { account: DEAD }).await?.is_zero() {
        return Err(broken("0x…dEaD holds no shares".into()));
    }
    let buffered = client.view(pool, IPool::getBufferedEtherCall {}).await?;
    let stat = client.view(pool, IPool::getBeaconStatCall {}).await?;
    let (deposited, seen, cl_balance) = (stat._0, stat._1, stat._2);
    let transient = (deposited - seen) * DEPOSIT_SIZE;
    if total_pooled != buffered + cl_balance + transient {
        return Err(broken(format!(
            "pooled {total_pooled} != buffered {buffered} + CL {cl_balance} + transient {transient}"
        )));
    }
    let wrapped_supply = client.view(c.wrapped.address, IWrapped::totalSupplyCall {}).await?;
    let wrapped_shares =
        client.view(pool, IPool::sharesOfCall { account: c.wrapped.address }).await?;
    // At least: wrapping pulls pool tokens with `transferFrom`, which may deliver a share
    // more than the tokens minted for it, and that dust stays with the wrapper.
    if wrapped_supply > wrapped_shares {
        return Err(broken(format!(
            "wrapped supply {wrapped_supply} > the {wrapped_shares} shares the wrapper holds"
        )));
    }

    let last = client.view(queue, IWithdrawalQueue::getLastRequestIdCall {}).await?;
    let last_finalized =
        client.view(queue, IWithdrawalQueue::getLastFinalizedRequestIdCall {}).await?;
    let locked = client.view(queue, IWithdrawalQueue::getLockedEtherAmountCall {}).await?;
    let ids: Vec<U256> = (1..=last.to::<u64>()).map(U256::from).collect();
    let (mut claimable_sum, mut queued_shares) = (U256::ZERO, U256::ZERO);
    if !ids.is_empty() {
        // In chunks: one view over a long queue would exceed the node's gas cap for calls.
        let mut statuses = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(VIEW_CHUNK) {
            let call = IWithdrawalQueue::getWithdrawalStatusCall { request_ids: chunk.to_vec() };
            statuses.extend(client.view(queue, call).await?);
        }
        let mut unclaimed = Vec::new();
        for (id, s) in ids.iter().zip(&statuses) {
            if s.isFinalized != (*id <= last_finalized) {
                return Err(broken(format!("request {id} finalized out of order")));
            }
            if s.isClaimed && !s.isFinalized {
                return Err(broken(format!("request {id} claimed before finalization")));
            }
            if !s.isFinalized {
                queued_shares += s.amountOfShares;
            } else if !s.isClaimed {
                unclaimed.push(*id);
            }
        }
        if !unclaimed.is_empty() {
            let checkpoints =
                client.view(queue, IWithdrawalQueue::getLastCheckpointIndexCall {}).await?;
            let mut claimable = Vec::with_capacity(unclaimed.len());
            for chunk in unclaimed.chunks(VIEW_CHUNK) {
                let hints = client
                    .view(
                        queue,
                        IWithdrawalQueue::findCheckpointHintsCall {
                            request_ids: chunk.to_vec(),
                            first_index: U256::from(1u8),
                            last_index: checkpoints,
                        },
                    )
                    .await?;
                let call =
                    IWithdrawalQueue::getClaimableEtherCall { request_ids: chunk.to_vec(), hints };
                claimable.extend(client.view(queue, call).await?);
            }
            for (id, amount) in unclaimed.iter().zip(&claimable) {
                // Ids are 1-based and `statuses` lists every id from 1.
                let nominal = statuses[id.to::<usize>() - 1].amountOfStETH;
                if *amount > nominal {
                    return Err(broken(format!(
                        "request {id} may claim {amount} > nominal {nominal}"
                    )));
                }
                claimable_sum += *amount;
            }
        }
    }
    if claimable_sum > locked {
        return Err(broken(format!("claimable {claimable_sum} > locked {locked}")));
    }
    let queue_balance = client.balance(queue).await?;
    if queue_balance < locked {
        return Err(broken(format!("the queue holds {queue_balance} < locked {locked}")));
    }
    let queue_shares = client.view(pool, IPool::sharesOfCall { account: queue }).await?;
    if queue_shares < queued_shares {
        return Err(broken(format!(
            "the queue holds {queue_shares} shares < {queued_shares} of unfinalized requests"
        )));
    }
    Ok(Snapshot { total_pooled, total_shares, holders, locked })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_size_is_32_ether() {
        assert_eq!(DEPOSIT_SIZE, U256::from(32u8) * crate::ETHER);
        assert_eq!(crate::ETHER, U256::from(10u64).pow(U256::from(18u8)));
    }
}
