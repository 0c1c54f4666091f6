//! Property tests of the queue's invariants (issue 4 and DESIGN.md) over random sequences of
//! requests, ticket transfers and approvals, pool rebases, finalizations at rates above and
//! below the requests' own, and claims (by owners, approved addresses, operators and
//! strangers, with right and wrong hints, to the owner or to a chosen recipient).
//!
//! A model written here from the rules, not from the contract's helpers, predicts
//! every outcome: each operation's error, or its ids, events and payments. After *every*
//! operation these hold:
//!
//! * (a) locked ETH = ETH sent with finalizations − ETH paid to claimers, in the contract and
//!   the model, and the finalized, unclaimed requests can all be paid from it;
//! * (b) the sum paid is at most the sum requested (nominal), and so is each request's pay;
//! * (c) each request is paid at most once, only after finalization, only to the owner of its
//!   ticket at that moment or to the recipient that owner chose;
//! * (d) FIFO: finalized requests are exactly ids `1..=lastFinalizedRequestId`, which never
//!   decreases, and `unfinalizedStETH` is the nominal sum of the rest;
//! * (e) for every finalized, unclaimed request, `findCheckpointHints` finds its checkpoint,
//!   that hint is accepted and every other one is refused with `InvalidHint`;
//! * (f) tickets: `ownerOf`, `getApproved`, `balanceOf` and `getWithdrawalRequests` agree with
//!   the model; claimed tickets do not exist;
//! * (g) the queue holds exactly the shares of unfinalized requests once the pool has burnt
//!   those of each finalization;
//! * (h) a sweep sends exactly the queue's balance minus what the finalized, unclaimed
//!   requests can claim once it has counted every finalized request (nothing before), leaves
//!   exactly that claimable ETH locked, and a second sweep sends nothing; later claims
//!   still pay in full.
//!
//! Failed operations must leave storage unchanged. Claims run as a transaction would
//! (`TestHost::enter`, which undoes storage on failure), since a claim checks and writes one
//! request after another and only the revert undoes the first ones.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use alloy_primitives::{Address, U256, U512};
use common::*;
use proptest::prelude::*;
use tidepool_pool::errors::InsufficientShares;
use tidepool_withdrawal_queue::{errors::*, events::*, roles, QueueError};

const E18: u64 = 1_000_000_000_000_000_000;

fn u(x: u64) -> U256 {
    U256::from(x)
}

/// `min(nominal, floor(shares × rate / 1e27))`, with a 512-bit product.
fn payout(nominal: U256, shares: U256, rate: U256) -> U256 {
    let at_rate = U512::from(shares) * U512::from(rate) / U512::from(e27());
    if at_rate >> 256 != U512::ZERO {
        return nominal;
    }
    nominal.min(U256::from_limbs_slice(&at_rate.as_limbs()[..4]))
}

// ---------------------------------------------------------------- operations

#[derive(Clone, Debug)]
enum Amount {
    Min,
    Max,
    Wei(u64),
    /// Thousandths of an ETH.
    Milli(u32),
    TooSmall,
    TooLarge,
}

impl Amount {
    fn value(&self) -> U256 {
        match self {
            Amount::Min => u(100),
            Amount::Max => u(1000) * u(E18),
            Amount::Wei(w) => u(*w),
            Amount::Milli(m) => u(u64::from(*m)) * u(E18 / 1000),
            Amount::TooSmall => u(99),
            Amount::TooLarge => u(1000) * u(E18) + u(1),
        }
    }
}

#[derive(Clone, Debug)]
enum Owner {
    Caller,
    Zero,
    Other(usize),
}

#[derive(Clone, Debug)]
enum Actor {
    Owner,
    Approved,
    Operator,
    Stranger,
}

