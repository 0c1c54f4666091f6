//! Native tests of the wrapper on `TestHost`, with the pool answered by exact mocks: every
//! call the wrapper makes to the pool must be the one these tests expect (address, calldata,
//! value), so the amounts it asks the pool to move are checked, not just its own books.
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use proptest::prelude::*;
use tidepool_common::{
    erc20::{Approval, Transfer},
    initializable,
};
use tidepool_testing::*;
use tidepool_wrapped::{errors::*, pool::IPool, Deposit, Withdraw, Wrapped, NAME};

const E18: u128 = 1_000_000_000_000_000_000;

sol! {
    interface IWrapped {
        function wrap(uint256 pooled_amount) external returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256);
        function previewDeposit(uint256 assets) external view returns (uint256);
        function stEthPerToken() external view returns (uint256);
        function tokensPerStEth() external view returns (uint256);
        function asset() external view returns (address);
        function name() external view returns (string);
    }
    error StakingIsPaused();
}

fn u(x: u128) -> U256 {
    U256::from(x)
}

fn ceil_div(a: U256, b: U256) -> U256 {
    (a + b - U256::from(1)) / b
}

struct Env {
    vm: TestHost,
    wrapped: Wrapped,
}

impl Env {
    /// A wrapper over a pool holding `pooled` ether for `shares` shares.
    fn new(pooled: U256, shares: U256) -> Self {
        let vm = beside_mocked_pool(3);
        pool_names_its_queue(&vm);
        let mut wrapped = Wrapped::from(&vm);
        wrapped.initialize(3, POOL).unwrap();
        let env = Env { vm, wrapped };
        env.set_rate(pooled, shares);
        env
    }

    fn this(&self) -> Address {
        DEPLOYER.create(3)
    }

    fn set_rate(&self, pooled: U256, shares: U256) {
        self.vm.mock_static_call(
            POOL,
            IPool::getTotalSharesAndPooledEtherCall {}.abi_encode(),
            Ok((shares, pooled).abi_encode()),
        );
    }

    fn as_(&self, who: Address) {
        self.vm.set_sender(who);
        self.vm.set_value(U256::ZERO);
    }

    /// The pool accepts `data` (a call worth nothing) and answers `answer`.
    fn pool_accepts(&self, data: Vec<u8>, answer: U256) {
        self.vm.mock_call(POOL, data, U256::ZERO, Ok(answer.abi_encode()));
    }

    fn pool_accepts_transfer_from(&self, from: Address, amount: U256) {
        let data = IPool::transferFromCall { from, to: self.this(), amount }.abi_encode();
        self.pool_accepts(data, U256::from(1));
    }

    fn events<E: SolEvent>(&self) -> Vec<E> {
        self.vm.events()
    }

    fn route(&self, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.vm.route::<Wrapped>(&calldata)
    }

    /// Alice wraps `amount` at the current rate; returns the tokens minted.
    fn wrap(&mut self, who: Address, amount: U256) -> U256 {
        self.as_(who);
        self.pool_accepts_transfer_from(who, amount);
        self.wrapped.wrap(amount).unwrap()
    }
}

fn err<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}

// ---------------------------------------------------------------- set-up

/// The pool's withdrawal queue, as the mocked pool names it.
const QUEUE: Address = Address::repeat_byte(0x9e);

/// The mocked pool answers `getProtocolContracts` with [`QUEUE`] as its queue.
fn pool_names_its_queue(vm: &TestHost) {
    let other = Address::repeat_byte(0x01);
    let answer = (other, QUEUE, other, other, other, other).abi_encode_params();
    vm.mock_static_call(POOL, IPool::getProtocolContractsCall {}.abi_encode(), Ok(answer));
}

