//! Failed-login limits per username and per client address.
//!
//! A username's failures are counted per address, and in all: one address (an attacker who
//! knows a name) can lock a user out of that address only, and it takes failures from several
//! addresses to lock the user out everywhere. The price is that guesses spread over many
//! addresses reach the hash more often before the username's overall limit stops them.
//!
//! An attempt is *reserved* before its password is hashed: the check and the count are one
//! atomic step, so guesses sent at once cannot all pass a check that none of them has yet been
//! counted against (the bug of Zitadel's CVE-2023-47111). The address is checked first, so that
//! an address over its limit costs the server nothing more: nothing is recorded for the name it
//! sends. The reservation is then settled by what the hash said: a failure stays counted, a
//! success clears the username and gives the address its attempt back, and an attempt that
//! never reached the hash gives both back.
//!
//! The counts are kept by an [`Attempts`]: on SQLite this process's memory ([`Limiter`]), on
//! PostgreSQL the database that every server of a fleet shares (one upsert per reservation, windows on the database's clock), so a second
//! server does not double an attacker's guesses. Both count in fixed windows: a key's window
//! opens at its first attempt and holds `failures` attempts until it has lasted `window`.
//!
//! Addresses are counted as [`ClientAddress::limit_key`] gives them: an IPv6 client by its /64,
//! which one host commonly holds whole.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::ClientAddress;
use crate::store::error::StoreError;

/// How many failures a key may have in a window before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in the window.
    pub failures: usize,
    /// The window.
    pub window: Duration,
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

/// The login limits.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// A username's failures from one address.
    pub per_user_address: Limit,
    /// A username's failures from every address.
    pub per_user: Limit,
    /// An address's failures, whatever the names.
    pub per_address: Limit,
}

/// An attempt counted against an address, a username from it and the username, until it is
/// settled.
#[derive(Debug)]
#[must_use = "settle the reservation with what the password check said"]
pub struct Reservation {
    address: String,
    user_address: String,
    user: String,
}

/// What became of a reserved attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The password was wrong (or the user unknown or disabled): the attempt stays counted.
    Failed,
    /// The password was right: the username's counts are cleared and the address's attempt
    /// given back.
    Succeeded,
    /// No password was checked (the hashing pool was full, the store failed): given back.
    NotChecked,
}

impl LoginLimits {
    /// Reserves an attempt for `user` from `address` in `store`: `Ok(Err(seconds to wait))`
    /// when any count is at its limit (and then none is counted). The address is asked first:
    /// one over its limit has nothing recorded for the name.
    pub async fn reserve<A: Attempts>(
        &self,
        store: &A,
        user: &str,
        address: ClientAddress,
    ) -> Result<Result<Reservation, u64>, StoreError> {
        let address = format!("address:{}", address.limit_key());
        if let Some(wait) = store.reserve_attempt(&address, self.per_address).await? {
            return Ok(Err(wait));
        }
        // Escaped, so that a key holds no control character (PostgreSQL refuses a NUL) and
        // stays one to one with the name.
        let user = format!("user:{}", user.escape_default());
        let user_address = format!("{user}@{address}");
        if let Some(wait) = store
            .reserve_attempt(&user_address, self.per_user_address)
            .await?
        {
            store.release_attempt(&address).await?;
            return Ok(Err(wait));
        }
        if let Some(wait) = store.reserve_attempt(&user, self.per_user).await? {
            store.release_attempt(&user_address).await?;
            store.release_attempt(&address).await?;
            return Ok(Err(wait));
        }
        Ok(Ok(Reservation {
            address,
            user_address,
            user,
        }))
    }

