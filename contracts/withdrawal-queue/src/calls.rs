//! Calls out of the queue: the pool token (rate views, share transfers, permits), the
//! wrapped token (transfers, unwrapping, permits), ticket receivers, and the request flows
//! built on them.

use alloc::vec::Vec;

use alloy_primitives::{aliases::U64, Address, B256, U256};
use alloy_sol_types::{sol, SolCall as _, SolEvent as _};
use stylus_sdk::{
    call::{static_call, RawCall},
    prelude::*,
};
use tidepool_common::abi::{emit, encode_error, AsWord};
// The pool token and the wrapped token as the queue calls them (tests also match calldata
// against these names).
pub use tidepool_interfaces::{IPool as IPoolToken, IWrapped as IWrappedToken};
use tidepool_math::{
    queue::{ether_at_rate, share_rate, shares_to_pay},
    shares::ether_for_shares,
    SHARE_RATE_PRECISION,
};

use crate::{
    errors::*, events::*, PermitInput, Revert, WithdrawalQueue, MAX_STETH_WITHDRAWAL_AMOUNT,
    MIN_STETH_WITHDRAWAL_AMOUNT,
};

sol! {
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

/// `reason` when the callee said why it failed, `silent()` otherwise.
fn revert_or(reason: Vec<u8>, silent: fn() -> QueueError) -> Revert {
    if reason.is_empty() {
        silent().into()
    } else {
        reason
    }
}

/// `PoolCallFailed`.
pub fn pool_failed() -> QueueError {
    PoolCallFailed {}.into()
}

/// `WrappedCallFailed`.
pub fn wrapped_failed() -> QueueError {
    WrappedCallFailed {}.into()
}

/// The pool's revert data, or `PoolCallFailed` if it gave none.
/// How a refused call out is reported: its revert data, or a queue error when it has none.
type Refusal = fn(Vec<u8>) -> Revert;

pub(crate) fn pool_revert(reason: Vec<u8>) -> Revert {
    revert_or(reason, pool_failed)
}

/// The wrapped token's revert data, or `WrappedCallFailed` if it gave none.
fn wrapped_revert(reason: Vec<u8>) -> Revert {
    revert_or(reason, wrapped_failed)
}

/// Refuses an amount of pooled ETH outside Lido's per-request limits (inclusive).
fn check_amount(amount: U256) -> Result<(), Revert> {
    if amount < MIN_STETH_WITHDRAWAL_AMOUNT {
        return Err(QueueError::from(RequestAmountTooSmall { amountOfStETH: amount }).into());
    }
    if amount > MAX_STETH_WITHDRAWAL_AMOUNT {
        return Err(QueueError::from(RequestAmountTooLarge { amountOfStETH: amount }).into());
    }
    Ok(())
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

    /// A one-word view of `to`; `failed()` if it reverts or answers anything else.
    fn view(
        &self,
        to: Address,
        data: &[u8],
        failed: fn() -> QueueError,
    ) -> Result<U256, QueueError> {
        match static_call(self.vm(), Call::new(), to, data) {
            Ok(out) if out.len() == 32 => Ok(U256::from_be_slice(&out)),
            _ => Err(failed()),
        }
    }

    /// A one-word view of the pool.
    pub(crate) fn pool_view(&self, pool: Address, data: &[u8]) -> Result<U256, QueueError> {
        self.view(pool, data, pool_failed)
    }

    /// `(totalShares, totalPooledEther)` of the pool, in the order `tidepool_math::shares`
    /// takes them: one call for both, as each entry into the pool costs its program's entry
    /// price.
    fn pool_totals(&self, pool: Address) -> Result<(U256, U256), QueueError> {
        let data = IPoolToken::getTotalSharesAndPooledEtherCall::SELECTOR;
        match static_call(self.vm(), Call::new(), pool, &data) {
            Ok(out) if out.len() == 64 => {
                Ok((U256::from_be_slice(&out[..32]), U256::from_be_slice(&out[32..])))
            }
            _ => Err(pool_failed()),
        }
    }

    /// Applies `permit` of `owner` for the queue on `token` (the pool or the wrapped token,
    /// whose `permit` and `allowance` have the same selectors); a failure is forgiven when
    /// the allowance the permit sets is already there, so a front-run permit cannot block
    /// the request. `failed` names the token when it reverts without data.
    pub fn apply_permit(
        &mut self,
        token: Address,
        owner: Address,
        permit: &PermitInput,
        failed: fn() -> QueueError,
    ) -> Result<(), Revert> {
        let this = self.vm().contract_address();
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
        let Err(reason) = self.call_out(token, U256::ZERO, &data) else {
            return Ok(());
        };
        let allowance = self.view(
            token,
            &calldata(IPoolToken::allowanceCall::SELECTOR, &[owner.word(), this.word()]),
            failed,
        )?;
        if allowance >= permit.value {
            Ok(())
        } else {
            Err(revert_or(reason, failed))
        }
    }

    /// The checks every request makes before pricing or taking anything: the queue is
    /// initialised and running, `caller` may give the tickets to `owner`, and there is at
    /// least one amount. Returns the tickets' owner (`caller` for zero).
    fn request_checks(
        &self,
        caller: Address,
        amounts: &[U256],
        owner: Address,
    ) -> Result<Address, Revert> {
        self.init.only_initialized().map_err(QueueError::from)?;
        self.pause.when_resumed().map_err(QueueError::from)?;
        let owner = if owner.is_zero() { caller } else { owner };
        if owner != caller && !self.operator_approvals.getter(owner).get(caller) {
            return Err(QueueError::from(NotApprovedByOwner { caller, owner }).into());
        }
        if amounts.is_empty() {
            return Err(QueueError::from(EmptyArray {}).into());
        }
        Ok(owner)
    }

    /// Creates one request per amount for `owner`, taking the shares from `caller`.
    ///
    /// Each request records the fewest shares that pay its amount at the share rate an
    /// oracle report at the current pool would finalize with (the pool's rate × 1e27, rounded
    /// down, as the oracle computes it): `ceil(amount × 1e27 / rate)`
    /// ([`tidepool_math::queue::shares_to_pay`]). So a ticket pays exactly its amount unless
    /// the rate falls before finalization, like the pool's `transfer`, which delivers at
    /// least the amount; the requester bears the rounding (less than one share per request).
    /// The pool charges the allowance the shares' value rounded up, which is why it must
    /// cover a little more than the amounts (at most one share's worth, rounded up, per
    /// request).
    ///
    /// Never above the caller's shares: when the amounts together fit the caller's balance
    /// (the pool's `balanceOf`, `floor(shares × P / S)`) but their rounded-up shares do not
    /// fit its shares (a whole balance asked for in several requests, at most one share per
    /// request over), the call takes all the caller's shares and the last request gives up
    /// the difference: it keeps its amount as nominal and pays what its shares are worth, a
    /// few wei less. Amounts beyond the balance are refused by the pool
    /// (`InsufficientShares`, for the rounded-up shares), as a transfer beyond it is.
    ///
    /// Order: every check, then the pool transfer, then the requests. The pool is Tidepool's
    /// own token and calls nothing during the transfer, so taking the tokens before writing
    /// the requests (as Lido does) lets nothing run on a half-written queue, and a refused
    /// transfer leaves the queue untouched. The shares are counted, not trusted: the queue's
    /// `sharesOf` is read before and after the transfer, and a pool that delivers other than
    /// it says is refused (`TransferredSharesMismatch`), as for wrapped requests.
    pub fn request(
        &mut self,
        caller: Address,
        amounts: &[U256],
        owner: Address,
    ) -> Result<Vec<U256>, Revert> {
        let owner = self.request_checks(caller, amounts, owner)?;
        for &amount in amounts {
            check_amount(amount)?;
        }

        let pool = self.pool.get();
        let (total_shares, total_pooled) = self.pool_totals(pool)?;
        let rate = share_rate(total_pooled, total_shares).map_err(QueueError::from)?;
        // An amount that buys no whole share at the rate is refused rather than given one,
        // which would cost the requester more than the amount is worth.
        let smallest = rate.div_ceil(SHARE_RATE_PRECISION);
        let mut shares = Vec::with_capacity(amounts.len());
        let (mut total, mut asked) = (U256::ZERO, U256::ZERO);
        for &amount in amounts {
            if amount < smallest {
                return Err(
                    QueueError::from(RequestAmountTooSmall { amountOfStETH: amount }).into()
                );
            }
            let request_shares = shares_to_pay(amount, rate).map_err(QueueError::from)?;
            total = total.checked_add(request_shares).ok_or_else(arithmetic)?;
            asked = asked.checked_add(amount).ok_or_else(arithmetic)?;
            shares.push(request_shares);
        }

        let this = self.vm().contract_address();
        let held =
            self.pool_view(pool, &calldata(IPoolToken::sharesOfCall::SELECTOR, &[caller.word()]))?;
        if total > held {
            let excess = total - held;
            let balance =
                ether_for_shares(held, total_shares, total_pooled).map_err(QueueError::from)?;
            // `shares` has one entry per amount, and there is at least one.
            let last = shares.last_mut().ok_or_else(arithmetic)?;
            // Rounding alone, and the last request keeps at least one share: it gives up the
            // excess. Otherwise the transfer below asks for `total` and the pool refuses.
            if asked <= balance && excess < *last {
                *last -= excess;
                total = held;
            }
        }

        let transfer = calldata(
            IPoolToken::transferSharesFromCall::SELECTOR,
            &[caller.word(), this.word(), total.word()],
        );
        self.pull_shares(pool, total, &[(pool, transfer, pool_revert)], |expected, received| {
            TransferredSharesMismatch { expected, received }.into()
        })?;
        self.record_requests(caller, owner, amounts, &shares)
    }

    /// Creates one request per wrapped amount for `owner`, taking the wrapped tokens from
    /// `caller` and unwrapping them into the pool shares the requests hold.
    ///
    /// One wrapped token is one pool share, so each request records exactly its wrapped
    /// amount as shares, and as nominal ETH what they pay at the share rate an oracle report
    /// at the current pool would finalize with (`floor(shares × rate / 1e27)`, the rate
    /// rounded down as the oracle computes it; at most a wei below the pool's
    /// `getPooledEthByShares`), which must be within the per-request limits. So the ticket
    /// pays exactly its nominal unless the rate falls; valued at the pool's own rounding
    /// instead it could pay a wei less. The queue holds exactly the shares it records: no
    /// rounding dust is gained or lost.
    ///
    /// Order: every check (pricing included), then both pulls (`transferFrom` of the total
    /// to the queue, `unwrap` of it), then a check that the queue's pool shares grew by
    /// exactly the total, then the requests.
    /// * No queue state is written before the pulls: the wrapped token (Tidepool's own)
    ///   calls only the pool, which calls nothing, so no code can run on the queue meanwhile;
    ///   were it otherwise, it would see the queue as it was, and the request ids are read
    ///   only after the pulls, so nothing could take the same ids. A refused pull leaves the
    ///   queue untouched.
    /// * The amounts are priced before the pulls: neither pull moves the rate (the wrapped
    ///   `transferFrom` touches only the wrapper's balances, `unwrap` moves pool shares
    ///   between holders with the pool's `transferShares`, which leaves both totals as they
    ///   are), so the price is the one in force when the requests are written, and an amount
    ///   out of limits fails as early and with the same error as in `request`.
    /// * The shares are counted, not trusted: `unwrap` returns their value, not their
    ///   number, and the wrapped token is an address given at initialisation. Were it a
    ///   wrapper of another pool, or no contract at all (every call "succeeds" without
    ///   data), the queue would record shares it does not hold and finalization would burn
    ///   other requests' shares; reading the queue's `sharesOf` before and after (two views
    ///   of the pool) turns any such mismatch into `UnwrappedSharesMismatch`.
    pub fn request_wrapped(
        &mut self,
        caller: Address,
        wrapped_amounts: &[U256],
        owner: Address,
    ) -> Result<Vec<U256>, Revert> {
        let owner = self.request_checks(caller, wrapped_amounts, owner)?;
        let pool = self.pool.get();
        let (total_shares, total_pooled) = self.pool_totals(pool)?;
        let rate = share_rate(total_pooled, total_shares).map_err(QueueError::from)?;
        let mut amounts = Vec::with_capacity(wrapped_amounts.len());
        let mut total = U256::ZERO;
        for &shares in wrapped_amounts {
            // Rounded down, so the request never claims more ETH than its shares pay. A
            // value past 2^256 (the only failure) saturates, and is too large like any
            // above the maximum.
            let amount = ether_at_rate(shares, rate).unwrap_or(U256::MAX);
            check_amount(amount)?;
            total = total.checked_add(shares).ok_or_else(arithmetic)?;
            amounts.push(amount);
        }

        let (wrapped, this) = (self.wrapped.get(), self.vm().contract_address());
        let pull = calldata(
            IWrappedToken::transferFromCall::SELECTOR,
            &[caller.word(), this.word(), total.word()],
        );
        let unwrap = calldata(IWrappedToken::unwrapCall::SELECTOR, &[total.word()]);
        let pulls = [(wrapped, pull, wrapped_revert as Refusal), (wrapped, unwrap, wrapped_revert)];
        self.pull_shares(pool, total, &pulls, |expected, received| {
            UnwrappedSharesMismatch { expected, received }.into()
        })?;
        self.record_requests(caller, owner, &amounts, wrapped_amounts)
    }

    /// Makes `pulls` (each a contract, its calldata and how to report its refusal), which
    /// must bring exactly `expected` pool shares into the queue, and counts them: the
    /// queue's `sharesOf` is read before and after, and any other number is refused with
    /// `mismatch(expected, received)`. Nothing of the queue is written here.
    fn pull_shares(
        &mut self,
        pool: Address,
        expected: U256,
        pulls: &[(Address, Vec<u8>, Refusal)],
        mismatch: fn(U256, U256) -> QueueError,
    ) -> Result<(), Revert> {
        let this = self.vm().contract_address();
        let shares_of = calldata(IPoolToken::sharesOfCall::SELECTOR, &[this.word()]);
        let before = self.pool_view(pool, &shares_of)?;
        for (to, data, refusal) in pulls {
            self.call_out(*to, U256::ZERO, data).map_err(refusal)?;
        }
        let received = self.pool_view(pool, &shares_of)?.saturating_sub(before);
        if received != expected {
            return Err(mismatch(expected, received).into());
        }
        Ok(())
    }

    /// Writes one request per `(amount, shares)` for `owner` after the last one, with its
    /// ticket and events; returns their ids. Called once the shares are in the queue.
    fn record_requests(
        &mut self,
        caller: Address,
        owner: Address,
        amounts: &[U256],
        shares: &[U256],
    ) -> Result<Vec<U256>, Revert> {
        let mut id = self.counters().0;
        let mut ids = Vec::with_capacity(amounts.len());
        for (&amount, &request_shares) in amounts.iter().zip(shares) {
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