#[derive(Clone, Debug)]
enum Op {
    Request {
        user: usize,
        amounts: Vec<Amount>,
        owner: Owner,
    },
    Transfer {
        ticket: usize,
        to: usize,
        by: Actor,
        safe: bool,
    },
    Approve {
        ticket: usize,
        to: usize,
    },
    Operator {
        owner: usize,
        operator: usize,
        approved: bool,
    },
    /// The pool's rate moves by this many thousandths (990 = -1%).
    Rebase {
        permille: u64,
    },
    /// Finalize this percentage of the unfinalized requests at the pool's rate scaled by
    /// `rate_permille`, with the oracle's batches or as a single batch.
    Finalize {
        percent: u8,
        rate_permille: u64,
        one_batch: bool,
    },
    /// ETH forced into the queue (`donation` wei), then a sweep counting at most `max`
    /// requests.
    Sweep {
        donation: u64,
        max: u64,
    },
    /// Claims tickets picked among the claimable ones when `claimable` (and some exist),
    /// otherwise among all requests.
    Claim {
        tickets: Vec<usize>,
        claimable: bool,
        by: Actor,
        to: Option<usize>,
        bad_hint: Option<u8>,
        single: bool,
    },
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        2 => Just(Amount::Min),
        2 => Just(Amount::Max),
        4 => (100u64..=1_000_000).prop_map(Amount::Wei),
        30 => (1u32..=1_000_000).prop_map(Amount::Milli),
        1 => Just(Amount::TooSmall),
        1 => Just(Amount::TooLarge),
    ]
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        4 => Just(Actor::Owner),
        2 => Just(Actor::Approved),
        2 => Just(Actor::Operator),
        1 => Just(Actor::Stranger),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS.len();
    prop_oneof![
        6 => (user.clone(), prop_oneof![1 => Just(vec![]), 20 => prop::collection::vec(amount(), 1..=4)], prop_oneof![
            4 => Just(Owner::Caller), 1 => Just(Owner::Zero), 2 => (0..USERS.len()).prop_map(Owner::Other)
        ])
            .prop_map(|(user, amounts, owner)| Op::Request { user, amounts, owner }),
        3 => (any::<usize>(), user.clone(), actor(), any::<bool>())
            .prop_map(|(ticket, to, by, safe)| Op::Transfer { ticket, to, by, safe }),
        2 => (any::<usize>(), user.clone()).prop_map(|(ticket, to)| Op::Approve { ticket, to }),
        2 => (user.clone(), user.clone(), prop::bool::weighted(0.8))
            .prop_map(|(owner, operator, approved)| Op::Operator { owner, operator, approved }),
        2 => (900u64..=1100).prop_map(|permille| Op::Rebase { permille }),
        2 => (prop_oneof![Just(0u64), 1u64..=1_000_000], prop_oneof![Just(u64::MAX), 0u64..=20])
            .prop_map(|(donation, max)| Op::Sweep { donation, max }),
        4 => (1u8..=100, prop_oneof![2 => Just(1000u64), 1 => 850u64..=999, 1 => 1001u64..=1200], any::<bool>())
            .prop_map(|(percent, rate_permille, one_batch)| Op::Finalize { percent, rate_permille, one_batch }),
        8 => (
            prop::collection::vec(any::<usize>(), 1..=3),
            prop::bool::weighted(0.75),
            actor(),
            prop::option::weighted(0.3, user),
            prop::option::weighted(0.15, any::<u8>()),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(tickets, claimable, by, to, bad_hint, single)| Op::Claim {
                tickets,
                claimable,
                by,
                to,
                bad_hint,
                single,
            }),
    ]
}

// ---------------------------------------------------------------- the model

#[derive(Clone, Debug)]
struct Req {
    nominal: U256,
    shares: U256,
    owner: Address,
    approved: Address,
    claimed: bool,
    paid: U256,
    times_paid: u32,
}

#[derive(Default)]
struct Model {
    reqs: Vec<Req>,
    last_finalized: usize,
    /// `(first request, stored rate)` of each finalization.
    checkpoints: Vec<(usize, U256)>,
    operators: HashSet<(Address, Address)>,
    finalized_eth: U256,
    paid: U256,
    nominal_claimed: U256,
    /// ETH swept back to the pool, and forced into the queue.
    swept: U256,
    donated: U256,
    /// ETH the sweeps took out of `locked` (the rounding part of what they sent).
    swept_locked: U256,
    /// The last request the sweep has counted.
    counted: usize,
}

impl Model {
    fn locked(&self) -> U256 {
        self.finalized_eth - self.paid - self.swept_locked
    }

    fn balance(&self) -> U256 {
        self.finalized_eth + self.donated - self.paid - self.swept
    }

