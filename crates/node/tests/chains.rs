//! Stylus <-> Solidity call chains, reverts, reentrancy, delegatecall, and known-answer host
//! I/O checks.
//!
//! The Solidity contracts are `tests/solidity/*.sol`, compiled by the pinned solcjs into the
//! committed `tests/solidity/out/*.json` (`tests/solidity/compile.js`; `tests/solidity.rs`
//! checks they are current). The Stylus programs are WAT, written here.

mod artifacts;
mod common;
use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use artifacts::{Counter, DelegateProxy, ReentrancyProbe, Reverter};
use common::*;
use tidepool_node::chain::Chain;

/// The forwarding part the test programs share: calls `args[0..20]` with `args[20..]` (no
/// value) and returns that call's output and status.
const FORWARD: &str = r#"
    (call $read_args (i32.const 8192))
    (local.set $st (call $call (i32.const 8192) (i32.const 8212)
        (i32.sub (local.get $len) (i32.const 20)) (i32.const 2048) (i64.const -1) (i32.const 3000)))
    (drop (call $rrd (i32.const 16384) (i32.const 0) (i32.load (i32.const 3000))))
    (call $write_result (i32.const 16384) (i32.load (i32.const 3000)))
    (local.get $st)"#;

/// Stylus relay: empty calldata answers `msg_reentrant()` as one word; anything else is
/// forwarded ([`FORWARD`]).
fn relay() -> String {
    program(&format!(
        r#"(local $st i32)
    (if (i32.eqz (local.get $len)) (then
        (i32.store8 (i32.const 31) (call $reentrant))
        (call $write_result (i32.const 0) (i32.const 32))
        (return (i32.const 0))))
    {FORWARD}"#
    ))
}

/// Stylus actor: empty calldata increments slot 0 of the storage this frame acts on, logs the
/// new count as a topic, and answers what the frame sees ([`Seen`]); anything else is
/// forwarded ([`FORWARD`]).
fn actor() -> String {
    program(&format!(
        r#"(local $st i32)
    (if (i32.eqz (local.get $len)) (then
        (call $sload (i32.const 0) (i32.const 1072))
        (i32.store8 (i32.const 1103) (i32.add (i32.load8_u (i32.const 1103)) (i32.const 1)))
        (call $scache (i32.const 0) (i32.const 1072))
        (call $flush (i32.const 0))
        (call $log (i32.const 1072) (i32.const 32) (i32.const 1))
        (call $sender (i32.const 1000))
        (call $value (i32.const 1020))
        (call $address (i32.const 1052))
        (i32.store8 (i32.const 1135) (call $reentrant))
        (call $write_result (i32.const 1000) (i32.const 136))
        (return (i32.const 0))))
    {FORWARD}"#
    ))
}

/// Stylus delegator: DELEGATECALLs `args[0..20]` with `args[20..]` and returns its output and
/// status.
fn delegator() -> String {
    program(
        r#"(local $st i32)
    (call $read_args (i32.const 8192))
    (local.set $st (call $dcall (i32.const 8192) (i32.const 8212)
        (i32.sub (local.get $len) (i32.const 20)) (i64.const -1) (i32.const 3000)))
    (drop (call $rrd (i32.const 16384) (i32.const 0) (i32.load (i32.const 3000))))
    (call $write_result (i32.const 16384) (i32.load (i32.const 3000)))
    (local.get $st)"#,
    )
}

/// What an [`actor`] frame saw: `msg_sender`, `msg_value`, `contract_address`, the count it
/// stored and `msg_reentrant`.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    sender: Address,
    value: U256,
    this: Address,
    count: u64,
    reentrant: bool,
}

fn seen(out: &[u8]) -> Seen {
    assert_eq!(out.len(), 136, "not an actor's answer: {out:?}");
    let word = |o: usize| U256::from_be_slice(&out[o..o + 32]);
    Seen {
        sender: Address::from_slice(&out[0..20]),
        value: word(20),
        this: Address::from_slice(&out[52..72]),
        count: word(72).to(),
        reentrant: word(104) == U256::from(1),
    }
}