#[test]
fn initialise_once_by_the_deployer_with_a_real_pool() {
    let vm = deployed(3);
    let mut wrapped = Wrapped::from(&vm);
    assert_eq!(wrapped.initialize(3, Address::ZERO), Err(err(InvalidPool { pool: Address::ZERO })));
    // An address without code would make every pool call "succeed" with no data.
    assert_eq!(wrapped.initialize(3, POOL), Err(err(InvalidPool { pool: POOL })));
    vm.set_code(POOL, program_code());
    pool_names_its_queue(&vm);
    vm.set_sender(ALICE);
    assert_eq!(
        wrapped.initialize(3, POOL),
        Err(err(initializable::NotDeployer { caller: ALICE, nonce: 3 }))
    );
    assert!(vm.snapshot().storage.is_empty());
    vm.set_sender(DEPLOYER);
    wrapped.initialize(3, POOL).unwrap();
    assert_eq!(wrapped.asset(), POOL);
    assert_eq!(wrapped.initialize(3, POOL), Err(err(initializable::AlreadyInitialized {})));
}

// ---------------------------------------------------------------- wrapping

#[test]
fn wrap_mints_shares_rounded_down_and_takes_the_exact_amount() {
    // 3 ether for 2 shares: 1 share = 1.5 ether.
    let mut env = Env::new(u(3 * E18), u(2 * E18));
    let minted = env.wrap(ALICE, u(E18));
    assert_eq!(minted, u(666_666_666_666_666_666));
    assert_eq!(env.wrapped.balance_of(ALICE), minted);
    assert_eq!(env.wrapped.total_supply(), minted);
    let calls = env.vm.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].1,
        IPool::transferFromCall { from: ALICE, to: env.this(), amount: u(E18) }.abi_encode()
    );
    assert_eq!(
        env.events::<Transfer>(),
        [Transfer { from: Address::ZERO, to: ALICE, value: minted }]
    );
    assert_eq!(
        env.events::<Deposit>(),
        [Deposit { sender: ALICE, owner: ALICE, assets: u(E18), shares: minted }]
    );
}

#[test]
fn unwrap_hands_over_exactly_the_shares_burnt() {
    let mut env = Env::new(u(3 * E18), u(2 * E18));
    let minted = env.wrap(ALICE, u(E18));
    env.vm.clear_calls();
    let data = IPool::transferSharesCall { to: ALICE, shares_amount: minted }.abi_encode();
    env.pool_accepts(data.clone(), u(E18 - 1));
    let value = env.wrapped.unwrap(minted).unwrap();
    // floor(666_666_666_666_666_666 * 1.5)
    assert_eq!(value, u(999_999_999_999_999_999));
    assert_eq!(env.vm.calls()[0].1, data);
    assert_eq!(
        (env.wrapped.balance_of(ALICE), env.wrapped.total_supply()),
        (U256::ZERO, U256::ZERO)
    );
    let withdraw = env.events::<Withdraw>().pop().unwrap();
    assert_eq!(
        (withdraw.sender, withdraw.receiver, withdraw.owner, withdraw.assets, withdraw.shares),
        (ALICE, ALICE, ALICE, value, minted)
    );
}

#[test]
fn zero_and_dust_amounts_are_refused() {
    let mut env = Env::new(u(3 * E18), u(2 * E18));
    env.as_(ALICE);
    assert_eq!(env.wrapped.wrap(U256::ZERO), Err(err(ZeroAmount {})));
    // One wei is worth less than one share here.
    assert_eq!(env.wrapped.wrap(u(1)), Err(err(ZeroAmount {})));
    assert_eq!(env.wrapped.unwrap(U256::ZERO), Err(err(ZeroAmount {})));
    assert!(env.vm.calls().is_empty(), "nothing was asked of the pool");
    // The initialisation's slots: its flag, the pool and the queue.
    assert!(env.vm.snapshot().storage.len() <= 3, "only the initialisation was written");
}

#[test]
fn pool_refusals_reach_the_caller_unchanged() {
    let mut env = Env::new(u(E18), u(E18));
    env.as_(ALICE);
    // The pool refuses the transfer (no mock): its revert data comes back as is.
    let refusal = err(ERC20InsufficientAllowance {
        spender: env.this(),
        allowance: U256::ZERO,
        needed: u(5),
    });
    env.vm.mock_call(
        POOL,
        IPool::transferFromCall { from: ALICE, to: env.this(), amount: u(5) }.abi_encode(),
        U256::ZERO,
        Err(refusal.clone()),
    );
    let before = env.vm.snapshot().storage;
    assert_eq!(env.wrapped.wrap(u(5)), Err(refusal));
    assert_eq!(env.vm.snapshot().storage, before);
    assert_eq!(env.wrapped.total_supply(), U256::ZERO);
}