    /// What the finalized, unclaimed requests can claim.
    fn owed(&self) -> U256 {
        (1..=self.last_finalized)
            .filter(|id| !self.reqs[id - 1].claimed)
            .map(|id| self.due(id))
            .sum()
    }

    /// 1-based checkpoint index of finalized request `id`.
    fn checkpoint_of(&self, id: usize) -> usize {
        self.checkpoints.iter().rposition(|(from, _)| *from <= id).unwrap() + 1
    }

    fn due(&self, id: usize) -> U256 {
        let req = &self.reqs[id - 1];
        payout(req.nominal, req.shares, self.checkpoints[self.checkpoint_of(id) - 1].1)
    }

    fn live(&self) -> Vec<usize> {
        (1..=self.reqs.len()).filter(|id| !self.reqs[id - 1].claimed).collect()
    }

    fn authorized(&self, id: usize, who: Address) -> bool {
        let req = &self.reqs[id - 1];
        who == req.owner || req.approved == who || self.operators.contains(&(req.owner, who))
    }

    /// Someone in `USERS` for `actor` towards request `id`, or `None` if nobody fits.
    fn pick(&self, id: usize, actor: &Actor) -> Option<Address> {
        let req = &self.reqs[id - 1];
        match actor {
            Actor::Owner => Some(req.owner).filter(|o| USERS.contains(o)),
            Actor::Approved => Some(req.approved).filter(|a| !a.is_zero()),
            Actor::Operator => {
                USERS.iter().copied().find(|u| self.operators.contains(&(req.owner, *u)))
            }
            Actor::Stranger => USERS.iter().copied().find(|u| !self.authorized(id, *u)),
        }
    }
}

// ---------------------------------------------------------------- one run

/// A claimed request as the model expects it: `(id, owner, recipient, amount)`.
type Payment = (usize, Address, Address, U256);

struct Run {
    env: Env,
    model: Model,
}

impl Run {
    fn new() -> Self {
        Self { env: Env::new(), model: Model::default() }
    }

    fn apply(&mut self, op: &Op) {
        self.env.clear_logs();
        match op {
            Op::Request { user, amounts, owner } => self.request(USERS[*user], amounts, owner),
            Op::Transfer { ticket, to, by, safe } => self.transfer(*ticket, USERS[*to], by, *safe),
            Op::Approve { ticket, to } => {
                let live = self.model.live();
                if live.is_empty() {
                    return;
                }
                let id = live[ticket % live.len()];
                let owner = self.model.reqs[id - 1].owner;
                self.env.as_(owner);
                self.env.ledger.approve(USERS[*to], u(id as u64)).unwrap();
                self.model.reqs[id - 1].approved = USERS[*to];
            }
            Op::Operator { owner, operator, approved } => {
                let (owner, operator) = (USERS[*owner], USERS[*operator]);
                self.env.as_(owner);
                self.env.ledger.set_approval_for_all(operator, *approved).unwrap();
                if *approved {
                    self.model.operators.insert((owner, operator));
                } else {
                    self.model.operators.remove(&(owner, operator));
                }
            }
            Op::Rebase { permille } => {
                // A report, a second after the requests before it: it starts a report period
                // (what the oracle's batches group requests by).
                let now = self.env.vm.snapshot().block_timestamp;
                self.env.vm.set_block_timestamp(now + 1);
                self.env.rebase(*permille, 1000);
                self.env.report_applied();
            }
            Op::Finalize { percent, rate_permille, one_batch } => {
                self.finalize(*percent, *rate_permille, *one_batch)
            }
            Op::Claim { tickets, claimable, by, to, bad_hint, single } => {
                self.claim(tickets, *claimable, by, to.map(|t| USERS[t]), *bad_hint, *single)
            }
            Op::Sweep { donation, max } => self.sweep(*donation, *max),
        }
        self.check();
    }

