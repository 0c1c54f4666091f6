//! The real contract wasm (built by `tidepool build`, which the test command runs before the
//! tests) deployed with CREATE, activated and called on the node: proof that what the SDK
//! produces runs here, beyond the hand-written WAT of the other tests.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolError};
use common::*;
use tidepool_interfaces::IOracle::ReportData;
use tidepool_interfaces::{roles, IOracle, IPool, IRateFeed, IVault, IWrapped};
use tidepool_node::chain::Chain;
use tidepool_programs::Program;

#[test]
fn built_vault_deploys_initialises_and_guards_withdrawals() {
    let Some(wasm) = built_wasm(Program::Vault) else { return };
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
        IVault::NotDeployer::abi_decode(&out.output).expect("NotDeployer"),
        IVault::NotDeployer { caller: stranger, nonce }
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
    assert_eq!(IVault::NotPool::abi_decode(&out).expect("NotPool").caller, dev(&chain, 0));
}

/// Sends a transaction from `from` and returns its receipt; a failed one is first replayed
/// as a call so the assertion shows its revert data.
fn transact(
    chain: &mut Chain,
    from: Address,
    to: Address,
    data: Vec<u8>,
    value: U256,
) -> tidepool_node::chain::MinedTx {
    let request = TransactionRequest {
        from: Some(from),
        to: Some(TxKind::Call(to)),
        input: Bytes::from(data).into(),
        value: Some(value),
        gas: Some(5_000_000),
        ..Default::default()
    };
    let hash = chain.send_request(request).expect("send");
    chain.tx(&hash).expect("mined").clone()
}

/// The accounts a pool is initialised with in these tests. Neither deployment here has a
/// withdrawal queue, a separate withdrawal vault or a staking module, so fixed plain accounts
/// stand for them.
struct PoolWiring {
    admin: Address,
    oracle: Address,
    rewards_vault: Address,
    treasury: Address,
    accounting: Address,
    admin_contract: Address,
}

impl PoolWiring {
    fn initialize(&self, deployer_nonce: u64) -> IPool::initializeCall {
        IPool::initializeCall {
            deployer_nonce,
            admin: self.admin,
            oracle: self.oracle,
            withdrawal_queue: addr(0x9002),
            withdrawal_vault: addr(0x9003),
            rewards_vault: self.rewards_vault,
            treasury: self.treasury,
            staking_module: addr(0x9004),
            accounting_contract: self.accounting,
            admin_contract: self.admin_contract,
        }
    }
}

/// A pool deployed from the built wasm of its three contracts, with a rewards vault, as a
/// deployment script would wire it; `None` (skipped) when `tidepool build` has not run.
struct PoolDeployment {
    chain: Chain,
    pool: Address,
    accounting: Address,
    rewards_vault: Address,
    admin: Address,
    oracle: Address,
    alice: Address,
    treasury: Address,
    eth: U256,
}

fn deploy_pool() -> Option<PoolDeployment> {
    let pool_wasm = built_wasm(Program::Pool)?;
    let accounting_wasm = built_wasm(Program::PoolAccounting)?;
    let admin_wasm = built_wasm(Program::PoolAdmin)?;
    let vault_wasm = built_wasm(Program::Vault)?;
    let mut chain = chain();
    let (admin, oracle, alice, treasury) =
        (dev(&chain, 0), dev(&chain, 1), dev(&chain, 2), addr(0x7ea5));
    let (accounting, _) = deploy(&mut chain, &accounting_wasm);
    let (admin_contract, _) = deploy(&mut chain, &admin_wasm);
    let (pool, pool_nonce) = deploy(&mut chain, &pool_wasm);
    let (rewards_vault, vault_nonce) = deploy(&mut chain, &vault_wasm);
    let init = IVault::initializeCall { pool, deployer_nonce: vault_nonce }.abi_encode();
    assert!(transact(&mut chain, admin, rewards_vault, init, U256::ZERO).success);
    let eth = U256::from(10u64).pow(U256::from(18));
    let wiring = PoolWiring { admin, oracle, rewards_vault, treasury, accounting, admin_contract };
    let init = wiring.initialize(pool_nonce);
    assert!(transact(&mut chain, admin, pool, init.abi_encode(), eth).success, "initialize");
    let contracts = view(&mut chain, pool, IPool::getPoolContractsCall {});
    assert_eq!((contracts._0, contracts._1), (accounting, admin_contract));
    Some(PoolDeployment {
        chain,
        pool,
        accounting,
        rewards_vault,
        admin,
        oracle,
        alice,
        treasury,
        eth,
    })
}

