//! Compact ABI encoding of custom errors and events.
//!
//! alloy's `SolError::abi_encode` and `SolEvent` encoding are generic per type: every error
//! and every event of a contract gets its own copy of the encoder, several kilobytes of wasm
//! in a contract with forty errors and twenty events, against a 24 KB compressed limit. Errors
//! and events whose fields are all static (addresses, integers, `bytes32`) encode as plain
//! 32-byte words, so one word-writer serves them all. The `sol!` definitions stay the source
//! of selectors, topics and ABI files, and tests decode what is emitted with alloy's own
//! decoders, so a field written in the wrong place fails a test.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::stylus_core::Host;

#[doc(hidden)]
pub use alloc::vec::Vec as __Vec;
#[doc(hidden)]
pub use alloy_sol_types::sol as __sol;
#[doc(hidden)]
pub use alloy_sol_types::SolError as __SolError;

/// A static ABI value as its 32-byte word.
pub trait AsWord {
    /// The value left-padded (integers, addresses) or as is (`bytes32`).
    fn word(&self) -> B256;
}

impl AsWord for B256 {
    fn word(&self) -> B256 {
        *self
    }
}

impl AsWord for U256 {
    fn word(&self) -> B256 {
        B256::from(*self)
    }
}

impl AsWord for Address {
    fn word(&self) -> B256 {
        self.into_word()
    }
}

impl AsWord for bool {
    fn word(&self) -> B256 {
        U256::from(*self as u8).word()
    }
}

macro_rules! small_uint_words {
    ($($t:ty),*) => {$(
        impl AsWord for $t {
            fn word(&self) -> B256 {
                U256::from(*self).word()
            }
        }
    )*};
}
small_uint_words!(u8, u16, u32, u64, u128, alloy_primitives::aliases::U80);

/// `selector ‖ words`: the revert data of a custom error with static fields.
pub fn encode_error(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(w.as_slice());
    }
    out
}

/// Emits a log with `topics` (the event signature first, then indexed fields) and the
/// non-indexed static fields `data` as words.
pub fn emit<H: Host + ?Sized>(host: &H, topics: &[B256], data: &[B256]) {
    let mut bytes = Vec::with_capacity(32 * data.len());
    for w in data {
        bytes.extend_from_slice(w.as_slice());
    }
    // At most four topics, which every call site passes by construction.
    let _ = host.raw_log(topics, &bytes);
}

