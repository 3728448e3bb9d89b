//! Strict JSON input in one pass: RFC 8259 grammar (UTF-8, no trailing data, bounded depth), no
//! member named twice in any object, and the top-level time claims read on the way, while
//! serde builds the caller's type from the same pass.
//!
//! Duplicate names are compared after unescaping, so `"exp"` and `"\u0065xp"` are the same name.
//! RFC 7515 §5.2 lets a verifier refuse duplicates, and a parser that keeps the last one is how
//! claims get smuggled past another parser that keeps the first.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::CowStrDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, IntoDeserializer, Visitor};

/// What a top-level time claim (`exp`, `nbf`, `iat`) holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Claim {
    Absent,
    Number(f64),
    /// Present but not a number.
    WrongType,
}

/// What a verifier checks of a JSON object's top-level claims: the time claims, and where the
/// values of `iss` and `aud` lie in the text (read with [`value_from_slice`] when asked for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Times {
    pub exp: Claim,
    pub nbf: Claim,
    pub iat: Claim,
    pub iss: Option<(usize, usize)>,
    pub aud: Option<(usize, usize)>,
}

/// Why strict parsing failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Error {
    /// Not JSON (or not UTF-8), or nested deeper than [`MAX_DEPTH`].
    Syntax,
    /// Valid JSON, but not an object.
    NotAnObject,
    /// An object names a member twice.
    DuplicateName,
    /// JSON, but not the shape the target type wants. The message may quote the input, so it
    /// is for tests, never for an error shown to anyone.
    Shape(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax => f.write_str("not JSON"),
            Error::NotAnObject => f.write_str("not a JSON object"),
            Error::DuplicateName => f.write_str("a member is named twice"),
            Error::Shape(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Shape(msg.to_string())
    }
}

/// How deep arrays and objects may nest (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// Parses a JSON object into `T`, strictly, and reports its time claims.
pub(crate) fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<(T, Times), Error> {
    let mut parser = Parser::new(bytes)?;
    parser.skip_ws();
    if parser.peek() != Some(b'{') {
        // Tell "valid JSON of the wrong type" from garbage, for the error message.
        de::IgnoredAny::deserialize(&mut parser)?;
        parser.skip_ws();
        return Err(if parser.pos == bytes.len() {
            Error::NotAnObject
        } else {
            Error::Syntax
        });
    }
    let value = parser.whole::<T>()?;
    Ok((value, parser.times))
}

/// Parses any JSON value into `T`, strictly.
pub(crate) fn value_from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    Parser::new(bytes)?.whole()
}

/// A segment of a compact JWS: canonical, unpadded base64url.
pub(crate) fn base64url(segment: &str) -> crate::Result<Vec<u8>> {
    // The decoder refuses padding and non-zero trailing bits, so each token has one spelling.
    base64_simd::URL_SAFE_NO_PAD
        .decode_to_vec(segment)
        .map_err(|_| {
            crate::ErrorKind::Malformed("segment is not canonical unpadded base64url").into()
        })
}

/// Checks a JSON object strictly without building anything.
pub(crate) fn scan_object(bytes: &[u8]) -> Result<Times, Error> {
    from_slice::<de::IgnoredAny>(bytes).map(|(_, times)| times)
}

struct Parser<'de> {
    text: &'de str,
    bytes: &'de [u8],
    pos: usize,
    depth: usize,
    /// The member names of every object being parsed, innermost last.
    names: Vec<Cow<'de, str>>,
    times: Times,
}

enum Number {
    Unsigned(u64),
    Negative(i64),
    Unsigned128(u128),
    Negative128(i128),
    Float(f64),
}

impl Number {
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Number::Unsigned(n) => visitor.visit_u64(n),
            Number::Negative(n) => visitor.visit_i64(n),
            Number::Unsigned128(n) => visitor.visit_u128(n),
            Number::Negative128(n) => visitor.visit_i128(n),
            Number::Float(f) => visitor.visit_f64(f),
        }
    }
}

impl<'de> Parser<'de> {
    fn new(bytes: &'de [u8]) -> Result<Self, Error> {
        // One UTF-8 check for the whole text; strings are then slices of it.
        let text = std::str::from_utf8(bytes).map_err(|_| Error::Syntax)?;
        Ok(Parser {
            text,
            bytes,
            pos: 0,
            depth: 0,
            names: Vec::with_capacity(16),
            times: Times {
                exp: Claim::Absent,
                nbf: Claim::Absent,
                iat: Claim::Absent,
                iss: None,
                aud: None,
            },
        })
    }