/// An oracle report with no consensus-layer change that pulls `el_rewards` from the rewards
/// vault.
fn rewards_report(timestamp: u64, el_rewards: U256) -> Vec<u8> {
    IPool::handleOracleReportCall {
        report_timestamp: U256::from(timestamp),
        time_elapsed: U256::from(86_400u64),
        cl_validators: U256::ZERO,
        cl_balance: U256::ZERO,
        withdrawal_vault_balance: U256::ZERO,
        el_rewards_vault_balance: el_rewards,
        withdrawal_finalization_batches: vec![],
        max_share_rate: U256::ZERO,
    }
    .abi_encode()
}

/// The three pool contracts and a rewards vault, built, deployed, activated and wired as a
/// deployment would; a report pulls the vault through the pool's fallback → accounting
/// delegatecall, the vault paying back into the pool's `receiveVaultFunds` (a reentrant call
/// under Nitro's rules); a fee change goes pool → accounting → admin.
#[test]
fn built_pool_runs_its_accounting_and_admin_by_delegatecall() {
    let Some(mut d) = deploy_pool() else { return };
    let (admin, alice) = (d.admin, d.alice);
    let (pool, rewards_vault, accounting_contract) = (d.pool, d.rewards_vault, d.accounting);
    let (oracle, treasury, eth) = (d.oracle, d.treasury, d.eth);
    let chain = &mut d.chain;

    let stake = U256::from(10u64) * eth;
    let call = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    assert!(transact(chain, alice, pool, call, stake).success, "submit");
    assert_eq!(view(chain, pool, IPool::balanceOfCall { account: alice }), stake);

    // Two hops: pool → accounting → admin, on the pool's storage.
    let set_fee = IPool::setFeeCall { treasury_fee_bp: 1_000, module_fee_bp: 0 }.abi_encode();
    let (ok, out) = call_from(chain, alice, pool, set_fee.clone());
    assert!(!ok);
    let denied = IPool::AccessControlUnauthorizedAccount::abi_decode(&out).expect("role error");
    assert_eq!(denied.account, alice);
    let fee_manager = roles::pool::FEE_MANAGER_ROLE;
    assert_eq!(denied.neededRole, fee_manager);
    let grant = IPool::grantRoleCall { role: fee_manager, account: admin }.abi_encode();
    assert!(transact(chain, admin, pool, grant, U256::ZERO).success, "grantRole");
    assert!(transact(chain, admin, pool, set_fee, U256::ZERO).success, "setFee");
    assert_eq!(view(chain, pool, IPool::getFeeCall {}), 1_000);

    // One hop: the report pulls the capped rewards from the vault into the pool.
    let rewards = eth;
    assert!(transact(chain, admin, rewards_vault, vec![], rewards).success);
    let pooled_before = view(chain, pool, IPool::getTotalPooledEtherCall {});
    let pool_balance_before = balance(chain, pool);
    let report = rewards_report(1_700_000_000, rewards);
    let (ok, out) = call_from(chain, alice, pool, report.clone());
    assert!(!ok);
    assert_eq!(IPool::NotOracle::abi_decode(&out).expect("NotOracle").caller, alice);
    let mined = transact(chain, oracle, pool, report, U256::ZERO);
    assert!(mined.success, "handleOracleReport");
    // Lido's cap: at most 0.075% of the pooled ether per report.
    let cap = pooled_before * U256::from(750_000u64) / U256::from(1_000_000_000u64);
    let pulled = balance(chain, pool) - pool_balance_before;
    assert!(pulled > U256::ZERO && pulled <= cap, "pulled {pulled}, cap {cap}");
    assert_eq!(balance(chain, rewards_vault), rewards - pulled);
    assert_eq!(view(chain, pool, IPool::getTotalPooledEtherCall {}), pooled_before + pulled);
    assert_eq!(view(chain, pool, IPool::getBufferedEtherCall {}), pooled_before + pulled);
    assert!(view(chain, pool, IPool::balanceOfCall { account: alice }) > stake);
    assert!(view(chain, pool, IPool::sharesOfCall { account: treasury }) > U256::ZERO);

    // At its own address the accounting code has no oracle to accept a report from.
    let direct = IPool::handleOracleReportCall {
        report_timestamp: U256::ZERO,
        time_elapsed: U256::ZERO,
        cl_validators: U256::ZERO,
        cl_balance: U256::ZERO,
        withdrawal_vault_balance: U256::ZERO,
        el_rewards_vault_balance: U256::ZERO,
        withdrawal_finalization_batches: vec![],
        max_share_rate: U256::ZERO,
    };
    let (ok, out) = call_from(chain, oracle, accounting_contract, direct.abi_encode());
    assert!(!ok);
    assert_eq!(IPool::NotOracle::abi_decode(&out).expect("NotOracle").caller, oracle);
}

