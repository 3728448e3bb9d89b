//! Failed-login limits per username and per client address: a sliding window of failures.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
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

/// Failures per key, forgotten as they age out of the window.
#[derive(Debug)]
pub struct Limiter<K> {
    limit: Limit,
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// Keys kept at most; beyond it the oldest are swept, so a flood of distinct keys cannot grow
/// memory without bound.
const MAX_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// A limiter with this limit.
    pub fn new(limit: Limit) -> Self {
        Limiter {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `key` has used up its failures.
    pub fn check(&self, key: &K, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = map.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit.failures {
            return None;
        }
        let oldest = *times.front()?;
        let wait = self.limit.window.saturating_sub(now.duration_since(oldest));
        Some(wait.as_secs().max(1))
    }

    /// Records a failure.
    pub fn fail(&self, key: &K, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let window = self.limit.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = map.entry(key.clone()).or_default();
        times.push_back(now);
        while times.len() > self.limit.failures {
            times.pop_front();
        }
    }

    /// Forgets a key's failures (after a successful login).
    pub fn reset(&self, key: &K) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let limiter = Limiter::new(Limit {
            failures: 3,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(limiter.check(&"alice", t0), None, "after {i} failures");
            limiter.fail(&"alice", t0 + Duration::from_secs(i * 10));
        }
        assert_eq!(
            limiter.check(&"alice", t0 + Duration::from_secs(20)),
            Some(40)
        );
        assert_eq!(limiter.check(&"bob", t0), None);
        // The first failure ages out at t0 + 60.
        assert_eq!(limiter.check(&"alice", t0 + Duration::from_secs(60)), None);
        limiter.reset(&"alice");
        assert_eq!(limiter.check(&"alice", t0 + Duration::from_secs(20)), None);
    }
}
