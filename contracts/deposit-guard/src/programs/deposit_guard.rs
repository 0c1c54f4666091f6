//! The `deposit-guard` program: the whole guard (see the crate docs).

use alloc::vec::Vec;

use alloy_primitives::{address, keccak256, Address, B256, U256, U64};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::{
    abi::Bytes,
    call::{static_call, RawCall},
    prelude::*,
};
use tidepool_common::{
    access_control::DEFAULT_ADMIN_ROLE,
    initializable,
    signature::{self, recover_packed},
};

use crate::*;

type Result<T, E = DepositGuardError> = core::result::Result<T, E>;

/// Nitro's ArbSys precompile: this chain's block number and recent block hashes (Stylus has
/// no block-hash host I/O, and its `block_number` is the L1 estimate).
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");

sol! {
    /// What the guard reads and calls.
    interface IArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbBlockHash(uint256 arbBlockNum) external view returns (bytes32);
    }
    interface IDepositContract {
        function get_deposit_root() external view returns (bytes32);
    }
    interface IStakingModuleNonce {
        function getNonce() external view returns (uint256);
    }
    interface IPoolDeposit {
        function deposit(uint256 validators) external;
    }
}

#[public]
impl DepositGuard {
    /// Sets the guard up, once, by the account that deployed it, with no guardians and a
    /// quorum of 1 (so nothing can be deposited until guardians are added).
    ///
    /// # Arguments
    /// * `admin` - holds `DEFAULT_ADMIN_ROLE`: manages guardians and resumes deposits.
    /// * `deployer_nonce` - the nonce the caller deployed this contract with.
    /// * `pool`, `staking_module`, `deposit_contract` - what deposits go through and are
    ///   checked against.
    ///
    /// # Errors
    /// * `ZeroAddress`; `AlreadyInitialized`, `NotDeployer`.
    ///
    /// # Events
    /// * `Initialized`, `RoleGranted`, `GuardianQuorumChanged(1)`,
    ///   `PauseIntentValidityPeriodBlocksChanged`.
    pub fn initialize(
        &mut self,
        admin: Address,
        deployer_nonce: u64,
        pool: Address,
        staking_module: Address,
        deposit_contract: Address,
    ) -> Result<()> {
        if [admin, pool, staking_module, deposit_contract].iter().any(|a| a.is_zero()) {
            return Err(ZeroAddress {}.into());
        }
        let (this, caller) = (self.vm().contract_address(), self.vm().msg_sender());
        self.init.initialize(this, caller, deployer_nonce)?;
        self.vm().log(initializable::Initialized { deployer: caller });
        self.access._grant_role(DEFAULT_ADMIN_ROLE, admin);
        self.pool.set(pool);
        self.staking_module.set(staking_module);
        self.deposit_contract.set(deposit_contract);
        self.set_quorum_unchecked(1);
        self.set_validity_unchecked(DEFAULT_PAUSE_INTENT_VALIDITY_BLOCKS);
        Ok(())
    }

    // ---- Deposits ----

    /// Deposits `validators` keys through the pool on the guardians' attestation: checks
    /// that deposits are not paused, that `block_hash` is the hash of `block_number` (one of
    /// the last 256 blocks), that `deposit_root` is the deposit contract's root and `nonce`
    /// the module's nonce now, and that `signatures` hold a quorum of guardians' signatures
    /// over them in ascending signer order; then calls the pool's `deposit(validators)`.
    /// Anyone may send it (a depositor bot): the signatures are the authority.
    ///
    /// # Errors
    /// * `DepositsArePaused`; `UnknownBlock`, `BlockHashMismatch`; `DepositRootChanged`;
    ///   `ModuleNonceChanged`; `ReadFailed` if ArbSys, the deposit contract or the module
    ///   cannot be read;
    /// * `InvalidSignatureLength`, `InvalidSignature`, `InvalidSignatureS`,
    ///   `InvalidSignatureV`, `DuplicateSigner`, `SignersNotAscending`, `NotGuardian`,
    ///   `QuorumNotReached`;
    /// * the pool's revert data, unchanged, if the pool refuses the deposit
    ///   (`InsufficientDepositableEther`, `DepositTransferFailed` when the module is short
    ///   of keys, `ProtocolStopped`, ...).
    ///
    /// # Events
    /// * `DepositsAttested`, and the pool's, the module's and the deposit contract's.
    pub fn deposit_buffered_ether(
        &mut self,
        validators: U256,
        block_number: U256,
        block_hash: B256,
        deposit_root: B256,
        nonce: U256,
        signatures: Vec<Bytes>,
    ) -> Result<(), Vec<u8>> {
        self.check_attestation(block_number, block_hash, deposit_root, nonce, &signatures)?;
        let data = IPoolDeposit::depositCall { validators }.abi_encode();
        // SAFETY: a plain call to the pool fixed at initialisation; the guard wrote nothing
        // before it, and its storage cache is flushed anyway.
        #[allow(unsafe_code)]
        unsafe {
            RawCall::new(self.vm()).flush_storage_cache().call(self.pool.get(), &data)?;
        }
        self.vm().log(DepositsAttested {
            validators,
            blockNumber: block_number,
            depositRoot: deposit_root,
            nonce,
        });
        Ok(())
    }

