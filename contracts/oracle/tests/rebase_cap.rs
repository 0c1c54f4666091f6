//! The positive-rebase cap, end to end through the oracle and the real pool: one setting (the
//! pool's `setMaxPositiveRebase`) decides both what the pool takes from the vaults and what the
//! oracle accepts, and the oracle accepts whatever the pool's limiter produced, up to the last
//! wei of rounding (issue 19, items 3 and 6).

mod common;

use alloy_primitives::U256;
use common::*;
use tidepool_math::{rebase_limit::RebaseLimiter, LIMITER_PRECISION};
use tidepool_pool::roles as pool_roles;

/// `env` with the fee at zero (so every wei of rewards raises the rate) and `ADMIN` allowed to
/// set the pool's fee and cap.
fn fee_free(env: &mut Env) {
    env.pool_vm.set_sender(ADMIN);
    env.pool_admin.grant_role(pool_roles::FEE_MANAGER_ROLE, ADMIN).expect("grant");
    env.pool_admin.set_fee(0, 0).expect("no fee");
}

/// Sets the pool's cap, as its fee manager.
fn set_pool_cap(env: &mut Env, cap: u64) {
    env.pool_vm.set_sender(ADMIN);
    env.pool_admin.set_max_positive_rebase(cap).expect("cap");
}

/// Applies this frame's report with `el` wei in the rewards vault (the consensus layer
/// unchanged at 320 ether) and returns how much pooled ether grew.
fn report_el_rewards(env: &Env, el: U256) -> Result<U256, Vec<u8>> {
    let pooled = env.total_pooled();
    env.fund_vaults(U256::ZERO, el);
    let mut data = env.report(320_000_000_000);
    data.elRewardsVaultBalance = el;
    env.submit(&data, env.quorum_signatures(3, &data))?;
    Ok(env.total_pooled() - pooled)
}

/// The most pooled ether may grow under `cap`, by the limiter's own arithmetic.
fn room(env: &Env, cap: u64) -> U256 {
    let limiter =
        RebaseLimiter::new(cap, env.total_pooled(), env.total_shares()).expect("a limiter");
    limiter.max_total_pooled - env.total_pooled()
}

#[test]
fn the_oracle_accepts_the_pools_capped_result_at_the_rounding_edge() {
    // S0 = 1000 ether + 1 wei of shares, P0 = S0 + 1,333,003,999 wei, no fee: the pool fills
    // its cap exactly and the rate it ends with rounds one unit above the rate the oracle used
    // to compute from the rounded pre-report rate, so its own result was refused.
    let mut env = Env::new(5, 3);
    fee_free(&mut env);
    env.pool_vm.set_sender(ALICE);
    env.pool_vm.set_value(eth(679) + U256::from(1));
    env.pool.submit(alloy_primitives::Address::ZERO).expect("submit");
    env.pool_vm.set_value(U256::ZERO);
    let s0 = eth(1_000) + U256::from(1);
    assert_eq!((env.total_pooled(), env.total_shares()), (s0, s0));
    let gained = report_el_rewards(&env, U256::from(1_333_003_999u64)).expect("small rewards");
    assert_eq!(gained, U256::from(1_333_003_999u64));
    assert_eq!(env.total_pooled(), s0 + U256::from(1_333_003_999u64));

    env.set_time(env.frame_start(2));
    let cap = room(&env, 750_000);
    let gained = report_el_rewards(&env, eth(1)).expect("the pool's own capped result");
    assert_eq!(gained, cap, "the pool takes exactly its cap");
}

#[test]
fn one_setting_decides_what_the_pool_takes_and_what_the_oracle_accepts() {
    let mut env = Env::new(5, 3);
    fee_free(&mut env);

    // A loose cap on the pool (100%): 1% of rewards go through whole, and the oracle, which
    // reads the same setting, accepts them.
    set_pool_cap(&mut env, LIMITER_PRECISION);
    let one_percent = env.total_pooled() / U256::from(100);
    let gained = report_el_rewards(&env, one_percent).expect("within the loosened cap");
    assert_eq!(gained, one_percent);

    // Tightened to 0.01% on the pool alone: the pool takes only that, and the oracle is
    // satisfied with it (nothing else to configure).
    set_pool_cap(&mut env, 100_000);
    env.set_time(env.frame_start(2));
    let cap = room(&env, 100_000);
    let gained = report_el_rewards(&env, one_percent).expect("within the tightened cap");
    assert_eq!(gained, cap);
    assert!(cap < one_percent);
}
