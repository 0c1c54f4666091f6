//! Test harness: a pool initialised on a `TestVM`, with the other protocol contracts mocked.
#![allow(dead_code, missing_docs)]

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolEvent};
use tidepool_interfaces::eip712;
use tidepool_pool::programs::{PoolAccounting, PoolAdmin};
use tidepool_pool::{
    interfaces::{IStakingModule, IVault, IWithdrawalQueue},
    roles, Pool, PoolError,
};

pub use tidepool_testing::*;

/// Installs the pool's accounting and admin programs on `vm` at `ACCOUNTING` and
/// `ADMIN_CONTRACT`, as the chain has them.
pub fn install_pool_contracts(vm: &TestHost) {
    install::<PoolAccounting>(vm, ACCOUNTING);
    install::<PoolAdmin>(vm, ADMIN_CONTRACT);
}

/// The pool's admin program (the name `initialize` and `getPoolContracts` use).
pub const ADMIN_CONTRACT: Address = POOL_ADMIN;

pub const INITIAL_STAKE: U256 = ETH;

/// The module's `deposit(validators)` call that sends it `amount` (32 ETH per validator).
pub fn module_deposit(amount: U256) -> Vec<u8> {
    IStakingModule::depositCall { validators: amount / eth(32) }.abi_encode()
}

sol! {
    /// The pool's public ABI as integrators call it; routing tests check the Lido names.
    interface IPool {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        function sharesOf(address account) external view returns (uint256);
        function getTotalShares() external view returns (uint256);
        function getTotalPooledEther() external view returns (uint256);
        function getTotalSharesAndPooledEther() external view returns (uint256, uint256);
        function getSharesByPooledEth(uint256 ethAmount) external view returns (uint256);
        function getPooledEthByShares(uint256 sharesAmount) external view returns (uint256);
        function getPooledEthBySharesRoundUp(uint256 sharesAmount) external view returns (uint256);
        function transferShares(address to, uint256 sharesAmount) external returns (uint256);
        function submit(address referral) external payable returns (uint256);
        function getBufferedEther() external view returns (uint256);
        function getBeaconStat() external view returns (uint256, uint256, uint256);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function eip712Domain() external view returns (bytes1, string, string, uint256, address, bytes32, uint256[]);
        function nonces(address owner) external view returns (uint256);
        function isStakingPaused() external view returns (bool);
        function getCurrentStakeLimit() external view returns (uint256);
        function getFee() external view returns (uint16);
        function setFee(uint16 treasuryFeeBasisPoints, uint16 moduleFeeBasisPoints) external;
        function stop() external;
        function isStopped() external view returns (bool);
        function receiveVaultFunds() external payable;
        function handleOracleReport(uint256 reportTimestamp, uint256 timeElapsed, uint256 clValidators, uint256 clBalance, uint256 withdrawalVaultBalance, uint256 elRewardsVaultBalance, uint256[] withdrawalFinalizationBatches, uint256 maxShareRate) external returns (uint256, uint256, uint256, uint256);
    }
}

/// The addresses `initialize` takes after the deployer's nonce.
pub use tidepool_testing::PoolAccounts as InitArgs;

/// `initialize(nonce, …these addresses)` routed through the pool on `vm`, as a transaction
/// would run it (the front checks the deployer, `pool-admin` does the rest); an error is the
/// revert data (compare it with [`revert`]).
pub trait Initialize {
    fn initialize(&self, vm: &TestHost, nonce: u64) -> Result<(), Vec<u8>>;
}

impl Initialize for InitArgs {
    fn initialize(&self, vm: &TestHost, nonce: u64) -> Result<(), Vec<u8>> {
        vm.route::<Pool>(&self.initialize_call(nonce)).map(drop)
    }
}

/// The revert data of `error`.
pub fn revert(error: impl Into<PoolError>) -> Vec<u8> {
    error.into().into()
}

/// A pool initialised by `DEPLOYER` with `INITIAL_STAKE`, every role granted to `ADMIN`.
///
/// `accounting` and `admin` are the pool's other two contracts over the same host, i.e. the
/// same storage, sender and value: calling them directly is what the fallbacks do by
/// delegatecall, which the host also runs (see [`Env::route`]).
pub struct Env {
    pub vm: TestHost,
    pub pool: Pool,
    pub accounting: PoolAccounting,
    pub admin: PoolAdmin,
}

/// A host at the pool's address (`DEPLOYER`'s first contract) before `initialize`, the
/// deployer calling with no value, with the accounting and admin programs installed or not.
pub fn pool_before_initialize(programs: bool) -> TestHost {
    let vm = contract_host(DEPLOYER.create(0));
    if programs {
        install_pool_contracts(&vm);
    }
    vm.set_sender(DEPLOYER);
    vm
}

