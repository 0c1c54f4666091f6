//! The state machine: life cycle, rewards, sweeps, slashing, penalties, time jumps, history
//! and conservation.

use alloy_primitives::{Address, B256, U256};
use proptest::prelude::*;
use tidepool_beacon::{withdrawal_credentials, DepositKey, ForkVersion, GWEI_PER_ETH};
use tidepool_beacon_sim::{
    BeaconChain, BeaconConfig, Deposit, DepositOutcome, SimError, StateId, ValidatorId,
    ValidatorStatus::{self, *},
};

const ETH: u64 = GWEI_PER_ETH;
/// 32 ETH at 3% a year, per 384-second epoch, rounded down.
const REWARD: u64 = 11_689;

fn vault() -> Address {
    Address::repeat_byte(0xaa)
}

fn signed(n: u32, credentials: B256, gwei: u64) -> Deposit {
    let d = DepositKey::from_seed(b"beacon-sim tests", n).sign_deposit(
        credentials,
        gwei,
        ForkVersion::MAINNET,
    );
    Deposit {
        pubkey: d.pubkey,
        withdrawal_credentials: d.withdrawal_credentials,
        amount_gwei: d.amount_gwei,
        signature: d.signature,
    }
}

fn config() -> BeaconConfig {
    BeaconConfig { genesis_time: 1_000, ..BeaconConfig::default() }
}

fn chain(config: BeaconConfig) -> BeaconChain {
    BeaconChain::new(config).expect("valid config")
}

/// Unix time of the start of `epoch` under `config()`'s timing.
fn at(epoch: u64) -> u64 {
    1_000 + epoch * 384
}

fn status(c: &BeaconChain, index: u64) -> ValidatorStatus {
    c.state(StateId::Head).expect("head").get(index).expect("validator").status
}

fn balance(c: &BeaconChain, index: u64) -> u64 {
    c.state(StateId::Head).expect("head").get(index).expect("validator").balance_gwei
}

/// Conservation: deposited + rewards − penalties = balances + withdrawn.
fn assert_conserved(c: &BeaconChain) {
    let t = c.totals();
    assert_eq!(
        t.deposited_gwei + t.rewards_gwei - t.penalties_gwei,
        c.total_balance_gwei() + t.withdrawn_gwei,
        "{t:?}"
    );
}

#[test]
fn reward_per_epoch_is_the_apr_rounded_down() {
    let c = config();
    assert_eq!(c.reward_per_epoch(32 * ETH), REWARD);
    // 82,125 epochs a year: the yearly reward is within one gwei per epoch of 3%.
    let yearly = REWARD * 82_125;
    assert!(yearly <= 32 * ETH * 3 / 100 && 32 * ETH * 3 / 100 - yearly < 82_125);
    assert_eq!(c.inactivity_penalty_gwei, REWARD);
}

#[test]
fn a_validator_goes_through_the_whole_life_cycle() {
    let mut c = chain(BeaconConfig { sweep_every_epochs: 1_000_000, ..config() });
    let d = signed(0, withdrawal_credentials(vault(), false), 32 * ETH);
    assert_eq!(c.deposit(&d), DepositOutcome::Created(0));
    assert_eq!(status(&c, 0), PendingInitialized);

    c.advance_to(at(1));
    assert_eq!(status(&c, 0), PendingQueued);
    let v = c.state(StateId::Head).expect("head").get(0).expect("v");
    assert_eq!((v.epochs.activation_eligibility, v.epochs.activation), (1, 5));

    c.advance_to(at(5));
    assert_eq!(status(&c, 0), ActiveOngoing);
    c.advance_to(at(10));
    assert_eq!(balance(&c, 0), 32 * ETH + 5 * REWARD, "rewards for epochs 5..10");

    assert_eq!(c.request_exit(ValidatorId::Pubkey(d.pubkey)), Ok(0));
    assert_eq!(status(&c, 0), ActiveExiting);
    assert_eq!(c.request_exit(ValidatorId::Index(0)), Err(SimError::AlreadyExiting(0)));
    let v = c.state(StateId::Head).expect("head").get(0).expect("v");
    assert_eq!((v.epochs.exit, v.epochs.withdrawable), (14, 22));

    c.advance_to(at(14));
    assert_eq!(status(&c, 0), ExitedUnslashed);
    let final_balance = 32 * ETH + 9 * REWARD;
    assert_eq!(balance(&c, 0), final_balance, "no rewards after the exit epoch");
    let out = c.advance_to(at(22) - 1);
    assert!(out.withdrawals_gwei.is_empty());
    let out = c.advance_to(at(22));
    assert_eq!(status(&c, 0), WithdrawalDone);
    assert_eq!(out.full_withdrawals, 1);
    assert_eq!(out.credits(), vec![(vault(), U256::from(final_balance) * U256::from(ETH))]);
    assert_conserved(&c);
}

