//! What is measured: each user operation in the conditions Lido's figures were taken in,
//! and the curves that show which costs stay flat as the protocol grows.

use alloy_primitives::{Address, U256};
use anyhow::{ensure, Result};
use tidepool_deploy::{permit, Addresses};
use tidepool_interfaces::{IPool, IWithdrawalQueue, IWrapped};

use super::lab::{ether, milli, Breakdown, Lab, Sent, SEATED};

/// One measured figure: receipt `gasUsed` (21,000 and calldata included, refunds deducted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// What was called.
    pub operation: &'static str,
    /// The state it was called in.
    pub condition: String,
    pub gas: u64,
    pub breakdown: Breakdown,
}

/// Sizes of the states the scaling curves are measured at.
#[derive(Debug, Clone)]
pub struct Scales {
    /// Requests finalized in one batch.
    pub batch: Vec<usize>,
    /// Share holders when a report is applied.
    pub holders: Vec<usize>,
    /// Finalization checkpoints when an old request is claimed.
    pub checkpoints: Vec<usize>,
}

struct Recorder(Vec<Figure>);

impl Recorder {
    fn add(&mut self, operation: &'static str, condition: impl Into<String>, sent: Sent) {
        let (gas, breakdown) = (sent.gas, sent.breakdown);
        self.0.push(Figure { operation, condition: condition.into(), gas, breakdown });
    }
}

fn count(n: usize) -> String {
    crate::build::thousands(n)
}

fn count_u256(n: U256) -> String {
    usize::try_from(n).map_or_else(|_| n.to_string(), count)
}

const NEW: &str = "to a new holder";
const EXISTING: &str = "to an existing holder";

