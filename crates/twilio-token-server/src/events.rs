//! What a running server must hear of at once: the changes that other servers sharing its
//! database, and the command line, make to sessions and to the deny list.
//!
//! The store is the one source ([`Changes::watch`](crate::store::Changes::watch): on
//! PostgreSQL, LISTEN/NOTIFY); the server runs one follower for its life, which applies each
//! event to the session cache and the deny list ([`crate::app::AppState::apply`]). Neither
//! the store nor the follower knows the other's insides.

/// One change, or news about the stream of changes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// From now on every change arrives: cached sessions may be trusted.
    Listening,
    /// Changes may be missed until the next [`Event::Listening`]: trust no cached session.
    Deaf,
    /// The sessions of the user of this name ended (a password change, a disable, a removal).
    UserSessionsEnded(String),
    /// One session ended (a logout): the SHA-256 of its id, as the store keeps it.
    SessionEnded([u8; 32]),
    /// The deny list, as it is now.
    Denied(Vec<String>),
}

/// Where the store sends events; closed when the server stops, which ends the watch.
pub type Sender = tokio::sync::mpsc::Sender<Event>;
/// Where the follower reads them.
pub type Receiver = tokio::sync::mpsc::Receiver<Event>;

/// A channel for events: a burst of changes waits here rather than being dropped.
pub fn channel() -> (Sender, Receiver) {
    tokio::sync::mpsc::channel(1024)
}
