//! Twilio SIDs: a two-letter prefix and 32 hexadecimal digits.

use crate::error::{ErrorKind, Result, err};

/// Checks that `value` is a SID with `prefix` (`AC`, `SK`, `AP`, ...): 34 characters, the
/// prefix then 32 hex digits. `field` names the argument in the error.
///
/// The token types do not call this (the reference does not check SIDs, and byte-for-byte
/// compatibility includes accepting what it accepts); front ends such as the CLI do.
///
/// ```
/// use twilio_token::sid;
/// assert!(sid::validate("account_sid", "AC0123456789abcdef0123456789abcdef", "AC").is_ok());
/// let e = sid::validate("account_sid", "ACxxx", "AC").unwrap_err();
/// assert!(e.to_string().contains("account_sid"));
/// ```
pub fn validate(field: &'static str, value: &str, prefix: &'static str) -> Result<()> {
    let ok = value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        err(ErrorKind::InvalidSid {
            field,
            expected_prefix: prefix,
        })
    }
}
