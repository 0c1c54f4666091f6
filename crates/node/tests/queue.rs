//! The built wasm of the withdrawal queue's three programs, the pool's three and the wrapped
//! token, deployed, activated and wired on the node: a holder requests a withdrawal, an
//! oracle report finalizes it through the pool (which calls `prefinalize` and `finalize` at
//! the queue's address, one delegatecall each), and the claim pays the ETH; then a request
//! in the wrapped token, which the queue unwraps into the shares it records.

mod common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use common::*;
use tidepool_node::chain::Chain;
use tidepool_programs::Program;

sol! {
    interface IPool {
        function initialize(uint64 deployer_nonce, address admin, address oracle, address withdrawal_queue, address withdrawal_vault, address rewards_vault, address treasury, address staking_module, address accounting_contract, address admin_contract) external payable;
        function submit(address referral) external payable returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function sharesOf(address account) external view returns (uint256);
        function getPooledEthByShares(uint256 shares_amount) external view returns (uint256);
        function getBufferedEther() external view returns (uint256);
        function handleOracleReport(uint256 report_timestamp, uint256 time_elapsed, uint256 cl_validators, uint256 cl_balance, uint256 withdrawal_vault_balance, uint256 el_rewards_vault_balance, uint256[] withdrawal_finalization_batches, uint256 max_share_rate) external returns (uint256, uint256, uint256, uint256);
    }
    interface IWithdrawalQueue {
        function initialize(uint64 deployer_nonce, address admin, address pool, address wrapped, address ledger_contract, address admin_contract) external;
        function requestWithdrawals(uint256[] amounts, address owner) external returns (uint256[]);
        function requestWithdrawalsWrapped(uint256[] amounts, address owner) external returns (uint256[]);
        function claimWithdrawalsTo(uint256[] request_ids, uint256[] hints, address recipient) external;
        function unfinalizedStETH() external view returns (uint256);
        function getLockedEtherAmount() external view returns (uint256);
        function getLastFinalizedRequestId() external view returns (uint256);
        function ownerOf(uint256 token_id) external view returns (address);
        function findCheckpointHints(uint256[] request_ids, uint256 first_index, uint256 last_index) external view returns (uint256[]);
        function tokenURI(uint256 token_id) external view returns (string);
        function finalize(uint256 last_request_id, uint256 max_share_rate) external payable;
    }
    interface IWrapped {
        function initialize(uint64 deployer_nonce, address pool) external;
        function wrap(uint256 pooled_amount) external returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function totalSupply() external view returns (uint256);
    }
    #[derive(Debug, PartialEq, Eq)]
    error NotPool(address caller);
    #[derive(Debug, PartialEq, Eq)]
    error ERC721NonexistentToken(uint256 tokenId);
}

/// Sends a transaction and returns its gas, asserting success (replaying a failure as a call
/// first, so the assertion shows the revert data).
fn transact(chain: &mut Chain, from: Address, to: Address, data: Vec<u8>, value: U256) -> u64 {
    let mut request = req(from, to, data.clone());
    request.value = Some(value);
    request.gas = Some(10_000_000);
    let hash = chain.send_request(request.clone()).expect("send");
    let mined = chain.tx(&hash).expect("mined").clone();
    if !mined.success {
        let out = chain.call(request, alloy_eips::BlockNumberOrTag::Latest, None).expect("call");
        panic!("transaction to {to} reverted: {}", out.output);
    }
    mined.gas_used
}