    fn request(&mut self, caller: Address, amounts: &[Amount], owner: &Owner) {
        let values: Vec<U256> = amounts.iter().map(Amount::value).collect();
        let owner_arg = match owner {
            Owner::Caller => caller,
            Owner::Zero => Address::ZERO,
            Owner::Other(i) => USERS[*i],
        };
        let owner = if owner_arg.is_zero() { caller } else { owner_arg };
        let (s, p, held) = {
            let pool = self.env.pool.borrow();
            (pool.total_shares, pool.total_pooled, pool.shares_of(caller))
        };
        // The fewest shares that pay each amount at the oracle's rate for this pool (rounded
        // down); a call asking for no more than the balance takes at most every share, the
        // last request giving up the rounding.
        let rate = mul_div(p, e27(), s);
        let mut shares: Vec<U256> = values.iter().map(|a| mul_div_up(*a, e27(), rate)).collect();
        let mut total: U256 = shares.iter().copied().sum();
        let asked: U256 = values.iter().copied().sum();
        if total > held && asked <= mul_div(held, p, s) && total - held < *shares.last().unwrap() {
            *shares.last_mut().unwrap() -= total - held;
            total = held;
        }
        let expected: Option<Vec<u8>> = if owner != caller
            && !self.model.operators.contains(&(owner, caller))
        {
            Some(qerr(NotApprovedByOwner { caller, owner }))
        } else if values.is_empty() {
            Some(qerr(EmptyArray {}))
        } else if let Some(bad) = values.iter().find(|a| **a < u(100) || **a > u(1000) * u(E18)) {
            Some(if *bad < u(100) {
                qerr(RequestAmountTooSmall { amountOfStETH: *bad })
            } else {
                qerr(RequestAmountTooLarge { amountOfStETH: *bad })
            })
        } else if total > held {
            Some(serr(InsufficientShares { account: caller, shares: held, needed: total }))
        } else {
            None
        };
        if let Some(expected) = expected {
            let err = self.env.reverts_unchanged(|e| e.request(caller, &values, owner_arg));
            assert_eq!(err, expected);
            return;
        }
        let first = self.model.reqs.len() as u64 + 1;
        let ids = self.env.request(caller, &values, owner_arg).unwrap();
        assert_eq!(ids, (first..first + values.len() as u64).map(u).collect::<Vec<_>>());
        let events = self.env.events::<WithdrawalRequested>();
        for (i, (value, share)) in values.iter().zip(&shares).enumerate() {
            assert_eq!(
                (events[i].requestId, events[i].requestor, events[i].owner),
                (ids[i], caller, owner)
            );
            assert_eq!((events[i].amountOfStETH, events[i].amountOfShares), (*value, *share));
            self.model.reqs.push(Req {
                nominal: *value,
                shares: *share,
                owner,
                approved: Address::ZERO,
                claimed: false,
                paid: U256::ZERO,
                times_paid: 0,
            });
        }
    }

    fn transfer(&mut self, ticket: usize, to: Address, by: &Actor, safe: bool) {
        let live = self.model.live();
        if live.is_empty() {
            return;
        }
        let id = live[ticket % live.len()];
        let Some(caller) = self.model.pick(id, by) else { return };
        let owner = self.model.reqs[id - 1].owner;
        let token = u(id as u64);
        let call = |e: &mut Env| {
            e.as_(caller);
            if safe {
                e.ledger.safe_transfer_from(owner, to, token)
            } else {
                e.ledger.transfer_from(owner, to, token).map_err(Vec::<u8>::from)
            }
        };
        if !self.model.authorized(id, caller) {
            let err = self.env.reverts_unchanged(call);
            assert_eq!(err, qerr(ERC721InsufficientApproval { operator: caller, tokenId: token }));
            return;
        }
        call(&mut self.env).unwrap();
        let req = &mut self.model.reqs[id - 1];
        req.owner = to;
        req.approved = Address::ZERO;
    }

