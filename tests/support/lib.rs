//! The world every end-to-end test starts from: a fresh Tidepool deployment of the built wasm
//! (`tidepool build`), made with `tidepool-deploy` and driven through alloy-provider.
//!
//! By default each test starts its own embedded node on a free port. With
//! `TIDEPOOL_RPC_URL` set the tests run against that chain instead, deploying from
//! `TIDEPOOL_PRIVATE_KEY` (which funds the test accounts: about 250 ETH in all); moving
//! between oracle frames needs the anvil-style `evm_increaseTime`.
#![allow(missing_docs)]

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use tidepool_deploy::{
    deploy_protocol, invariants, permit,
    report::{self, Observation, PreparedReport, ReportData},
    Client, DeployOptions, Deployment, Error, PrivateKeySigner, Receipt, ETHER,
};
use tidepool_interfaces::{IOracle, IPool};
use tidepool_node::node::{Node, NodeConfig, NodeHandle};

/// `n` ether.
pub fn eth(n: u64) -> U256 {
    U256::from(n) * ETHER
}

/// `n` thousandths of an ether.
pub fn milli(n: u64) -> U256 {
    U256::from(n) * ETHER / U256::from(1_000u64)
}

/// A test key derived from a label, so runs are repeatable.
pub fn key(label: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(format!("tidepool e2e: {label}"))).expect("key")
}

/// A node with its simulated beacon chain, the protocol deployed on it by the node's first dev
/// account with `options` (their `artifacts` set to the built wasm) and the simulation turned
/// on for it: the living chain's tests start here. `None` (with a note) when the wasm has not
/// been built; on CI a missing build fails.
pub async fn living_chain(
    mut options: DeployOptions,
    signers: &[PrivateKeySigner],
) -> Option<(NodeHandle, Client, Deployment, PrivateKeySigner)> {
    if !artifacts().join(tidepool_programs::Program::DepositGuard.code_file()).exists() {
        assert!(std::env::var_os("CI").is_none(), "target/wasm missing on CI");
        eprintln!("SKIPPED: run `tidepool build` first");
        return None;
    }
    let node =
        Node::spawn(NodeConfig { beacon_port: Some(0), ..NodeConfig::ephemeral() }).expect("node");
    let deployer = PrivateKeySigner::from_bytes(&node.chain().lock().signers()[0].to_bytes())
        .expect("dev key");
    let all = std::iter::once(deployer.clone()).chain(signers.iter().cloned());
    let client = Client::connect(&node.url(), all).await.expect("rpc");
    options.artifacts = artifacts();
    let d =
        deploy_protocol(&client, deployer.address(), &options, &mut |_| {}).await.expect("deploy");
    tidepool_deploy::local::start_beacon(&client, &d).await.expect("beacon on");
    Some((node, client, d, deployer))
}

/// Where the contracts are: `w.pool()`, `w.queue()`, ...
pub use tidepool_deploy::Addresses;

/// A deployment and the people who use it.
pub struct World {
    pub client: Client,
    pub d: Deployment,
    pub deployer: Address,
    pub alice: PrivateKeySigner,
    pub bob: PrivateKeySigner,
    pub carol: PrivateKeySigner,
    pub dave: PrivateKeySigner,
    /// Five members, quorum 3.
    pub committee: Vec<PrivateKeySigner>,
    pub treasury: Address,
    pub module: Address,
    _node: Option<NodeHandle>,
}

/// Where `tidepool build` writes the code.
fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm")
}

impl Addresses for World {
    fn deployment(&self) -> &Deployment {
        &self.d
    }
}

impl World {
    /// A fresh deployment, or `None` (with a note) when the wasm has not been built. CI
    /// builds it first, so there a missing build fails instead.
    pub async fn new() -> Option<Self> {
        if !artifacts().join(tidepool_programs::Program::Pool.code_file()).exists() {
            assert!(std::env::var_os("CI").is_none(), "target/wasm/pool.code missing on CI");
            eprintln!("SKIPPED: run `tidepool build` first");
            return None;
        }
        let (node, url, deployer) = match std::env::var("TIDEPOOL_RPC_URL") {
            Ok(url) => {
                let key = std::env::var("TIDEPOOL_PRIVATE_KEY")
                    .expect("TIDEPOOL_PRIVATE_KEY must fund the tests on TIDEPOOL_RPC_URL");
                (None, url, key.parse::<PrivateKeySigner>().expect("TIDEPOOL_PRIVATE_KEY"))
            }
            Err(_) => {
                let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
                let dev = node.chain().lock().signers()[0].to_bytes();
                let url = node.url();
                (Some(node), url, PrivateKeySigner::from_bytes(&dev).expect("dev key"))
            }
        };
        let (alice, bob, carol, dave) = (key("alice"), key("bob"), key("carol"), key("dave"));
        let committee: Vec<_> = (1..=5).map(|i| key(&format!("member {i}"))).collect();
        let deployer_address = deployer.address();
        let client = Client::connect(
            &url,
            [deployer, alice.clone(), bob.clone(), carol.clone(), dave.clone()],
        )
        .await
        .expect("connect");
        let (treasury, module) = (key("treasury").address(), key("module").address());
        let options = DeployOptions {
            artifacts: artifacts(),
            treasury: Some(treasury),
            staking_module: Some(module),
            members: committee.iter().map(PrivateKeySigner::address).collect(),
            quorum: Some(3),
            ..DeployOptions::default()
        };
        let d = deploy_protocol(&client, deployer_address, &options, &mut |_| {})
            .await
            .expect("deploy");
        for who in [&alice, &bob, &carol, &dave] {
            client
                .transfer(deployer_address, who.address(), eth(60), Bytes::new())
                .await
                .expect("fund");
        }
        Some(Self {
            client,
            d,
            deployer: deployer_address,
            alice,
            bob,
            carol,
            dave,
            committee,
            treasury,
            module,
            _node: node,
        })
    }

