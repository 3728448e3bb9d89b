//! Password hashing with argon2id, on a bounded pool of blocking threads, so that a flood of
//! logins cannot stall the event loop or queue without limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;

/// How many logins may wait for a hashing thread before new ones are turned away.
const MAX_WAITING: usize = 256;

/// The argon2id configuration.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A new PHC string for `password` (blocking: call it off the event loop).
pub fn hash(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes(), &salt())
        .expect("hashing into memory cannot fail")
        .to_string()
}

/// 16 random bytes of salt.
fn salt() -> SaltString {
    SaltString::encode_b64(&rand_bytes::<16>()).expect("16 bytes is a valid salt")
}

/// Whether `password` matches the PHC string (blocking). A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Runs password checks on at most `threads` blocking threads at once.
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    /// A hash of a random password, checked for unknown users so that "no such user" takes as
    /// long as "wrong password".
    dummy: Arc<str>,
}

/// The pool is saturated.
#[derive(Debug)]
pub struct Busy;

impl Hasher {
    /// A pool of `threads` (normally the number of cores).
    pub fn new(threads: usize) -> Self {
        let random: [u8; 16] = rand_bytes();
        Hasher {
            permits: Arc::new(Semaphore::new(threads.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            dummy: hash(&format!("{random:?}")).into(),
        }
    }

    /// Checks `password` against `phc`, or against the dummy hash when there is no user.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, Busy> {
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let ok = self.run(move || verify(&password, &phc)).await?;
        Ok(ok && real)
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<String, Busy> {
        self.run(move || hash(&password)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let permit = self.permits.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = permit.map_err(|_| Busy)?;
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| Busy)?;
        Ok(result)
    }
}

/// Random bytes from the operating system.
pub fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the operating system's random source works");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let phc = hash("correct horse");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(verify("correct horse", &phc));
        assert!(!verify("wrong", &phc));
        assert!(!verify("correct horse", "not a phc string"));
        assert_ne!(hash("correct horse"), phc, "salted");
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = Hasher::new(1);
        assert_eq!(
            hasher.verify("anything".into(), None).await.ok(),
            Some(false)
        );
        let phc = hasher.hash("pw".into()).await.unwrap();
        assert_eq!(hasher.verify("pw".into(), Some(phc)).await.ok(), Some(true));
    }
}
