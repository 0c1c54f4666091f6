//! The local chain's beacon deposit contract (`contracts/beacon-deposit`, Solidity compiled
//! by the pinned solc) against `tidepool-beacon`'s Rust reference: the same deposit data roots
//! are accepted, the same tree root results after every deposit, and Ethereum's checks
//! (lengths, at least 1 ETH in whole gwei, a matching root) refuse the rest.

mod common;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use common::*;
use tidepool_beacon::{
    deposit_data_root, withdrawal_credentials, DepositTree, GWEI_PER_ETH, PUBKEY_LENGTH,
    SIGNATURE_LENGTH,
};
use tidepool_node::chain::Chain;

sol!(
    #[sol(all_derives)]
    BeaconDeposit,
    "../../contracts/beacon-deposit/out/BeaconDeposit.json"
);

const ETH: u64 = 1_000_000_000_000_000_000;

fn key(n: u8) -> ([u8; PUBKEY_LENGTH], [u8; SIGNATURE_LENGTH]) {
    ([n; PUBKEY_LENGTH], [n.wrapping_mul(3); SIGNATURE_LENGTH])
}

fn root(chain: &mut Chain, at: Address) -> B256 {
    view(chain, at, BeaconDeposit::get_deposit_rootCall {})
}

fn count(chain: &mut Chain, at: Address) -> Bytes {
    view(chain, at, BeaconDeposit::get_deposit_countCall {})
}

/// The calldata of a deposit of `n`'s key to `vault`, with `root` as its data root (the
/// correct one when `None`).
fn deposit_call(n: u8, vault: Address, wei: U256, root: Option<B256>) -> Vec<u8> {
    let (pubkey, signature) = key(n);
    let credentials = withdrawal_credentials(vault, false);
    let gwei = (wei / U256::from(GWEI_PER_ETH)).to::<u64>();
    let computed = deposit_data_root(&pubkey, &credentials, gwei, &signature);
    BeaconDeposit::depositCall {
        pubkey: pubkey.to_vec().into(),
        withdrawal_credentials: credentials.to_vec().into(),
        signature: signature.to_vec().into(),
        deposit_data_root: root.unwrap_or(computed),
    }
    .abi_encode()
}

#[test]
fn deposits_match_the_rust_reference_tree_and_events() {
    let mut chain = chain();
    let at = create(&mut chain, BeaconDeposit::BYTECODE.clone());
    let vault = addr(0xaa);
    let mut tree = DepositTree::default();
    assert_eq!(root(&mut chain, at), tree.root(), "the empty tree's root");
    assert_eq!(count(&mut chain, at).as_ref(), &[0u8; 8]);

    let mut held = U256::ZERO;
    for (n, eth_gwei) in [(1u8, 32 * GWEI_PER_ETH), (2, GWEI_PER_ETH), (3, 1_500_000_000)] {
        let wei = U256::from(eth_gwei) * U256::from(GWEI_PER_ETH);
        let (hash, ok) = send_value(&mut chain, at, deposit_call(n, vault, wei, None), wei);
        assert!(ok, "deposit {n}");
        let (pubkey, signature) = key(n);
        let credentials = withdrawal_credentials(vault, false);
        tree.push(deposit_data_root(&pubkey, &credentials, eth_gwei, &signature)).expect("room");
        assert_eq!(root(&mut chain, at), tree.root(), "root after deposit {n}");
        assert_eq!(count(&mut chain, at).as_ref(), &tree.count().to_le_bytes());

        let mined = chain.tx(&hash).expect("mined").clone();
        let event = BeaconDeposit::DepositEvent::decode_log_data(&mined.logs[0].data)
            .expect("a DepositEvent");
        assert_eq!(event.pubkey.as_ref(), &pubkey);
        assert_eq!(event.withdrawal_credentials.as_ref(), credentials.as_slice());
        assert_eq!(event.amount.as_ref(), &eth_gwei.to_le_bytes());
        assert_eq!(event.signature.as_ref(), &signature);
        assert_eq!(event.index.as_ref(), &(tree.count() - 1).to_le_bytes());
        held += wei;
        assert_eq!(balance(&chain, at), held, "the contract keeps the deposits");
    }
}

#[test]
fn bad_deposits_revert_with_their_reason() {
    let mut chain = chain();
    let at = create(&mut chain, BeaconDeposit::BYTECODE.clone());
    let vault = addr(0xaa);
    let one = U256::from(ETH);
    let before = root(&mut chain, at);
    let revert = |chain: &mut Chain, data: Vec<u8>, value: U256| {
        let r = value_req(chain, at, data, value);
        let (ok, out) = eth_call(chain, r);
        assert!(!ok);
        out
    };

    let wrong = B256::repeat_byte(7);
    let out = revert(&mut chain, deposit_call(1, vault, one, Some(wrong)), one);
    let err = BeaconDeposit::DepositDataRootMismatch::abi_decode(&out).expect("root mismatch");
    assert_eq!(err.given, wrong);

    let half = one / U256::from(2);
    let out = revert(&mut chain, deposit_call(1, vault, half, None), half);
    assert!(BeaconDeposit::DepositTooLow::abi_decode(&out).is_ok());

    let odd = one + U256::from(1);
    let out = revert(&mut chain, deposit_call(1, vault, one, None), odd);
    assert!(BeaconDeposit::DepositNotInGwei::abi_decode(&out).is_ok());

    let (pubkey, signature) = key(1);
    let short = BeaconDeposit::depositCall {
        pubkey: pubkey[..47].to_vec().into(),
        withdrawal_credentials: withdrawal_credentials(vault, false).to_vec().into(),
        signature: signature.to_vec().into(),
        deposit_data_root: B256::ZERO,
    }
    .abi_encode();
    let out = revert(&mut chain, short, one);
    let err = BeaconDeposit::InvalidPubkeyLength::abi_decode(&out).expect("length");
    assert_eq!(err.length, U256::from(47));

    assert_eq!(root(&mut chain, at), before, "nothing was deposited");
    let supports = |chain: &mut Chain, id: [u8; 4]| {
        view(chain, at, BeaconDeposit::supportsInterfaceCall { interfaceId: id.into() })
    };
    assert!(supports(&mut chain, [0x01, 0xff, 0xc9, 0xa7]), "ERC-165");
    assert!(supports(&mut chain, [0x85, 0x64, 0x09, 0x07]), "the deposit contract interface");
    assert!(!supports(&mut chain, [0xff; 4]));
}