/// Calldata for a forwarding program: call `to` with `data`.
fn via(to: Address, data: impl AsRef<[u8]>) -> Vec<u8> {
    [to.as_slice(), data.as_ref()].concat()
}

/// An `eth_call` of a Solidity function that must succeed, decoded.
fn view<C: SolCall>(chain: &mut Chain, at: Address, c: C) -> C::Return {
    let (ok, out) = call(chain, at, c.abi_encode());
    assert!(ok, "{} reverted: {out}", C::SIGNATURE);
    C::abi_decode_returns(&out).expect("decode return")
}

#[test]
fn solidity_and_stylus_call_each_other() {
    let (stylus_counter, relay_at) = (addr(0x51), addr(0x52));
    let mut chain = chain_with(&[(stylus_counter, counter()), (relay_at, relay())]);
    let counter = create(&mut chain, Counter::BYTECODE.clone());
    let n = chain.block_number();
    assert_eq!(chain.code(counter, n).expect("code"), Counter::DEPLOYED_BYTECODE);

    // Solidity -> Stylus: Counter.bump calls the Stylus counter and keeps its answer.
    let bump = Counter::bumpCall { program: stylus_counter }.abi_encode();
    let (_, ok) = send(&mut chain, counter, bump.clone());
    assert!(ok);
    assert_eq!(slot0(&chain, stylus_counter), U256::from(1));
    assert_eq!(view(&mut chain, counter, Counter::lastAnswerCall {}), U256::from(1));

    // Stylus -> Solidity: the event names the program as msg.sender, and the program hands
    // back Solidity's return data unchanged.
    let increment = via(counter, Counter::incrementCall {}.abi_encode());
    let (hash, ok) = send(&mut chain, relay_at, increment.clone());
    assert!(ok);
    let logs = &chain.tx(&hash).expect("mined").logs;
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address, counter);
    let counted = Counter::Counted::decode_log_data(&logs[0].data).expect("Counted");
    assert_eq!((counted.by, counted.count), (relay_at, U256::from(1)));
    let (ok, out) = call(&mut chain, relay_at, increment);
    assert!(ok);
    assert_eq!(Counter::incrementCall::abi_decode_returns(&out).expect("uint"), U256::from(2));

    // Solidity -> Stylus -> Solidity.
    let through = Counter::incrementThroughCall { relay: relay_at }.abi_encode();
    let (_, ok) = send(&mut chain, counter, through);
    assert!(ok);
    assert_eq!(view(&mut chain, counter, Counter::countCall {}), U256::from(2));

    // Stylus -> Solidity -> Stylus: three frames, one journal.
    let (_, ok) = send(&mut chain, relay_at, via(counter, bump));
    assert!(ok);
    assert_eq!(slot0(&chain, stylus_counter), U256::from(2));
    assert_eq!(view(&mut chain, counter, Counter::lastAnswerCall {}), U256::from(2));
}

/// Writes slot 0 = 7, then returns status 1 with the revert data `de ad be ef`.
fn failing() -> String {
    program(
        r#"(i32.store8 (i32.const 63) (i32.const 7))
    (call $scache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 0))
    (i32.store (i32.const 100) (i32.const 0xefbeadde))
    (call $write_result (i32.const 100) (i32.const 4))
    (i32.const 1)"#,
    )
}

