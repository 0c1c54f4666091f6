//! How a contract becomes Stylus programs: the top-level storage of each program type, the
//! delegation from one program of a contract to the next, and the shell that builds a
//! program as a `cdylib`.
//!
//! A contract too big for one program (Nitro refuses more than 24,576 bytes of compressed
//! code) is deployed as several (the table is `crates/programs`). Each program is a
//! `#[public]` impl on a *program type*: the contract's storage struct itself, or a struct
//! whose only field is that storage struct, so its slots are the contract's by construction.
//! The first program's `#[fallback]` hands every selector it does not serve to the next
//! program by delegatecall ([`Delegate`]), and so on down the chain.
//!
//! # One rule for `TopLevelStorage`
//! The shells declare their entry point with `#[entrypoint]` on a *function*
//! ([`program_entrypoint!`]), which (unlike `#[entrypoint]` on a struct) does not implement
//! `TopLevelStorage`. So every program type implements it, always, through
//! [`program_storage!`], natively and on wasm alike; no library ever exports
//! `user_entrypoint`, so the programs of a contract link together in its native tests.

#[doc(hidden)]
pub mod __private {
    pub use stylus_sdk;
}

use alloc::vec::Vec;

use alloy_primitives::Address;
use alloy_sol_types::SolError as _;
use stylus_sdk::{call::RawCall, prelude::*, ArbResult};

use crate::initializable::NotInitialized;

/// Declares that each listed type is a program's top-level storage (the
/// `unsafe impl TopLevelStorage` that `#[entrypoint]` on a struct would write).
///
/// # Safety
/// List only *program types*: a contract's storage struct, laid out from slot 0, or a struct
/// whose only field is that storage struct. Either covers the whole of the program's storage
/// from slot 0, so a `&mut` borrow of one excludes every other live view of the storage,
/// which is what the SDK's calls (and [`Delegate`]) rely on when they flush and clear the
/// storage cache around a call. A program type is never a field of another storage struct
/// except as the only field of a wrapper program type of the same contract.
#[macro_export]
macro_rules! program_storage {
    ($($program:ty),+ $(,)?) => {
        $(
            // SAFETY: a program type, as the macro's `# Safety` section requires.
            #[allow(unsafe_code)]
            unsafe impl $crate::program::__private::stylus_sdk::prelude::TopLevelStorage
                for $program
            {
            }
        )+
    };
}

