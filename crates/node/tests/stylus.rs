//! Stylus execution through the chain: activation, storage, calls both ways, reverts.

mod common;
use alloy_primitives::U256;
use common::*;
use tidepool_node::chain::Chain;

/// A WAT program's entry costs, as activation computes them.
fn costs_of(wat: &str) -> tidepool_node::program::ProgramCosts {
    let wasm = wat::parse_str(wat).expect("wat");
    tidepool_node::program::program_costs(&wasm).expect("valid program")
}

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

#[test]
fn cached_programs_pay_the_cached_entry_price() {
    use alloy_sol_types::SolCall;
    use tidepool_node::{arbwasmcache, arbwasmcache::IArbWasmCache, ink};

    let mut chain = chain();
    let c = addr(0x1000);
    deploy_wat(&mut chain, c, &counter());
    let gas_of_next_count = |chain: &mut Chain| {
        let (hash, ok) = send(chain, c, vec![]);
        assert!(ok);
        chain.tx(&hash).expect("mined").gas_used
    };
    // The first count writes a fresh slot; later ones all do the same work.
    gas_of_next_count(&mut chain);
    let uncached = gas_of_next_count(&mut chain);

    let code_hash = alloy_primitives::keccak256(chain.code(c, chain.block_number()).expect("code"));
    let is_cached = |chain: &mut Chain| {
        let data = IArbWasmCache::codehashIsCachedCall { codehash: code_hash }.abi_encode();
        let (ok, out) = call(chain, arbwasmcache::ADDRESS, data);
        assert!(ok);
        IArbWasmCache::codehashIsCachedCall::abi_decode_returns(&out).expect("bool")
    };
    assert!(!is_cached(&mut chain));
    let (hash, ok) = send(
        &mut chain,
        arbwasmcache::ADDRESS,
        IArbWasmCache::cacheProgramCall { addr: c }.abi_encode(),
    );
    assert!(ok);
    let logs = &chain.tx(&hash).expect("mined").logs;
    assert_eq!(logs.len(), 1, "UpdateProgramCache");
    assert!(is_cached(&mut chain));

    let cached = gas_of_next_count(&mut chain);
    // The gap is exactly Nitro's `initGas`: the minimum plus the program's own init cost.
    let costs = costs_of(&counter());
    assert_eq!(uncached - cached, ink::init_entry_gas(costs.init_cost));

    let evict = IArbWasmCache::evictCodehashCall { codehash: code_hash }.abi_encode();
    let (_, ok) = send(&mut chain, arbwasmcache::ADDRESS, evict);
    assert!(ok);
    assert!(!is_cached(&mut chain));
    assert_eq!(gas_of_next_count(&mut chain), uncached);
}

#[test]
fn only_activated_programs_can_be_cached() {
    use alloy_sol_types::{SolCall, SolError};
    use tidepool_node::{arbwasm::IArbWasm, arbwasmcache, arbwasmcache::IArbWasmCache};

    let mut chain = chain();
    let data = IArbWasmCache::cacheProgramCall { addr: addr(0x2000) }.abi_encode();
    let (ok, out) = call(&mut chain, arbwasmcache::ADDRESS, data);
    assert!(!ok);
    assert_eq!(out.as_ref(), IArbWasm::ProgramNotActivated {}.abi_encode().as_slice());
}

