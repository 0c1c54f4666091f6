//! Native tests of the pool: every entry point's success path, each custom error (with
//! storage left untouched), and the events.

#![allow(clippy::unwrap_used)]

mod common;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolValue};
use common::*;
use tidepool_common::{access_control::AccessControlUnauthorizedAccount, initializable};
use tidepool_pool::{errors::*, events::*, roles, Pool, PoolError, INITIAL_HOLDER};

// ---------------------------------------------------------------- initialisation

#[test]
fn initialize_locks_initial_stake_at_dead_address() {
    let env = Env::new();
    assert_eq!(INITIAL_HOLDER, DEAD);
    assert_eq!(env.shares(DEAD), INITIAL_STAKE);
    assert_eq!(env.total_shares(), INITIAL_STAKE);
    assert_eq!(env.total_pooled(), INITIAL_STAKE);
    assert_eq!(env.accounting.get_buffered_ether(), INITIAL_STAKE);
    assert_eq!(env.balance(DEAD), INITIAL_STAKE);
    assert!(env.admin.has_role(B256::ZERO, ADMIN));
    assert_eq!(
        env.admin.get_protocol_contracts(),
        (ORACLE, QUEUE, WITHDRAWAL_VAULT, REWARDS_VAULT, TREASURY, MODULE)
    );
    assert_eq!(env.admin.get_pool_contracts(), (ACCOUNTING, ADMIN_CONTRACT));
    assert_eq!(env.admin.get_fee(), 1000);
    assert_eq!(env.admin.get_fee_distribution(), (500, 500));
    assert_eq!(env.accounting.get_max_positive_rebase(), 750_000);
    let transfers = env.events::<Transfer>();
    assert_eq!(transfers[0].from, Address::ZERO);
    assert_eq!(transfers[0].to, DEAD);
    assert_eq!(transfers[0].value, INITIAL_STAKE);
}

