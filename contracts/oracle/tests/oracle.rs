//! The oracle natively, with real secp256k1 signatures and the real pool behind it.

mod common;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use common::*;
use tidepool_common::{
    access_control::AccessControlUnauthorizedAccount,
    initializable::{AlreadyInitialized, NotDeployer, NotInitialized},
    signature::ERC1271_MAGIC_VALUE,
};
use tidepool_oracle::programs::OracleAdmin;
use tidepool_oracle::{errors::*, roles, Oracle, ReportData, DEFAULT_LIMITS, NAME, *};
use tidepool_pool::{events::TokenRebased, roles as pool_roles};

// ---------------------------------------------------------------------- set-up

#[test]
fn initialises_once_with_lido_defaults() {
    let mut env = Env::new(5, 3);
    assert_eq!(env.init_oracle(), Err(<Vec<u8>>::from(OracleError::from(AlreadyInitialized {}))));
    assert_eq!(env.admin.get_chain_config(), (SLOTS_PER_EPOCH, SECONDS_PER_SLOT, GENESIS));
    assert_eq!(env.admin.get_frame_config(), (INITIAL_EPOCH, EPOCHS_PER_FRAME));
    assert_eq!(env.admin.get_consensus_version(), CONSENSUS_VERSION);
    assert_eq!(env.admin.get_last_processing_ref_slot(), 0);
    assert_eq!(env.admin.get_contracts(), (pool_address(), WITHDRAWAL_VAULT, REWARDS_VAULT, QUEUE));
    let limits = env.admin.get_oracle_report_limits();
    assert_eq!(limits.to_array(), DEFAULT_LIMITS.to_array().map(U256::from));
    let domain = env.admin.eip712_domain();
    assert_eq!(
        (domain.1.as_str(), domain.3, domain.4),
        (NAME, U256::from(CHAIN_ID), oracle_address())
    );
}

#[test]
fn initialisation_is_guarded_and_validated() {
    let vm = TestHost::new();
    vm.set_contract_address(oracle_address());
    vm.set_code(pool_address(), program_code());
    install::<OracleAdmin>(&vm, ORACLE_ADMIN);
    // A failed initialisation reverts: each attempt starts from empty storage, as on chain.
    let attempt = |from: Address, nonce, pool, admin_contract, sps| {
        vm.clear_storage();
        vm.clear_mocks();
        vm.set_sender(from);
        Oracle::from(&vm).initialize(
            nonce,
            ADMIN,
            pool,
            admin_contract,
            1,
            GENESIS,
            sps,
            32,
            1,
            225,
        )
    };
    let err = |e: OracleError| Err(<Vec<u8>>::from(e));
    assert_eq!(
        attempt(DEPLOYER, 1, pool_address(), Address::ZERO, 12),
        err(InvalidPool { pool: Address::ZERO }.into())
    );
    assert_eq!(
        attempt(ADMIN, 1, pool_address(), ORACLE_ADMIN, 12),
        err(NotDeployer { caller: ADMIN, nonce: 1 }.into())
    );
    assert_eq!(
        attempt(DEPLOYER, 1, Address::ZERO, ORACLE_ADMIN, 12),
        err(InvalidPool { pool: Address::ZERO }.into())
    );
    assert_eq!(
        attempt(DEPLOYER, 1, pool_address(), ORACLE_ADMIN, 0),
        err(InvalidChainConfig { secondsPerSlot: U256::ZERO, slotsPerEpoch: U256::from(32) }.into())
    );
    // Before initialisation every other selector is refused; set-up runs only inside it.
    vm.clear_storage();
    let set_up = call_with(
        "setUp(address,address,uint64,uint64,uint64,uint64,uint64,uint64)",
        (ADMIN, pool_address(), 1u64, GENESIS, 12u64, 32u64, 1u64, 225u64),
    );
    let out = vm.route::<Oracle>(&set_up);
    assert_eq!(out, Err(NotInitialized {}.abi_encode()));
    // And not again once set up.
    let env = Env::new(3, 2);
    assert_eq!(env.route(DEPLOYER, set_up), Err(AlreadyInitialized {}.abi_encode()));
}

// ---------------------------------------------------------------------- committee

