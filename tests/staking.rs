//! The protocol's own staking module end to end, on the embedded node with the built wasm:
//! a deployment with the module, the deposit guard and the local deposit contract, a node
//! operator whose keys are uploaded and vetted, and deposits that need the guardians' quorum.
//! Each deposit must reach the deposit contract as one `DepositEvent` per key, with the
//! withdrawal vault's credentials, 32 ETH, and a deposit data root the contract accepted:
//! its Merkle root must equal the one `tidepool-beacon` computes from the events.

#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, U256};
use tidepool_beacon::{
    deposit_data_root,
    signing::{verify_deposit_signature, DepositKey, ForkVersion},
    DepositTree, FULL_DEPOSIT_GWEI,
};
use tidepool_deploy::{
    deploy_protocol,
    deposit::{self, attestation},
    Client, DeployOptions, Deployment, OperatorSetup, PrivateKeySigner,
};
use tidepool_e2e::{eth, key};
use tidepool_interfaces::{roles, IDepositGuard, IPool, IStakingModule};
use tidepool_node::node::{Node, NodeConfig};

alloy_sol_types::sol! {
    /// The deposit contract's event and views.
    interface IBeaconDeposit {
        event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);
        function get_deposit_root() external view returns (bytes32);
        function get_deposit_count() external view returns (bytes);
    }
}

/// Keys of the test operator: `tidepool-beacon`'s deterministic dev keys.
const KEYS: u32 = 6;
/// Their seed.
const SEED: &[u8] = b"tidepool e2e operator";

struct World {
    client: Client,
    d: Deployment,
    deployer: Address,
    alice: Address,
    committee: Vec<PrivateKeySigner>,
    pubkeys: Vec<[u8; 48]>,
    _node: tidepool_node::node::NodeHandle,
}

async fn world() -> Option<World> {
    let artifacts = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm");
    if !artifacts.join(tidepool_programs::Program::DepositGuard.code_file()).exists() {
        assert!(std::env::var_os("CI").is_none(), "target/wasm missing on CI");
        eprintln!("SKIPPED: run `tidepool build` first");
        return None;
    }
    let node = Node::spawn(NodeConfig::ephemeral()).expect("node");
    let deployer = PrivateKeySigner::from_bytes(&node.chain().lock().signers()[0].to_bytes())
        .expect("dev key");
    let alice = key("alice");
    let committee: Vec<_> = (1..=5).map(|i| key(&format!("member {i}"))).collect();
    let client =
        Client::connect(&node.url(), [deployer.clone(), alice.clone()]).await.expect("rpc");
    let operator = OperatorSetup {
        name: "e2e operator".into(),
        reward_address: key("operator rewards").address(),
        key_seed: SEED.to_vec(),
        keys: KEYS,
    };
    let options = DeployOptions {
        artifacts,
        members: committee.iter().map(PrivateKeySigner::address).collect(),
        quorum: Some(3),
        operators: vec![operator],
        ..DeployOptions::default()
    };
    let d =
        deploy_protocol(&client, deployer.address(), &options, &mut |_| {}).await.expect("deploy");
    client
        .transfer(deployer.address(), alice.address(), eth(500), Default::default())
        .await
        .expect("fund");
    Some(World {
        client,
        d,
        deployer: deployer.address(),
        alice: alice.address(),
        committee,
        pubkeys: (0..KEYS).map(|i| DepositKey::from_seed(SEED, i).pubkey()).collect(),
        _node: node,
    })
}

impl World {
    fn module(&self) -> Address {
        self.d.module.as_ref().expect("own module").staking_module.address
    }

    fn guard(&self) -> Address {
        self.d.module.as_ref().expect("own module").deposit_guard.address
    }

    fn deposit_contract(&self) -> Address {
        self.d.module.as_ref().expect("own module").deposit_contract
    }

