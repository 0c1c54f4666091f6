//! Checking and applying a report: its frame, its digest, its signatures, its limits.
//!
//! The order is cheapest-refusal first: version and frame (storage only), then signatures
//! (the precompile and one membership read each), then the limits that need the pool's
//! state, then the pool's call and the two limits that need its result.

use alloc::vec::Vec;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use stylus_sdk::prelude::*;
use tidepool_common::{eip712, signature};
use tidepool_math::{oracle, oracle_report, queue::share_rate, rebase_limit::RebaseLimiter};

use crate::{
    errors::*, pool::PoolReport, ExitReport, Oracle, ReportData, Revert, NAME, U64, VERSION,
};

/// `keccak256` of the EIP-712 type of [`ReportData`].
pub const REPORT_DATA_TYPEHASH: B256 = eip712::keccak256_const(
    b"ReportData(uint256 consensusVersion,uint256 refSlot,uint256 numValidators,\
uint256 clBalanceGwei,uint256 withdrawalVaultBalance,uint256 elRewardsVaultBalance,\
uint256[] withdrawalFinalizationBatches,uint256 simulatedShareRate,bool isBunkerMode)",
);
/// `keccak256` of the EIP-712 type of [`ExitReport`].
pub const EXIT_REPORT_TYPEHASH: B256 = eip712::keccak256_const(
    b"ExitReport(uint256 consensusVersion,uint256 refSlot,bytes exitRequests,bytes exitedCounts)",
);
const NAME_HASH: B256 = eip712::keccak256_const(NAME.as_bytes());
const VERSION_HASH: B256 = eip712::keccak256_const(VERSION.as_bytes());

/// Length of an `abi.encode(address, bytes)` head: the address, the offset, the length.
const WRAPPED_HEAD: usize = 96;

impl Oracle {
    /// The EIP-712 digest of `data` under this oracle's domain.
    pub fn report_digest(&self, data: &ReportData) -> B256 {
        let mut batches = Vec::with_capacity(32 * data.withdrawalFinalizationBatches.len());
        for b in &data.withdrawalFinalizationBatches {
            batches.extend_from_slice(&b.to_be_bytes::<32>());
        }
        let words = [
            REPORT_DATA_TYPEHASH,
            data.consensusVersion.into(),
            data.refSlot.into(),
            data.numValidators.into(),
            data.clBalanceGwei.into(),
            data.withdrawalVaultBalance.into(),
            data.elRewardsVaultBalance.into(),
            keccak256(&batches),
            data.simulatedShareRate.into(),
            B256::with_last_byte(data.isBunkerMode as u8),
        ];
        self.typed_data_hash(&words)
    }

    /// The EIP-712 digest of the exit report `data` under this oracle's domain.
    pub fn exit_report_digest(&self, data: &ExitReport) -> B256 {
        self.typed_data_hash(&[
            EXIT_REPORT_TYPEHASH,
            data.consensusVersion.into(),
            data.refSlot.into(),
            keccak256(&data.exitRequests),
            keccak256(&data.exitedCounts),
        ])
    }

    /// The EIP-712 digest of the struct whose encoding is `words` (its type hash first),
    /// under this oracle's domain.
    fn typed_data_hash(&self, words: &[B256]) -> B256 {
        let mut encoded = Vec::with_capacity(32 * words.len());
        for word in words {
            encoded.extend_from_slice(word.as_slice());
        }
        let domain = eip712::domain_separator_from_hashes(
            NAME_HASH,
            VERSION_HASH,
            self.vm().chain_id(),
            self.vm().contract_address(),
        );
        eip712::typed_data_hash(domain, keccak256(encoded))
    }

    /// Checks the version and that `ref_slot` is the current frame's reference slot and above
    /// `last`, the last one applied (the accounting report's or the exit report's: the rule is
    /// the same for both); returns it.
    pub(crate) fn check_frame(
        &self,
        consensus_version: U256,
        ref_slot: U256,
        last: U64,
    ) -> Result<u64, OracleError> {
        let expected = U256::from(self.consensus_version.get());
        if consensus_version != expected {
            return Err(UnexpectedConsensusVersion { expected, received: consensus_version }.into());
        }
        let frame = self.current_frame()?;
        let last = U256::from(last);
        if ref_slot <= last {
            return Err(
                RefSlotAlreadyProcessed { refSlot: ref_slot, lastProcessingRefSlot: last }.into()
            );
        }
        let current = U256::from(frame.ref_slot);
        if ref_slot < current {
            // An earlier frame's report: that frame ended by the current reference slot.
            return Err(ProcessingDeadlineMissed { refSlot: ref_slot, deadline: current }.into());
        }
        if ref_slot != current {
            return Err(UnexpectedRefSlot { expected: current, received: ref_slot }.into());
        }
        Ok(frame.ref_slot)
    }

