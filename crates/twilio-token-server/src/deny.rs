//! The deny list: identities refused tokens whatever their credentials. The database holds
//! it; each server keeps the copy its events bring ([`crate::events::Event::Denied`]) and asks
//! only that copy while serving.

use std::collections::HashSet;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The identities refused tokens, as last heard from the store.
#[derive(Debug, Default)]
pub struct DenyList {
    identities: RwLock<HashSet<String>>,
    /// Whether any is listed: while none is, as mostly, a request takes no lock.
    any: AtomicBool,
}

impl DenyList {
    /// A list holding `identities`.
    pub fn new(identities: Vec<String>) -> Self {
        let list = DenyList::default();
        list.replace(identities);
        list
    }

    /// Whether `identity` is refused tokens.
    pub fn contains(&self, identity: &str) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let identities = self.identities.read().unwrap_or_else(|e| e.into_inner());
        identities.contains(identity)
    }

    /// Makes the list `identities`.
    pub fn replace(&self, identities: Vec<String>) {
        let identities: HashSet<String> = identities.into_iter().collect();
        let mut current = self.identities.write().unwrap_or_else(|e| e.into_inner());
        self.any.store(!identities.is_empty(), Ordering::Release);
        *current = identities;
    }
}

#[cfg(test)]
mod tests {
    use super::DenyList;

    #[test]
    fn holds_what_it_was_last_given() {
        let list = DenyList::new(vec!["mallory".into()]);
        assert!(list.contains("mallory"));
        assert!(!list.contains("alice"));
        list.replace(vec!["alice".into()]);
        assert!(list.contains("alice"));
        assert!(!list.contains("mallory"));
        list.replace(Vec::new());
        assert!(!list.contains("alice"));
    }
}
