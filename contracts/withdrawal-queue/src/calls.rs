//! Calls out of the queue: the pool token (rate views, share transfers, permits), ticket
//! receivers, and the request flow built on them.

use alloc::vec::Vec;

use alloy_primitives::{aliases::U64, Address, B256, U256};
use alloy_sol_types::{sol, SolCall as _, SolEvent as _};
use stylus_sdk::{
    call::{static_call, RawCall},
    prelude::*,
};
use tidepool_common::abi::{emit, encode_error, AsWord};
use tidepool_math::shares::shares_for_ether;

use crate::{
    errors::*, events::*, PermitInput, Revert, WithdrawalQueue, MAX_STETH_WITHDRAWAL_AMOUNT,
    MIN_STETH_WITHDRAWAL_AMOUNT,
};

sol! {
    /// The pool token as the queue uses it (see `abi/IPool.sol`).
    interface IPoolToken {
        function getTotalShares() external view returns (uint256);
        function getTotalPooledEther() external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transferSharesFrom(address from, address to, uint256 sharesAmount) external returns (uint256);
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
    }

    /// What `safeTransferFrom` asks a contract receiving a ticket.
    interface IERC721Receiver {
        function onERC721Received(address operator, address from, uint256 tokenId, bytes data) external returns (bytes4);
    }
}

/// Calldata of a function whose arguments are all static: the selector and one word each,
/// the same layout as a custom error's revert data, so one small encoder serves both.
pub fn calldata(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    encode_error(selector, words)
}

/// `reason` when the callee said why it failed, `PoolCallFailed` otherwise.
fn pool_revert(reason: Vec<u8>) -> Revert {
    if reason.is_empty() {
        QueueError::from(PoolCallFailed {}).into()
    } else {
        reason
    }
}

impl WithdrawalQueue {
    /// A mutating call with `value` wei; its output, or its revert data.
    pub fn call_out(&self, to: Address, value: U256, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        // SAFETY: what `stylus_sdk::call::call` does, whose context type needs the top-level
        // storage type, which this struct is only in the queue's own build. The cache is
        // flushed and cleared first, so the callee and anything it calls see every write of
        // this frame, and this frame reads fresh values afterwards.
        #[allow(unsafe_code)]
        unsafe {
            RawCall::new_with_value(self.vm(), value).clear_storage_cache().call(to, data)
        }
    }

    /// A one-word view of the pool.
    fn pool_view(&self, pool: Address, data: &[u8]) -> Result<U256, QueueError> {
        match static_call(self.vm(), Call::new(), pool, data) {
            Ok(out) if out.len() == 32 => Ok(U256::from_be_slice(&out)),
            _ => Err(PoolCallFailed {}.into()),
        }
    }

    /// Applies `permit` of `owner` for the queue; a failure is forgiven when the allowance
    /// the permit sets is already there, so a front-run permit cannot block the request.
    pub fn apply_permit(&mut self, owner: Address, permit: &PermitInput) -> Result<(), Revert> {
        let (pool, this) = (self.pool.get(), self.vm().contract_address());
        let data = calldata(
            IPoolToken::permitCall::SELECTOR,
            &[
                owner.word(),
                this.word(),
                permit.value.word(),
                permit.deadline.word(),
                permit.v.word(),
                permit.r.word(),
                permit.s.word(),
            ],
        );
        let Err(reason) = self.call_out(pool, U256::ZERO, &data) else {
            return Ok(());
        };
        let allowance = self.pool_view(
            pool,
            &calldata(IPoolToken::allowanceCall::SELECTOR, &[owner.word(), this.word()]),
        )?;
        if allowance >= permit.value {
            Ok(())
        } else {
            Err(pool_revert(reason))
        }
    }

    /// Creates one request per amount for `owner`, taking the shares from `caller`.
    ///
    /// Order: every check, then the pool transfer, then the requests. The pool is Tidepool's
    /// own token and calls nothing during the transfer, so taking the tokens before writing
    /// the requests (as Lido does) lets nothing run on a half-written queue, and a refused
    /// transfer leaves the queue untouched.
    pub fn request(
        &mut self,
        caller: Address,
        amounts: &[U256],
        owner: Address,
    ) -> Result<Vec<U256>, Revert> {
        self.init.only_initialized().map_err(QueueError::from)?;
        self.pause.when_resumed().map_err(QueueError::from)?;
        let owner = if owner.is_zero() { caller } else { owner };
        if owner != caller && !self.operator_approvals.getter(owner).get(caller) {
            return Err(QueueError::from(NotApprovedByOwner { caller, owner }).into());
        }
        if amounts.is_empty() {
            return Err(QueueError::from(EmptyArray {}).into());
        }
        for &amount in amounts {
            if amount < MIN_STETH_WITHDRAWAL_AMOUNT {
                return Err(
                    QueueError::from(RequestAmountTooSmall { amountOfStETH: amount }).into()
                );
            }
            if amount > MAX_STETH_WITHDRAWAL_AMOUNT {
                return Err(
                    QueueError::from(RequestAmountTooLarge { amountOfStETH: amount }).into()
                );
            }
        }

        let pool = self.pool.get();
        let total_shares = self.pool_view(pool, &IPoolToken::getTotalSharesCall::SELECTOR)?;
        let total_pooled = self.pool_view(pool, &IPoolToken::getTotalPooledEtherCall::SELECTOR)?;
        let mut shares = Vec::with_capacity(amounts.len());
        let mut total = U256::ZERO;
        for &amount in amounts {
            // Rounded down, as the pool values shares: the request never records more shares
            // than its amount buys.
            let request_shares =
                shares_for_ether(amount, total_shares, total_pooled).map_err(QueueError::from)?;
            if request_shares.is_zero() {
                return Err(
                    QueueError::from(RequestAmountTooSmall { amountOfStETH: amount }).into()
                );
            }
            total = total.checked_add(request_shares).ok_or_else(arithmetic)?;
            shares.push(request_shares);
        }

        let this = self.vm().contract_address();
        let transfer = calldata(
            IPoolToken::transferSharesFromCall::SELECTOR,
            &[caller.word(), this.word(), total.word()],
        );
        self.call_out(pool, U256::ZERO, &transfer).map_err(pool_revert)?;

        let mut id = self.counters().0;
        let mut ids = Vec::with_capacity(amounts.len());
        for (&amount, &request_shares) in amounts.iter().zip(&shares) {
            id = id.checked_add(1).ok_or_else(arithmetic)?;
            self.enqueue(id, amount, request_shares, owner)?;
            let token = U256::from(id);
            emit(
                self.vm(),
                &[WithdrawalRequested::SIGNATURE_HASH, token.word(), caller.word(), owner.word()],
                &[amount.word(), request_shares.word()],
            );
            emit(
                self.vm(),
                &[Transfer::SIGNATURE_HASH, Address::ZERO.word(), owner.word(), token.word()],
                &[],
            );
            ids.push(token);
        }
        self.last_request_id.set(U64::from(id));
        Ok(ids)
    }
}