#[test]
fn each_frame_reports_where_its_gas_went() {
    let mut chain = chain();
    let c = addr(0x1000);
    deploy_wat(&mut chain, c, &counter());
    send(&mut chain, c, vec![]);
    // The second count rewrites a non-zero slot: no refund, so the frame's gas is the
    // transaction's less the 21,000 intrinsic gas (no calldata).
    let (hash, ok) = send(&mut chain, c, vec![]);
    assert!(ok);
    let tx = chain.tx(&hash).expect("mined");
    let [frame] = tx.stylus_profile.as_slice() else {
        panic!("one frame expected: {:?}", tx.stylus_profile)
    };
    assert_eq!(frame.program, c);
    let costs = costs_of(&counter());
    let entry = tidepool_node::ink::entry_gas(costs.init_cost, costs.cached_init_cost, false);
    assert!(frame.gas.entry_gas >= entry);
    // A cold SLOAD (2,100 + Nitro's 5 for asking the EVM side) and a non-zero to non-zero
    // SSTORE (2,900) at EVM prices.
    assert_eq!(frame.gas.evm_gas, 5_005);
    assert!(frame.gas.hostio_gas > 0 && frame.gas.wasm_gas > 0);
    assert_eq!(frame.gas.calls_gas, 0);
    let parts = frame.gas.entry_gas
        + frame.gas.memory_gas
        + frame.gas.wasm_gas
        + frame.gas.hostio_gas
        + frame.gas.evm_gas
        + frame.gas.calls_gas;
    assert!(parts.abs_diff(tx.gas_used - 21_000) <= 2, "{parts} vs {}", tx.gas_used - 21_000);
}

#[test]
fn a_cache_bid_caches_an_activated_program() {
    use alloy_sol_types::{SolCall, SolError};
    use tidepool_node::{
        arbwasmcache::IArbWasmCache,
        evm::{arbwasmcache, cachemanager, cachemanager::ICacheManager},
    };

    let mut chain = chain();
    let (ok, out) = call(
        &mut chain,
        arbwasmcache::ADDRESS,
        IArbWasmCache::allCacheManagersCall {}.abi_encode(),
    );
    assert!(ok);
    let managers =
        IArbWasmCache::allCacheManagersCall::abi_decode_returns(&out).expect("addresses");
    assert_eq!(managers, [cachemanager::ADDRESS]);
    let manager = managers[0];
    let queue = |chain: &mut Chain| {
        let (ok, out) = call(chain, manager, ICacheManager::queueSizeCall {}.abi_encode());
        assert!(ok);
        ICacheManager::queueSizeCall::abi_decode_returns(&out).expect("u64")
    };
    let bid = |chain: &mut Chain, program| {
        let data = ICacheManager::placeBidCall { program }.abi_encode();
        call(chain, manager, data)
    };

    let c = addr(0x1000);
    // Not activated yet: refused as cargo-stylus expects.
    chain
        .set_code(
            c,
            tidepool_node::program::compress_program(&wat::parse_str(counter()).expect("wat"))
                .expect("code")
                .into(),
        )
        .expect("code");
    let (ok, out) = bid(&mut chain, c);
    assert!(!ok);
    assert_eq!(out.as_ref(), ICacheManager::ProgramNotActivated {}.abi_encode().as_slice());

    deploy_wat(&mut chain, c, &counter());
    let (ok, out) =
        call(&mut chain, manager, ICacheManager::getMinBid_1Call { size: 24_576 }.abi_encode());
    assert!(ok);
    assert_eq!(
        ICacheManager::getMinBid_1Call::abi_decode_returns(&out).expect("min"),
        alloy_primitives::aliases::U192::ZERO
    );
    assert_eq!(queue(&mut chain), 0);
    let (_, ok) =
        send(&mut chain, manager, ICacheManager::placeBidCall { program: c }.abi_encode());
    assert!(ok);
    let code_hash = alloy_primitives::keccak256(chain.code(c, chain.block_number()).expect("code"));
    let data = IArbWasmCache::codehashIsCachedCall { codehash: code_hash }.abi_encode();
    let (_, out) = call(&mut chain, arbwasmcache::ADDRESS, data);
    assert!(IArbWasmCache::codehashIsCachedCall::abi_decode_returns(&out).expect("bool"));
    // The program's compiled size (whole kilobytes) now takes cache space.
    let taken = queue(&mut chain);
    assert!(taken >= 512_000 && taken % 1024 == 0, "{taken}");
    let (ok, out) = bid(&mut chain, c);
    assert!(!ok);
    assert_eq!(
        out.as_ref(),
        ICacheManager::AlreadyCached { codehash: code_hash }.abi_encode().as_slice()
    );
}