#[test]
fn reverts_roll_back_and_carry_data() {
    let (bad, relay_at, stylus_counter) = (addr(0x53), addr(0x52), addr(0x51));
    let mut chain =
        chain_with(&[(bad, failing()), (relay_at, relay()), (stylus_counter, counter())]);
    let reverter = create(&mut chain, Reverter::BYTECODE.clone());
    let me = dev(&chain, 0);

    // A Stylus revert rolls back the program's own flushed write.
    let (_, ok) = send_value(&mut chain, bad, vec![], U256::ZERO);
    assert!(!ok);
    assert_eq!(slot0(&chain, bad), U256::ZERO);

    // Solidity's custom error crosses a Stylus frame unchanged; its write and log roll back.
    let refuse = via(reverter, Reverter::refuseCall { code: U256::from(7) }.abi_encode());
    let (hash, ok) = send_value(&mut chain, relay_at, refuse.clone(), U256::ZERO);
    assert!(!ok);
    assert!(chain.tx(&hash).expect("mined").logs.is_empty());
    assert_eq!(view(&mut chain, reverter, Reverter::touchedCall {}), U256::ZERO);
    let (ok, out) = call(&mut chain, relay_at, refuse.clone());
    assert!(!ok);
    let refused = Reverter::Refused { code: U256::from(7), caller: relay_at };
    assert_eq!(Reverter::Refused::abi_decode(&out).expect("Refused"), refused);

    // Solidity catches a Stylus revert: the catcher's writes stay, the program's do not.
    let try_bad = Reverter::tryCallCall { target: bad, data: Bytes::new() }.abi_encode();
    let (_, ok) = send(&mut chain, reverter, try_bad);
    assert!(ok);
    assert_eq!(slot0(&chain, bad), U256::ZERO);
    assert_eq!(view(&mut chain, reverter, Reverter::failuresCall {}), U256::from(1));
    let last = view(&mut chain, reverter, Reverter::lastRevertCall {});
    assert_eq!(last.as_ref(), &[0xde, 0xad, 0xbe, 0xef]);

    // Solidity -> Stylus -> Solidity revert, caught in Solidity: the error arrives intact.
    let try_refuse = Reverter::tryCallCall { target: relay_at, data: refuse.into() }.abi_encode();
    let (_, ok) = send(&mut chain, reverter, try_refuse);
    assert!(ok);
    assert_eq!(view(&mut chain, reverter, Reverter::failuresCall {}), U256::from(2));
    let last = view(&mut chain, reverter, Reverter::lastRevertCall {});
    assert_eq!(last, Bytes::from(refused.abi_encode()));
    assert_eq!(view(&mut chain, reverter, Reverter::touchedCall {}), U256::ZERO);

    // A revert after a Stylus program returned undoes the program's committed frame too.
    let then_refuse = Reverter::callThenRefuseCall {
        target: stylus_counter,
        data: Bytes::new(),
        code: U256::from(9),
    }
    .abi_encode();
    let (_, ok) = send_value(&mut chain, reverter, then_refuse.clone(), U256::ZERO);
    assert!(!ok);
    assert_eq!(slot0(&chain, stylus_counter), U256::ZERO);
    let (ok, out) = call(&mut chain, reverter, then_refuse);
    assert!(!ok);
    let refused = Reverter::Refused::abi_decode(&out).expect("Refused");
    assert_eq!(refused, Reverter::Refused { code: U256::from(9), caller: me });

    // A trap reverts with empty data and hands the unused gas back (tests/failures.rs has
    // every kind).
    let trap = addr(0x54);
    deploy_wat(&mut chain, trap, &program("unreachable"));
    let (hash, ok) = send_value(&mut chain, trap, vec![], U256::ZERO);
    assert!(!ok);
    let mined = chain.tx(&hash).expect("mined");
    assert!(mined.gas_used < 100_000, "{}", mined.gas_used);

    // Code that was never activated cannot run. (Activation is per code hash: this code must
    // differ from every program activated above.)
    let wasm = wat::parse_str(program("(i32.const 0)")).expect("wat");
    let raw = tidepool_node::program::compress_program(&wasm).expect("compress");
    let inactive = addr(0x55);
    chain.set_code(inactive, raw.into()).expect("code");
    let (ok, out) = call(&mut chain, inactive, vec![]);
    assert!(!ok);
    assert_eq!(out.as_ref(), &keccak256("ProgramNotActivated()")[..4]);
}