    /// Sends `call` to `to` from `from` with no value.
    pub async fn send<C: alloy_sol_types::SolCall>(
        &self,
        from: Address,
        to: Address,
        call: C,
    ) -> Result<Receipt, Error> {
        self.client.send(from, to, call, U256::ZERO).await
    }

    /// Reads `call` on `to`, panicking on a revert.
    pub async fn view<C: alloy_sol_types::SolCall>(&self, to: Address, call: C) -> C::Return {
        self.client.view(to, call).await.expect("view")
    }

    /// `who` stakes `amount` with `submit`.
    pub async fn stake(&self, who: Address, amount: U256) -> Receipt {
        self.client
            .send(who, self.pool(), IPool::submitCall { referral: Address::ZERO }, amount)
            .await
            .expect("submit")
    }

    pub async fn balance_of(&self, who: Address) -> U256 {
        self.view(self.pool(), IPool::balanceOfCall { account: who }).await
    }

    pub async fn shares_of(&self, who: Address) -> U256 {
        self.view(self.pool(), IPool::sharesOfCall { account: who }).await
    }

    /// Ether per 1e18 shares.
    pub async fn rate(&self) -> U256 {
        self.view(self.pool(), IPool::getPooledEthBySharesCall { shares_amount: ETHER }).await
    }

    /// The deployer sends `n` validators' deposits to the staking module.
    pub async fn deposit_validators(&self, n: u64) {
        let call = IPool::depositCall { validators: U256::from(n) };
        self.send(self.deployer, self.pool(), call).await.expect("deposit");
    }

    /// Moves to the next oracle frame.
    pub async fn next_frame(&self) {
        let o = &self.d.oracle;
        let frame = o.seconds_per_slot * o.slots_per_epoch * o.epochs_per_frame;
        self.client.increase_time(frame).await.expect("evm_increaseTime");
    }

    /// The report for the frame now running, from `seen`.
    pub async fn prepare(&self, seen: Observation) -> PreparedReport {
        report::prepare(&self.client, &self.d, &seen).await.expect("prepare")
    }

    /// Signatures of `keys` over `data`, ascending by signer.
    pub fn sign(&self, data: &ReportData, keys: &[&PrivateKeySigner]) -> Vec<Bytes> {
        report::sign(data, self.d.chain_id, self.oracle(), keys).expect("sign")
    }

    /// Submits `data` signed by the first `signers` committee members, relayed by Dave.
    pub async fn submit(&self, data: ReportData, signers: usize) -> Result<Receipt, Error> {
        let keys: Vec<_> = self.committee.iter().take(signers).collect();
        let signatures = self.sign(&data, &keys);
        report::submit(&self.client, &self.d, self.dave.address(), data, signatures).await
    }

    /// Prepares and submits a report signed by a quorum.
    pub async fn report(&self, seen: Observation) -> Receipt {
        let prepared = self.prepare(seen).await;
        self.submit(prepared.data, 3).await.expect("report")
    }

    /// The last processed reference slot.
    pub async fn last_ref_slot(&self) -> u64 {
        self.view(self.oracle(), IOracle::getLastProcessingRefSlotCall {}).await
    }

    /// EIP-2612 permit of `owner` for `spender` on `token`, as (v, r, s).
    pub async fn permit(
        &self,
        token: Address,
        owner: &PrivateKeySigner,
        spender: Address,
        value: U256,
        deadline: U256,
    ) -> (u8, B256, B256) {
        let s = permit::sign(&self.client, token, owner, spender, value, deadline)
            .await
            .expect("sign permit");
        (s.v, s.r, s.s)
    }

    /// Priority fees and MEV: `amount` paid into the rewards vault by the deployer.
    pub async fn tip(&self, amount: U256) {
        let vault = self.d.contracts.rewards_vault.address;
        self.client.transfer(self.deployer, vault, amount, Bytes::new()).await.expect("tips");
    }

    /// DESIGN.md's invariants, from chain state; panics naming the broken one.
    pub async fn check_invariants(&self) {
        invariants::check(&self.client, &self.d).await.expect("invariants");
    }
}

/// The decoded revert of `result`, panicking if it succeeded.
pub fn reverted<T: std::fmt::Debug, E: alloy_sol_types::SolError>(result: Result<T, Error>) -> E {
    match result {
        Ok(v) => panic!("expected a revert with {}, got {v:?}", E::SIGNATURE),
        Err(e) => {
            e.reverted_with::<E>().unwrap_or_else(|| panic!("expected {}, got {e}", E::SIGNATURE))
        }
    }
}