#[test]
fn members_and_quorum_change_together() {
    let mut env = Env::new(3, 2);
    env.vm.clear_mocks();
    env.as_(ADMIN);
    let new = key(9);
    assert_eq!(
        env.admin.add_member(new, 2),
        Err(QuorumTooSmall { minQuorum: U256::from(3), receivedQuorum: U256::from(2) }.into())
    );
    assert_eq!(env.admin.add_member(Address::ZERO, 3), Err(ZeroMemberAddress {}.into()));
    assert_eq!(env.admin.add_member(key(1), 3), Err(DuplicateMember { member: key(1) }.into()));
    assert!(env.vm.get_emitted_logs().is_empty());
    env.admin.add_member(new, 3).expect("add");
    assert!(env.admin.is_member(new));
    assert_eq!(env.admin.get_quorum(), 3);
    assert_eq!(
        env.events::<MemberAdded>(),
        vec![MemberAdded { member: new, newTotalMembers: U256::from(4), newQuorum: U256::from(3) }]
    );
    assert_eq!(
        env.events::<QuorumSet>(),
        vec![QuorumSet {
            newQuorum: U256::from(3),
            totalMembers: U256::from(4),
            prevQuorum: U256::from(2)
        }]
    );

    // Removing the first member moves the last into its place.
    env.vm.clear_mocks();
    assert_eq!(env.admin.remove_member(key(8), 3), Err(NonMember { member: key(8) }.into()));
    env.admin.remove_member(key(1), 2).expect("remove");
    assert!(!env.admin.is_member(key(1)));
    let mut members = env.admin.get_members();
    members.sort();
    let mut expected = vec![key(2), key(3), new];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(
        env.events::<MemberRemoved>(),
        vec![MemberRemoved {
            member: key(1),
            newTotalMembers: U256::from(3),
            newQuorum: U256::from(2)
        }]
    );
    // Each remaining member can still be removed (positions stayed consistent).
    env.admin.remove_member(new, 2).expect("remove moved member");
    env.admin.remove_member(key(2), 1).expect("remove");
    env.admin.remove_member(key(3), 1).expect("remove last");
    assert!(env.admin.get_members().is_empty());

    // A quorum above the member count is allowed: it halts reporting.
    env.admin.set_quorum(7).expect("halting quorum");
    assert_eq!(
        env.admin.set_quorum(0),
        Err(QuorumTooSmall { minQuorum: U256::from(1), receivedQuorum: U256::ZERO }.into())
    );

    env.as_(ALICE);
    let denied = |role| {
        Err(OracleError::from(AccessControlUnauthorizedAccount {
            account: ALICE,
            neededRole: role,
        }))
    };
    assert_eq!(env.admin.add_member(key(1), 5), denied(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE));
    assert_eq!(env.admin.remove_member(key(1), 5), denied(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE));
    assert_eq!(env.admin.set_quorum(5), denied(roles::MANAGE_MEMBERS_AND_QUORUM_ROLE));
    assert_eq!(env.admin.set_frame_config(10), denied(roles::MANAGE_FRAME_CONFIG_ROLE));
    assert_eq!(env.admin.set_consensus_version(2), denied(roles::MANAGE_CONSENSUS_VERSION_ROLE));
    let limits = env.admin.get_oracle_report_limits();
    assert_eq!(env.admin.set_oracle_report_limits(limits), denied(roles::MANAGE_LIMITS_ROLE));
}

#[test]
fn a_halting_quorum_stops_reports() {
    let mut env = Env::new(5, 3);
    env.as_(ADMIN);
    env.admin.set_quorum(6).expect("quorum above members");
    let data = env.report(320 * 1_000_000_000);
    env.assert_signed_rejected(
        5,
        &data,
        QuorumNotReached { signatures: U256::from(5), quorum: U256::from(6) },
    );
}

// ---------------------------------------------------------------------- frames

#[test]
fn frames_and_their_errors() {
    let env = Env::new(5, 3);
    assert_eq!(env.admin.get_current_frame(), Ok((env.ref_slot(1), env.ref_slot(2))));
    // The frame's report for the wrong slot, a future slot, the wrong version.
    let mut data = env.report(320 * 1_000_000_000);
    let current = U256::from(env.ref_slot(1));
    data.refSlot = current + U256::from(1);
    env.assert_signed_rejected(
        3,
        &data,
        UnexpectedRefSlot { expected: current, received: current + U256::from(1) },
    );
    let mut data = env.report(320 * 1_000_000_000);
    data.consensusVersion = U256::from(2);
    env.assert_signed_rejected(
        3,
        &data,
        UnexpectedConsensusVersion { expected: U256::from(1), received: U256::from(2) },
    );
    // Frame 0's report in frame 1: its deadline passed.
    let mut data = env.report(320 * 1_000_000_000);
    data.refSlot = U256::from(env.ref_slot(0));
    env.assert_signed_rejected(
        3,
        &data,
        ProcessingDeadlineMissed { refSlot: U256::from(env.ref_slot(0)), deadline: current },
    );
    // Before the initial epoch nothing can be reported.
    env.set_time(GENESIS);
    assert_eq!(env.admin.get_current_frame(), Err(InitialEpochNotYetReached {}.into()));
    let data = ReportData { refSlot: current, ..env_report_template() };
    env.assert_signed_rejected(3, &data, InitialEpochNotYetReached {});
}