#[test]
fn totals_live_in_128_bits_and_a_report_beyond_them_changes_nothing() {
    let mut env = Env::new();
    env.submit(ALICE, eth(64)).unwrap();
    env.deposit_validators(2).unwrap();
    // A beacon balance of 2^128 wei cannot be stored: refused before any effect.
    let beyond = U256::from(1u8) << 128;
    let err = env.assert_reverts_unchanged(|e| e.report(2, beyond, U256::ZERO, U256::ZERO));
    assert_eq!(err, PoolError::ArithmeticFailed(ArithmeticFailed {}));
    // Just below it the fields hold it exactly (the positive-rebase cap smooths the rest).
    let (pooled, shares, _, _) = env.report(2, eth(64), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((pooled, shares), (env.total_pooled(), env.total_shares()));
}

#[test]
fn initialize_cannot_run_twice() {
    let mut env = Env::new();
    env.vm.set_sender(DEPLOYER);
    env.vm.set_value(ETH);
    let err = env.assert_reverts_unchanged(|e| InitArgs::default().initialize(&e.vm, 0));
    assert_eq!(err, revert(initializable::AlreadyInitialized {}));
}

#[test]
fn nothing_but_initialize_runs_before_it() {
    let vm = pool_before_initialize(true);
    // The front knows no other program yet, so it refuses rather than delegating anywhere.
    for call in [IPool::getBufferedEtherCall {}.abi_encode(), vec![0xde, 0xad]] {
        assert_eq!(vm.route::<Pool>(&call).unwrap_err(), revert(initializable::NotInitialized {}));
    }
    // An `initialize` whose program address has dirty high bytes does not decode.
    let mut call = InitArgs::default().initialize_call(0);
    call[4 + 32 * 8] = 1;
    assert_eq!(vm.route::<Pool>(&call).unwrap_err(), Vec::<u8>::new());
    assert!(vm.snapshot().storage.is_empty());
}

#[test]
fn initialize_cannot_be_front_run() {
    let vm = pool_before_initialize(true);
    vm.set_value(ETH);
    // Someone else, or the deployer with the wrong nonce; the check runs in the front, before
    // any of the caller's program addresses is trusted.
    for (caller, nonce) in [(ALICE, 0), (DEPLOYER, 1)] {
        vm.set_sender(caller);
        let err =
            InitArgs { admin: ALICE, ..InitArgs::default() }.initialize(&vm, nonce).unwrap_err();
        assert_eq!(err, revert(initializable::NotDeployer { caller, nonce }));
    }
    assert!(vm.snapshot().storage.is_empty());
}

#[test]
fn initialize_rejects_zero_stake_and_zero_addresses() {
    // The front's checks, before it writes anything: a program address without code would
    // make every delegated call a silent no-op.
    let vm = pool_before_initialize(false);
    let err = InitArgs::default().initialize(&vm, 0).unwrap_err();
    assert_eq!(err, revert(ExtensionWithoutCode { extension: ACCOUNTING }));
    let err = InitArgs { admin_program: Address::ZERO, ..InitArgs::default() }
        .initialize(&vm, 0)
        .unwrap_err();
    assert_eq!(err, revert(ZeroAddress {}));
    assert!(vm.snapshot().storage.is_empty());
    // `pool-admin`'s checks, after the front recorded the deployer's check and the programs
    // (the revert undoes those writes on chain; the test host keeps them, so each case gets
    // a fresh pool).
    let vm = pool_before_initialize(true);
    let err = InitArgs::default().initialize(&vm, 0).unwrap_err();
    assert_eq!(err, revert(ZeroInitialStake {}));
    let vm = pool_before_initialize(true);
    vm.set_value(ETH);
    let err =
        InitArgs { queue: Address::ZERO, ..InitArgs::default() }.initialize(&vm, 0).unwrap_err();
    assert_eq!(err, revert(ZeroAddress {}));
}

// ---------------------------------------------------------------- the extension

#[test]
fn fallback_runs_the_extension_on_the_pool_storage() {
    let env = Env::new();
    env.as_(ADMIN);
    // A state change made through the pool's router lands in the pool's storage.
    let calldata =
        IPool::setFeeCall { treasuryFeeBasisPoints: 700, moduleFeeBasisPoints: 100 }.abi_encode();
    assert_eq!(env.route(calldata), Ok(vec![]));
    assert_eq!(env.admin.get_fee_distribution(), (700, 100));
    let fee = env.route(IPool::getFeeCall {}.abi_encode()).unwrap();
    assert_eq!(IPool::getFeeCall::abi_decode_returns(&fee).unwrap(), 800);
    // Its errors come back unchanged, and nothing changes.
    env.as_(BOB);
    let before = env.vm.snapshot().storage;
    let out = env.route(IPool::stopCall {}.abi_encode()).unwrap_err();
    assert_eq!(
        out,
        AccessControlUnauthorizedAccount { account: BOB, neededRole: roles::PAUSE_ROLE }
            .abi_encode()
    );
    assert_eq!(before, env.vm.snapshot().storage);
}

#[test]
fn fallback_refuses_unknown_selectors_and_reentrant_calls() {
    let env = Env::new();
    // Unknown to both halves: the extension's router reverts with empty data.
    assert_eq!(env.route(vec![0xde, 0xad, 0xbe, 0xef]), Err(vec![]));
    // While one of the pool's own calls runs, nothing reaches the extension, views included.
    env.vm.set_reentrant(true);
    let out = env.route(IPool::getFeeCall {}.abi_encode()).unwrap_err();
    assert_eq!(out, ReentrantCall {}.abi_encode());
}

#[test]
fn fallback_before_initialisation_reverts() {
    let vm = TestHost::new();
    let out = vm.route::<Pool>(&IPool::getFeeCall {}.abi_encode()).unwrap_err();
    assert_eq!(out, initializable::NotInitialized {}.abi_encode());
}

#[test]
fn accounting_and_admin_at_their_own_addresses_are_inert() {
    // Their own storage is never initialised: no oracle, no roles, no admin contract.
    let vm = TestHost::new();
    let mut accounting = tidepool_pool::programs::PoolAccounting::from(&vm);
    let mut admin = tidepool_pool::programs::PoolAdmin::from(&vm);
    vm.set_sender(ORACLE);
    let err = accounting
        .handle_oracle_report(
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            U256::ZERO,
            vec![],
            U256::ZERO,
        )
        .unwrap_err();
    assert_eq!(err, PoolError::NotOracle(NotOracle { caller: ORACLE }));
    vm.set_sender(ADMIN);
    let err = accounting.deposit(U256::from(1)).unwrap_err();
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
    // Admin selectors sent to the accounting contract find no admin contract to run.
    let out = vm
        .route::<tidepool_pool::programs::PoolAccounting>(&IPool::stopCall {}.abi_encode())
        .unwrap_err();
    assert_eq!(out, initializable::NotInitialized {}.abi_encode());
    let err = admin.grant_role(B256::ZERO, ADMIN).unwrap_err();
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
    let err = admin.set_fee(0, 0).unwrap_err();
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
    // `initialize` runs only behind the pool's front, which checks the deployer first.
    vm.set_value(ETH);
    let init = InitArgs::default().initialize_call(0);
    let out = vm.route::<tidepool_pool::programs::PoolAdmin>(&init).unwrap_err();
    assert_eq!(out, revert(initializable::NotInitialized {}));
    assert!(vm.snapshot().storage.is_empty());
}

// ---------------------------------------------------------------- ABI routing

#[test]
fn router_serves_lido_selectors() {
    let mut env = Env::new();
    env.submit(ALICE, eth(3)).unwrap();
    let name = env.route(IPool::nameCall {}.abi_encode()).unwrap();
    assert_eq!(IPool::nameCall::abi_decode_returns(&name).unwrap(), "Tidepool Staked Ether");
    let symbol = env.route(IPool::symbolCall {}.abi_encode()).unwrap();
    assert_eq!(IPool::symbolCall::abi_decode_returns(&symbol).unwrap(), "tpETH");
    let decimals = env.route(IPool::decimalsCall {}.abi_encode()).unwrap();
    assert_eq!(IPool::decimalsCall::abi_decode_returns(&decimals).unwrap(), 18);
    let balance = env.route(IPool::balanceOfCall { account: ALICE }.abi_encode()).unwrap();
    assert_eq!(IPool::balanceOfCall::abi_decode_returns(&balance).unwrap(), eth(3));
    let total = env.route(IPool::getTotalPooledEtherCall {}.abi_encode()).unwrap();
    assert_eq!(IPool::getTotalPooledEtherCall::abi_decode_returns(&total).unwrap(), eth(4));
    let both = env.route(IPool::getTotalSharesAndPooledEtherCall {}.abi_encode()).unwrap();
    let both = IPool::getTotalSharesAndPooledEtherCall::abi_decode_returns(&both).unwrap();
    assert_eq!((both._0, both._1), (env.total_shares(), env.total_pooled()));
    let by_shares =
        env.route(IPool::getPooledEthBySharesCall { sharesAmount: eth(1) }.abi_encode()).unwrap();
    assert_eq!(IPool::getPooledEthBySharesCall::abi_decode_returns(&by_shares).unwrap(), eth(1));
    let stat = env.route(IPool::getBeaconStatCall {}.abi_encode()).unwrap();
    let stat = IPool::getBeaconStatCall::abi_decode_returns(&stat).unwrap();
    assert_eq!((stat._0, stat._1, stat._2), (U256::ZERO, U256::ZERO, U256::ZERO));
    let domain = env.route(IPool::eip712DomainCall {}.abi_encode()).unwrap();
    let domain = IPool::eip712DomainCall::abi_decode_returns(&domain).unwrap();
    assert_eq!(domain._0.0, [0x0f]);
    assert_eq!(domain._1, "Tidepool Staked Ether");
    assert_eq!(domain._2, "1");
    assert_eq!(domain._3, U256::from(412346));
    assert_eq!(domain._4, DEPLOYER.create(0));
    let sep = env.route(IPool::DOMAIN_SEPARATORCall {}.abi_encode()).unwrap();
    assert_eq!(
        B256::abi_decode(&sep).unwrap(),
        tidepool_common::eip712::domain_separator(
            "Tidepool Staked Ether",
            "1",
            412346,
            DEPLOYER.create(0)
        )
    );
}

#[test]
fn router_reverts_with_custom_error_data() {
    let env = Env::new();
    env.as_(ALICE);
    let out = env.route(IPool::transferCall { to: BOB, amount: ETH }.abi_encode()).unwrap_err();
    let err = ERC20InsufficientBalance::abi_decode(&out).unwrap();
    assert_eq!((err.sender, err.balance, err.needed), (ALICE, U256::ZERO, ETH));
}

#[test]
fn router_rejects_value_on_non_payable_functions() {
    let env = Env::new();
    env.vm.set_sender(ALICE);
    env.vm.set_value(ETH);
    assert!(env.route(IPool::approveCall { spender: BOB, amount: ETH }.abi_encode()).is_err());
}

#[test]
fn plain_eth_transfer_stakes() {
    let env = Env::new();
    env.vm.set_sender(ALICE);
    env.vm.set_value(eth(2));
    env.route(vec![]).expect("receive stakes");
    env.vm.set_value(U256::ZERO);
    assert_eq!(env.balance(ALICE), eth(2));
    let submitted = env.events::<Submitted>();
    assert_eq!(submitted.last().unwrap().referral, Address::ZERO);
}

// ---------------------------------------------------------------- staking

#[test]
fn submit_mints_shares_at_pre_deposit_rate() {
    let mut env = Env::new();
    env.vm.set_sender(ALICE);
    env.vm.set_value(eth(5));
    let shares = env.pool.submit(BOB).unwrap();
    assert_eq!(shares, eth(5));
    assert_eq!(env.shares(ALICE), eth(5));
    assert_eq!(env.accounting.get_buffered_ether(), eth(6));
    let s = env.events::<Submitted>().pop().unwrap();
    assert_eq!((s.sender, s.amount, s.referral), (ALICE, eth(5), BOB));
    let t = env.events::<TransferShares>().pop().unwrap();
    assert_eq!((t.from, t.to, t.sharesValue), (Address::ZERO, ALICE, eth(5)));

    // Double the pooled ether: the next staker gets half as many shares per ETH.
    env.deposit_validators(0).unwrap_err();
    env.submit(CAROL, eth(26)).unwrap();
    env.deposit_validators(1).unwrap();
    env.report(1, eth(64), U256::ZERO, U256::ZERO).unwrap();
    let rate_before = env.total_pooled() * ETH / env.total_shares();
    let minted = env.submit(BOB, eth(1)).unwrap();
    assert_eq!(
        minted,
        eth(1) * env.total_shares().saturating_sub(minted) / (env.total_pooled() - eth(1))
    );
    assert!(minted < eth(1));
    assert!(env.balance(BOB) <= eth(1), "staking never credits more than was sent");
    assert!(env.total_pooled() * ETH / env.total_shares() >= rate_before);
}

#[test]
fn submit_errors_change_nothing() {
    let mut env = Env::new();
    let err = env.assert_reverts_unchanged(|e| e.submit(ALICE, U256::ZERO));
    assert_eq!(err, PoolError::ZeroDeposit(ZeroDeposit {}));

    env.as_(ADMIN);
    env.admin.pause_staking().unwrap();
    assert!(env.admin.is_staking_paused());
    assert_eq!(env.admin.get_current_stake_limit(), U256::ZERO);
    let err = env.assert_reverts_unchanged(|e| e.submit(ALICE, ETH));
    assert_eq!(err, PoolError::StakingIsPaused(StakingIsPaused {}));
    env.as_(ADMIN);
    env.admin.resume_staking().unwrap();
    env.submit(ALICE, ETH).unwrap();

    env.as_(ADMIN);
    env.admin.stop().unwrap();
    let err = env.assert_reverts_unchanged(|e| e.submit(ALICE, ETH));
    assert_eq!(err, PoolError::ProtocolStopped(ProtocolStopped {}));
}

#[test]
fn stake_limit_caps_and_regenerates() {
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.set_staking_limit(eth(10), eth(1)).unwrap();
    let set = env.events::<StakingLimitSet>().pop().unwrap();
    assert_eq!((set.maxStakeLimit, set.stakeLimitIncreasePerBlock), (eth(10), eth(1)));
    assert_eq!(env.admin.get_current_stake_limit(), eth(10));
    env.submit(ALICE, eth(8)).unwrap();
    assert_eq!(env.admin.get_current_stake_limit(), eth(2));
    let err = env.assert_reverts_unchanged(|e| e.submit(BOB, eth(3)));
    assert_eq!(
        err,
        PoolError::StakeLimitExceeded(StakeLimitExceeded { requested: eth(3), available: eth(2) })
    );
    env.vm.set_block_number(103);
    assert_eq!(env.admin.get_current_stake_limit(), eth(5));
    env.submit(BOB, eth(5)).unwrap();
    env.vm.set_block_number(10_000);
    assert_eq!(env.admin.get_current_stake_limit(), eth(10), "never regenerates above max");
    let info = env.admin.get_stake_limit_full_info();
    assert!(!info.0 && info.1);
    assert_eq!(info.3, eth(10));

    env.as_(ADMIN);
    env.admin.remove_staking_limit().unwrap();
    assert_eq!(env.admin.get_current_stake_limit(), U256::MAX);
    env.submit(BOB, eth(100)).unwrap();
}

#[test]
fn a_zero_increase_is_a_limit_that_never_regenerates() {
    // The documented behaviour (Lido's): accepted, and the allowance does not come back.
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.set_staking_limit(eth(10), U256::ZERO).unwrap();
    let set = env.events::<StakingLimitSet>().pop().unwrap();
    assert_eq!((set.maxStakeLimit, set.stakeLimitIncreasePerBlock), (eth(10), U256::ZERO));
    env.submit(ALICE, eth(8)).unwrap();
    env.vm.set_block_number(1_000_000);
    assert_eq!(env.admin.get_current_stake_limit(), eth(2), "no regeneration");
    let err = env.assert_reverts_unchanged(|e| e.submit(BOB, eth(3)));
    assert_eq!(
        err,
        PoolError::StakeLimitExceeded(StakeLimitExceeded { requested: eth(3), available: eth(2) })
    );
}

#[test]
fn stake_limit_rejects_unworkable_configs() {
    let mut env = Env::new();
    env.as_(ADMIN);
    for (max, inc) in [(U256::ZERO, ETH), (eth(1), eth(2)), (U256::from(1u128 << 96), ETH)] {
        let err = env.assert_reverts_unchanged(|e| e.admin.set_staking_limit(max, inc));
        assert_eq!(
            err,
            PoolError::InvalidStakeLimit(InvalidStakeLimit {
                maxStakeLimit: max,
                stakeLimitIncreasePerBlock: inc
            })
        );
    }
}

// ---------------------------------------------------------------- ERC-20

/// Brings the rate to an awkward value so rounding matters: 3 ETH of rewards over 7 shares.
fn env_with_awkward_rate() -> Env {
    let mut env = Env::new();
    env.submit(ALICE, eth(20)).unwrap();
    env.submit(BOB, U256::from(11_111_111_111_111_111u64)).unwrap();
    env.deposit_validators(0).unwrap_err();
    env.submit(CAROL, eth(12)).unwrap();
    env.deposit_validators(1).unwrap();
    env.report(1, eth(32) + U256::from(777_777_777_777u64), U256::ZERO, U256::ZERO).unwrap();
    assert_ne!(env.total_pooled(), env.total_shares());
    env.clear_logs();
    env
}

#[test]
fn transfer_delivers_at_least_the_amount() {
    let mut env = env_with_awkward_rate();
    for amount in [U256::from(1), U256::from(3), eth(1), U256::from(123_456_789_012_345_678u64)] {
        let (bob_before, alice_before) = (env.balance(BOB), env.balance(ALICE));
        env.as_(ALICE);
        assert!(env.pool.transfer(BOB, amount).unwrap());
        assert!(env.balance(BOB) >= bob_before + amount, "recipient got less than {amount}");
        assert!(alice_before - env.balance(ALICE) >= amount);
        assert!(alice_before - env.balance(ALICE) <= amount + U256::from(2));
    }
    let t = env.events::<Transfer>().pop().unwrap();
    assert_eq!((t.from, t.to), (ALICE, BOB));
    // The whole balance can always be sent.
    let all = env.balance(ALICE);
    env.as_(ALICE);
    env.pool.transfer(CAROL, all).unwrap();
    assert_eq!(env.balance(ALICE), U256::ZERO);
}

#[test]
fn transfer_errors_change_nothing() {
    let mut env = env_with_awkward_rate();
    let this = env.vm.snapshot().contract_address;
    for to in [Address::ZERO, this] {
        env.as_(ALICE);
        let err = env.assert_reverts_unchanged(|e| e.pool.transfer(to, ETH));
        assert_eq!(err, PoolError::ERC20InvalidReceiver(ERC20InvalidReceiver { receiver: to }));
    }
    let balance = env.balance(ALICE);
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| e.pool.transfer(BOB, balance + U256::from(1)));
    assert_eq!(
        err,
        PoolError::ERC20InsufficientBalance(ERC20InsufficientBalance {
            sender: ALICE,
            balance,
            needed: balance + U256::from(1)
        })
    );
    env.as_(ADMIN);
    env.admin.stop().unwrap();
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| e.pool.transfer(BOB, ETH));
    assert_eq!(err, PoolError::ProtocolStopped(ProtocolStopped {}));
}