/// Every user operation of the list, on a fresh deployment.
pub async fn operations(lab: &Lab, scales: &Scales) -> Result<Vec<Figure>> {
    ensure!(lab.users.len() >= 5, "the bench needs five dev accounts besides the deployer");
    let (alice, bob, carol, dave, relayer) =
        (lab.users[0], lab.users[1], lab.users[2], lab.users[3], lab.users[4]);
    let (pool, queue, wrapped) = (lab.pool(), lab.queue(), lab.wrapped());
    let mut r = Recorder(Vec::new());
    let submit = || IPool::submitCall { referral: Address::ZERO };

    // The pool token.
    r.add(
        "submit",
        "first deposit of an account",
        lab.send_value(alice, pool, submit(), ether(200))?,
    );
    r.add("submit", "repeat", lab.send_value(alice, pool, submit(), ether(1))?);
    let transfer = || IPool::transferCall { to: carol, amount: ether(1) };
    r.add("transfer", NEW, lab.send(alice, pool, transfer())?);
    r.add("transfer", EXISTING, lab.send(alice, pool, transfer())?);
    let shares = || IPool::transferSharesCall { to: dave, shares_amount: ether(1) };
    r.add("transferShares", NEW, lab.send(alice, pool, shares())?);
    r.add("transferShares", EXISTING, lab.send(alice, pool, shares())?);
    let approve = |amount| IPool::approveCall { spender: bob, amount };
    r.add("approve", "new allowance", lab.send(alice, pool, approve(ether(10)))?);
    r.add("approve", "change existing", lab.send(alice, pool, approve(ether(5)))?);
    let from = IPool::transferFromCall { from: alice, to: carol, amount: ether(1) };
    r.add("transferFrom", "finite allowance, existing holder", lab.send(bob, pool, from)?);
    for condition in ["first (nonce 0), sent by a relayer", "repeat, sent by a relayer"] {
        let key = &lab.user_keys[2];
        let sig = permit::sign(&lab.client, pool, key, bob, ether(1), U256::MAX).await?;
        let call = IPool::permitCall {
            owner: carol,
            spender: bob,
            value: ether(1),
            deadline: U256::MAX,
            v: sig.v,
            r: sig.r,
            s: sig.s,
        };
        r.add("permit", condition, lab.send(relayer, pool, call)?);
    }

    // The wrapper, as wstETH and as an ERC-4626 vault.
    // Another user wraps first, so the measured first wrap finds the wrapper holding shares
    // and a supply, as on a live chain (and as in Lido's figure).
    for user in [dave, alice] {
        lab.send(user, pool, IPool::approveCall { spender: wrapped, amount: U256::MAX })?;
    }
    lab.send(dave, wrapped, IWrapped::wrapCall { pooled_amount: milli(100) })?;
    let wrap = |n| IWrapped::wrapCall { pooled_amount: ether(n) };
    r.add("wrap", "a user's first wrap", lab.send(alice, wrapped, wrap(10))?);
    r.add("wrap", "repeat", lab.send(alice, wrapped, wrap(1))?);
    let deposit = IWrapped::depositCall { assets: ether(1), receiver: alice };
    r.add("ERC-4626 deposit", "existing holder", lab.send(alice, wrapped, deposit)?);
    let mint = IWrapped::mintCall { shares: ether(1), receiver: alice };
    r.add("ERC-4626 mint", "existing holder", lab.send(alice, wrapped, mint)?);
    let held = lab.view(wrapped, IWrapped::balanceOfCall { account: alice }).await?;
    let redeem =
        IWrapped::redeemCall { shares: held / U256::from(4u8), receiver: alice, owner: alice };
    r.add("ERC-4626 redeem", "part of a balance", lab.send(alice, wrapped, redeem)?);
    let withdraw = IWrapped::withdrawCall { assets: ether(1), receiver: alice, owner: alice };
    r.add("ERC-4626 withdraw", "part of a balance", lab.send(alice, wrapped, withdraw)?);
    let unwrap = IWrapped::unwrapCall { wrapped_amount: ether(1) };
    r.add("unwrap", "partial", lab.send(alice, wrapped, unwrap)?);
    let held = lab.view(wrapped, IWrapped::balanceOfCall { account: alice }).await?;
    r.add(
        "unwrap",
        "whole balance",
        lab.send(alice, wrapped, IWrapped::unwrapCall { wrapped_amount: held })?,
    );

    // The queue.
    for owner in [alice, bob, dave] {
        lab.send(owner, pool, IPool::approveCall { spender: queue, amount: U256::MAX })?;
    }
    // As for the wrapper: the measured first request is an owner's first, not the queue's.
    let warm = IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![milli(100)], owner: dave };
    lab.send(dave, queue, warm)?;
    lab.send_value(bob, pool, submit(), ether(100))?;
    let request =
        |amounts: Vec<U256>| IWithdrawalQueue::requestWithdrawalsCall { amounts, owner: alice };
    r.add(
        "requestWithdrawals",
        "1 amount, owner's first request",
        lab.send(alice, queue, request(vec![ether(1)]))?,
    );
    r.add(
        "requestWithdrawals",
        "1 amount, repeat owner",
        lab.send(alice, queue, request(vec![ether(1)]))?,
    );
    r.add(
        "requestWithdrawals",
        "10 amounts, repeat owner",
        lab.send(alice, queue, request(vec![milli(100); 10]))?,
    );
    let last_id = || async { lab.view(queue, IWithdrawalQueue::getLastRequestIdCall {}).await };
    // The first checkpoint ever writes fresh slots; the figures below are steady state.
    lab.finalize(last_id().await?).await?;
    let mut batch = 0;
    for &n in &scales.batch {
        lab.request_many(bob, n, milli(1))?;
        batch = n;
        let label = format!("one batch of {} request{}", count(n), if n == 1 { "" } else { "s" });
        r.add("finalize", label, lab.finalize(last_id().await?).await?);
    }

    // Claims: the latest batch with hints, without, and an old request.
    let last = last_id().await?;
    let checkpoint = lab.view(queue, IWithdrawalQueue::getLastCheckpointIndexCall {}).await?;
    let claim = |ids: Vec<U256>, hint: U256| IWithdrawalQueue::claimWithdrawalsCall {
        hints: vec![hint; ids.len()],
        request_ids: ids,
    };
    let id = |back: u64| last - U256::from(back);
    if batch >= 12 {
        r.add(
            "claimWithdrawals",
            "1 with hint, latest batch",
            lab.send(bob, queue, claim(vec![id(0)], checkpoint))?,
        );
        let ten: Vec<U256> = (1..=10).map(id).collect();
        r.add(
            "claimWithdrawals",
            "10 with hints, same batch",
            lab.send(bob, queue, claim(ten, checkpoint))?,
        );
        let one = IWithdrawalQueue::claimWithdrawalCall { request_id: id(11) };
        r.add("claimWithdrawal", "no hint, latest batch", lab.send(bob, queue, one)?);
    }
    // Alice's first request (id 2, after the warm-up) sits in the first checkpoint.
    let old = format!("1 with hint, old request ({checkpoint} checkpoints)");
    let first = claim(vec![U256::from(2u8)], U256::from(1u8));
    r.add("claimWithdrawals", old, lab.send(alice, queue, first)?);

    // Reports, by quorum: one transaction carries the signatures and the accounting. The
    // first report ever seats the fee recipients and the rate history; measure from the
    // second on.
    lab.report(3, false).await?;
    r.add("submitReport", "quorum 3 of 5, accounting included", lab.report(3, false).await?);
    // Finalization inside the report: the same 36 requests in one batch, then in the most
    // batches a report may carry (MAX_FINALIZATION_BATCHES), the bound on a report's gas
    // however the queue is split.
    let cap = tidepool_interfaces::withdrawal_queue::MAX_FINALIZATION_BATCHES;
    lab.request_many(bob, cap, milli(1))?;
    let one = lab.report_in_batches(3, true, Some(1)).await?;
    r.add("submitReport", format!("quorum 3, finalizing {cap} requests in 1 batch"), one);
    lab.request_many(bob, cap, milli(1))?;
    let most = lab.report_in_batches(3, true, Some(cap)).await?;
    r.add(
        "submitReport",
        format!("quorum 3, finalizing {cap} requests in {cap} batches (the cap)"),
        most,
    );
    lab.add_member(SEATED, 4)?;
    lab.add_member(SEATED + 1, 5)?;
    r.add("submitReport", "quorum 5 of 7, accounting included", lab.report(5, false).await?);
    lab.set_quorum(7)?;
    r.add("submitReport", "quorum 7 of 7, accounting included", lab.report(7, false).await?);

    // Deposits to the beacon chain: the guard checks 3 guardian signatures, the pool sends
    // the ETH, the module allocates keys and calls the deposit contract once per key.
    lab.send_value(dave, pool, submit(), ether(11 * 32))?;
    r.add("depositBufferedEther", "1 validator, guardians 3 of 5", lab.deposit(1).await?);
    r.add("depositBufferedEther", "10 validators, guardians 3 of 5", lab.deposit(10).await?);
    Ok(r.0)
}