fn env_report_template() -> ReportData {
    ReportData {
        consensusVersion: U256::from(CONSENSUS_VERSION),
        refSlot: U256::ZERO,
        numValidators: U256::from(10),
        clBalanceGwei: U256::from(320_000_000_000u64),
        withdrawalVaultBalance: U256::ZERO,
        elRewardsVaultBalance: U256::ZERO,
        withdrawalFinalizationBatches: vec![],
        simulatedShareRate: U256::ZERO,
        isBunkerMode: false,
    }
}

#[test]
fn frame_config_change_keeps_the_current_reference_slot() {
    let mut env = Env::new(5, 3);
    let (ref_slot, _) = env.admin.get_current_frame().expect("frame");
    env.set_time(env.frame_start(1) + 300);
    env.vm.clear_mocks();
    env.as_(ADMIN);
    assert_eq!(
        env.admin.set_frame_config(0),
        Err(InvalidFrameConfig { initialEpoch: U256::from(226), epochsPerFrame: U256::ZERO }.into())
    );
    // Frames as short as the minimum report interval allows.
    env.set_limits(|l| l.minReportInterval = U256::from(3_840));
    env.admin.set_frame_config(10).expect("shorter frames");
    assert_eq!(env.admin.get_frame_config(), (226, 10));
    assert_eq!(env.admin.get_current_frame().expect("frame").0, ref_slot);
    // From there on, frames of ten epochs.
    env.set_time(env.frame_start(1) + 10 * 32 * 12);
    assert_eq!(env.admin.get_current_frame().expect("frame").0, ref_slot + 320);
    assert_eq!(
        env.events::<FrameConfigSet>(),
        vec![FrameConfigSet {
            newInitialEpoch: U256::from(226),
            newEpochsPerFrame: U256::from(10)
        }]
    );
    assert_eq!(
        env.admin.set_consensus_version(0),
        Err(InvalidConsensusVersion { version: U256::ZERO }.into())
    );
    env.admin.set_consensus_version(3).expect("version");
    assert_eq!(
        env.events::<ConsensusVersionSet>(),
        vec![ConsensusVersionSet { version: U256::from(3), prevVersion: U256::from(1) }]
    );
}

// ---------------------------------------------------------------------- a report

#[test]
fn a_quorum_signed_report_is_applied_once() {
    let env = Env::new(7, 5);
    // Rewards of 0.05 ether on the consensus layer (well within 10%/yr of 320 ether a day).
    let data = env.report(320_050_000_000);
    assert_eq!(env.admin.hash_report(data.clone()), env.digest(&data));
    let hashed = env.route(ALICE, hash_report_call(&data)).expect("hashReport routes");
    assert_eq!(B256::from_slice(&hashed), env.digest(&data));

    let signatures = env.quorum_signatures(5, &data);
    let pooled_before = env.total_pooled();
    env.submit(&data, signatures.clone()).expect("report applies");
    assert_eq!(env.admin.get_last_processing_ref_slot(), env.ref_slot(1));
    assert_eq!(
        env.beacon_stat(),
        (U256::from(10), U256::from(10), eth(320) + U256::from(50_000_000) * GWEI)
    );
    assert!(env.total_pooled() > pooled_before);

    let mut signers: Vec<Address> = env.members.iter().map(|k| key(*k)).collect();
    signers.sort();
    signers.truncate(5);
    assert_eq!(
        env.events::<ReportAccepted>(),
        vec![ReportAccepted { refSlot: data.refSlot, reportHash: env.digest(&data), signers }]
    );
    let rebased = env.pool_events::<TokenRebased>();
    assert_eq!(rebased.len(), 1);
    // The report's time is its reference slot's, and it covered one frame.
    let slot_time = GENESIS + env.ref_slot(1) * SECONDS_PER_SLOT;
    assert_eq!(rebased[0].reportTimestamp, U256::from(slot_time));
    assert_eq!(rebased[0].timeElapsed, U256::from(86_400));

    // The same report again, with the same or more signatures: already processed.
    env.assert_rejected(
        &data,
        signatures,
        RefSlotAlreadyProcessed { refSlot: data.refSlot, lastProcessingRefSlot: data.refSlot },
    );
    env.assert_signed_rejected(
        7,
        &data,
        RefSlotAlreadyProcessed { refSlot: data.refSlot, lastProcessingRefSlot: data.refSlot },
    );

    // The next frame: one day later, measured between reference slots.
    env.set_time(env.frame_start(2));
    let data = env.report(320_100_000_000);
    env.submit(&data, env.quorum_signatures(5, &data)).expect("next frame");
    let rebased = env.pool_events::<TokenRebased>();
    assert_eq!(rebased[1].timeElapsed, U256::from(86_400));
}

