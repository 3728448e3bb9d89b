//! JSON as the reference writes it (strict input is `strict`'s).
//!
//! twilio-python serialises with `json.dumps(obj, separators=(",", ":"))`: `ensure_ascii` is on, so
//! every character outside printable ASCII (DEL included) is written as a lowercase `\uXXXX`
//! escape (astral characters as surrogate pairs), and floats are written as Python's `repr`.
//! [`PyFormatter`] makes `serde_json` do exactly that.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::Formatter;

/// A `serde_json` formatter that reproduces Python's `json.dumps(..., separators=(",", ":"))`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PyFormatter;

impl Formatter for PyFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has already escaped quotes, backslashes and C0 controls; what is left for us
        // is DEL and everything outside ASCII.
        if fragment.is_ascii() && !fragment.as_bytes().contains(&0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (c as u32) < 0x7f {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_number_str<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        writer.write_all(python_number(value).as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

/// A JSON number literal as Python writes it back after `json.loads`: integers keep every digit
/// (Python's ints have no size limit; `-0` becomes `0`), anything with a fraction or an
/// exponent is a float and is written as its `repr`.
pub(crate) fn python_number(literal: &str) -> std::borrow::Cow<'_, str> {
    if literal.contains(['.', 'e', 'E']) {
        python_float_repr(literal.parse().unwrap_or(f64::NAN)).into()
    } else if literal == "-0" {
        "0".into()
    } else {
        literal.into()
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, positional notation for
/// decimal exponents in [-4, 16), scientific (`1e+16`, `1e-05`) outside it.
pub(crate) fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        // Unreachable from JSON input; Python would write these non-standard tokens.
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python's repr.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let point = exponent + 1; // position of the decimal point within `digits`
    let mut out = String::with_capacity(digits.len() + 8);
    if value.is_sign_negative() {
        out.push('-');
    }
    let len = digits.len() as i32;
    if !(-4 < point && point <= 16) {
        out.push_str(&digits[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = point - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    } else if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else if point >= len {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - len) as usize));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// Serialises `value` the way twilio-python's JSON encoder does, appending to `out`.
pub(crate) fn write_python<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(out, PyFormatter);
    // Serialising into a Vec cannot fail for the types this crate writes (string keys only).
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail");
}

/// Writes a payload the way twilio-python's encoder does, straight into bytes: the fixed parts
/// of every token type without going through serde, caller-supplied JSON values through
/// [`PyFormatter`].
pub(crate) struct JsonWriter {
    out: Vec<u8>,
    comma: bool,
}

impl JsonWriter {
    /// A writer appending to `out`.
    pub fn with_buffer(out: Vec<u8>) -> Self {
        JsonWriter { out, comma: false }
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
    }

    /// `{`, as a value.
    pub fn open(&mut self) {
        self.separate();
        self.out.push(b'{');
        self.comma = false;
    }

    /// `}`.
    pub fn close(&mut self) {
        self.out.push(b'}');
        self.comma = true;
    }

    /// A member name and its `:`; the value follows. Names are this crate's own constants,
    /// which need no escaping, so they are copied as they are.
    #[inline(always)] // so that a constant name is copied without a call
    pub fn key(&mut self, name: &'static str) {
        debug_assert!(plain(name), "{name:?} needs escaping");
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.comma = false;
    }

    pub fn str(&mut self, value: &str) {
        self.separate();
        self.string(value);
        self.comma = true;
    }

    /// `"{value}-{n}"`, as an access token's `jti`.
    pub fn str_dash_int(&mut self, value: &str, n: i64) {
        self.separate();
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        if plain(value) {
            self.out.push(b'"');
            self.out.extend_from_slice(value.as_bytes());
            self.out.push(b'-');
            self.out.extend_from_slice(digits.as_bytes());
            self.out.push(b'"');
        } else {
            self.string(&format!("{value}-{digits}"));
        }
        self.comma = true;
    }

    pub fn int(&mut self, n: i64) {
        self.separate();
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.comma = true;
    }

    pub fn bool(&mut self, b: bool) {
        self.separate();
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
        self.comma = true;
    }

    /// Any serialisable value, written as the reference would.
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.separate();
        write_python(&mut self.out, value);
        self.comma = true;
    }

    fn string(&mut self, s: &str) {
        if plain(s) {
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        } else {
            write_python(&mut self.out, s);
        }
    }
}

/// Whether `s` needs no escaping at all: printable ASCII without `"` and `\`.
fn plain(s: &str) -> bool {
    plain_prefix(s.as_bytes(), true) == s.len()
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The length of the longest prefix of `bytes` without `"`, `\` or a control character, nor,
/// when `ascii_only`, DEL or a byte above it: the part of a JSON string that is copied as it
/// is. Eight bytes at a time (SWAR): strings in tokens are too short for a vector search's
/// set-up to pay off.
pub(crate) fn plain_prefix(bytes: &[u8], ascii_only: bool) -> usize {
    // In each test only the lowest flagged byte is exact (borrows and carries run upwards),
    // and the lowest is the one wanted.
    let stops = |w: u64| {
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let mut stop = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if ascii_only {
            stop |= (w | w.wrapping_add(ONES)) & HIGH; // 0x7f and above
        }
        stop
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
    let stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20 || (ascii_only && b >= 0x7f);
    at + tail.iter().position(|&b| stop(b)).unwrap_or(tail.len())
}

/// Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))`, as PyJWT writes headers.
pub(crate) struct Sorted<'a>(pub &'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Sorted(&map[k]))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_prefix_stops_where_a_byte_by_byte_scan_does() {
        let scalar = |bytes: &[u8], ascii_only: bool| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20 || (ascii_only && b >= 0x7f))
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
            for ascii_only in [false, true] {
                assert_eq!(
                    plain_prefix(bytes, ascii_only),
                    scalar(bytes, ascii_only),
                    "{bytes:?} {ascii_only}"
                );
            }
        }
    }

    fn dumps(v: &Value) -> String {
        let mut out = Vec::new();
        write_python(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_are_written_like_python_repr() {
        for (value, python) in [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e20, "1e+20"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-7, "1e-07"),
            (-0.0, "-0.0"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (123.456, "123.456"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(python_float_repr(value), python, "{value:e}");
        }
    }

    #[test]
    fn number_literals_are_written_like_python() {
        let v: Value = serde_json::from_str(
            r#"[12345678901234567890123, -0, 1E20, 1.50, 9007199254740993.0, -0.0, 0e0, 1e400]"#,
        )
        .unwrap();
        assert_eq!(
            dumps(&v),
            "[12345678901234567890123,0,1e+20,1.5,9007199254740992.0,-0.0,0.0,Infinity]"
        );
    }

    #[test]
    fn the_writer_escapes_like_the_formatter() {
        for s in [
            "plain",
            "",
            "é",
            "a\"b",
            "back\\slash",
            "tab\t",
            "\u{7f}",
            "~ !",
            "😀",
        ] {
            let mut w = JsonWriter::with_buffer(Vec::new());
            w.str(s);
            assert_eq!(
                w.finish(),
                {
                    let mut out = Vec::new();
                    write_python(&mut out, s);
                    out
                },
                "{s:?}"
            );
        }
        let mut w = JsonWriter::with_buffer(Vec::new());
        w.open();
        w.key("a");
        w.int(-1);
        w.key("b");
        w.open();
        w.close();
        w.key("c");
        w.str_dash_int("SK\u{e9}", 7);
        w.key("d");
        w.bool(true);
        w.close();
        assert_eq!(
            String::from_utf8(w.finish()).unwrap(),
            r#"{"a":-1,"b":{},"c":"SK\u00e9-7","d":true}"#
        );
    }

    #[test]
    fn strings_are_escaped_like_ensure_ascii() {
        let v = Value::String("é日😀\"\\/\n\u{1}\u{7f}\u{2028}~".into());
        assert_eq!(
            dumps(&v),
            r#""\u00e9\u65e5\ud83d\ude00\"\\/\n\u0001\u007f\u2028~""#
        );
    }
}