/// A report's gas as share holders multiply: shares make it independent of their number.
pub async fn report_by_holders(lab: &Lab, holders: &[usize]) -> Result<Vec<Figure>> {
    let deployer = lab.deployer;
    lab.send_value(deployer, lab.pool(), IPool::submitCall { referral: Address::ZERO }, ether(20))?;
    // The first report seats the fee recipients as holders; measure from the second on.
    lab.report(3, false).await?;
    let mut r = Recorder(Vec::new());
    let mut have = 1;
    for &want in holders {
        for n in have..want {
            let to = Lab::stranger(n as u64);
            lab.send(
                deployer,
                lab.pool(),
                IPool::transferSharesCall { to, shares_amount: U256::from(1_000_000_000u64) },
            )?;
        }
        have = have.max(want);
        r.add("submitReport", format!("{} holders", count(want)), lab.report(3, false).await?);
    }
    Ok(r.0)
}

/// Claims and the hint search as finalization checkpoints pile up.
pub async fn claims_by_checkpoints(lab: &Lab, checkpoints: &[usize]) -> Result<Vec<Figure>> {
    let (pool, queue) = (lab.pool(), lab.queue());
    let owner = lab.users[0];
    lab.send_value(owner, pool, IPool::submitCall { referral: Address::ZERO }, ether(20))?;
    lab.send(owner, pool, IPool::approveCall { spender: queue, amount: U256::MAX })?;
    let base = lab.view(queue, IWithdrawalQueue::getLastCheckpointIndexCall {}).await?;
    let first = lab.view(queue, IWithdrawalQueue::getLastRequestIdCall {}).await? + U256::from(1u8);
    let mut r = Recorder(Vec::new());
    let mut have = 0usize;
    for &want in checkpoints {
        if want > have {
            lab.request_many(owner, want - have, milli(1))?;
            let last = lab.view(queue, IWithdrawalQueue::getLastRequestIdCall {}).await?;
            // One request per batch: every finalization adds a checkpoint.
            for back in (0..want - have).rev() {
                lab.finalize(last - U256::from(back)).await?;
            }
            have = want;
        }
        let total = lab.view(queue, IWithdrawalQueue::getLastCheckpointIndexCall {}).await?;
        let hint = base + U256::from(1u8);
        let label = format!("{} checkpoints", count_u256(total));
        let with =
            IWithdrawalQueue::claimWithdrawalsCall { request_ids: vec![first], hints: vec![hint] };
        r.add(
            "claimWithdrawals, oldest request with hint",
            label.clone(),
            lab.probe(|l| l.send(owner, queue, with))?,
        );
        let without = IWithdrawalQueue::claimWithdrawalCall { request_id: first };
        r.add(
            "claimWithdrawal, oldest request, no hint",
            label.clone(),
            lab.probe(|l| l.send(owner, queue, without))?,
        );
        let search = IWithdrawalQueue::findCheckpointHintsCall {
            request_ids: vec![first],
            first_index: U256::from(1u8),
            last_index: total,
        };
        let found = lab.view(queue, search.clone()).await?;
        ensure!(found == vec![hint], "the hint search found {found:?}, not [{hint}]");
        r.add(
            "findCheckpointHints, oldest request",
            label,
            lab.probe(|l| l.send(owner, queue, search))?,
        );
    }
    Ok(r.0)
}
