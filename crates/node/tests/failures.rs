//! How a Stylus call fails, as on Nitro: a trap (a panic's `unreachable`, a bad pointer, a
//! division by zero, a write in a static call) reverts the call with empty data and returns
//! its unused gas; running out of ink or stack consumes all of the call's gas. Each kind is
//! called by an externally owned account and by a Solidity contract.

mod artifacts;
mod common;
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use artifacts::Reverter;
use common::*;
use tidepool_node::chain::Chain;

/// Gas every transaction below is sent with.
const LIMIT: u64 = 5_000_000;

/// Programs that fail by trapping, each a different kind of trap.
fn traps() -> Vec<(&'static str, String)> {
    vec![
        ("panic (unreachable)", program("unreachable")),
        (
            "host I/O pointer out of bounds",
            program("(call $read_args (i32.const 70000)) (i32.const 0)"),
        ),
        ("load out of bounds", program("(drop (i32.load (i32.const 70000))) (i32.const 0)")),
        (
            "integer division by zero",
            program("(drop (i32.div_u (i32.const 1) (i32.const 0))) (i32.const 0)"),
        ),
        (
            "log with too many topics",
            program("(call $log (i32.const 0) (i32.const 160) (i32.const 5)) (i32.const 0)"),
        ),
    ]
}

fn deployed(chain: &mut Chain, n: u64, wat: &str) -> Address {
    let at = addr(0x7000 + n);
    deploy_wat(chain, at, wat);
    at
}

#[test]
fn a_trap_reverts_with_empty_data_and_returns_unused_gas() {
    let mut chain = chain();
    for (n, (kind, wat)) in traps().into_iter().enumerate() {
        let program = deployed(&mut chain, n as u64, &wat);
        let (ok, out) = call(&mut chain, program, vec![]);
        assert!(!ok, "{kind}: call succeeded");
        assert!(out.is_empty(), "{kind}: revert data {out}");
        let (hash, ok) = send_value(&mut chain, program, vec![], U256::ZERO);
        assert!(!ok, "{kind}: transaction succeeded");
        let used = chain.tx(&hash).expect("mined").gas_used;
        // Intrinsic gas, an uncached entry of a small module and a few instructions.
        assert!(used < 40_000, "{kind}: used {used} of {LIMIT}");
    }
}

#[test]
fn a_solidity_caller_sees_a_trap_as_a_revert_with_empty_data() {
    let mut chain = chain();
    let reverter = create(&mut chain, Reverter::BYTECODE.clone());
    for (n, (kind, wat)) in traps().into_iter().enumerate() {
        let program = deployed(&mut chain, n as u64, &wat);
        let before = view(&mut chain, reverter, Reverter::failuresCall {});
        let try_call = Reverter::tryCallCall { target: program, data: Bytes::new() }.abi_encode();
        let (hash, ok) = send_value(&mut chain, reverter, try_call, U256::ZERO);
        assert!(ok, "{kind}: the caller must survive the failure");
        assert_eq!(view(&mut chain, reverter, Reverter::failuresCall {}), before + U256::from(1));
        assert!(view(&mut chain, reverter, Reverter::lastRevertCall {}).is_empty(), "{kind}");
        // The failed frame handed its unused gas back to Solidity.
        let used = chain.tx(&hash).expect("mined").gas_used;
        assert!(used < 120_000, "{kind}: used {used} of {LIMIT}");
    }
}

#[test]
fn a_write_in_a_static_call_fails_only_the_inner_frame() {
    let mut chain = chain();
    let counter_at = deployed(&mut chain, 100, &counter());
    // Static-calls the program whose address is in the first 20 bytes of its arguments and
    // returns the call's status (0 success, 1 failure) in a word.
    let caller = program(
        r#"
    (call $read_args (i32.const 0))
    (i32.store8 (i32.const 231)
      (call $scall (i32.const 0) (i32.const 20) (i32.const 0) (i64.const -1) (i32.const 100)))
    (call $write_result (i32.const 200) (i32.const 32))
    (i32.const 0)"#,
    );
    let caller = deployed(&mut chain, 101, &caller);
    let args = counter_at.to_vec();
    let (ok, out) = call(&mut chain, caller, args.clone());
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out), U256::from(1), "the static callee failed");
    let (hash, ok) = send_value(&mut chain, caller, args, U256::ZERO);
    assert!(ok);
    let used = chain.tx(&hash).expect("mined").gas_used;
    assert!(used < 80_000, "the failed callee returned its gas: used {used}");
    assert_eq!(slot0(&chain, counter_at), U256::ZERO, "nothing was written");
}

#[test]
fn running_out_of_ink_or_stack_consumes_the_calls_gas() {
    let mut chain = chain();
    let spin = deployed(&mut chain, 200, &program("(loop $forever (br $forever)) (i32.const 0)"));
    let recurse = format!(
        "(module {IMPORTS}
           (func $deeper (param i32) (result i32) (call $deeper (local.get 0)))
           (func (export \"user_entrypoint\") (param i32) (result i32) (call $deeper (local.get 0))))"
    );
    let recurse = deployed(&mut chain, 201, &recurse);
    let reverter = create(&mut chain, Reverter::BYTECODE.clone());
    for (kind, program) in [("out of ink", spin), ("out of stack", recurse)] {
        let (hash, ok) = send_value(&mut chain, program, vec![], U256::ZERO);
        assert!(!ok, "{kind}");
        assert_eq!(chain.tx(&hash).expect("mined").gas_used, LIMIT, "{kind}: all gas is used");

        // From Solidity: the frame burns what it was given, the caller keeps the 1/64 it
        // withheld and records the failure.
        let try_call = Reverter::tryCallCall { target: program, data: Bytes::new() }.abi_encode();
        let (hash, ok) = send_value(&mut chain, reverter, try_call, U256::ZERO);
        assert!(ok, "{kind}: the caller keeps enough to go on");
        let used = chain.tx(&hash).expect("mined").gas_used;
        assert!(used > LIMIT * 62 / 64 && used < LIMIT, "{kind}: used {used}");
    }
}