    /// `T` from the whole text: nothing but whitespace may follow it.
    fn whole<T: Deserialize<'de>>(&mut self) -> Result<T, Error> {
        let value = T::deserialize(&mut *self)?;
        self.skip_ws();
        if self.pos != self.bytes.len() {
            return Err(Error::Syntax);
        }
        Ok(value)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Error> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Error::Syntax)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Error::Syntax)
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::Syntax);
        }
        self.pos += 1;
        Ok(())
    }

    /// A number per RFC 8259's grammar.
    fn number(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Error::Syntax),
        }
        let int_end = self.pos;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if !self.digits_required() {
                return Err(Error::Syntax);
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.digits_required() {
                return Err(Error::Syntax);
            }
        }
        if !float {
            // Integers keep every digit up to 128 bits, as Python's do (serde_json's `Value`
            // keeps them too); beyond that they are read as doubles.
            let digits = &self.bytes[int_start..int_end];
            let magnitude = match digits.len() {
                // At most 19 digits cannot overflow 64 bits: the common case, in u64.
                0..=19 => Some(u128::from(
                    digits
                        .iter()
                        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
                )),
                _ => digits.iter().try_fold(0u128, |n, d| {
                    n.checked_mul(10)?.checked_add(u128::from(d - b'0'))
                }),
            };
            match (negative, magnitude) {
                (false, Some(n)) => {
                    return Ok(u64::try_from(n).map_or(Number::Unsigned128(n), Number::Unsigned));
                }
                (true, Some(n)) if n <= i128::MAX as u128 + 1 => {
                    let n = (n as i128).wrapping_neg();
                    return Ok(i64::try_from(n).map_or(Number::Negative128(n), Number::Negative));
                }
                _ => {}
            }
        }
        // The slice is ASCII, so it is a str. A number beyond a double's range (`1e999`) is
        // refused: read as infinity, an `exp` would never come, and PyJWT fails on it too.
        std::str::from_utf8(&self.bytes[start..self.pos])
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .map(Number::Float)
            .ok_or(Error::Syntax)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn digits_required(&mut self) -> bool {
        let from = self.pos;
        self.digits();
        self.pos > from
    }

    /// A string (after checking it starts with `"`): a slice of the input, or its unescaped
    /// text when it has escapes.
    fn string(&mut self) -> Result<Cow<'de, str>, Error> {
        self.expect(b'"')?;
        let start = self.pos;
        self.skip_plain();
        match self.peek() {
            // Quotes are ASCII, so both ends are character boundaries.
            Some(b'"') => {
                self.pos += 1;
                Ok(Cow::Borrowed(&self.text[start..self.pos - 1]))
            }
            Some(b'\\') => self.escaped_string(start).map(Cow::Owned),
            _ => Err(Error::Syntax),
        }
    }

    /// Moves to the next quote, backslash or control character in a string.
    fn skip_plain(&mut self) {
        self.pos += plain_prefix(&self.bytes[self.pos..]);
    }

    /// The rest of a string that has escapes, from its start.
    fn escaped_string(&mut self, start: usize) -> Result<String, Error> {
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek().ok_or(Error::Syntax)? {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.peek().ok_or(Error::Syntax)?;
                    self.pos += 1;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Error::Syntax),
                    });
                }
                _ => {
                    // A control character; plain runs are copied below.
                    let from = self.pos;
                    self.skip_plain();
                    if self.pos == from {
                        return Err(Error::Syntax);
                    }
                    out.push_str(&self.text[from..self.pos]);
                }
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining surrogate pairs; a lone
    /// surrogate is refused, as serde_json refuses it.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(Error::Syntax);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(Error::Syntax);
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(Error::Syntax),
            _ => first,
        };
        char::from_u32(code).ok_or(Error::Syntax)
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let hex = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(Error::Syntax)?;
        let value = hex.iter().try_fold(0u32, |n, &b| {
            let digit = (b as char).to_digit(16)?;
            Some(n * 16 + digit)
        });
        self.pos += 4;
        value.ok_or(Error::Syntax)
    }
}

