//! The wrapper's own errors. The pool's errors reach callers unchanged (see `pool.rs`).

pub use tidepool_common::erc20::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidApprover,
    ERC20InvalidReceiver, ERC20InvalidSender, ERC20InvalidSpender,
};

tidepool_common::solidity_errors! {
    /// Every way the wrapper itself can refuse a call.
    pub enum WrappedError {
        /// The operation would mint, burn or pay nothing (a zero amount, or one too small to be
        /// worth a share at the current rate).
        ZeroAmount(),
        /// The pool given at initialisation is zero or holds no code.
        InvalidPool(address pool),
        /// The pool answered a view with data that is not one ABI word.
        PoolAnswerMalformed(),
        /// An arithmetic step overflowed or divided by zero.
        ArithmeticFailed(),
    }
    components { erc20, initializable, permit }
}
