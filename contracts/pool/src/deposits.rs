//! Deposits of buffered ETH through the staking module (which makes the beacon deposits).

use alloy_primitives::{Uint, U256};
use alloy_sol_types::{SolCall, SolEvent as _};
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
};
use tidepool_common::abi::{emit, AsWord};

use crate::{
    errors::*,
    events::*,
    interfaces::{IStakingModule, IWithdrawalQueue},
    Pool, PoolError, DEPOSIT_SIZE,
};

impl Pool {
    /// Buffered ETH minus the ETH that unfinalised withdrawal requests are owed.
    pub(crate) fn depositable_ether(&self) -> Result<U256, PoolError> {
        let queue = self.withdrawal_queue.get();
        let call = IWithdrawalQueue::unfinalizedStETHCall {}.abi_encode();
        let out = static_call(self.vm(), Call::new(), queue, &call)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        let reserved = IWithdrawalQueue::unfinalizedStETHCall::abi_decode_returns(&out)
            .map_err(|_| WithdrawalQueueCallFailed {})?;
        Ok(self.buffered_ether().saturating_sub(reserved))
    }

    pub(crate) fn deposit_validators(&mut self, validators: U256) -> Result<(), PoolError> {
        self.when_not_stopped()?;
        if validators.is_zero() {
            return Err(ZeroValidators {}.into());
        }
        let depositable = self.depositable_ether()?;
        let amount = validators.checked_mul(DEPOSIT_SIZE).ok_or_else(arithmetic)?;
        if amount > depositable {
            return Err(InsufficientDepositableEther { requested: amount, depositable }.into());
        }
        let deposited = U256::from(self.deposited_validators.get())
            .checked_add(validators)
            .filter(|d| *d <= U256::from(u64::MAX))
            .ok_or_else(arithmetic)?;
        // Effects before the transfer: the module may run code.
        let buffered = self.buffered_ether().checked_sub(amount).ok_or_else(arithmetic)?;
        self.set_buffered_ether(buffered)?;
        self.deposited_validators.set(Uint::saturating_from(deposited));
        emit(self.vm(), &[Unbuffered::SIGNATURE_HASH], &[amount.word()]);
        emit(self.vm(), &[DepositedValidatorsChanged::SIGNATURE_HASH], &[deposited.word()]);

        // The module turns the ETH into one beacon deposit per key, or reverts (and so does
        // this deposit, leaving the buffer as it was).
        let module = self.staking_module.get();
        let data = IStakingModule::depositCall { validators }.abi_encode();
        let vm = self.vm().clone();
        call(&vm, Call::new_payable(self, amount), module, &data)
            .map_err(|_| DepositTransferFailed { stakingModule: module, amount })?;
        Ok(())
    }
}
