//! The real contract wasm (built by `tidepool build`, which the test command runs before the
//! tests) deployed with CREATE, activated and called on the node: proof that what the SDK
//! produces runs here, beyond the hand-written WAT of the other tests.

mod common;

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{sol, SolCall, SolError};
use common::*;
use tidepool_node::{arbwasm::ADDRESS as ARBWASM, chain::Chain, program::compress_program};

sol! {
    interface IVault {
        function initialize(address pool, uint64 deployer_nonce) external;
        function pool() external view returns (address);
        function withdraw(uint256 amount) external;
    }
    #[derive(Debug, PartialEq, Eq)]
    error NotPool(address caller);
    #[derive(Debug, PartialEq, Eq)]
    error NotDeployer(address caller, uint64 nonce);
}

/// The built wasm of `contract`, or `None` (with a note) when `tidepool build` has not run.
fn built_wasm(contract: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm")
        .join(format!("{contract}.wasm"));
    match std::fs::read(&path) {
        Ok(wasm) => Some(wasm),
        // CI runs `tidepool build` first, so a missing file there is a failure, not a skip.
        Err(e) if std::env::var_os("CI").is_some() => panic!("{}: {e}", path.display()),
        Err(_) => {
            eprintln!("SKIPPED: {} missing; run `tidepool build` first", path.display());
            None
        }
    }
}

/// Init code that returns the bytes appended to it: the usual way to deploy Stylus code.
fn deployer_init_code(code: &[u8]) -> Vec<u8> {
    let len = u16::try_from(code.len()).expect("code fits 64 KiB");
    let [hi, lo] = len.to_be_bytes();
    // PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN
    let mut init = vec![0x61, hi, lo, 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend_from_slice(code);
    init
}

/// Deploys `wasm` from dev account 0 with CREATE and activates it; returns (address, nonce).
fn deploy(chain: &mut Chain, wasm: &[u8]) -> (Address, u64) {
    let from = dev(chain, 0);
    let code = compress_program(wasm).expect("compress");
    let nonce = chain.account(from, chain.block_number()).expect("account").nonce;
    let request = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Create),
        input: Bytes::from(deployer_init_code(&code)).into(),
        gas: Some(10_000_000),
        ..Default::default()
    };
    let hash = chain.send_request(request).expect("send create");
    let mined = chain.tx(&hash).expect("mined");
    assert!(mined.success, "CREATE of Stylus code failed");
    let address = mined.contract_address.expect("created address");
    assert_eq!(address, from.create(nonce));
    let activate = tidepool_node::arbwasm::IArbWasm::activateProgramCall { program: address };
    let (_, ok) = send_value(chain, ARBWASM, activate.abi_encode(), U256::ZERO);
    assert!(ok, "activation of the built wasm failed");
    (address, nonce)
}

#[test]
fn built_vault_deploys_initialises_and_guards_withdrawals() {
    let Some(wasm) = built_wasm("vault") else { return };
    let mut chain = chain();
    let (vault, nonce) = deploy(&mut chain, &wasm);
    let pool = addr(0x9001);

    // Only the deployer, proving its nonce, can initialise.
    let stranger = dev(&chain, 1);
    let init = IVault::initializeCall { pool, deployer_nonce: nonce }.abi_encode();
    let out = chain
        .call(
            TransactionRequest {
                from: Some(stranger),
                to: Some(TxKind::Call(vault)),
                input: Bytes::from(init.clone()).into(),
                ..Default::default()
            },
            alloy_eips::BlockNumberOrTag::Latest,
            None,
        )
        .expect("call");
    assert!(!out.success);
    assert_eq!(
        NotDeployer::abi_decode(&out.output).expect("NotDeployer"),
        NotDeployer { caller: stranger, nonce }
    );
    let (_, ok) = send(&mut chain, vault, init);
    assert!(ok, "deployer initialises");
    let (ok, out) = call(&mut chain, vault, IVault::poolCall {}.abi_encode());
    assert!(ok);
    assert_eq!(IVault::poolCall::abi_decode_returns(&out).expect("address"), pool);

    // Plain ETH is accepted; withdrawals by anyone but the pool are refused with NotPool.
    let (_, ok) = send_value(&mut chain, vault, vec![], U256::from(1_000));
    assert!(ok, "receive accepts ETH");
    let latest = chain.block_number();
    assert_eq!(chain.account(vault, latest).expect("account").balance, U256::from(1_000));
    let (ok, out) =
        call(&mut chain, vault, IVault::withdrawCall { amount: U256::from(1) }.abi_encode());
    assert!(!ok);
    assert_eq!(NotPool::abi_decode(&out).expect("NotPool").caller, dev(&chain, 0));
}
