//! Test harness: the oracle and the real pool (its three contracts), each over its own
//! `TestHost`, so each keeps its own storage as on chain; the oracle's calls to the pool run
//! the pool's router with `msg.sender` = the oracle. A transaction that reverts restores both
//! storages, as the chain does.
#![allow(dead_code, missing_docs)]

use std::collections::HashMap;

use alloy_primitives::{address, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolStruct, SolValue};
use tidepool_oracle::programs::OracleAdmin;
use tidepool_oracle::{roles, ExitReport, Oracle, OracleReportLimits, ReportData};
use tidepool_pool::programs::{PoolAccounting, PoolAdmin};
use tidepool_pool::{
    interfaces::{IVault, IWithdrawalQueue},
    roles as pool_roles, Pool,
};
pub use tidepool_testing::*;

/// The queue: the first contract `0x…d1` deploys (the end-to-end test runs a real one there).
pub const QUEUE: Address = address!("c5806ea76348d369460284f39e7b65027e6052ba");

pub const GENESIS: u64 = 1_600_000_000;
pub const SECONDS_PER_SLOT: u64 = 12;
pub const SLOTS_PER_EPOCH: u64 = 32;
pub const INITIAL_EPOCH: u64 = 1;
/// One day of epochs, as Lido's accounting oracle.
pub const EPOCHS_PER_FRAME: u64 = 225;
pub const CONSENSUS_VERSION: u64 = 1;

/// The pool's deployer and address: `DEPLOYER`'s first CREATE; the oracle is the second.
pub fn pool_address() -> Address {
    DEPLOYER.create(0)
}
pub fn oracle_address() -> Address {
    DEPLOYER.create(1)
}

sol! {
    /// EIP-1271, as the oracle asks a contract member.
    function isValidSignature(bytes32 hash, bytes signature) returns (bytes4);
    /// The oracle's ABI as a caller uses it (struct-taking functions: see [`call_with`]).
    interface IOracle {
        function getQuorum() external view returns (uint64);
        function getCurrentFrame() external view returns (uint64, uint64);
        function getOracleReportLimits() external view returns (uint256, uint256, uint256, uint256, uint256);
    }
}

/// The `ReportData` tuple type, as selectors spell it.
pub const REPORT_TUPLE: &str =
    "(uint256,uint256,uint256,uint256,uint256,uint256,uint256[],uint256,bool)";

/// The `ExitReport` tuple type, as selectors spell it.
pub const EXIT_REPORT_TUPLE: &str = "(uint256,uint256,bytes,bytes)";

/// Calldata `selector(signature) ‖ abi.encode(args...)`.
pub fn call_with<T>(signature: &str, args: T) -> Vec<u8>
where
    T: SolValue,
    for<'a> <T::SolType as alloy_sol_types::SolType>::Token<'a>: alloy_sol_types::abi::TokenSeq<'a>,
{
    let mut data = alloy_primitives::keccak256(signature.as_bytes())[..4].to_vec();
    data.extend(args.abi_encode_params());
    data
}

/// `hashReport(data)` calldata.
pub fn hash_report_call(data: &ReportData) -> Vec<u8> {
    call_with(&format!("hashReport({REPORT_TUPLE})"), (data.clone(),))
}

/// Snapshot of a host's storage.
fn storage(host: &TestHost) -> HashMap<U256, B256> {
    host.snapshot().storage
}

fn restore(host: &TestHost, saved: &HashMap<U256, B256>) {
    host.clear_storage();
    for (k, v) in saved {
        host.set_storage(*k, *v);
    }
}

/// The oracle and the pool, each on its own host.
pub struct Env {
    pub vm: TestHost,
    pub pool_vm: TestHost,
    pub oracle: Oracle,
    /// `OracleAdmin` over the oracle's host: what the oracle's fallback runs.
    pub admin: OracleAdmin,
    pub pool: Pool,
    pub accounting: PoolAccounting,
    pub pool_admin: PoolAdmin,
    /// Member keys, by test-key number.
    pub members: Vec<u8>,
}

