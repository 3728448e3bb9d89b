//! Login attempts: where failed logins are counted, in windows per key. The server's limits
//! ([`crate::limiter`]) decide what to count; each backend counts it: on SQLite this process's
//! memory ([`Limiter`]), on PostgreSQL the database that every server of a fleet shares.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::StoreError;

/// How many failures a key may have in a window before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in the window.
    pub failures: usize,
    /// The window.
    pub window: Duration,
}

/// Where failed logins are counted.
pub trait Attempts: Send + Sync {
    /// Counts a login attempt against `key` unless its window already holds `limit.failures`:
    /// `None` when counted, `Some(seconds to wait)` when refused (and then nothing is counted).
    /// Check and count are one atomic step, whatever else runs at once.
    fn reserve_attempt(
        &self,
        key: &str,
        limit: Limit,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
    /// Takes one counted attempt of `key` back.
    fn release_attempt(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forgets the attempts of `key`.
    fn clear_attempts(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The keys a [`Limiter`] holds by default; past it the oldest window is forgotten.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Attempts per key in this process's memory: at most `capacity` keys, each step constant
/// time. A full limiter forgets the key whose window opened first, so a flood of new keys
/// costs memory it bounds and work it does not multiply.
#[derive(Debug)]
pub struct Limiter {
    capacity: usize,
    /// Keys are stored as their hash under a key of this process's own: fixed-size, and not
    /// collidable by a client that cannot know it.
    hasher: RandomState,
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    by_key: HashMap<u64, Window>,
    /// Keys in the order their windows opened, with the window's serial number: an entry whose
    /// key has since opened a new window (or was forgotten) is stale and skipped.
    opened: VecDeque<(u64, u64)>,
    serial: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    length: Duration,
    attempts: usize,
    serial: u64,
}

impl Limiter {
    /// A limiter that holds at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Limiter {
            capacity: capacity.max(1),
            hasher: RandomState::new(),
            windows: Mutex::default(),
        }
    }

    /// Counts an attempt for `key` at `now` under `limit`, unless its window is full: then
    /// `Err(seconds to wait)` and nothing is counted.
    pub fn reserve(&self, key: &str, limit: Limit, now: Instant) -> Result<(), u64> {
        let key = self.hasher.hash_one(key);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let windows = &mut *windows;
        windows.serial += 1;
        let serial = windows.serial;
        let fresh = Window {
            opened: now,
            length: limit.window,
            attempts: 1,
            serial,
        };
        match windows.by_key.entry(key) {
            Entry::Occupied(mut entry) => {
                let window = entry.get_mut();
                if now.saturating_duration_since(window.opened) < window.length {
                    if window.attempts >= limit.failures {
                        let waited = now.saturating_duration_since(window.opened);
                        return Err(window.length.saturating_sub(waited).as_secs().max(1));
                    }
                    window.attempts += 1;
                    return Ok(());
                }
                *window = fresh;
            }
            Entry::Vacant(entry) => {
                entry.insert(fresh);
            }
        }
        windows.opened.push_back((key, serial));
        windows.sweep(now, self.capacity);
        Ok(())
    }

    /// Takes one counted attempt of `key` back.
    pub fn release(&self, key: &str) {
        let key = self.hasher.hash_one(key);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = windows.by_key.get_mut(&key) {
            window.attempts = window.attempts.saturating_sub(1);
        }
    }

    /// Forgets the attempts of `key` (its window stays, empty, until it closes).
    pub fn reset(&self, key: &str) {
        let key = self.hasher.hash_one(key);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = windows.by_key.get_mut(&key) {
            window.attempts = 0;
        }
    }

    /// How many keys it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.by_key.len()
    }
}

impl Windows {
    /// Drops closed windows from the front of the queue, a couple per call so that no call
    /// does more than a constant amount of work, and the oldest windows while over
    /// `capacity`.
    fn sweep(&mut self, now: Instant, capacity: usize) {
        for _ in 0..2 {
            match self.opened.front() {
                Some(&(key, serial)) => match self.by_key.get(&key) {
                    Some(w) if w.serial != serial => {}
                    Some(w) if now.saturating_duration_since(w.opened) >= w.length => {
                        self.by_key.remove(&key);
                    }
                    Some(_) => break,
                    None => {}
                },
                None => break,
            }
            self.opened.pop_front();
        }
        // Each window has one live entry in the queue, so this ends once a live one is
        // dropped: amortised over the entries pushed, constant work per call.
        while self.by_key.len() > capacity {
            let Some((key, serial)) = self.opened.pop_front() else {
                break;
            };
            if self.by_key.get(&key).is_some_and(|w| w.serial == serial) {
                self.by_key.remove(&key);
            }
        }
    }
}

/// In this process's memory, for a server whose database no other server shares.
impl Attempts for Limiter {
    async fn reserve_attempt(&self, key: &str, limit: Limit) -> Result<Option<u64>, StoreError> {
        Ok(self.reserve(key, limit, Instant::now()).err())
    }