#[test]
fn plain_eth_is_staked_and_wrapped_in_one_step() {
    let mut env = Env::new(u(3 * E18), u(2 * E18));
    env.vm.set_sender(BOB);
    env.vm.set_value(u(3 * E18));
    let submit = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    env.vm.mock_call(POOL, submit.clone(), u(3 * E18), Ok(u(2 * E18).abi_encode()));
    env.wrapped.receive().unwrap();
    assert_eq!(env.vm.calls(), [(POOL, submit.clone(), u(3 * E18))]);
    assert_eq!(env.wrapped.balance_of(BOB), u(2 * E18));
    assert_eq!(
        env.events::<Deposit>(),
        [Deposit { sender: BOB, owner: BOB, assets: u(3 * E18), shares: u(2 * E18) }]
    );
    // The pool's staking errors pass through, and nothing is minted.
    env.vm.mock_call(POOL, submit, u(E18), Err(err(StakingIsPaused {})));
    env.vm.set_value(u(E18));
    assert_eq!(env.wrapped.receive(), Err(err(StakingIsPaused {})));
    assert_eq!(env.wrapped.total_supply(), u(2 * E18));
}

#[test]
fn rate_views_read_the_pool() {
    let env = Env::new(u(3 * E18), u(2 * E18));
    assert_eq!(env.wrapped.st_eth_per_token(), Ok(u(3 * E18 / 2)));
    assert_eq!(env.wrapped.tokens_per_st_eth(), Ok(u(666_666_666_666_666_666)));
    assert_eq!(env.wrapped.get_wrapped_by_pooled(u(3)), Ok(u(2)));
    assert_eq!(env.wrapped.get_pooled_by_wrapped(u(3)), Ok(u(4)));
    // Through the router, with the names integrators call.
    let out = env.route(IWrapped::stEthPerTokenCall {}.abi_encode()).unwrap();
    assert_eq!(IWrapped::stEthPerTokenCall::abi_decode_returns(&out).unwrap(), u(3 * E18 / 2));
    let out = env.route(IWrapped::assetCall {}.abi_encode()).unwrap();
    assert_eq!(IWrapped::assetCall::abi_decode_returns(&out).unwrap(), POOL);
    let out = env.route(IWrapped::nameCall {}.abi_encode()).unwrap();
    assert_eq!(IWrapped::nameCall::abi_decode_returns(&out).unwrap(), NAME);
}

#[test]
fn a_malformed_pool_answer_is_an_error_not_a_zero() {
    let env = Env::new(u(E18), u(E18));
    let totals = IPool::getTotalSharesAndPooledEtherCall {}.abi_encode();
    env.vm.mock_static_call(POOL, totals.clone(), Ok(vec![1, 2, 3]));
    assert_eq!(env.wrapped.st_eth_per_token(), Err(err(PoolAnswerMalformed {})));
    // One word where two are due is malformed too.
    env.vm.mock_static_call(POOL, totals, Ok(U256::from(1u8).abi_encode()));
    assert_eq!(env.wrapped.st_eth_per_token(), Err(err(PoolAnswerMalformed {})));
}

// ---------------------------------------------------------------- ERC-20

#[test]
fn transfers_move_exact_amounts_and_refuse_bad_receivers() {
    let mut env = Env::new(u(E18), u(E18));
    env.wrap(ALICE, u(10));
    env.as_(ALICE);
    assert_eq!(env.wrapped.transfer(BOB, u(4)), Ok(true));
    assert_eq!((env.wrapped.balance_of(ALICE), env.wrapped.balance_of(BOB)), (u(6), u(4)));
    for bad in [Address::ZERO, env.this()] {
        assert_eq!(
            env.wrapped.transfer(bad, u(1)),
            Err(err(ERC20InvalidReceiver { receiver: bad }))
        );
    }
    assert_eq!(
        env.wrapped.transfer(BOB, u(7)),
        Err(err(ERC20InsufficientBalance { sender: ALICE, balance: u(6), needed: u(7) }))
    );
}