// ---------------------------------------------------------------------- signatures

#[test]
fn every_bad_signature_has_its_own_error() {
    let env = Env::new(5, 3);
    let data = env.report(320_000_000_000);
    let good = env.quorum_signatures(3, &data);
    let idx = |i: usize| U256::from(i);

    // Malformed: neither 65 bytes nor abi.encode(address, bytes).
    let mut sigs = good.clone();
    sigs[1] = Bytes::from(good[1][..64].to_vec());
    env.assert_rejected(
        &data,
        sigs,
        InvalidSignatureLength { index: idx(1), length: U256::from(64) },
    );

    // High s: the malleable twin of a valid signature.
    let digest = env.digest(&data);
    let mut keys = env.members.clone();
    keys.sort_by_key(|k| key(*k));
    let (v, r, s) = sign_digest(keys[2], digest);
    let (v2, s2) = high_s(v, s);
    let mut sigs = good.clone();
    sigs[2] = Bytes::from(tidepool_common::signature::pack_signature(v2, r, s2).to_vec());
    env.assert_rejected(&data, sigs, InvalidSignatureS { index: idx(2), s: s2 });

    // Wrong v.
    let mut sigs = good.clone();
    sigs[0] = Bytes::from(tidepool_common::signature::pack_signature(1, r, s).to_vec());
    env.assert_rejected(&data, sigs, InvalidSignatureV { index: idx(0), v: 1 });

    // Recovers to nothing (r = 0).
    let mut sigs = good.clone();
    sigs[0] = Bytes::from(tidepool_common::signature::pack_signature(27, B256::ZERO, s).to_vec());
    env.assert_rejected(&data, sigs, InvalidSignature { index: idx(0) });

    // A non-member's valid signature.
    let outsider = 42u8;
    let mut sigs = good.clone();
    let mut all = vec![keys[0], keys[1], outsider];
    all.sort_by_key(|k| key(*k));
    sigs.clone_from(&env.sign_sorted(&all, &data));
    let pos = all.iter().position(|k| *k == outsider).expect("present");
    env.assert_rejected(&data, sigs, SignerNotMember { index: idx(pos), signer: key(outsider) });

    // Duplicate and out of order.
    let sigs = vec![good[0].clone(), good[0].clone(), good[1].clone()];
    env.assert_rejected(&data, sigs, DuplicateSigner { index: idx(1), signer: key(keys[0]) });
    let sigs = vec![good[1].clone(), good[0].clone(), good[2].clone()];
    env.assert_rejected(
        &data,
        sigs,
        SignersNotAscending { index: idx(1), signer: key(keys[0]), previous: key(keys[1]) },
    );

    // Too few.
    env.assert_rejected(
        &data,
        good[..2].to_vec(),
        QuorumNotReached { signatures: U256::from(2), quorum: U256::from(3) },
    );
    env.assert_rejected(
        &data,
        vec![],
        QuorumNotReached { signatures: U256::ZERO, quorum: U256::from(3) },
    );

    // A signature over another report (another version, another frame) recovers to some
    // other address, which is no member.
    let mut other = data.clone();
    other.consensusVersion = U256::from(2);
    let mut sigs = good.clone();
    sigs[0] = env.sign(keys[0], &other);
    let (v, r, s) = sign_digest(keys[0], env.digest(&other));
    let stranger = env.vm.ecrecover(env.digest(&data), v, r, s).expect("recovers");
    let err = env.submit(&data, sigs).expect_err("rejected");
    // Its position depends on the random address; it is refused either way.
    assert!(
        err == SignerNotMember { index: idx(0), signer: stranger }.abi_encode()
            || err
                == SignersNotAscending { index: idx(1), signer: key(keys[1]), previous: stranger }
                    .abi_encode(),
        "got {}",
        hex(&err)
    );

    // The good set still works.
    env.submit(&data, good).expect("applies");
}

