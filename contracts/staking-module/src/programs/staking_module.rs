//! The `staking-module` program, the module's front: set-up, deposits from the pool, operator
//! rewards and the module summary. Every other selector goes to `staking-module-registry` by
//! delegatecall ([`Delegate`]).

use alloc::{vec, vec::Vec};

use alloy_primitives::{uint, Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::abi::Bytes;
use stylus_sdk::{
    call::{call, static_call, RawCall},
    prelude::*,
};
use tidepool_common::{
    access_control::DEFAULT_ADMIN_ROLE, exit_report::Error as Malformed, initializable,
    program::Delegate,
};
use tidepool_interfaces::exit_report;
use tidepool_math::{
    allocation::{allocate, OperatorKeys},
    BASIS_POINTS,
};

use crate::{
    u64_word, BeaconDepositFailed, DepositedSigningKeysCountChanged, ExitRequestExceedsDeposited,
    ExitedCountDecreased, ExitedCountExceedsDeposited, ExitedValidatorsCountChanged,
    InvalidDepositValue, InvalidDepositsCount, InvalidMaxOperatorShare, KeyWords,
    MaxOperatorShareSet, NotEnoughDepositableKeys, NotPool, PoolCallFailed, RegistryWithoutCode,
    RewardsDistributed, StakingModule, StakingModuleError, ValidatorExitRequested,
    WithdrawalCredentialsSet, ZeroAddress, DEFAULT_MAX_OPERATOR_SHARE_BP, MAX_DEPOSITS_PER_CALL,
    REPORT_EXITS_ROLE,
};

type Result<T, E = StakingModuleError> = core::result::Result<T, E>;

/// One validator's deposit, in wei.
pub const DEPOSIT_SIZE: U256 = uint!(32_000_000_000_000_000_000_U256);

/// A validator's deposit in gwei, as the deposit data root commits to it.
const DEPOSIT_GWEI: u64 = tidepool_beacon::FULL_DEPOSIT_GWEI;

sol! {
    /// The pool's token, as the module holds and pays out its fee shares.
    #[derive(Debug)]
    interface IPoolShares {
        function sharesOf(address account) external view returns (uint256);
        function transferShares(address to, uint256 sharesAmount) external returns (uint256);
    }
}

/// `bytes4(keccak256("deposit(bytes,bytes,bytes,bytes32)"))`: the deposit contract's entry.
pub const BEACON_DEPOSIT_SELECTOR: [u8; 4] = [0x22, 0x89, 0x51, 0x18];

/// Bytes of a beacon deposit's calldata: the selector, four head words, then the public key
/// (length and two words), the credentials (length and one word) and the signature (length
/// and three words).
pub const BEACON_DEPOSIT_CALLDATA_LENGTH: usize = 4 + 32 * 4 + 32 * 3 + 32 * 2 + 32 * 4;

/// The deposit contract's `deposit(pubkey, withdrawal_credentials, signature,
/// deposit_data_root)` calldata for `key`, ABI-encoded by hand: every part has a fixed length,
/// so the layout is a constant and a general encoder would only add code.
pub(crate) fn beacon_deposit_calldata(
    key: &KeyWords,
    credentials: B256,
    root: B256,
) -> [u8; BEACON_DEPOSIT_CALLDATA_LENGTH] {
    let mut out = [0u8; BEACON_DEPOSIT_CALLDATA_LENGTH];
    out[..4].copy_from_slice(&BEACON_DEPOSIT_SELECTOR);
    let body = &mut out[4..];
    // Heads: offsets of the three byte strings (from the start of the arguments), the root.
    let (pubkey_at, credentials_at, signature_at) = (0x80usize, 0xe0usize, 0x120usize);
    for (i, offset) in [pubkey_at, credentials_at, signature_at].into_iter().enumerate() {
        body[32 * i + 31] = offset as u8;
        body[32 * i + 30] = (offset >> 8) as u8;
    }
    body[96..128].copy_from_slice(root.as_slice());
    let mut put = |at: usize, bytes: &[u8]| {
        body[at + 31] = bytes.len() as u8;
        body[at + 32..at + 32 + bytes.len()].copy_from_slice(bytes);
    };
    put(pubkey_at, &key.pubkey());
    put(credentials_at, credentials.as_slice());
    put(signature_at, &key.signature());
    out
}

#[public]
impl StakingModule {
    /// Sets the module up, once, by the account that deployed it.
    ///
    /// # Arguments
    /// * `admin` - governance: holds `DEFAULT_ADMIN_ROLE` (which grants the operator and
    ///   vetting roles).
    /// * `deployer_nonce` - the nonce the caller deployed this contract with.
    /// * `pool` - the only caller of `deposit`, and the token rewards are paid in.
    /// * `deposit_contract` - the beacon deposit contract.
    /// * `withdrawal_vault` - where validators' withdrawals go (their credentials).
    /// * `compounding` - `0x02` credentials (EIP-7251 compounding validators) instead of `0x01`.
    /// * `registry_contract` - the deployed `staking-module-registry` program.
    ///
    /// # Errors
    /// * `ZeroAddress` if any address is zero; `RegistryWithoutCode`.
    /// * `AlreadyInitialized`, `NotDeployer` from the initialisation guard.
    ///
    /// # Events
    /// * `Initialized(deployer)`, `RoleGranted(DEFAULT_ADMIN_ROLE, admin, deployer)`,
    ///   `WithdrawalCredentialsSet`, `MaxOperatorShareSet`.
    #[allow(clippy::too_many_arguments)]
    pub fn initialize(
        &mut self,
        admin: Address,
        deployer_nonce: u64,
        pool: Address,
        deposit_contract: Address,
        withdrawal_vault: Address,
        compounding: bool,
        registry_contract: Address,
    ) -> Result<()> {
        if [admin, pool, deposit_contract, withdrawal_vault, registry_contract]
            .iter()
            .any(|a| a.is_zero())
        {
            return Err(ZeroAddress {}.into());
        }
        if self.vm().code_size(registry_contract) == 0 {
            return Err(RegistryWithoutCode { registry: registry_contract }.into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;
        self.vm().log(initializable::Initialized { deployer: caller });
        self.access._grant_role(DEFAULT_ADMIN_ROLE, admin);
        self.pool.set(pool);
        self.deposit_contract.set(deposit_contract);
        self.registry_contract.set(registry_contract);
        let credentials = tidepool_beacon::withdrawal_credentials(withdrawal_vault, compounding);
        self.withdrawal_credentials.set(credentials);
        self.vm().log(WithdrawalCredentialsSet { withdrawalCredentials: credentials });
        self.set_share_cap(DEFAULT_MAX_OPERATOR_SHARE_BP);
        Ok(())
    }

    // ---- Deposits ----

    /// Deposits `validators` keys with the ETH sent (32 ETH each): picks them by allocation
    /// (fewest running validators first, ties by id, within vetted limits and the share cap),
    /// marks them deposited, bumps the nonce, and makes one beacon deposit per key with the
    /// module's withdrawal credentials and the key's deposit data root. All or nothing.
    ///
    /// # Errors
    /// * `NotPool` unless called by the pool; `InvalidDepositsCount` for 0 or more than 100
    ///   keys; `InvalidDepositValue` unless exactly `validators × 32 ETH` is sent;
    /// * `NotEnoughDepositableKeys` when allocation finds fewer keys;
    /// * `BeaconDepositFailed` if the deposit contract refuses a key.
    ///
    /// # Events
    /// * `DepositedSigningKeysCountChanged` per operator funded, `NonceChanged`; the deposit
    ///   contract's `DepositEvent` per key.
    #[payable]
    pub fn deposit(&mut self, validators: U256) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller != self.pool.get() || caller.is_zero() {
            return Err(NotPool { caller }.into());
        }
        let max = U256::from(MAX_DEPOSITS_PER_CALL);
        if validators.is_zero() || validators > max {
            return Err(InvalidDepositsCount { count: validators, max }.into());
        }
        // At most 100 × 32 ETH: cannot overflow.
        let expected = validators.saturating_mul(DEPOSIT_SIZE);
        let received = self.vm().msg_value();
        if received != expected {
            return Err(InvalidDepositValue { expected, received }.into());
        }
        let requested = validators.to::<u64>();
        let (operators, given, handed) = self.allocation(requested);
        if handed < requested {
            return Err(NotEnoughDepositableKeys {
                requested: validators,
                available: U256::from(handed),
            }
            .into());
        }

        // Effects first: the keys are marked deposited before any call.
        let mut deposits: Vec<(usize, u64, u64)> = Vec::new();
        for (id, (op, &count)) in operators.iter().zip(&given).enumerate() {
            if count == 0 {
                continue;
            }
            let from = op.deposited;
            let to = from.saturating_add(count);
            if let Some(mut stored) = self.operators.setter(id) {
                stored.deposited_keys.set(u64_word(to));
            }
            self.vm().log(DepositedSigningKeysCountChanged {
                nodeOperatorId: U256::from(id),
                depositedKeys: U256::from(to),
            });
            deposits.push((id, from, to));
        }
        let total = self.deposited_validators.get().to::<u64>().saturating_add(requested);
        self.deposited_validators.set(u64_word(total));
        self.bump_nonce();

        let credentials = self.withdrawal_credentials.get();
        let target = self.deposit_contract.get();
        for (id, from, to) in deposits {
            for index in from..to {
                let Some(key) = self
                    .operators
                    .getter(id)
                    .and_then(|op| op.keys.getter(index as usize).map(|k| k.words()))
                else {
                    return Err(beacon_failed(id, index));
                };
                let root = tidepool_beacon::deposit_data_root(
                    &key.pubkey(),
                    &credentials,
                    DEPOSIT_GWEI,
                    &key.signature(),
                );
                let data = beacon_deposit_calldata(&key, credentials, root);
                // SAFETY: a plain call with value to the deposit contract fixed at
                // initialisation; the storage cache is flushed first so nothing stale can be
                // read through a reentrant path.
                #[allow(unsafe_code)]
                let sent = unsafe {
                    RawCall::new_with_value(self.vm(), DEPOSIT_SIZE)
                        .flush_storage_cache()
                        .call(target, &data)
                };
                sent.map_err(|_| beacon_failed(id, index))?;
            }
        }
        Ok(())
    }

    /// `(exitedValidators, depositedValidators, depositableKeys)`: the module's running
    /// totals and how many keys one `deposit` could fund now (at most 100 per call).
    pub fn get_staking_module_summary(&self) -> (U256, U256, U256) {
        let (operators, _, depositable) = self.allocation(MAX_DEPOSITS_PER_CALL);
        let exited: u64 = operators.iter().map(|o| o.exited).fold(0, u64::saturating_add);
        (
            U256::from(exited),
            U256::from(self.deposited_validators.get().to::<u64>()),
            U256::from(depositable),
        )
    }

    /// The withdrawal credentials every deposit carries.
    pub fn get_withdrawal_credentials(&self) -> B256 {
        self.withdrawal_credentials.get()
    }

    /// `(pool, depositContract, registry)`: the addresses fixed at initialisation.
    pub fn get_module_contracts(&self) -> (Address, Address, Address) {
        (self.pool.get(), self.deposit_contract.get(), self.registry_contract.get())
    }

    // ---- Share cap (DEFAULT_ADMIN_ROLE) ----

    /// The per-operator share cap, in basis points of all running validators.
    pub fn get_max_operator_share(&self) -> u16 {
        self.max_operator_share_bp.get().to::<u16>()
    }

    /// Sets the per-operator share cap: no operator takes a deposit that lifts it above
    /// `share_basis_points` of all running validators, once the active operators can satisfy
    /// it (see `tidepool_math::allocation`); 10,000 disables it.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without `DEFAULT_ADMIN_ROLE`;
    /// * `InvalidMaxOperatorShare` for 0 or more than 10,000.
    ///
    /// # Events
    /// * `MaxOperatorShareSet`.
    pub fn set_max_operator_share(&mut self, share_basis_points: u16) -> Result<()> {
        self.only(DEFAULT_ADMIN_ROLE)?;
        if share_basis_points == 0 || share_basis_points > BASIS_POINTS {
            return Err(InvalidMaxOperatorShare {
                shareBasisPoints: U256::from(share_basis_points),
            }
            .into());
        }
        self.set_share_cap(share_basis_points);
        Ok(())
    }

    // ---- Rewards ----

    /// Transfers the module's shares of the pool's token (its fee share of each report) to the
    /// active operators' reward addresses, pro rata to their running validators (deposited
    /// minus exited), rounding each down; the remainder stays for the next distribution.
    /// Anyone may call it (the committee's tooling does after each report). Returns the
    /// shares transferred.
    ///
    /// # Errors
    /// * `NotInitialized`; `PoolCallFailed` if the pool cannot be read or refuses a transfer.
    ///
    /// # Events
    /// * `RewardsDistributed(id, rewardAddress, shares)` per operator paid (and the pool's
    ///   `Transfer` and `TransferShares`).
    pub fn distribute_rewards(&mut self) -> Result<U256> {
        self.init.only_initialized()?;
        let pool = self.pool.get();
        let this = self.vm().contract_address();
        let data = IPoolShares::sharesOfCall { account: this }.abi_encode();
        let out = static_call(self.vm(), Call::new(), pool, &data).map_err(|_| pool_failed())?;
        let shares =
            IPoolShares::sharesOfCall::abi_decode_returns(&out).map_err(|_| pool_failed())?;
        let mut payees: Vec<(usize, Address, u64)> = Vec::new();
        let mut running: u128 = 0;
        for id in 0..self.operators.len() {
            let Some(op) = self.operators.getter(id) else { continue };
            let counts = op.counts();
            let validators = counts.deposited.saturating_sub(counts.exited);
            if counts.active && validators > 0 {
                running += u128::from(validators);
                payees.push((id, op.reward_address.get(), validators));
            }
        }
        let mut paid = U256::ZERO;
        if running == 0 || shares.is_zero() {
            return Ok(paid);
        }
        let vm = self.vm().clone();
        for (id, reward_address, validators) in payees {
            // Shares below 2^128 and validators below 2^64: the product fits 256 bits.
            let amount = shares.saturating_mul(U256::from(validators)) / U256::from(running);
            if amount.is_zero() {
                continue;
            }
            let data = IPoolShares::transferSharesCall { to: reward_address, sharesAmount: amount }
                .abi_encode();
            call(&vm, Call::new_mutating(self), pool, &data).map_err(|_| pool_failed())?;
            paid += amount;
            self.vm().log(RewardsDistributed {
                nodeOperatorId: U256::from(id),
                rewardAddress: reward_address,
                shares: amount,
            });
        }
        Ok(paid)
    }

    // ---- Exits (REPORT_EXITS_ROLE: the oracle) ----

    /// Applies a frame's exit report (see the crate docs, "Exits"): asks each listed operator
    /// to exit its next deposited keys, in key order, and records each listed operator's
    /// total of exited validators. Every entry is checked before anything is written.
    ///
    /// # Arguments
    /// * `exit_requests` - packed `uint64 nodeOperatorId ‖ uint64 count` entries, ids strictly
    ///   ascending, counts at least 1, at most 100 exits in all.
    /// * `exited_counts` - packed `uint64 nodeOperatorId ‖ uint64 totalExited` entries, ids
    ///   strictly ascending.
    ///
    /// # Errors
    /// * `NotInitialized`; `AccessControlUnauthorizedAccount` without `REPORT_EXITS_ROLE`.
    /// * `InvalidExitDataLength`, `UnsortedNodeOperatorIds`, `ZeroExitRequest`,
    ///   `TooManyExitRequests` for a malformed list; `NodeOperatorNotFound`.
    /// * `ExitRequestExceedsDeposited` if an operator would be asked to exit more keys than
    ///   it has deposited; `ExitedCountDecreased`; `ExitedCountExceedsDeposited`.
    ///
    /// # Events
    /// * `ValidatorExitRequested(id, keyIndex, pubkey)` per key asked to exit, in list and key
    ///   order; `ExitedValidatorsCountChanged(id, exited)` per count that changed, then
    ///   `NonceChanged` if any did.
    pub fn process_exit_report(
        &mut self,
        exit_requests: Bytes,
        exited_counts: Bytes,
    ) -> Result<()> {
        self.only(REPORT_EXITS_ROLE)?;
        let (requests, _) = exit_report::exit_requests(&exit_requests).map_err(Malformed::from)?;
        let exited = exit_report::entries(&exited_counts).map_err(Malformed::from)?;
        // Checks first: (operator, first key to exit, end) and (operator, new exited count).
        let mut to_exit: Vec<(usize, u64, u64)> = Vec::with_capacity(requests.len());
        for (id, count) in requests {
            let (index, op) = self.operator(id)?;
            let from = op.exit_requested.get().to::<u64>();
            let deposited = op.deposited_keys.get().to::<u64>();
            // Counts are at most 100 (checked above): the sum cannot overflow.
            let to = from.saturating_add(count);
            if to > deposited {
                return Err(ExitRequestExceedsDeposited {
                    nodeOperatorId: U256::from(id),
                    exitRequested: U256::from(to),
                    deposited: U256::from(deposited),
                }
                .into());
            }
            to_exit.push((index, from, to));
        }
        let mut changed: Vec<(usize, u64)> = Vec::with_capacity(exited.len());
        for (id, total) in exited {
            let (index, op) = self.operator(id)?;
            let counts = op.counts();
            let node_operator_id = U256::from(id);
            if total < counts.exited {
                return Err(ExitedCountDecreased {
                    nodeOperatorId: node_operator_id,
                    previous: U256::from(counts.exited),
                    reported: U256::from(total),
                }
                .into());
            }
            if total > counts.deposited {
                return Err(ExitedCountExceedsDeposited {
                    nodeOperatorId: node_operator_id,
                    exited: U256::from(total),
                    deposited: U256::from(counts.deposited),
                }
                .into());
            }
            if total != counts.exited {
                changed.push((index, total));
            }
        }

        for (index, from, to) in to_exit {
            let Some(mut op) = self.operators.setter(index) else { continue };
            op.exit_requested.set(u64_word(to));
            let pubkeys: Vec<[u8; crate::PUBKEY_LENGTH]> = (from..to)
                .filter_map(|key| op.keys.getter(key as usize).map(|k| k.pubkey()))
                .collect();
            for (key, pubkey) in (from..).zip(pubkeys) {
                self.vm().log(ValidatorExitRequested {
                    nodeOperatorId: U256::from(index),
                    keyIndex: U256::from(key),
                    pubkey: pubkey.to_vec().into(),
                });
            }
        }
        for &(index, total) in &changed {
            if let Some(mut op) = self.operators.setter(index) {
                op.exited_keys.set(u64_word(total));
            }
            self.vm().log(ExitedValidatorsCountChanged {
                nodeOperatorId: U256::from(index),
                exitedValidators: U256::from(total),
            });
        }
        if !changed.is_empty() {
            self.bump_nonce();
        }
        Ok(())
    }

    // ---- The registry ----

    /// Runs every selector this program does not serve in `staking-module-registry`'s code on
    /// the module's storage (delegatecall): operators, keys, vetting, roles and their views.
    ///
    /// # Errors
    /// * `NotInitialized` before `initialize`; whatever the registry reverts with, unchanged
    ///   (empty data for a selector neither program knows).
    ///
    /// # Events
    /// Those of the delegated function.
    #[fallback]
    pub fn fallback(&mut self, calldata: &[u8]) -> stylus_sdk::ArbResult {
        self.delegate(calldata)
    }
}

impl StakingModule {
    /// The index and storage of operator `id`, which must exist.
    fn operator(
        &self,
        id: u64,
    ) -> Result<(usize, stylus_sdk::storage::StorageGuard<'_, crate::NodeOperator>)> {
        let node_operator_id = U256::from(id);
        let index = self.existing(node_operator_id)?;
        let op = self.operators.getter(index).ok_or_else(|| {
            StakingModuleError::from(crate::NodeOperatorNotFound {
                nodeOperatorId: node_operator_id,
            })
        })?;
        Ok((index, op))
    }

    /// Every operator as allocation sees it, what it would receive of `deposits` keys, and
    /// how many were handed out in all.
    fn allocation(&self, deposits: u64) -> (Vec<OperatorKeys>, Vec<u64>, u64) {
        let operators: Vec<OperatorKeys> = (0..self.operators.len())
            .filter_map(|id| self.operators.getter(id))
            .map(|op| {
                let c = op.counts();
                OperatorKeys {
                    active: c.active,
                    vetted: c.vetted,
                    deposited: c.deposited,
                    exited: c.exited,
                }
            })
            .collect();
        let mut given = vec![0u64; operators.len()];
        let cap = self.max_operator_share_bp.get().to::<u16>();
        let handed = allocate(&operators, deposits, cap, &mut given);
        (operators, given, handed)
    }

    fn set_share_cap(&mut self, share_basis_points: u16) {
        self.max_operator_share_bp.set(alloy_primitives::U16::from(share_basis_points));
        self.vm().log(MaxOperatorShareSet { shareBasisPoints: U256::from(share_basis_points) });
    }
}

fn beacon_failed(id: usize, index: u64) -> StakingModuleError {
    BeaconDepositFailed { nodeOperatorId: U256::from(id), keyIndex: U256::from(index) }.into()
}

fn pool_failed() -> StakingModuleError {
    PoolCallFailed {}.into()
}