#[test]
fn transfer_from_spends_the_allowance_only_when_it_succeeds() {
    let mut env = Env::new(u(E18), u(E18));
    env.wrap(ALICE, u(10));
    env.as_(ALICE);
    env.wrapped.approve(BOB, u(8)).unwrap();
    env.as_(BOB);
    // Over the balance: refused before the allowance is touched.
    assert_eq!(
        env.wrapped.transfer_from(ALICE, BOB, u(11)),
        Err(err(ERC20InsufficientBalance { sender: ALICE, balance: u(10), needed: u(11) }))
    );
    assert_eq!(env.wrapped.allowance(ALICE, BOB), u(8));
    assert_eq!(
        env.wrapped.transfer_from(ALICE, BOB, u(9)),
        Err(err(ERC20InsufficientAllowance { spender: BOB, allowance: u(8), needed: u(9) }))
    );
    assert_eq!(env.wrapped.transfer_from(ALICE, BOB, u(5)), Ok(true));
    assert_eq!(env.wrapped.allowance(ALICE, BOB), u(3));
    assert_eq!(env.events::<Approval>().last().unwrap().value, u(3));
    assert_eq!(
        env.wrapped.approve(Address::ZERO, u(1)),
        Err(err(ERC20InvalidSpender { spender: Address::ZERO }))
    );
}

#[test]
fn permit_sets_the_allowance_from_the_holders_signature() {
    use tidepool_common::{
        eip712,
        permit::permit_struct_hash,
        testing::{sign_digest, signer},
    };
    let mut env = Env::new(u(E18), u(E18));
    let owner = signer(1).address();
    let deadline = u(1_800_000_000);
    let domain = env.wrapped.domain_separator();
    assert_eq!(domain, eip712::domain_separator(NAME, "1", env.vm.snapshot().chain_id, env.this()));
    let digest =
        eip712::typed_data_hash(domain, permit_struct_hash(owner, BOB, u(7), U256::ZERO, deadline));
    let (v, r, s) = sign_digest(1, digest);
    env.as_(BOB);
    assert_eq!(
        env.wrapped.permit(owner, Address::ZERO, u(7), deadline, v, r, s),
        Err(err(ERC20InvalidSpender { spender: Address::ZERO }))
    );
    env.wrapped.permit(owner, BOB, u(7), deadline, v, r, s).unwrap();
    assert_eq!(env.wrapped.allowance(owner, BOB), u(7));
    assert_eq!(env.wrapped.nonces(owner), u(1));
    // Replaying it fails: the nonce moved on.
    assert!(env.wrapped.permit(owner, BOB, u(7), deadline, v, r, s).is_err());
    let domain = env.wrapped.eip712_domain();
    assert_eq!((domain.1.as_str(), domain.2.as_str(), domain.4), (NAME, "1", env.this()));
}

// ---------------------------------------------------------------- ERC-4626

