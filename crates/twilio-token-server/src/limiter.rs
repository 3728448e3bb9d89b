//! Failed-login limits per username and per client address: a sliding window of attempts.
//!
//! An attempt is *reserved* before its password is hashed: the check and the count are one step
//! under one lock, so guesses sent at once cannot all pass a check that none of them has yet been
//! counted against (the bug of Zitadel's CVE-2023-47111). The reservation is then settled by what
//! the hash said: a failure stays counted, a success clears the username and gives the address its
//! reservation back, and an attempt that never reached the hash gives both back. A reservation is
//! a plain value, so a shared store can keep the same thing: one statement that inserts an attempt
//! only while its window holds fewer than the limit, and one that settles it.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        let window = self.limit.window;
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
        if let Some(oldest) = times.front().filter(|_| times.len() >= self.limit.failures) {
            let wait = window.saturating_sub(now.duration_since(*oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }

    /// Takes back the attempt reserved for `key` at `at`.
    pub fn release(&self, key: &K, at: Instant) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
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

/// The login limits: per username and per client address.
#[derive(Debug)]
pub struct LoginLimits {
    by_user: Limiter<String>,
    by_address: Limiter<IpAddr>,
}

/// An attempt counted against a username and an address, until it is settled.
#[derive(Debug)]
#[must_use = "settle the reservation with what the password check said"]
pub struct Reservation {
    user: String,
    address: IpAddr,
    at: Instant,
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
            by_user: Limiter::new(per_user),
            by_address: Limiter::new(per_address),
        }
    }

    /// Reserves an attempt for `user` from `address`, or `Err(seconds to wait)` when either is
    /// at its limit (and then neither is counted).
    pub fn reserve(&self, user: &str, address: IpAddr) -> Result<Reservation, u64> {
        let now = Instant::now();
        let user = user.to_owned();
        self.by_user.reserve(&user, now)?;
        if let Err(wait) = self.by_address.reserve(&address, now) {
            self.by_user.release(&user, now);
            return Err(wait);
        }
        Ok(Reservation {
            user,
            address,
            at: now,
        })
    }

    /// Settles a reservation.
    pub fn settle(&self, reservation: Reservation, outcome: Outcome) {
        let Reservation { user, address, at } = reservation;
        match outcome {
            Outcome::Failed => {}
            Outcome::Succeeded => {
                self.by_user.reset(&user);
                self.by_address.release(&address, at);
            }
            Outcome::NotChecked => {
                self.by_user.release(&user, at);
                self.by_address.release(&address, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        limiter.release(&"alice", t60);
        assert_eq!(limiter.reserve(&"alice", t60), Ok(()));
        limiter.reset(&"alice");
        assert_eq!(limiter.reserve(&"alice", t20), Ok(()));
    }

    #[test]
    fn concurrent_reservations_stop_at_the_limit() {
        let limits = LoginLimits::new(
            Limit {
                failures: 5,
                window: MINUTE,
            },
            Limit {
                failures: 50,
                window: MINUTE,
            },
        );
        let address: IpAddr = [127, 0, 0, 1].into();
        let granted = std::thread::scope(|s| {
            let threads: Vec<_> = (0..50)
                .map(|_| s.spawn(|| limits.reserve("alice", address).ok()))
                .collect();
            threads
                .into_iter()
                .filter_map(|t| t.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(granted.len(), 5);
        for reservation in granted {
            limits.settle(reservation, Outcome::Failed);
        }
        assert!(limits.reserve("alice", address).is_err());
        // A refusal for the user did not use up the address: another user still gets through.
        let bob = limits.reserve("bob", address).unwrap();
        limits.settle(bob, Outcome::Succeeded);
    }

    #[test]
    fn settling_gives_back_what_did_not_fail() {
        let one = Limit {
            failures: 1,
            window: MINUTE,
        };
        let limits = LoginLimits::new(one, one);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let r = limits.reserve("alice", a).unwrap();
        // While it is in flight, the address and the username are both taken.
        assert!(limits.reserve("bob", a).is_err());
        assert!(limits.reserve("alice", b).is_err());
        limits.settle(r, Outcome::NotChecked);
        let r = limits.reserve("alice", a).unwrap();
        limits.settle(r, Outcome::Succeeded);
        let r = limits.reserve("alice", a).unwrap();
        limits.settle(r, Outcome::Failed);
        assert!(limits.reserve("alice", b).is_err());
        assert!(limits.reserve("bob", a).is_err());
        assert!(limits.reserve("bob", b).is_ok());
    }
}
