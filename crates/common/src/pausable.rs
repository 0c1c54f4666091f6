//! Time-bounded pausing, after Lido's `PausableUntil`.
//!
//! One timestamp says from when the contract runs again, so a pause can end on its own: an
//! emergency committee may stop a contract for a bounded time without also holding the power
//! to keep it stopped, while a governance vote can pause it until further notice
//! ([`PAUSE_INFINITELY`]) and resume it early.
//!
//! Who may pause and resume is the embedding contract's business: it guards its `pauseFor`,
//! `pauseUntil` and `resume` with roles and calls this component.

use crate::abi::{emit, AsWord};
use alloc::{vec, vec::Vec};
use alloy_sol_types::SolEvent as _;

use alloy_primitives::aliases::U64;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageU64};

/// A duration, or an inclusive end, that means "until [`PausableUntil::resume`] is called".
///
/// Contracts that expose `uint256` arguments, as Lido's do, should narrow them with
/// `U256::saturating_to::<u64>()`, so that `type(uint256).max` also pauses indefinitely.
pub const PAUSE_INFINITELY: u64 = u64::MAX;

sol! {
    #![sol(abi)]
    /// The contract is paused, and the call needs it running.
    #[derive(Debug, PartialEq, Eq)]
    error ResumedExpected();
    /// The contract is running, and the call needs it paused.
    #[derive(Debug, PartialEq, Eq)]
    error PausedExpected();
    /// `pauseFor` was asked to pause for zero seconds.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroPauseDuration();
    /// `pauseUntil` was given a time already past.
    #[derive(Debug, PartialEq, Eq)]
    error PauseUntilMustBeInFuture();

    /// The contract is paused for `duration` seconds, or indefinitely when `duration` is
    /// `PAUSE_INFINITELY` (`2**64 - 1`).
    #[derive(Debug, PartialEq, Eq)]
    event Paused(uint256 duration);
    /// The contract runs again.
    #[derive(Debug, PartialEq, Eq)]
    event Resumed();
}

/// Errors of [`PausableUntil`].
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    /// See [`ResumedExpected`].
    ResumedExpected(ResumedExpected),
    /// See [`PausedExpected`].
    PausedExpected(PausedExpected),
    /// See [`ZeroPauseDuration`].
    ZeroPauseDuration(ZeroPauseDuration),
    /// See [`PauseUntilMustBeInFuture`].
    PauseUntilMustBeInFuture(PauseUntilMustBeInFuture),
}

/// The first timestamp at which the contract is no longer paused.
///
/// Zero until the first pause, so a contract starts running; one that must start paused
/// calls [`PausableUntil::pause_for`]`(PAUSE_INFINITELY)` while it initialises.
#[storage]
pub struct PausableUntil {
    resume_since: StorageU64,
}

impl PausableUntil {
    /// Whether the contract is paused at the current block.
    pub fn is_paused(&self) -> bool {
        self.vm().block_timestamp() < self.get_resume_since_timestamp()
    }

    /// The first timestamp at which the contract runs: zero if never paused, a past time if
    /// resumed, [`PAUSE_INFINITELY`] if paused until further notice.
    pub fn get_resume_since_timestamp(&self) -> u64 {
        // A one-limb integer: the limb is the value, no conversion can fail.
        self.resume_since.get().as_limbs()[0]
    }

    /// Fails while paused: the guard for operations that a pause stops.
    ///
    /// # Errors
    /// * [`ResumedExpected`] if the contract is paused.
    pub fn when_resumed(&self) -> Result<(), Error> {
        if self.is_paused() {
            Err(ResumedExpected {}.into())
        } else {
            Ok(())
        }
    }

    /// Fails unless paused.
    ///
    /// # Errors
    /// * [`PausedExpected`] if the contract is running.
    pub fn when_paused(&self) -> Result<(), Error> {
        if self.is_paused() {
            Ok(())
        } else {
            Err(PausedExpected {}.into())
        }
    }

