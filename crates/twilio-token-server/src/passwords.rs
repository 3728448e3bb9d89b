//! Password hashing with argon2id, on a fixed pool of hashing threads, so that a flood of
//! logins cannot stall the event loop or queue without limit.
//!
//! Each thread keeps one argon2 memory buffer (19 MiB) for its whole life. Allocating a fresh
//! buffer per hash made the allocator keep freed buffers in per-thread arenas: under a login
//! flood the server's memory grew by hundreds of MiB (found by the soak test).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;

/// How many logins may wait for a hashing thread before new ones are turned away.
const MAX_WAITING: usize = 256;
/// The most memory a stored hash may ask for (4 x OWASP's minimum); more never verifies.
const MAX_MEMORY_KIB: u32 = 4 * MEMORY_KIB;

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
    verify_in(&mut Vec::new(), password, phc)
}

/// [`verify`], hashing in `memory` (grown as the stored parameters need, and kept).
fn verify_in(memory: &mut Vec<Block>, password: &str, phc: &str) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .ok()?;
        let params = Params::try_from(&parsed).ok()?;
        if params.m_cost() > MAX_MEMORY_KIB {
            return None;
        }
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let expected = parsed.hash?;
        let mut out = [0u8; 64];
        let out = out.get_mut(..expected.len())?;
        if memory.len() < params.block_count() {
            memory.resize(params.block_count(), Block::default());
        }
        Argon2::new(algorithm, version, params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                out,
                &mut memory[..params.block_count()],
            )
            .ok()?;
        Some(bool::from(out.ct_eq(expected.as_bytes())))
    };
    check().unwrap_or(false)
}

/// Work for a hashing thread: it gets the thread's memory buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Runs password checks on a fixed pool of hashing threads.
#[derive(Debug, Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    waiting: Arc<AtomicUsize>,
    /// A hash of a random password, checked for unknown users so that "no such user" takes as
    /// long as "wrong password".
    dummy: Arc<str>,
}

/// The pool is saturated.
#[derive(Debug)]
pub struct Busy;

impl Hasher {
    /// A pool of `threads` (normally the number of cores). The threads end when the last clone
    /// of the pool is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => break, // the pool is gone
                        }
                    }
                });
        }
        let random: [u8; 16] = rand_bytes();
        Hasher {
            jobs,
            waiting: Arc::new(AtomicUsize::new(0)),
            dummy: hash(&format!("{random:?}")).into(),
        }
    }

    /// Checks `password` against `phc`, or against the dummy hash when there is no user.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, Busy> {
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let ok = self
            .run(move |memory| verify_in(memory, &password, &phc))
            .await?;
        Ok(ok && real)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let waiting = Arc::clone(&self.waiting);
        let job: Job = Box::new(move |memory| {
            waiting.fetch_sub(1, Ordering::SeqCst);
            let _ = done.send(work(memory));
        });
        if self.jobs.send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        result.await.map_err(|_| Busy)
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
        // A hash made with the library's own verifier agrees, and tampering is caught.
        let mut tampered = phc.clone();
        tampered.pop();
        tampered.push(if phc.ends_with('A') { 'B' } else { 'A' });
        assert!(!verify("correct horse", &tampered));
        let costly = phc.replace("m=19456", "m=1000000");
        assert!(
            !verify("correct horse", &costly),
            "absurd memory costs never run"
        );
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = Hasher::new(1);
        assert_eq!(
            hasher.verify("anything".into(), None).await.ok(),
            Some(false)
        );
        let phc = hash("pw");
        assert_eq!(hasher.verify("pw".into(), Some(phc)).await.ok(), Some(true));
    }
}
