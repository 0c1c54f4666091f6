//! Stylus execution through the chain: activation, storage, calls both ways, reverts.

mod common;
use alloy_primitives::U256;
use common::*;

#[test]
fn counter_activates_and_counts() {
    let mut chain = chain();
    let c = addr(0x1000);
    deploy_wat(&mut chain, c, &counter());
    let (_, ok) = send(&mut chain, c, vec![]);
    assert!(ok);
    let latest = chain.block_number();
    assert_eq!(chain.storage(c, U256::ZERO, latest).expect("slot"), U256::from(1));
    let (ok, out) = call(&mut chain, c, vec![]);
    assert!(ok);
    assert_eq!(U256::from_be_slice(&out), U256::from(2));
    // eth_call left state alone.
    assert_eq!(chain.storage(c, U256::ZERO, latest).expect("slot"), U256::from(1));
}