/// Declares a contract's errors, once each: the `sol!` error (selector, ABI description), the
/// contract's error enum with a variant per error, the compact revert encoding, and the list
/// the ABI files are made from.
///
/// Each line `Name(type field, ...)` is one error of the contract; only static field types
/// (integers, `address`, `bool`, `bytesN`) are supported. After the enum, `components { ... }`
/// names the common components the contract embeds: each adds its errors as leaf variants
/// (the ABI lists every error by name) and `From` its error enum, so `?` on a component call
/// flattens, and its events to the ABI list. Components: `initializable`, `access_control`, `pausable`,
/// `erc20` (the six ERC-6093 token errors), `permit` (EIP-2612 and its nonce), `exit_report`
/// (a malformed exit-report list).
///
/// The macro writes `From<Error>` for each variant, `From<Enum> for Vec<u8>` (which the
/// Stylus router uses to revert) and, with the `export-abi` feature, `Enum::abi_items`,
/// which adds every error and the components' events to the caller's
/// `tidepool_abi_export::Items`.
///
/// ```ignore
/// solidity_errors! {
///     /// Every way a call can fail.
///     pub enum MyError {
///         /// The amount was zero.
///         ZeroAmount(),
///         /// `caller` is not the owner.
///         NotOwner(address caller),
///     }
///     components { initializable, access_control }
/// }
/// ```
#[macro_export]
macro_rules! solidity_errors {
    (
        $(#[$meta:meta])*
        $vis:vis enum $enum:ident {
            $( $(#[$vmeta:meta])* $name:ident ( $($sty:ident $field:ident),* $(,)? ) ),* $(,)?
        }
        $( components { $($component:ident),* $(,)? } )?
    ) => {
        $crate::abi::__sol! {
            // `abi`: each error also describes itself as JSON ABI (with parameter names) for
            // the generated ABI files; only the export-abi binary calls that code.
            #![sol(abi, extra_derives(Debug, PartialEq, Eq))]
            $( $(#[$vmeta])* error $name($($sty $field),*); )*
        }
        $crate::solidity_errors! {
            @munch [$(#[$meta])* $vis $enum] [$( $name($name) { $($field)* } )*] []
            $($($component)*)?
        }
    };

    // Each component adds its leaf errors and `From` its error enum.
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] initializable $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::initializable::Error {
            AlreadyInitialized NotDeployer NotInitialized
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            AlreadyInitialized($crate::initializable::AlreadyInitialized) {}
            NotDeployer($crate::initializable::NotDeployer) { caller nonce }
            NotInitialized($crate::initializable::NotInitialized) {}
        ] [$($ev)* $crate::initializable::Initialized,] $($rest)* }
    };
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] access_control $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::access_control::Error {
            UnauthorizedAccount BadConfirmation
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            AccessControlUnauthorizedAccount(
                $crate::access_control::AccessControlUnauthorizedAccount
            ) { account neededRole }
            AccessControlBadConfirmation($crate::access_control::AccessControlBadConfirmation) {}
        ] [
            $($ev)*
            $crate::access_control::RoleGranted,
            $crate::access_control::RoleRevoked,
            $crate::access_control::RoleAdminChanged,
        ] $($rest)* }
    };
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] pausable $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::pausable::Error {
            ResumedExpected PausedExpected ZeroPauseDuration PauseUntilMustBeInFuture
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            ResumedExpected($crate::pausable::ResumedExpected) {}
            PausedExpected($crate::pausable::PausedExpected) {}
            ZeroPauseDuration($crate::pausable::ZeroPauseDuration) {}
            PauseUntilMustBeInFuture($crate::pausable::PauseUntilMustBeInFuture) {}
        ] [$($ev)* $crate::pausable::Paused, $crate::pausable::Resumed,] $($rest)* }
    };
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] erc20 $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::erc20::Error {
            InsufficientAllowance InvalidApprover InvalidSpender
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            ERC20InsufficientBalance($crate::erc20::ERC20InsufficientBalance) {
                sender balance needed
            }
            ERC20InvalidSender($crate::erc20::ERC20InvalidSender) { sender }
            ERC20InvalidReceiver($crate::erc20::ERC20InvalidReceiver) { receiver }
            ERC20InsufficientAllowance($crate::erc20::ERC20InsufficientAllowance) {
                spender allowance needed
            }
            ERC20InvalidApprover($crate::erc20::ERC20InvalidApprover) { approver }
            ERC20InvalidSpender($crate::erc20::ERC20InvalidSpender) { spender }
        ] [$($ev)* $crate::erc20::Transfer, $crate::erc20::Approval,] $($rest)* }
    };
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] exit_report $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::exit_report::Error {
            InvalidExitDataLength UnsortedNodeOperatorIds ZeroExitRequest TooManyExitRequests
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            InvalidExitDataLength($crate::exit_report::InvalidExitDataLength) { length }
            UnsortedNodeOperatorIds($crate::exit_report::UnsortedNodeOperatorIds) {
                index nodeOperatorId previousNodeOperatorId
            }
            ZeroExitRequest($crate::exit_report::ZeroExitRequest) { nodeOperatorId }
            TooManyExitRequests($crate::exit_report::TooManyExitRequests) { requested max }
        ] [$($ev)*] $($rest)* }
    };
    (@munch $head:tt [$($acc:tt)*] [$($ev:tt)*] permit $($rest:ident)*) => {
        $crate::solidity_errors!(@from $head $crate::permit::Error {
            ExpiredSignature InvalidSigner NonceOverflow
        });
        $crate::solidity_errors! { @munch $head [$($acc)*
            ERC2612ExpiredSignature($crate::permit::ERC2612ExpiredSignature) { deadline }
            ERC2612InvalidSigner($crate::permit::ERC2612InvalidSigner) { signer owner }
            NonceOverflow($crate::nonces::NonceOverflow) { account }
        ] [$($ev)*] $($rest)* }
    };

    // `From` a component's error enum, whose every variant wraps a leaf error of the enum.
    (@from [$(#[$meta:meta])* $vis:vis $enum:ident] $error:path { $($variant:ident)* }) => {
        impl From<$error> for $enum {
            fn from(e: $error) -> Self {
                type Component = $error;
                match e {
                    $( Component::$variant(e) => e.into(), )*
                }
            }
        }
    };

    // All variants gathered: the enum and its encoding.
    (
        @munch [$(#[$meta:meta])* $vis:vis $enum:ident]
        [$( $variant:ident($ty:path) { $($f:ident)* } )*]
        [$($event:path,)*]
    ) => {
        $(#[$meta])*
        #[derive(Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        $vis enum $enum {
            $( $variant($ty), )*
        }

        $(
            impl From<$ty> for $enum {
                fn from(e: $ty) -> Self {
                    $enum::$variant(e)
                }
            }
        )*

        // The export-abi build lists errors from the contract's own ABI items (with parameter
        // names), so the SDK's interface printer is told there is nothing inside.
        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for $enum {}

        #[cfg(feature = "export-abi")]
        impl $enum {
            /// `items` with every error of the enum and every event of its components, for
            /// the ABI files.
            pub fn abi_items(items: tidepool_abi_export::Items) -> tidepool_abi_export::Items {
                items $( .error::<$ty>() )* $( .event::<$event>() )*
            }
        }

        impl From<$enum> for $crate::abi::__Vec<u8> {
            #[allow(unused_variables)]
            fn from(e: $enum) -> $crate::abi::__Vec<u8> {
                use $crate::abi::AsWord as _;
                match e {
                    $(
                        $enum::$variant(e) => $crate::abi::encode_error(
                            <$ty as $crate::abi::__SolError>::SELECTOR,
                            &[$( e.$f.word() ),*],
                        ),
                    )*
                }
            }
        }
    };
}

/// Declares a contract's own events, once each: the `sol!` events (topics, ABI description)
/// and, with the `export-abi` feature, `abi_events`, which adds them all to the caller's
/// `tidepool_abi_export::Items`. Emit sites pack them with [`emit`].
///
/// ```ignore
/// solidity_events! {
///     /// `amount` wei left the vault.
///     event Withdrawn(address indexed pool, uint256 amount);
/// }
/// ```
#[macro_export]
macro_rules! solidity_events {
    ($( $(#[$meta:meta])* event $name:ident $fields:tt; )*) => {
        $crate::abi::__sol! {
            // `abi`: as in `solidity_errors!`.
            #![sol(abi, extra_derives(Debug, PartialEq, Eq))]
            $( $(#[$meta])* event $name $fields; )*
        }

        /// `items` with every event declared here, for the ABI files.
        #[cfg(feature = "export-abi")]
        pub fn abi_events(items: tidepool_abi_export::Items) -> tidepool_abi_export::Items {
            items $( .event::<$name>() )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use alloy_sol_types::{sol, SolError, SolEvent};
    use stylus_sdk::testing::TestVM;

    sol! {
        event Moved(address indexed from, address indexed to, uint256 value, uint16 bp);
    }

    crate::solidity_errors! {
        /// Test enum.
        pub enum TestError {
            /// Every static field type.
            Sample(address who, uint256 amount, bytes32 tag, uint64 small, bool flag),
            /// No fields.
            Empty(),
        }
        components { initializable, pausable }
    }

    #[test]
    fn errors_encode_exactly_as_alloy() {
        let e = Sample {
            who: address!("00000000000000000000000000000000000000a1"),
            amount: U256::MAX - U256::from(7),
            tag: B256::repeat_byte(0x5a),
            small: u64::MAX,
            flag: true,
        };
        let ours: Vec<u8> = TestError::from(e.clone()).into();
        assert_eq!(ours, e.abi_encode());
        assert_eq!(Sample::abi_decode(&ours).expect("decodes"), e);
        let empty: Vec<u8> = TestError::Empty(Empty {}).into();
        assert_eq!(empty, Empty {}.abi_encode());
    }

    #[test]
    fn component_errors_flatten_into_leaf_variants() {
        use crate::{initializable, pausable};
        let e = initializable::NotDeployer { caller: Address::repeat_byte(3), nonce: 7 };
        let flat = TestError::from(initializable::Error::NotDeployer(e.clone()));
        assert_eq!(flat, TestError::NotDeployer(e.clone()));
        assert_eq!(Vec::<u8>::from(flat), e.abi_encode());
        let paused =
            TestError::from(pausable::Error::ResumedExpected(pausable::ResumedExpected {}));
        assert_eq!(Vec::<u8>::from(paused), pausable::ResumedExpected {}.abi_encode());
    }

    #[test]
    fn events_decode_with_alloy() {
        let vm = TestVM::new();
        let (from, to) = (Address::repeat_byte(1), Address::repeat_byte(2));
        emit(
            &vm,
            &[Moved::SIGNATURE_HASH, from.word(), to.word()],
            &[U256::from(12345).word(), 500u16.word()],
        );
        let logs = vm.get_emitted_logs();
        assert_eq!(logs.len(), 1);
        let (topics, data) = &logs[0];
        let ev = Moved::decode_raw_log(topics.iter().copied(), data).expect("decodes");
        assert_eq!((ev.from, ev.to, ev.value, ev.bp), (from, to, U256::from(12345), 500));
        let expected = Moved { from, to, value: U256::from(12345), bp: 500 }.encode_log_data();
        assert_eq!(&expected.data[..], &data[..]);
        assert_eq!(expected.topics(), &topics[..]);
    }
}