#[test]
fn a_deposit_with_an_invalid_signature_is_ignored() {
    let mut c = chain(config());
    let mut d = signed(0, withdrawal_credentials(vault(), false), 32 * ETH);
    // Signed for another amount: a valid point, the wrong message.
    d.signature = signed(0, withdrawal_credentials(vault(), false), 31 * ETH).signature;
    assert_eq!(c.deposit(&d), DepositOutcome::InvalidSignature);
    d.signature = [0xab; 96];
    assert_eq!(c.deposit(&d), DepositOutcome::InvalidSignature);
    assert!(c.is_empty());
    assert_eq!(c.totals().ignored_gwei, 64 * ETH);
    assert_eq!(c.totals().deposited_gwei, 0);
}

#[test]
fn one_eth_never_activates_until_topped_up_unchecked() {
    let mut c = chain(config());
    let d = signed(0, withdrawal_credentials(vault(), false), ETH);
    assert_eq!(c.deposit(&d), DepositOutcome::Created(0));
    c.advance_to(at(1_000));
    assert_eq!(status(&c, 0), PendingInitialized);
    // A top-up needs no valid signature.
    let top_up = Deposit { amount_gwei: 31 * ETH, signature: [0; 96], ..d };
    assert_eq!(c.deposit(&top_up), DepositOutcome::TopUp(0));
    c.advance_to(at(1_001));
    assert_eq!(status(&c, 0), PendingQueued);
    c.advance_to(at(1_005));
    assert_eq!(status(&c, 0), ActiveOngoing);
    assert_conserved(&c);
}

#[test]
fn excess_above_32_eth_is_swept_at_the_cadence() {
    let mut c = chain(BeaconConfig { sweep_every_epochs: 8, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 33 * ETH));
    // Eligible at 1, active at 5; the sweep at 8 takes the extra ETH and epochs 5..8.
    let out = c.advance_to(at(7));
    assert!(out.withdrawals_gwei.is_empty());
    let out = c.advance_to(at(8));
    assert_eq!(out.partial_withdrawals, 1);
    assert_eq!(out.withdrawals_gwei.get(&vault()), Some(&(ETH + 3 * REWARD)));
    assert_eq!(balance(&c, 0), 32 * ETH);
    let out = c.advance_to(at(16));
    assert_eq!(out.withdrawals_gwei.get(&vault()), Some(&(8 * REWARD)));
    assert_conserved(&c);
}

#[test]
fn compounding_credentials_are_swept_above_2048_eth() {
    let mut c = chain(BeaconConfig { sweep_every_epochs: 8, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), true), 100 * ETH));
    let out = c.advance_to(at(16));
    assert!(out.withdrawals_gwei.is_empty(), "below 2048 ETH nothing is swept");
    // Rewards compound on the effective balance (100 ETH, then whole ETH).
    assert!(balance(&c, 0) > 100 * ETH);
    c.deposit(&Deposit { amount_gwei: 1_950 * ETH, ..signed(0, B256::ZERO, 0) });
    let before = balance(&c, 0);
    let out = c.advance_to(at(24));
    let swept = *out.withdrawals_gwei.get(&vault()).expect("swept");
    assert_eq!(balance(&c, 0), 2_048 * ETH);
    assert!(swept > before - 2_048 * ETH);
    assert_conserved(&c);
}

