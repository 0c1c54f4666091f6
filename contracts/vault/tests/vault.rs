//! Native tests of the vault on `TestHost`: one-time initialisation by the deployer, the pool
//! as the only withdrawer, the exact call that pays the pool back, and plain ETH receipts.
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use tidepool_common::initializable;
use tidepool_testing::*;
use tidepool_vault::{
    InsufficientVaultBalance, NotPool, PoolRejectedFunds, Vault, VaultError, Withdrawn,
    ZeroPoolAddress,
};

const STRANGER: Address = address!("0000000000000000000000000000000000000bad");
/// The nonce `DEPLOYER` deployed the vault with.
const NONCE: u64 = 7;

sol! {
    /// The vault's ABI as the pool and deploy scripts call it.
    interface IVault {
        function initialize(address pool, uint64 deployer_nonce) external;
        function pool() external view returns (address);
        function withdraw(uint256 amount) external;
    }
    /// What the vault calls on the pool.
    interface IPool {
        function receiveVaultFunds() external payable;
    }
}

struct Env {
    vm: TestHost,
    vault: Vault,
}

impl Env {
    /// A vault deployed by `DEPLOYER` at nonce `NONCE`, not yet initialised.
    fn deployed() -> Self {
        let vm = TestHost::new();
        vm.set_contract_address(DEPLOYER.create(NONCE));
        let vault = Vault::from(&vm);
        Env { vm, vault }
    }

    /// A vault bound to `POOL`, with logs cleared.
    fn initialized() -> Self {
        let mut env = Self::deployed();
        env.vm.set_sender(DEPLOYER);
        env.vault.initialize(POOL, NONCE).expect("deployer initialises");
        env.vm.clear_mocks();
        env
    }

    fn this(&self) -> Address {
        self.vm.snapshot().contract_address
    }

    /// Runs `f`, which must fail, and checks it left storage exactly as it was.
    fn assert_reverts_unchanged(
        &mut self,
        f: impl FnOnce(&mut Vault) -> Result<(), VaultError>,
    ) -> VaultError {
        let before = self.vm.snapshot().storage;
        let err = f(&mut self.vault).expect_err("call should fail");
        assert_eq!(before, self.vm.snapshot().storage, "a failed call changed storage");
        err
    }

    /// Mocks the pool's `receiveVaultFunds()` with `amount` attached.
    fn mock_pool_receives(&self, amount: U256, result: Result<Vec<u8>, Vec<u8>>) {
        self.vm.mock_call(POOL, IPool::receiveVaultFundsCall {}.abi_encode(), amount, result);
    }

    fn withdrawn_events(&self) -> Vec<Withdrawn> {
        events::<Withdrawn>(&self.vm)
    }

    fn route(&self, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.vm.route::<Vault>(&calldata)
    }
}

fn events<E: SolEvent>(vm: &TestHost) -> Vec<E> {
    vm.events()
}

// ---------------------------------------------------------------- initialisation

#[test]
fn deployer_initialises_once_with_nonce_proof() {
    let mut env = Env::deployed();
    assert_eq!(env.vault.pool(), Address::ZERO, "no pool before initialisation");
    env.vm.set_sender(DEPLOYER);
    env.vault.initialize(POOL, NONCE).unwrap();
    assert_eq!(env.vault.pool(), POOL);
    let init = events::<initializable::Initialized>(&env.vm);
    assert_eq!(init.len(), 1);
    assert_eq!(init[0].deployer, DEPLOYER);

    // A second initialisation, even by the deployer and for another pool, is refused.
    let err = env.assert_reverts_unchanged(|v| v.initialize(STRANGER, NONCE));
    assert_eq!(err, VaultError::AlreadyInitialized(initializable::AlreadyInitialized {}));
    assert_eq!(env.vault.pool(), POOL);
    assert_eq!(events::<initializable::Initialized>(&env.vm).len(), 1);
}

#[test]
fn only_the_deployer_with_its_nonce_can_initialise() {
    let mut env = Env::deployed();
    // A front-runner, and the deployer claiming a nonce it did not deploy with.
    for (caller, nonce) in [(STRANGER, NONCE), (DEPLOYER, NONCE + 1), (DEPLOYER, 0)] {
        env.vm.set_sender(caller);
        let err = env.assert_reverts_unchanged(|v| v.initialize(POOL, nonce));
        assert_eq!(err, VaultError::NotDeployer(initializable::NotDeployer { caller, nonce }));
    }
    assert!(env.vm.snapshot().storage.is_empty());
    assert!(env.vm.get_emitted_logs().is_empty());
    // The real deployer still can.
    env.vm.set_sender(DEPLOYER);
    env.vault.initialize(POOL, NONCE).unwrap();
    assert_eq!(env.vault.pool(), POOL);
}

