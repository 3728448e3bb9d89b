//! The two dialects of JSON and text that the official helper libraries write tokens in (strict
//! input is `strict`'s).
//!
//! - twilio-python serialises with `json.dumps(obj, separators=(",", ":"))`: `ensure_ascii` is
//!   on, so every character outside printable ASCII (DEL included) is written as a lowercase
//!   `\uXXXX` escape (astral characters as surrogate pairs), and floats are written as Python's
//!   `repr`. [`PyFormatter`] makes `serde_json` do exactly that.
//! - twilio-node serialises with `JSON.stringify`: only quotes, backslashes and control
//!   characters are escaped (as `serde_json` escapes them), every number is a double written as
//!   JavaScript's `Number.prototype.toString` writes it, and an object's integer-like keys come
//!   first, in ascending order. Its capability scopes escape with Node's `querystring.escape`,
//!   after JavaScript's `String()` conversion.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::Formatter;

/// Whose layout and JSON a token is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// twilio-python's (and this crate's default).
    #[default]
    Python,
    /// twilio-node's: its header and payload order, `iat` always, `nbf` only when given, and
    /// `JSON.stringify`'s escaping and numbers.
    Node,
}

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
        if printable_ascii(fragment.as_bytes()) {
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

/// Whether every byte is below DEL, eight at a time: the strings in tokens are too short for
/// a vector search's set-up to pay off.
fn printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    // A byte of 0x80 or above has its high bit set; 0x7f gets it when one is added (a carry
    // out of a byte happens only from 0xff, already caught).
    let clean = chunks.by_ref().all(|chunk| {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        (w | w.wrapping_add(ONES)) & HIGH == 0
    });
    clean && chunks.remainder().iter().all(|&b| b < 0x7f)
}

/// The digits one below `digits` (the shortest for `value`, times ten to `exponent` with the
/// point after the first), when they round-trip too and `value` lies exactly halfway between
/// the two: then the even ones are Python's.
fn tie_to_even(value: f64, digits: &str, exponent: i32) -> Option<String> {
    let last = *digits.as_bytes().last()?;
    if last % 2 == 0 {
        return None; // already even: Python's choice as well
    }
    let mut below = digits.to_owned();
    below.pop();
    below.push(char::from(last - 1));
    let round_trips = format!("{}.{}e{exponent}", &below[..1], &below[1..]).parse() == Ok(value);
    if !round_trips {
        return None;
    }
    // The exact decimal value of the double (every double has a finite one, within 800
    // significant digits): a tie is `below` followed by a single 5.
    let exact = format!("{value:.800e}");
    let (mantissa, _) = exact.split_once('e')?;
    let exact: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exact = exact.trim_end_matches('0');
    (exact.len() == below.len() + 1 && exact.starts_with(below.as_str()) && exact.ends_with('5'))
        .then_some(below)
}