impl<'de> de::Deserializer<'de> for &mut Parser<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip_ws();
        match self.peek().ok_or(Error::Syntax)? {
            b'{' => {
                self.enter()?;
                let frame = self.names.len();
                let mut access = Object {
                    parser: &mut *self,
                    frame,
                    first: true,
                    done: false,
                    time: None,
                };
                let value = visitor.visit_map(&mut access)?;
                if !access.done {
                    return Err(Error::Syntax);
                }
                self.names.truncate(frame);
                self.depth -= 1;
                Ok(value)
            }
            b'[' => {
                self.enter()?;
                let mut access = Array {
                    parser: &mut *self,
                    first: true,
                    done: false,
                };
                let value = visitor.visit_seq(&mut access)?;
                if !access.done {
                    return Err(Error::Syntax);
                }
                self.depth -= 1;
                Ok(value)
            }
            b'"' => match self.string()? {
                Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            },
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => self.number()?.visit(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip_ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.skip_ws();
        match self.peek() {
            // A unit variant: "Name".
            Some(b'"') => visitor.visit_enum(CowStrDeserializer::<Error>::new(self.string()?)),
            // Any other variant: {"Name": value}.
            Some(b'{') => {
                self.enter()?;
                let value = visitor.visit_enum(Variant { parser: &mut *self })?;
                self.skip_ws();
                self.expect(b'}')?;
                self.depth -= 1;
                Ok(value)
            }
            _ => Err(Error::Shape("expected an enum".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Object<'a, 'de> {
    parser: &'a mut Parser<'de>,
    frame: usize,
    first: bool,
    done: bool,
    /// Which registered claim the pending value is, at the top level: 0 to 2 the times, 3
    /// and 4 `iss` and `aud`.
    time: Option<usize>,
}

impl<'de> de::MapAccess<'de> for Object<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let p = &mut *self.parser;
        p.skip_ws();
        match p.peek() {
            Some(b'}') => {
                p.pos += 1;
                self.done = true;
                return Ok(None);
            }
            Some(b',') if !self.first => {
                p.pos += 1;
                p.skip_ws();
            }
            _ if self.first => {}
            _ => return Err(Error::Syntax),
        }
        self.first = false;
        let name = p.string()?;
        if p.names[self.frame..].contains(&name) {
            return Err(Error::DuplicateName);
        }
        self.time = match (p.depth, &*name) {
            (1, "exp") => Some(0),
            (1, "nbf") => Some(1),
            (1, "iat") => Some(2),
            (1, "iss") => Some(3),
            (1, "aud") => Some(4),
            _ => None,
        };
        p.names.push(name.clone());
        p.skip_ws();
        p.expect(b':')?;
        seed.deserialize(CowStrDeserializer::new(name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let p = &mut *self.parser;
        p.skip_ws();
        let Some(which) = self.time.take() else {
            return seed.deserialize(&mut *self.parser);
        };
        if which >= 3 {
            let start = p.pos;
            let value = seed.deserialize(&mut *self.parser)?;
            let span = Some((start, self.parser.pos));
            let times = &mut self.parser.times;
            *[&mut times.iss, &mut times.aud][which - 3] = span;
            return Ok(value);
        }
        let slot = |p: &mut Parser<'de>, claim| {
            let times = &mut p.times;
            *[&mut times.exp, &mut times.nbf, &mut times.iat][which] = claim;
        };
        if !matches!(p.peek(), Some(b'-' | b'0'..=b'9')) {
            slot(p, Claim::WrongType);
            return seed.deserialize(&mut *self.parser);
        }
        // Read the number once, for the clock check and for the caller's type.
        let number = p.number()?;
        slot(
            p,
            Claim::Number(match number {
                Number::Unsigned(n) => n as f64,
                Number::Negative(n) => n as f64,
                Number::Unsigned128(n) => n as f64,
                Number::Negative128(n) => n as f64,
                Number::Float(f) => f,
            }),
        );
        seed.deserialize(number)
    }
}

/// A number already read, for a type that may also want it as an `Option`.
impl<'de> de::Deserializer<'de> for Number {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.visit(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct Array<'a, 'de> {
    parser: &'a mut Parser<'de>,
    first: bool,
    done: bool,
}

impl<'de> de::SeqAccess<'de> for Array<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let p = &mut *self.parser;
        p.skip_ws();
        match p.peek() {
            Some(b']') => {
                p.pos += 1;
                self.done = true;
                return Ok(None);
            }
            Some(b',') if !self.first => p.pos += 1,
            _ if self.first => {}
            _ => return Err(Error::Syntax),
        }
        self.first = false;
        seed.deserialize(&mut *self.parser).map(Some)
    }
}

struct Variant<'a, 'de> {
    parser: &'a mut Parser<'de>,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        self.parser.skip_ws();
        let name = self.parser.string()?;
        self.parser.skip_ws();
        self.parser.expect(b':')?;
        let value = seed.deserialize(name.into_deserializer())?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::IgnoredAny::deserialize(&mut *self.parser).map(drop)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.parser)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.parser, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.parser, visitor)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The length of the longest prefix of `bytes` without `"`, `\` or a control character: the
/// part of a JSON string that needs no unescaping. Eight bytes at a time (SWAR): strings in tokens are too short for a vector search's
/// set-up to pay off.
pub(crate) fn plain_prefix(bytes: &[u8]) -> usize {
    // In each test only the lowest flagged byte is exact (borrows and carries run upwards),
    // and the lowest is the one wanted.
    let stops = |w: u64| {
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let stop = stops(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        if stop != 0 {
            return at + stop.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    // The tail, a byte at a time (cheaper than copying it into a padded word).
    let tail = chunks.remainder();
    let stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    at + tail.iter().position(|&b| stop(b)).unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    type ScanError = Error;

    #[test]
    fn the_plain_prefix_stops_where_a_byte_by_byte_scan_does() {
        let scalar = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len())
        };
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"plain".to_vec(),
            b"0123456789abcdef".to_vec(),
        ];
        for len in 0..20 {
            for special in [
                b'"', b'\\', 0, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']',
            ] {
                for at in 0..len {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = special;
                    cases.push(bytes.clone());
                    // Something that stops after it, and something before that borrows.
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                        cases.push(bytes.clone());
                    }
                    if at > 0 {
                        bytes[at - 1] = 0xff;
                        cases.push(bytes);
                    }
                }
            }
        }
        for bytes in &cases {
            assert_eq!(plain_prefix(bytes), scalar(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn typed_parsing_sees_what_serde_json_sees() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        enum Kind {
            Plain,
            Tagged(u8),
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Claims<'a> {
            iss: String,
            #[serde(borrow)]
            sub: Cow<'a, str>,
            exp: i64,
            nbf: Option<u32>,
            neg: i64,
            big: u64,
            f: f64,
            list: Vec<Option<bool>>,
            kinds: Vec<Kind>,
            raw: Value,
        }
        let text = r#"{"iss":"SK\u00e9","sub":"AC1","exp":1700003600,"nbf":null,"neg":-9223372036854775808,
            "big":18446744073709551615,"f":-1.5e3,"list":[true,null,false],"kinds":["Plain",{"Tagged":7}],
            "raw":{"a":[1,2.5,"x"],"b":{}},"unknown":[{"deep":1}]}"#;
        let (ours, times): (Claims, _) = from_slice(text.as_bytes()).unwrap();
        let theirs: Claims = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert!(matches!(ours.sub, Cow::Borrowed(_)));
        assert_eq!(times.exp, Claim::Number(1_700_003_600.0));
        assert_eq!(times.nbf, Claim::WrongType);
    }

    #[test]
    fn duplicate_members_are_rejected_at_any_depth() {
        let dup = Err(ScanError::DuplicateName);
        assert_eq!(scan_object(br#"{"a":1,"a":2}"#).map(drop), dup);
        assert_eq!(scan_object(br#"{"a":{"b":1,"b":1}}"#).map(drop), dup);
        assert_eq!(scan_object(br#"{"a":[{"b":1,"b":1}]}"#).map(drop), dup);
        assert_eq!(scan_object(br#"{"exp":1,"\u0065xp":2}"#).map(drop), dup);
        assert_eq!(
            scan_object(br#"{"\ud83d\ude00":1,"\ud83d\ude00":2}"#).map(drop),
            dup
        );
        // The same name in sibling or nested objects is fine.
        assert!(scan_object(br#"{"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":1}]}"#).is_ok());
        assert_eq!(
            scan_object(br#"[1]"#).map(drop),
            Err(ScanError::NotAnObject)
        );
        assert_eq!(
            scan_object(br#"{"a":1} x"#).map(drop),
            Err(ScanError::Syntax)
        );
    }

    #[test]
    fn the_scanner_accepts_exactly_what_serde_json_accepts() {
        for text in [
            r#"{}"#,
            r#" {"a" : [ 1 , -0.5e+3, true, false, null, "x\n\u00e9\"", {} ] } "#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":+1}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            "{\"a\":\"\t\"}",
            r#"{"a":tru}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":1,}"#,
            r#"{,}"#,
            r#"{"a"}"#,
            r#"{"a":1"#,
            r#"{"a":NaN}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"\u{7f}\"}",
        ] {
            let ours = scan_object(text.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Map<String, Value>>(text).is_ok();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    #[test]
    fn time_claims_can_be_read_into_options_and_newtypes() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Seconds(u64);
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Claims {
            exp: Option<i64>,
            nbf: Seconds,
            iat: Option<f64>,
        }
        let (claims, times) = from_slice::<Claims>(br#"{"exp":-5,"nbf":6,"iat":7.5}"#).unwrap();
        assert_eq!(
            claims,
            Claims {
                exp: Some(-5),
                nbf: Seconds(6),
                iat: Some(7.5)
            }
        );
        assert_eq!(times.iat, Claim::Number(7.5));
    }

    #[test]
    fn numbers_beyond_a_double_are_refused() {
        for text in [r#"{"a":1e999}"#, r#"{"a":-2e400}"#, r#"{"exp":1.8e308}"#] {
            assert_eq!(
                scan_object(text.as_bytes()).map(drop),
                Err(ScanError::Syntax),
                "{text}"
            );
        }
        assert!(
            scan_object(br#"{"a":1.7e308,"b":1e-400,"c":123456789012345678901234567890}"#).is_ok()
        );
    }

    #[test]
    fn strings_must_be_utf8_and_may_be_long() {
        assert_eq!(
            scan_object(b"{\"a\":\"\xff\"}").map(drop),
            Err(ScanError::Syntax)
        );
        assert_eq!(
            scan_object(b"{\"a\":\"abcdefghij\xc3\"}").map(drop),
            Err(ScanError::Syntax)
        );
        assert!(
            scan_object("{\"a\":\"abcdefghijé日😀 long enough to take the fast path\"}".as_bytes())
                .is_ok()
        );
        assert_eq!(
            scan_object(b"{\"a\":\"abcdefghij\x01klmnop\"}").map(drop),
            Err(ScanError::Syntax)
        );
        assert_eq!(
            scan_object(b"{\xc3\xa9:1}").map(drop),
            Err(ScanError::Syntax)
        );
    }

    proptest::proptest! {
        #[test]
        fn the_scanner_agrees_with_serde_json_on_any_text(text in "[{}\\[\\]\":,0-9a-z\\\\ .eE+-]{0,40}|\\PC{0,40}") {
            let ours = scan_object(text.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Map<String, Value>>(&text).is_ok();
            // serde_json keeps the last of two equal names where we refuse; all else agrees.
            let dup = scan_object(text.as_bytes()).map(drop) == Err(ScanError::DuplicateName);
            proptest::prop_assert!(ours == theirs || (dup && theirs), "{text:?}");
        }

        #[test]
        fn the_scanner_accepts_every_object_serde_json_writes(map in proptest::collection::btree_map("\\PC{0,12}", "\\PC{0,24}", 0..8)) {
            let text = serde_json::to_string(&map).unwrap();
            proptest::prop_assert!(scan_object(text.as_bytes()).is_ok(), "{text}");
        }
    }

    #[test]
    fn time_claims_are_read_at_the_top_level_only() {
        let s = scan_object(br#"{"exp":1700000000,"nbf":"x","a":{"iat":"y"}}"#).unwrap();
        assert_eq!(s.exp, Claim::Number(1_700_000_000.0));
        assert_eq!(s.nbf, Claim::WrongType);
        assert_eq!(s.iat, Claim::Absent);
    }

    #[test]
    fn iss_and_aud_are_found_at_the_top_level_only() {
        let text = br#"{"x":{"iss":"inner"}, "iss" : "a\u0062" ,"aud":["c", "d"]}"#;
        let s = scan_object(text).unwrap();
        let value = |span: Option<(usize, usize)>| {
            let (start, end) = span.unwrap();
            std::str::from_utf8(&text[start..end]).unwrap()
        };
        assert_eq!(value(s.iss), r#""a\u0062""#);
        assert_eq!(value(s.aud), r#"["c", "d"]"#);
        let iss: String = value_from_slice(value(s.iss).as_bytes()).unwrap();
        assert_eq!(iss, "ab");
        let aud: Vec<String> = value_from_slice(value(s.aud).as_bytes()).unwrap();
        assert_eq!(aud, ["c", "d"]);
        let none = scan_object(br#"{"x":{"iss":"inner","aud":"y"}}"#).unwrap();
        assert_eq!((none.iss, none.aud), (None, None));
        assert!(value_from_slice::<String>(b"\"a\" x").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            scan_object(deep.as_bytes()).map(drop),
            Err(ScanError::Syntax)
        );
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(scan_object(ok.as_bytes()).is_ok());
    }
}