#[test]
fn zero_pool_address_is_refused() {
    let mut env = Env::deployed();
    for caller in [DEPLOYER, STRANGER] {
        env.vm.set_sender(caller);
        let err = env.assert_reverts_unchanged(|v| v.initialize(Address::ZERO, NONCE));
        assert_eq!(err, VaultError::ZeroPoolAddress(ZeroPoolAddress {}));
    }
    assert!(env.vm.snapshot().storage.is_empty());
    // Not consumed: the deployer can still initialise properly.
    env.vm.set_sender(DEPLOYER);
    env.vault.initialize(POOL, NONCE).unwrap();
}

#[test]
fn initialise_routes_through_the_abi() {
    let env = Env::deployed();
    env.vm.set_sender(DEPLOYER);
    let out = env.route(IVault::initializeCall { pool: POOL, deployer_nonce: NONCE }.abi_encode());
    assert_eq!(out, Ok(vec![]));
    let pool = env.route(IVault::poolCall {}.abi_encode()).unwrap();
    assert_eq!(IVault::poolCall::abi_decode_returns(&pool).unwrap(), POOL);
    let again = env
        .route(IVault::initializeCall { pool: POOL, deployer_nonce: NONCE }.abi_encode())
        .unwrap_err();
    assert_eq!(again, initializable::AlreadyInitialized {}.abi_encode());
}

// ---------------------------------------------------------------- withdraw

#[test]
fn withdraw_before_initialisation_is_refused() {
    let mut env = Env::deployed();
    env.vm.set_balance(env.this(), ETH);
    // Not even the zero address, the "pool" of an uninitialised vault, may withdraw.
    for caller in [POOL, Address::ZERO] {
        env.vm.set_sender(caller);
        let err = env.assert_reverts_unchanged(|v| v.withdraw(ETH));
        assert_eq!(err, VaultError::NotInitialized(initializable::NotInitialized {}));
    }
    assert!(env.vm.calls().is_empty());
}

#[test]
fn only_the_pool_may_withdraw() {
    let mut env = Env::initialized();
    env.vm.set_balance(env.this(), eth(5));
    env.mock_pool_receives(ETH, Ok(vec![]));
    for caller in [STRANGER, DEPLOYER, env.this(), Address::ZERO] {
        env.vm.set_sender(caller);
        for amount in [U256::ZERO, ETH] {
            let err = env.assert_reverts_unchanged(|v| v.withdraw(amount));
            assert_eq!(err, VaultError::NotPool(NotPool { caller }));
        }
    }
    assert!(env.vm.calls().is_empty(), "nothing was sent");
    assert!(env.withdrawn_events().is_empty());
}

#[test]
fn withdraw_above_the_balance_is_refused() {
    let mut env = Env::initialized();
    env.vm.set_sender(POOL);
    for (balance, requested) in [(U256::ZERO, U256::from(1)), (eth(3), eth(3) + U256::from(1))] {
        env.vm.set_balance(env.this(), balance);
        env.mock_pool_receives(requested, Ok(vec![]));
        let err = env.assert_reverts_unchanged(|v| v.withdraw(requested));
        assert_eq!(
            err,
            VaultError::InsufficientVaultBalance(InsufficientVaultBalance {
                requested,
                available: balance
            })
        );
    }
    assert!(env.vm.calls().is_empty());
    assert!(env.withdrawn_events().is_empty());
}

#[test]
fn zero_withdraw_is_a_no_op_without_a_call() {
    let mut env = Env::initialized();
    env.vm.set_sender(POOL);
    let before = env.vm.snapshot().storage;
    // Works even with an empty vault and a pool that would refuse any call.
    env.mock_pool_receives(U256::ZERO, Err(vec![]));
    assert_eq!(env.vault.withdraw(U256::ZERO), Ok(()));
    assert!(env.vm.calls().is_empty(), "no call for zero");
    assert!(env.withdrawn_events().is_empty(), "no event for zero");
    assert_eq!(before, env.vm.snapshot().storage);
}

#[test]
fn withdraw_pays_the_pool_exactly_through_receive_vault_funds() {
    let mut env = Env::initialized();
    env.vm.set_sender(POOL);
    for (balance, amount) in [(eth(10), eth(4)), (eth(10), eth(10)), (U256::from(1), U256::from(1))]
    {
        env.vm.set_balance(env.this(), balance);
        env.vm.clear_calls();
        env.vm.clear_mocks();
        env.mock_pool_receives(amount, Ok(vec![]));
        env.vault.withdraw(amount).unwrap();
        let calls = env.vm.calls();
        assert_eq!(calls.len(), 1, "one call per withdrawal");
        let (to, data, value) = &calls[0];
        assert_eq!(*to, POOL);
        assert_eq!(*data, IPool::receiveVaultFundsCall {}.abi_encode());
        assert_eq!(
            data.as_slice(),
            alloy_primitives::keccak256("receiveVaultFunds()")[..4].to_vec()
        );
        assert_eq!(*value, amount, "exactly the amount asked for");
        let withdrawn = env.withdrawn_events();
        assert_eq!(withdrawn.len(), 1);
        assert_eq!((withdrawn[0].pool, withdrawn[0].amount), (POOL, amount));
    }
}

