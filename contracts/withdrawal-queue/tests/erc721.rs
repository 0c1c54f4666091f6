//! Native tests of the tickets (ERC-721 transfers, approvals, receivers, metadata), of
//! pausing and roles, and of reentrant calls into the queue from ETH recipients and ticket
//! receivers.

#![allow(clippy::unwrap_used)]

mod common;

use std::{cell::RefCell, rc::Rc};

use alloy_primitives::{address, Address, FixedBytes, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolValue};
use common::*;
use tidepool_common::{access_control, pausable};
use tidepool_withdrawal_queue::{
    errors::*, events::*, roles, QueueError, WithdrawalQueue, NAME, SYMBOL,
};

/// A contract account (it has code), so `safeTransferFrom` asks it.
const RECEIVER: Address = address!("0000000000000000000000000000000000c0de01");

alloy_sol_types::sol! {
    interface IQueue {
        function claimWithdrawals(uint256[] ids, uint256[] hints);
        function ownerOf(uint256 tokenId) view returns (address);
        function transferFrom(address from, address to, uint256 tokenId);
        function safeTransferFrom(address from, address to, uint256 tokenId);
        function safeTransferFrom(address from, address to, uint256 tokenId, bytes data);
        function setApprovalForAll(address operator, bool approved);
        function balanceOf(address owner) view returns (uint256);
    }
    error Nope(string why);
}

fn one() -> U256 {
    U256::from(1)
}

/// An env where Alice holds tickets 1..=n of 1 ETH each.
fn with_tickets(n: usize) -> Env {
    let mut env = Env::new();
    env.request(ALICE, &vec![ETH; n], Address::ZERO).unwrap();
    env.clear_logs();
    env
}

// ---------------------------------------------------------------- views

#[test]
fn views_of_tickets() {
    let env = with_tickets(2);
    assert_eq!(env.ledger.balance_of(ALICE), Ok(U256::from(2)));
    assert_eq!(env.ledger.balance_of(BOB), Ok(U256::ZERO));
    assert_eq!(env.ledger.owner_of(U256::from(2)), Ok(ALICE));
    assert_eq!(env.ledger.get_approved(one()), Ok(Address::ZERO));
    assert!(!env.ledger.is_approved_for_all(ALICE, BOB));
    let err = env.ledger.balance_of(Address::ZERO).map_err(Vec::<u8>::from);
    assert_eq!(err, Err(qerr(ERC721InvalidOwner { owner: Address::ZERO })));
    for bad in [U256::ZERO, U256::from(3), U256::MAX] {
        let nonexistent = qerr(ERC721NonexistentToken { tokenId: bad });
        assert_eq!(env.ledger.owner_of(bad).map_err(Vec::<u8>::from), Err(nonexistent.clone()));
        assert_eq!(env.ledger.get_approved(bad).map_err(Vec::<u8>::from), Err(nonexistent.clone()));
        assert_eq!(env.admin.token_uri(bad).map_err(Vec::<u8>::from), Err(nonexistent));
    }
}

#[test]
fn supports_the_announced_interfaces_only() {
    let env = Env::new();
    for id in ["01ffc9a7", "80ac58cd", "5b5e139f", "49064906", "7965db0b"] {
        assert!(env.admin.supports_interface(id.parse::<FixedBytes<4>>().unwrap()), "{id}");
    }
    for id in ["ffffffff", "00000000", "780e9d63"] {
        assert!(!env.admin.supports_interface(id.parse::<FixedBytes<4>>().unwrap()), "{id}");
    }
    assert_eq!(env.admin.name(), NAME);
    assert_eq!(env.admin.symbol(), SYMBOL);
}

// ---------------------------------------------------------------- approvals