#[test]
fn reentrancy_flag_spans_evm_frames() {
    let relay_at = addr(0x56);
    let mut chain = chain_with(&[(relay_at, relay())]);
    let probe = create(&mut chain, ReentrancyProbe::BYTECODE.clone());

    let (ok, out) = call(&mut chain, relay_at, vec![]);
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out), U256::ZERO, "a direct call is not reentrant");

    // Solidity calls the program (not reentrant), then has it call itself back through
    // Solidity (reentrant: its first frame is still open below the Solidity frame).
    let r = view(&mut chain, probe, ReentrancyProbe::probeCall { program: relay_at });
    assert!(!r.direct);
    assert!(r.reentered);

    // The same with the program at the bottom of the stack: Stylus -> Solidity -> Stylus.
    let back = ReentrancyProbe::relayCall { program: relay_at, data: Bytes::new() };
    let (ok, out) = call(&mut chain, relay_at, via(probe, back.abi_encode()));
    assert!(ok, "{out}");
    let answer = Bytes::abi_decode(&out).expect("bytes");
    assert_eq!(U256::from_be_slice(&answer), U256::from(1));
}

/// A Solidity proxy DELEGATECALLs a Stylus program: the program's storage writes, logs and
/// balance land in the proxy, it sees the proxy's msg.sender, msg.value and address, and its
/// reentrancy flag counts the open frames *called* at the proxy's address (Nitro's rule:
/// delegated frames act for their caller without adding to its count).
#[test]
fn solidity_proxy_delegatecalls_stylus() {
    let actor_at = addr(0x60);
    let mut chain = chain_with(&[(actor_at, actor())]);
    let init = [DelegateProxy::BYTECODE.as_ref(), &actor_at.abi_encode()].concat();
    let proxy = create(&mut chain, init);
    let reverter = create(&mut chain, Reverter::BYTECODE.clone());
    assert_eq!(view(&mut chain, proxy, DelegateProxy::implementationCall {}), actor_at);
    let me = dev(&chain, 0);
    let value = U256::from(1_234);

    // An account calls the proxy with value: the Stylus code runs as the proxy, once.
    let (ok, out) = {
        let r = value_req(&chain, proxy, vec![], value);
        eth_call(&mut chain, r)
    };
    assert!(ok, "{out}");
    let expect = Seen { sender: me, value, this: proxy, count: 1, reentrant: false };
    assert_eq!(seen(&out), expect);
    let (hash, ok) = send_value(&mut chain, proxy, vec![], value);
    assert!(ok);
    assert_eq!(view(&mut chain, proxy, DelegateProxy::countCall {}), U256::from(1));
    assert_eq!(slot0(&chain, actor_at), U256::ZERO, "the program's own storage is untouched");
    assert_eq!((balance(&chain, proxy), balance(&chain, actor_at)), (value, U256::ZERO));
    let logs = &chain.tx(&hash).expect("mined").logs;
    assert_eq!(logs.len(), 1);
    assert_eq!((logs[0].address, logs[0].topics()[0]), (proxy, word(1)));

    // The delegated code calls the proxy again, which delegates again: two called frames of
    // the proxy are open, so the inner delegated frame is reentrant.
    let (ok, out) = call(&mut chain, proxy, via(proxy, []));
    assert!(ok, "{out}");
    let expect = Seen { sender: proxy, value: U256::ZERO, this: proxy, count: 2, reentrant: true };
    assert_eq!(seen(&out), expect);

    // Per acting address, not per code: the program's own frame below does not make its code
    // reentrant when it then runs as the proxy ...
    let (ok, out) = call(&mut chain, actor_at, via(proxy, []));
    assert!(ok, "{out}");
    let expect =
        Seen { sender: actor_at, value: U256::ZERO, this: proxy, count: 2, reentrant: false };
    assert_eq!(seen(&out), expect);
    // ... nor does running as the proxy make a call to the program's own address reentrant.
    let (ok, out) = call(&mut chain, proxy, via(actor_at, []));
    assert!(ok, "{out}");
    let expect =
        Seen { sender: proxy, value: U256::ZERO, this: actor_at, count: 1, reentrant: false };
    assert_eq!(seen(&out), expect);

    // A revert above the delegated frame rolls back what it wrote in the proxy.
    let then_refuse =
        Reverter::callThenRefuseCall { target: proxy, data: Bytes::new(), code: U256::from(3) };
    let (hash, ok) = send_value(&mut chain, reverter, then_refuse.abi_encode(), U256::ZERO);
    assert!(!ok);
    assert!(chain.tx(&hash).expect("mined").logs.is_empty());
    assert_eq!(view(&mut chain, proxy, DelegateProxy::countCall {}), U256::from(1));
}