#[test]
fn contract_members_sign_through_eip1271() {
    let mut env = Env::new(3, 2);
    let wallet = Address::repeat_byte(0xfe);
    env.as_(ADMIN);
    env.admin.add_member(wallet, 3).expect("contract member");
    env.vm.set_code(wallet, vec![0x60, 0x00]);
    let data = env.report(320_000_000_000);
    let digest = env.digest(&data);
    let wallet_sig = b"wallet-specific signature bytes".to_vec();
    let mut magic = vec![0u8; 32];
    magic[..4].copy_from_slice(&ERC1271_MAGIC_VALUE);
    env.vm.mock_static_call(
        wallet,
        common::isValidSignatureCall { hash: digest, signature: wallet_sig.clone().into() }
            .abi_encode(),
        Ok(magic),
    );
    // Key signers sorted, the wallet (0xfefe...) last since it is the largest address here.
    let mut sigs = env.quorum_signatures(2, &data);
    assert!(key(1) < wallet && key(2) < wallet && key(3) < wallet);
    let entry = contract_signature(wallet, &wallet_sig);
    sigs.push(entry);
    env.submit(&data, sigs.clone()).expect("wallet's signature counts");

    // A refused or code-less wallet signature, and a malformed wrapper, each fail.
    env.set_time(env.frame_start(2));
    let data = env.report(320_000_000_000);
    let mut sigs = env.quorum_signatures(2, &data);
    sigs.push(contract_signature(wallet, b"not accepted"));
    env.assert_rejected(
        &data,
        sigs.clone(),
        ContractSignatureRejected { index: U256::from(2), member: wallet },
    );
    let mut truncated = contract_signature(wallet, &wallet_sig).to_vec();
    truncated.pop();
    sigs[2] = Bytes::from(truncated.clone());
    env.assert_rejected(
        &data,
        sigs.clone(),
        InvalidSignatureLength { index: U256::from(2), length: U256::from(truncated.len()) },
    );
    env.vm.set_code(wallet, vec![]);
    sigs[2] = contract_signature(wallet, &wallet_sig);
    env.assert_rejected(
        &data,
        sigs,
        ContractSignatureRejected { index: U256::from(2), member: wallet },
    );
}

#[test]
fn removed_members_signatures_stop_counting() {
    let mut env = Env::new(5, 3);
    let data = env.report(320_000_000_000);
    let sigs = env.quorum_signatures(3, &data);
    let mut keys = env.members.clone();
    keys.sort_by_key(|k| key(*k));
    env.as_(ADMIN);
    env.admin.remove_member(key(keys[1]), 3).expect("remove");
    env.assert_rejected(
        &data,
        sigs,
        SignerNotMember { index: U256::from(1), signer: key(keys[1]) },
    );
    let remaining = [keys[0], keys[2], keys[3]];
    env.submit(&data, env.sign_sorted(&remaining, &data)).expect("the others reach quorum");
}

// ---------------------------------------------------------------------- limits

/// 10%/yr of `principal` wei over one day, rounded down.
fn day_of_ten_percent(principal: U256) -> U256 {
    principal * U256::from(1_000u64 * 86_400) / U256::from(10_000u64 * 365 * 86_400)
}

#[test]
fn cl_balance_limits_reject_beyond_and_accept_at_the_bound() {
    let env = Env::new(5, 3);
    // 10 validators appeared: the principal is 320 ether.
    let max = day_of_ten_percent(eth(320));
    // In gwei the bound rounds down; one gwei over it fails.
    let max_gwei = max / GWEI;
    let over = env.report(320_000_000_000 + max_gwei.to::<u64>() + 1);
    let increase = (U256::from(320_000_000_000u64) + max_gwei + U256::from(1)) * GWEI - eth(320);
    env.assert_rejected(
        &over,
        env.quorum_signatures(3, &over),
        IncorrectCLBalanceIncrease { increase, maxIncrease: max },
    );
    // 5% one-off decrease: 16 ether is the most that may be lost.
    let under = env.report(304_000_000_000 - 1);
    env.assert_rejected(
        &under,
        env.quorum_signatures(3, &under),
        IncorrectCLBalanceDecrease { decrease: eth(16) + GWEI, maxDecrease: eth(16) },
    );
    let at = env.report(304_000_000_000);
    env.submit(&at, env.quorum_signatures(3, &at)).expect("exactly 5% lost is accepted");
    assert_eq!(env.beacon_stat().2, eth(304));
}

