//! Stylus <-> EVM call chains, reverts, reentrancy and known-answer host I/O checks.

mod common;
use alloy_primitives::{keccak256, Address, Bytes, U256};
use common::*;

/// EVM runtime code: CALLs the address in calldata word 0 with the rest of the calldata and
/// returns (or reverts with) whatever came back. Hand-assembled; see the test source.
const EVM_FORWARDER: &str =
    "6020360380602060003760006000826000600060003 55af13d600060003e6025573d6000fd5b3d6000f3";
/// EVM runtime code: slot0 = 0x2a, returns the word 0x2a.
const EVM_STORE: &str = "602a600055602a60005260206000f3";

fn evm(chain: &mut tidepool_node::chain::Chain, at: Address, hex_code: &str) {
    let code: Bytes = alloy_primitives::hex::decode(hex_code.replace(' ', "")).expect("hex").into();
    chain.set_code(at, code).expect("code");
}

/// Stylus proxy: calls args[0..20] with args[20..], returns the result and the call status.
fn proxy() -> String {
    program(
        r#"(local $st i32)
    (call $read_args (i32.const 1024))
    (local.set $st (call $call (i32.const 1024) (i32.const 1044)
        (i32.sub (local.get $len) (i32.const 20)) (i32.const 2048) (i64.const -1) (i32.const 3000)))
    (drop (call $rrd (i32.const 4096) (i32.const 0) (i32.load (i32.const 3000))))
    (call $write_result (i32.const 4096) (i32.load (i32.const 3000)))
    (local.get $st)"#,
    )
}

fn word_of(a: Address) -> Vec<u8> {
    a.into_word().to_vec()
}

#[test]
fn evm_calls_stylus_and_stylus_calls_evm() {
    let mut chain = chain();
    let (fwd, counter, store, px) = (addr(0xE1), addr(0x51), addr(0xE2), addr(0x52));
    evm(&mut chain, fwd, EVM_FORWARDER);
    evm(&mut chain, store, EVM_STORE);
    deploy_wat(&mut chain, counter, &counter_src());
    deploy_wat(&mut chain, px, &proxy());

    // EVM -> Stylus.
    let (_, ok) = send(&mut chain, fwd, word_of(counter));
    assert!(ok);
    let n = chain.block_number();
    assert_eq!(chain.storage(counter, U256::ZERO, n).expect("slot"), U256::from(1));

    // Stylus -> EVM.
    let (_, ok) = send(&mut chain, px, store.to_vec());
    assert!(ok);
    let n = chain.block_number();
    assert_eq!(chain.storage(store, U256::ZERO, n).expect("slot"), U256::from(0x2a));
    let (ok, out) = call(&mut chain, px, store.to_vec());
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out), U256::from(0x2a));

    // Stylus -> EVM -> Stylus, state visible across all three frames in one journal.
    let mut data = fwd.to_vec();
    data.extend(word_of(counter));
    let (_, ok) = send(&mut chain, px, data);
    assert!(ok);
    let n = chain.block_number();
    assert_eq!(chain.storage(counter, U256::ZERO, n).expect("slot"), U256::from(2));
}

fn counter_src() -> String {
    counter()
}

#[test]
fn reverts_roll_back_and_carry_data() {
    let mut chain = chain();
    let (fwd, bad, px) = (addr(0xE1), addr(0x53), addr(0x52));
    evm(&mut chain, fwd, EVM_FORWARDER);
    deploy_wat(&mut chain, px, &proxy());
    deploy_wat(
        &mut chain,
        bad,
        &program(
            r#"(i32.store8 (i32.const 63) (i32.const 7))
    (call $scache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 0))
    (i32.store (i32.const 100) (i32.const 0xefbeadde))
    (call $write_result (i32.const 100) (i32.const 4))
    (i32.const 1)"#,
        ),
    );
    let (_, ok) = send_value(&mut chain, bad, vec![], U256::ZERO);
    assert!(!ok);
    let n = chain.block_number();
    assert_eq!(chain.storage(bad, U256::ZERO, n).expect("slot"), U256::ZERO);
    // Revert data crosses an EVM frame and a Stylus frame unchanged.
    let (ok, out) = call(&mut chain, fwd, word_of(bad));
    assert!(!ok);
    assert_eq!(out.as_ref(), &[0xde, 0xad, 0xbe, 0xef]);
    let (ok, out) = call(&mut chain, px, bad.to_vec());
    assert!(!ok);
    assert_eq!(out.as_ref(), &[0xde, 0xad, 0xbe, 0xef]);

    // A trap consumes all gas and reverts.
    let trap = addr(0x54);
    deploy_wat(&mut chain, trap, &program("unreachable"));
    let (hash, ok) = send_value(&mut chain, trap, vec![], U256::ZERO);
    assert!(!ok);
    let mined = chain.tx(&hash).expect("mined");
    assert_eq!(mined.gas_used, 5_000_000);

    // Code that was never activated cannot run.
    let wasm = wat::parse_str(counter()).expect("wat");
    let raw = tidepool_node::program::compress_program(&wasm).expect("compress");
    let inactive = addr(0x55);
    chain.set_code(inactive, raw.into()).expect("code");
    let (ok, out) = call(&mut chain, inactive, vec![]);
    assert!(!ok);
    assert_eq!(out.as_ref(), &keccak256("ProgramNotActivated()")[..4]);
}

