//! The Twilio Regions an API key can belong to. A token signed with a key outside US1 must
//! name its Region in the `twr` header ([`AccessToken::region`](crate::AccessToken::region)).

use std::fmt;
use std::str::FromStr;

/// A Twilio Region, as Twilio's docs and CLI name it (`us1`, `ie1`, `au1`).
///
/// ```
/// use twilio_token::region::Region;
/// assert_eq!("ie1".parse::<Region>().unwrap(), Region::Ie1);
/// assert!("eu1".parse::<Region>().unwrap_err().to_string().contains("us1, ie1, au1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// United States (the default: a token without `twr` is for US1).
    Us1,
    /// Ireland.
    Ie1,
    /// Australia.
    Au1,
}

impl Region {
    /// Every Region, in Twilio's order.
    pub const ALL: [Region; 3] = [Region::Us1, Region::Ie1, Region::Au1];

    /// The Region's name, as the `twr` header carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us1 => "us1",
            Region::Ie1 => "ie1",
            Region::Au1 => "au1",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a Twilio Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRegion;

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Twilio Region: expected one of us1, ie1, au1")
    }
}

impl std::error::Error for UnknownRegion {}

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Reads a Region's name in any case (`IE1` is `ie1`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownRegion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_refused() {
        for region in Region::ALL {
            assert_eq!(region.as_str().parse::<Region>(), Ok(region));
            assert_eq!(region.as_str().to_uppercase().parse::<Region>(), Ok(region));
        }
        for bad in ["", "us", "eu1", "us1 ", "de1"] {
            assert_eq!(bad.parse::<Region>(), Err(UnknownRegion), "{bad:?}");
        }
    }
}