#[test]
fn slashing_takes_the_initial_penalty_and_forces_an_exit() {
    let mut c = chain(BeaconConfig { sweep_every_epochs: 1_000_000, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 32 * ETH));
    assert!(matches!(c.slash(ValidatorId::Index(0)), Err(SimError::NotActive { .. })));
    c.advance_to(at(6));
    let before = balance(&c, 0);
    assert_eq!(c.slash(ValidatorId::Index(0)), Ok(32 * ETH / 4096));
    assert_eq!(balance(&c, 0), before - 7_812_500);
    assert_eq!(status(&c, 0), ActiveSlashed);
    assert_eq!(c.slash(ValidatorId::Index(0)), Err(SimError::AlreadySlashed(0)));
    // Exit at 10: epochs 6..10 each pay the inactivity penalty, not a reward.
    c.advance_to(at(10));
    assert_eq!(status(&c, 0), ExitedSlashed);
    let left = before - 7_812_500 - 4 * REWARD;
    assert_eq!(balance(&c, 0), left);
    let out = c.advance_to(at(18));
    assert_eq!(status(&c, 0), WithdrawalDone);
    assert_eq!(out.withdrawals_gwei.get(&vault()), Some(&left));
    assert_conserved(&c);
}

#[test]
fn offline_validators_pay_the_inactivity_penalty() {
    let mut c = chain(BeaconConfig {
        sweep_every_epochs: 1_000_000,
        inactivity_penalty_gwei: 5_000,
        ..config()
    });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 32 * ETH));
    c.deposit(&signed(1, withdrawal_credentials(vault(), false), 32 * ETH));
    c.advance_to(at(5));
    c.set_offline(ValidatorId::Index(1), true).expect("known");
    c.advance_to(at(15));
    assert_eq!(balance(&c, 0), 32 * ETH + 10 * REWARD);
    assert_eq!(balance(&c, 1), 32 * ETH - 10 * 5_000);
    c.set_offline(ValidatorId::Index(1), false).expect("known");
    c.advance_to(at(16));
    // Below 32 ETH the effective balance is 31 ETH.
    assert_eq!(balance(&c, 1), 32 * ETH - 50_000 + c.config().reward_per_epoch(31 * ETH));
    assert_eq!(
        c.set_offline(ValidatorId::Index(9), true),
        Err(SimError::UnknownValidator("9".into()))
    );
    assert_conserved(&c);
}

#[test]
fn execution_layer_rewards_go_to_the_fee_recipient_for_online_proposers() {
    let recipient = Address::repeat_byte(0xfe);
    let mut c = chain(BeaconConfig {
        el_reward_wei_per_slot: U256::from(1_000u64),
        fee_recipient: recipient,
        ..config()
    });
    let out = c.advance_to(at(3));
    assert!(out.el_rewards_wei.is_zero(), "no active validator, no blocks");
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 32 * ETH));
    c.deposit(&signed(1, withdrawal_credentials(vault(), false), 32 * ETH));
    c.advance_to(at(9));
    c.set_offline(ValidatorId::Index(1), true).expect("known");
    let out = c.advance_to(at(11));
    // Two epochs of 32 slots, half of them missed.
    assert_eq!(out.el_rewards_wei, U256::from(2 * 32 * 1_000 / 2));
    assert!(out.credits().contains(&(recipient, U256::from(32_000u64))));
}