impl Env {
    /// A pool with 1 ether of initial stake and `ALICE`'s 320 ether, 10 validators deposited;
    /// an oracle whose members are test keys 1..=`n` with `quorum`; time in frame 1 (frame 0
    /// is the first; frame 1 starts a day later), nothing reported.
    pub fn new(n: u8, quorum: u64) -> Self {
        // Both clocks are set to frame 0 below.
        let pool_vm = contract_host(pool_address());
        pool_vm.set_block_number(100);
        let vm = contract_host(oracle_address());
        vm.set_block_number(100);
        let mut env = Env {
            oracle: Oracle::from(&vm),
            admin: OracleAdmin::from(&vm),
            pool: Pool::from(&pool_vm),
            accounting: PoolAccounting::from(&pool_vm),
            pool_admin: PoolAdmin::from(&pool_vm),
            vm,
            pool_vm,
            members: vec![],
        };
        env.set_time(env.frame_start(0));
        env.install_pool();
        env.init_pool();
        env.init_oracle().expect("initialize");
        env.as_(ADMIN);
        for role in [
            roles::MANAGE_MEMBERS_AND_QUORUM_ROLE,
            roles::MANAGE_FRAME_CONFIG_ROLE,
            roles::MANAGE_CONSENSUS_VERSION_ROLE,
            roles::MANAGE_LIMITS_ROLE,
        ] {
            env.admin.grant_role(role, ADMIN).expect("grant");
        }
        for k in 1..=n {
            let q = if k == n { quorum } else { u64::from(k) };
            env.admin.add_member(key(k), q).expect("add member");
            env.members.push(k);
        }
        env.set_time(env.frame_start(1));
        env.vm.clear_mocks();
        env.pool_vm.clear_mocks();
        env.mock_queue_idle();
        env
    }

    /// Pool code on the oracle's host runs the pool's router on the pool's host, with the
    /// oracle as sender; a revert restores the pool's storage.
    fn install_pool(&self) {
        install::<OracleAdmin>(&self.vm, ORACLE_ADMIN);
        serve::<Pool>(&self.vm, pool_address(), &self.pool_vm);
        install::<PoolAccounting>(&self.pool_vm, ACCOUNTING);
        install::<PoolAdmin>(&self.pool_vm, POOL_ADMIN);
    }

    fn init_pool(&mut self) {
        self.pool_vm.set_sender(DEPLOYER);
        self.pool_vm.set_value(ETH);
        let accounts = PoolAccounts { oracle: oracle_address(), ..PoolAccounts::with_queue(QUEUE) };
        self.pool_vm.route::<Pool>(&accounts.initialize_call(0)).expect("pool initialize");
        self.pool_vm.set_sender(ADMIN);
        self.pool_vm.set_value(U256::ZERO);
        self.pool_admin.grant_role(pool_roles::DEPOSIT_ROLE, ADMIN).expect("grant");
        self.pool_vm.set_sender(ALICE);
        self.pool_vm.set_value(eth(320));
        self.pool.submit(Address::ZERO).expect("submit");
        self.pool_vm.set_value(U256::ZERO);
        // The module takes the ten deposits (its `deposit(10)` with 320 ETH).
        let deposit =
            tidepool_pool::interfaces::IStakingModule::depositCall { validators: U256::from(10) };
        self.pool_vm.mock_call(MODULE, deposit.abi_encode(), eth(320), Ok(vec![]));
        self.mock_queue_idle();
        self.pool_vm.set_sender(ADMIN);
        self.accounting.deposit(U256::from(10)).expect("deposit");
    }

    pub fn init_oracle(&mut self) -> Result<(), Vec<u8>> {
        self.vm.set_sender(DEPLOYER);
        self.oracle.initialize(
            1,
            ADMIN,
            pool_address(),
            ORACLE_ADMIN,
            CONSENSUS_VERSION,
            GENESIS,
            SECONDS_PER_SLOT,
            SLOTS_PER_EPOCH,
            INITIAL_EPOCH,
            EPOCHS_PER_FRAME,
        )
    }

    /// The queue reports nothing unfinalised (the pool asks before deposits).
    pub fn mock_queue_idle(&self) {
        self.pool_vm.mock_static_call(
            QUEUE,
            IWithdrawalQueue::unfinalizedStETHCall {}.abi_encode(),
            Ok(U256::ZERO.to_be_bytes::<32>().to_vec()),
        );
    }

    /// Next calls to the oracle come from `who`.
    pub fn as_(&self, who: Address) {
        self.vm.set_sender(who);
        self.vm.set_value(U256::ZERO);
    }

    pub fn set_time(&self, t: u64) {
        self.vm.set_block_timestamp(t);
        self.pool_vm.set_block_timestamp(t);
    }

    /// Unix time at which frame `k` starts (with the default frame configuration).
    pub fn frame_start(&self, k: u64) -> u64 {
        GENESIS + (INITIAL_EPOCH + k * EPOCHS_PER_FRAME) * SLOTS_PER_EPOCH * SECONDS_PER_SLOT
    }

    /// The reference slot of frame `k`.
    pub fn ref_slot(&self, k: u64) -> u64 {
        (INITIAL_EPOCH + k * EPOCHS_PER_FRAME) * SLOTS_PER_EPOCH - 1
    }

    /// The current frame's reference slot.
    pub fn current_ref_slot(&self) -> u64 {
        self.admin.get_current_frame().expect("frames began").0
    }