#[test]
fn allowances_approve_increase_decrease_and_spend() {
    let mut env = env_with_awkward_rate();
    env.as_(ALICE);
    env.pool.approve(BOB, eth(5)).unwrap();
    assert_eq!(env.pool.allowance(ALICE, BOB), eth(5));
    env.pool.increase_allowance(BOB, eth(1)).unwrap();
    env.pool.decrease_allowance(BOB, eth(2)).unwrap();
    assert_eq!(env.pool.allowance(ALICE, BOB), eth(4));
    let a = env.events::<Approval>().pop().unwrap();
    assert_eq!((a.owner, a.spender, a.value), (ALICE, BOB, eth(4)));

    let err = env.assert_reverts_unchanged(|e| e.pool.decrease_allowance(BOB, eth(5)));
    assert_eq!(
        err,
        PoolError::ERC20FailedDecreaseAllowance(ERC20FailedDecreaseAllowance {
            spender: BOB,
            currentAllowance: eth(4),
            requestedDecrease: eth(5)
        })
    );
    let err = env.assert_reverts_unchanged(|e| e.pool.approve(Address::ZERO, ETH));
    assert_eq!(err, PoolError::ERC20InvalidSpender(ERC20InvalidSpender { spender: Address::ZERO }));

    env.as_(BOB);
    let carol_before = env.balance(CAROL);
    env.pool.transfer_from(ALICE, CAROL, eth(3)).unwrap();
    assert!(env.balance(CAROL) >= carol_before + eth(3));
    // The value of the shares moved (3 ETH and a rounding) came out of the allowance.
    let left = env.pool.allowance(ALICE, BOB);
    assert!(left <= eth(1) && eth(1) - left <= U256::from(1u8), "{left}");
    let err = env.assert_reverts_unchanged(|e| e.pool.transfer_from(ALICE, CAROL, eth(2)));
    assert_eq!(
        err,
        PoolError::ERC20InsufficientAllowance(ERC20InsufficientAllowance {
            spender: BOB,
            allowance: left,
            needed: eth(2)
        })
    );

    env.as_(ALICE);
    env.pool.approve(BOB, U256::MAX).unwrap();
    env.as_(BOB);
    env.pool.transfer_from(ALICE, CAROL, eth(1)).unwrap();
    assert_eq!(env.pool.allowance(ALICE, BOB), U256::MAX, "infinite allowance is not spent");
}