    fn guardians(&self, n: usize) -> Vec<&PrivateKeySigner> {
        self.committee.iter().take(n).collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guarded_deposits_reach_the_deposit_contract_with_the_vaults_credentials() {
    let Some(w) = world().await else { return };
    let module = w.d.module.clone().expect("own module");
    assert_eq!(module.guardians.len(), 5, "the committee guards deposits by default");
    assert_eq!(module.guardian_quorum, 3);
    let pool = w.d.contracts.pool.address;
    // The guard alone holds the pool's DEPOSIT_ROLE.
    let role = roles::pool::DEPOSIT_ROLE;
    assert!(w.client.view(pool, IPool::hasRoleCall { role, account: w.guard() }).await.unwrap());
    assert!(!w.client.view(pool, IPool::hasRoleCall { role, account: w.deployer }).await.unwrap());
    let summary = w.client.view(w.module(), IStakingModule::getStakingModuleSummaryCall {}).await;
    assert_eq!(summary.unwrap()._2, U256::from(KEYS), "every key vetted and depositable");

    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(100))
        .await
        .expect("stake");
    let receipt = deposit::deposit(&w.client, &w.d, w.alice, 2, &w.guardians(3))
        .await
        .expect("a quorum deposits");

    // Two deposit events, the operator's first two keys, the vault's credentials.
    let events: Vec<IBeaconDeposit::DepositEvent> = Client::events(&receipt, w.deposit_contract());
    assert_eq!(events.len(), 2);
    let vault = w.d.contracts.withdrawal_vault.address;
    let credentials = tidepool_beacon::withdrawal_credentials(vault, false);
    assert_eq!(module.withdrawal_credentials, credentials);
    let mut tree = DepositTree::default();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.pubkey.as_ref(), w.pubkeys[i].as_slice());
        assert_eq!(event.withdrawal_credentials.as_ref(), credentials.as_slice());
        assert_eq!(event.amount.as_ref(), FULL_DEPOSIT_GWEI.to_le_bytes().as_slice());
        assert_eq!(event.index.as_ref(), (i as u64).to_le_bytes().as_slice());
        let pubkey: [u8; 48] = event.pubkey.as_ref().try_into().unwrap();
        let signature: [u8; 96] = event.signature.as_ref().try_into().unwrap();
        verify_deposit_signature(
            &pubkey,
            &credentials,
            FULL_DEPOSIT_GWEI,
            &signature,
            ForkVersion::MAINNET,
        )
        .expect("the dev operator's deposit signatures are valid BLS");
        tree.push(deposit_data_root(&pubkey, &credentials, FULL_DEPOSIT_GWEI, &signature))
            .expect("room in the tree");
    }
    let root = w.client.view(w.deposit_contract(), IBeaconDeposit::get_deposit_rootCall {}).await;
    assert_eq!(root.unwrap(), tree.root(), "the contract accepted exactly these roots");
    let stat = w.client.view(pool, IPool::getBeaconStatCall {}).await.unwrap();
    assert_eq!(stat._0, U256::from(2), "the pool counts the module's deposits");
    let op = w
        .client
        .view(w.module(), IStakingModule::getNodeOperatorCall { node_operator_id: U256::ZERO })
        .await
        .unwrap();
    assert_eq!(op._6, 2, "two keys deposited");
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_short_and_paused_attestations_are_refused() {
    let Some(w) = world().await else { return };
    let pool = w.d.contracts.pool.address;
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(100))
        .await
        .expect("stake");
    let module = w.d.module.clone().expect("own module");

    // Nobody but the guard can deposit.
    let err = w
        .client
        .send(w.deployer, pool, IPool::depositCall { validators: U256::from(1) }, U256::ZERO)
        .await
        .expect_err("the deployer holds no DEPOSIT_ROLE");
    assert!(err.reverted_with::<IPool::AccessControlUnauthorizedAccount>().is_some(), "{err}");

    // Two of five guardians are no quorum.
    let err = deposit::deposit(&w.client, &w.d, w.alice, 1, &w.guardians(2)).await.unwrap_err();
    assert!(err.reverted_with::<IDepositGuard::QuorumNotReached>().is_some(), "{err}");

    // An attestation made before a deposit is void after it (the root and nonce moved on).
    let before = attestation(&w.client, &module).await.unwrap();
    let signatures =
        tidepool_deploy::report::sign_ascending(before.digest, &w.guardians(3)).unwrap();
    deposit::deposit(&w.client, &w.d, w.alice, 1, &w.guardians(3)).await.expect("deposit");
    let replay = IDepositGuard::depositBufferedEtherCall {
        validators: U256::from(1),
        block_number: U256::from(before.block_number),
        block_hash: before.block_hash,
        deposit_root: before.deposit_root,
        nonce: before.nonce,
        signatures,
    };
    let err = w.client.send(w.alice, w.guard(), replay, U256::ZERO).await.unwrap_err();
    assert!(err.reverted_with::<IDepositGuard::DepositRootChanged>().is_some(), "{err}");

    // The pool's refusals come back through the guard unchanged: too little ETH, then (with
    // enough) more keys than the module has left.
    let err = deposit::deposit(&w.client, &w.d, w.alice, u64::from(KEYS), &w.guardians(3))
        .await
        .unwrap_err();
    assert!(err.reverted_with::<IPool::InsufficientDepositableEther>().is_some(), "{err}");
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(300))
        .await
        .expect("stake");
    let err = deposit::deposit(&w.client, &w.d, w.alice, u64::from(KEYS), &w.guardians(3))
        .await
        .unwrap_err();
    assert!(err.reverted_with::<IPool::DepositTransferFailed>().is_some(), "{err}");

    // One guardian pauses; nothing deposits until the admin resumes.
    let guardian = w.committee[4].address();
    let client = Client::connect(w.client.url(), [w.committee[4].clone()]).await.unwrap();
    w.client.transfer(w.deployer, guardian, eth(1), Default::default()).await.unwrap();
    let pause = IDepositGuard::pauseDepositsCall {
        block_number: U256::ZERO,
        signature: Default::default(),
    };
    client.send(guardian, w.guard(), pause, U256::ZERO).await.expect("a guardian pauses");
    let err = deposit::deposit(&w.client, &w.d, w.alice, 1, &w.guardians(3)).await.unwrap_err();
    assert!(err.reverted_with::<IDepositGuard::DepositsArePaused>().is_some(), "{err}");
    w.client
        .send(w.deployer, w.guard(), IDepositGuard::unpauseDepositsCall {}, U256::ZERO)
        .await
        .expect("the admin resumes");
    deposit::deposit(&w.client, &w.d, w.alice, 1, &w.guardians(3)).await.expect("deposit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_exit_report_asks_the_operator_to_exit_its_oldest_validators() {
    use tidepool_deploy::exit_report::{self, sign_exit, submit_exit_report};
    use tidepool_interfaces::IOracle;
    let Some(w) = world().await else { return };
    let (pool, oracle) = (w.d.contracts.pool.address, w.d.contracts.oracle.address);
    let role = roles::staking_module::REPORT_EXITS_ROLE;
    let granted = IStakingModule::hasRoleCall { role, account: oracle };
    assert!(w.client.view(w.module(), granted).await.unwrap(), "the deployment grants it");
    w.client
        .send(w.alice, pool, IPool::submitCall { referral: Address::ZERO }, eth(200))
        .await
        .expect("stake");
    deposit::deposit(&w.client, &w.d, w.alice, 4, &w.guardians(3)).await.expect("deposit");

    let data = exit_report::prepare(&w.client, &w.d, &[(0, 2)], &[(0, 1)]).await.unwrap();
    let hashed = w.client.view(oracle, IOracle::hashExitReportCall { data: data.clone() }).await;
    assert_eq!(hashed.unwrap(), exit_report::exit_digest(&data, w.d.chain_id, oracle));
    let members: Vec<_> = w.committee.iter().take(3).collect();
    let signatures = sign_exit(&data, w.d.chain_id, oracle, &members).unwrap();
    let receipt = submit_exit_report(&w.client, oracle, w.alice, data.clone(), signatures.clone())
        .await
        .expect("a quorum's exit report applies");

    // One event per key, the operator's two oldest deposited keys, in key order.
    let asked: Vec<IStakingModule::ValidatorExitRequested> = Client::events(&receipt, w.module());
    assert_eq!(asked.len(), 2);
    for (i, event) in asked.iter().enumerate() {
        assert_eq!((event.nodeOperatorId, event.keyIndex), (U256::ZERO, U256::from(i)));
        assert_eq!(event.pubkey.as_ref(), w.pubkeys[i].as_slice());
    }
    let accepted: Vec<IOracle::ExitReportAccepted> = Client::events(&receipt, oracle);
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].exitRequests, U256::from(2));
    let requested = IStakingModule::getExitRequestedCountCall { node_operator_id: U256::ZERO };
    assert_eq!(w.client.view(w.module(), requested).await.unwrap(), 2);
    let op = IStakingModule::getNodeOperatorCall { node_operator_id: U256::ZERO };
    assert_eq!(w.client.view(w.module(), op).await.unwrap()._7, 1, "one validator exited");

    // Once per frame.
    let again = submit_exit_report(&w.client, oracle, w.alice, data, signatures).await;
    assert!(again.unwrap_err().reverted_with::<IOracle::RefSlotAlreadyProcessed>().is_some());
}