/// The same with a Stylus program as the proxy (the shape of a Stylus contract delegating to
/// a Stylus module).
#[test]
fn stylus_delegatecalls_stylus() {
    let (actor_at, proxy) = (addr(0x60), addr(0x61));
    let mut chain = chain_with(&[(actor_at, actor()), (proxy, delegator())]);
    let me = dev(&chain, 0);
    let value = U256::from(77);

    let (ok, out) = {
        let r = value_req(&chain, proxy, via(actor_at, []), value);
        eth_call(&mut chain, r)
    };
    assert!(ok, "{out}");
    let expect = Seen { sender: me, value, this: proxy, count: 1, reentrant: false };
    assert_eq!(seen(&out), expect);
    let (hash, ok) = send_value(&mut chain, proxy, via(actor_at, []), value);
    assert!(ok);
    assert_eq!((slot0(&chain, proxy), slot0(&chain, actor_at)), (U256::from(1), U256::ZERO));
    assert_eq!((balance(&chain, proxy), balance(&chain, actor_at)), (value, U256::ZERO));
    let logs = &chain.tx(&hash).expect("mined").logs;
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address, proxy);

    // proxy -> (delegated) actor -> CALL proxy -> (delegated) actor: reentrant.
    let (ok, out) = call(&mut chain, proxy, via(actor_at, via(proxy, via(actor_at, []))));
    assert!(ok, "{out}");
    let expect = Seen { sender: proxy, value: U256::ZERO, this: proxy, count: 2, reentrant: true };
    assert_eq!(seen(&out), expect);

    // proxy -> (delegated) actor -> CALL actor: a first frame of the actor's own address.
    let (ok, out) = call(&mut chain, proxy, via(actor_at, via(actor_at, [])));
    assert!(ok, "{out}");
    let expect =
        Seen { sender: proxy, value: U256::ZERO, this: actor_at, count: 1, reentrant: false };
    assert_eq!(seen(&out), expect);
}