#[test]
fn ten_thousand_validators_jump_a_thousand_epochs_quickly() {
    let mut c = chain(BeaconConfig { check_signatures: false, ..config() });
    for n in 0..10_000u32 {
        let mut pubkey = [0u8; 48];
        pubkey[..4].copy_from_slice(&n.to_be_bytes());
        let credentials = withdrawal_credentials(vault(), false);
        let d = Deposit {
            pubkey,
            withdrawal_credentials: credentials,
            amount_gwei: 32 * ETH,
            signature: [0; 96],
        };
        assert_eq!(c.deposit(&d), DepositOutcome::Created(u64::from(n)));
    }
    let started = std::time::Instant::now();
    let out = c.advance_to(at(1_000));
    let took = started.elapsed();
    assert_eq!(out.epochs, 1_000);
    // About 50 ms with the crate optimized as the workspace profile asks; generous for CI.
    assert!(took.as_secs() < 5, "took {took:?}");
    // Active from epoch 5; all but the rewards since the last sweep (at 1,000) were swept.
    let total = out.withdrawals_gwei[&vault()];
    assert_eq!(total, 10_000 * 995 * REWARD);
    assert_eq!(c.counts().get(&ActiveOngoing), Some(&10_000));
    assert_conserved(&c);
}

#[test]
fn past_slots_read_the_state_after_their_epoch_boundary() {
    let mut c =
        chain(BeaconConfig { sweep_every_epochs: 1_000_000, history_epochs: 16, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 32 * ETH));
    c.advance_to(at(10));
    c.request_exit(ValidatorId::Index(0)).expect("active");
    c.deposit(&signed(1, withdrawal_credentials(vault(), false), 32 * ETH));
    c.advance_to(at(20) + 100);

    // Slot 7 * 32 + 5 is in epoch 7: active, 2 epochs of rewards, validator 1 unknown.
    let past = c.state(StateId::Slot(7 * 32 + 5)).expect("kept");
    assert_eq!(past.epoch(), 7);
    assert_eq!(past.len(), 1);
    let v = past.get(0).expect("v");
    assert_eq!((v.status, v.balance_gwei), (ActiveOngoing, 32 * ETH + 2 * REWARD));
    assert_eq!(v.epochs.exit, u64::MAX, "the exit requested later is not shown");
    // At epoch 11 the exit shows.
    let v = c.state(StateId::Slot(11 * 32)).expect("kept").get(0).expect("v");
    assert_eq!((v.status, v.epochs.exit), (ActiveExiting, 14));
    assert_eq!(c.state(StateId::Slot(11 * 32)).expect("kept").len(), 2);
    // Finalized and justified checkpoints.
    assert_eq!(c.finalized_epoch(), 18);
    assert_eq!(c.state(StateId::Finalized).expect("kept").slot(), 18 * 32);
    assert!(c.state(StateId::Finalized).expect("kept").finalized());
    assert_eq!(c.state(StateId::Justified).expect("kept").epoch(), 19);
    // Beyond the head, and before the retention.
    assert!(matches!(c.state(StateId::Slot(21 * 32)), Err(SimError::StateNotFound(_))));
    assert!(matches!(c.state(StateId::Slot(3 * 32)), Err(SimError::StateNotFound(_))));
    assert!(c.state(StateId::Slot(4 * 32)).is_ok(), "20 - 16 = 4 is the oldest kept");
}

/// A withdrawal is part of a block: jumping past a validator's withdrawable epoch sweeps it at
/// the epoch of the jump's block, so every earlier state still holds the ether that no earlier
/// block has credited.
#[test]
fn sweeps_land_at_the_advance_that_credits_them() {
    let mut c =
        chain(BeaconConfig { sweep_every_epochs: 1_000_000, history_epochs: 64, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 32 * ETH));
    c.advance_to(at(6));
    c.request_exit(ValidatorId::Index(0)).expect("active");
    // Exit at 10, withdrawable at 18; one jump to epoch 40.
    let out = c.advance_to(at(40));
    let swept = *out.withdrawals_gwei.get(&vault()).expect("swept in this advance");
    let at_25 = c.state(StateId::Slot(25 * 32 + 31)).expect("kept").get(0).expect("v");
    assert_eq!((at_25.status, at_25.balance_gwei), (WithdrawalPossible, swept));
    let now = c.state(StateId::Slot(40 * 32)).expect("kept").get(0).expect("v");
    assert_eq!((now.status, now.balance_gwei), (WithdrawalDone, 0));
    assert_conserved(&c);
}

