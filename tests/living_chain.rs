//! The living local chain end to end: the embedded node's simulated beacon chain turns the
//! staking module's deposits into validators that earn, the committee's tooling builds its
//! reports from the beacon API (counting only the module's deposited keys), exits are asked
//! by a signed exit report and performed by the dev operator, and the exited ether finalizes
//! the withdrawal that needed it.
//!
//! Every figure is checked against the simulation's own numbers (its beacon API at the
//! reference slot, the ether it minted into the vaults), to the wei.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, Bytes, U256};
use tidepool_beacon::{
    signing::{DepositKey, ForkVersion},
    withdrawal_credentials, GWEI_PER_ETH,
};
use tidepool_committee::{
    beacon::{BeaconSource, Ownership, ValidatorStatus},
    exits::{self, ExitReportFile},
    report::{self, Bunker, ReportFile, SignatureFile},
};
use tidepool_deploy::{
    deposit, local, Client, DeployOptions, Deployment, OperatorSetup, PrivateKeySigner,
};
use tidepool_e2e::{eth, key};
use tidepool_interfaces::{IOracle, IPool, IStakingModule, IWithdrawalQueue};
use tidepool_node::node::NodeHandle;

/// Keys of the test operator.
const KEYS: u32 = 4;
/// Their seed.
const SEED: &[u8] = b"tidepool living chain operator";
/// One epoch of the local beacon chain, in seconds.
const EPOCH: u64 = 384;
/// One oracle frame (225 epochs), in seconds.
const FRAME: u64 = 225 * EPOCH;

alloy_sol_types::sol! {
    /// The local deposit contract, as a stranger calls it.
    interface IDepositContract {
        function deposit(bytes pubkey, bytes withdrawal_credentials, bytes signature, bytes32 deposit_data_root) external payable;
    }
}

struct World {
    client: Client,
    d: Deployment,
    alice: Address,
    committee: Vec<PrivateKeySigner>,
    beacon: BeaconSource,
    /// Kept alive for the test's length.
    _node: NodeHandle,
}

async fn world() -> Option<World> {
    let alice = key("alice");
    let committee: Vec<_> = (1..=5).map(|i| key(&format!("member {i}"))).collect();
    let options = DeployOptions {
        members: committee.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        operators: vec![OperatorSetup {
            name: "living operator".into(),
            reward_address: key("operator rewards").address(),
            key_seed: SEED.to_vec(),
            keys: KEYS,
        }],
        ..DeployOptions::default()
    };
    let (node, client, d, deployer) =
        tidepool_e2e::living_chain(options, std::slice::from_ref(&alice)).await?;
    client
        .transfer(deployer.address(), alice.address(), eth(500), Default::default())
        .await
        .expect("fund");
    let beacon = BeaconSource::parse(&node.beacon_url().expect("beacon API"));
    Some(World { client, d, alice: alice.address(), committee, beacon, _node: node })
}

impl World {
    fn module(&self) -> Address {
        self.d.module.as_ref().expect("own module").staking_module.address
    }

    fn vault(&self) -> Address {
        self.d.contracts.withdrawal_vault.address
    }

    async fn pass(&self, seconds: u64) {
        self.client.increase_time(seconds).await.expect("time");
    }

    /// Moves to the next frame, with its reference slot finalized on the beacon chain.
    async fn next_frame(&self) {
        let (ref_slot, _) = self.frame().await;
        let chain =
            tidepool_deploy::report::chain_config(&self.client, self.d.contracts.oracle.address)
                .await
                .unwrap();
        let (_, now) = self.client.latest_block().await.unwrap();
        // The next reference slot is one frame on; three epochs more finalize it.
        let target = chain.genesis_time + (ref_slot + 1) * 12 + FRAME + 3 * EPOCH;
        self.pass(target.saturating_sub(now)).await;
    }

    async fn frame(&self) -> (u64, u64) {
        let f = self
            .client
            .view(self.d.contracts.oracle.address, IOracle::getCurrentFrameCall {})
            .await
            .unwrap();
        (f._0, f._1)
    }

    async fn sign_all(&self, file: &impl report::Signable) -> Vec<(String, SignatureFile)> {
        let mut out = Vec::new();
        for key in self.committee.iter().take(3) {
            let s = report::sign(&self.client, &self.d, file, key).await.expect("sign");
            out.push((key.address().to_string(), s));
        }
        out
    }

    /// Builds, signs (3 of 5) and submits the accounting report from the beacon API.
    async fn report(&self) -> ReportFile {
        let file = report::build(&self.client, &self.d, &self.beacon, Bunker::Auto, &mut |_| {})
            .await
            .expect("build");
        let signatures = self.sign_all(&file).await;
        report::submit(&self.client, &self.d, &file, &signatures, self.alice)
            .await
            .expect("the report is accepted");
        file
    }

    /// Builds, signs and submits the exit report.
    async fn exit_report(&self) -> ExitReportFile {
        let file =
            exits::build(&self.client, &self.d, &self.beacon, &mut |_| {}).await.expect("build");
        let signatures = self.sign_all(&file).await;
        exits::submit(&self.client, &self.d, &file, &signatures, self.alice)
            .await
            .expect("the exit report is accepted");
        file
    }