#[test]
fn host_context_known_answers() {
    let p = addr(0x57);
    let wat = program(
        r#"
    (i64.store (i32.const 1000) (call $chainid))
    (i64.store (i32.const 1008) (call $number))
    (call $sender (i32.const 1016))
    (call $value (i32.const 1036))
    (i32.store (i32.const 500) (i32.const 0x636261))
    (call $keccak (i32.const 500) (i32.const 3) (i32.const 1068))
    (i32.store8 (i32.const 1131) (i32.const 10))
    (i32.store8 (i32.const 631) (i32.const 3))
    (call $pow (i32.const 1100) (i32.const 600))
    (i32.store (i32.const 1132) (call $inkprice))
    (call $address (i32.const 1136))
    (call $origin (i32.const 1156))
    (i64.store (i32.const 1176) (call $gas_left))
    (call $basefee (i32.const 1184))
    (i32.store (i32.const 1216) (call $reentrant))
    (i32.store8 (i32.const 1251) (i32.const 17))
    (i32.store8 (i32.const 1283) (i32.const 5))
    (call $mod (i32.const 1220) (i32.const 1252))
    (call $write_result (i32.const 1000) (i32.const 252))
    (i32.const 0)"#,
    );
    let mut chain = chain_with(&[(p, wat)]);
    let me = dev(&chain, 0);
    let (ok, out) = call(&mut chain, p, vec![]);
    assert!(ok, "{out:?}");
    let u64_at = |o: usize| u64::from_le_bytes(out[o..o + 8].try_into().expect("8 bytes"));
    assert_eq!(u64_at(0), 412_346);
    assert_eq!(u64_at(8), chain.block_number() + 1);
    assert_eq!(&out[16..36], me.as_slice());
    assert_eq!(U256::from_be_slice(&out[36..68]), U256::ZERO);
    assert_eq!(&out[68..100], keccak256(b"abc").as_slice());
    assert_eq!(U256::from_be_slice(&out[100..132]), U256::from(1000));
    assert_eq!(u32::from_le_bytes(out[132..136].try_into().expect("4")), 10_000);
    assert_eq!(&out[136..156], p.as_slice());
    assert_eq!(&out[156..176], me.as_slice());
    assert!(u64_at(176) > 0 && u64_at(176) < 30_000_000);
    assert_eq!(
        U256::from_be_slice(&out[184..216]),
        U256::from(chain.latest().header.base_fee_per_gas.unwrap_or(0))
    );
    assert_eq!(u32::from_le_bytes(out[216..220].try_into().expect("4")), 0);
    assert_eq!(U256::from_be_slice(&out[220..252]), U256::from(2));
}

