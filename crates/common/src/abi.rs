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

/// Declares a contract's error enum and its compact revert encoding.
///
/// Each variant wraps the `sol!` error of the same name (or a path to it) and lists that
/// error's fields in declaration order; only static fields are supported. The macro writes the
/// enum, `From<Error>` for each variant, and `From<Enum> for Vec<u8>`, which the Stylus router
/// uses to revert.
///
/// ```ignore
/// solidity_errors! {
///     /// Every way a call can fail.
///     pub enum MyError {
///         ZeroAmount(ZeroAmount) {},
///         NotOwner(NotOwner) { caller },
///         Unauthorized(access_control::AccessControlUnauthorizedAccount) { account, neededRole },
///     }
/// }
/// ```
#[macro_export]
macro_rules! solidity_errors {
    (
        $(#[$meta:meta])*
        $vis:vis enum $enum:ident {
            $( $variant:ident($ty:path) { $($field:ident),* $(,)? } ),* $(,)?
        }
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

        impl From<$enum> for $crate::abi::__Vec<u8> {
            #[allow(unused_variables)]
            fn from(e: $enum) -> $crate::abi::__Vec<u8> {
                use $crate::abi::AsWord as _;
                match e {
                    $(
                        $enum::$variant(e) => $crate::abi::encode_error(
                            <$ty as $crate::abi::__SolError>::SELECTOR,
                            &[$( e.$field.word() ),*],
                        ),
                    )*
                }
            }
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
        #[derive(Debug, PartialEq, Eq)]
        error Sample(address who, uint256 amount, bytes32 tag, uint64 small, bool flag);
        #[derive(Debug, PartialEq, Eq)]
        error Empty();
        event Moved(address indexed from, address indexed to, uint256 value, uint16 bp);
    }

    crate::solidity_errors! {
        /// Test enum.
        pub enum TestError {
            Sample(Sample) { who, amount, tag, small, flag },
            Empty(Empty) {},
        }
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