    /// The protocol's validators' balances at `slot`, summed, from the beacon API.
    async fn beacon_balance(&self, slot: u64) -> (u64, u64) {
        let keys = deposit::deposited_keys(&self.client, self.module(), None).await.unwrap();
        let ownership = Ownership::keys(self.vault(), &keys);
        let s = self.beacon.validators(slot, &ownership, &mut |_| {}).await.unwrap();
        (s.validators, s.balance_gwei)
    }

    async fn statuses(&self, slot: u64) -> Vec<Option<ValidatorStatus>> {
        let keys = deposit::deposited_keys(&self.client, self.module(), None).await.unwrap();
        let ownership = Ownership::keys(self.vault(), &keys);
        let s = self.beacon.validators(slot, &ownership, &mut |_| {}).await.unwrap();
        s.ours.iter().map(|v| v.status).collect()
    }

    async fn beacon_stat(&self) -> (U256, U256, U256) {
        let s = self.client.view(self.d.contracts.pool.address, IPool::getBeaconStatCall {}).await;
        let s = s.unwrap();
        (s._0, s._1, s._2)
    }
}

fn gwei(n: u64) -> U256 {
    U256::from(n) * U256::from(GWEI_PER_ETH)
}

#[tokio::test(flavor = "multi_thread")]
async fn stake_earn_report_exit_finalize_claim() {
    let Some(w) = world().await else { return };
    let pool = w.d.contracts.pool.address;
    let queue = w.d.contracts.withdrawal_queue.address;

    // 64 ETH staked become two validators.
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(64))
        .await
        .unwrap();
    // The dev depositor sends whole validators of the depositable ether, then nothing more.
    let guardians: Vec<_> = w.committee.iter().take(3).collect();
    assert_eq!(local::deposit_buffered(&w.client, &w.d, w.alice, &guardians).await.unwrap(), 2);
    assert_eq!(local::deposit_buffered(&w.client, &w.d, w.alice, &guardians).await.unwrap(), 0);
    w.pass(10 * EPOCH).await;

    // A frame of rewards, reported from the beacon API.
    w.next_frame().await;
    let (ref_slot, _) = w.frame().await;
    assert_eq!(w.statuses(ref_slot).await, vec![Some(ValidatorStatus::ActiveOngoing); 2]);
    let (validators, balance) = w.beacon_balance(ref_slot).await;
    let alice_before =
        w.client.view(pool, IPool::balanceOfCall { account: w.alice }).await.unwrap();
    let file = w.report().await;
    assert_eq!(file.data.numValidators, U256::from(2));
    assert_eq!(validators, 2);
    assert_eq!(file.data.clBalanceGwei, U256::from(balance));
    assert!(balance > 64 * GWEI_PER_ETH - 64 * GWEI_PER_ETH / 100, "no losses: {balance}");
    let vault_at_ref = w.client.balance_at(w.vault(), Some(file.state_block)).await.unwrap();
    assert_eq!(file.data.withdrawalVaultBalance, vault_at_ref, "the sweeps the simulation minted");
    assert!(vault_at_ref > U256::ZERO, "excess above 32 ETH is swept");
    let (_, seen, cl_balance) = w.beacon_stat().await;
    assert_eq!((seen, cl_balance), (U256::from(2), gwei(balance)));
    let total = w.client.view(pool, IPool::getTotalPooledEtherCall {}).await.unwrap();
    let buffered = w.client.view(pool, IPool::getBufferedEtherCall {}).await.unwrap();
    assert_eq!(total, buffered + gwei(balance), "pooled = buffer + the beacon's balance");
    let alice_after = w.client.view(pool, IPool::balanceOfCall { account: w.alice }).await.unwrap();
    assert!(alice_after > alice_before, "the report rebased Alice's balance up");

    // A withdrawal bigger than the buffer: the next exit report asks for exits.
    let amount = eth(40);
    w.client
        // A few wei above the amount: the queue takes the shares rounded up.
        .send(
            w.alice,
            pool,
            IPool::approveCall { spender: queue, amount: amount + U256::from(1_000u64) },
            U256::ZERO,
        )
        .await
        .unwrap();
    w.client
        .send(
            w.alice,
            queue,
            IWithdrawalQueue::requestWithdrawalsCall { amounts: vec![amount], owner: w.alice },
            U256::ZERO,
        )
        .await
        .unwrap();
    w.next_frame().await;
    let exit = w.exit_report().await;
    let requests =
        tidepool_interfaces::exit_report::entries(&exit.data.exitRequests).expect("well formed");
    let needed = exit.shortfall.div_ceil(eth(32)).saturating_to::<u64>();
    assert!(needed >= 1, "the buffer does not cover 40 ETH");
    assert_eq!(requests, vec![(0, needed)], "the oldest keys of the one operator");
    let asked = w
        .client
        .view(
            w.module(),
            IStakingModule::getExitRequestedCountCall { node_operator_id: U256::ZERO },
        )
        .await
        .unwrap();
    assert_eq!(asked, needed);
    // The accounting report of this frame cannot finalize yet.
    w.report().await;
    let status = w
        .client
        .view(queue, IWithdrawalQueue::getWithdrawalStatusCall { request_ids: vec![U256::from(1)] })
        .await
        .unwrap();
    assert!(!status[0].isFinalized);

    // The dev operator performs the exits; the exited ether is swept to the vault.
    let (_, performed) = local::perform_exits(&w.client, w.module(), None, 0).await.unwrap();
    assert_eq!(performed.len() as u64, needed);
    let vault_before = w.client.balance(w.vault()).await.unwrap();
    // Exit after 4 epochs, withdrawable 8 later: a block 20 epochs on carries the sweep (a
    // block an epoch would do the same; this chain mines only when asked).
    w.pass(20 * EPOCH).await;
    w.next_frame().await;
    let (ref_slot, _) = w.frame().await;
    let statuses = w.statuses(ref_slot).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == Some(ValidatorStatus::WithdrawalDone)).count() as u64,
        needed
    );
    let vault_now = w.client.balance(w.vault()).await.unwrap();
    assert!(vault_now > vault_before + eth(31) * U256::from(needed), "full balances swept");

    // The next report finalizes the request with the exited ether; Alice claims it.
    let file = w.report().await;
    assert!(!file.data.withdrawalFinalizationBatches.is_empty());
    let status = w
        .client
        .view(queue, IWithdrawalQueue::getWithdrawalStatusCall { request_ids: vec![U256::from(1)] })
        .await
        .unwrap();
    assert!(status[0].isFinalized);
    let claimable = w
        .client
        .view(
            queue,
            IWithdrawalQueue::getClaimableEtherCall {
                request_ids: vec![U256::from(1)],
                hints: vec![U256::from(1)],
            },
        )
        .await
        .unwrap()[0];
    let before = w.client.balance(w.alice).await.unwrap();
    let receipt = w
        .client
        .send(
            w.alice,
            queue,
            IWithdrawalQueue::claimWithdrawalCall { request_id: U256::from(1) },
            U256::ZERO,
        )
        .await
        .unwrap();
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(w.client.balance(w.alice).await.unwrap(), before + claimable - fee);
    assert!(claimable <= amount && claimable + U256::from(1) >= amount, "{claimable}: nominal");

    // This frame's exit report records the exits on the module and asks for none.
    let exit = w.exit_report().await;
    assert!(exit.data.exitRequests.is_empty(), "the vault covers the queue");
    assert_eq!(
        tidepool_interfaces::exit_report::entries(&exit.data.exitedCounts).unwrap(),
        vec![(0, needed)]
    );
    let op = w
        .client
        .view(w.module(), IStakingModule::getNodeOperatorCall { node_operator_id: U256::ZERO })
        .await
        .unwrap();
    assert_eq!(op._7, needed, "exited validators on the module");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_strangers_validator_with_the_vaults_credentials_changes_nothing() {
    let Some(w) = world().await else { return };
    let pool = w.d.contracts.pool.address;
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(32))
        .await
        .unwrap();
    let guardians: Vec<_> = w.committee.iter().take(3).collect();
    deposit::deposit(&w.client, &w.d, w.alice, 1, &guardians).await.expect("deposit");

    // A stranger deposits 1 ETH for their own key, with the protocol's withdrawal vault.
    let stranger = DepositKey::from_seed(b"a stranger", 0);
    let credentials = withdrawal_credentials(w.vault(), false);
    let signed = stranger.sign_deposit(credentials, GWEI_PER_ETH, ForkVersion::MAINNET);
    let deposit_contract = w.d.module.as_ref().unwrap().deposit_contract;
    w.client
        .send(
            w.alice,
            deposit_contract,
            IDepositContract::depositCall {
                pubkey: Bytes::copy_from_slice(&signed.pubkey),
                withdrawal_credentials: Bytes::copy_from_slice(credentials.as_slice()),
                signature: Bytes::copy_from_slice(&signed.signature),
                deposit_data_root: signed.deposit_data_root,
            },
            eth(1),
        )
        .await
        .expect("anyone may deposit");
    w.pass(10 * EPOCH).await;
    w.next_frame().await;

    let (ref_slot, _) = w.frame().await;
    // The beacon chain shows two validators with the vault's credentials.
    let everything = w
        .beacon
        .validators(ref_slot, &Ownership::credentials(w.vault()), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(everything.validators, 2);
    // By credentials alone, the report would claim more validators than were deposited,
    // which the oracle refuses: that was the halt.
    let (deposited, _, _) = w.beacon_stat().await;
    assert!(U256::from(everything.validators) > deposited);

    let file = w.report().await;
    assert_eq!(file.foreign_validators, 1);
    assert_eq!(file.data.numValidators, U256::from(1));
    let (validators, balance) = w.beacon_balance(ref_slot).await;
    assert_eq!((validators, file.data.clBalanceGwei), (1, U256::from(balance)));
    let (_, seen, cl_balance) = w.beacon_stat().await;
    assert_eq!((seen, cl_balance), (U256::from(1), gwei(balance)));
}