/// The wrapper and the rate feed, built and deployed next to a real pool: wrapping takes
/// pool tokens and mints shares, plain ETH is staked and wrapped in one step, a report
/// raises the wrapped token's value and opens one feed round at exactly the recorded rate,
/// and unwrapping hands back exactly the shares wrapped.
#[test]
fn built_wrapper_and_rate_feed_follow_the_pool() {
    let (Some(wrapped_wasm), Some(feed_wasm)) =
        (built_wasm(Program::Wrapped), built_wasm(Program::RateFeed))
    else {
        return;
    };
    let Some(mut d) = deploy_pool() else { return };
    let (pool, alice, eth) = (d.pool, d.alice, d.eth);
    let (admin, oracle, rewards_vault) = (d.admin, d.oracle, d.rewards_vault);
    let chain = &mut d.chain;
    let (wrapped, nonce) = deploy(chain, &wrapped_wasm);
    let init = IWrapped::initializeCall { deployer_nonce: nonce, pool }.abi_encode();
    assert!(transact(chain, admin, wrapped, init, U256::ZERO).success);
    let (feed, nonce) = deploy(chain, &feed_wasm);
    let init = IRateFeed::initializeCall { deployer_nonce: nonce, pool }.abi_encode();
    assert!(transact(chain, admin, feed, init, U256::ZERO).success);
    let (ok, out) = call(chain, feed, IRateFeed::latestRoundDataCall {}.abi_encode());
    assert!(!ok, "no round before the first report");
    assert_eq!(IRateFeed::RoundNotFound::abi_decode(&out).expect("RoundNotFound").roundId, 0);

    let submit = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    assert!(transact(chain, alice, pool, submit, U256::from(10u64) * eth).success);
    let approve = IPool::approveCall { spender: wrapped, amount: U256::MAX }.abi_encode();
    assert!(transact(chain, alice, pool, approve, U256::ZERO).success);
    let wrap = IWrapped::wrapCall { pooled_amount: U256::from(4u64) * eth }.abi_encode();
    assert!(transact(chain, alice, wrapped, wrap, U256::ZERO).success, "wrap");
    // Plain ETH: staked by the pool for the wrapper, wrapped for the sender.
    assert!(transact(chain, alice, wrapped, vec![], eth).success, "stake and wrap");
    let held = view(chain, wrapped, IWrapped::balanceOfCall { account: alice });
    // 1:1 until the first report: 5 ether became 5e18 shares, all held by the wrapper.
    assert_eq!(held, U256::from(5u64) * eth);
    assert_eq!(view(chain, pool, IPool::sharesOfCall { account: wrapped }), held);

    assert!(transact(chain, admin, rewards_vault, vec![], eth).success);
    let mined = transact(chain, oracle, pool, rewards_report(1_700_000_000, eth), U256::ZERO);
    assert!(mined.success, "report");
    let per_token = view(chain, wrapped, IWrapped::stEthPerTokenCall {});
    assert!(per_token > eth, "the report raised the wrapped token's value");
    // `abi/IRateFeed.sol` leaves the outputs unnamed: (roundId, answer, startedAt, updatedAt,
    // answeredInRound), Chainlink's order.
    let round = view(chain, feed, IRateFeed::latestRoundDataCall {});
    let (round_id, answer, started_at, updated_at, answered_in_round) =
        (round._0, round._1, round._2, round._3, round._4);
    let first = alloy_primitives::aliases::U80::from(1u8);
    assert_eq!((round_id, answered_in_round), (first, first));
    assert_eq!(answer.into_raw(), per_token, "the feed answers the recorded rate");
    // Started when the report observed the chain, updated when its block applied it.
    let applied = chain.block(chain.block_number()).expect("block").header.timestamp;
    assert_eq!(started_at, U256::from(1_700_000_000u64));
    assert_eq!(updated_at, U256::from(applied));
    // Staking moves the live rate by rounding dust at most; the feed keeps its round.
    let submit = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    assert!(transact(chain, admin, pool, submit, U256::from(3u64) * eth + U256::from(1u8)).success);
    assert_eq!(view(chain, feed, IRateFeed::latestRoundDataCall {})._1.into_raw(), per_token);

    // Unwrapping hands back exactly the shares wrapped, worth more now.
    let shares_before = view(chain, pool, IPool::sharesOfCall { account: alice });
    let value = view(chain, wrapped, IWrapped::previewRedeemCall { shares: held });
    let unwrap = IWrapped::unwrapCall { wrapped_amount: held }.abi_encode();
    assert!(transact(chain, alice, wrapped, unwrap, U256::ZERO).success, "unwrap");
    assert_eq!(view(chain, pool, IPool::sharesOfCall { account: alice }), shares_before + held);
    assert!(value > U256::from(5u64) * eth);
    assert_eq!(view(chain, wrapped, IWrapped::totalSupplyCall {}), U256::ZERO);
    assert_eq!(view(chain, pool, IPool::sharesOfCall { account: wrapped }), U256::ZERO);
}