    fn finalize(&mut self, percent: u8, rate_permille: u64, one_batch: bool) {
        let pending = self.model.reqs.len() - self.model.last_finalized;
        if pending == 0 {
            return;
        }
        let count = (pending * usize::from(percent)).div_ceil(100).max(1);
        let (from, last) = (self.model.last_finalized + 1, self.model.last_finalized + count);
        let rate = mul_div(self.env.rate(), u(rate_permille), u(1000));
        let batches = if one_batch {
            vec![u(last as u64)]
        } else {
            self.env.batches_to(u(last as u64), rate)
        };
        let (eth_to_lock, shares_to_burn) = self.env.ledger.prefinalize(batches, rate).unwrap();

        // What the requests will claim: never more than what is locked, never more than
        // their nominal sum; for the oracle's batches, exact up to one share's value per
        // request (requests of one report period share a batch whatever their side, and a
        // request paid its nominal holds up to a share's value more, rounded up; the sweep
        // returns it).
        let range = &self.model.reqs[from - 1..last];
        let dues: U256 = range.iter().map(|r| payout(r.nominal, r.shares, rate)).sum();
        let nominal: U256 = range.iter().map(|r| r.nominal).sum();
        assert!(
            dues <= eth_to_lock && eth_to_lock <= nominal,
            "{dues} <= {eth_to_lock} <= {nominal}"
        );
        if !one_batch {
            let share_value = rate / e27() + u(1);
            let slack = u(count as u64) * share_value;
            assert!(eth_to_lock - dues <= slack, "{eth_to_lock} - {dues} > {slack}");
        }
        assert_eq!(shares_to_burn, range.iter().map(|r| r.shares).sum::<U256>());

        // More than the nominal value, or from anyone but the pool, is refused.
        let err = self.env.reverts_unchanged(|e| e.finalize(u(last as u64), rate, nominal + u(1)));
        assert_eq!(
            err,
            qerr(TooMuchEtherToFinalize { sent: nominal + u(1), maxExpected: nominal })
        );
        let err = self.env.reverts_unchanged(|e| {
            e.as_(ALICE);
            e.vm.set_value(eth_to_lock);
            e.ledger.finalize(u(last as u64), rate)
        });
        assert_eq!(err, qerr(NotPool { caller: ALICE }));

        self.env.finalize(u(last as u64), rate, eth_to_lock).unwrap();
        let event = &self.env.events::<WithdrawalsFinalized>()[0];
        assert_eq!((event.from, event.to), (u(from as u64), u(last as u64)));
        assert_eq!((event.amountOfETHLocked, event.sharesToBurn), (eth_to_lock, shares_to_burn));
        // The pool burns the finalized shares from the queue during the report.
        let queue = self.env.address();
        *self.env.pool.borrow_mut().shares.get_mut(&queue).unwrap() -= shares_to_burn;

        let stored = rate.min((U256::from(1) << 160) - u(1));
        self.model.checkpoints.push((from, stored));
        self.model.last_finalized = last;
        self.model.finalized_eth += eth_to_lock;
    }

