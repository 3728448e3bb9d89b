//! The identities each Twilio product accepts, as Twilio documents them. A token whose identity
//! breaks its grants' rules is minted and signed without complaint, and then refused by Twilio
//! (error 20106, or the product's own error when the client connects); checking first turns
//! that into a clear message.

use std::fmt;

/// One product's rule for identities.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The product, e.g. `Voice`.
    pub product: &'static str,
    /// The grant key (in the token's `grants` claim) the rule applies to.
    pub grant: &'static str,
    /// The rule in words.
    pub description: &'static str,
    accepts: fn(&str) -> bool,
}

impl Rule {
    /// Whether `identity` keeps the rule.
    pub fn accepts(&self, identity: &str) -> bool {
        (self.accepts)(identity)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a Twilio {} identity {}", self.product, self.description)
    }
}

/// The characters Twilio asks Conversations and Chat identities to avoid (URI reserved
/// characters).
pub const CONVERSATIONS_RESERVED: &str = "!*'();:@&=+$,/?%#[]";

/// Every product's rule. Grants without a rule here (TaskRouter, Playback) take any identity.
pub const RULES: [Rule; 4] = [
    Rule {
        product: "Voice",
        grant: "voice",
        description: "holds only ASCII letters, digits and '_', 1 to 121 of them",
        accepts: |s| {
            (1..=121).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        },
    },
    Rule {
        product: "Video",
        grant: "video",
        description: "is valid UTF-8 of 1 to 128 characters",
        accepts: |s| (1..=128).contains(&s.chars().count()),
    },
    Rule {
        product: "Conversations/Chat",
        grant: "chat",
        description: "has 1 to 256 characters, none of ! * ' ( ) ; : @ & = + $ , / ? % # [ ]",
        accepts: |s| {
            (1..=256).contains(&s.chars().count())
                && !s.contains(|c| CONVERSATIONS_RESERVED.contains(c))
        },
    },
    Rule {
        product: "Sync",
        grant: "data_sync",
        description: "has 1 to 256 characters",
        accepts: |s| (1..=256).contains(&s.chars().count()),
    },
];

/// The rule for grant `key`, if its product has one.
pub fn rule(key: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.grant == key)
}

/// The first rule of the grants named by `keys` that `identity` breaks.
///
/// ```
/// use twilio_token::identity;
/// assert!(identity::check("alice_1", ["video", "voice"]).is_ok());
/// let broken = identity::check("alice@example.com", ["video", "voice"]).unwrap_err();
/// assert_eq!(broken.product, "Voice");
/// ```
pub fn check<'a>(
    identity: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), &'static Rule> {
    match keys
        .into_iter()
        .filter_map(rule)
        .find(|r| !r.accepts(identity))
    {
        Some(broken) => Err(broken),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_product_keeps_its_documented_rule() {
        let ok = |key, id: &str| rule(key).unwrap().accepts(id);
        assert!(ok("voice", "alice_1"));
        assert!(!ok("voice", "alice@example.com"));
        assert!(!ok("voice", ""));
        assert!(ok("voice", &"a".repeat(121)));
        assert!(!ok("voice", &"a".repeat(122)));
        assert!(ok("video", &"é".repeat(128)), "128 characters, 256 bytes");
        assert!(!ok("video", &"é".repeat(129)));
        assert!(ok("chat", "alice.smith-1"));
        for c in CONVERSATIONS_RESERVED.chars() {
            assert!(!ok("chat", &format!("a{c}b")), "{c}");
        }
        assert!(!ok("chat", &"a".repeat(257)));
        assert!(ok("data_sync", &"a".repeat(256)));
        assert!(!ok("data_sync", &"a".repeat(257)));
        assert!(!ok("data_sync", ""));
        assert!(rule("task_router").is_none() && rule("player").is_none());
    }

    #[test]
    fn check_names_the_first_broken_rule() {
        assert_eq!(
            check("a@b", ["task_router", "chat", "voice"])
                .unwrap_err()
                .product,
            "Conversations/Chat"
        );
        let text = check("a@b", ["voice"]).unwrap_err().to_string();
        assert!(
            text.starts_with("a Twilio Voice identity holds only"),
            "{text}"
        );
    }
}