    /// Pauses for `duration` seconds from the current block.
    ///
    /// # Arguments
    /// * `duration` - seconds to stay paused; [`PAUSE_INFINITELY`], or any duration reaching
    ///   past the end of `u64` time, pauses until [`Self::resume`].
    ///
    /// # Errors
    /// * [`ResumedExpected`] if already paused: a pause is never extended or shortened, only
    ///   ended by [`Self::resume`].
    /// * [`ZeroPauseDuration`] if `duration` is zero.
    ///
    /// # Events
    /// * [`Paused`] with the duration.
    pub fn pause_for(&mut self, duration: u64) -> Result<(), Error> {
        self.when_resumed()?;
        if duration == 0 {
            return Err(ZeroPauseDuration {}.into());
        }
        let now = self.vm().block_timestamp();
        // Saturating: a pause that would outlast u64 time is the same as an indefinite one.
        self.set_resume_since(now, now.saturating_add(duration));
        Ok(())
    }

    /// Pauses until the end of second `until_inclusive`.
    ///
    /// # Arguments
    /// * `until_inclusive` - the last paused timestamp; [`PAUSE_INFINITELY`] pauses until
    ///   [`Self::resume`].
    ///
    /// # Errors
    /// * [`ResumedExpected`] if already paused.
    /// * [`PauseUntilMustBeInFuture`] if `until_inclusive` is before the current block.
    ///
    /// # Events
    /// * [`Paused`] with the resulting duration.
    pub fn pause_until(&mut self, until_inclusive: u64) -> Result<(), Error> {
        self.when_resumed()?;
        let now = self.vm().block_timestamp();
        if until_inclusive < now {
            return Err(PauseUntilMustBeInFuture {}.into());
        }
        self.set_resume_since(now, until_inclusive.saturating_add(1));
        Ok(())
    }

    /// Ends the pause at the current block.
    ///
    /// # Errors
    /// * [`PausedExpected`] if the contract is not paused.
    ///
    /// # Events
    /// * [`Resumed`].
    pub fn resume(&mut self) -> Result<(), Error> {
        self.when_paused()?;
        let now = self.vm().block_timestamp();
        self.resume_since.set(U64::from(now));
        emit(self.vm(), &[Resumed::SIGNATURE_HASH], &[]);
        Ok(())
    }

