//! Calls to the pool and the withdrawal queue. Their reverts are passed on as they are, so a
//! submitter sees the pool's own error (`ProtocolStopped`, `InsufficientEtherToFinalize`, ...);
//! answers must have exactly the expected number of words.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
};
use tidepool_interfaces::{IPool, IStakingModule, IWithdrawalQueue};

use crate::{errors::*, ExitReport, Oracle, Revert};

/// The arguments of `handleOracleReport`.
pub(crate) struct PoolReport {
    pub report_timestamp: U256,
    pub time_elapsed: U256,
    pub cl_validators: U256,
    pub cl_balance: U256,
    pub withdrawal_vault_balance: U256,
    pub el_rewards_vault_balance: U256,
    pub batches: Vec<U256>,
    pub max_share_rate: U256,
}

/// The `N` words of an answer that must be exactly `N` words long.
fn words<const N: usize>(out: &[u8]) -> Result<[U256; N], Revert> {
    if out.len() != 32 * N {
        return Err(OracleError::from(PoolAnswerMalformed {}).into());
    }
    let mut words = [U256::ZERO; N];
    for (w, chunk) in words.iter_mut().zip(out.chunks_exact(32)) {
        *w = U256::from_be_slice(chunk);
    }
    Ok(words)
}

/// Calldata `selector ‖ head ‖ len(tail) ‖ tail`: a call whose one dynamic argument, a
/// `uint256[]`, comes last (its offset is in `head`). Written by hand so the contract does
/// not carry alloy's generic encoder for each call.
fn encode(selector: [u8; 4], head: &[U256], tail: &[U256]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * (head.len() + 1 + tail.len()));
    data.extend_from_slice(&selector);
    for w in head.iter().chain(core::iter::once(&U256::from(tail.len()))).chain(tail) {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data
}

/// Calldata `selector ‖ abi.encode(bytes a, bytes b)`, by hand as [`encode`]: two offsets,
/// then each byte string's length and its bytes padded to whole words.
fn encode_bytes_pair(selector: [u8; 4], a: &[u8], b: &[u8]) -> Vec<u8> {
    let padded = |n: usize| n.div_ceil(32) * 32;
    let mut data = Vec::with_capacity(4 + 32 * 4 + padded(a.len()) + padded(b.len()));
    data.extend_from_slice(&selector);
    let word = |data: &mut Vec<u8>, n: usize| {
        data.extend_from_slice(&U256::from(n).to_be_bytes::<32>());
    };
    word(&mut data, 64);
    word(&mut data, 64 + 32 + padded(a.len()));
    for part in [a, b] {
        word(&mut data, part.len());
        data.extend_from_slice(part);
        data.resize(data.len() + padded(part.len()) - part.len(), 0);
    }
    data
}

fn address(word: U256) -> Address {
    Address::from_word(word.into())
}

impl Oracle {
    fn view<const N: usize>(&self, to: Address, data: &[u8]) -> Result<[U256; N], Revert> {
        let out = static_call(self.vm(), Call::new(), to, data).map_err(Vec::<u8>::from)?;
        words(&out)
    }

    /// `(withdrawalVault, rewardsVault, withdrawalQueue)` of `pool`.
    pub fn pool_contracts(&self, pool: Address) -> Result<(Address, Address, Address), Revert> {
        let [_oracle, queue, withdrawal_vault, rewards_vault, _treasury, _module] =
            self.view::<6>(pool, &IPool::getProtocolContractsCall::SELECTOR)?;
        Ok((address(withdrawal_vault), address(rewards_vault), address(queue)))
    }

    /// The staking module the pool deposits to, which must hold code (a call to an address
    /// without code would succeed doing nothing).
    pub(crate) fn pool_staking_module(&self) -> Result<Address, Revert> {
        let [.., module] =
            self.view::<6>(self.pool.get(), &IPool::getProtocolContractsCall::SELECTOR)?;
        let module = address(module);
        if self.vm().code_size(module) == 0 {
            return Err(OracleError::from(InvalidStakingModule { stakingModule: module }).into());
        }
        Ok(module)
    }

