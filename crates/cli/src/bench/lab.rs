//! A deployment on an embedded node, and transactions whose gas is read from their receipts.
//!
//! Deployment goes through the same RPC path as `tidepool deploy`; the measured transactions
//! are then handed to the node's chain directly (signed by its dev keys, or from an
//! impersonated contract), which is exact and fast enough to build 10,000-holder states.

use std::{path::Path, sync::Arc};

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::SolCall;
use anyhow::{bail, ensure, Context, Result};
use tidepool_deploy::{
    decode_revert, deploy_protocol, deposit,
    report::{self, Observation},
    Addresses, Client, DeployOptions, Deployment, OperatorSetup, PrivateKeySigner, ETHER,
};
use tidepool_interfaces::{IOracle, IPool, IWithdrawalQueue};
use tidepool_node::{
    arbwasmcache::{self, IArbWasmCache},
    chain::{BlockNumberOrTag, Chain, TransactionRequest},
    evm::FrameProfile,
    node::{Node, NodeConfig, NodeHandle},
};

use crate::up::dev_signers;

/// Program pricing of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    /// Every program marked cached through ArbWasmCache (as after a CacheManager bid).
    Cached,
    /// No program cached: each first entry in a transaction pays the full init price.
    Uncached,
}

/// Committee keys: five seated at deployment (quorum 3), two more to measure quorums 5 and 7.
pub const MEMBERS: usize = 7;
/// Members seated at deployment.
pub const SEATED: usize = 5;

/// Where a transaction's gas went, summed over its Stylus frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Breakdown {
    /// Program entries, with their initial memory pages.
    pub entry: u64,
    /// Memory pages grown while running.
    pub memory: u64,
    /// Executing wasm.
    pub wasm: u64,
    /// Host I/O calls' own prices.
    pub hostio: u64,
    /// Storage, logs, account access and call costs at EVM prices, in every frame.
    pub evm: u64,
    /// The rest: intrinsic gas and calldata, EVM frames if any, less refunds.
    pub transaction: i64,
    /// Distinct programs entered (delegated frames count their code's program).
    pub programs: u64,
}

impl Breakdown {
    fn of(gas_used: u64, frames: &[FrameProfile]) -> Self {
        let mut b = Self::default();
        for f in frames {
            b.entry += f.gas.entry_gas;
            b.memory += f.gas.memory_gas;
            b.wasm += f.gas.wasm_gas;
            b.hostio += f.gas.hostio_gas;
            b.evm += f.gas.evm_gas;
        }
        let mut programs: Vec<_> = frames.iter().map(|f| f.program).collect();
        programs.sort_unstable();
        programs.dedup();
        b.programs = programs.len() as u64;
        let stylus = b.entry + b.memory + b.wasm + b.hostio + b.evm;
        b.transaction =
            i64::try_from(gas_used).unwrap_or(i64::MAX) - i64::try_from(stylus).unwrap_or(i64::MAX);
        b
    }
}

/// A mined transaction's gas and where it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub gas: u64,
    pub breakdown: Breakdown,
}

/// A deployment on its own node, with the accounts that act on it.
pub struct Lab {
    node: Option<NodeHandle>,
    chain: Arc<parking_lot::Mutex<Chain>>,
    pub client: Client,
    pub d: Deployment,
    /// Deploys, relays reports, holds every admin role.
    pub deployer: Address,
    /// Dev accounts 1..: users whose first actions are measured.
    pub users: Vec<Address>,
    /// Their keys, for permits.
    pub user_keys: Vec<PrivateKeySigner>,
    pub committee: Vec<PrivateKeySigner>,
}

/// `n` thousandths of an ether.
pub fn milli(n: u64) -> U256 {
    U256::from(n) * ETHER / U256::from(1_000u64)
}

/// `n` ether.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * ETHER
}

/// Keys of the bench's node operator: enough for the deposit rows.
pub const OPERATOR_KEYS: u32 = 16;

/// The bench's node operator, with deterministic dev keys, its rewards to `reward_address`.
fn bench_operator(reward_address: Address) -> OperatorSetup {
    OperatorSetup {
        name: "bench operator".into(),
        reward_address,
        key_seed: b"tidepool bench operator".to_vec(),
        keys: OPERATOR_KEYS,
    }
}

impl Addresses for Lab {
    fn deployment(&self) -> &Deployment {
        &self.d
    }
}