    /// The vaults hold `withdrawals` and `el_rewards` and pay the pool whatever it asks (the
    /// pool's cap decides how much).
    pub fn fund_vaults(&self, withdrawals: U256, el_rewards: U256) {
        self.vm.set_balance(WITHDRAWAL_VAULT, withdrawals);
        self.vm.set_balance(REWARDS_VAULT, el_rewards);
        for vault in [WITHDRAWAL_VAULT, REWARDS_VAULT] {
            self.pool_vm.on_call(vault, |_| Ok(vec![]));
        }
    }

    /// A pool that pays out `amount` from `vault` when asked.
    pub fn mock_vault_pays(&self, vault: Address, amount: U256) {
        self.pool_vm.mock_call(
            vault,
            IVault::withdrawCall { amount }.abi_encode(),
            U256::ZERO,
            Ok(vec![]),
        );
    }

    /// A report for the current frame: 10 validators with `cl_gwei`, nothing else.
    pub fn report(&self, cl_gwei: u64) -> ReportData {
        ReportData {
            consensusVersion: U256::from(CONSENSUS_VERSION),
            refSlot: U256::from(self.current_ref_slot()),
            numValidators: U256::from(10),
            clBalanceGwei: U256::from(cl_gwei),
            withdrawalVaultBalance: U256::ZERO,
            elRewardsVaultBalance: U256::ZERO,
            withdrawalFinalizationBatches: vec![],
            simulatedShareRate: U256::ZERO,
            isBunkerMode: false,
        }
    }

    /// The digest members sign, by alloy's EIP-712 encoder (independent of the oracle's).
    pub fn digest(&self, data: &ReportData) -> B256 {
        let (name, version) = (tidepool_oracle::NAME, tidepool_oracle::VERSION);
        let domain = tidepool_interfaces::eip712::domain(
            name,
            version,
            U256::from(CHAIN_ID),
            oracle_address(),
        );
        data.eip712_signing_hash(&domain)
    }

    /// Key `k`'s 65-byte signature of `data`.
    pub fn sign(&self, k: u8, data: &ReportData) -> Bytes {
        let (v, r, s) = sign_digest(k, self.digest(data));
        Bytes::from(tidepool_common::signature::pack_signature(v, r, s).to_vec())
    }

    /// Signatures of `keys` over `data`, in ascending signer order.
    pub fn sign_sorted(&self, keys: &[u8], data: &ReportData) -> Vec<Bytes> {
        let mut keys = keys.to_vec();
        keys.sort_by_key(|k| key(*k));
        keys.iter().map(|k| self.sign(*k, data)).collect()
    }

    /// The first `n` members' signatures, ascending.
    pub fn quorum_signatures(&self, n: usize, data: &ReportData) -> Vec<Bytes> {
        let mut keys = self.members.clone();
        keys.sort_by_key(|k| key(*k));
        keys.truncate(n);
        self.sign_sorted(&keys, data)
    }

    /// `submitReport` as a transaction from `RELAYER` through the oracle's router: on a
    /// revert both storages are restored and the revert data returned.
    pub fn submit(&self, data: &ReportData, signatures: Vec<Bytes>) -> Result<(), Vec<u8>> {
        let calldata =
            call_with(&format!("submitReport({REPORT_TUPLE},bytes[])"), (data.clone(), signatures));
        self.route(RELAYER, calldata).map(|_| ())
    }

    /// Runs `calldata` from `from` through the oracle's router as a transaction.
    pub fn route(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        let (saved, saved_pool) = (storage(&self.vm), storage(&self.pool_vm));
        self.as_(from);
        let out = self.vm.route::<Oracle>(&calldata);
        if out.is_err() {
            restore(&self.vm, &saved);
            restore(&self.pool_vm, &saved_pool);
        }
        out
    }

    /// Submits and asserts the revert is exactly `expected` and nothing changed.
    pub fn assert_rejected<E: SolError>(
        &self,
        data: &ReportData,
        signatures: Vec<Bytes>,
        expected: E,
    ) {
        let (before, before_pool) = (storage(&self.vm), storage(&self.pool_vm));
        let err = self.submit(data, signatures).expect_err("the report must be rejected");
        assert_eq!(err, expected.abi_encode(), "wrong revert (got {})", hex(&err));
        assert_eq!(before, storage(&self.vm), "oracle storage changed");
        assert_eq!(before_pool, storage(&self.pool_vm), "pool storage changed");
    }

    /// [`Env::assert_rejected`] with the first `n` members' signatures.
    pub fn assert_signed_rejected<E: SolError>(&self, n: usize, data: &ReportData, expected: E) {
        self.assert_rejected(data, self.quorum_signatures(n, data), expected);
    }