    /// Calls the module's `processExitReport` with the report's two lists.
    pub(crate) fn module_process_exit_report(
        &mut self,
        module: Address,
        data: &ExitReport,
    ) -> Result<(), Revert> {
        let calldata = encode_bytes_pair(
            IStakingModule::processExitReportCall::SELECTOR,
            &data.exitRequests,
            &data.exitedCounts,
        );
        let vm = self.vm().clone();
        call(&vm, Call::new_mutating(self), module, &calldata).map_err(Vec::<u8>::from)?;
        Ok(())
    }

    /// `(depositedValidators, beaconValidators, beaconBalance)`.
    pub(crate) fn pool_beacon_stat(&self) -> Result<(U256, U256, U256), Revert> {
        let [d, v, b] = self.view::<3>(self.pool.get(), &IPool::getBeaconStatCall::SELECTOR)?;
        Ok((d, v, b))
    }

    /// `(totalPooledEther, totalShares)`.
    pub(crate) fn pool_totals(&self) -> Result<(U256, U256), Revert> {
        // One call for both: each entry into the pool costs its program's entry price.
        let [shares, pooled] =
            self.view::<2>(self.pool.get(), &IPool::getTotalSharesAndPooledEtherCall::SELECTOR)?;
        Ok((pooled, shares))
    }

    /// The pool's positive-rebase cap (1e9 = 100%): the one setting both the pool's smoothing
    /// and the oracle's check use. A value beyond 64 bits is no answer of the pool's.
    pub(crate) fn pool_max_positive_rebase(&self) -> Result<u64, Revert> {
        let [cap] = self.view::<1>(self.pool.get(), &IPool::getMaxPositiveRebaseCall::SELECTOR)?;
        u64::try_from(cap).map_err(|_| OracleError::from(PoolAnswerMalformed {}).into())
    }

    pub(crate) fn pool_shares_pending_burn(&self) -> Result<U256, Revert> {
        let [pending] =
            self.view::<1>(self.pool.get(), &IPool::getSharesPendingBurnCall::SELECTOR)?;
        Ok(pending)
    }

    /// `(ethToLock, sharesToBurn)` for finalising `batches` at `max_share_rate`: what the
    /// pool will ask the queue in the same transaction.
    pub(crate) fn queue_prefinalize(
        &self,
        batches: &[U256],
        max_share_rate: U256,
    ) -> Result<(U256, U256), Revert> {
        let data = encode(
            IWithdrawalQueue::prefinalizeCall::SELECTOR,
            &[U256::from(64), max_share_rate],
            batches,
        );
        let [locked, burn] = self.view::<2>(self.withdrawal_queue.get(), &data)?;
        Ok((locked, burn))
    }

    /// Calls `handleOracleReport`; returns `(postTotalPooledEther, postTotalShares)`.
    pub(crate) fn pool_handle_report(&mut self, r: PoolReport) -> Result<(U256, U256), Revert> {
        // Six values, the offset of the batches (eight head words), the rate.
        let data = encode(
            IPool::handleOracleReportCall::SELECTOR,
            &[
                r.report_timestamp,
                r.time_elapsed,
                r.cl_validators,
                r.cl_balance,
                r.withdrawal_vault_balance,
                r.el_rewards_vault_balance,
                U256::from(8 * 32),
                r.max_share_rate,
            ],
            &r.batches,
        );
        let pool = self.pool.get();
        let vm = self.vm().clone();
        let out = call(&vm, Call::new_mutating(self), pool, &data).map_err(Vec::<u8>::from)?;
        let [pooled, shares, _withdrawals, _el_rewards] = words::<4>(&out)?;
        Ok((pooled, shares))
    }
}