impl Lab {
    /// Starts a node, deploys the protocol from `artifacts` with a 5-member committee at
    /// quorum 3, and marks every program cached when `pricing` says so.
    pub async fn start(artifacts: &Path, pricing: Pricing) -> Result<Self> {
        let node = Node::spawn(NodeConfig::ephemeral()).context("starting the local node")?;
        let mut keys = dev_signers(&node)?;
        ensure!(keys.len() >= 6, "the node has too few dev accounts");
        let chain = node.chain().clone();
        let deployer_key = keys.remove(0);
        let deployer = deployer_key.address();
        let client = Client::connect(&node.url(), [deployer_key]).await?;
        let committee: Vec<PrivateKeySigner> = (1..=MEMBERS)
            .map(|i| {
                PrivateKeySigner::from_bytes(&keccak256(format!("tidepool bench: member {i}")))
                    .context("member key")
            })
            .collect::<Result<_>>()?;
        let options = DeployOptions {
            artifacts: artifacts.to_owned(),
            members: committee.iter().take(SEATED).map(PrivateKeySigner::address).collect(),
            quorum: Some(3),
            operators: vec![bench_operator(deployer)],
            ..DeployOptions::default()
        };
        let d = deploy_protocol(&client, deployer, &options, &mut |_| {}).await?;
        let lab = Self {
            node: Some(node),
            chain,
            client,
            d,
            deployer,
            users: keys.iter().map(PrivateKeySigner::address).collect(),
            user_keys: keys,
            committee,
        };
        if pricing == Pricing::Cached {
            let mut programs: Vec<Address> =
                lab.d.contracts.iter().iter().map(|(_, c)| c.address).collect();
            if let Some(m) = &lab.d.module {
                programs.extend([
                    m.staking_module.address,
                    m.registry.address,
                    m.deposit_guard.address,
                ]);
            }
            for program in programs {
                lab.send(
                    deployer,
                    arbwasmcache::ADDRESS,
                    IArbWasmCache::cacheProgramCall { addr: program },
                )?;
            }
        }
        Ok(lab)
    }

    /// Stops the node.
    pub fn stop(mut self) -> Result<()> {
        if let Some(node) = self.node.take() {
            node.stop().context("stopping the node")?;
        }
        Ok(())
    }

    /// Sends `call` from `from` with `value`; its gas used. Fails on a revert, with the
    /// decoded reason.
    pub fn send_value<C: SolCall>(
        &self,
        from: Address,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<Sent> {
        let req = TransactionRequest::default()
            .from(from)
            .to(to)
            .input(call.abi_encode().into())
            .value(value);
        let mut chain = self.chain.lock();
        let hash = match chain.send_request(req.clone()) {
            Ok(hash) => hash,
            Err(e) => {
                // Replay as a call for the revert data, decoded.
                let reason = chain
                    .call(req, BlockNumberOrTag::Latest, None)
                    .map(|out| decode_revert(&out.output))
                    .unwrap_or_default();
                bail!("{} from {from}: {e} {reason}", C::SIGNATURE)
            }
        };
        let Some(tx) = chain.tx(&hash) else { bail!("{} was not mined", C::SIGNATURE) };
        ensure!(tx.success, "{} from {from} reverted", C::SIGNATURE);
        Ok(Sent { gas: tx.gas_used, breakdown: Breakdown::of(tx.gas_used, &tx.stylus_profile) })
    }

    /// [`Lab::send_value`] without value.
    pub fn send<C: SolCall>(&self, from: Address, to: Address, call: C) -> Result<Sent> {
        self.send_value(from, to, call, U256::ZERO)
    }

    /// Gas of `action` run and then undone: measures a transaction without consuming the
    /// state it needs (an old request stays claimable for the next measurement).
    pub fn probe(&self, action: impl FnOnce(&Self) -> Result<Sent>) -> Result<Sent> {
        let id = self.chain.lock().snapshot();
        let gas = action(self);
        ensure!(self.chain.lock().revert(id), "snapshot {id} vanished");
        gas
    }

    /// Calls a view through RPC.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        Ok(self.client.view(to, call).await?)
    }