    /// Checks that `signatures` come from at least a quorum of distinct current members, in
    /// ascending signer order; returns the signers.
    pub(crate) fn verify_signatures(
        &self,
        digest: B256,
        signatures: &[Bytes],
    ) -> Result<Vec<Address>, OracleError> {
        let mut signers: Vec<Address> = Vec::with_capacity(signatures.len());
        for (i, sig) in signatures.iter().enumerate() {
            let signer = self.signer_of(i, digest, sig)?;
            let index = U256::from(i);
            if let Some(&previous) = signers.last() {
                if signer == previous {
                    return Err(DuplicateSigner { index, signer }.into());
                }
                if signer < previous {
                    return Err(SignersNotAscending { index, signer, previous }.into());
                }
            }
            if self.member_position.get(signer) == U64::ZERO {
                return Err(SignerNotMember { index, signer }.into());
            }
            signers.push(signer);
        }
        let quorum: u64 = self.quorum.get().to();
        if (signers.len() as u64) < quorum {
            return Err(QuorumNotReached {
                signatures: U256::from(signers.len()),
                quorum: U256::from(quorum),
            }
            .into());
        }
        Ok(signers)
    }

    /// The account signature `index` is from (see the module docs for the two encodings).
    fn signer_of(&self, index: usize, digest: B256, sig: &[u8]) -> Result<Address, OracleError> {
        if sig.len() == 65 {
            return signature::recover_packed(self.vm(), digest, sig)
                .map_err(|e| signature_error(index, e));
        }
        let Some((member, inner)) = decode_contract_signature(sig) else {
            return Err(InvalidSignatureLength {
                index: U256::from(index),
                length: U256::from(sig.len()),
            }
            .into());
        };
        if self.vm().code_size(member) == 0
            || !signature::is_valid_erc1271_signature_now(self.vm(), member, digest, inner)
        {
            return Err(ContractSignatureRejected { index: U256::from(index), member }.into());
        }
        Ok(member)
    }