#[test]
fn owners_and_operators_approve_others_do_not() {
    let mut env = with_tickets(2);
    env.as_(ALICE);
    env.ledger.approve(BOB, one()).unwrap();
    assert_eq!(env.ledger.get_approved(one()), Ok(BOB));
    let approval = &env.events::<Approval>()[0];
    assert_eq!((approval.owner, approval.approved, approval.tokenId), (ALICE, BOB, one()));

    env.as_(ALICE);
    env.ledger.set_approval_for_all(CAROL, true).unwrap();
    assert!(env.ledger.is_approved_for_all(ALICE, CAROL));
    let all = &env.events::<ApprovalForAll>()[0];
    assert_eq!((all.owner, all.operator, all.approved), (ALICE, CAROL, true));
    env.as_(CAROL);
    env.ledger.approve(DAVE, U256::from(2)).unwrap();
    assert_eq!(env.ledger.get_approved(U256::from(2)), Ok(DAVE));

    // The single-ticket approval does not let Bob approve others.
    let err = env.reverts_unchanged_as(BOB, |e| e.ledger.approve(BOB, one()));
    assert_eq!(err, qerr(ERC721InvalidApprover { approver: BOB }));
    let err = env.reverts_unchanged_as(ALICE, |e| e.ledger.approve(BOB, U256::from(9)));
    assert_eq!(err, qerr(ERC721NonexistentToken { tokenId: U256::from(9) }));
    let err =
        env.reverts_unchanged_as(ALICE, |e| e.ledger.set_approval_for_all(Address::ZERO, true));
    assert_eq!(err, qerr(ERC721InvalidOperator { operator: Address::ZERO }));

    env.as_(ALICE);
    env.ledger.set_approval_for_all(CAROL, false).unwrap();
    assert!(!env.ledger.is_approved_for_all(ALICE, CAROL));
    // Clearing an approval with zero.
    env.as_(ALICE);
    env.ledger.approve(Address::ZERO, one()).unwrap();
    assert_eq!(env.ledger.get_approved(one()), Ok(Address::ZERO));
}

// ---------------------------------------------------------------- transfers

#[test]
fn transfers_move_the_ticket_its_request_and_clear_the_approval() {
    let mut env = with_tickets(3);
    env.as_(ALICE);
    env.ledger.approve(DAVE, U256::from(2)).unwrap();
    env.clear_logs();
    env.as_(ALICE);
    env.ledger.transfer_from(ALICE, BOB, U256::from(2)).unwrap();
    assert_eq!(env.ledger.owner_of(U256::from(2)), Ok(BOB));
    assert_eq!(env.ledger.get_approved(U256::from(2)), Ok(Address::ZERO));
    assert_eq!(env.ledger.balance_of(ALICE), Ok(U256::from(2)));
    assert_eq!(env.ledger.balance_of(BOB), Ok(U256::from(1)));
    // Alice's last ticket took the moved one's place in her list.
    assert_eq!(env.admin.get_withdrawal_requests(ALICE), vec![one(), U256::from(3)]);
    assert_eq!(env.admin.get_withdrawal_requests(BOB), vec![U256::from(2)]);
    let moved = &env.events::<Transfer>()[0];
    assert_eq!((moved.from, moved.to, moved.tokenId), (ALICE, BOB, U256::from(2)));
    // The new owner claims it and is paid.
    env.finalize_to(U256::from(3), env.rate());
    env.clear_logs();
    env.claim(BOB, &[U256::from(2)]).unwrap();
    assert_eq!(env.payments(), vec![(BOB, ETH)]);
    let err = env.reverts_unchanged(|e| e.claim(ALICE, &[U256::from(2)]));
    assert_eq!(err, qerr(RequestAlreadyClaimed { requestId: U256::from(2) }));
}

#[test]
fn approved_addresses_and_operators_transfer() {
    let mut env = with_tickets(2);
    env.as_(ALICE);
    env.ledger.approve(BOB, one()).unwrap();
    env.as_(ALICE);
    env.ledger.set_approval_for_all(CAROL, true).unwrap();
    env.as_(BOB);
    env.ledger.transfer_from(ALICE, DAVE, one()).unwrap();
    env.as_(CAROL);
    env.ledger.transfer_from(ALICE, CAROL, U256::from(2)).unwrap();
    assert_eq!(env.admin.get_withdrawal_requests(ALICE), Vec::<U256>::new());
    // Transferring to oneself keeps everything in place.
    env.as_(DAVE);
    env.ledger.transfer_from(DAVE, DAVE, one()).unwrap();
    assert_eq!(env.admin.get_withdrawal_requests(DAVE), vec![one()]);
}

