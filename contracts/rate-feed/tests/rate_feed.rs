//! Native tests of the rate feed on `TestHost`, with the pool's rate history answered by
//! exact mocks.
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use alloy_primitives::{aliases::U80, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use tidepool_common::initializable;
use tidepool_rate_feed::{
    FeedError, InvalidPool, PoolAnswerMalformed, RateFeed, RoundNotFound, DESCRIPTION,
};
use tidepool_testing::*;

sol! {
    interface IPoolRates {
        function getRateReportCount() external view returns (uint256);
        function getRateReport(uint256 index) external view returns (uint256 timestamp, uint256 pooledEthPerShare, uint256 appliedAt);
    }
    interface IAggregatorV3 {
        function decimals() external view returns (uint8);
        function description() external view returns (string);
        function version() external view returns (uint256);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
    error RateReportNotFound(uint256 index);
}

fn feed() -> (TestHost, RateFeed) {
    let vm = beside_mocked_pool(0);
    let mut feed = RateFeed::from(&vm);
    feed.initialize(0, POOL).unwrap();
    (vm, feed)
}

/// The pool has applied `reports` reports, `(reference time, rate, applied at)` each.
fn history(vm: &TestHost, reports: &[(u64, U256, u64)]) {
    let count = U256::from(reports.len());
    vm.mock_static_call(
        POOL,
        IPoolRates::getRateReportCountCall {}.abi_encode(),
        Ok(count.abi_encode()),
    );
    for (i, (time, rate, applied)) in reports.iter().enumerate() {
        vm.mock_static_call(
            POOL,
            IPoolRates::getRateReportCall { index: U256::from(i) }.abi_encode(),
            Ok((U256::from(*time), *rate, U256::from(*applied)).abi_encode_params()),
        );
    }
    let past = IPoolRates::getRateReportCall { index: count }.abi_encode();
    vm.mock_static_call(POOL, past, Err(RateReportNotFound { index: count }.abi_encode()));
}

/// Round `id` as `getRoundData` answers it: the report's rate, started at its reference time
/// and updated when it was applied, answered in the same round.
fn round(id: U80, rate: U256, observed: u64, applied: u64) -> (U80, I256, U256, U256, U80) {
    (id, I256::from_raw(rate), U256::from(observed), U256::from(applied), id)
}

fn not_found(round: u64) -> Vec<u8> {
    FeedError::from(RoundNotFound { roundId: U80::from(round) }).into()
}

#[test]
fn initialise_once_with_a_real_pool() {
    let vm = deployed(0);
    let mut feed = RateFeed::from(&vm);
    assert_eq!(feed.initialize(0, POOL), Err(FeedError::InvalidPool(InvalidPool { pool: POOL })));
    vm.set_code(POOL, program_code());
    feed.initialize(0, POOL).unwrap();
    assert_eq!(feed.pool(), POOL);
    assert_eq!(
        feed.initialize(0, POOL),
        Err(FeedError::AlreadyInitialized(initializable::AlreadyInitialized {}))
    );
}

#[test]
fn rounds_are_reports_and_answers_are_the_recorded_rates() {
    let (vm, feed) = feed();
    history(&vm, &[]);
    assert_eq!(feed.latest_round_data(), Err(not_found(0)));
    let (r1, r2) =
        (U256::from(1_000_100_000_000_000_000u64), U256::from(1_000_200_000_000_000_000u64));
    history(&vm, &[(1_700_000_000, r1, 1_700_030_000), (1_700_086_400, r2, 1_700_100_000)]);
    let two = U80::from(2);
    assert_eq!(feed.latest_round_data(), Ok(round(two, r2, 1_700_086_400, 1_700_100_000)));
    let one = U80::from(1);
    assert_eq!(feed.get_round_data(one), Ok(round(one, r1, 1_700_000_000, 1_700_030_000)));
    assert_eq!(feed.get_round_data(U80::ZERO), Err(not_found(0)));
    assert_eq!(feed.get_round_data(U80::from(3)), Err(not_found(3)));
}

#[test]
fn a_malformed_pool_answer_is_an_error() {
    let (vm, feed) = feed();
    vm.mock_static_call(POOL, IPoolRates::getRateReportCountCall {}.abi_encode(), Ok(vec![0; 31]));
    assert_eq!(feed.latest_round_data(), Err(PoolAnswerMalformed {}.abi_encode()));
}

#[test]
fn the_router_serves_the_aggregator_v3_interface() {
    let (vm, _) = feed();
    let rate = U256::from(1_050_000_000_000_000_000u64);
    history(&vm, &[(1_700_000_000, rate, 1_700_040_000)]);
    let route = |data: Vec<u8>| vm.route::<RateFeed>(&data);
    let out = route(IAggregatorV3::decimalsCall {}.abi_encode()).unwrap();
    assert_eq!(IAggregatorV3::decimalsCall::abi_decode_returns(&out).unwrap(), 18);
    let out = route(IAggregatorV3::descriptionCall {}.abi_encode()).unwrap();
    assert_eq!(IAggregatorV3::descriptionCall::abi_decode_returns(&out).unwrap(), DESCRIPTION);
    let out = route(IAggregatorV3::versionCall {}.abi_encode()).unwrap();
    assert_eq!(IAggregatorV3::versionCall::abi_decode_returns(&out).unwrap(), U256::from(1));
    let out = route(IAggregatorV3::latestRoundDataCall {}.abi_encode()).unwrap();
    let latest = IAggregatorV3::latestRoundDataCall::abi_decode_returns(&out).unwrap();
    assert_eq!(
        (latest.roundId, latest.answer, latest.answeredInRound),
        (U80::from(1), I256::from_raw(rate), U80::from(1))
    );
    // Chainlink's meaning: `updatedAt` is when the answer changed on chain, which a lender's
    // staleness check compares with `block.timestamp`; the observation time is `startedAt`.
    assert_eq!(
        (latest.startedAt, latest.updatedAt),
        (U256::from(1_700_000_000u64), U256::from(1_700_040_000u64))
    );
    let out = route(IAggregatorV3::getRoundDataCall { roundId: U80::from(2) }.abi_encode());
    assert_eq!(out, Err(not_found(2)));
}
