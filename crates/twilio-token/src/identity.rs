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
        match self.grant {
            "" => write!(f, "an identity {}", self.description),
            _ => write!(f, "a Twilio {} identity {}", self.product, self.description),
        }
    }
}

/// The rules every identity keeps, whatever its grants: it shows what it is. An identity is
/// the principal in Chat, Video and Voice, and people tell principals apart by how their names
/// look, so a name must not pass for another: "alice" with a zero-width space, a soft hyphen or
/// a right-to-left override in it, "ａｌｉｃｅ" in fullwidth letters, or "аlice" with a Cyrillic
/// "а" all display as "alice". (Twilio itself accepts them all.) A name wholly in another
/// script that happens to look Latin ("аре" in Cyrillic) is not caught.
pub const NAME_RULES: [Rule; 3] = [
    Rule {
        product: "",
        grant: "",
        description: "has no invisible or direction-changing characters (Unicode format \
                      characters, e.g. U+200B, U+00AD, U+202E)",
        accepts: |s| {
            use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
            !s.chars()
                .any(|c| c.general_category() == GeneralCategory::Format)
        },
    },
    Rule {
        product: "",
        grant: "",
        description: "is in Unicode normal form NFKC (no fullwidth, ligature or other \
                      compatibility forms of other characters)",
        accepts: unicode_normalization::is_nfkc,
    },
    Rule {
        product: "",
        grant: "",
        description: "mixes no letters of the Latin, Greek and Cyrillic scripts, whose letters \
                      look alike",
        accepts: |s| {
            let mut scripts = s.chars().filter_map(look_alike_script);
            match scripts.next() {
                Some(first) => scripts.all(|script| script == first),
                None => true,
            }
        },
    },
];

/// The script of `c` among those whose letters look alike (0 Latin, 1 Greek, 2 Cyrillic).
fn look_alike_script(c: char) -> Option<u8> {
    if !c.is_alphabetic() {
        return None;
    }
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Some(0),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(1),
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Some(2),
        _ => None,
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

/// The first rule of Twilio's that `identity` breaks: the rules of the products of the grants
/// named by `keys` (what Twilio itself refuses, as error 20106).
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
    first_broken(keys.into_iter().filter_map(rule), identity)
}

/// The first rule `identity` breaks: one of the [`NAME_RULES`], which every identity this
/// project gives out keeps, or one of Twilio's for the grants named by `keys` ([`check`]).
///
/// ```
/// use twilio_token::identity;
/// assert!(identity::check_name("alice_1", ["video"]).is_ok());
/// // Twilio takes a zero-width space in a Video identity; this project does not.
/// assert!(identity::check("ali\u{200B}ce", ["video"]).is_ok());
/// assert!(identity::check_name("ali\u{200B}ce", ["video"]).is_err());
/// ```
pub fn check_name<'a>(
    identity: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), &'static Rule> {
    first_broken(
        NAME_RULES.iter().chain(keys.into_iter().filter_map(rule)),
        identity,
    )
}

fn first_broken<'r>(
    mut rules: impl Iterator<Item = &'r Rule>,
    identity: &str,
) -> Result<(), &'r Rule> {
    match rules.find(|r| !r.accepts(identity)) {
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
    fn names_that_display_as_another_break_a_named_rule() {
        for (name, rule) in [
            ("ali\u{200B}ce", 0), // zero-width space
            ("ali\u{00AD}ce", 0), // soft hyphen
            ("\u{202E}ecila", 0), // right-to-left override
            ("alice\u{2066}", 0), // left-to-right isolate
            ("\u{FEFF}alice", 0), // byte order mark
            ("ali\u{2060}ce", 0), // word joiner
            ("ａｌｉｃｅ", 1),    // fullwidth
            ("ﬁona", 1),          // ligature
            ("e\u{0301}lise", 1), // not composed
            ("\u{0430}lice", 2),  // Cyrillic a
            ("\u{03B1}lice", 2),  // Greek alpha
        ] {
            assert!(check(name, ["video"]).is_ok(), "Twilio takes {name:?}");
            let broken = check_name(name, ["task_router"]).unwrap_err();
            assert_eq!(broken.description, NAME_RULES[rule].description, "{name:?}");
            assert!(broken.to_string().starts_with("an identity "), "{broken}");
        }
        for name in [
            "alice",
            "élise",
            "Ольга",
            "Σοφία",
            "山田",
            "user_alice",
            "a.b-c",
            "😀",
        ] {
            assert!(check_name(name, ["video", "chat"]).is_ok(), "{name:?}");
        }
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
