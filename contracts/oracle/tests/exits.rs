//! The exit report natively: the same frame, version and signature rules as the accounting
//! report, independently of it; the lists' form; the call to the pool's staking module
//! (a stand-in here: the module's own rules are tested in its crate and end to end).

mod common;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use common::*;
use tidepool_common::exit_report::{
    InvalidExitDataLength, TooManyExitRequests, UnsortedNodeOperatorIds, ZeroExitRequest,
};
use tidepool_interfaces::{exit_report::encode, IStakingModule};
use tidepool_oracle::{errors::*, ExitReport, ExitReportAccepted};

/// An oracle of 5 members with quorum 3 whose module accepts every call.
fn env() -> Env {
    let env = Env::new(5, 3);
    env.serve_module(Ok(vec![]));
    env
}

fn encoded<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}

fn oracle_error(e: impl Into<OracleError>) -> Vec<u8> {
    Vec::from(e.into())
}

#[test]
fn a_quorum_signed_exit_report_reaches_the_module_once() {
    let env = env();
    let data = env.exit_report(&[(0, 2), (3, 1)], &[(0, 1)]);
    assert_eq!(env.admin.hash_exit_report(data.clone()), env.exit_digest(&data));
    let hashed = env
        .route(ALICE, call_with(&format!("hashExitReport({EXIT_REPORT_TUPLE})"), (data.clone(),)))
        .expect("hashExitReport routes");
    assert_eq!(B256::from_slice(&hashed), env.exit_digest(&data));

    env.submit_exit(&data, env.exit_signatures(3, &data)).expect("exit report applies");
    let expected = IStakingModule::processExitReportCall {
        exit_requests: data.exitRequests.clone(),
        exited_counts: data.exitedCounts.clone(),
    }
    .abi_encode();
    assert_eq!(env.module_calls(), vec![expected]);
    assert_eq!(env.admin.get_last_exit_ref_slot(), env.ref_slot(1));
    assert_eq!(env.admin.get_last_processing_ref_slot(), 0, "the accounting report is apart");
    let mut signers: Vec<Address> = env.members.iter().map(|k| key(*k)).collect();
    signers.sort();
    signers.truncate(3);
    assert_eq!(
        env.events::<ExitReportAccepted>(),
        vec![ExitReportAccepted {
            refSlot: data.refSlot,
            reportHash: env.exit_digest(&data),
            exitRequests: U256::from(3),
            signers,
        }]
    );

    // Applied twice: refused, and the module is not called again.
    env.assert_exit_rejected(
        &data,
        env.exit_signatures(3, &data),
        oracle_error(RefSlotAlreadyProcessed {
            refSlot: data.refSlot,
            lastProcessingRefSlot: data.refSlot,
        }),
    );
    assert_eq!(env.module_calls().len(), 1);

    // The next frame continues.
    env.set_time(env.frame_start(2));
    let next = env.exit_report(&[(0, 1)], &[]);
    env.submit_exit(&next, env.exit_signatures(3, &next)).expect("next frame");
    assert_eq!(env.admin.get_last_exit_ref_slot(), env.ref_slot(2));
    // The oracle's hand-written calldata, against alloy's encoder (an empty list too).
    let expected = IStakingModule::processExitReportCall {
        exit_requests: next.exitRequests.clone(),
        exited_counts: next.exitedCounts.clone(),
    }
    .abi_encode();
    assert_eq!(env.module_calls()[1], expected);
}

#[test]
fn exit_and_accounting_reports_of_a_frame_apply_in_either_order() {
    let env = env();
    // Frame 1: the exit report first.
    let exits = env.exit_report(&[(0, 1)], &[]);
    env.submit_exit(&exits, env.exit_signatures(3, &exits)).expect("exit report");
    let report = env.report(320_000_000_000);
    env.submit(&report, env.quorum_signatures(3, &report)).expect("accounting report");
    // Frame 2: the accounting report first.
    env.set_time(env.frame_start(2));
    let report = env.report(320_010_000_000);
    env.submit(&report, env.quorum_signatures(3, &report)).expect("accounting report");
    let exits = env.exit_report(&[], &[(0, 1)]);
    env.submit_exit(&exits, env.exit_signatures(3, &exits)).expect("exit report");
    assert_eq!(env.admin.get_last_exit_ref_slot(), env.ref_slot(2));
    assert_eq!(env.admin.get_last_processing_ref_slot(), env.ref_slot(2));
    // A refused exit list never blocks the accounting report: frame 3's accounting report
    // applies although its exit report is refused.
    env.set_time(env.frame_start(3));
    let bad = env.exit_report(&[(0, 101)], &[]);
    assert!(env.submit_exit(&bad, env.exit_signatures(3, &bad)).is_err());
    let report = env.report(320_020_000_000);
    env.submit(&report, env.quorum_signatures(3, &report)).expect("accounting report");
}

