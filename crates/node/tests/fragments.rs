//! ArbOS 61's fragmented programs: a root naming fragments activates and runs like any
//! program; a fragment cannot be activated; the root's rules (declared length, fragment
//! count, fragment code) are enforced; `ArbOwnerPublic` at `0x6b` reports the limit.

mod common;
use alloy_primitives::{keccak256, Address, Bytes};
use alloy_sol_types::SolCall;
use common::*;
use tidepool_node::{
    arbwasm::{IArbWasm, ADDRESS as ARBWASM},
    chain::Chain,
    program::fragments::{self, Root},
};

/// Incompressible bytes (a keccak chain), so the program's code is too large for one account.
fn noise(len: usize) -> Vec<u8> {
    (0u64..).flat_map(|i| keccak256(i.to_be_bytes()).0).take(len).collect()
}

/// A program carrying `data` at address 0 that returns its first 32 bytes.
fn big_program(data: &[u8]) -> Vec<u8> {
    let escaped: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    let wat = format!(
        "(module {IMPORTS} (data (i32.const 0) \"{escaped}\")
           (func (export \"user_entrypoint\") (param i32) (result i32)
             (call $write_result (i32.const 0) (i32.const 32)) (i32.const 0)))"
    );
    wat::parse_str(wat).expect("wat")
}

/// Activates `program`; false when activation reverts (the node refuses to mine a
/// transaction its dry run saw revert, so the dry run decides).
fn activate(chain: &mut Chain, program: Address) -> bool {
    let data = IArbWasm::activateProgramCall { program }.abi_encode();
    let (ok, _) = call(chain, ARBWASM, data.clone());
    ok && send(chain, ARBWASM, data).1
}

/// Puts `wasm`'s fragments at 0xF001, 0xF002, … and returns their addresses.
fn place_fragments(chain: &mut Chain, wasm: &[u8]) -> Vec<Address> {
    let codes = fragments::split(wasm).expect("fits the fragment limit");
    codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let at = addr(0xF001 + i as u64);
            chain.set_code(at, code.into()).expect("code");
            at
        })
        .collect()
}

fn root_code(len: usize, fragments: &[Address]) -> Bytes {
    let root = Root {
        dictionary: 0,
        decompressed_len: len as u32,
        fragments: fragments.iter().map(|a| a.into_array()).collect(),
    };
    root.encode().into()
}

#[test]
fn a_root_activates_and_runs_from_its_fragments() {
    let data = noise(30_000);
    let wasm = big_program(&data);
    let mut chain = chain();
    let parts = place_fragments(&mut chain, &wasm);
    assert_eq!(parts.len(), 2, "the code needs two accounts");

    assert!(!activate(&mut chain, parts[0]), "a fragment cannot be activated");

    let root = addr(0xF100);
    chain.set_code(root, root_code(wasm.len(), &parts)).expect("code");
    assert!(activate(&mut chain, root));
    let (ok, out) = call(&mut chain, root, vec![]);
    assert!(ok);
    assert_eq!(out.as_ref(), &data[..32]);
}

#[test]
fn roots_that_break_the_rules_do_not_activate() {
    let wasm = big_program(&noise(30_000));
    let mut chain = chain();
    let parts = place_fragments(&mut chain, &wasm);
    let cases = [
        ("declared length too short", root_code(wasm.len() - 1, &parts)),
        ("declared length too long", root_code(wasm.len() + 1, &parts)),
        ("fragments out of order", root_code(wasm.len(), &[parts[1], parts[0]])),
        ("more fragments than allowed", root_code(wasm.len(), &[parts[0], parts[1], parts[1]])),
        ("no fragments", root_code(wasm.len(), &[])),
        ("a fragment that is not fragment code", root_code(wasm.len(), &[ARBWASM, parts[1]])),
    ];
    for (n, (case, code)) in cases.into_iter().enumerate() {
        let root = addr(0xF200 + n as u64);
        chain.set_code(root, code).expect("code");
        assert!(!activate(&mut chain, root), "{case}");
    }
}

#[test]
fn arb_owner_public_reports_the_fragment_limit() {
    use tidepool_node::evm::arbownerpublic::{self, IArbOwnerPublic};
    let mut chain = chain();
    let data = IArbOwnerPublic::getMaxStylusContractFragmentsCall {}.abi_encode();
    let (ok, out) = call(&mut chain, arbownerpublic::ADDRESS, data);
    assert!(ok);
    let max = IArbOwnerPublic::getMaxStylusContractFragmentsCall::abi_decode_returns(&out)
        .expect("uint8");
    assert_eq!(max, fragments::MAX_FRAGMENTS);
}