/// The host I/Os `host_context_known_answers` leaves out, each against a value computed
/// outside the node.
#[test]
fn host_accounts_math_calls_and_memory_known_answers() {
    let (p, stylus_counter, funded) = (addr(0x59), addr(0x51), addr(0xB0B));
    let mut chain = chain_with(&[(stylus_counter, counter())]);
    let counter = create(&mut chain, Counter::BYTECODE.clone());
    chain.set_balance(funded, U256::from(123_456));
    let init = Counter::BYTECODE.as_ref();
    let salt = word(5);
    let data = |at: u32, bytes: &[u8]| format!("(data (i32.const {at}) \"{}\")", escape(bytes));
    let segments = [
        data(500, counter.as_slice()),
        data(520, funded.as_slice()),
        data(540, stylus_counter.as_slice()),
        data(560, &Counter::countCall::SELECTOR),
        data(700, salt.as_slice()),
        data(4096, init),
    ]
    .join("\n  ");
    let src = program(&format!(
        r#"
    (i64.store (i32.const 1000) (call $timestamp))
    (i64.store (i32.const 1008) (call $gaslimit))
    (call $coinbase (i32.const 1016))
    (call $gasprice (i32.const 1036))
    (i64.store (i32.const 1068) (call $ink_left))
    (i64.store (i32.const 1076) (call $gas_left))
    (call $balance (i32.const 520) (i32.const 1084))
    (i32.store (i32.const 1116) (call $codesize (i32.const 500)))
    (call $codehash (i32.const 500) (i32.const 1120))
    (i32.store (i32.const 1168) (call $code (i32.const 500) (i32.const 0) (i32.const 16) (i32.const 1152)))
    (i32.store8 (i32.const 1211) (i32.const 100))
    (i32.store8 (i32.const 631) (i32.const 7))
    (call $div (i32.const 1180) (i32.const 600))
    (i32.store8 (i32.const 1243) (i32.const 10))
    (i32.store8 (i32.const 663) (i32.const 6))
    (call $addmod (i32.const 1212) (i32.const 600) (i32.const 632))
    (i32.store8 (i32.const 1275) (i32.const 10))
    (call $mulmod (i32.const 1244) (i32.const 600) (i32.const 632))
    (i32.store (i32.const 1276)
        (call $scall (i32.const 500) (i32.const 560) (i32.const 4) (i64.const -1) (i32.const 1280)))
    (i32.store (i32.const 1284) (call $rds))
    (drop (call $rrd (i32.const 1288) (i32.const 0) (i32.const 32)))
    (i32.store (i32.const 1320)
        (call $scall (i32.const 540) (i32.const 0) (i32.const 0) (i64.const 1000000) (i32.const 1324)))
    (call $create2 (i32.const 4096) (i32.const {len}) (i32.const 2048) (i32.const 700)
        (i32.const 1328) (i32.const 1348))
    (i64.store (i32.const 1352) (call $ink_left))
    (call $pay (i32.const 5))
    (i64.store (i32.const 1360) (call $ink_left))
    (call $write_result (i32.const 1000) (i32.const 368))
    (i32.const 0)"#,
        len = init.len()
    ))
    .replace("(memory (export \"memory\") 1)", &format!("(memory (export \"memory\") 1)\n  {segments}"));
    deploy_wat(&mut chain, p, &src);

    let mut request = req(dev(&chain, 0), p, Bytes::new());
    request.gas_price = Some(7);
    request.gas = Some(5_000_000);
    let outcome = chain.call(request, alloy_eips::BlockNumberOrTag::Latest, None).expect("call");
    assert!(outcome.success, "{}", outcome.output);
    let out = outcome.output;
    let u64_at = |o: usize| u64::from_le_bytes(out[o..o + 8].try_into().expect("8 bytes"));
    let u32_at = |o: usize| u32::from_le_bytes(out[o..o + 4].try_into().expect("4 bytes"));
    let word_at = |o: usize| U256::from_be_slice(&out[o..o + 32]);
    let runtime = Counter::DEPLOYED_BYTECODE.as_ref();

    // Block and transaction: a call simulates the block after the latest.
    assert_eq!(u64_at(0), chain.latest().header.timestamp + 1, "block_timestamp");
    assert_eq!(u64_at(8), chain.config().block_gas_limit, "block_gas_limit");
    assert_eq!(&out[16..36], Address::ZERO.as_slice(), "block_coinbase");
    assert_eq!(word_at(36), U256::from(7), "tx_gas_price");
    // Ink is gas times 10,000, read one host call apart.
    let (ink, gas) = (u64_at(68), u64_at(76));
    assert!(ink / 10_000 >= gas && ink / 10_000 - gas <= 1, "evm_ink_left {ink}, gas {gas}");
    // Accounts.
    assert_eq!(word_at(84), U256::from(123_456), "account_balance");
    assert_eq!(u32_at(116) as usize, runtime.len(), "account_code_size");
    assert_eq!(&out[120..152], keccak256(runtime).as_slice(), "account_codehash");
    assert_eq!(&out[152..168], &runtime[..16], "account_code");
    assert_eq!(u32_at(168), 16, "account_code's returned size");
    // Math: 100 / 7, (10 + 7) % 6, (10 * 7) % 6.
    assert_eq!(word_at(180), U256::from(14), "math_div");
    assert_eq!(word_at(212), U256::from(5), "math_add_mod");
    assert_eq!(word_at(244), U256::from(4), "math_mul_mod");
    // A static call of Counter.count(), and one into a program that writes (which fails).
    assert_eq!((u32_at(276), u32_at(280), u32_at(284)), (0, 32, 32), "static_call, sizes");
    assert_eq!(word_at(288), U256::ZERO, "read_return_data");
    assert_eq!(u32_at(320), 1, "a write under static_call_contract fails");
    // create2 lands where keccak(0xff ++ deployer ++ salt ++ keccak(init)) says.
    let expected = p.create2(salt, keccak256(init));
    assert_eq!(&out[328..348], expected.as_slice(), "create2");
    assert_eq!(u32_at(348), 0, "create2 revert data size");
    // pay_for_memory_grow(5) from 1 open page: 4 pages beyond the 2 free ones at 1,000 gas
    // each, plus two host calls and a few instructions.
    let paid = u64_at(352) - u64_at(360);
    let known = 4 * 1_000 * 10_000 + 2 * 8_400;
    assert!((known..known + 5_000).contains(&paid), "pay_for_memory_grow cost {paid} ink");

    let (_, ok) = send_value(&mut chain, p, vec![], U256::ZERO);
    assert!(ok);
    let n = chain.block_number();
    assert_eq!(chain.code(expected, n).expect("code"), Counter::DEPLOYED_BYTECODE);
}