#[test]
fn exit_report_refusals_change_nothing() {
    let env = env();
    let data = env.exit_report(&[(0, 2)], &[(1, 1)]);
    let ref_slot = data.refSlot;

    // Signatures: below quorum, a non-member, unsorted.
    env.assert_exit_rejected(
        &data,
        env.exit_signatures(2, &data),
        oracle_error(QuorumNotReached { signatures: U256::from(2), quorum: U256::from(3) }),
    );
    let stranger = 9u8;
    let (v, r, s) = sign_digest(stranger, env.exit_digest(&data));
    let foreign = Bytes::from(tidepool_common::signature::pack_signature(v, r, s).to_vec());
    env.assert_exit_rejected(
        &data,
        vec![foreign],
        oracle_error(SignerNotMember { index: U256::ZERO, signer: key(stranger) }),
    );
    let mut reversed = env.exit_signatures(3, &data);
    reversed.reverse();
    assert!(env.submit_exit(&data, reversed).is_err());
    // Signatures over the accounting report's digest or another exit report do not count.
    let other = env.exit_report(&[(0, 3)], &[(1, 1)]);
    let err = env.submit_exit(&data, env.exit_signatures(3, &other)).expect_err("wrong digest");
    assert_eq!(&err[..4], &SignerNotMember::SELECTOR);

    // Frame and version.
    let mut wrong = data.clone();
    wrong.consensusVersion = U256::from(2);
    env.assert_exit_rejected(
        &wrong,
        env.exit_signatures(3, &wrong),
        oracle_error(UnexpectedConsensusVersion {
            expected: U256::from(1),
            received: U256::from(2),
        }),
    );
    let mut wrong = data.clone();
    wrong.refSlot = ref_slot + U256::from(1);
    env.assert_exit_rejected(
        &wrong,
        env.exit_signatures(3, &wrong),
        oracle_error(UnexpectedRefSlot { expected: ref_slot, received: wrong.refSlot }),
    );
    let mut wrong = data.clone();
    wrong.refSlot = U256::from(env.ref_slot(0));
    env.assert_exit_rejected(
        &wrong,
        env.exit_signatures(3, &wrong),
        oracle_error(ProcessingDeadlineMissed { refSlot: wrong.refSlot, deadline: ref_slot }),
    );

    // The lists' form.
    let lists: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = vec![
        (
            encode(&[(0, 60), (1, 41)]),
            vec![],
            encoded(TooManyExitRequests { requested: U256::from(101), max: U256::from(100) }),
        ),
        (encode(&[(5, 0)]), vec![], encoded(ZeroExitRequest { nodeOperatorId: U256::from(5) })),
        (vec![0; 20], vec![], encoded(InvalidExitDataLength { length: U256::from(20) })),
        (vec![], vec![0; 8], encoded(InvalidExitDataLength { length: U256::from(8) })),
        (
            encode(&[(2, 1), (1, 1)]),
            vec![],
            encoded(UnsortedNodeOperatorIds {
                index: U256::from(1),
                nodeOperatorId: U256::from(1),
                previousNodeOperatorId: U256::from(2),
            }),
        ),
        (
            vec![],
            encode(&[(1, 1), (1, 2)]),
            encoded(UnsortedNodeOperatorIds {
                index: U256::from(1),
                nodeOperatorId: U256::from(1),
                previousNodeOperatorId: U256::from(1),
            }),
        ),
    ];
    for (requests, exited, expected) in lists {
        let bad = ExitReport {
            exitRequests: requests.into(),
            exitedCounts: exited.into(),
            ..data.clone()
        };
        env.assert_exit_rejected(&bad, env.exit_signatures(3, &bad), expected);
    }

    // The module's refusal comes back unchanged, and the frame is not spent.
    let refusal = vec![0xde, 0xad, 0xbe, 0xef, 1, 2, 3];
    env.serve_module(Err(refusal.clone()));
    env.assert_exit_rejected(&data, env.exit_signatures(3, &data), refusal);
    // A module address without code would swallow the report.
    env.vm.set_code(MODULE, vec![]);
    env.assert_exit_rejected(
        &data,
        env.exit_signatures(3, &data),
        oracle_error(InvalidStakingModule { stakingModule: MODULE }),
    );
    assert!(env.module_calls().len() <= 1);
    assert_eq!(env.admin.get_last_exit_ref_slot(), 0);

    // After all that, the report itself still applies.
    env.serve_module(Ok(vec![]));
    env.submit_exit(&data, env.exit_signatures(3, &data)).expect("applies");
}