    /// The digest guardians sign to attest a deposit.
    pub fn attest_digest(
        &self,
        block_number: U256,
        block_hash: B256,
        deposit_root: B256,
        nonce: U256,
    ) -> B256 {
        let prefix = self.prefix(ATTEST_MESSAGE);
        let words = [prefix, B256::from(block_number), block_hash, deposit_root, B256::from(nonce)];
        keccak256(words.concat())
    }

    /// The digest a guardian signs to pause deposits at `block_number`.
    pub fn pause_digest(&self, block_number: U256) -> B256 {
        keccak256([self.prefix(PAUSE_MESSAGE), B256::from(block_number)].concat())
    }

    // ---- Pausing ----

    /// Pauses deposits: sent by a guardian with an empty `signature`, or by anyone with a
    /// guardian's signature over `pauseDigest(blockNumber)`, which must be at most the pause
    /// intent's validity old.
    ///
    /// # Errors
    /// * `DepositsArePaused` if already paused; `NotGuardian` (index `2^256 - 1` for the
    ///   sender); `PauseIntentExpired`; the signature errors; `ReadFailed`.
    ///
    /// # Events
    /// * `DepositsPaused(guardian)`.
    pub fn pause_deposits(&mut self, block_number: U256, signature: Bytes) -> Result<()> {
        self.init.only_initialized()?;
        if self.paused.get() {
            return Err(DepositsArePaused {}.into());
        }
        let guardian = if signature.is_empty() {
            self.vm().msg_sender()
        } else {
            let current = self.current_block()?;
            let valid_until =
                block_number.saturating_add(U256::from(self.pause_intent_validity.get()));
            if block_number > current || valid_until < current {
                return Err(PauseIntentExpired {
                    blockNumber: block_number,
                    validUntil: valid_until,
                }
                .into());
            }
            let digest = self.pause_digest(block_number);
            recover_packed(self.vm(), digest, &signature).map_err(|e| signature_error(0, e))?
        };
        if !self.is_guardian(guardian) {
            return Err(NotGuardian { index: U256::MAX, signer: guardian }.into());
        }
        self.paused.set(true);
        self.vm().log(DepositsPaused { guardian });
        Ok(())
    }

    /// Resumes deposits.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` without `DEFAULT_ADMIN_ROLE`; `DepositsNotPaused`.
    ///
    /// # Events
    /// * `DepositsUnpaused`.
    pub fn unpause_deposits(&mut self) -> Result<()> {
        self.only_admin()?;
        if !self.paused.get() {
            return Err(DepositsNotPaused {}.into());
        }
        self.paused.set(false);
        self.vm().log(DepositsUnpaused {});
        Ok(())
    }

    /// Whether deposits are paused.
    pub fn is_deposits_paused(&self) -> bool {
        self.paused.get()
    }

    /// Blocks a signed pause stays valid for.
    pub fn get_pause_intent_validity_period_blocks(&self) -> u64 {
        self.pause_intent_validity.get().to::<u64>()
    }

    /// Sets how many blocks a signed pause stays valid for.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount`; `InvalidPauseIntentValidity` for 0.
    ///
    /// # Events
    /// * `PauseIntentValidityPeriodBlocksChanged`.
    pub fn set_pause_intent_validity_period_blocks(&mut self, blocks: u64) -> Result<()> {
        self.only_admin()?;
        if blocks == 0 {
            return Err(InvalidPauseIntentValidity { blocks: U256::ZERO }.into());
        }
        self.set_validity_unchecked(blocks);
        Ok(())
    }

    // ---- Guardians (DEFAULT_ADMIN_ROLE) ----

    /// Adds `guardian` and sets the quorum to `quorum`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount`; `ZeroAddress`; `GuardianAlreadyAdded`;
    ///   `TooManyGuardians`; `InvalidQuorum` for 0.
    ///
    /// # Events
    /// * `GuardianAdded(guardian, quorum)`, `GuardianQuorumChanged` if it changed.
    pub fn add_guardian(&mut self, guardian: Address, quorum: U256) -> Result<()> {
        self.only_admin()?;
        let quorum = check_quorum(quorum)?;
        if guardian.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if self.is_guardian(guardian) {
            return Err(GuardianAlreadyAdded { guardian }.into());
        }
        let count = self.guardians.len() as u64;
        if count >= MAX_GUARDIANS {
            return Err(TooManyGuardians { max: U256::from(MAX_GUARDIANS) }.into());
        }
        self.guardians.push(guardian);
        self.guardian_position.setter(guardian).set(U64::from(count + 1));
        self.vm().log(GuardianAdded { guardian, quorum: U256::from(quorum) });
        self.set_quorum_if_changed(quorum);
        Ok(())
    }

