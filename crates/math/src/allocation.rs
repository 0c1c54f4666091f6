//! Which node operators' keys receive the next deposits.
//!
//! The staking module hands each 32-ETH deposit to the eligible operator with the fewest
//! active validators (deposited minus exited), the lowest id winning a tie, as Lido's curated
//! module does. An operator is eligible while it is active, has vetted keys not yet deposited,
//! and, once the module has enough active operators for the cap to be satisfiable, would not
//! rise above its share limit by taking the deposit: the per-operator share cap, a
//! decentralisation guarantee enforced on chain.
//!
//! The share limit is `max_share_bp` of all active validators *rounded up to a whole
//! validator* ([`share_limit`]). Rounding up is what lets the module start: the first
//! validator is 100% of one, and with exact shares no operator could ever take it. It also
//! keeps allocation from stalling: when `active operators × max_share_bp ≥ 100%`, the limits
//! add up to at least the total, so some operator can always take the next deposit (given
//! keys). With fewer operators than that (say two, under a 25% cap) no allocation could
//! satisfy the cap, and the module would stop depositing altogether; below that count the
//! cap does not apply and the fewest-first rule alone spreads deposits.
//!
//! Allocation may hand out fewer deposits than asked: when every operator is out of vetted
//! keys or at its limit. The caller deposits exactly what it was given.

use crate::BASIS_POINTS;

/// One operator as allocation sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperatorKeys {
    /// Whether the operator may receive deposits at all.
    pub active: bool,
    /// Keys approved for deposits (the first `vetted` of its list).
    pub vetted: u64,
    /// Keys deposited so far (never above `vetted` for an active operator).
    pub deposited: u64,
    /// Deposited validators that have exited.
    pub exited: u64,
}

impl OperatorKeys {
    /// Validators running now: deposited and not exited.
    pub fn active_validators(&self) -> u64 {
        self.deposited.saturating_sub(self.exited)
    }

    /// Vetted keys it can still receive.
    pub fn available(&self) -> u64 {
        self.vetted.saturating_sub(self.deposited)
    }
}

/// Whether the share cap binds for `active_operators` active operators under a cap of
/// `max_share_bp` basis points (see the module docs).
pub fn cap_applies(active_operators: u64, max_share_bp: u16) -> bool {
    u128::from(active_operators) * u128::from(max_share_bp) >= u128::from(BASIS_POINTS)
}

/// Most active validators one operator may run when the module runs `running` of them:
/// `max_share_bp` of `running`, rounded up (see the module docs).
pub fn share_limit(running: u128, max_share_bp: u16) -> u128 {
    let bp = u128::from(BASIS_POINTS);
    // `running` is a sum of u64 counts and the cap at most 65,535: no overflow.
    (running * u128::from(max_share_bp)).div_ceil(bp)
}