/// The oracle (both programs) and the pool (its three programs and a real rewards vault), built,
/// deployed and wired as a deployment would; nine members with a quorum of five sign a
/// report off chain; a relayer submits it: signatures, limits, vault pull, fee, rebase in one
/// transaction, whose gas is printed (target: under 250,000 with a quorum of 5).
///
/// No validators and no finalisation here: this run is about the built programs and the
/// report's gas. The full oracle → pool → queue run (rewards with fees, a paused queue, a
/// slashing report in bunker mode, finalisation and claims) is native, in
/// `contracts/oracle/tests/full_report.rs`, and the built queue's finalisation by the built
/// pool's report is in `tests/queue.rs`.
#[test]
fn built_oracle_applies_a_quorum_signed_report_to_the_pool() {
    use alloy_signer::SignerSync;
    use alloy_sol_types::SolStruct;
    let programs = [
        Program::Pool,
        Program::PoolAccounting,
        Program::PoolAdmin,
        Program::Vault,
        Program::Oracle,
        Program::OracleAdmin,
    ];
    let Some(wasms) = programs.into_iter().map(built_wasm).collect::<Option<Vec<_>>>() else {
        return;
    };
    let mut chain = chain();
    let chain = &mut chain;
    let (admin, alice, relayer, treasury) =
        (dev(chain, 0), dev(chain, 1), dev(chain, 2), addr(0x7ea5));
    let (accounting, _) = deploy(chain, &wasms[1]);
    let (pool_admin, _) = deploy(chain, &wasms[2]);
    let (pool, pool_nonce) = deploy(chain, &wasms[0]);
    // One vault program (a second copy would not activate again: same code hash); the
    // withdrawal vault stays empty in this report, so a plain account stands for it
    // (`PoolWiring::initialize`).
    let (rewards_vault, rv_nonce) = deploy(chain, &wasms[3]);
    let (oracle_admin, _) = deploy(chain, &wasms[5]);
    let (oracle, oracle_nonce) = deploy(chain, &wasms[4]);
    let init = IVault::initializeCall { pool, deployer_nonce: rv_nonce }.abi_encode();
    assert!(transact(chain, admin, rewards_vault, init, U256::ZERO).success);
    let eth = U256::from(10u64).pow(U256::from(18));
    let wiring = PoolWiring {
        admin,
        oracle,
        rewards_vault,
        treasury,
        accounting,
        admin_contract: pool_admin,
    };
    let init = wiring.initialize(pool_nonce);
    assert!(transact(chain, admin, pool, init.abi_encode(), eth).success, "pool initialize");

    // Frames of one day; the chain is 10 s into frame 1 (frame 0 was never reported).
    let now = chain.block(chain.block_number()).expect("block").header.timestamp;
    let genesis = now - (1 + 225) * 384 - 10;
    let init = IOracle::initializeCall {
        deployer_nonce: oracle_nonce,
        admin,
        pool,
        admin_contract: oracle_admin,
        consensus_version: 1,
        genesis_time: genesis,
        seconds_per_slot: 12,
        slots_per_epoch: 32,
        initial_epoch: 1,
        epochs_per_frame: 225,
    };
    let mined = transact(chain, admin, oracle, init.abi_encode(), U256::ZERO);
    assert!(mined.success, "oracle initialize");
    eprintln!("oracle initialize: gasUsed {}", mined.gas_used);
    let role = roles::oracle::MANAGE_MEMBERS_AND_QUORUM_ROLE;
    let grant = IOracle::grantRoleCall { role, account: admin }.abi_encode();
    assert!(transact(chain, admin, oracle, grant, U256::ZERO).success, "grant on the oracle");
    let keys: Vec<alloy_signer_local::PrivateKeySigner> = (1..=9u8)
        .map(|n| {
            alloy_signer_local::PrivateKeySigner::from_bytes(
                &alloy_primitives::B256::with_last_byte(n),
            )
            .expect("key")
        })
        .collect();
    for (members, key) in (1u64..).zip(keys.iter()) {
        // The smallest valid quorum for the new size: 5 of 9 at the end.
        let quorum = members / 2 + 1;
        let add = IOracle::addMemberCall { member: key.address(), quorum }.abi_encode();
        assert!(transact(chain, admin, oracle, add, U256::ZERO).success, "addMember {members}");
    }

    // 320 ether staked; 1 ether of rewards in the vault. (No validators: depositing asks the
    // withdrawal queue for its reserve, and this deployment has none.)
    let submit = IPool::submitCall { referral: Address::ZERO }.abi_encode();
    assert!(transact(chain, alice, pool, submit, U256::from(320u64) * eth).success);
    assert!(transact(chain, admin, rewards_vault, vec![], eth).success);

    let frame = view(chain, oracle, IOracle::getCurrentFrameCall {});
    assert_eq!(frame._0, 226 * 32 - 1);
    let data = ReportData {
        consensusVersion: U256::from(1u8),
        refSlot: U256::from(frame._0),
        numValidators: U256::ZERO,
        clBalanceGwei: U256::ZERO,
        withdrawalVaultBalance: U256::ZERO,
        elRewardsVaultBalance: eth,
        withdrawalFinalizationBatches: vec![],
        simulatedShareRate: U256::ZERO,
        isBunkerMode: false,
    };
    let domain = alloy_sol_types::eip712_domain! {
        name: "Tidepool Accounting Oracle",
        version: "1",
        chain_id: chain.config().chain_id,
        verifying_contract: oracle,
    };
    let digest = data.eip712_signing_hash(&domain);
    assert_eq!(view(chain, oracle, IOracle::hashReportCall { data: data.clone() }), digest);
    let mut signers: Vec<_> = keys.iter().take(5).collect();
    signers.sort_by_key(|k| k.address());
    let signatures: Vec<Bytes> = signers
        .iter()
        .map(|k| Bytes::from(k.sign_hash_sync(&digest).expect("sign").as_bytes().to_vec()))
        .collect();
    let submit = IOracle::submitReportCall { data: data.clone(), signatures }.abi_encode();
    let mined = transact(chain, relayer, oracle, submit.clone(), U256::ZERO);
    if !mined.success {
        let (_, out) = call_from(chain, relayer, oracle, submit);
        panic!("submitReport reverted: {out}");
    }
    eprintln!(
        "submitReport, 5 of 9 signatures, with the pool's accounting: gasUsed {}",
        mined.gas_used
    );
    assert_eq!(view(chain, oracle, IOracle::getLastProcessingRefSlotCall {}), frame._0);
    assert!(balance(chain, rewards_vault) < eth, "the report pulled rewards from the vault");
    assert!(view(chain, pool, IPool::sharesOfCall { account: treasury }) > U256::ZERO);
    // Target (ANCHORS.md): under 250,000. Not met yet: 426,534 measured with Nitro's entry
    // prices (334,550 under the node's former guess). Besides the 21,000 base, the calldata
    // (five 65-byte signatures), five `ecrecover`s and the pool's own accounting, the first
    // entry of each of the four programs in the transaction (oracle, pool, pool-accounting,
    // vault) now pays Nitro's uncached entry (about 11,000 gas for the vault, 17,000–19,000
    // for the others), where the guess charged about 9,800. This bound is a ratchet against
    // regressions until the target is met. Issue 19 raised it from 426,534 to 456,846: the
    // oracle now reads the pool's rebase cap (one setting, served by the accounting program
    // the report has already entered) and checks it with the pool's exact rule, and the pool
    // records when each report was applied; issue 21's cheaper division is where to win it
    // back.
    assert!(mined.gas_used < 460_000, "a 5-signature report costs {} gas", mined.gas_used);
}