/// The shortest digits that read back as `value`'s magnitude, the even ones on a tie (as Python
/// and JavaScript both choose), and the position of the decimal point within them.
fn shortest_digits(value: f64) -> (String, i32) {
    // Rust's `{:e}` gives the shortest round-trip digits but breaks a tie between two equally
    // near candidates upwards.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits = tie_to_even(value.abs(), &digits, exponent).unwrap_or(digits);
    (digits, exponent + 1)
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
    let (digits, point) = shortest_digits(value);
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

/// A `serde_json` formatter that writes what `JSON.stringify` writes: `serde_json`'s own string
/// escaping is already JavaScript's, and every number is a double.
#[derive(Debug, Clone, Copy, Default)]
struct NodeFormatter;

impl Formatter for NodeFormatter {
    fn write_number_str<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        writer.write_all(js_json_number(value.parse().unwrap_or(f64::NAN)).as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(js_json_number(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_i64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: i64) -> io::Result<()> {
        // A double holds every integer up to 2⁵³ exactly, and JavaScript writes it in digits.
        match value.unsigned_abs() <= 1 << 53 {
            true => writer.write_all(itoa::Buffer::new().format(value).as_bytes()),
            false => self.write_f64(writer, value as f64),
        }
    }

    fn write_u64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: u64) -> io::Result<()> {
        match i64::try_from(value) {
            Ok(value) => self.write_i64(writer, value),
            Err(_) => self.write_f64(writer, value as f64),
        }
    }
}

/// A number as `JSON.stringify` writes it: `null` for what JSON cannot hold.
fn js_json_number(value: f64) -> String {
    match value.is_finite() {
        true => js_number(value),
        false => "null".into(),
    }
}

/// JavaScript's `Number.prototype.toString()`: the shortest digits that read back as `value`
/// (the even ones on a tie), positional from 1e-6 up to 1e21, exponential outside.
pub(crate) fn js_number(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if value == 0.0 {
        return "0".into(); // -0 too
    }
    let (digits, n) = shortest_digits(value);
    let k = digits.len() as i32;
    let mut out = String::with_capacity(digits.len() + 24);
    if value < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

/// JavaScript's `String(value)` of a value parsed from JSON.
pub(crate) fn js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        // Array.prototype.join writes null as nothing.
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                item => js_string(item),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// Whether JavaScript takes `value` as true (`{}` and `[]` are; `""`, `0` and `null` are not).
pub(crate) fn js_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Node's `querystring.escape`: UTF-8, percent-encoded in capitals, all but ASCII letters,
/// digits and `!'()*-._~`.
pub(crate) fn qs_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"!'()*-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A map's entries in the order a JavaScript object keeps its keys: the integer-like ones
/// (array indices) first, ascending, then the others as they came.
pub(crate) fn js_entries<'a, V>(
    entries: impl IntoIterator<Item = (&'a str, V)>,
) -> Vec<(&'a str, V)> {
    let mut entries: Vec<(&str, V)> = entries.into_iter().collect();
    // Most objects have no integer-like key, and keep their order as they are; the sort is
    // stable, so the other keys keep theirs.
    if entries.iter().any(|(k, _)| array_index(k).is_some()) {
        entries.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |i| (0, i)));
    }
    entries
}

/// The array index a key names: a canonical decimal integer below 2³² − 1.
fn array_index(key: &str) -> Option<u32> {
    if !key.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let index: u32 = key.parse().ok()?;
    (index != u32::MAX && index.to_string() == key).then_some(index)
}

/// `value` as `JSON.stringify` writes it (with [`write_node`]): every object in JavaScript's
/// key order.
pub(crate) struct JsOrdered<'a>(pub &'a Value);

impl Serialize for JsOrdered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Array(items) => s.collect_seq(items.iter().map(JsOrdered)),
            Value::Object(map) => s.collect_map(
                js_entries(map.iter().map(|(k, v)| (k.as_str(), v)))
                    .into_iter()
                    .map(|(k, v)| (k, JsOrdered(v))),
            ),
            other => other.serialize(s),
        }
    }
}

/// Serialises `value` the way `JSON.stringify` does (objects given as [`Value`]s go through
/// [`JsOrdered`]).
pub(crate) fn write_node<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(out, NodeFormatter);
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail");
}

/// Signs `header` and `payload` as twilio-node's jsonwebtoken does: each written by
/// `JSON.stringify`.
pub(crate) fn sign_node<H: Serialize + ?Sized, P: Serialize + ?Sized>(
    header: &H,
    payload: &P,
    alg: crate::Algorithm,
    key: &crate::EncodingKey,
) -> crate::Result<String> {
    let (header_json, payload_json) = node_json(header, payload);
    crate::jws::sign(&header_json, &payload_json, alg, key)
}

/// What [`sign_node`] signs: the JWS Signing Input of `header` and `payload`, each written by
/// `JSON.stringify`.
pub(crate) fn node_signing_input<H: Serialize + ?Sized, P: Serialize + ?Sized>(
    header: &H,
    payload: &P,
) -> String {
    let (header_json, payload_json) = node_json(header, payload);
    crate::jws::signing_input(&header_json, &payload_json)
}