#[test]
fn built_queue_takes_requests_the_pool_finalizes_and_pays_claims() {
    let wasm = [Program::Pool, Program::PoolAccounting, Program::PoolAdmin]
        .into_iter()
        .chain([
            Program::WithdrawalQueue,
            Program::WithdrawalQueueLedger,
            Program::WithdrawalQueueAdmin,
        ])
        .chain([Program::Wrapped])
        .map(built_wasm)
        .collect::<Option<Vec<_>>>();
    let Some(wasm) = wasm else { return };
    let mut chain = chain();
    let (admin, oracle, alice) = (dev(&chain, 0), dev(&chain, 1), dev(&chain, 2));
    let recipient = addr(0x5eed);

    let (accounting, _) = deploy(&mut chain, &wasm[1]);
    let (pool_admin, _) = deploy(&mut chain, &wasm[2]);
    let (pool, pool_nonce) = deploy(&mut chain, &wasm[0]);
    let (ledger, _) = deploy(&mut chain, &wasm[4]);
    let (queue_admin, _) = deploy(&mut chain, &wasm[5]);
    let (queue, queue_nonce) = deploy(&mut chain, &wasm[3]);
    let (wrapped, wrapped_nonce) = deploy(&mut chain, &wasm[6]);

    let eth = U256::from(10u64).pow(U256::from(18));
    let init = IPool::initializeCall {
        deployer_nonce: pool_nonce,
        admin,
        oracle,
        withdrawal_queue: queue,
        withdrawal_vault: addr(0x9003),
        rewards_vault: addr(0x9004),
        treasury: addr(0x9005),
        staking_module: addr(0x9006),
        accounting_contract: accounting,
        admin_contract: pool_admin,
    };
    transact(&mut chain, admin, pool, init.abi_encode(), eth);
    let init = IWithdrawalQueue::initializeCall {
        deployer_nonce: queue_nonce,
        admin,
        pool,
        wrapped,
        ledger_contract: ledger,
        admin_contract: queue_admin,
    };
    transact(&mut chain, admin, queue, init.abi_encode(), U256::ZERO);
    let init = IWrapped::initializeCall { deployer_nonce: wrapped_nonce, pool };
    transact(&mut chain, admin, wrapped, init.abi_encode(), U256::ZERO);

    // Alice stakes 10 ETH and asks for 1 and 2 back.
    let submit = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    transact(&mut chain, alice, pool, submit, U256::from(10u64) * eth);
    let approve = IPool::approveCall { spender: queue, amount: U256::MAX }.abi_encode();
    transact(&mut chain, alice, pool, approve, U256::ZERO);
    let amounts = vec![eth, U256::from(2u64) * eth];
    let request = IWithdrawalQueue::requestWithdrawalsCall { amounts, owner: Address::ZERO };
    let request_gas = transact(&mut chain, alice, queue, request.abi_encode(), U256::ZERO);
    let three = U256::from(3u64) * eth;
    assert_eq!(view(&mut chain, pool, IPool::sharesOfCall { account: queue }), three);
    assert_eq!(view(&mut chain, queue, IWithdrawalQueue::unfinalizedStETHCall {}), three);
    let ids = vec![U256::from(1u64), U256::from(2u64)];
    let owner = view(&mut chain, queue, IWithdrawalQueue::ownerOfCall { token_id: ids[1] });
    assert_eq!(owner, alice);
    let uri = view(&mut chain, queue, IWithdrawalQueue::tokenURICall { token_id: ids[0] });
    assert!(uri.starts_with("data:application/json;base64,"), "{uri}");

    // Only the pool finalizes.
    let direct = IWithdrawalQueue::finalizeCall { last_request_id: ids[1], max_share_rate: eth };
    let (ok, out) = call_from(&mut chain, alice, queue, direct.abi_encode());
    assert!(!ok);
    assert_eq!(NotPool::abi_decode(&out).expect("NotPool").caller, alice);

    // The report finalizes both at rate 1 (1e27) and burns their shares.
    let buffered = view(&mut chain, pool, IPool::getBufferedEtherCall {});
    let report = IPool::handleOracleReportCall {
        report_timestamp: U256::from(1_700_000_000u64),
        time_elapsed: U256::from(86_400u64),
        cl_validators: U256::ZERO,
        cl_balance: U256::ZERO,
        withdrawal_vault_balance: U256::ZERO,
        el_rewards_vault_balance: U256::ZERO,
        withdrawal_finalization_batches: vec![ids[1]],
        max_share_rate: U256::from(10u64).pow(U256::from(27)),
    };
    let report_gas = transact(&mut chain, oracle, pool, report.abi_encode(), U256::ZERO);
    assert_eq!(view(&mut chain, queue, IWithdrawalQueue::getLastFinalizedRequestIdCall {}), ids[1]);
    assert_eq!(view(&mut chain, queue, IWithdrawalQueue::getLockedEtherAmountCall {}), three);
    assert_eq!(view(&mut chain, pool, IPool::getBufferedEtherCall {}), buffered - three);
    assert_eq!(view(&mut chain, pool, IPool::sharesOfCall { account: queue }), U256::ZERO);
    assert_eq!(chain.account(queue, chain.block_number()).expect("account").balance, three);

    // Alice claims both to a fresh address in one transfer.
    let hints = view(
        &mut chain,
        queue,
        IWithdrawalQueue::findCheckpointHintsCall {
            request_ids: ids.clone(),
            first_index: U256::from(1u64),
            last_index: U256::from(1u64),
        },
    );
    assert_eq!(hints, vec![U256::from(1u64); 2]);
    let claim =
        IWithdrawalQueue::claimWithdrawalsToCall { request_ids: ids.clone(), hints, recipient };
    let claim_gas = transact(&mut chain, alice, queue, claim.abi_encode(), U256::ZERO);
    assert_eq!(chain.account(recipient, chain.block_number()).expect("account").balance, three);
    assert_eq!(view(&mut chain, queue, IWithdrawalQueue::getLockedEtherAmountCall {}), U256::ZERO);
    let (ok, out) =
        call(&mut chain, queue, IWithdrawalQueue::ownerOfCall { token_id: ids[0] }.abi_encode());
    assert!(!ok);
    assert_eq!(ERC721NonexistentToken::abi_decode(&out).expect("burnt").tokenId, ids[0]);
    // Alice wraps 2 ETH of pool tokens and asks for 1.5 of the wrapped tokens back through
    // the queue, which takes them, unwraps them and records exactly those shares.
    let approve = IPool::approveCall { spender: wrapped, amount: U256::MAX }.abi_encode();
    transact(&mut chain, alice, pool, approve, U256::ZERO);
    let wrap = IWrapped::wrapCall { pooled_amount: U256::from(2u64) * eth }.abi_encode();
    transact(&mut chain, alice, wrapped, wrap, U256::ZERO);
    let minted = view(&mut chain, wrapped, IWrapped::balanceOfCall { account: alice });
    let approve = IWrapped::approveCall { spender: queue, amount: U256::MAX }.abi_encode();
    transact(&mut chain, alice, wrapped, approve, U256::ZERO);
    let half = eth / U256::from(2u64);
    let supply = view(&mut chain, wrapped, IWrapped::totalSupplyCall {});
    let request = IWithdrawalQueue::requestWithdrawalsWrappedCall {
        amounts: vec![eth, half],
        owner: Address::ZERO,
    };
    let wrapped_gas = transact(&mut chain, alice, queue, request.abi_encode(), U256::ZERO);
    let total = eth + half;
    assert_eq!(view(&mut chain, pool, IPool::sharesOfCall { account: queue }), total);
    assert_eq!(
        view(&mut chain, wrapped, IWrapped::balanceOfCall { account: alice }),
        minted - total
    );
    assert_eq!(view(&mut chain, wrapped, IWrapped::totalSupplyCall {}), supply - total);
    let value = view(&mut chain, pool, IPool::getPooledEthBySharesCall { shares_amount: eth })
        + view(&mut chain, pool, IPool::getPooledEthBySharesCall { shares_amount: half });
    assert_eq!(view(&mut chain, queue, IWithdrawalQueue::unfinalizedStETHCall {}), value);
    let owner =
        view(&mut chain, queue, IWithdrawalQueue::ownerOfCall { token_id: U256::from(4u64) });
    assert_eq!(owner, alice);
    eprintln!(
        "gas (modelled Nitro pricing): requestWithdrawals of 2 {request_gas}, report finalizing 2 \
         {report_gas}, claimWithdrawalsTo of 2 {claim_gas}, requestWithdrawalsWrapped of 2 \
         {wrapped_gas}"
    );
}