#[test]
fn transfers_refuse_bad_input() {
    let mut env = with_tickets(2);
    let queue = env.address();
    let cases = [
        (
            ALICE,
            ALICE,
            Address::ZERO,
            one(),
            qerr(ERC721InvalidReceiver { receiver: Address::ZERO }),
        ),
        (ALICE, ALICE, queue, one(), qerr(ERC721InvalidReceiver { receiver: queue })),
        (ALICE, ALICE, BOB, U256::from(7), qerr(ERC721NonexistentToken { tokenId: U256::from(7) })),
        (
            ALICE,
            BOB,
            CAROL,
            one(),
            qerr(ERC721IncorrectOwner { sender: BOB, tokenId: one(), owner: ALICE }),
        ),
        (
            BOB,
            ALICE,
            BOB,
            one(),
            qerr(ERC721InsufficientApproval { operator: BOB, tokenId: one() }),
        ),
    ];
    for (caller, from, to, id, expected) in cases {
        let err = env.reverts_unchanged_as(caller, |e| e.ledger.transfer_from(from, to, id));
        assert_eq!(err, expected);
    }
    // A claimed ticket is gone.
    env.finalize_to(one(), env.rate());
    env.claim(ALICE, &[one()]).unwrap();
    let err = env.reverts_unchanged_as(ALICE, |e| e.ledger.transfer_from(ALICE, BOB, one()));
    assert_eq!(err, qerr(ERC721NonexistentToken { tokenId: one() }));
}

/// Makes `RECEIVER` a contract answering `onERC721Received` with `answer`, recording the
/// calldata it gets.
fn receiver(env: &Env, answer: Result<Vec<u8>, Vec<u8>>) -> Rc<RefCell<Vec<Vec<u8>>>> {
    env.vm.set_code(RECEIVER, program_code());
    let seen: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
    let record = seen.clone();
    env.vm.on_call(RECEIVER, move |call| {
        record.borrow_mut().push(call.calldata.clone());
        answer.clone()
    });
    seen
}

fn accepted() -> Vec<u8> {
    let mut word = onERC721ReceivedCall::SELECTOR.to_vec();
    word.resize(32, 0);
    word
}

#[test]
fn safe_transfers_ask_contracts_and_pass_the_data() {
    let mut env = with_tickets(2);
    let seen = receiver(&env, Ok(accepted()));
    // To an account without code nothing is asked.
    env.as_(ALICE);
    env.ledger.safe_transfer_from(ALICE, BOB, U256::from(2)).unwrap();
    assert!(seen.borrow().is_empty());
    env.as_(ALICE);
    env.ledger.safe_transfer_from_with_data(ALICE, RECEIVER, one(), vec![1, 2, 3].into()).unwrap();
    assert_eq!(env.ledger.owner_of(one()), Ok(RECEIVER));
    let asked = onERC721ReceivedCall::abi_decode(&seen.borrow()[0]).unwrap();
    assert_eq!((asked.operator, asked.from, asked.tokenId), (ALICE, ALICE, one()));
    assert_eq!(asked.data.to_vec(), vec![1, 2, 3]);
}

#[test]
fn safe_transfers_to_unwilling_contracts_revert() {
    let env = with_tickets(1);
    let reason = Nope { why: "no tickets".into() }.abi_encode();
    let cases = [
        (Ok(vec![0u8; 32]), qerr(ERC721InvalidReceiver { receiver: RECEIVER })),
        (Ok(vec![]), qerr(ERC721InvalidReceiver { receiver: RECEIVER })),
        (Err(vec![]), qerr(ERC721InvalidReceiver { receiver: RECEIVER })),
        (Err(reason.clone()), reason),
    ];
    for (answer, expected) in cases {
        receiver(&env, answer);
        let before = env.storage();
        for data in [
            IQueue::safeTransferFrom_0Call { from: ALICE, to: RECEIVER, tokenId: one() }
                .abi_encode(),
            IQueue::safeTransferFrom_1Call {
                from: ALICE,
                to: RECEIVER,
                tokenId: one(),
                data: vec![7].into(),
            }
            .abi_encode(),
        ] {
            assert_eq!(env.route(ALICE, U256::ZERO, data), Err(expected.clone()));
            // The revert undoes the transfer.
            assert_eq!(env.storage(), before);
        }
    }
}

// ---------------------------------------------------------------- metadata