#[test]
fn erc4626_actions_match_their_previews_and_round_against_the_caller() {
    let (pooled, shares) = (u(3 * E18), u(2 * E18));
    let mut env = Env::new(pooled, shares);
    let assets = u(10 * E18 + 1);
    // deposit: shares rounded down.
    let preview = env.wrapped.preview_deposit(assets).unwrap();
    assert_eq!(preview, assets * shares / pooled);
    env.as_(ALICE);
    env.pool_accepts_transfer_from(ALICE, assets);
    assert_eq!(env.wrapped.deposit(assets, BOB), Ok(preview));
    assert_eq!(env.wrapped.balance_of(BOB), preview);
    // mint: assets rounded up.
    let want = u(E18 + 1);
    let cost = env.wrapped.preview_mint(want).unwrap();
    assert_eq!(cost, ceil_div(want * pooled, shares));
    env.pool_accepts_transfer_from(ALICE, cost);
    assert_eq!(env.wrapped.mint(want, ALICE), Ok(cost));
    assert_eq!(env.wrapped.balance_of(ALICE), want);
    // withdraw: shares rounded up, paid with the pool's `transfer` of exactly `assets`.
    let out = u(E18);
    let burn = env.wrapped.preview_withdraw(out).unwrap();
    assert_eq!(burn, ceil_div(out * shares, pooled));
    env.pool_accepts(IPool::transferCall { to: ALICE, amount: out }.abi_encode(), u(1));
    assert_eq!(env.wrapped.withdraw(out, ALICE, ALICE), Ok(burn));
    assert_eq!(env.wrapped.balance_of(ALICE), want - burn);
    // redeem: assets rounded down, paid in exactly the shares burnt.
    let left = env.wrapped.balance_of(ALICE);
    let pays = env.wrapped.preview_redeem(left).unwrap();
    assert_eq!(pays, left * pooled / shares);
    env.pool_accepts(
        IPool::transferSharesCall { to: ALICE, shares_amount: left }.abi_encode(),
        pays,
    );
    assert_eq!(env.wrapped.redeem(left, ALICE, ALICE), Ok(pays));
    assert_eq!(env.wrapped.balance_of(ALICE), U256::ZERO);
    assert_eq!(env.wrapped.total_supply(), preview);
}

#[test]
fn withdrawing_for_another_owner_spends_its_allowance() {
    let mut env = Env::new(u(E18), u(E18));
    env.wrap(ALICE, u(100));
    env.as_(BOB);
    assert_eq!(
        env.wrapped.redeem(u(10), BOB, ALICE),
        Err(err(ERC20InsufficientAllowance { spender: BOB, allowance: U256::ZERO, needed: u(10) }))
    );
    env.as_(ALICE);
    env.wrapped.approve(BOB, u(15)).unwrap();
    env.as_(BOB);
    env.pool_accepts(
        IPool::transferSharesCall { to: BOB, shares_amount: u(10) }.abi_encode(),
        u(10),
    );
    assert_eq!(env.wrapped.redeem(u(10), BOB, ALICE), Ok(u(10)));
    assert_eq!(env.wrapped.allowance(ALICE, BOB), u(5));
    let w = env.events::<Withdraw>().pop().unwrap();
    assert_eq!((w.sender, w.receiver, w.owner), (BOB, BOB, ALICE));
    assert_eq!(
        env.wrapped.redeem(u(91), BOB, ALICE),
        Err(err(ERC20InsufficientBalance { sender: ALICE, balance: u(90), needed: u(91) }))
    );
}

#[test]
fn withdrawing_to_the_wrapper_the_pool_or_the_queue_is_refused_before_burning() {
    let mut env = Env::new(u(E18), u(E18));
    env.wrap(ALICE, u(100));
    let this = env.vm.snapshot().contract_address;
    env.as_(ALICE);
    for receiver in [this, POOL, QUEUE] {
        let refused = err(ERC20InvalidReceiver { receiver });
        assert_eq!(env.wrapped.redeem(u(10), receiver, ALICE), Err(refused.clone()));
        assert_eq!(env.wrapped.withdraw(u(10), receiver, ALICE), Err(refused));
        assert_eq!(env.wrapped.balance_of(ALICE), u(100), "nothing burnt");
    }
}

#[test]
fn limits_follow_the_pool_switch() {
    let mut env = Env::new(u(3 * E18), u(2 * E18));
    env.wrap(ALICE, u(3 * E18));
    for stopped in [false, true] {
        env.vm.mock_static_call(
            POOL,
            IPool::isStoppedCall {}.abi_encode(),
            Ok(stopped.abi_encode()),
        );
        let open = |x: U256| if stopped { U256::ZERO } else { x };
        assert_eq!(env.wrapped.max_deposit(ALICE), Ok(open(U256::MAX)));
        assert_eq!(env.wrapped.max_mint(ALICE), Ok(open(U256::MAX)));
        assert_eq!(env.wrapped.max_redeem(ALICE), Ok(open(u(2 * E18))));
        assert_eq!(env.wrapped.max_withdraw(ALICE), Ok(open(u(3 * E18))));
    }
    env.vm.mock_static_call(
        POOL,
        IPool::balanceOfCall { account: env.this() }.abi_encode(),
        Ok(u(3 * E18).abi_encode()),
    );
    assert_eq!(env.wrapped.total_assets(), Ok(u(3 * E18)));
    assert_eq!(env.wrapped.convert_to_shares(u(3)), Ok(u(2)));
    assert_eq!(env.wrapped.convert_to_assets(u(2)), Ok(u(3)));
}

