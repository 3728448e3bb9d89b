//! Counters and a latency histogram, served as Prometheus text at `GET /metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::exchange::Refusal;

/// Grant kinds, as counted in `twilio_token_tokens_issued_total{grant=...}`.
const GRANTS: [&str; 6] = twilio_token::grants::Grant::KEYS;
/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How a login attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Login {
    /// Password accepted.
    Ok,
    /// Wrong or missing credentials.
    Failed,
    /// Refused by the rate limiter.
    Limited,
}

/// Results of a token exchange besides the refusals: `ok`, and no keys to verify with.
const EXCHANGE_RESULTS: [&str; 2] = ["ok", "keys_unavailable"];
const REFUSALS: usize = Refusal::ALL.len();

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    tokens: [AtomicU64; 6],
    logins: [AtomicU64; 3],
    password_checks: AtomicU64,
    refreshes: AtomicU64,
    exchanges: [AtomicU64; EXCHANGE_RESULTS.len() + REFUSALS],
    jwks_fetches: [AtomicU64; 2],
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts a token issued with these grant keys.
    pub fn token<'a>(&self, grant_keys: impl IntoIterator<Item = &'a str>) {
        for key in grant_keys {
            if let Some(i) = GRANTS.iter().position(|g| *g == key) {
                self.tokens[i].fetch_add(1, Relaxed);
            }
        }
    }

    /// Counts a login attempt.
    pub fn login(&self, outcome: Login) {
        self.logins[outcome as usize].fetch_add(1, Relaxed);
    }

    /// Counts a password hashed and compared with a stored (or the dummy) hash.
    pub fn password_check(&self) {
        self.password_checks.fetch_add(1, Relaxed);
    }

    /// Counts a refresh through a session.
    pub fn refresh(&self) {
        self.refreshes.fetch_add(1, Relaxed);
    }

    /// Counts a token exchange: `Ok(())`, refused by a check, or `Err(None)` when there were
    /// no keys to verify with.
    pub fn exchange(&self, outcome: Result<(), Option<Refusal>>) {
        let i = match outcome {
            Ok(()) => 0,
            Err(None) => 1,
            Err(Some(r)) => {
                EXCHANGE_RESULTS.len() + Refusal::ALL.iter().position(|x| *x == r).unwrap_or(0)
            }
        };
        self.exchanges[i].fetch_add(1, Relaxed);
    }

    /// Counts a JWK Set fetch.
    pub fn jwks_fetch(&self, ok: bool) {
        self.jwks_fetches[usize::from(!ok)].fetch_add(1, Relaxed);
    }

    /// Records a request's latency.
    pub fn observe(&self, latency: Duration) {
        // One counter per bucket (not cumulative), so an observation is one increment; the
        // exposition adds them up.
        let seconds = latency.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(latency.as_micros() as u64, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        out.push_str("# HELP twilio_token_tokens_issued_total Access tokens issued, by grant.\n");
        out.push_str("# TYPE twilio_token_tokens_issued_total counter\n");
        for (grant, n) in GRANTS.iter().zip(&self.tokens) {
            let _ = writeln!(
                out,
                "twilio_token_tokens_issued_total{{grant=\"{grant}\"}} {}",
                n.load(Relaxed)
            );
        }
        out.push_str("# HELP twilio_token_logins_total Password logins, by result.\n");
        out.push_str("# TYPE twilio_token_logins_total counter\n");
        for (result, n) in ["ok", "failed", "limited"].iter().zip(&self.logins) {
            let _ = writeln!(
                out,
                "twilio_token_logins_total{{result=\"{result}\"}} {}",
                n.load(Relaxed)
            );
        }
        out.push_str(
            "# HELP twilio_token_password_checks_total Passwords hashed to check a login.\n",
        );
        out.push_str("# TYPE twilio_token_password_checks_total counter\n");
        let _ = writeln!(
            out,
            "twilio_token_password_checks_total {}",
            self.password_checks.load(Relaxed)
        );
        out.push_str("# HELP twilio_token_refreshes_total Tokens issued through a session.\n");
        out.push_str("# TYPE twilio_token_refreshes_total counter\n");
        let _ = writeln!(
            out,
            "twilio_token_refreshes_total {}",
            self.refreshes.load(Relaxed)
        );
        out.push_str(
            "# HELP twilio_token_exchanges_total ID token exchanges, by result or failed check.\n",
        );
        out.push_str("# TYPE twilio_token_exchanges_total counter\n");
        let results = EXCHANGE_RESULTS
            .iter()
            .copied()
            .chain(Refusal::ALL.iter().map(|r| r.as_str()));
        for (result, n) in results.zip(&self.exchanges) {
            let _ = writeln!(
                out,
                "twilio_token_exchanges_total{{result=\"{result}\"}} {}",
                n.load(Relaxed)
            );
        }
        out.push_str(
            "# HELP twilio_token_jwks_fetches_total Fetches of identity providers' keys.\n",
        );
        out.push_str("# TYPE twilio_token_jwks_fetches_total counter\n");
        for (result, n) in ["ok", "failed"].iter().zip(&self.jwks_fetches) {
            let _ = writeln!(
                out,
                "twilio_token_jwks_fetches_total{{result=\"{result}\"}} {}",
                n.load(Relaxed)
            );
        }
        out.push_str("# HELP twilio_token_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE twilio_token_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Relaxed);
            let _ = writeln!(
                out,
                "twilio_token_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(
            out,
            "twilio_token_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "twilio_token_request_duration_seconds_sum {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "twilio_token_request_duration_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_what_happened() {
        let m = Metrics::default();
        m.token(["video", "voice"]);
        m.token(["video"]);
        m.login(Login::Failed);
        m.password_check();
        m.observe(Duration::from_micros(700));
        m.exchange(Err(Some(Refusal::Audience)));
        m.exchange(Ok(()));
        m.jwks_fetch(false);
        let text = m.render();
        assert!(text.contains("twilio_token_exchanges_total{result=\"audience\"} 1\n"));
        assert!(text.contains("twilio_token_exchanges_total{result=\"ok\"} 1\n"));
        assert!(text.contains("twilio_token_exchanges_total{result=\"expired\"} 0\n"));
        assert!(text.contains("twilio_token_jwks_fetches_total{result=\"failed\"} 1\n"));
        assert!(text.contains("twilio_token_tokens_issued_total{grant=\"video\"} 2\n"));
        assert!(text.contains("twilio_token_tokens_issued_total{grant=\"voice\"} 1\n"));
        assert!(text.contains("twilio_token_logins_total{result=\"failed\"} 1\n"));
        assert!(text.contains("twilio_token_password_checks_total 1\n"));
        assert!(text.contains("twilio_token_request_duration_seconds_bucket{le=\"0.0005\"} 0\n"));
        assert!(text.contains("twilio_token_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("twilio_token_request_duration_seconds_count 1\n"));
    }
}