#[test]
fn a_donation_to_the_withdrawal_vault_cannot_stop_reports() {
    let env = Env::new(5, 3);
    // A hundred days of the 10% yearly allowance on 320 ether, sent to the withdrawal vault
    // by anyone: counted as consensus-layer growth it failed `IncorrectCLBalanceIncrease` and
    // stopped every honest report.
    let donation = day_of_ten_percent(eth(320)) * U256::from(100);
    env.fund_vaults(donation, U256::ZERO);
    let pooled = env.total_pooled();
    let mut data = env.report(320_000_000_000);
    data.withdrawalVaultBalance = donation;
    env.submit(&data, env.quorum_signatures(3, &data)).expect("a donation cannot stop reports");
    // It is accounted as rewards under the positive-rebase cap; the rest waits in the vault.
    let gained = env.total_pooled() - pooled;
    let cap = pooled * U256::from(tidepool_pool::DEFAULT_MAX_POSITIVE_REBASE)
        / U256::from(1_000_000_000u64);
    assert!(gained > U256::ZERO && gained <= cap, "gained {gained}, cap {cap}");
    // The consensus layer's own growth is still limited.
    env.set_time(env.frame_start(2));
    let mut data = env.report(330_000_000_000);
    data.withdrawalVaultBalance = donation - gained;
    let err = env.submit(&data, env.quorum_signatures(3, &data)).expect_err("10 ether in a day");
    assert_eq!(err[..4], IncorrectCLBalanceIncrease::SELECTOR);
}

#[test]
fn validator_and_vault_limits() {
    let env = Env::new(5, 3);
    let mut data = env.report(352_000_000_000);
    data.numValidators = U256::from(11);
    env.assert_signed_rejected(
        3,
        &data,
        ReportedValidatorsExceedDeposited { deposited: U256::from(10), reported: U256::from(11) },
    );
    env.set_limits(|l| l.appearedValidatorsPerDayLimit = U256::from(9));
    let data = env.report(320_000_000_000);
    env.assert_signed_rejected(
        3,
        &data,
        IncorrectAppearedValidators { appeared: U256::from(10), maxAppeared: U256::from(9) },
    );
    env.set_limits(|l| l.appearedValidatorsPerDayLimit = U256::from(10));

    env.fund_vaults(eth(1), eth(2));
    let mut data = env.report(320_000_000_000);
    data.withdrawalVaultBalance = eth(1) + U256::from(1);
    env.assert_signed_rejected(
        3,
        &data,
        IncorrectWithdrawalsVaultBalance { reported: eth(1) + U256::from(1), actual: eth(1) },
    );
    let mut data = env.report(320_000_000_000);
    data.elRewardsVaultBalance = eth(2) + U256::from(1);
    env.assert_signed_rejected(
        3,
        &data,
        IncorrectELRewardsVaultBalance { reported: eth(2) + U256::from(1), actual: eth(2) },
    );
    // At the boundaries: exactly 10 validators, exactly the vaults' balances (the pool takes
    // what its cap allows). The withdrawn ether left the consensus layer: no loss.
    let mut data = env.report(319_000_000_000);
    data.withdrawalVaultBalance = eth(1);
    data.elRewardsVaultBalance = eth(2);
    env.submit(&data, env.quorum_signatures(3, &data)).expect("at the bounds");

    // Fewer validators than the pool saw.
    env.set_time(env.frame_start(2));
    let mut data = env.report(319_000_000_000);
    data.numValidators = U256::from(9);
    env.assert_signed_rejected(
        3,
        &data,
        ReportedValidatorsDecreased { previous: U256::from(10), reported: U256::from(9) },
    );
}

/// Frames shorter than the minimum report interval could never carry a report (the first
/// covers one frame): refused from both sides, and shorter frames work once the interval
/// allows them.
#[test]
fn frames_shorter_than_the_report_interval_are_refused() {
    let mut env = Env::new(5, 3);
    let data = env.report(320_000_000_000);
    env.submit(&data, env.quorum_signatures(3, &data)).expect("first");
    env.as_(ADMIN);
    // Frames of 10 epochs are 3,840 s, under the 12-hour minimum: refused, nothing changes.
    let too_short = FrameShorterThanReportInterval {
        frameSeconds: U256::from(3_840),
        minReportInterval: U256::from(43_200),
    };
    assert_eq!(env.admin.set_frame_config(10), Err(too_short.into()));
    assert_eq!(
        env.admin.set_frame_config(112),
        Err(FrameShorterThanReportInterval {
            frameSeconds: U256::from(43_008),
            minReportInterval: U256::from(43_200),
        }
        .into())
    );
    assert_eq!(env.admin.get_frame_config().1, 225);
    // Lower the interval first, then the frames; the next frame's report is in time.
    env.set_limits(|l| l.minReportInterval = U256::from(3_840));
    env.admin.set_frame_config(10).expect("frames of the interval");
    // The interval cannot grow past the frames again.
    let mut oracle_admin = OracleAdmin::from(&env.vm);
    let mut limits = oracle_admin.get_oracle_report_limits();
    limits.minReportInterval = U256::from(3_841);
    assert_eq!(
        oracle_admin.set_oracle_report_limits(limits),
        Err(FrameShorterThanReportInterval {
            frameSeconds: U256::from(3_840),
            minReportInterval: U256::from(3_841),
        }
        .into())
    );
    env.set_time(env.frame_start(1) + 10 * 32 * 12);
    let data = env.report(320_000_000_000);
    env.submit(&data, env.quorum_signatures(3, &data)).expect("one frame later, at the minimum");
}