/// Declares a program type that wraps its contract's storage struct: a `#[storage]` struct
/// whose only field is `$storage` (so every slot is the contract's, as [`program_storage!`]
/// requires, which it also implements), with `Deref` and `DerefMut` to it, so the program's
/// functions read the contract's fields and call its helpers as the first program does.
///
/// `$storage` is a plain name (`Pool`, not a path): `#[storage]` lays out only fields whose
/// type it can read, and a type passed through as a macro fragment is opaque to it.
///
/// ```ignore
/// tidepool_common::program_type! {
///     /// The pool's storage, seen by the admin code.
///     pub struct PoolAdmin { pool: Pool }
/// }
/// ```
#[macro_export]
macro_rules! program_type {
    ($(#[$meta:meta])* $vis:vis struct $program:ident { $field:ident: $storage:ident $(,)? }) => {
        $(#[$meta])*
        #[$crate::program::__private::stylus_sdk::prelude::storage]
        $vis struct $program {
            $field: $storage,
        }

        $crate::program_storage!($program);

        impl ::core::ops::Deref for $program {
            type Target = $storage;
            fn deref(&self) -> &$storage {
                &self.$field
            }
        }

        impl ::core::ops::DerefMut for $program {
            fn deref_mut(&mut self) -> &mut $storage {
                &mut self.$field
            }
        }
    };
}

/// The body of a program's shell crate: the wasm entry point, routing every call to
/// `$program`'s `#[public]` functions (its `#[fallback]` and `#[receive]` included).
///
/// The shell must be a `cdylib` and nothing else: cargo silently builds a crate that is also
/// a `lib` without LTO, which left dead code in every program when the contract crates were
/// both.
///
/// `#[entrypoint]` on this function generates `user_entrypoint`, with the SDK's reentrancy
/// guard unless stylus-sdk's `reentrant` feature is on (the contract crate chooses). The
/// shell must depend on `stylus-sdk` itself (the generated code names it) and declare the
/// `contract-client-gen` feature that code tests for:
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// tidepool_common::program_entrypoint!(tidepool_vault::Vault);
/// ```
#[macro_export]
macro_rules! program_entrypoint {
    ($program:ty) => {
        extern crate alloc;

        // The host traits the generated `user_entrypoint` calls (unused where the SDK
        // generates none, see below).
        #[allow(unused_imports)]
        use stylus_sdk::prelude::*;

        /// Routes the call's calldata to the program's functions.
        // Unused where stylus-sdk's `stylus-test` feature is on (native workspace builds unify
        // it in), since the SDK then generates no `user_entrypoint` to call it.
        #[allow(dead_code)]
        #[stylus_sdk::prelude::entrypoint]
        fn route(input: alloc::vec::Vec<u8>, host: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
            stylus_sdk::abi::router_entrypoint::<$program, $program>(input, host)
        }
    };
}

/// Revert data for a call a [`Delegate`] refuses to pass on.
pub type RevertData = fn() -> Vec<u8>;

/// A program whose `#[fallback]` runs the selectors it does not serve in the next program of
/// its contract, on its own storage (delegatecall). The shape of OpenZeppelin's `IProxy`:
/// the one `unsafe` operation is written here, once.
///
/// # Safety
/// Implementing it promises that:
/// * `Self` is a program type (see [`program_storage!`]), so `&mut self` is the only live
///   view of the storage while the delegated code runs;
/// * [`Delegate::next_program`] returns zero or the address of a program built from the
///   same contract crate, whose program type is or wraps the same storage struct, so every
///   slot the delegated code touches means there what it means here;
/// * that address was fixed by the contract's proven deployer at initialisation and cannot
///   be changed by anyone else (a caller choosing it could run any code on this storage).
///
/// The storage cache is cleared before the call, which hands the delegated code the current
/// state and keeps this frame from writing stale values back afterwards.
#[allow(unsafe_code)]
pub unsafe trait Delegate: TopLevelStorage + HostAccess + Sized {
    /// What a call made while one of this contract's own external calls runs
    /// (`msg_reentrant`) gets instead of being passed on; `None` passes such calls on (the
    /// SDK's guard already refused them, or the contract relies on checks-effects-
    /// interactions). A constant, so contracts that pass every call on pay nothing for it.
    const REENTRANT_CALL: Option<RevertData> = None;

    /// The program this one delegates to; zero until initialisation sets it.
    fn next_program(&self) -> Address;

    /// Runs `calldata` (selector included) in [`Delegate::next_program`]'s code on this
    /// storage and passes its output or revert data on unchanged: a `#[fallback]`'s body.
    ///
    /// # Errors
    /// * [`Delegate::REENTRANT_CALL`]'s data for a reentrant call, when set;
    /// * `NotInitialized` while the next program is unset (before initialisation, and at a
    ///   program's own address, whose storage is never initialised);
    /// * whatever the next program reverts with (empty data for a selector none serves).
    fn delegate(&mut self, calldata: &[u8]) -> ArbResult {
        if let Some(refusal) = Self::REENTRANT_CALL {
            if self.vm().msg_reentrant() {
                return Err(refusal());
            }
        }
        let target = self.next_program();
        if target.is_zero() {
            return Err(NotInitialized {}.abi_encode());
        }
        // SAFETY: the trait's `# Safety` section: `target` runs this contract's code on
        // this storage layout, and `&mut self` is the only view of the storage.
        #[allow(unsafe_code)]
        unsafe {
            RawCall::new_delegate(self.vm()).clear_storage_cache().call(target, calldata)
        }
    }
}