#[test]
fn transfer_from_charges_the_allowance_the_value_it_moves() {
    // At an awkward rate a transfer of `amount` moves shares worth a little more; the
    // allowance pays for that, so repeated calls cannot move more than it in all.
    let mut env = env_with_awkward_rate();
    let amount = U256::from(1_000_000_007u64);
    let (s, p) = (env.total_shares(), env.pool.get_total_pooled_ether());
    let moved = mul_div_up(amount, s, p);
    let value = mul_div_up(moved, p, s);
    assert!(value > amount, "the rate makes this transfer move more than asked");
    env.as_(ALICE);
    env.pool.approve(BOB, eth(1)).unwrap();
    env.as_(BOB);
    env.pool.transfer_from(ALICE, CAROL, amount).unwrap();
    assert_eq!(env.pool.allowance(ALICE, BOB), eth(1) - value);
    // An allowance of exactly the amount still works, and is emptied.
    env.as_(ALICE);
    env.pool.approve(BOB, amount).unwrap();
    env.as_(BOB);
    env.pool.transfer_from(ALICE, CAROL, amount).unwrap();
    assert_eq!(env.pool.allowance(ALICE, BOB), U256::ZERO);
    // So draining an allowance in small steps moves at most it plus one rounding.
    let allowance = U256::from(1_000_000u64);
    env.as_(ALICE);
    env.pool.approve(BOB, allowance).unwrap();
    let (before, step) = (env.pool.shares_of(CAROL), U256::from(1_000u64));
    env.as_(BOB);
    while env.pool.allowance(ALICE, BOB) >= step {
        env.pool.transfer_from(ALICE, CAROL, step).unwrap();
    }
    let taken = env.pool.get_pooled_eth_by_shares(env.pool.shares_of(CAROL) - before).unwrap();
    let one_share = mul_div_up(U256::from(1u8), p, s);
    assert!(taken <= allowance + one_share, "{taken} moved for an allowance of {allowance}");
}