    #[allow(clippy::too_many_arguments)]
    fn claim(
        &mut self,
        tickets: &[usize],
        claimable: bool,
        by: &Actor,
        to: Option<Address>,
        bad_hint: Option<u8>,
        single: bool,
    ) {
        let n = self.model.reqs.len();
        if n == 0 {
            return;
        }
        let pool: Vec<usize> =
            (1..=self.model.last_finalized).filter(|id| !self.model.reqs[id - 1].claimed).collect();
        let mut ids: Vec<usize> = if claimable && !pool.is_empty() {
            tickets.iter().map(|t| pool[t % pool.len()]).collect()
        } else {
            tickets.iter().map(|t| t % n + 1).collect()
        };
        if single {
            ids.truncate(1);
        }
        let Some(caller) = self.model.pick(ids[0], by) else { return };
        // `claimWithdrawal` always pays the owner.
        let to = if single { None } else { to };
        let count = self.model.checkpoints.len();
        let mut hints: Vec<U256> = ids
            .iter()
            .map(|&id| {
                u(if id <= self.model.last_finalized {
                    self.model.checkpoint_of(id) as u64
                } else {
                    0
                })
            })
            .collect();
        if let Some(k) = bad_hint {
            let i = usize::from(k) % hints.len();
            hints[i] = u(u64::from(k) % (count as u64 + 2));
        }

        // The model's verdict, request by request, as the contract checks them.
        let mut claimed_now: HashSet<usize> = HashSet::new();
        let mut expected: Result<Vec<Payment>, Vec<u8>> = Ok(vec![]);
        for (i, &id) in ids.iter().enumerate() {
            let token = u(id as u64);
            let req = &self.model.reqs[id - 1];
            let verdict = if id > self.model.last_finalized {
                Err(qerr(RequestNotFoundOrNotFinalized { requestId: token }))
            } else if req.claimed || claimed_now.contains(&id) {
                Err(qerr(RequestAlreadyClaimed { requestId: token }))
            } else if to.is_some() && caller != req.owner {
                Err(qerr(NotOwner { sender: caller, owner: req.owner }))
            } else if to.is_none() && !self.model.authorized(id, caller) {
                Err(qerr(ERC721InsufficientApproval { operator: caller, tokenId: token }))
            } else if !single && hints[i] != u(self.model.checkpoint_of(id) as u64) {
                Err(qerr(InvalidHint { hint: hints[i] }))
            } else {
                Ok((id, req.owner, to.unwrap_or(req.owner), self.model.due(id)))
            };
            match (verdict, &mut expected) {
                (Ok(paid), Ok(list)) => {
                    claimed_now.insert(id);
                    list.push(paid);
                }
                (Err(e), _) => {
                    expected = Err(e);
                    break;
                }
                _ => unreachable!(),
            }
        }

        let tokens: Vec<U256> = ids.iter().map(|id| u(*id as u64)).collect();
        let before = self.env.storage();
        let Env { vm, queue, .. } = &mut self.env;
        let result = vm.enter(caller, U256::ZERO, || {
            let r = match (single, to) {
                (true, _) => queue.claim_withdrawal(tokens[0]),
                (false, None) => queue.claim_withdrawals(tokens.clone(), hints.clone()),
                (false, Some(to)) => queue.claim_withdrawals_to(tokens.clone(), hints.clone(), to),
            };
            r.map(|()| vec![]).map_err(|e: QueueError| e.into())
        });
        let paid = match expected {
            Err(e) => {
                assert_eq!(result, Err(e));
                assert_eq!(self.env.storage(), before, "a failed claim changed storage");
                return;
            }
            Ok(paid) => paid,
        };
        assert_eq!(result, Ok(vec![]));
        let events = self.env.events::<WithdrawalClaimed>();
        assert_eq!(events.len(), paid.len());
        let mut transfers: Vec<(Address, U256)> = vec![];
        for ((id, owner, payee, amount), event) in paid.iter().zip(&events) {
            assert_eq!(
                (event.requestId, event.owner, event.receiver),
                (u(*id as u64), *owner, *payee)
            );
            assert_eq!(event.amountOfETH, *amount);
            let req = &mut self.model.reqs[id - 1];
            req.claimed = true;
            req.paid += *amount;
            req.times_paid += 1;
            self.model.paid += *amount;
            self.model.nominal_claimed += req.nominal;
            match transfers.last_mut() {
                Some((last, total)) if last == payee => *total += *amount,
                _ => transfers.push((*payee, *amount)),
            }
        }
        transfers.retain(|(_, amount)| !amount.is_zero());
        assert_eq!(self.env.payments(), transfers);
    }

    fn sweep(&mut self, donation: u64, max: u64) {
        self.model.donated += u(donation);
        let queue = self.env.address();
        self.env.vm.set_balance(queue, self.model.balance());
        // A stranger may not sweep.
        let err = self.env.reverts_unchanged_as(ALICE, |e| e.admin.sweep_surplus(u(max)));
        assert_eq!(err, unauthorized(ALICE, roles::SWEEP_SURPLUS_ROLE));
        let received = self.env.pool.borrow().surplus_received;
        let swept = self.env.sweep(u(max)).unwrap();
        let model = &mut self.model;
        model.counted = model.last_finalized.min(model.counted.saturating_add(max as usize));
        let expected = if model.counted == model.last_finalized {
            model.balance() - model.owed()
        } else {
            U256::ZERO
        };
        assert_eq!(swept, expected);
        assert_eq!(self.env.pool.borrow().surplus_received - received, swept);
        let events = self.env.events::<SurplusSwept>();
        if model.counted == model.last_finalized {
            let owed = model.owed();
            model.swept_locked = model.finalized_eth - model.paid - owed;
            model.swept += swept;
            assert_eq!(self.env.ledger.get_locked_ether_amount(), owed);
            assert_eq!(self.env.balance(), owed);
            if swept.is_zero() {
                assert!(events.is_empty());
            } else {
                assert_eq!((events[0].amount, events[0].lockedEther), (swept, owed));
            }
            // A second sweep finds nothing.
            assert_eq!(self.env.sweep(U256::MAX), Ok(U256::ZERO));
        } else {
            assert!(events.is_empty());
        }
    }