    fn set_resume_since(&mut self, now: u64, resume_since: u64) {
        self.resume_since.set(U64::from(resume_since));
        let duration = if resume_since == PAUSE_INFINITELY {
            PAUSE_INFINITELY
        } else {
            // Callers only pass times after `now`.
            resume_since.saturating_sub(now)
        };
        emit(self.vm(), &[Paused::SIGNATURE_HASH], &[duration.word()]);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use alloy_sol_types::SolEvent;
    use stylus_sdk::testing::TestVM;

    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn log_of<E: SolEvent>(event: &E) -> (Vec<alloy_primitives::B256>, Vec<u8>) {
        let data = event.encode_log_data();
        (data.topics().to_vec(), data.data.to_vec())
    }

    /// One way of pausing, for the table-driven tests.
    type Pause = fn(&mut PausableUntil) -> Result<(), Error>;

    fn setup() -> (TestVM, PausableUntil) {
        let vm = TestVM::default();
        vm.set_block_timestamp(NOW);
        let p = PausableUntil::from(&vm);
        (vm, p)
    }

    #[test]
    fn starts_running() {
        let (_vm, p) = setup();
        assert!(!p.is_paused());
        assert_eq!(p.get_resume_since_timestamp(), 0);
        assert_eq!(p.when_resumed(), Ok(()));
        assert_eq!(p.when_paused(), Err(PausedExpected {}.into()));
    }

    #[test]
    fn pause_for_ends_by_itself() {
        let (vm, mut p) = setup();
        assert_eq!(p.pause_for(100), Ok(()));
        assert_eq!(p.get_resume_since_timestamp(), NOW + 100);
        assert!(p.is_paused());
        assert_eq!(p.when_resumed(), Err(ResumedExpected {}.into()));
        assert_eq!(p.when_paused(), Ok(()));
        assert_eq!(vm.get_emitted_logs(), vec![log_of(&Paused { duration: U256::from(100) })]);

        vm.set_block_timestamp(NOW + 99);
        assert!(p.is_paused());
        vm.set_block_timestamp(NOW + 100);
        assert!(!p.is_paused());
        assert_eq!(p.when_resumed(), Ok(()));
    }

    #[test]
    fn rejected_pauses_change_nothing() {
        let cases: [(&str, Pause, Error); 2] = [
            ("pause_for(0)", |p| p.pause_for(0), ZeroPauseDuration {}.into()),
            (
                "pause_until(NOW - 1)",
                |p| p.pause_until(NOW - 1),
                PauseUntilMustBeInFuture {}.into(),
            ),
        ];
        for (call, pause, error) in cases {
            let (vm, mut p) = setup();
            assert_eq!(pause(&mut p), Err(error), "{call}");
            assert!(!p.is_paused(), "{call}");
            assert!(vm.get_emitted_logs().is_empty(), "{call}");
        }
    }

    #[test]
    fn infinite_and_overlong_pauses_last_until_resumed() {
        let cases: [(&str, Pause); 3] = [
            ("pause_for(PAUSE_INFINITELY)", |p| p.pause_for(PAUSE_INFINITELY)),
            // An overlong duration saturates to the infinite one.
            ("pause_for(u64::MAX - 1)", |p| p.pause_for(u64::MAX - 1)),
            ("pause_until(PAUSE_INFINITELY)", |p| p.pause_until(PAUSE_INFINITELY)),
        ];
        let infinite = log_of(&Paused { duration: U256::from(PAUSE_INFINITELY) });
        for (call, pause) in cases {
            let (vm, mut p) = setup();
            assert_eq!(pause(&mut p), Ok(()), "{call}");
            assert_eq!(p.get_resume_since_timestamp(), PAUSE_INFINITELY, "{call}");
            assert_eq!(vm.get_emitted_logs(), vec![infinite.clone()], "{call}");
        }
    }

    #[test]
    fn infinite_pause_ends_only_by_resume() {
        let (vm, mut p) = setup();
        p.pause_for(PAUSE_INFINITELY).expect("running");
        vm.set_block_timestamp(u64::MAX - 1);
        assert!(p.is_paused());

        vm.clear_mocks();
        vm.set_block_timestamp(NOW + 5);
        assert_eq!(p.resume(), Ok(()));
        assert!(!p.is_paused());
        assert_eq!(p.get_resume_since_timestamp(), NOW + 5);
        assert_eq!(vm.get_emitted_logs(), vec![log_of(&Resumed {})]);
    }

    #[test]
    fn cannot_pause_twice() {
        let (vm, mut p) = setup();
        p.pause_for(100).expect("running");
        vm.clear_mocks();
        assert_eq!(p.pause_for(1000), Err(ResumedExpected {}.into()));
        assert_eq!(p.pause_until(NOW + 1000), Err(ResumedExpected {}.into()));
        assert_eq!(p.get_resume_since_timestamp(), NOW + 100);
        assert!(vm.get_emitted_logs().is_empty());
    }

    #[test]
    fn cannot_resume_while_running() {
        let (vm, mut p) = setup();
        assert_eq!(p.resume(), Err(PausedExpected {}.into()));
        // An expired pause counts as running too.
        p.pause_for(10).expect("running");
        vm.set_block_timestamp(NOW + 10);
        vm.clear_mocks();
        assert_eq!(p.resume(), Err(PausedExpected {}.into()));
        assert!(vm.get_emitted_logs().is_empty());
    }

    #[test]
    fn pause_until_is_inclusive() {
        let (vm, mut p) = setup();
        assert_eq!(p.pause_until(NOW + 9), Ok(()));
        assert_eq!(p.get_resume_since_timestamp(), NOW + 10);
        assert_eq!(vm.get_emitted_logs(), vec![log_of(&Paused { duration: U256::from(10) })]);
        vm.set_block_timestamp(NOW + 9);
        assert!(p.is_paused());
        vm.set_block_timestamp(NOW + 10);
        assert!(!p.is_paused());
    }

    #[test]
    fn pause_until_now_pauses_one_second() {
        let (vm, mut p) = setup();
        assert_eq!(p.pause_until(NOW), Ok(()));
        assert!(p.is_paused());
        assert_eq!(vm.get_emitted_logs(), vec![log_of(&Paused { duration: U256::from(1) })]);
    }

    #[test]
    fn can_pause_again_after_resume() {
        let (vm, mut p) = setup();
        p.pause_for(PAUSE_INFINITELY).expect("running");
        p.resume().expect("paused");
        vm.set_block_timestamp(NOW + 1);
        assert_eq!(p.pause_for(5), Ok(()));
        assert_eq!(p.get_resume_since_timestamp(), NOW + 6);
    }
}