#[test]
fn transfer_shares_and_transfer_shares_from() {
    let mut env = env_with_awkward_rate();
    let shares = U256::from(1_000_000_007u64);
    env.as_(ALICE);
    let value = env.pool.transfer_shares(BOB, shares).unwrap();
    assert_eq!(value, env.pool.get_pooled_eth_by_shares(shares).unwrap());
    let t = env.events::<TransferShares>().pop().unwrap();
    assert_eq!((t.from, t.to, t.sharesValue), (ALICE, BOB, shares));
    let tr = env.events::<Transfer>().pop().unwrap();
    assert_eq!(tr.value, value);

    let too_many = env.shares(ALICE) + U256::from(1);
    let err = env.assert_reverts_unchanged(|e| e.pool.transfer_shares(BOB, too_many));
    assert_eq!(
        err,
        PoolError::InsufficientShares(InsufficientShares {
            account: ALICE,
            shares: too_many - U256::from(1),
            needed: too_many
        })
    );

    // transferSharesFrom spends the value rounded up.
    let cost = env.pool.get_pooled_eth_by_shares_round_up(shares).unwrap();
    assert!(cost >= value && cost <= value + U256::from(1));
    env.as_(ALICE);
    env.pool.approve(CAROL, cost).unwrap();
    env.as_(CAROL);
    env.pool.transfer_shares_from(ALICE, BOB, shares).unwrap();
    assert_eq!(env.pool.allowance(ALICE, CAROL), U256::ZERO);
    env.as_(ALICE);
    env.pool.approve(CAROL, cost - U256::from(1)).unwrap();
    env.as_(CAROL);
    let err = env.assert_reverts_unchanged(|e| e.pool.transfer_shares_from(ALICE, BOB, shares));
    assert!(matches!(err, PoolError::ERC20InsufficientAllowance(_)));
}

// ---------------------------------------------------------------- deposits

#[test]
fn deposit_sends_whole_validators_and_keeps_total_pooled() {
    let mut env = Env::new();
    env.submit(ALICE, eth(70)).unwrap();
    let before = env.total_pooled();
    env.deposit_validators(2).unwrap();
    assert_eq!(env.total_pooled(), before, "deposited ETH stays pooled as transient");
    assert_eq!(env.accounting.get_buffered_ether(), eth(71) - eth(64));
    assert_eq!(env.accounting.get_beacon_stat(), (U256::from(2), U256::ZERO, U256::ZERO));
    assert_eq!(env.events::<Unbuffered>().pop().unwrap().amount, eth(64));
    assert_eq!(
        env.events::<DepositedValidatorsChanged>().pop().unwrap().depositedValidators,
        U256::from(2)
    );
}

#[test]
fn deposit_errors_change_nothing() {
    let mut env = Env::new();
    env.submit(ALICE, eth(40)).unwrap();
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| e.accounting.deposit(U256::from(1)));
    assert_eq!(
        err,
        PoolError::AccessControlUnauthorizedAccount(AccessControlUnauthorizedAccount {
            account: ALICE,
            neededRole: roles::DEPOSIT_ROLE
        })
    );
    env.as_(ADMIN);
    let err = env.assert_reverts_unchanged(|e| e.accounting.deposit(U256::ZERO));
    assert_eq!(err, PoolError::ZeroValidators(ZeroValidators {}));
    let err = env.assert_reverts_unchanged(|e| e.accounting.deposit(U256::from(2)));
    assert_eq!(
        err,
        PoolError::InsufficientDepositableEther(InsufficientDepositableEther {
            requested: eth(64),
            depositable: eth(41)
        })
    );
    // ETH reserved for unfinalised withdrawals cannot be deposited.
    env.mock_unfinalized(eth(10));
    assert_eq!(env.accounting.get_depositable_ether().unwrap(), eth(31));
    env.as_(ADMIN);
    let err = env.assert_reverts_unchanged(|e| e.accounting.deposit(U256::from(1)));
    assert_eq!(
        err,
        PoolError::InsufficientDepositableEther(InsufficientDepositableEther {
            requested: eth(32),
            depositable: eth(31)
        })
    );
    // The module refusing the ETH reverts the deposit.
    env.mock_unfinalized(U256::ZERO);
    env.vm.mock_call(MODULE, module_deposit(eth(32)), eth(32), Err(vec![]));
    env.as_(ADMIN);
    let err = env.accounting.deposit(U256::from(1)).unwrap_err();
    assert_eq!(
        err,
        PoolError::DepositTransferFailed(DepositTransferFailed {
            stakingModule: MODULE,
            amount: eth(32)
        })
    );
}

// ---------------------------------------------------------------- reports

/// 101 ETH staked, three validators deposited and seen at 96 ETH.
fn env_with_validators() -> Env {
    let mut env = Env::new();
    env.submit(ALICE, eth(60)).unwrap();
    env.submit(BOB, eth(40)).unwrap();
    env.deposit_validators(3).unwrap();
    env.report(3, eth(96), U256::ZERO, U256::ZERO).unwrap();
    env.clear_logs();
    env
}