    fn check(&self) {
        let (env, model) = (&self.env, &self.model);
        // (a)
        assert_eq!(env.ledger.get_locked_ether_amount(), model.locked());
        assert!(model.owed() <= model.locked() && model.locked() <= model.balance());
        // (b) and (c)
        assert!(model.paid <= model.nominal_claimed);
        for req in &model.reqs {
            assert!(req.paid <= req.nominal && req.times_paid <= 1);
            assert_eq!(req.times_paid == 1, req.claimed);
        }
        // (d)
        let n = model.reqs.len();
        assert_eq!(env.ledger.get_last_request_id(), u(n as u64));
        assert_eq!(env.ledger.get_last_finalized_request_id(), u(model.last_finalized as u64));
        assert_eq!(env.ledger.get_last_checkpoint_index(), u(model.checkpoints.len() as u64));
        let unfinalized: U256 = model.reqs[model.last_finalized..].iter().map(|r| r.nominal).sum();
        assert_eq!(env.ledger.unfinalized_steth(), Ok(unfinalized));
        let all: Vec<U256> = (1..=n as u64).map(u).collect();
        let statuses = env.admin.get_withdrawal_status(all.clone()).unwrap();
        for (i, (status, req)) in statuses.iter().zip(&model.reqs).enumerate() {
            assert_eq!(status.isFinalized, i < model.last_finalized);
            assert_eq!(status.isClaimed, req.claimed);
            assert_eq!((status.amountOfStETH, status.amountOfShares), (req.nominal, req.shares));
            assert_eq!(status.owner, req.owner);
        }
        // (e) and the rest of (a): everything still owed fits in what is locked.
        let count = model.checkpoints.len() as u64;
        let mut owed = U256::ZERO;
        for id in 1..=model.last_finalized {
            if model.reqs[id - 1].claimed {
                continue;
            }
            let token = u(id as u64);
            let right = model.checkpoint_of(id) as u64;
            assert_eq!(env.hints(&[token]), vec![u(right)]);
            for hint in [0, right.saturating_sub(1), right + 1, count + 1] {
                let got = env.admin.get_claimable_ether(vec![token], vec![u(hint)]);
                if hint == right {
                    assert_eq!(got, Ok(vec![model.due(id)]));
                } else {
                    assert_eq!(
                        got.map_err(Vec::<u8>::from),
                        Err(qerr(InvalidHint { hint: u(hint) }))
                    );
                }
            }
            owed += model.due(id);
        }
        assert!(owed <= model.locked(), "owed {owed} > locked {}", model.locked());
        // (f)
        for user in USERS {
            let mine: Vec<usize> =
                model.live().into_iter().filter(|id| model.reqs[id - 1].owner == user).collect();
            assert_eq!(env.ledger.balance_of(user), Ok(u(mine.len() as u64)));
            let mut listed: Vec<U256> = env.admin.get_withdrawal_requests(user);
            listed.sort();
            assert_eq!(listed, mine.iter().map(|id| u(*id as u64)).collect::<Vec<_>>());
        }
        for (i, req) in model.reqs.iter().enumerate() {
            let token = u(i as u64 + 1);
            if req.claimed {
                assert_eq!(
                    env.ledger.owner_of(token).map_err(Vec::<u8>::from),
                    Err(qerr(ERC721NonexistentToken { tokenId: token }))
                );
            } else {
                assert_eq!(env.ledger.owner_of(token), Ok(req.owner));
                assert_eq!(env.ledger.get_approved(token), Ok(req.approved));
            }
        }
        // (g)
        let queue_shares = env.pool.borrow().shares_of(env.address());
        let pending: U256 = model.reqs[model.last_finalized..].iter().map(|r| r.shares).sum();
        assert_eq!(queue_shares, pending);
    }
}

/// About 10 s in a debug build on one core; `PROPTEST_CASES` overrides it for deeper runs.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_queue_keeps_its_invariants(ops in prop::collection::vec(op(), 10..50)) {
        let mut run = Run::new();
        for op in &ops {
            run.apply(op);
        }
    }
}