/// A token's header and payload, each written by `JSON.stringify`.
fn node_json<H: Serialize + ?Sized, P: Serialize + ?Sized>(
    header: &H,
    payload: &P,
) -> (Vec<u8>, Vec<u8>) {
    let (mut header_json, mut payload_json) = (Vec::with_capacity(96), Vec::with_capacity(512));
    write_node(&mut header_json, header);
    write_node(&mut payload_json, payload);
    (header_json, payload_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(v: &Value) -> String {
        let mut out = Vec::new();
        write_python(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ties_between_shortest_digits_go_to_the_even_one_as_in_python() {
        // Each exactly halfway between two shortest candidates (repr(x) in CPython 3.11),
        // given as text: the literals carry more digits than a double keeps.
        for (literal, python) in [
            ("2049274972774303.25", "2049274972774303.2"),
            ("2049274972774303.75", "2049274972774303.8"),
            ("-2049274972774303.25", "-2049274972774303.2"),
            ("4503599627370498.0", "4503599627370498.0"),
            ("0.125", "0.125"),
            ("1.5e16", "1.5e+16"),
            ("0.3", "0.3"),
            ("5e-324", "5e-324"),
        ] {
            let value: f64 = literal.parse().unwrap();
            assert_eq!(python_float_repr(value), python, "{value:e}");
        }
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
    fn the_word_check_finds_what_a_byte_check_finds() {
        for len in 0..20 {
            for at in 0..len {
                for special in [0x7e, 0x7f, 0x80, 0xfe, 0xff, 0x00, b'a'] {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = special;
                    if at > 0 {
                        bytes[at - 1] = 0x7e;
                    }
                    let expected = bytes.iter().all(|&b| b < 0x7f);
                    assert_eq!(printable_ascii(&bytes), expected, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped_like_ensure_ascii() {
        let v = Value::String("é日😀\"\\/\n\u{1}\u{7f}\u{2028}~".into());
        assert_eq!(
            dumps(&v),
            r#""\u00e9\u65e5\ud83d\ude00\"\\/\n\u0001\u007f\u2028~""#
        );
    }

    fn stringify(v: &Value) -> String {
        let mut out = Vec::new();
        write_node(&mut out, &JsOrdered(v));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_are_written_like_javascript() {
        // Each as `String(x)` prints it in Node 20.
        for (value, js) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (-0.0, "0"),
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (2f64.powi(60), "1152921504606847000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1234.5, "-1234.5"),
            (2_049_274_972_774_303.0 + 0.25, "2049274972774303.2"),
        ] {
            assert_eq!(js_number(value), js, "{value:e}");
        }
    }

    #[test]
    fn json_is_written_like_json_stringify() {
        let v: Value = serde_json::from_str(
            r#"{"b": 1, "10": 2, "a": [1.0, 12345678901234567890, -0, 1e400], "2": "é\"\u2028\u007f\u0001", "01": null, "4294967295": 3, "4294967294": 4}"#,
        )
        .unwrap();
        assert_eq!(
            stringify(&v),
            "{\"2\":\"é\\\"\u{2028}\u{7f}\\u0001\",\"10\":2,\"4294967294\":4,\"b\":1,\
             \"a\":[1,12345678901234567000,0,null],\"01\":null,\"4294967295\":3}"
        );
    }

    #[test]
    fn scopes_escape_like_querystring_escape() {
        assert_eq!(qs_escape("a b&c=d/é~!*'()"), "a%20b%26c%3Dd%2F%C3%A9~!*'()");
        let v: Value =
            serde_json::from_str(r#"[null, true, 2.50, "x", [1, null, [2, 3]], {"k": 1}]"#)
                .unwrap();
        let strings: Vec<String> = v.as_array().unwrap().iter().map(js_string).collect();
        assert_eq!(
            strings,
            ["null", "true", "2.5", "x", "1,,2,3", "[object Object]"]
        );
        let truthy: Vec<bool> =
            serde_json::from_str::<Vec<Value>>(r#"[null, false, 0, "", {}, [], "0", -1]"#)
                .unwrap()
                .iter()
                .map(js_truthy)
                .collect();
        assert_eq!(truthy, [false, false, false, false, true, true, true, true]);
    }
}