    /// Finalizes every request up to `last` at the current share rate, sent by the pool
    /// (impersonated) exactly as its report handler would; the gas of that call.
    ///
    /// The ether comes from a balance top-up, so the pool's own accounting is untouched.
    pub async fn finalize(&self, last: U256) -> Result<Sent> {
        let pool = self.pool();
        let pooled = self.view(pool, IPool::getTotalPooledEtherCall {}).await?;
        let shares = self.view(pool, IPool::getTotalSharesCall {}).await?;
        let rate = report::share_rate(pooled, shares);
        let prefinalize =
            IWithdrawalQueue::prefinalizeCall { batches: vec![last], max_share_rate: rate };
        // The ether to lock; the shares to burn are the pool's business.
        let eth = self.view(self.queue(), prefinalize).await?._0;
        {
            let mut chain = self.chain.lock();
            let balance = chain.account(pool, chain.block_number())?.balance;
            chain.set_balance(pool, balance + eth);
            chain.impersonate(pool, true);
        }
        let call = IWithdrawalQueue::finalizeCall { last_request_id: last, max_share_rate: rate };
        let gas = self.send_value(pool, self.queue(), call, eth);
        self.chain.lock().impersonate(pool, false);
        gas
    }

    /// Requests `count` withdrawals of `amount` each for `owner` (who has approved the
    /// queue), at most 100 per transaction.
    pub fn request_many(&self, owner: Address, count: usize, amount: U256) -> Result<()> {
        let mut left = count;
        while left > 0 {
            let n = left.min(100);
            let call = IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![amount; n], owner };
            self.send(owner, self.queue(), call)?;
            left -= n;
        }
        Ok(())
    }

    /// Moves to the next oracle frame, tops up the rewards vault (a small rebase), and
    /// submits the frame's report signed by the first `quorum` members; its gas.
    pub async fn report(&self, quorum: usize, finalize: bool) -> Result<Sent> {
        self.report_in_batches(quorum, finalize, None).await
    }

    /// [`Lab::report`], finalizing what the builder chose split into `batches` batches of
    /// (nearly) equal length instead of its own split, when given: the report's gas at any
    /// batch count up to the cap, whatever the requests' rates.
    pub async fn report_in_batches(
        &self,
        quorum: usize,
        finalize: bool,
        batches: Option<usize>,
    ) -> Result<Sent> {
        let frame = self.d.oracle.seconds_per_slot
            * self.d.oracle.slots_per_epoch
            * self.d.oracle.epochs_per_frame;
        {
            let mut chain = self.chain.lock();
            chain.increase_time(i64::try_from(frame).context("frame length")?);
            chain.mine_empty(None);
        }
        let vault = self.d.contracts.rewards_vault.address;
        {
            let mut chain = self.chain.lock();
            let balance = chain.account(vault, chain.block_number())?.balance;
            chain.set_balance(vault, balance + milli(1));
        }
        let seen = Observation { finalize, ..Default::default() };
        let mut prepared = report::prepare(&self.client, &self.d, &seen).await?;
        if let Some(count) = batches {
            let ends = &mut prepared.data.withdrawalFinalizationBatches;
            let last = ends.last().copied().context("nothing to finalize")?;
            let first =
                self.view(self.queue(), IWithdrawalQueue::getLastFinalizedRequestIdCall {}).await?;
            let span = last - first;
            ensure!(span >= U256::from(count), "{count} batches need as many requests");
            *ends = (1..=count).map(|i| first + span * U256::from(i) / U256::from(count)).collect();
        }
        let keys: Vec<_> = self.committee.iter().take(quorum).collect();
        let oracle = self.d.contracts.oracle.address;
        let signatures = report::sign(&prepared.data, self.d.chain_id, oracle, &keys)?;
        let call = IOracle::submitReportCall { data: prepared.data, signatures };
        self.send(self.deployer, oracle, call)
    }

    /// Deposits `validators` keys through the deposit guard, attested by the first three
    /// committee members (the guardians, quorum 3); its gas.
    pub async fn deposit(&self, validators: u64) -> Result<Sent> {
        let module = deposit::module(&self.d)?;
        let keys: Vec<_> = self.committee.iter().take(3).collect();
        let call = deposit::signed_deposit(&self.client, module, validators, &keys).await?;
        self.send(self.deployer, module.deposit_guard.address, call)
    }

    /// Seats committee key `index` with the new `quorum` (the deployer manages members).
    pub fn add_member(&self, index: usize, quorum: u64) -> Result<()> {
        let member = self.committee.get(index).context("no such committee key")?.address();
        let call = IOracle::addMemberCall { member, quorum };
        self.send(self.deployer, self.d.contracts.oracle.address, call).map(drop)
    }

    /// Sets the oracle's quorum.
    pub fn set_quorum(&self, quorum: u64) -> Result<()> {
        let call = IOracle::setQuorumCall { quorum };
        self.send(self.deployer, self.d.contracts.oracle.address, call).map(drop)
    }

    /// A fresh address that has never held anything.
    pub fn stranger(n: u64) -> Address {
        Address::from_word(keccak256(format!("tidepool bench: holder {n}")))
    }
}
