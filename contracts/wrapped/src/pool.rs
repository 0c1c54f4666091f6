//! Calls to the pool (its interface is public for tests and tools). Its reverts are passed on as they are, so a caller sees the pool's
//! own error (`ERC20InsufficientAllowance`, `ProtocolStopped`, `StakeLimitExceeded`, ...)
//! rather than a generic one; views must answer one ABI word.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
};
// Public: tests match the calldata sent to the pool against it.
pub use tidepool_interfaces::IPool;

use crate::{errors::*, Revert, Wrapped};

pub(crate) fn transfer(to: Address, amount: U256) -> Vec<u8> {
    IPool::transferCall { to, amount }.abi_encode()
}

pub(crate) fn transfer_from(from: Address, to: Address, amount: U256) -> Vec<u8> {
    IPool::transferFromCall { from, to, amount }.abi_encode()
}

pub(crate) fn transfer_shares(to: Address, shares_amount: U256) -> Vec<u8> {
    IPool::transferSharesCall { to, shares_amount }.abi_encode()
}

/// The single word a view or call returned.
fn word(out: &[u8]) -> Result<U256, Revert> {
    match out.get(..32) {
        Some(word) if out.len() == 32 => Ok(U256::from_be_slice(word)),
        _ => Err(WrappedError::from(PoolAnswerMalformed {}).into()),
    }
}

impl Wrapped {
    fn pool_view(&self, data: &[u8]) -> Result<U256, Revert> {
        let out =
            static_call(self.vm(), Call::new(), self.pool.get(), data).map_err(Vec::<u8>::from)?;
        word(&out)
    }

    /// `(totalShares, totalPooledEther)`, in the order `tidepool_math::shares` takes them:
    /// one call (`getTotalSharesAndPooledEther`), so a conversion enters the pool once.
    pub(crate) fn pool_totals(&self) -> Result<(U256, U256), Revert> {
        let data = IPool::getTotalSharesAndPooledEtherCall {}.abi_encode();
        let out =
            static_call(self.vm(), Call::new(), self.pool.get(), &data).map_err(Vec::<u8>::from)?;
        match (out.get(..32), out.get(32..64)) {
            (Some(shares), Some(pooled)) if out.len() == 64 => {
                Ok((U256::from_be_slice(shares), U256::from_be_slice(pooled)))
            }
            _ => Err(WrappedError::from(PoolAnswerMalformed {}).into()),
        }
    }

    pub(crate) fn pool_balance_of(&self, account: Address) -> Result<U256, Revert> {
        self.pool_view(&IPool::balanceOfCall { account }.abi_encode())
    }

    /// The pool's withdrawal queue (the second of `getProtocolContracts`' six addresses).
    pub(crate) fn pool_queue(&self) -> Result<Address, Revert> {
        let data = IPool::getProtocolContractsCall {}.abi_encode();
        let out =
            static_call(self.vm(), Call::new(), self.pool.get(), &data).map_err(Vec::<u8>::from)?;
        match out.get(44..64) {
            Some(queue) if out.len() == 6 * 32 => Ok(Address::from_slice(queue)),
            _ => Err(WrappedError::from(PoolAnswerMalformed {}).into()),
        }
    }

    pub(crate) fn pool_stopped(&self) -> Result<bool, Revert> {
        Ok(!self.pool_view(&IPool::isStoppedCall {}.abi_encode())?.is_zero())
    }

    /// Runs a state-changing pool call with `value` wei; returns its word.
    pub(crate) fn pool_call(&mut self, data: Vec<u8>, value: U256) -> Result<U256, Revert> {
        let pool = self.pool.get();
        let vm = self.vm().clone();
        let out =
            call(&vm, Call::new_payable(self, value), pool, &data).map_err(Vec::<u8>::from)?;
        word(&out)
    }

    /// Stakes `value` wei in the pool for the wrapper; returns the shares minted.
    pub(crate) fn pool_submit(&mut self, value: U256) -> Result<U256, Revert> {
        self.pool_call(IPool::submitCall { referral: Address::ZERO }.abi_encode(), value)
    }
}
