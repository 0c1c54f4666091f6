//! The ERC-721 side: who holds which ticket, approvals, transfers.
//!
//! A ticket is its request: the request's `owner` field is the ticket's owner and the
//! request's `claimed` flag is its burning. Each owner's tickets are also kept in a list
//! (`owned`) for `balanceOf` and `getWithdrawalRequests`; the request remembers its place in
//! that list, so taking a ticket out is a swap with the owner's last one, O(1) whatever the
//! owner holds.

use alloc::vec::Vec;

use alloy_primitives::{aliases::U40, aliases::U64, Address, U256};
use alloy_sol_types::{SolCall as _, SolEvent as _};
use stylus_sdk::prelude::*;
use tidepool_common::abi::{emit, AsWord};

use crate::{calls::IERC721Receiver, errors::*, events::*, Revert, WithdrawalQueue};

impl WithdrawalQueue {
    /// `(id, owner)` of the unclaimed ticket `token_id`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken` for id 0, an id above the last request, or a claimed one.
    pub fn live_ticket(&self, token_id: U256) -> Result<(u64, Address), QueueError> {
        let last = self.counters().0;
        if let Ok(id) = u64::try_from(token_id) {
            if id != 0 && id <= last {
                let request = self.requests.getter(id);
                if !request.claimed.get() {
                    return Ok((id, request.owner.get()));
                }
            }
        }
        Err(ERC721NonexistentToken { tokenId: token_id }.into())
    }

    /// Whether `spender` may move or claim ticket `id` of `owner`.
    pub fn is_authorized(&self, owner: Address, spender: Address, id: u64) -> bool {
        spender == owner
            || self.operator_approvals.getter(owner).get(spender)
            || self.token_approvals.get(id) == spender
    }

    /// Appends ticket `id` to `owner`'s list and records `owner` and the place on the
    /// request.
    pub fn add_ticket(&mut self, owner: Address, id: u64) -> Result<(), QueueError> {
        let mut list = self.owned.setter(owner);
        let index = U40::from(u32::try_from(list.len()).map_err(|_| arithmetic())?);
        list.push(U64::from(id));
        let mut request = self.requests.setter(id);
        request.owner.set(owner);
        request.owner_index.set(index);
        Ok(())
    }

    /// Takes ticket `id` out of `owner`'s list: the owner's last ticket takes its place.
    pub fn remove_ticket(&mut self, owner: Address, id: u64) -> Result<(), QueueError> {
        let index = self.requests.getter(id).owner_index.get().as_limbs()[0];
        let mut list = self.owned.setter(owner);
        let last = list.len().checked_sub(1).ok_or_else(arithmetic)?;
        let index = usize::try_from(index).map_err(|_| arithmetic())?;
        if index != last {
            let moved = list.get(last).ok_or_else(arithmetic)?;
            list.setter(index).ok_or_else(arithmetic)?.set(moved);
            let moved_index = U40::from(u32::try_from(index).map_err(|_| arithmetic())?);
            self.requests.setter(moved.as_limbs()[0]).owner_index.set(moved_index);
        }
        list.pop();
        Ok(())
    }

    /// Forgets ticket `id`'s approved address, writing only if one is set.
    pub fn clear_approval(&mut self, id: u64) {
        if !self.token_approvals.get(id).is_zero() {
            self.token_approvals.setter(id).set(Address::ZERO);
        }
    }

    /// `transferFrom`: checks, then moves the ticket and emits `Transfer`.
    pub fn transfer(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), QueueError> {
        if to.is_zero() || to == self.vm().contract_address() {
            return Err(ERC721InvalidReceiver { receiver: to }.into());
        }
        let (id, owner) = self.live_ticket(token_id)?;
        if from != owner {
            return Err(ERC721IncorrectOwner { sender: from, tokenId: token_id, owner }.into());
        }
        let caller = self.vm().msg_sender();
        if !self.is_authorized(owner, caller, id) {
            return Err(ERC721InsufficientApproval { operator: caller, tokenId: token_id }.into());
        }
        self.clear_approval(id);
        self.remove_ticket(from, id)?;
        self.add_ticket(to, id)?;
        emit(self.vm(), &[Transfer::SIGNATURE_HASH, from.word(), to.word(), token_id.word()], &[]);
        Ok(())
    }

    /// `safeTransferFrom`: the transfer, then the receiver's consent. Nothing is read after
    /// the receiver's call, so whatever it does meanwhile (it may call the queue) cannot make
    /// this frame act on stale state.
    pub fn safe_transfer(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
        data: &[u8],
    ) -> Result<(), Revert> {
        self.transfer(from, to, token_id)?;
        if self.vm().code_size(to) == 0 {
            return Ok(());
        }
        let operator = self.vm().msg_sender();
        let calldata = on_erc721_received_calldata(operator, from, token_id, data);
        let refused =
            || -> Revert { QueueError::from(ERC721InvalidReceiver { receiver: to }).into() };
        match self.call_out(to, U256::ZERO, &calldata) {
            Ok(out)
                if out.len() >= 32
                    && out[..4] == IERC721Receiver::onERC721ReceivedCall::SELECTOR =>
            {
                Ok(())
            }
            Ok(_) => Err(refused()),
            Err(reason) if !reason.is_empty() => Err(reason),
            Err(_) => Err(refused()),
        }
    }
}

/// `onERC721Received(operator, from, tokenId, data)` calldata, encoded by hand (the one
/// dynamic argument is the trailing `bytes`) so no generic encoder is compiled in.
fn on_erc721_received_calldata(
    operator: Address,
    from: Address,
    token_id: U256,
    data: &[u8],
) -> Vec<u8> {
    let padded = data.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 32 * 5 + padded);
    out.extend_from_slice(&IERC721Receiver::onERC721ReceivedCall::SELECTOR);
    for word in [
        operator.word(),
        from.word(),
        token_id.word(),
        U256::from(128u8).word(), // offset of `data` after the four head words
        U256::from(data.len()).word(),
    ] {
        out.extend_from_slice(word.as_slice());
    }
    out.extend_from_slice(data);
    out.resize(4 + 32 * 5 + padded, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolCall;

    #[test]
    fn receiver_calldata_is_the_abi_encoding() {
        for data in [&b""[..], &b"x"[..], &[7u8; 32][..], &[9u8; 33][..]] {
            let (operator, from, id) =
                (Address::repeat_byte(1), Address::repeat_byte(2), U256::from(77));
            let expected = IERC721Receiver::onERC721ReceivedCall {
                operator,
                from,
                tokenId: id,
                data: data.to_vec().into(),
            }
            .abi_encode();
            assert_eq!(on_erc721_received_calldata(operator, from, id, data), expected);
        }
    }
}