#[test]
fn limits_are_validated_and_logged() {
    let env = Env::new(5, 3);
    env.as_(ADMIN);
    let mut oracle_admin = OracleAdmin::from(&env.vm);
    let mut limits = oracle_admin.get_oracle_report_limits();
    limits.simulatedShareRateDeviationBPLimit = U256::from(10_001);
    assert_eq!(
        oracle_admin.set_oracle_report_limits(limits.clone()),
        Err(IncorrectLimitValue {
            index: U256::from(3),
            value: U256::from(10_001),
            max: U256::from(10_000)
        }
        .into())
    );
    limits.simulatedShareRateDeviationBPLimit = U256::from(10_000);
    env.vm.clear_mocks();
    oracle_admin.set_oracle_report_limits(limits.clone()).expect("at the maxima");
    assert_eq!(oracle_admin.get_oracle_report_limits(), limits);
    assert_eq!(env.events::<OracleReportLimitsSet>().len(), 1);
}

#[test]
fn positive_rebase_beyond_the_pools_cap_reverts_the_whole_report() {
    // The oracle checks the report against the cap the pool states (`getMaxPositiveRebase`),
    // by the pool's own rule. The real pool never exceeds its cap, so a pool that does is
    // played here: it smooths to its stored 0.075% but tells the oracle 0.01%.
    let env = Env::new(5, 3);
    let pool_vm = env.pool_vm.clone();
    let stated = std::rc::Rc::new(std::cell::Cell::new(100_000u64));
    let answer = stated.clone();
    env.vm.on_call(pool_address(), move |call| {
        if call.calldata[..] == tidepool_interfaces::IPool::getMaxPositiveRebaseCall::SELECTOR {
            return Ok(U256::from(answer.get()).to_be_bytes::<32>().to_vec());
        }
        pool_vm.route_call::<tidepool_pool::Pool>(call)
    });
    // 0.05 ether of execution-layer rewards on ~321 ether: about 1.5 bp, net of the fee.
    let el = eth(5) / U256::from(100);
    env.fund_vaults(U256::ZERO, el);
    let mut data = env.report(320_000_000_000);
    data.elRewardsVaultBalance = el;
    let (pooled, shares) = (env.total_pooled(), env.total_shares());
    let err = env.submit(&data, env.quorum_signatures(3, &data)).expect_err("too much");
    let decoded = IncorrectPositiveTokenRebase::abi_decode(&err).expect("rebase error");
    let ceiling =
        tidepool_math::rebase_limit::RebaseLimiter::new(100_000, pooled, shares).expect("ok");
    let max_rate =
        tidepool_math::queue::share_rate(ceiling.max_total_pooled, shares).expect("rate");
    assert_eq!(decoded.maxShareRate, max_rate);
    assert!(decoded.postShareRate > decoded.maxShareRate);
    // Nothing moved: neither the oracle's frame nor the pool's balance.
    assert_eq!(env.admin.get_last_processing_ref_slot(), 0);
    assert_eq!(env.beacon_stat().1, U256::ZERO);
    // Stating the cap it applies, the same report passes.
    stated.set(tidepool_pool::DEFAULT_MAX_POSITIVE_REBASE);
    env.submit(&data, env.quorum_signatures(3, &data)).expect("within the pool's cap");
}

