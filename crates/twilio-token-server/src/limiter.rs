//! Failed-login limits per username and per client address.
//!
//! An attempt is *reserved* before its password is hashed: the check and the count are one
//! atomic step, so guesses sent at once cannot all pass a check that none of them has yet been
//! counted against (the bug of Zitadel's CVE-2023-47111). The reservation is then settled by what
//! the hash said: a failure stays counted, a success clears the username and gives the address its
//! attempt back, and an attempt that never reached the hash gives both back.
//!
//! The store keeps the counts ([`UserStore::reserve_attempt`]): the SQLite store in this
//! process's memory ([`Limiter`], a sliding window under one lock), the PostgreSQL store in the
//! database that every server of a fleet shares (one upsert per reservation, windows on the
//! database's clock), so a second server does not double an attacker's guesses.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{StoreError, UserStore};

/// How many failures a key may have in a window before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in the window.
    pub failures: usize,
    /// The window.
    pub window: Duration,
}

/// Attempts per key, forgotten as they age out of the window.
#[derive(Debug)]
pub struct Limiter<K> {
    limit: Limit,
    attempts: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// Keys kept at most; beyond it the oldest are swept, so a flood of distinct keys cannot grow
/// memory without bound.
const MAX_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// A limiter with this limit.
    pub fn new(limit: Limit) -> Self {
        Limiter {
            limit,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for `key` at `now`, unless the window is full: then `Err(seconds to
    /// wait)` and nothing is counted.
    pub fn reserve(&self, key: &K, now: Instant) -> Result<(), u64> {
        self.reserve_under(key, self.limit, now)
    }

    /// [`reserve`](Self::reserve) under `limit` instead of the limiter's own.
    pub fn reserve_under(&self, key: &K, limit: Limit, now: Instant) -> Result<(), u64> {
        let window = limit.window;
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = map.entry(key.clone()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if let Some(oldest) = times.front().filter(|_| times.len() >= limit.failures) {
            let wait = window.saturating_sub(now.duration_since(*oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }

    /// Takes back the attempt reserved for `key` at `at`, or without `at` its latest.
    pub fn release(&self, key: &K, at: Option<Instant>) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(key) {
            let i = match at {
                Some(at) => times.iter().rposition(|t| *t == at),
                None => times.len().checked_sub(1),
            };
            if let Some(i) = i {
                times.remove(i);
            }
            if times.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Forgets every attempt of `key`.
    pub fn reset(&self, key: &K) {
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The login limits: per username and per client address, kept by the store.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    per_user: Limit,
    per_address: Limit,
}

/// An attempt counted against a username and an address, until it is settled.
#[derive(Debug)]
#[must_use = "settle the reservation with what the password check said"]
pub struct Reservation {
    user: String,
    address: String,
}

/// What became of a reserved attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The password was wrong (or the user unknown or disabled): the attempt stays counted.
    Failed,
    /// The password was right: the username's count is cleared and the address's attempt given
    /// back.
    Succeeded,
    /// No password was checked (the hashing pool was full, the store failed): given back.
    NotChecked,
}

impl LoginLimits {
    /// Limits of `per_user` and `per_address` failures.
    pub fn new(per_user: Limit, per_address: Limit) -> Self {
        LoginLimits {
            per_user,
            per_address,
        }
    }

    /// Reserves an attempt for `user` from `address` in `store`: `Ok(Err(seconds to wait))`
    /// when either is at its limit (and then neither is counted).
    pub async fn reserve<S: UserStore>(
        &self,
        store: &S,
        user: &str,
        address: IpAddr,
    ) -> Result<Result<Reservation, u64>, StoreError> {
        // Escaped, so that a key holds no control character (PostgreSQL refuses a NUL) and
        // stays one to one with the name.
        let user = format!("user:{}", user.escape_default());
        let address = format!("address:{address}");
        if let Some(wait) = store.reserve_attempt(&user, self.per_user).await? {
            return Ok(Err(wait));
        }
        if let Some(wait) = store.reserve_attempt(&address, self.per_address).await? {
            store.release_attempt(&user).await?;
            return Ok(Err(wait));
        }
        Ok(Ok(Reservation { user, address }))
    }

    /// Settles a reservation in `store`.
    pub async fn settle<S: UserStore>(
        &self,
        store: &S,
        reservation: Reservation,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let Reservation { user, address } = reservation;
        match outcome {
            Outcome::Failed => {}
            Outcome::Succeeded => {
                store.clear_attempts(&user).await?;
                store.release_attempt(&address).await?;
            }
            Outcome::NotChecked => {
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
    use crate::store::SqliteStore;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_window_slides_and_a_full_window_counts_nothing_more() {
        let limiter = Limiter::new(Limit {
            failures: 3,
            window: MINUTE,
        });
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(
                limiter.reserve(&"alice", t0 + Duration::from_secs(i * 10)),
                Ok(()),
                "attempt {i}"
            );
        }
        let t20 = t0 + Duration::from_secs(20);
        assert_eq!(limiter.reserve(&"alice", t20), Err(40));
        assert_eq!(limiter.reserve(&"bob", t0), Ok(()));
        // The refusal was not counted: the first attempt ages out at t0 + 60 and one more fits.
        let t60 = t0 + MINUTE;
        assert_eq!(limiter.reserve(&"alice", t60), Ok(()));
        assert_eq!(limiter.reserve(&"alice", t60), Err(10));
        limiter.release(&"alice", Some(t60));
        assert_eq!(limiter.reserve(&"alice", t60), Ok(()));
        limiter.release(&"alice", None);
        assert_eq!(limiter.reserve(&"alice", t60), Ok(()));
        limiter.reset(&"alice");
        assert_eq!(limiter.reserve(&"alice", t20), Ok(()));
    }

    fn limits(per_user: usize, per_address: usize) -> LoginLimits {
        let limit = |failures| Limit {
            failures,
            window: MINUTE,
        };
        LoginLimits::new(limit(per_user), limit(per_address))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_reservations_stop_at_the_limit() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let limits = limits(5, 50);
        let address: IpAddr = [127, 0, 0, 1].into();
        let tries: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { limits.reserve(&store, "alice", address).await })
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
                .settle(&store, reservation, Outcome::Failed)
                .await
                .unwrap();
        }
        assert!(
            limits
                .reserve(&store, "alice", address)
                .await
                .unwrap()
                .is_err()
        );
        // A refusal for the user did not use up the address: another user still gets through.
        let bob = limits
            .reserve(&store, "bob", address)
            .await
            .unwrap()
            .unwrap();
        limits
            .settle(&store, bob, Outcome::Succeeded)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn settling_gives_back_what_did_not_fail() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let limits = limits(1, 1);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let reserve = |user, address| limits.reserve(&store, user, address);
        let r = reserve("alice", a).await.unwrap().unwrap();
        // While it is in flight, the address and the username are both taken.
        assert!(reserve("bob", a).await.unwrap().is_err());
        assert!(reserve("alice", b).await.unwrap().is_err());
        limits.settle(&store, r, Outcome::NotChecked).await.unwrap();
        let r = reserve("alice", a).await.unwrap().unwrap();
        limits.settle(&store, r, Outcome::Succeeded).await.unwrap();
        let r = reserve("alice", a).await.unwrap().unwrap();
        limits.settle(&store, r, Outcome::Failed).await.unwrap();
        assert!(reserve("alice", b).await.unwrap().is_err());
        assert!(reserve("bob", a).await.unwrap().is_err());
        assert!(reserve("bob", b).await.unwrap().is_ok());
    }
}