    async fn release_attempt(&self, key: &str) -> Result<(), StoreError> {
        self.release(key);
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> Result<(), StoreError> {
        self.reset(key);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    /// `failures` a minute (the login limits' tests use it too).
    pub(crate) fn limit(failures: usize) -> Limit {
        Limit {
            failures,
            window: MINUTE,
        }
    }

    #[test]
    fn a_window_holds_its_failures_and_a_full_one_counts_nothing_more() {
        let limiter = Limiter::new(10);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for i in 0..3 {
            assert_eq!(
                limiter.reserve("alice", limit(3), at(i * 10)),
                Ok(()),
                "{i}"
            );
        }
        assert_eq!(limiter.reserve("alice", limit(3), at(20)), Err(40));
        assert_eq!(limiter.reserve("bob", limit(3), at(20)), Ok(()));
        // The refusal was not counted; a window opens again once this one has lasted a minute.
        assert_eq!(limiter.reserve("alice", limit(3), at(59)), Err(1));
        assert_eq!(limiter.reserve("alice", limit(3), at(60)), Ok(()));
        assert_eq!(limiter.reserve("alice", limit(1), at(60)), Err(60));
        limiter.release("alice");
        assert_eq!(limiter.reserve("alice", limit(1), at(61)), Ok(()));
        limiter.reset("alice");
        assert_eq!(limiter.reserve("alice", limit(1), at(62)), Ok(()));
    }

    #[test]
    fn a_full_limiter_forgets_the_oldest_window_first() {
        let limiter = Limiter::new(3);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            assert_eq!(limiter.reserve(key, limit(1), at(i as u64)), Ok(()));
        }
        assert_eq!(limiter.len(), 3, "bounded");
        // "a" was forgotten; "b", "c" and "d" still count.
        assert_eq!(limiter.reserve("a", limit(1), at(5)), Ok(()));
        assert_eq!(limiter.len(), 3);
        assert!(limiter.reserve("c", limit(1), at(5)).is_err());
        assert!(limiter.reserve("d", limit(1), at(5)).is_err());
        // Closed windows go as new keys come, without the limiter being full.
        let later = at(200);
        assert_eq!(limiter.reserve("e", limit(1), later), Ok(()));
        assert_eq!(limiter.reserve("f", limit(1), later), Ok(()));
        assert!(limiter.len() <= 3);
    }

    #[test]
    fn a_flood_of_new_keys_stays_within_the_bound() {
        let limiter = Limiter::new(1000);
        let now = Instant::now();
        for i in 0..10_000 {
            assert_eq!(limiter.reserve(&format!("user:{i}"), limit(5), now), Ok(()));
        }
        assert_eq!(limiter.len(), 1000);
        assert!(limiter.windows.lock().unwrap().opened.len() <= 1002);
        // A key that keeps opening windows leaves its old entries behind; they are swept.
        let again = Limiter::new(1000);
        for i in 0..10_000 {
            assert_eq!(
                again.reserve("user:again", limit(1), now + MINUTE * i),
                Ok(())
            );
        }
        assert_eq!(again.len(), 1);
        assert!(again.windows.lock().unwrap().opened.len() <= 2);
    }
}