#[test]
fn positive_report_rebases_everyone_and_pays_fees() {
    let mut env = env_with_validators();
    let pre_pooled = env.total_pooled();
    let pre_shares = env.total_shares();
    let alice_shares = env.shares(ALICE);
    let alice_before = env.balance(ALICE);
    // 0.05 ETH of consensus rewards: within the 0.075% cap on 101 ETH.
    let rewards = U256::from(50_000_000_000_000_000u64);
    let (post_pooled, post_shares, w, el) =
        env.report(3, eth(96) + rewards, U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((w, el), (U256::ZERO, U256::ZERO));
    assert_eq!(post_pooled, pre_pooled + rewards);
    assert_eq!(env.total_pooled(), post_pooled);
    assert_eq!(env.total_shares(), post_shares);
    // Alice's shares did not change, her balance grew.
    assert_eq!(env.shares(ALICE), alice_shares);
    assert!(env.balance(ALICE) > alice_before);
    // Fees: 10% of rewards, split 50/50, valued at the post-report rate (rounded down).
    let fee_shares = post_shares - pre_shares;
    let rebased = env.events::<TokenRebased>().pop().unwrap();
    assert_eq!(rebased.sharesMintedAsFees, fee_shares);
    assert_eq!((rebased.preTotalEther, rebased.postTotalEther), (pre_pooled, post_pooled));
    let fee_value = env.balance(TREASURY) + env.balance(MODULE);
    let expected = rewards / U256::from(10);
    assert!(
        fee_value <= expected && expected - fee_value <= U256::from(3),
        "{fee_value} vs {expected}"
    );
    assert!(env.balance(TREASURY).abs_diff(env.balance(MODULE)) <= U256::from(1));
    let dist = env.events::<ETHDistributed>().pop().unwrap();
    assert_eq!((dist.preCLBalance, dist.postCLBalance), (eth(96), eth(96) + rewards));
}

#[test]
fn each_report_records_one_rate_round() {
    let mut env = Env::new();
    assert_eq!(env.accounting.get_rate_report_count(), U256::ZERO);
    assert_eq!(
        env.accounting.get_rate_report(U256::ZERO),
        Err(PoolError::RateReportNotFound(RateReportNotFound { index: U256::ZERO }))
    );
    env.submit(ALICE, eth(60)).unwrap();
    env.deposit_validators(1).unwrap();
    let rewards = U256::from(20_000_000_000_000_000u64);
    let (pooled, shares, _, _) = env.report(1, eth(32) + rewards, U256::ZERO, U256::ZERO).unwrap();
    // The second report observed the chain an hour before it was applied.
    let (observed, applied) = (1_700_082_800u64, 1_700_086_400u64);
    env.vm.set_block_timestamp(applied);
    env.as_(ORACLE);
    env.accounting
        .handle_oracle_report(
            U256::from(observed),
            U256::from(82_800),
            U256::from(1),
            eth(32) + rewards,
            U256::ZERO,
            U256::ZERO,
            vec![],
            U256::ZERO,
        )
        .unwrap();
    // Two rounds, in order; a zero report repeats the rate at its own time.
    assert_eq!(env.accounting.get_rate_report_count(), U256::from(2));
    let per_token = pooled * ETH / shares;
    assert!(per_token > ETH);
    let first = U256::from(1_700_000_000u64);
    assert_eq!(env.accounting.get_rate_report(U256::ZERO), Ok((first, per_token, first)));
    let second = (U256::from(observed), per_token, U256::from(applied));
    assert_eq!(env.accounting.get_rate_report(U256::from(1)), Ok(second));
    assert!(env.accounting.get_rate_report(U256::MAX).is_err());
    // Staking in between moves the live rate by rounding dust, never the recorded one.
    env.submit(BOB, eth(1) + U256::from(7)).unwrap();
    assert_eq!(env.accounting.get_rate_report(U256::from(1)), Ok(second));
}

#[test]
fn negative_report_charges_no_fee() {
    let mut env = env_with_validators();
    let pre_shares = env.total_shares();
    let alice_before = env.balance(ALICE);
    let (post_pooled, post_shares, _, _) = env.report(3, eth(95), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!(post_shares, pre_shares, "no fee shares on a loss");
    assert_eq!(post_pooled, eth(100));
    assert!(env.balance(ALICE) < alice_before);
    assert_eq!(env.shares(TREASURY), U256::ZERO);
}

#[test]
fn zero_report_changes_no_balance() {
    let mut env = env_with_validators();
    let before = (env.balance(ALICE), env.balance(BOB), env.total_shares());
    env.report(3, eth(96), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!(before, (env.balance(ALICE), env.balance(BOB), env.total_shares()));
    assert_eq!(env.events::<TokenRebased>().len(), 1);
}

#[test]
fn vault_pulls_are_capped_by_the_rebase_limit() {
    let mut env = env_with_validators();
    let pre_pooled = env.total_pooled();
    let pre_rate = pre_pooled * U256::from(10).pow(U256::from(27)) / env.total_shares();
    // 10 ETH of EL rewards waiting: far above 0.075% of 101 ETH.
    let cap = pre_pooled * U256::from(750_000) / U256::from(1_000_000_000);
    env.mock_vaults_pay(U256::ZERO, cap);
    let (post_pooled, _, w, el) = env.report(3, eth(96), U256::ZERO, eth(10)).unwrap();
    assert_eq!(w, U256::ZERO);
    assert_eq!(el, cap, "only the capped part is taken");
    assert_eq!(post_pooled, pre_pooled + cap);
    assert_eq!(env.accounting.get_buffered_ether(), eth(101) - eth(96) + cap);
    let received = env.events::<VaultFundsReceived>();
    assert_eq!((received[0].vault, received[0].amount), (REWARDS_VAULT, cap));
    // Holders' rate rose by at most the cap (fees dilute it a little below).
    let post_rate = env.total_pooled() * U256::from(10).pow(U256::from(27)) / env.total_shares();
    let max_rate = pre_rate * U256::from(1_000_750_000) / U256::from(1_000_000_000);
    assert!(post_rate > pre_rate && post_rate <= max_rate);
}

#[test]
fn withdrawal_vault_covers_exited_validator_without_fee() {
    let mut env = env_with_validators();
    let pre_shares = env.total_shares();
    // One validator exited: 32 ETH moved from the beacon chain to the withdrawal vault.
    env.mock_vaults_pay(eth(32), U256::ZERO);
    let (post_pooled, post_shares, w, _) = env.report(3, eth(64), eth(32), U256::ZERO).unwrap();
    assert_eq!(w, eth(32));
    assert_eq!(post_pooled, eth(101));
    assert_eq!(post_shares, pre_shares);
    assert_eq!(env.accounting.get_buffered_ether(), eth(5) + eth(32));
}

/// [`env_with_validators`] where Bob queued 4 ETH worth of shares: the queue holds them.
fn env_with_queued_shares() -> (Env, U256) {
    let mut env = env_with_validators();
    let queued = env.pool.get_shares_by_pooled_eth(eth(4)).unwrap();
    env.as_(BOB);
    env.pool.transfer_shares(QUEUE, queued).unwrap();
    (env, queued)
}

#[test]
fn report_finalizes_withdrawals_and_burns_queue_shares() {
    let (mut env, queued) = env_with_queued_shares();
    let alice_before = env.balance(ALICE);
    let rate = U256::from(10).pow(U256::from(27)); // 1 ETH per share, the current rate
    env.mock_finalization(&[U256::from(1)], rate, eth(4), queued);
    let (post_pooled, post_shares, _, _) =
        env.report_with(3, eth(96), U256::ZERO, U256::ZERO, vec![U256::from(1)], rate).unwrap();
    assert_eq!(post_pooled, eth(97));
    assert_eq!(post_shares, eth(97));
    assert_eq!(env.shares(QUEUE), U256::ZERO);
    assert_eq!(env.accounting.get_buffered_ether(), eth(1));
    assert_eq!(env.balance(ALICE), alice_before, "finalising at the current rate moves no one");
    let burnt = env.events::<SharesBurnt>().pop().unwrap();
    assert_eq!((burnt.account, burnt.sharesAmount), (QUEUE, queued));
    let fin = env.events::<WithdrawalsFinalized>().pop().unwrap();
    assert_eq!((fin.lastRequestId, fin.amount), (U256::from(1), eth(4)));
    assert_eq!(env.accounting.get_shares_pending_burn(), U256::ZERO);
}

#[test]
fn discounted_finalization_defers_burning_beyond_the_cap() {
    let (mut env, queued) = env_with_queued_shares();
    // Finalised at half the rate: 2 ETH leave, burning all shares would lift the rate ~2%.
    let half = U256::from(10).pow(U256::from(27)) / U256::from(2);
    env.mock_finalization(&[U256::from(1)], half, eth(2), queued);
    let pre_rate = env.total_pooled() * U256::from(10).pow(U256::from(27)) / env.total_shares();
    env.report_with(3, eth(96), U256::ZERO, U256::ZERO, vec![U256::from(1)], half).unwrap();
    let pending = env.accounting.get_shares_pending_burn();
    assert!(pending > U256::ZERO && pending < queued);
    assert_eq!(env.shares(QUEUE), pending);
    let post_rate = env.total_pooled() * U256::from(10).pow(U256::from(27)) / env.total_shares();
    let max_rate = pre_rate * U256::from(1_000_750_000) / U256::from(1_000_000_000);
    assert!(post_rate <= max_rate + U256::from(1));
    // Later reports burn the rest.
    for _ in 0..40 {
        env.report(3, eth(96), U256::ZERO, U256::ZERO).unwrap();
    }
    assert_eq!(env.accounting.get_shares_pending_burn(), U256::ZERO);
    assert_eq!(env.shares(QUEUE), U256::ZERO);
}

#[test]
fn report_errors_change_nothing() {
    let mut env = env_with_validators();
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| {
        e.as_(ALICE);
        e.accounting.handle_oracle_report(
            U256::ZERO,
            U256::ZERO,
            U256::from(3),
            eth(96),
            U256::ZERO,
            U256::ZERO,
            vec![],
            U256::ZERO,
        )
    });
    assert_eq!(err, PoolError::NotOracle(NotOracle { caller: ALICE }));
    // Fewer validators than seen, more than deposited (3 of each so far).
    let (three, two, four) = (U256::from(3), U256::from(2), U256::from(4));
    for (validators, balance, expected) in [
        (2, eth(96), ReportedValidatorsDecreased { previous: three, reported: two }.into()),
        (
            4,
            eth(128),
            ReportedValidatorsExceedDeposited { deposited: three, reported: four }.into(),
        ),
    ] {
        let err =
            env.assert_reverts_unchanged(|e| e.report(validators, balance, U256::ZERO, U256::ZERO));
        assert_eq!(err, expected);
    }
    // Finalisation needing more than the buffer holds.
    let rate = U256::from(10).pow(U256::from(27));
    env.mock_finalization(&[U256::from(1)], rate, eth(6), U256::ZERO);
    let err = env.assert_reverts_unchanged(|e| {
        e.report_with(3, eth(96), U256::ZERO, U256::ZERO, vec![U256::from(1)], rate)
    });
    assert_eq!(
        err,
        PoolError::InsufficientEtherToFinalize(InsufficientEtherToFinalize {
            required: eth(6),
            available: eth(5)
        })
    );
    env.as_(ADMIN);
    env.admin.stop().unwrap();
    let err = env.assert_reverts_unchanged(|e| e.report(3, eth(96), U256::ZERO, U256::ZERO));
    assert_eq!(err, PoolError::ProtocolStopped(ProtocolStopped {}));
}

#[test]
fn vault_refusing_to_pay_fails_the_report() {
    let mut env = env_with_validators();
    env.vm.mock_call(
        WITHDRAWAL_VAULT,
        tidepool_pool::interfaces::IVault::withdrawCall { amount: U256::from(1000) }.abi_encode(),
        U256::ZERO,
        Err(vec![]),
    );
    let err = env.report(3, eth(96), U256::from(1000), U256::ZERO).unwrap_err();
    assert_eq!(
        err,
        PoolError::VaultWithdrawalFailed(VaultWithdrawalFailed {
            vault: WITHDRAWAL_VAULT,
            amount: U256::from(1000)
        })
    );
}

#[test]
fn receive_vault_funds_only_from_vault_pulls() {
    let mut env = Env::new();
    for sender in [ALICE, WITHDRAWAL_VAULT] {
        env.vm.set_sender(sender);
        env.vm.set_value(ETH);
        // The TestVM never marks a call reentrant, so even a vault is refused here: only a
        // pull the pool itself started (a reentrant call) is accepted.
        let err = env.assert_reverts_unchanged(|e| e.pool.receive_vault_funds());
        assert_eq!(err, PoolError::UnexpectedVaultFunds(UnexpectedVaultFunds { sender }));
    }
}

#[test]
fn the_queues_surplus_goes_into_the_buffer_and_only_from_the_queue() {
    let mut env = Env::new();
    let (buffered, pooled) =
        (env.accounting.get_buffered_ether(), env.pool.get_total_pooled_ether());
    for sender in [ALICE, WITHDRAWAL_VAULT, ORACLE] {
        env.vm.set_sender(sender);
        env.vm.set_value(ETH);
        let err = env.assert_reverts_unchanged(|e| e.pool.receive_withdrawal_surplus());
        assert_eq!(err, PoolError::NotWithdrawalQueue(NotWithdrawalQueue { caller: sender }));
    }
    // Not while one of the pool's own calls runs (a report has written its buffer already).
    env.vm.set_sender(QUEUE);
    env.vm.set_reentrant(true);
    let err = env.assert_reverts_unchanged(|e| e.pool.receive_withdrawal_surplus());
    assert_eq!(err, PoolError::ReentrantCall(ReentrantCall {}));
    env.vm.set_reentrant(false);

    let amount = U256::from(1_234_567u64);
    env.vm.set_value(amount);
    env.pool.receive_withdrawal_surplus().unwrap();
    assert_eq!(env.accounting.get_buffered_ether(), buffered + amount);
    assert_eq!(env.pool.get_total_pooled_ether(), pooled + amount);
    let events = env.events::<WithdrawalSurplusReceived>();
    assert_eq!((events.len(), events[0].amount), (1, amount));
}

// ---------------------------------------------------------------- administration

#[test]
fn stop_and_resume() {
    let mut env = Env::new();
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| e.admin.stop());
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
    env.as_(ADMIN);
    env.admin.stop().unwrap();
    assert!(env.admin.is_stopped());
    assert_eq!(env.events::<Stopped>().len(), 1);
    let err = env.assert_reverts_unchanged(|e| e.admin.stop());
    assert_eq!(err, PoolError::ProtocolStopped(ProtocolStopped {}));
    env.admin.resume().unwrap();
    assert!(!env.admin.is_stopped());
    assert_eq!(env.events::<Resumed>().len(), 1);
    let err = env.assert_reverts_unchanged(|e| e.admin.resume());
    assert_eq!(err, PoolError::ProtocolNotStopped(ProtocolNotStopped {}));
}

#[test]
fn staking_pause_roles_and_errors() {
    let mut env = Env::new();
    env.as_(BOB);
    let err = env.assert_reverts_unchanged(|e| e.admin.pause_staking());
    assert_eq!(
        err,
        PoolError::AccessControlUnauthorizedAccount(AccessControlUnauthorizedAccount {
            account: BOB,
            neededRole: roles::STAKING_PAUSE_ROLE
        })
    );
    env.as_(ADMIN);
    let err = env.assert_reverts_unchanged(|e| e.admin.resume_staking());
    assert_eq!(err, PoolError::StakingNotPaused(StakingNotPaused {}));
    env.admin.pause_staking().unwrap();
    let err = env.assert_reverts_unchanged(|e| e.admin.pause_staking());
    assert_eq!(err, PoolError::StakingIsPaused(StakingIsPaused {}));
    assert_eq!(env.events::<StakingPaused>().len(), 1);
}

#[test]
fn fee_and_rebase_cap_settings() {
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.set_fee(300, 700).unwrap();
    assert_eq!(env.admin.get_fee_distribution(), (300, 700));
    assert_eq!(env.admin.get_fee(), 1000);
    let err = env.assert_reverts_unchanged(|e| e.admin.set_fee(5001, 5000));
    assert_eq!(
        err,
        PoolError::InvalidFee(InvalidFee {
            treasuryFeeBasisPoints: U256::from(5001),
            moduleFeeBasisPoints: U256::from(5000)
        })
    );
    env.admin.set_fee(10_000, 0).unwrap();
    for bad in [0, 1_000_000_001] {
        let err = env.assert_reverts_unchanged(|e| e.admin.set_max_positive_rebase(bad));
        assert_eq!(
            err,
            PoolError::InvalidMaxPositiveRebase(InvalidMaxPositiveRebase {
                maxPositiveRebase: U256::from(bad)
            })
        );
    }
    env.admin.set_max_positive_rebase(1_000_000_000).unwrap();
    assert_eq!(env.accounting.get_max_positive_rebase(), 1_000_000_000);
    env.as_(ALICE);
    let err = env.assert_reverts_unchanged(|e| e.admin.set_fee(1, 1));
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
}

#[test]
fn treasury_and_module_can_be_replaced_by_admin_only() {
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.set_treasury(CAROL).unwrap();
    env.admin.set_staking_module(BOB).unwrap();
    let c = env.admin.get_protocol_contracts();
    assert_eq!((c.4, c.5), (CAROL, BOB));
    let err = env.assert_reverts_unchanged(|e| e.admin.set_treasury(Address::ZERO));
    assert_eq!(err, PoolError::ZeroAddress(ZeroAddress {}));
    env.as_(CAROL);
    let err = env.assert_reverts_unchanged(|e| e.admin.set_treasury(CAROL));
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
}

#[test]
fn roles_are_granted_revoked_and_renounced() {
    let mut env = Env::new();
    env.as_(ADMIN);
    env.admin.grant_role(roles::DEPOSIT_ROLE, BOB).unwrap();
    assert!(env.admin.has_role(roles::DEPOSIT_ROLE, BOB));
    assert_eq!(env.admin.get_role_admin(roles::DEPOSIT_ROLE), B256::ZERO);
    env.admin.revoke_role(roles::DEPOSIT_ROLE, BOB).unwrap();
    assert!(!env.admin.has_role(roles::DEPOSIT_ROLE, BOB));
    env.as_(BOB);
    let err = env.assert_reverts_unchanged(|e| e.admin.grant_role(roles::DEPOSIT_ROLE, BOB));
    assert!(matches!(err, PoolError::AccessControlUnauthorizedAccount(_)));
    env.as_(ADMIN);
    env.admin.renounce_role(roles::DEPOSIT_ROLE, ADMIN).unwrap();
    assert!(!env.admin.has_role(roles::DEPOSIT_ROLE, ADMIN));
    assert_eq!(roles::DEPOSIT_ROLE, role("DEPOSIT_ROLE"));
}