    /// Removes `guardian` and sets the quorum to `quorum`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount`; `GuardianNotFound`; `InvalidQuorum` for 0.
    ///
    /// # Events
    /// * `GuardianRemoved(guardian, quorum)`, `GuardianQuorumChanged` if it changed.
    pub fn remove_guardian(&mut self, guardian: Address, quorum: U256) -> Result<()> {
        self.only_admin()?;
        let quorum = check_quorum(quorum)?;
        let position = self.guardian_position.get(guardian).to::<u64>();
        let Some(index) = position.checked_sub(1) else {
            return Err(GuardianNotFound { guardian }.into());
        };
        // Swap the last guardian into the place and shrink the list.
        let last = self.guardians.len().saturating_sub(1);
        if let Some(moved) = self.guardians.get(last) {
            if index as usize != last {
                if let Some(mut slot) = self.guardians.setter(index as usize) {
                    slot.set(moved);
                }
                self.guardian_position.setter(moved).set(U64::from(position));
            }
        }
        self.guardians.erase_last();
        self.guardian_position.delete(guardian);
        self.vm().log(GuardianRemoved { guardian, quorum: U256::from(quorum) });
        self.set_quorum_if_changed(quorum);
        Ok(())
    }

    /// Sets the quorum. A quorum above the guardian count is allowed: it stops deposits.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount`; `InvalidQuorum` for 0.
    ///
    /// # Events
    /// * `GuardianQuorumChanged` if it changed.
    pub fn set_guardian_quorum(&mut self, quorum: U256) -> Result<()> {
        self.only_admin()?;
        let quorum = check_quorum(quorum)?;
        self.set_quorum_if_changed(quorum);
        Ok(())
    }

    /// The guardians, in the order kept (removal moves the last into the gap).
    pub fn get_guardians(&self) -> Vec<Address> {
        (0..self.guardians.len()).filter_map(|i| self.guardians.get(i)).collect()
    }

    /// Signatures a deposit needs.
    pub fn get_guardian_quorum(&self) -> U256 {
        U256::from(self.quorum.get().to::<u64>())
    }

    /// Whether `account` is a guardian.
    pub fn is_guardian(&self, account: Address) -> bool {
        self.guardian_position.get(account) != U64::ZERO
    }

    /// `(pool, stakingModule, depositContract)`.
    pub fn get_guard_contracts(&self) -> (Address, Address, Address) {
        (self.pool.get(), self.staking_module.get(), self.deposit_contract.get())
    }

    // ---- Roles ----

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// * `RoleGranted` if `account` did not hold it.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<()> {
        Ok(self.access.grant_role(role, account)?)
    }

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller holds the role's admin role.
    ///
    /// # Events
    /// * `RoleRevoked` if `account` held it.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<()> {
        Ok(self.access.revoke_role(role, account)?)
    }

    /// Gives up the caller's `role`.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation` if `confirmation` is not the caller.
    ///
    /// # Events
    /// * `RoleRevoked` if the caller held it.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<()> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}

impl DepositGuard {
    /// Everything `depositBufferedEther` checks before calling the pool.
    fn check_attestation(
        &self,
        block_number: U256,
        block_hash: B256,
        deposit_root: B256,
        nonce: U256,
        signatures: &[Bytes],
    ) -> Result<()> {
        self.init.only_initialized()?;
        if self.paused.get() {
            return Err(DepositsArePaused {}.into());
        }
        let actual_hash = self.block_hash(block_number)?;
        if actual_hash != block_hash {
            return Err(BlockHashMismatch {
                blockNumber: block_number,
                actual: actual_hash,
                attested: block_hash,
            }
            .into());
        }
        let target = self.deposit_contract.get();
        let out = self.read(target, &IDepositContract::get_deposit_rootCall {}.abi_encode())?;
        let root = IDepositContract::get_deposit_rootCall::abi_decode_returns(&out)
            .map_err(|_| ReadFailed { target })?;
        if root != deposit_root {
            return Err(DepositRootChanged { actual: root, attested: deposit_root }.into());
        }
        let module = self.staking_module.get();
        let out = self.read(module, &IStakingModuleNonce::getNonceCall {}.abi_encode())?;
        let module_nonce = IStakingModuleNonce::getNonceCall::abi_decode_returns(&out)
            .map_err(|_| ReadFailed { target: module })?;
        if module_nonce != nonce {
            return Err(ModuleNonceChanged { actual: module_nonce, attested: nonce }.into());
        }
        let digest = self.attest_digest(block_number, block_hash, deposit_root, nonce);
        self.verify_quorum(digest, signatures)?;

        Ok(())
    }