#[test]
fn ids_parse_as_the_beacon_api_writes_them() {
    assert_eq!("12".parse::<ValidatorId>(), Ok(ValidatorId::Index(12)));
    let hex = format!("0x{}", "ab".repeat(48));
    assert_eq!(hex.parse::<ValidatorId>(), Ok(ValidatorId::Pubkey([0xab; 48])));
    for bad in ["", "-1", "0x12", "abc", "1e3"] {
        assert!(bad.parse::<ValidatorId>().is_err(), "{bad}");
    }
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Deposit { key: u8, eth: u64, compounding: bool },
    Advance { seconds: u64 },
    Exit(u8),
    Slash(u8),
    Offline(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..12, 1u64..80, any::<bool>()).prop_map(|(key, eth, compounding)| Op::Deposit {
            key,
            eth,
            compounding
        }),
        (0u64..40_000).prop_map(|seconds| Op::Advance { seconds }),
        (0u8..12).prop_map(Op::Exit),
        (0u8..12).prop_map(Op::Slash),
        (0u8..12, any::<bool>()).prop_map(|(k, b)| Op::Offline(k, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever happens, deposited + rewards − penalties = balances + withdrawn, and every
    /// withdrawal returned by `advance_to` is in the withdrawn total.
    #[test]
    fn balances_are_conserved(ops in proptest::collection::vec(op(), 1..40)) {
        let mut c = chain(BeaconConfig {
            check_signatures: false,
            sweep_every_epochs: 3,
            inactivity_penalty_gwei: 50_000,
            ..config()
        });
        let mut now = at(0);
        let mut withdrawn = 0u64;
        for op in ops {
            match op {
                Op::Deposit { key, eth, compounding } => {
                    let d = Deposit {
                        pubkey: [key; 48],
                        withdrawal_credentials: withdrawal_credentials(vault(), compounding),
                        amount_gwei: eth * ETH,
                        signature: [0; 96],
                    };
                    c.deposit(&d);
                }
                Op::Advance { seconds } => {
                    now += seconds;
                    withdrawn += c.advance_to(now).withdrawals_gwei.values().sum::<u64>();
                }
                Op::Exit(k) => { let _ = c.request_exit(ValidatorId::Pubkey([k; 48])); }
                Op::Slash(k) => { let _ = c.slash(ValidatorId::Pubkey([k; 48])); }
                Op::Offline(k, b) => { let _ = c.set_offline(ValidatorId::Pubkey([k; 48]), b); }
            }
            let t = c.totals();
            prop_assert_eq!(
                t.deposited_gwei + t.rewards_gwei - t.penalties_gwei,
                c.total_balance_gwei() + t.withdrawn_gwei
            );
            prop_assert_eq!(withdrawn, t.withdrawn_gwei);
        }
    }
}

#[test]
fn a_dump_restores_the_registry_clock_and_totals() {
    let mut c = chain(BeaconConfig { sweep_every_epochs: 3, ..config() });
    c.deposit(&signed(0, withdrawal_credentials(vault(), false), 33 * ETH));
    c.deposit(&signed(1, withdrawal_credentials(vault(), true), 40 * ETH));
    c.advance_to(at(9) + 50);
    c.slash(ValidatorId::Index(1)).expect("active");
    let json = serde_json::to_string(&c.dump()).expect("serializes");
    let dump = serde_json::from_str(&json).expect("deserializes");
    let mut restored = BeaconChain::restore(dump).expect("restores");
    assert_eq!(restored.dump(), c.dump());
    assert_eq!(restored.state(StateId::Slot(9 * 32)).map(|s| s.len()), Ok(2));
    let pubkey = c.state(StateId::Head).expect("head").get(1).expect("v").pubkey;
    assert_eq!(restored.index_of(ValidatorId::Pubkey(pubkey)), Ok(1));
    // Both go on identically.
    assert_eq!(restored.advance_to(at(40)), c.advance_to(at(40)));
    assert_eq!(restored.dump(), c.dump());
}