/// `exit_early(status)`: 0 returns what `write_result` set, anything else reverts with it,
/// and nothing after the call runs.
#[test]
fn exit_early_status_decides_success() {
    let p = addr(0x5A);
    let wat = program(
        r#"
    (call $read_args (i32.const 0))
    (i32.store16 (i32.const 100) (i32.const 0x6261))
    (call $write_result (i32.const 100) (i32.const 2))
    (call $exit_early (i32.load8_u (i32.const 0)))
    unreachable"#,
    );
    let mut chain = chain_with(&[(p, wat)]);
    let (ok, out) = call(&mut chain, p, vec![0]);
    assert!(ok);
    assert_eq!(out.as_ref(), b"ab");
    let (ok, out) = call(&mut chain, p, vec![3]);
    assert!(!ok);
    assert_eq!(out.as_ref(), b"ab");
}

/// A fresh chain with each `(address, WAT module)` deployed.
fn chain_with(programs: &[(Address, String)]) -> Chain {
    let mut chain = chain();
    for (at, wat) in programs {
        deploy_wat(&mut chain, *at, wat);
    }
    chain
}

fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

#[test]
fn logs_transient_storage_and_create() {
    let mut chain = chain();
    let p = addr(0x58);
    // Emits a log with one topic (word 7) and 2 data bytes; round-trips transient storage;
    // deploys the Solidity Counter from its creation code with `create1`.
    let init = Counter::BYTECODE.as_ref();
    let src = program(&format!(
        r#"
    (i32.store8 (i32.const 31) (i32.const 7))
    (i32.store16 (i32.const 32) (i32.const 0xbbaa))
    (call $log (i32.const 0) (i32.const 34) (i32.const 1))
    (i32.store8 (i32.const 95) (i32.const 9))
    (call $tstore (i32.const 0) (i32.const 64))
    (call $tload (i32.const 0) (i32.const 200))
    (call $create1 (i32.const 4096) (i32.const {}) (i32.const 2048) (i32.const 232) (i32.const 252))
    (call $write_result (i32.const 200) (i32.const 52))
    (i32.const 0)"#,
        init.len()
    ))
    .replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1)\n  (data (i32.const 4096) \"{}\")", escape(init)),
    );
    deploy_wat(&mut chain, p, &src);
    // A fixed gas limit: the transaction succeeds even if the create inside it fails, so an
    // estimate would find the limit at which the create runs out of gas.
    let (hash, ok) = send_value(&mut chain, p, vec![], U256::ZERO);
    assert!(ok);
    let tx = chain.tx(&hash).expect("mined").clone();
    assert_eq!(tx.logs.len(), 1);
    assert_eq!(tx.logs[0].address, p);
    assert_eq!(tx.logs[0].topics()[0], word(7));
    assert_eq!(tx.logs[0].data.data.as_ref(), &[0xaa, 0xbb]);
    let (ok, out) = call(&mut chain, p, vec![]);
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out[0..32]), U256::from(9));
    let created = Address::from_slice(&out[32..52]);
    assert_ne!(created, Address::ZERO);

    // The committed create (nonce 0 of the program) left the Counter's runtime code, which
    // works.
    let first = p.create(0);
    let n = chain.block_number();
    assert_eq!(chain.code(first, n).expect("code"), Counter::DEPLOYED_BYTECODE);
    let (_, ok) = send(&mut chain, first, Counter::incrementCall {}.abi_encode());
    assert!(ok);
    assert_eq!(view(&mut chain, first, Counter::countCall {}), U256::from(1));
}