/// Adds to `given[i]` how many of `deposits` operator `i` receives and returns how many were
/// handed out in all, which may be fewer than `deposits` (see the module docs).
/// `max_share_bp` of 10,000 or more disables the cap. `given` starts at zero and has one entry
/// per operator (an operator without an entry receives nothing); a slice rather than a vector
/// so that the rule needs no allocator.
pub fn allocate(
    operators: &[OperatorKeys],
    deposits: u64,
    max_share_bp: u16,
    given: &mut [u64],
) -> u64 {
    let operators = &operators[..operators.len().min(given.len())];
    let active_operators = operators.iter().filter(|o| o.active).count() as u64;
    let capped = max_share_bp < BASIS_POINTS && cap_applies(active_operators, max_share_bp);
    // u128 throughout: counts are u64, and a u64 count times 10,000 fits easily.
    let mut running: u128 = operators.iter().map(|o| u128::from(o.active_validators())).sum();
    let mut handed = 0u64;
    for _ in 0..deposits {
        let mut best: Option<(usize, u128)> = None;
        for (i, op) in operators.iter().enumerate() {
            if !op.active || given[i] >= op.available() {
                continue;
            }
            let validators = u128::from(op.active_validators()) + u128::from(given[i]);
            // Taking the deposit makes it validators + 1 of running + 1.
            if capped && validators + 1 > share_limit(running + 1, max_share_bp) {
                continue;
            }
            if best.is_none_or(|(_, fewest)| validators < fewest) {
                best = Some((i, validators));
            }
        }
        let Some((i, _)) = best else { break };
        // Below `available()`, itself a u64: cannot overflow.
        given[i] += 1;
        running += 1;
        handed += 1;
    }
    handed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn allocate(operators: &[OperatorKeys], deposits: u64, max_share_bp: u16) -> Vec<u64> {
        let mut given = vec![0; operators.len()];
        let handed = super::allocate(operators, deposits, max_share_bp, &mut given);
        assert_eq!(handed, given.iter().sum::<u64>());
        given
    }

    fn op(vetted: u64, deposited: u64, exited: u64) -> OperatorKeys {
        OperatorKeys { active: true, vetted, deposited, exited }
    }

    #[test]
    fn fewest_active_validators_first_ties_by_id() {
        let ops = [op(10, 3, 0), op(10, 1, 0), op(10, 1, 0)];
        // 1 and 2 tie at 1: id 1 first, then 2, then the three-way tie at 2 and 3.
        assert_eq!(allocate(&ops, 1, BASIS_POINTS), [0, 1, 0]);
        assert_eq!(allocate(&ops, 2, BASIS_POINTS), [0, 1, 1]);
        assert_eq!(allocate(&ops, 4, BASIS_POINTS), [0, 2, 2]);
        assert_eq!(allocate(&ops, 5, BASIS_POINTS), [1, 2, 2]);
    }

    #[test]
    fn exited_validators_do_not_count_as_active() {
        let ops = [op(10, 5, 4), op(10, 3, 0)];
        assert_eq!(allocate(&ops, 2, BASIS_POINTS), [2, 0]);
    }

    #[test]
    fn vetted_keys_and_inactive_operators_limit_it() {
        let mut ops = [op(2, 0, 0), op(1, 0, 0), op(9, 0, 0)];
        ops[2].active = false;
        assert_eq!(allocate(&ops, 10, BASIS_POINTS), [2, 1, 0], "3 of 10: all there is");
    }

    #[test]
    fn the_cap_binds_only_with_enough_operators() {
        // Two operators under a 25% cap: unsatisfiable, so it does not apply.
        assert!(!cap_applies(2, 2_500));
        assert_eq!(allocate(&[op(10, 0, 0), op(0, 0, 0)], 3, 2_500), [3, 0]);
        // Four: it applies. Operator 0 already runs 3 of 4 validators and may not grow
        // until the others catch up; they have 1 vetted key each.
        assert!(cap_applies(4, 2_500));
        let ops = [op(10, 3, 0), op(1, 1, 0), op(1, 0, 0), op(1, 0, 0)];
        assert_eq!(allocate(&ops, 5, 2_500), [0, 0, 1, 1]);
        // With 3 + 1 + 1 + 1 = 6 running, operator 0 at 3 is over ⌈25% × 7⌉ = 2 and stays
        // blocked.
    }

    #[test]
    fn a_capped_module_starts_from_nothing_and_never_stalls() {
        // Exact shares would refuse the very first validator (100% of one).
        assert_eq!(share_limit(1, 2_500), 1);
        assert_eq!(share_limit(8, 2_500), 2);
        assert_eq!(share_limit(9, 2_500), 3);
        let ops = [op(10, 0, 0); 4];
        assert_eq!(allocate(&ops, 9, 2_500), [3, 2, 2, 2]);
        // Two operators under 50%: the third validator fits at ⌈1.5⌉ = 2.
        assert_eq!(allocate(&[op(10, 0, 0), op(1, 0, 0)], 4, 5_000), [2, 1]);
    }

    fn operators() -> impl Strategy<Value = Vec<OperatorKeys>> {
        prop::collection::vec(
            (any::<bool>(), 0..20u64, 0..20u64, 0..20u64).prop_map(|(active, a, b, c)| {
                let vetted = a.max(b);
                let deposited = a.min(b);
                OperatorKeys { active, vetted, deposited, exited: c.min(deposited) }
            }),
            0..12,
        )
    }

    proptest! {
        /// Never above a vetted limit or to an inactive operator; never over the cap when
        /// it applies (for operators it gave to); nothing left that any operator could
        /// still take; and each deposit went to a least-loaded eligible operator.
        #[test]
        fn allocation_respects_limits_and_is_maximal_and_fair(
            ops in operators(),
            deposits in 0..80u64,
            cap in prop_oneof![Just(BASIS_POINTS), 1_000..BASIS_POINTS],
        ) {
            let given = allocate(&ops, deposits, cap);
            prop_assert_eq!(given.len(), ops.len());
            let total: u64 = given.iter().sum();
            prop_assert!(total <= deposits);
            let active_ops = ops.iter().filter(|o| o.active).count() as u64;
            let capped = cap < BASIS_POINTS && cap_applies(active_ops, cap);
            let running: u128 = ops.iter().map(|o| u128::from(o.active_validators())).sum::<u128>()
                + u128::from(total);
            for (o, g) in ops.iter().zip(&given) {
                prop_assert!(*g <= o.available());
                if !o.active {
                    prop_assert_eq!(*g, 0);
                }
                if capped && *g > 0 {
                    let after = u128::from(o.active_validators() + g);
                    // The last deposit it took was within its limit at that moment; running
                    // only grew since, so it is still within its limit now.
                    prop_assert!(after <= share_limit(running, cap));
                }
            }
            // Fair: an operator that took deposits never ends more than one above an
            // operator that could still take more at the end.
            for (i, (oi, gi)) in ops.iter().zip(&given).enumerate() {
                for (j, (oj, gj)) in ops.iter().zip(&given).enumerate() {
                    let j_open = oj.active && *gj < oj.available();
                    if i != j && *gi > 0 && j_open && !capped {
                        prop_assert!(
                            oi.active_validators() + gi <= oj.active_validators() + gj + 1,
                            "{} took more than {} could have", i, j
                        );
                    }
                }
            }
            // Never stalls: when the cap applies and every active operator could take every
            // deposit, all of them are handed out.
            let plenty = ops.iter().filter(|o| o.active).all(|o| o.available() >= deposits);
            if capped && plenty && active_ops > 0 {
                prop_assert_eq!(total, deposits, "a capped module stalled");
            }
            // Maximal: if short, nobody could take one more.
            if total < deposits {
                for (o, g) in ops.iter().zip(&given) {
                    let open = o.active && *g < o.available();
                    if open && capped {
                        let after = u128::from(o.active_validators() + g + 1);
                        prop_assert!(after > share_limit(running + 1, cap));
                    } else {
                        prop_assert!(!open, "short although an operator could take more");
                    }
                }
            }
        }
    }
}