impl Env {
    pub fn new() -> Self {
        let vm = pool_before_initialize(true);
        vm.set_block_number(100);
        let pool = Pool::from(&vm);
        let accounting = PoolAccounting::from(&vm);
        let admin = PoolAdmin::from(&vm);
        vm.set_value(INITIAL_STAKE);
        InitArgs::default().initialize(&vm, 0).expect("initialize");
        vm.set_value(U256::ZERO);
        let mut env = Env { vm, pool, accounting, admin };
        for role in [
            roles::STAKING_PAUSE_ROLE,
            roles::STAKING_CONTROL_ROLE,
            roles::PAUSE_ROLE,
            roles::RESUME_ROLE,
            roles::DEPOSIT_ROLE,
            roles::FEE_MANAGER_ROLE,
        ] {
            env.as_(ADMIN);
            env.admin.grant_role(role, ADMIN).expect("grant");
        }
        env.mock_unfinalized(U256::ZERO);
        env
    }

    /// Next calls come from `who` with no value.
    pub fn as_(&self, who: Address) {
        self.vm.set_sender(who);
        self.vm.set_value(U256::ZERO);
    }

    pub fn submit(&mut self, who: Address, amount: U256) -> Result<U256, PoolError> {
        self.vm.set_sender(who);
        self.vm.set_value(amount);
        let r = self.pool.submit(Address::ZERO);
        self.vm.set_value(U256::ZERO);
        r
    }

    pub fn balance(&self, who: Address) -> U256 {
        self.pool.balance_of(who).expect("balance")
    }

    pub fn shares(&self, who: Address) -> U256 {
        self.pool.shares_of(who)
    }

    pub fn total_pooled(&self) -> U256 {
        self.pool.get_total_pooled_ether()
    }

    pub fn total_shares(&self) -> U256 {
        self.pool.get_total_shares()
    }

    /// The queue reports `amount` wei owed to unfinalised requests.
    pub fn mock_unfinalized(&self, amount: U256) {
        self.vm.mock_static_call(
            QUEUE,
            IWithdrawalQueue::unfinalizedStETHCall {}.abi_encode(),
            Ok(amount.to_be_bytes::<32>().to_vec()),
        );
    }

    /// The staking module accepts a deposit of `amount`.
    pub fn mock_module_accepts(&self, amount: U256) {
        self.vm.mock_call(MODULE, module_deposit(amount), amount, Ok(vec![]));
    }

    /// Both vaults pay what the pool asks for.
    pub fn mock_vaults_pay(&self, withdrawals: U256, el_rewards: U256) {
        for (vault, amount) in [(WITHDRAWAL_VAULT, withdrawals), (REWARDS_VAULT, el_rewards)] {
            self.vm.mock_call(
                vault,
                IVault::withdrawCall { amount }.abi_encode(),
                U256::ZERO,
                Ok(vec![]),
            );
        }
    }

    /// The queue will finalise `batches` for `eth_to_lock` and `shares_to_burn`.
    pub fn mock_finalization(
        &self,
        batches: &[U256],
        max_share_rate: U256,
        eth_to_lock: U256,
        shares_to_burn: U256,
    ) {
        let prefinalize = IWithdrawalQueue::prefinalizeCall {
            batches: batches.to_vec(),
            maxShareRate: max_share_rate,
        }
        .abi_encode();
        let ret = IWithdrawalQueue::prefinalizeCall::abi_encode_returns(
            &IWithdrawalQueue::prefinalizeReturn {
                ethToLock: eth_to_lock,
                sharesToBurn: shares_to_burn,
            },
        );
        self.vm.mock_static_call(QUEUE, prefinalize, Ok(ret));
        let finalize = IWithdrawalQueue::finalizeCall {
            lastRequestId: *batches.last().expect("batches"),
            maxShareRate: max_share_rate,
        }
        .abi_encode();
        self.vm.mock_call(QUEUE, finalize, eth_to_lock, Ok(vec![]));
    }

    /// Deposits `n` validators' worth of buffered ETH.
    pub fn deposit_validators(&mut self, n: u64) -> Result<(), PoolError> {
        let amount = U256::from(n) * eth(32);
        self.mock_module_accepts(amount);
        self.as_(ADMIN);
        self.accounting.deposit(U256::from(n))
    }

    /// A report from the oracle with no finalisation.
    pub fn report(
        &mut self,
        cl_validators: u64,
        cl_balance: U256,
        withdrawal_vault: U256,
        el_rewards_vault: U256,
    ) -> Result<(U256, U256, U256, U256), PoolError> {
        self.report_with(
            cl_validators,
            cl_balance,
            withdrawal_vault,
            el_rewards_vault,
            vec![],
            U256::ZERO,
        )
    }