#[test]
fn consensus_layer_growth_beyond_the_limit_is_accepted() {
    // Growth the pool cannot smooth (the consensus layer's) never stalls the oracle: after
    // missed frames a report carries all of it, bounded by the annual-increase limit instead.
    let mut env = Env::new(5, 3);
    env.pool_vm.set_sender(ADMIN);
    env.pool_admin.grant_role(pool_roles::FEE_MANAGER_ROLE, ADMIN).expect("grant");
    env.pool_admin.set_max_positive_rebase(100_000).expect("0.01%");
    let pre_rate =
        tidepool_math::queue::share_rate(env.total_pooled(), env.total_shares()).expect("rate");
    let data = env.report(320_050_000_000); // about 1.5 bp
    env.submit(&data, env.quorum_signatures(3, &data)).expect("consensus-layer growth");
    let post_rate =
        tidepool_math::queue::share_rate(env.total_pooled(), env.total_shares()).expect("rate");
    assert!(
        post_rate > pre_rate + pre_rate * U256::from(100_000u64) / U256::from(1_000_000_000u64)
    );
}

// ---------------------------------------------------------------------- finalisation

/// The queue will finalise up to request 5 for `locked` ether and `shares`, at any rate.
fn mock_finalization(env: &Env, rate: U256, locked: U256, shares: U256) {
    use tidepool_pool::interfaces::IWithdrawalQueue;
    let batches = vec![U256::from(5)];
    let pre = IWithdrawalQueue::prefinalizeCall { batches: batches.clone(), maxShareRate: rate }
        .abi_encode();
    let ret = IWithdrawalQueue::prefinalizeCall::abi_encode_returns(
        &IWithdrawalQueue::prefinalizeReturn { ethToLock: locked, sharesToBurn: shares },
    );
    env.vm.mock_static_call(QUEUE, pre.clone(), Ok(ret.clone()));
    env.pool_vm.mock_static_call(QUEUE, pre, Ok(ret));
    let fin = IWithdrawalQueue::finalizeCall { lastRequestId: U256::from(5), maxShareRate: rate }
        .abi_encode();
    env.pool_vm.mock_call(QUEUE, fin, locked, Ok(vec![]));
}

#[test]
fn simulated_share_rate_is_checked_when_finalising() {
    let mut env = Env::new(5, 3);
    // Requests in the queue: it holds their shares.
    env.pool_vm.set_sender(ALICE);
    env.pool.transfer_shares(QUEUE, eth(2)).expect("shares to the queue");
    let rate =
        tidepool_math::queue::share_rate(env.total_pooled(), env.total_shares()).expect("rate");
    // A report with no change: the actual rate stays `rate`. 50 bp either way is fine.
    let off = rate * U256::from(50) / U256::from(10_000);
    let mut data = env.report(320_000_000_000);
    data.withdrawalFinalizationBatches = vec![U256::from(5)];
    data.simulatedShareRate = rate + off + U256::from(1);
    mock_finalization(&env, data.simulatedShareRate, eth(1), eth(1));
    let err = env.submit(&data, env.quorum_signatures(3, &data)).expect_err("too high");
    let decoded = IncorrectSimulatedShareRate::abi_decode(&err).expect("share rate error");
    assert_eq!(decoded.simulatedShareRate, data.simulatedShareRate);
    assert_eq!(env.admin.get_last_processing_ref_slot(), 0, "reverted");

    // Bunker mode finalises at min(simulated, pre-report rate) and accepts a deep discount.
    let mut data = env.report(320_000_000_000);
    data.withdrawalFinalizationBatches = vec![U256::from(5)];
    data.simulatedShareRate = rate / U256::from(2);
    data.isBunkerMode = true;
    mock_finalization(&env, data.simulatedShareRate, eth(1) / U256::from(2), eth(1));
    env.pool_vm.clear_calls();
    env.submit(&data, env.quorum_signatures(3, &data)).expect("discounted finalisation");
    let finalized: Vec<_> =
        env.pool_vm.calls().into_iter().filter(|(to, _, _)| *to == QUEUE).collect();
    assert_eq!(finalized.len(), 1);
    assert_eq!(finalized[0].2, eth(1) / U256::from(2));
}

// ---------------------------------------------------------------------- routing

#[test]
fn views_route_with_lido_names() {
    let env = Env::new(5, 3);
    let out = env.route(ALICE, common::IOracle::getQuorumCall {}.abi_encode()).expect("getQuorum");
    assert_eq!(common::IOracle::getQuorumCall::abi_decode_returns(&out).expect("u64"), 3);
    let out =
        env.route(ALICE, common::IOracle::getCurrentFrameCall {}.abi_encode()).expect("frame");
    let frame = common::IOracle::getCurrentFrameCall::abi_decode_returns(&out).expect("frame");
    assert_eq!((frame._0, frame._1), (env.ref_slot(1), env.ref_slot(2)));
}