fn base64_decode(text: &str) -> Vec<u8> {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = vec![];
    for c in text.bytes().filter(|&c| c != b'=') {
        bits = (bits << 6) | TABLE.iter().position(|&t| t == c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn metadata(env: &Env, id: U256) -> serde_json::Value {
    let uri = env.admin.token_uri(id).unwrap();
    let body = uri.strip_prefix("data:application/json;base64,").unwrap();
    serde_json::from_slice(&base64_decode(body)).unwrap()
}

fn attribute<'a>(json: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    json["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["trait_type"] == name)
        .map(|a| &a["value"])
}

#[test]
fn token_uri_describes_the_ticket_on_chain() {
    let mut env = Env::new();
    let id = env.request_one(ALICE, U256::from(1_500_000_000_000_000_000u128));
    let pending = metadata(&env, id);
    assert_eq!(pending["name"], "untpETH #1");
    assert_eq!(attribute(&pending, "Amount (ETH)").unwrap(), "1.5");
    assert_eq!(attribute(&pending, "Amount (wei)").unwrap(), "1500000000000000000");
    assert_eq!(attribute(&pending, "Status").unwrap(), "Pending");
    assert_eq!(attribute(&pending, "Requested").unwrap(), NOW);
    assert!(attribute(&pending, "Finalized").is_none());

    env.rebase(1, 2);
    env.vm.set_block_timestamp(NOW + 3600);
    env.finalize_to(id, env.rate());
    let done = metadata(&env, id);
    assert_eq!(attribute(&done, "Status").unwrap(), "Finalized");
    assert_eq!(attribute(&done, "Finalized").unwrap(), NOW + 3600);
    let claimable = env.admin.get_claimable_ether(vec![id], env.hints(&[id])).unwrap()[0];
    assert_eq!(
        attribute(&done, "Claimable (wei)").unwrap().as_str().unwrap(),
        claimable.to_string()
    );
    assert_eq!(attribute(&done, "Claimable (ETH)").unwrap(), "0.75");
}

// ---------------------------------------------------------------- pausing and roles

/// A way of pausing the queue.
type Pause = fn(&mut Env) -> Result<(), QueueError>;

#[test]
fn pausing_needs_its_roles_and_ends_on_time_or_on_resume() {
    let mut env = Env::new();
    // Either way of pausing needs the role.
    let pauses: [Pause; 2] =
        [|e| e.admin.pause_for(U256::from(10)), |e| e.admin.pause_until(U256::MAX)];
    for pause in pauses {
        let err = env.reverts_unchanged_as(BOB, pause);
        assert_eq!(err, unauthorized(BOB, roles::PAUSE_ROLE));
    }
    let err = env.reverts_unchanged_as(ADMIN, |e| e.admin.resume());
    assert_eq!(err, qerr(pausable::PausedExpected {}));
    let err = env.reverts_unchanged_as(ADMIN, |e| e.admin.pause_for(U256::ZERO));
    assert_eq!(err, qerr(pausable::ZeroPauseDuration {}));
    let err = env.reverts_unchanged_as(ADMIN, |e| e.admin.pause_until(U256::from(NOW - 1)));
    assert_eq!(err, qerr(pausable::PauseUntilMustBeInFuture {}));

    env.as_(ADMIN);
    env.admin.pause_for(U256::from(10)).unwrap();
    assert!(env.admin.is_paused());
    assert_eq!(env.admin.get_resume_since_timestamp(), U256::from(NOW + 10));
    assert_eq!(env.events::<pausable::Paused>()[0].duration, U256::from(10));
    let err = env.reverts_unchanged_as(ADMIN, |e| e.admin.pause_for(U256::from(10)));
    assert_eq!(err, qerr(pausable::ResumedExpected {}));
    env.vm.set_block_timestamp(NOW + 10);
    assert!(!env.admin.is_paused());

    env.as_(ADMIN);
    env.admin.pause_until(U256::MAX).unwrap();
    assert_eq!(env.admin.get_resume_since_timestamp(), U256::from(u64::MAX));
    let err = env.reverts_unchanged_as(BOB, |e| e.admin.resume());
    assert_eq!(err, unauthorized(BOB, roles::RESUME_ROLE));
    env.as_(ADMIN);
    env.admin.resume().unwrap();
    assert!(!env.admin.is_paused());
    assert_eq!(env.events::<pausable::Resumed>().len(), 1);
}

#[test]
fn roles_are_granted_revoked_and_renounced_by_the_right_accounts() {
    let mut env = Env::new();
    assert_eq!(env.admin.get_role_admin(roles::PAUSE_ROLE), B256::ZERO);
    let err = env.reverts_unchanged_as(BOB, |e| e.admin.grant_role(roles::PAUSE_ROLE, BOB));
    assert_eq!(err, unauthorized(BOB, B256::ZERO));
    env.as_(ADMIN);
    env.admin.grant_role(roles::PAUSE_ROLE, BOB).unwrap();
    assert!(env.admin.has_role(roles::PAUSE_ROLE, BOB));
    let err = env.reverts_unchanged_as(BOB, |e| e.admin.revoke_role(roles::PAUSE_ROLE, ADMIN));
    assert_eq!(err, unauthorized(BOB, B256::ZERO));
    let err = env.reverts_unchanged_as(BOB, |e| e.admin.renounce_role(roles::PAUSE_ROLE, ADMIN));
    assert_eq!(err, qerr(access_control::AccessControlBadConfirmation {}));
    env.as_(BOB);
    env.admin.renounce_role(roles::PAUSE_ROLE, BOB).unwrap();
    assert!(!env.admin.has_role(roles::PAUSE_ROLE, BOB));
    env.as_(ADMIN);
    env.admin.revoke_role(roles::PAUSE_ROLE, ADMIN).unwrap();
    assert!(!env.admin.has_role(roles::PAUSE_ROLE, ADMIN));
    assert_eq!(env.events::<access_control::RoleRevoked>().len(), 2);
}

// ---------------------------------------------------------------- reentrancy

/// What each reentrant call returned.
type Outcomes = Rc<RefCell<Vec<Result<Vec<u8>, Vec<u8>>>>>;

/// Runs the queue's router on the env's host as a call from `from`.
fn reenter(host: &TestHost, from: Address, data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    host.enter(from, U256::ZERO, || host.route::<WithdrawalQueue>(&data))
}

/// `RECEIVER` owns tickets 1 and 2, both finalized.
fn receiver_with_finalized_tickets() -> Env {
    let mut env = Env::new();
    env.vm.set_code(RECEIVER, program_code());
    env.as_(RECEIVER);
    env.ledger.set_approval_for_all(ALICE, true).unwrap();
    env.request(ALICE, &[ETH, eth(2)], RECEIVER).unwrap();
    env.finalize_to(U256::from(2), env.rate());
    env.clear_logs();
    env
}

#[test]
fn an_eth_recipient_reentering_sees_finished_state() {
    let mut env = receiver_with_finalized_tickets();
    let host = env.vm.clone();
    let results: Outcomes = Rc::default();
    let record = results.clone();
    env.vm.on_call(RECEIVER, move |call| {
        if call.value == ETH {
            // While being paid for ticket 1: claim it again, then ticket 2.
            let again = IQueue::claimWithdrawalsCall { ids: vec![one()], hints: vec![one()] };
            record.borrow_mut().push(reenter(&host, RECEIVER, again.abi_encode()));
            let next =
                IQueue::claimWithdrawalsCall { ids: vec![U256::from(2)], hints: vec![one()] };
            record.borrow_mut().push(reenter(&host, RECEIVER, next.abi_encode()));
        }
        Ok(vec![])
    });
    env.claim(RECEIVER, &[one()]).unwrap();
    let results = results.borrow();
    assert_eq!(results[0], Err(qerr(RequestAlreadyClaimed { requestId: one() })));
    assert_eq!(results[1], Ok(vec![]));
    assert_eq!(env.payments(), vec![(RECEIVER, ETH), (RECEIVER, eth(2))]);
    assert_eq!(env.ledger.get_locked_ether_amount(), U256::ZERO);
    assert_eq!(env.ledger.balance_of(RECEIVER), Ok(U256::ZERO));
    // The outer call's caller is restored after the nested one.
    assert_eq!(env.vm.snapshot().msg_sender, RECEIVER);
}

#[test]
fn a_ticket_receiver_reentering_finds_the_ticket_already_its_own() {
    let mut env = Env::new();
    env.vm.set_code(RECEIVER, program_code());
    let id = env.request_one(ALICE, ETH);
    env.finalize_to(id, env.rate());
    let host = env.vm.clone();
    let seen: Outcomes = Rc::default();
    let record = seen.clone();
    env.vm.on_call(RECEIVER, move |call| {
        if call.calldata.is_empty() {
            return Ok(vec![]); // the claim's ETH
        }
        // In onERC721Received: the queue already says the ticket is ours; claim it at once.
        let owner = reenter(&host, RECEIVER, IQueue::ownerOfCall { tokenId: one() }.abi_encode());
        record.borrow_mut().push(owner);
        let claim = IQueue::claimWithdrawalsCall { ids: vec![one()], hints: vec![one()] };
        record.borrow_mut().push(reenter(&host, RECEIVER, claim.abi_encode()));
        Ok(accepted())
    });
    env.clear_logs();
    env.as_(ALICE);
    env.ledger.safe_transfer_from(ALICE, RECEIVER, id).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen[0], Ok(RECEIVER.abi_encode()));
    assert_eq!(seen[1], Ok(vec![]));
    assert_eq!(env.payments(), vec![(RECEIVER, ETH)]);
    assert_eq!(
        env.ledger.owner_of(id).map_err(Vec::<u8>::from),
        Err(qerr(ERC721NonexistentToken { tokenId: id }))
    );
}
