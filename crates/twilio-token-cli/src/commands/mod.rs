//! One module per subcommand.

pub mod access;
pub mod decode;
pub mod mint;
pub mod serve;
pub mod users;

use std::io::Read;

use crate::Failure;

/// The text of `path`, or of standard input for `-`.
pub fn read_input(path: &str, what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Failure::Invalid(format!("cannot read {what} from {path}: {e}")))?;
    Ok(text)
}