// ---------------------------------------------------------------- properties

fn rate() -> impl Strategy<Value = (U256, U256)> {
    // Share prices from 0.5 to 2 ether, pools from 1 to 10^9 ether.
    (1u128..1_000_000_000, 500u128..2_000).prop_map(|(ether, permille)| {
        let pooled = u(ether * E18);
        (pooled, pooled * u(1_000) / u(permille))
    })
}

/// A [`rate`] and an amount from 1 wei to 1,000 ether.
fn rate_and_amount() -> impl Strategy<Value = (U256, U256, U256)> {
    (rate(), 1u128..(1_000 * E18))
        .prop_map(|((pooled, shares), amount)| (pooled, shares, u(amount)))
}

proptest! {
    /// Deposit then redeem everything: the pool shares handed back never exceed the shares
    /// the pool moved in (`ceil(assets * S / P)` for the `transferFrom` of `assets`).
    #[test]
    fn deposit_then_redeem_never_creates_value(
        (pooled, shares, assets) in rate_and_amount(),
    ) {
        let mut env = Env::new(pooled, shares);
        let taken = ceil_div(assets * shares, pooled);
        let preview = env.wrapped.preview_deposit(assets).unwrap();
        env.as_(ALICE);
        env.pool_accepts_transfer_from(ALICE, assets);
        match env.wrapped.deposit(assets, ALICE) {
            Ok(minted) => {
                prop_assert_eq!(minted, preview);
                prop_assert!(minted <= taken);
                let pays = env.wrapped.preview_redeem(minted).unwrap();
                prop_assert!(pays <= assets, "redeem pays {} for a deposit of {}", pays, assets);
                env.pool_accepts(
                    IPool::transferSharesCall { to: ALICE, shares_amount: minted }.abi_encode(),
                    pays,
                );
                prop_assert_eq!(env.wrapped.redeem(minted, ALICE, ALICE), Ok(pays));
            }
            Err(e) => {
                prop_assert_eq!(preview, U256::ZERO);
                prop_assert_eq!(e, err(ZeroAmount {}));
            }
        }
    }

    /// Mint then withdraw: the caller pays at least what the minted tokens are worth, and
    /// withdrawing burns at least the shares the pool will move out.
    #[test]
    fn mint_then_withdraw_never_creates_value(
        (pooled, shares, want) in rate_and_amount(),
    ) {
        let mut env = Env::new(pooled, shares);
        let cost = env.wrapped.preview_mint(want).unwrap();
        prop_assert!(cost * shares >= want * pooled, "mint undercharged");
        env.as_(ALICE);
        env.pool_accepts_transfer_from(ALICE, cost);
        prop_assert_eq!(env.wrapped.mint(want, ALICE), Ok(cost));
        // Withdraw what the minted tokens are worth.
        let out = env.wrapped.preview_redeem(want).unwrap();
        if out.is_zero() {
            return Ok(());
        }
        let burn = env.wrapped.preview_withdraw(out).unwrap();
        prop_assert!(burn <= want);
        prop_assert!(burn * pooled >= out * shares, "withdraw burnt too little");
        prop_assert!(out <= cost);
        env.pool_accepts(IPool::transferCall { to: ALICE, amount: out }.abi_encode(), u(1));
        prop_assert_eq!(env.wrapped.withdraw(out, ALICE, ALICE), Ok(burn));
        prop_assert_eq!(env.wrapped.balance_of(ALICE), want - burn);
    }
}