    pub fn report_with(
        &mut self,
        cl_validators: u64,
        cl_balance: U256,
        withdrawal_vault: U256,
        el_rewards_vault: U256,
        batches: Vec<U256>,
        max_share_rate: U256,
    ) -> Result<(U256, U256, U256, U256), PoolError> {
        self.as_(ORACLE);
        self.accounting.handle_oracle_report(
            U256::from(self.vm.snapshot().block_timestamp),
            U256::from(86_400),
            U256::from(cl_validators),
            cl_balance,
            withdrawal_vault,
            el_rewards_vault,
            batches,
            max_share_rate,
        )
    }

    /// Runs `f` and asserts that it failed and left storage exactly as it was.
    pub fn assert_reverts_unchanged<T: core::fmt::Debug, E>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> E {
        let before = self.vm.snapshot().storage;
        let err = f(self).expect_err("call should revert");
        assert_eq!(before, self.vm.snapshot().storage, "a failed call changed storage");
        err
    }

    /// Routes raw calldata through the pool's ABI router, as a transaction would; selectors
    /// the pool does not know reach the extension through the fallback's delegatecall.
    pub fn route(&self, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.vm.route::<Pool>(&calldata)
    }

    /// Decoded events of type `E` emitted so far.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.vm.events()
    }

    /// Forgets logs, mocks and recorded calls; the queue again reports nothing unfinalised.
    pub fn clear_logs(&self) {
        self.vm.clear_mocks();
        self.vm.clear_calls();
        self.mock_unfinalized(U256::ZERO);
    }
}

/// Keeps the signature of `B256` in scope for callers that build roles.
pub fn role(name: &str) -> B256 {
    alloy_primitives::keccak256(name.as_bytes())
}

// ---------------------------------------------------------------- real signatures (permit)

/// A permit's `(owner, spender, value, nonce, deadline)`.
pub type PermitFields = (Address, Address, U256, U256, U256);

/// EIP-712 types hashed by alloy's encoder, independently of the pool's own hashing.
pub mod typed {
    pub use tidepool_interfaces::eip712::Permit;
    alloy_sol_types::sol! {
        /// EIP-1271, as the pool asks a contract wallet.
        function isValidSignature(bytes32 hash, bytes signature) returns (bytes4);
    }
}

/// Storage slots whose value differs between two snapshots (an absent slot reads as zero).
pub fn changed_slots(
    before: &std::collections::HashMap<U256, B256>,
    after: &std::collections::HashMap<U256, B256>,
) -> Vec<U256> {
    let read =
        |m: &std::collections::HashMap<U256, B256>, k: &U256| m.get(k).copied().unwrap_or_default();
    let mut keys: Vec<U256> = before.keys().chain(after.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| read(before, k) != read(after, k)).collect()
}

impl Env {
    /// The pool's own address.
    pub fn pool_address(&self) -> Address {
        self.vm.snapshot().contract_address
    }

    /// The current block timestamp.
    pub fn now(&self) -> U256 {
        U256::from(self.vm.snapshot().block_timestamp)
    }

    /// The pool's EIP-712 domain as a wallet builds it (alloy), from the chain and address.
    pub fn alloy_domain(&self) -> alloy_sol_types::Eip712Domain {
        let chain_id = U256::from(self.vm.snapshot().chain_id);
        eip712::domain(tidepool_pool::NAME, tidepool_pool::VERSION, chain_id, self.pool_address())
    }

    /// The digest a wallet signs for a permit `(owner, spender, value, nonce, deadline)`, by
    /// alloy's EIP-712 encoder.
    pub fn permit_digest(&self, (owner, spender, value, nonce, deadline): PermitFields) -> B256 {
        use alloy_sol_types::SolStruct;
        typed::Permit { owner, spender, value, nonce, deadline }
            .eip712_signing_hash(&self.alloy_domain())
    }

    /// Key `key`'s signature of a permit from `owner` at `owner`'s current nonce.
    pub fn sign_permit(
        &self,
        key: u8,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
    ) -> (u8, B256, B256) {
        let nonce = self.pool.nonces(owner);
        sign_digest(key, self.permit_digest((owner, spender, value, nonce, deadline)))
    }

    /// `permit` sent by `relayer` (anyone may submit a signed permit).
    #[allow(clippy::too_many_arguments)]
    pub fn permit_as(
        &mut self,
        relayer: Address,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        (v, r, s): (u8, B256, B256),
    ) -> Result<(), PoolError> {
        self.as_(relayer);
        self.pool.permit(owner, spender, value, deadline, v, r, s)
    }
}