    fn only_admin(&self) -> Result<()> {
        self.init.only_initialized()?;
        Ok(self.access.only_role(DEFAULT_ADMIN_ROLE, self.vm().msg_sender())?)
    }

    /// `keccak256(abi.encode(message, chainId, this))`: binds a message to this guard.
    fn prefix(&self, message: B256) -> B256 {
        let chain = B256::from(U256::from(self.vm().chain_id()));
        let this = self.vm().contract_address().into_word();
        keccak256([message, chain, this].concat())
    }

    fn read(&self, target: Address, data: &[u8]) -> Result<Vec<u8>> {
        static_call(self.vm(), Call::new(), target, data).map_err(|_| ReadFailed { target }.into())
    }

    fn current_block(&self) -> Result<U256> {
        let out = self.read(ARB_SYS, &IArbSys::arbBlockNumberCall {}.abi_encode())?;
        IArbSys::arbBlockNumberCall::abi_decode_returns(&out)
            .map_err(|_| ReadFailed { target: ARB_SYS }.into())
    }

    /// The hash of `block_number`, one of the last 256 blocks (ArbSys refuses others).
    fn block_hash(&self, block_number: U256) -> Result<B256> {
        let data = IArbSys::arbBlockHashCall { arbBlockNum: block_number }.abi_encode();
        let out = static_call(self.vm(), Call::new(), ARB_SYS, &data)
            .map_err(|_| UnknownBlock { blockNumber: block_number })?;
        IArbSys::arbBlockHashCall::abi_decode_returns(&out)
            .map_err(|_| ReadFailed { target: ARB_SYS }.into())
    }

    /// Checks that `signatures` hold at least a quorum of distinct guardians' signatures over
    /// `digest`, in strictly ascending signer order.
    fn verify_quorum(&self, digest: B256, signatures: &[Bytes]) -> Result<()> {
        let mut previous: Option<Address> = None;
        for (i, sig) in signatures.iter().enumerate() {
            let signer =
                recover_packed(self.vm(), digest, sig).map_err(|e| signature_error(i, e))?;
            let index = U256::from(i);
            if let Some(previous) = previous {
                if signer == previous {
                    return Err(DuplicateSigner { index, signer }.into());
                }
                if signer < previous {
                    return Err(SignersNotAscending { index, signer, previous }.into());
                }
            }
            if !self.is_guardian(signer) {
                return Err(NotGuardian { index, signer }.into());
            }
            previous = Some(signer);
        }
        let quorum = self.quorum.get().to::<u64>();
        if (signatures.len() as u64) < quorum {
            return Err(QuorumNotReached {
                signatures: U256::from(signatures.len()),
                quorum: U256::from(quorum),
            }
            .into());
        }
        Ok(())
    }

    fn set_quorum_if_changed(&mut self, quorum: u64) {
        if self.quorum.get().to::<u64>() != quorum {
            self.set_quorum_unchecked(quorum);
        }
    }

    fn set_quorum_unchecked(&mut self, quorum: u64) {
        self.quorum.set(U64::from(quorum));
        self.vm().log(GuardianQuorumChanged { quorum: U256::from(quorum) });
    }

    fn set_validity_unchecked(&mut self, blocks: u64) {
        self.pause_intent_validity.set(U64::from(blocks));
        self.vm().log(PauseIntentValidityPeriodBlocksChanged { blocks: U256::from(blocks) });
    }
}

/// A quorum of at least 1 that fits the counter.
fn check_quorum(quorum: U256) -> Result<u64> {
    match u64::try_from(quorum) {
        Ok(q) if q > 0 => Ok(q),
        _ => Err(InvalidQuorum { quorum }.into()),
    }
}

/// Signature `index`'s recovery failure as the guard's error.
fn signature_error(index: usize, e: signature::Error) -> DepositGuardError {
    let index = U256::from(index);
    match e {
        signature::Error::InvalidSignatureS(e) => InvalidSignatureS { index, s: e.s }.into(),
        signature::Error::InvalidSignatureV(e) => InvalidSignatureV { index, v: e.v }.into(),
        signature::Error::InvalidSignatureLength(e) => {
            InvalidSignatureLength { index, length: e.length }.into()
        }
        signature::Error::InvalidSignature(_) => InvalidSignature { index }.into(),
    }
}