    /// Settles a reservation in `store`.
    pub async fn settle<A: Attempts>(
        &self,
        store: &A,
        reservation: Reservation,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let Reservation {
            address,
            user_address,
            user,
        } = reservation;
        match outcome {
            Outcome::Failed => {}
            Outcome::Succeeded => {
                store.clear_attempts(&user_address).await?;
                store.clear_attempts(&user).await?;
                store.release_attempt(&address).await?;
            }
            Outcome::NotChecked => {
                store.release_attempt(&user_address).await?;
                store.release_attempt(&user).await?;
                store.release_attempt(&address).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    const MINUTE: Duration = Duration::from_secs(60);

    fn limit(failures: usize) -> Limit {
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

    fn limits(per_user: usize, per_address: usize) -> LoginLimits {
        LoginLimits {
            per_user_address: limit(per_user),
            per_user: limit(per_user * 10),
            per_address: limit(per_address),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_reservations_stop_at_the_limit() {
        let store = std::sync::Arc::new(Limiter::new(DEFAULT_CAPACITY));
        let limits = limits(5, 50);
        let address = ClientAddress::from(IpAddr::from([127, 0, 0, 1]));
        let tries: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { limits.reserve(&*store, "alice", address).await })
            })
            .collect();
        let mut granted = Vec::new();
        for t in tries {
            if let Ok(reservation) = t.await.unwrap().unwrap() {
                granted.push(reservation);
            }
        }
        assert_eq!(granted.len(), 5);
        for reservation in granted {
            limits
                .settle(&*store, reservation, Outcome::Failed)
                .await
                .unwrap();
        }
        assert!(
            limits
                .reserve(&*store, "alice", address)
                .await
                .unwrap()
                .is_err()
        );
        // A refusal for the user did not use up the address: another user still gets through.
        let bob = limits
            .reserve(&*store, "bob", address)
            .await
            .unwrap()
            .unwrap();
        limits
            .settle(&*store, bob, Outcome::Succeeded)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn one_address_locks_a_user_out_of_that_address_alone() {
        let store = &Limiter::new(DEFAULT_CAPACITY);
        let limits = limits(2, 100); // 2 per user and address, 20 per user
        let from = |i: u8| ClientAddress::from(IpAddr::from([127, 0, 0, i]));
        let fail = |address| async move {
            let r = limits.reserve(store, "alice", address).await.unwrap();
            limits.settle(store, r?, Outcome::Failed).await.unwrap();
            Ok::<(), u64>(())
        };
        for _ in 0..2 {
            fail(from(1)).await.unwrap();
        }
        assert!(
            fail(from(1)).await.is_err(),
            "the attacker's address is refused"
        );
        // The owner's address still reaches the password check, and a success clears it.
        let owner = limits
            .reserve(store, "alice", from(2))
            .await
            .unwrap()
            .unwrap();
        limits
            .settle(store, owner, Outcome::Succeeded)
            .await
            .unwrap();
        // Failures from ten addresses in all (the success cleared the name's count) lock the
        // name out everywhere.
        for i in 3..13 {
            for _ in 0..2 {
                fail(from(i)).await.unwrap();
            }
        }
        assert!(
            limits
                .reserve(store, "alice", from(2))
                .await
                .unwrap()
                .is_err()
        );
        assert!(limits.reserve(store, "bob", from(2)).await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn settling_gives_back_what_did_not_fail() {
        let store = std::sync::Arc::new(Limiter::new(DEFAULT_CAPACITY));
        let limits = LoginLimits {
            per_user: limit(1),
            ..limits(1, 1)
        };
        let a = ClientAddress::from(IpAddr::from([127, 0, 0, 1]));
        let b = ClientAddress::from(IpAddr::from([127, 0, 0, 2]));
        let reserve = |user, address| limits.reserve(&*store, user, address);
        let r = reserve("alice", a).await.unwrap().unwrap();
        // While it is in flight, the address and the username are both taken.
        assert!(reserve("bob", a).await.unwrap().is_err());
        assert!(reserve("alice", b).await.unwrap().is_err());
        limits
            .settle(&*store, r, Outcome::NotChecked)
            .await
            .unwrap();
        let r = reserve("alice", a).await.unwrap().unwrap();
        limits.settle(&*store, r, Outcome::Succeeded).await.unwrap();
        let r = reserve("alice", a).await.unwrap().unwrap();
        limits.settle(&*store, r, Outcome::Failed).await.unwrap();
        assert!(reserve("alice", b).await.unwrap().is_err());
        assert!(reserve("bob", a).await.unwrap().is_err());
        assert!(reserve("bob", b).await.unwrap().is_ok());
    }
}