#[test]
fn reentrancy_flag_spans_evm_frames() {
    let mut chain = chain();
    let (fwd, r) = (addr(0xE1), addr(0x56));
    evm(&mut chain, fwd, EVM_FORWARDER);
    // With no args: call the EVM forwarder to call us back with one byte; return its answer.
    // With args: return msg_reentrant() as a word.
    let src = r#"(local $st i32)
    (if (i32.eqz (local.get $len)) (then
        (i64.store (i32.const 1036) (i64.const 0))
        (i32.store (i32.const 1032) (i32.const 0))
        (memory.copy (i32.const 1056) (i32.const 1200) (i32.const 32))
        (call $address (i32.const 1076))
        (i32.store8 (i32.const 1096) (i32.const 1))
        (call $address (i32.const 1044))
        (local.set $st (call $call (i32.const 1500) (i32.const 1032) (i32.const 65)
            (i32.const 2048) (i64.const -1) (i32.const 3000)))
        (drop (call $rrd (i32.const 4096) (i32.const 0) (i32.load (i32.const 3000))))
        (call $write_result (i32.const 4096) (i32.load (i32.const 3000)))
        (return (local.get $st))))
    (i32.store8 (i32.const 31) (call $reentrant))
    (call $write_result (i32.const 0) (i32.const 32))
    (i32.const 0)"#
        .to_string();
    // Memory 1500..1520 holds the forwarder address; calldata at 1032: word(r) ++ 0x01.
    let src = src.replace(
        "(local $st i32)",
        "(local $st i32)\n    (i64.store (i32.const 1500) (i64.const 0))",
    );
    deploy_wat(
        &mut chain,
        r,
        &program(&src).replace(
            "(memory (export \"memory\") 1)",
            &format!(
                "(memory (export \"memory\") 1)\n  (data (i32.const 1500) \"{}\")",
                escape(fwd.as_slice())
            ),
        ),
    );
    let (ok, out) = call(&mut chain, r, vec![1]);
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out), U256::ZERO, "direct call is not reentrant");
    let (ok, out) = call(&mut chain, r, vec![]);
    assert!(ok, "{out:?}");
    assert_eq!(U256::from_be_slice(&out), U256::from(1), "call back through EVM is reentrant");
}

fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

#[test]
fn host_context_known_answers() {
    let mut chain = chain();
    let p = addr(0x57);
    deploy_wat(
        &mut chain,
        p,
        &program(
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
        ),
    );
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

#[test]
fn logs_transient_storage_and_create() {
    let mut chain = chain();
    let p = addr(0x58);
    // Emits a log with one topic (word 7) and 2 data bytes; round-trips transient storage;
    // creates a contract from init code that returns the one-byte runtime 0x00.
    let init = escape(&[0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3]);
    let with_init = |src: String| {
        src.replace(
            "(memory (export \"memory\") 1)",
            &format!("(memory (export \"memory\") 1)\n  (data (i32.const 300) \"{init}\")"),
        )
    };
    deploy_wat(
        &mut chain,
        p,
        &with_init(program(
            r#"
    (i32.store8 (i32.const 31) (i32.const 7))
    (i32.store16 (i32.const 32) (i32.const 0xbbaa))
    (call $log (i32.const 0) (i32.const 34) (i32.const 1))
    (i32.store8 (i32.const 95) (i32.const 9))
    (call $tstore (i32.const 0) (i32.const 64))
    (call $tload (i32.const 0) (i32.const 200))
    (call $create1 (i32.const 300) (i32.const 10) (i32.const 900) (i32.const 232) (i32.const 252))
    (call $write_result (i32.const 200) (i32.const 52))
    (i32.const 0)"#,
        )),
    );
    let (hash, ok) = send(&mut chain, p, vec![]);
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
    // The committed create (nonce 0 of the program) left one byte of code.
    let first = p.create(0);
    assert_eq!(chain.code(first, chain.block_number()).expect("code").as_ref(), &[0x00]);
}