    /// Checks the limits, calls the pool, checks what the pool did.
    pub(crate) fn apply_report(&mut self, data: &ReportData, ref_slot: u64) -> Result<(), Revert> {
        let chain = self.chain_config();
        let limits = self.limits();
        let min_interval = limits.min_report_interval;
        let last: u64 = self.last_processing_ref_slot.get().to();
        // The first report covers one frame; later ones the time since the last applied.
        let epochs_per_frame = self.epochs_per_frame.get().to::<u64>();
        let elapsed = oracle_report::time_elapsed(&chain, epochs_per_frame, last, ref_slot)
            .ok_or_else(arithmetic)?;
        if elapsed < min_interval {
            return Err(OracleError::from(ReportTooSoon {
                timeElapsed: U256::from(elapsed),
                minimum: U256::from(min_interval),
            })
            .into());
        }

        // Validators.
        let (deposited, pre_validators, pre_cl_balance) = self.pool_beacon_stat()?;
        let reported = data.numValidators;
        if reported < pre_validators {
            return Err(OracleError::from(ReportedValidatorsDecreased {
                previous: pre_validators,
                reported,
            })
            .into());
        }
        if reported > deposited {
            return Err(OracleError::from(ReportedValidatorsExceedDeposited {
                deposited,
                reported,
            })
            .into());
        }
        let appeared = reported - pre_validators;
        oracle::check_appeared_validators(
            appeared.saturating_to(),
            limits.appeared_validators_per_day_limit,
            elapsed,
        )
        .map_err(OracleError::from)?;

        // Vaults: a report may not claim more than they hold now (they only grow between the
        // reference slot and now, except by the pool's own pulls, which only reports make).
        let (withdrawal_vault, rewards_vault) =
            (self.withdrawal_vault.get(), self.rewards_vault.get());
        let actual = self.vm().balance(withdrawal_vault);
        if data.withdrawalVaultBalance > actual {
            return Err(OracleError::from(IncorrectWithdrawalsVaultBalance {
                reported: data.withdrawalVaultBalance,
                actual,
            })
            .into());
        }
        let actual = self.vm().balance(rewards_vault);
        if data.elRewardsVaultBalance > actual {
            return Err(OracleError::from(IncorrectELRewardsVaultBalance {
                reported: data.elRewardsVaultBalance,
                actual,
            })
            .into());
        }

        // Consensus-layer balance against its principal.
        let cl_balance =
            data.clBalanceGwei.checked_mul(oracle_report::GWEI).ok_or_else(arithmetic)?;
        let principal =
            oracle_report::cl_principal(pre_cl_balance, appeared).ok_or_else(arithmetic)?;
        oracle::check_cl_balance(
            principal,
            cl_balance,
            data.withdrawalVaultBalance,
            limits.annual_balance_increase_bp_limit as u16,
            limits.one_off_cl_balance_decrease_bp_limit as u16,
            elapsed,
        )
        .map_err(OracleError::from)?;

        // The finalisation rate, and what finalisation will take (for the share-rate check).
        let (pre_pooled, pre_shares) = self.pool_totals()?;
        let pre_rate = share_rate(pre_pooled, pre_shares).map_err(OracleError::from)?;
        let finalizing = !data.withdrawalFinalizationBatches.is_empty();
        let max_share_rate =
            oracle_report::finalization_rate(data.simulatedShareRate, pre_rate, data.isBunkerMode);
        let (locked, to_burn, pending_before) = if finalizing {
            let (locked, to_burn) =
                self.queue_prefinalize(&data.withdrawalFinalizationBatches, max_share_rate)?;
            (locked, to_burn, self.pool_shares_pending_burn()?)
        } else {
            (U256::ZERO, U256::ZERO, U256::ZERO)
        };

        // Effects before the call: the frame is spent whatever happens next in this call.
        self.last_processing_ref_slot.set(U64::from(ref_slot));
        let report_timestamp =
            U256::from(oracle_report::report_timestamp(&chain, ref_slot).ok_or_else(arithmetic)?);
        let (post_pooled, post_shares) = self.pool_handle_report(PoolReport {
            report_timestamp,
            time_elapsed: U256::from(elapsed),
            cl_validators: reported,
            cl_balance,
            withdrawal_vault_balance: data.withdrawalVaultBalance,
            el_rewards_vault_balance: data.elRewardsVaultBalance,
            batches: data.withdrawalFinalizationBatches.clone(),
            max_share_rate,
        })?;

        // The rate the report produced before finalisation: finalised ether and the shares
        // burnt for it added back (shares whose burning the pool deferred are still counted
        // in its total).
        let burnt = if finalizing {
            let pending_after = self.pool_shares_pending_burn()?;
            pending_before
                .checked_add(to_burn)
                .and_then(|b| b.checked_sub(pending_after))
                .ok_or_else(arithmetic)?
        } else {
            U256::ZERO
        };
        let (ether, shares) =
            oracle::totals_before_finalization(post_pooled, post_shares, locked, burnt)
                .map_err(OracleError::from)?;
        let actual_rate = share_rate(ether, shares).map_err(OracleError::from)?;
        // As Lido, the simulated rate matters only when it is used: for finalisation.
        if finalizing {
            oracle::check_share_rate(
                data.simulatedShareRate,
                actual_rate,
                limits.simulated_share_rate_deviation_bp_limit as u16,
                data.isBunkerMode,
            )
            .map_err(OracleError::from)?;
        }
        // The pool's own rule from the pool's own cap and the pre-report totals, so its
        // capped result always passes; consensus-layer growth alone may exceed the cap (see
        // `check_positive_rebase`).
        let cap = self.pool_max_positive_rebase()?;
        let limiter = RebaseLimiter::new(cap, pre_pooled, pre_shares).map_err(OracleError::from)?;
        oracle::check_positive_rebase(
            &limiter,
            ether,
            shares,
            cl_balance.saturating_sub(principal),
        )
        .map_err(OracleError::from)?;
        Ok(())
    }
}

fn arithmetic() -> OracleError {
    ArithmeticFailed {}.into()
}

/// `(member, signature)` from exactly `abi.encode(address member, bytes signature)`, or
/// `None` if `sig` is anything else (dirty address bits, another offset, a wrong length).
pub(crate) fn decode_contract_signature(sig: &[u8]) -> Option<(Address, &[u8])> {
    let head = sig.get(..WRAPPED_HEAD)?;
    if head[..12].iter().any(|&b| b != 0) {
        return None;
    }
    let member = Address::from_slice(&head[12..32]);
    if U256::from_be_slice(&head[32..64]) != U256::from(64) {
        return None;
    }
    let len: usize = U256::from_be_slice(&head[64..96]).try_into().ok()?;
    let padded = len.checked_add(31)? / 32 * 32;
    if sig.len() != WRAPPED_HEAD.checked_add(padded)? {
        return None;
    }
    Some((member, &sig[WRAPPED_HEAD..WRAPPED_HEAD + len]))
}
