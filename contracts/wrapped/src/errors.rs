//! The wrapper's own errors. The pool's errors reach callers unchanged (see `pool.rs`).

use alloy_sol_types::sol;
pub use tidepool_common::erc20::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidApprover,
    ERC20InvalidReceiver, ERC20InvalidSender, ERC20InvalidSpender,
};
use tidepool_common::{erc20, initializable, nonces, permit};

sol! {
    #![sol(abi)]
    /// The operation would mint, burn or pay nothing (a zero amount, or one too small to be
    /// worth a share at the current rate).
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAmount();
    /// The pool given at initialisation is zero or holds no code.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidPool(address pool);
    /// The pool answered a view with data that is not one ABI word.
    #[derive(Debug, PartialEq, Eq)]
    error PoolAnswerMalformed();
    /// An arithmetic step overflowed or divided by zero.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticFailed();
}

tidepool_common::solidity_errors! {
    /// Every way the wrapper itself can refuse a call.
    pub enum WrappedError {
        ERC20InsufficientBalance(ERC20InsufficientBalance) { sender, balance, needed },
        ERC20InvalidSender(ERC20InvalidSender) { sender },
        ERC20InvalidReceiver(ERC20InvalidReceiver) { receiver },
        ERC20InsufficientAllowance(ERC20InsufficientAllowance) { spender, allowance, needed },
        ERC20InvalidApprover(ERC20InvalidApprover) { approver },
        ERC20InvalidSpender(ERC20InvalidSpender) { spender },
        ZeroAmount(ZeroAmount) {  },
        InvalidPool(InvalidPool) { pool },
        PoolAnswerMalformed(PoolAnswerMalformed) {  },
        ArithmeticFailed(ArithmeticFailed) {  },
        AlreadyInitialized(initializable::AlreadyInitialized) {  },
        NotDeployer(initializable::NotDeployer) { caller, nonce },
        NotInitialized(initializable::NotInitialized) {  },
        ERC2612ExpiredSignature(permit::ERC2612ExpiredSignature) { deadline },
        ERC2612InvalidSigner(permit::ERC2612InvalidSigner) { signer, owner },
        NonceOverflow(nonces::NonceOverflow) { account },
    }
}

// Component errors are flattened into leaf variants so the ABI lists every error by name.
impl From<initializable::Error> for WrappedError {
    fn from(e: initializable::Error) -> Self {
        match e {
            initializable::Error::AlreadyInitialized(e) => e.into(),
            initializable::Error::NotDeployer(e) => e.into(),
            initializable::Error::NotInitialized(e) => e.into(),
        }
    }
}

impl From<erc20::Error> for WrappedError {
    fn from(e: erc20::Error) -> Self {
        match e {
            erc20::Error::InsufficientAllowance(e) => e.into(),
            erc20::Error::InvalidApprover(e) => e.into(),
            erc20::Error::InvalidSpender(e) => e.into(),
        }
    }
}

impl From<permit::Error> for WrappedError {
    fn from(e: permit::Error) -> Self {
        match e {
            permit::Error::ExpiredSignature(e) => e.into(),
            permit::Error::InvalidSigner(e) => e.into(),
            permit::Error::NonceOverflow(e) => e.into(),
        }
    }
}