    /// An exit report for the current frame with the two lists packed.
    pub fn exit_report(&self, requests: &[(u64, u64)], exited: &[(u64, u64)]) -> ExitReport {
        use tidepool_interfaces::exit_report::encode;
        ExitReport {
            consensusVersion: U256::from(CONSENSUS_VERSION),
            refSlot: U256::from(self.current_ref_slot()),
            exitRequests: encode(requests).into(),
            exitedCounts: encode(exited).into(),
        }
    }

    /// The exit report's digest, by alloy's EIP-712 encoder (independent of the oracle's).
    pub fn exit_digest(&self, data: &ExitReport) -> B256 {
        let (name, version) = (tidepool_oracle::NAME, tidepool_oracle::VERSION);
        let domain = tidepool_interfaces::eip712::domain(
            name,
            version,
            U256::from(CHAIN_ID),
            oracle_address(),
        );
        data.eip712_signing_hash(&domain)
    }

    /// The first `n` members' signatures of the exit report, ascending.
    pub fn exit_signatures(&self, n: usize, data: &ExitReport) -> Vec<Bytes> {
        let mut keys = self.members.clone();
        keys.sort_by_key(|k| key(*k));
        keys.truncate(n);
        let digest = self.exit_digest(data);
        keys.iter()
            .map(|k| {
                let (v, r, s) = sign_digest(*k, digest);
                Bytes::from(tidepool_common::signature::pack_signature(v, r, s).to_vec())
            })
            .collect()
    }

    /// `submitExitReport` as a transaction from `RELAYER` through the oracle's router.
    pub fn submit_exit(&self, data: &ExitReport, signatures: Vec<Bytes>) -> Result<(), Vec<u8>> {
        let calldata = call_with(
            &format!("submitExitReport({EXIT_REPORT_TUPLE},bytes[])"),
            (data.clone(), signatures),
        );
        self.route(RELAYER, calldata).map(|_| ())
    }

    /// Submits the exit report and asserts the revert is exactly `expected` (raw revert
    /// data) and nothing changed.
    pub fn assert_exit_rejected(
        &self,
        data: &ExitReport,
        signatures: Vec<Bytes>,
        expected: Vec<u8>,
    ) {
        let (before, before_pool) = (storage(&self.vm), storage(&self.pool_vm));
        let calls = self.vm.calls().len();
        let err = self.submit_exit(data, signatures).expect_err("the exit report must be rejected");
        assert_eq!(hex(&err), hex(&expected), "wrong revert");
        assert_eq!(before, storage(&self.vm), "oracle storage changed");
        assert_eq!(before_pool, storage(&self.pool_vm), "pool storage changed");
        let module_calls = self.vm.calls()[calls..].iter().filter(|c| c.0 == MODULE).count();
        assert!(module_calls <= 1, "at most the refusing call reached the module");
    }

    /// The staking module (at the pool's `MODULE`) as the oracle's host sees it: code, and
    /// `answer` to every call.
    pub fn serve_module(&self, answer: Result<Vec<u8>, Vec<u8>>) {
        self.vm.set_code(MODULE, program_code());
        self.vm.on_call(MODULE, move |_| answer.clone());
    }

    /// The calldata of every call the oracle made to the module.
    pub fn module_calls(&self) -> Vec<Vec<u8>> {
        self.vm.calls().into_iter().filter(|c| c.0 == MODULE).map(|c| c.1).collect()
    }

    /// Decoded events of type `E` emitted by the oracle.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.vm.events()
    }

    /// Decoded events of type `E` emitted by the pool.
    pub fn pool_events<E: SolEvent>(&self) -> Vec<E> {
        self.pool_vm.events()
    }

    pub fn set_limits(&self, f: impl FnOnce(&mut OracleReportLimits)) {
        let calldata = IOracle::getOracleReportLimitsCall {}.abi_encode();
        let out = self.route(ADMIN, calldata).expect("view");
        let mut limits = <OracleReportLimits as SolValue>::abi_decode(&out).expect("limits");
        f(&mut limits);
        self.as_(ADMIN);
        let mut oracle = OracleAdmin::from(&self.vm);
        oracle.set_oracle_report_limits(limits).expect("set limits");
    }

    /// `(deposited, clValidators, clBalance)` of the pool.
    pub fn beacon_stat(&self) -> (U256, U256, U256) {
        self.accounting.get_beacon_stat()
    }

    pub fn total_pooled(&self) -> U256 {
        self.pool.get_total_pooled_ether()
    }

    pub fn total_shares(&self) -> U256 {
        self.pool.get_total_shares()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `abi.encode(member, signature)`: a contract member's signature entry.
pub fn contract_signature(member: Address, signature: &[u8]) -> Bytes {
    Bytes::from((member, Bytes::from(signature.to_vec())).abi_encode_params())
}
