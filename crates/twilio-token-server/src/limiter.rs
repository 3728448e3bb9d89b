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
//! The counts are kept by the store's [`Attempts`]: on SQLite this process's memory, on
//! PostgreSQL the database that every server of a fleet shares (one upsert per reservation,
//! windows on the database's clock), so a second server does not double an attacker's guesses.
//! Both count in fixed windows: a key's window opens at its first attempt and holds `failures`
//! attempts until it has lasted `window`.
//!
//! Addresses are counted as [`ClientAddress::limit_key`] gives them: an IPv6 client by its /64,
//! which one host commonly holds whole.

use crate::client::ClientAddress;
use crate::store::{Attempts, Limit, StoreError};

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
    use crate::store::attempts::tests::limit;
    use crate::store::attempts::{DEFAULT_CAPACITY, Limiter};
    use std::net::IpAddr;

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
