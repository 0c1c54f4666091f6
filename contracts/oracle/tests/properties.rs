//! Property tests of the oracle's guarantees, with real signatures and the real pool.

mod common;

use std::collections::BTreeSet;

use alloy_primitives::{Address, U256};
use common::*;
use proptest::prelude::*;

/// Non-zero slots of one contract's storage, sorted.
type Slots = Vec<(U256, alloy_primitives::B256)>;

/// Storage of both contracts, to check that a refused report changed nothing.
fn state(env: &Env) -> (Slots, Slots) {
    let sorted = |m: std::collections::HashMap<U256, alloy_primitives::B256>| {
        let mut v: Vec<_> = m.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        v.sort();
        v
    };
    (sorted(env.vm.snapshot().storage), sorted(env.pool_vm.snapshot().storage))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A report is applied exactly when its signatures come from at least a quorum of
    /// distinct current members in ascending order; otherwise nothing changes.
    #[test]
    fn no_report_without_a_quorum_of_distinct_members(
        quorum in 4u64..=8,
        keys in prop::collection::vec(1u8..=10, 0..10),
        sort in any::<bool>(),
    ) {
        // Members are keys 1..=7; 8, 9 and 10 are outsiders. A quorum of 8 halts reporting.
        let env = Env::new(7, quorum);
        let data = env.report(320_000_000_000);
        let mut keys = keys;
        if sort {
            keys.sort_by_key(|k| key(*k));
        }
        let signers: Vec<Address> = keys.iter().map(|k| key(*k)).collect();
        let ascending = signers.windows(2).all(|w| w[0] < w[1]);
        let members = keys.iter().all(|k| *k <= 7);
        let expected = ascending && members && signers.len() as u64 >= quorum;
        let sigs = keys.iter().map(|k| env.sign(*k, &data)).collect();
        let before = state(&env);
        let applied = env.submit(&data, sigs).is_ok();
        prop_assert_eq!(applied, expected);
        if applied {
            prop_assert_eq!(env.admin.get_last_processing_ref_slot(), env.ref_slot(1));
            prop_assert_eq!(env.beacon_stat().1, U256::from(10));
        } else {
            prop_assert_eq!(before, state(&env));
        }
    }

    /// Once applied, a frame's report is refused whatever signatures come with it, and
    /// refusing it changes nothing.
    #[test]
    fn a_report_is_applied_at_most_once(
        first in prop::collection::btree_set(1u8..=5, 3..=5),
        again in prop::collection::vec(prop::collection::btree_set(1u8..=5, 0..=5), 1..4),
        later in 0u64..(225 * 32 * 12),
    ) {
        let env = Env::new(5, 3);
        let data = env.report(320_000_000_000);
        let keys: Vec<u8> = first.into_iter().collect();
        env.submit(&data, env.sign_sorted(&keys, &data)).expect("first submission applies");
        env.set_time(env.frame_start(1) + later);
        let after_first = state(&env);
        for set in again {
            let keys: Vec<u8> = set.into_iter().collect();
            let err = env.submit(&data, env.sign_sorted(&keys, &data));
            prop_assert!(err.is_err());
            prop_assert_eq!(&after_first, &state(&env));
        }
    }

    /// Signatures of removed members never count, even over a report they signed while
    /// members; the others still reach quorum.
    #[test]
    fn removed_members_do_not_count(
        removed in prop::collection::btree_set(1u8..=7, 1..=3),
        signing in prop::collection::btree_set(1u8..=7, 0..=7),
    ) {
        let mut env = Env::new(7, 4);
        let data = env.report(320_000_000_000);
        let signing: Vec<u8> = signing.into_iter().collect();
        let signatures = env.sign_sorted(&signing, &data);
        env.as_(ADMIN);
        let mut total = 7u64;
        for k in &removed {
            total -= 1;
            env.admin.remove_member(key(*k), total / 2 + 1).expect("remove");
        }
        let quorum = total / 2 + 1;
        let removed: BTreeSet<u8> = removed;
        let expected =
            signing.iter().all(|k| !removed.contains(k)) && signing.len() as u64 >= quorum;
        let before = state(&env);
        let applied = env.submit(&data, signatures).is_ok();
        prop_assert_eq!(applied, expected);
        if !applied {
            prop_assert_eq!(before, state(&env));
        }
    }

    /// Through the whole oracle and pool: the annual increase limit accepts a report exactly
    /// up to its bound (one frame of 10%/yr on the 320-ether principal) and rejects beyond.
    #[test]
    fn cl_increase_limit_is_exact_end_to_end(extra_gwei in 0u64..200_000_000) {
        let env = Env::new(5, 3);
        let max = eth(320) * U256::from(1_000u64 * 86_400) / U256::from(10_000u64 * 365 * 86_400);
        let data = env.report(320_000_000_000 + extra_gwei);
        let applied = env.submit(&data, env.quorum_signatures(3, &data)).is_ok();
        prop_assert_eq!(applied, U256::from(extra_gwei) * GWEI <= max);
    }
}