#[test]
fn withdrawn_event_has_the_pool_as_indexed_topic() {
    let mut env = Env::initialized();
    env.vm.set_sender(POOL);
    env.vm.set_balance(env.this(), ETH);
    env.mock_pool_receives(ETH, Ok(vec![]));
    env.vault.withdraw(ETH).unwrap();
    let logs = env.vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    assert_eq!(topics.len(), 2);
    assert_eq!(topics[0], Withdrawn::SIGNATURE_HASH);
    assert_eq!(topics[0], alloy_primitives::keccak256("Withdrawn(address,uint256)"));
    assert_eq!(topics[1], POOL.into_word());
    assert_eq!(data.as_slice(), ETH.to_be_bytes::<32>());
}

#[test]
fn pool_refusing_the_funds_fails_the_withdrawal() {
    let mut env = Env::initialized();
    env.vm.set_sender(POOL);
    env.vm.set_balance(env.this(), eth(2));
    // A reverting pool, with and without revert data.
    for revert in [vec![], vec![0xde, 0xad, 0xbe, 0xef]] {
        env.vm.clear_calls();
        env.mock_pool_receives(ETH, Err(revert));
        let before = env.vm.snapshot().storage;
        let err = env.vault.withdraw(ETH).unwrap_err();
        assert_eq!(err, VaultError::PoolRejectedFunds(PoolRejectedFunds {}));
        assert_eq!(before, env.vm.snapshot().storage);
        assert_eq!(env.vm.calls(), vec![(POOL, IPool::receiveVaultFundsCall {}.abi_encode(), ETH)]);
    }
    // The error reaches the caller as the ABI-encoded custom error.
    env.vm.clear_mocks();
    env.mock_pool_receives(ETH, Err(vec![]));
    let out = env.route(IVault::withdrawCall { amount: ETH }.abi_encode()).unwrap_err();
    assert_eq!(out, PoolRejectedFunds {}.abi_encode());
    assert_eq!(&out[..4], &alloy_primitives::keccak256("PoolRejectedFunds()")[..4]);
}

#[test]
fn router_encodes_withdraw_errors() {
    let env = Env::initialized();
    env.vm.set_balance(env.this(), ETH);
    env.vm.set_sender(STRANGER);
    let out = env.route(IVault::withdrawCall { amount: ETH }.abi_encode()).unwrap_err();
    assert_eq!(NotPool::abi_decode(&out).unwrap().caller, STRANGER);
    env.vm.set_sender(POOL);
    let out = env.route(IVault::withdrawCall { amount: eth(2) }.abi_encode()).unwrap_err();
    let err = InsufficientVaultBalance::abi_decode(&out).unwrap();
    assert_eq!((err.requested, err.available), (eth(2), ETH));
    // `withdraw` is not payable.
    env.vm.set_value(U256::from(1));
    assert!(env.route(IVault::withdrawCall { amount: U256::ZERO }.abi_encode()).is_err());
    env.vm.set_value(U256::ZERO);
    assert_eq!(env.route(IVault::withdrawCall { amount: U256::ZERO }.abi_encode()), Ok(vec![]));
}

// ---------------------------------------------------------------- receiving ETH

#[test]
fn plain_eth_is_accepted_from_anyone() {
    for env in [Env::deployed(), Env::initialized()] {
        for sender in [STRANGER, POOL, DEPLOYER] {
            env.vm.set_sender(sender);
            env.vm.set_value(eth(3));
            let before = env.vm.snapshot().storage;
            assert_eq!(env.route(vec![]), Ok(vec![]), "receive accepts ETH from {sender}");
            assert_eq!(before, env.vm.snapshot().storage, "receiving writes no storage");
        }
        assert!(env.vm.calls().is_empty());
        assert!(env.withdrawn_events().is_empty());
    }
}

#[test]
fn unknown_selectors_are_refused() {
    let env = Env::initialized();
    env.vm.set_sender(STRANGER);
    env.vm.set_value(ETH);
    assert!(env.route(vec![0x12, 0x34, 0x56, 0x78]).is_err());
    assert!(env.route(vec![0x01]).is_err());
}
