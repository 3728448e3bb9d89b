//! `twilio_token._native`: the work behind the Python package `twilio_token.jwt`.
//!
//! The package keeps twilio-python's classes in Python (so that user code subclasses them as it
//! does the reference's) and calls three functions here: `encode`, which writes the header and
//! the payload as PyJWT does (`json.dumps` with `separators=(",", ":")`, the header's keys
//! sorted, `ensure_ascii`) and signs them; `access_token`, the same steps as
//! `AccessToken.to_jwt` for the built-in class, run here; and `from_jwt`, the steps of
//! `Jwt.from_jwt`: it checks a token strictly, and its claims as PyJWT does for the reference,
//! reads its header and payload into Python dicts and hands them to the class's `_from_jwt`.
//! Every clock read is Python's `time.time()` or `datetime.now()`, looked up where the
//! reference looks them up, at each call.
//!
//! Python values that the JSON writer does not know (a string with a lone surrogate, keys other
//! than strings, NaN, nesting deeper than [`MAX_DEPTH`]) are handed to Python's own
//! `json.dumps`, so that the output, or the exception, is always the reference's.

use std::collections::VecDeque;
use std::fmt::Display;
use std::sync::Mutex;

use pyo3::exceptions::{PyNotImplementedError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple, PyType,
};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};
use twilio_token::algorithm::Family;
use twilio_token::{
    Algorithm, DecodingKey, EncodingKey, ErrorKind, Header, Validation, dangerous,
    dialect::PyFormatter, jws,
};

/// Nesting deeper than this is left to `json.dumps` (which finds circular references).
pub const MAX_DEPTH: usize = 128;

/// A Python value, serialised as `json.dumps` would. It fails on a value it leaves to
/// `json.dumps` (which then writes it, or raises the reference's own error): writing to memory
/// cannot fail otherwise, so any failure means "ask Python".
struct Json<'a, 'py> {
    value: &'a Bound<'py, PyAny>,
    sort_keys: bool,
    depth: usize,
}

impl Json<'_, '_> {
    fn inner<'a, 'py>(&self, value: &'a Bound<'py, PyAny>) -> Json<'a, 'py> {
        Json {
            value,
            sort_keys: self.sort_keys,
            depth: self.depth + 1,
        }
    }
}

impl Serialize for Json<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value = self.value;
        let unsupported = || S::Error::custom("left to json.dumps");
        if self.depth > MAX_DEPTH {
            return Err(unsupported());
        }
        if value.is_none() {
            return s.serialize_unit();
        }
        // bool before int: True is an int in Python.
        if let Ok(b) = value.cast::<PyBool>() {
            return s.serialize_bool(b.is_true());
        }
        if let Ok(text) = value.cast::<PyString>() {
            return s.serialize_str(utf8(text).map_err(|_| unsupported())?.as_str());
        }
        if let Ok(int) = value.cast::<PyInt>() {
            if let Ok(n) = int.extract::<i64>() {
                return s.serialize_i64(n);
            }
            // Beyond 64 bits: int's own digits, as json.dumps writes them.
            let digits = value
                .py()
                .get_type::<PyInt>()
                .call_method1("__repr__", (value,))
                .and_then(|r| r.extract::<String>())
                .map_err(|_| unsupported())?;
            let number: Number = digits.parse().map_err(|_| unsupported())?;
            return number.serialize(s);
        }
        if let Ok(float) = value.cast::<PyFloat>() {
            let f = float.value();
            // NaN and the infinities are json.dumps's own spellings.
            if !f.is_finite() {
                return Err(unsupported());
            }
            return s.serialize_f64(f);
        }
        if let Ok(dict) = value.cast::<PyDict>() {
            let mut entries = Vec::with_capacity(dict.len());
            for (key, item) in dict.iter() {
                let key = key.cast_into::<PyString>().map_err(|_| unsupported())?;
                entries.push((key, item));
            }
            let mut keys = Vec::with_capacity(entries.len());
            for (key, _) in &entries {
                keys.push(utf8(key).map_err(|_| unsupported())?);
            }
            let mut order: Vec<usize> = (0..entries.len()).collect();
            if self.sort_keys {
                // Code point order, as Python sorts str: UTF-8 keeps it.
                order.sort_by(|a, b| keys[*a].as_str().cmp(keys[*b].as_str()));
            }
            let mut map = s.serialize_map(Some(entries.len()))?;
            for i in order {
                map.serialize_entry(keys[i].as_str(), &self.inner(&entries[i].1))?;
            }
            return map.end();
        }
        if let Ok(list) = value.cast::<PyList>() {
            let mut seq = s.serialize_seq(Some(list.len()))?;
            for item in list.iter() {
                seq.serialize_element(&self.inner(&item))?;
            }
            return seq.end();
        }
        if let Ok(tuple) = value.cast::<PyTuple>() {
            let mut seq = s.serialize_seq(Some(tuple.len()))?;
            for item in tuple.iter() {
                seq.serialize_element(&self.inner(&item))?;
            }
            return seq.end();
        }
        Err(unsupported())
    }
}

/// A `str`'s UTF-8 bytes, held by Python (the stable ABI of Python 3.9 lends no `str`'s UTF-8
/// form directly: it is encoded into a `bytes`). Fails for a string with a lone surrogate.
struct Utf8<'py>(Bound<'py, PyBytes>);

impl Utf8<'_> {
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.0.as_bytes()).expect("Python encodes str as valid UTF-8")
    }
}

fn utf8<'py>(text: &Bound<'py, PyString>) -> PyResult<Utf8<'py>> {
    text.encode_utf8().map(Utf8)
}

/// `json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()`.
fn dumps(value: &Bound<'_, PyAny>, sort_keys: bool) -> PyResult<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    let json = Json {
        value,
        sort_keys,
        depth: 0,
    };
    match json.serialize(&mut serializer) {
        Ok(()) => Ok(out),
        Err(_) => {
            let py = value.py();
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "separators"), (",", ":"))?;
            kwargs.set_item(intern!(py, "sort_keys"), sort_keys)?;
            let text = py
                .import("json")?
                .call_method("dumps", (value,), Some(&kwargs))?;
            Ok(text.extract::<String>()?.into_bytes())
        }
    }
}

/// The bytes of a key given as `str` (UTF-8, as PyJWT encodes it) or `bytes`.
fn key_bytes<'py>(key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(text) = key.cast::<PyString>() {
        return text.encode_utf8();
    }
    if let Ok(bytes) = key.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    Err(PyTypeError::new_err(format!(
        "the key must be str or bytes, not {}",
        key.get_type().name()?
    )))
}

/// The keys made most recently, by algorithm family and key bytes. Making an HMAC key computes
/// its hash states (and an HS256 key keeps the state after the leading blocks of what it first
/// signs), so a process that signs with one secret makes its key once; HMAC verification uses
/// the same key, so the verifying cache holds only public keys.
struct Keys<K> {
    recent: Mutex<VecDeque<(Family, Vec<u8>, K)>>,
}

/// Keys kept per cache.
const KEYS_KEPT: usize = 16;

impl<K: Clone> Keys<K> {
    const fn new() -> Self {
        Keys {
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// The key for `bytes`, made by `make` unless it is kept.
    fn get(&self, family: Family, bytes: &[u8], make: impl FnOnce() -> PyResult<K>) -> PyResult<K> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, key)) = recent.iter().find(|(f, b, _)| *f == family && b == bytes) {
            return Ok(key.clone());
        }
        let key = make()?;
        if recent.len() == KEYS_KEPT {
            recent.pop_back();
        }
        recent.push_front((family, bytes.to_vec(), key.clone()));
        Ok(key)
    }
}

static SIGNING_KEYS: Keys<EncodingKey> = Keys::new();
static VERIFYING_KEYS: Keys<DecodingKey> = Keys::new();

fn signing_key(alg: Algorithm, key: &Bound<'_, PyAny>) -> PyResult<EncodingKey> {
    let bytes = key_bytes(key)?;
    let bytes = bytes.as_bytes();
    SIGNING_KEYS.get(alg.family(), bytes, || {
        EncodingKey::for_algorithm(alg, bytes).map_err(key_error)
    })
}

fn verifying_key(alg: Algorithm, key: &Bound<'_, PyAny>) -> PyResult<DecodingKey> {
    let family = alg.family();
    if family == Family::Hmac {
        // The secret's signing key: the state it keeps of what it has signed (never of what
        // it verifies) serves a process that verifies the tokens it mints.
        return Ok(signing_key(alg, key)?.to_decoding_key());
    }
    let bytes = key_bytes(key)?;
    let bytes = bytes.as_bytes();
    VERIFYING_KEYS.get(family, bytes, || {
        DecodingKey::for_algorithm(alg, bytes).map_err(key_error)
    })
}

/// A key that cannot be used, as PyJWT words it for a PEM or SSH key given as a secret.
fn key_error(e: twilio_token::Error) -> PyErr {
    match e.kind() {
        ErrorKind::AsymmetricSecret => PyValueError::new_err(
            "The specified key is an asymmetric key or x509 certificate and should not be used \
             as an HMAC secret.",
        ),
        _ => value_error(e),
    }
}

/// Signs the header and payload JSON: HMAC at once, the slower signatures without the GIL.
fn sign(
    py: Python<'_>,
    header: &[u8],
    payload: &[u8],
    alg: Algorithm,
    key: &EncodingKey,
) -> PyResult<String> {
    match alg.family() {
        Family::Hmac => jws::sign(header, payload, alg, key),
        _ => py.detach(|| jws::sign(header, payload, alg, key)),
    }
    .map_err(value_error)
}

fn parse_algorithm(name: &str) -> PyResult<Algorithm> {
    name.parse()
        .map_err(|_| PyNotImplementedError::new_err("Algorithm not supported"))
}

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `jwt.encode(payload, key, algorithm=algorithm, headers=headers)`, byte for byte: the header
/// is `{"typ": "JWT", "alg": ...}` updated with `headers` (whose `alg` wins), its keys sorted.
#[pyfunction]
#[pyo3(signature = (payload, key, algorithm, headers=None))]
fn encode(
    payload: &Bound<'_, PyDict>,
    key: &Bound<'_, PyAny>,
    algorithm: &str,
    headers: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let py = payload.py();
    let mut alg_name = algorithm.to_owned();
    let header = PyDict::new(py);
    header.set_item(intern!(py, "typ"), "JWT")?;
    if let Some(headers) = headers {
        if let Some(alg) = headers
            .get_item(intern!(py, "alg"))?
            .filter(|a| a.is_truthy().unwrap_or(false))
        {
            alg_name = alg.extract()?;
        }
        header.set_item(intern!(py, "alg"), &alg_name)?;
        if let Some(kid) = headers.get_item(intern!(py, "kid"))?
            && !kid.is_instance_of::<PyString>()
        {
            return Err(PyTypeError::new_err(
                "Key ID header parameter must be a string",
            ));
        }
        header.update(headers.as_mapping())?;
        if header
            .get_item(intern!(py, "b64"))?
            .is_some_and(|b| b.is(PyBool::new(py, false)))
        {
            return Err(PyNotImplementedError::new_err(
                "detached payloads (b64: false) are not supported",
            ));
        }
        if header.contains("b64")? {
            header.del_item("b64")?;
        }
        if !header
            .get_item(intern!(py, "typ"))?
            .is_some_and(|t| t.is_truthy().unwrap_or(false))
        {
            header.del_item("typ")?;
        }
    } else {
        header.set_item(intern!(py, "alg"), &alg_name)?;
    }
    let alg = parse_algorithm(&alg_name)?;
    let header_json = dumps(header.as_any(), true)?;
    let payload_json = dumps(payload.as_any(), false)?;
    let key = signing_key(alg, key)?;
    sign(py, &header_json, &payload_json, alg, &key)
}

/// `int(time.time())`, with `time.time` looked up at each call (as a test's `mock.patch` of
/// it expects).
fn now_int<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    static TIME: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let time = TIME.get_or_try_init(py, || Ok::<_, PyErr>(py.import("time")?.unbind()))?;
    let now = time.bind(py).getattr(intern!(py, "time"))?.call0()?;
    // int() of a float truncates toward zero; anything else is Python's to convert.
    if let Ok(float) = now.cast_exact::<PyFloat>() {
        let f = float.value();
        if f.abs() < 1e15 {
            return Ok((f.trunc() as i64).into_pyobject(py)?.into_any());
        }
    }
    py.get_type::<PyInt>().call1((now,))
}

/// The key and value of each member of an object, serialised in this order.
struct Members<'a, 'py>(&'a [(&'a str, &'a Bound<'py, PyAny>)]);

impl Serialize for Members<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            let json = Json {
                value,
                sort_keys: false,
                depth: 1,
            };
            map.serialize_entry(key, &json)?;
        }
        map.end()
    }
}

/// `members` as a JSON object, or `None` where a value is one the writer leaves to Python.
fn write_members(members: &[(&str, &Bound<'_, PyAny>)]) -> PyResult<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(512);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    match Members(members).serialize(&mut serializer) {
        Ok(()) => Ok(Some(out)),
        Err(_) => Ok(None),
    }
}

/// `AccessToken.to_jwt(ttl)` for a token of the built-in class, step for step as the reference
/// runs it (the same attributes read, `time.time()` called at the same points, each grant asked
/// for its `to_payload()` and `key`), with the JSON written here instead of built as dicts by
/// the interpreter.
#[pyfunction]
#[pyo3(signature = (token, ttl=None))]
fn access_token(token: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let py = token.py();
    let secret = token.getattr(intern!(py, "secret_key"))?;
    if !secret.is_truthy()? {
        return Err(PyValueError::new_err(
            "JWT does not have a signing key configured.",
        ));
    }
    let cty = intern!(py, "twilio-fpa;v=1").clone().into_any();
    let typ = intern!(py, "JWT").clone().into_any();
    let region = token.getattr(intern!(py, "region"))?;
    let twr = region.is_truthy()? && region.is_instance_of::<PyString>();
    let algorithm = token.getattr(intern!(py, "algorithm"))?;

    let jti_time = now_int(py)?;
    let key_sid = token.getattr(intern!(py, "signing_key_sid"))?;
    let grants = PyDict::new(py);
    // `grants[grant.key] = grant.to_payload()`: the value first, as Python evaluates it. Each
    // grant's layout is its class's, so a subclass's hooks are honoured.
    for grant in token.getattr(intern!(py, "grants"))?.try_iter()? {
        let grant = grant?;
        let payload = grant.call_method0(intern!(py, "to_payload"))?;
        grants.set_item(grant.getattr(intern!(py, "key"))?, payload)?;
    }
    let identity = token.getattr(intern!(py, "identity"))?;
    if identity.is_truthy()? {
        grants.set_item(intern!(py, "identity"), identity)?;
    }
    let jti = match (key_sid.cast_exact::<PyString>(), jti_time.extract::<i64>()) {
        (Ok(sid), Ok(time)) => PyString::new(py, &format!("{}-{time}", utf8(sid)?.as_str())),
        _ => PyString::new(py, &format!("{}-{}", key_sid.str()?, jti_time.str()?)),
    }
    .into_any();
    let issuer = token.getattr(intern!(py, "issuer"))?;
    let mut exp = now_int(py)?.add(token.getattr(intern!(py, "ttl"))?)?;
    let mut nbf = token.getattr(intern!(py, "nbf"))?;
    if !nbf.is_none() && nbf.eq(token.getattr(intern!(py, "GENERATE"))?)? {
        nbf = now_int(py)?;
    }
    let valid_until = token.getattr(intern!(py, "valid_until"))?;
    if valid_until.is_truthy()? {
        exp = valid_until;
    }
    let subject = token.getattr(intern!(py, "subject"))?;
    if let Some(ttl) = ttl.filter(|t| t.is_truthy().unwrap_or(false)) {
        exp = now_int(py)?.add(ttl)?;
    }

    // The reference's key orders: the header sorted, the payload as its dict was filled.
    let mut header = vec![("alg", &algorithm), ("cty", &cty)];
    if twr {
        header.push(("twr", &region));
    }
    header.push(("typ", &typ));
    let grants = grants.into_any();
    let mut payload = vec![
        ("jti", &jti),
        ("grants", &grants),
        ("iss", &issuer),
        ("exp", &exp),
    ];
    if !nbf.is_none() {
        payload.push(("nbf", &nbf));
    }
    if subject.is_truthy()? {
        payload.push(("sub", &subject));
    }
    let fast = match algorithm.cast::<PyString>() {
        Ok(name) => match (write_members(&header)?, write_members(&payload)?) {
            (Some(header), Some(payload)) => {
                Some((parse_algorithm(&name.to_cow()?)?, header, payload))
            }
            _ => None,
        },
        Err(_) => None,
    };
    match fast {
        Some((alg, header, payload)) => {
            sign(py, &header, &payload, alg, &signing_key(alg, &secret)?)
        }
        // A value only json.dumps can write, or an algorithm that is not a str: the general path.
        None => {
            let as_dict = |members: &[(&str, &Bound<'_, PyAny>)]| -> PyResult<Bound<'_, PyDict>> {
                let dict = PyDict::new(py);
                for (key, value) in members {
                    dict.set_item(*key, *value)?;
                }
                Ok(dict)
            };
            encode(
                &as_dict(&payload)?,
                &secret,
                &algorithm.extract::<String>()?,
                Some(&as_dict(&header)?),
            )
        }
    }
}

/// `Jwt.from_jwt(token, key)` of `cls`, as the reference runs it: `cls.ALGORITHM` decodes,
/// the clock is the `datetime` of `twilio_token.jwt` (PyJWT's, read where PyJWT reads it), any
/// failure is `JwtDecodeError` (its message the exception's `message` or text, the exception its
/// context), and the result is `cls._from_jwt(headers, payload, key)`.
#[pyfunction]
fn from_jwt<'py>(
    cls: &Bound<'py, PyType>,
    token: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let module = jwt_module(py)?;
    let verify = key.is_truthy()?;
    let decoded = (|| {
        let algorithm: String = cls.getattr(intern!(py, "ALGORITHM"))?.extract()?;
        let now = module
            .getattr(intern!(py, "datetime"))?
            .call_method1(intern!(py, "now"), (module.getattr(intern!(py, "_UTC"))?,))?
            .call_method0(intern!(py, "timestamp"))?
            .extract::<f64>()?;
        decode(py, token, key, &algorithm, verify, now)
    })();
    let (headers, payload) = match decoded {
        Ok(decoded) => decoded,
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyException>(py) => {
            let value = e.value(py);
            let message = match value.getattr(intern!(py, "message")) {
                Ok(message) => message,
                Err(_) => value.str()?.into_any(),
            };
            let error = module
                .getattr(intern!(py, "JwtDecodeError"))?
                .call1((message,))?;
            error.setattr(intern!(py, "__context__"), value)?;
            return Err(PyErr::from_value(error));
        }
        Err(e) => return Err(e),
    };
    cls.getattr(intern!(py, "_from_jwt"))?
        .call1((headers, payload, key))
}

/// The module `twilio_token.jwt`, imported once.
fn jwt_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    Ok(MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("twilio_token.jwt")?.unbind())
        })?
        .bind(py))
}

/// Checks `token` strictly (with `verify`, its signature by `key` under `algorithm` too) and
/// its claims as the reference asks PyJWT to, against `now` (the caller's clock, in seconds):
/// `exp` and `nbf` always; `iat`, `aud`, `sub` and `jti` when verifying. Returns `(header,
/// payload)` as new dicts. Every failure is a `ValueError` saying why.
fn decode<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    algorithm: &str,
    verify: bool,
    now: f64,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let invalid = || value_error("Invalid token type. Token must be a str or bytes");
    let token = match token.cast::<PyString>() {
        Ok(text) => text.encode_utf8()?,
        Err(_) => token.cast::<PyBytes>().map_err(|_| invalid())?.clone(),
    };
    let token = std::str::from_utf8(token.as_bytes()).map_err(|_| invalid())?;
    let alg = parse_algorithm(algorithm)?;
    let (header, payload) = if verify {
        let key = verifying_key(alg, key)?;
        let other;
        let validation = match alg {
            Algorithm::HS256 => &*HS256_ONLY,
            _ => {
                other = claims_unchecked(alg);
                &other
            }
        };
        // The claims straight into Python objects, integers exact up to 128 bits.
        let read = match alg.family() {
            Family::Hmac => twilio_token::decode::<PyObject>(token, &key, validation),
            _ => py.detach(|| twilio_token::decode::<PyObject>(token, &key, validation)),
        };
        let data = read.map_err(value_error)?;
        (
            data.header,
            data.claims.0.into_bound(py).cast_into::<PyDict>()?,
        )
    } else {
        let data = dangerous::decode_unverified(token).map_err(value_error)?;
        if data.header.alg != alg {
            return Err(value_error(format!(
                "Incorrect decoding algorithm {}, expecting {algorithm}.",
                data.header.alg.as_str()
            )));
        }
        (data.header, to_dict(py, &data.claims)?)
    };
    check_claims(&payload, verify, now)?;
    Ok((header_dict(py, &header)?, payload))
}

/// Decoding options for `alg` alone, the times left to [`check_claims`] (PyJWT's checks,
/// against the caller's clock).
fn claims_unchecked(alg: Algorithm) -> Validation {
    Validation::default()
        .algorithms(&[alg])
        .validate_exp(false)
        .validate_nbf(false)
        .require_exp(false)
}

/// The options of every access token's decoding, made once.
static HS256_ONLY: std::sync::LazyLock<Validation> =
    std::sync::LazyLock::new(|| claims_unchecked(Algorithm::HS256));

/// PyJWT's claim checks, as the reference asks for them.
fn check_claims(payload: &Bound<'_, PyDict>, verified: bool, now: f64) -> PyResult<()> {
    let py = payload.py();
    // The reader lets only numbers through as exp, nbf and iat; PyJWT compares int() of them.
    let time = |name: &Bound<'_, PyString>| -> PyResult<Option<f64>> {
        match payload.get_item(name)? {
            Some(value) => Ok(Some(value.extract::<f64>()?.trunc())),
            None => Ok(None),
        }
    };
    if verified && time(intern!(py, "iat"))?.is_some_and(|iat| iat > now) {
        return Err(value_error("The token is not yet valid (iat)"));
    }
    if time(intern!(py, "nbf"))?.is_some_and(|nbf| nbf > now) {
        return Err(value_error("The token is not yet valid (nbf)"));
    }
    if time(intern!(py, "exp"))?.is_some_and(|exp| exp <= now) {
        return Err(value_error("Signature has expired"));
    }
    if verified {
        if let Some(aud) = payload.get_item(intern!(py, "aud"))?
            && aud.is_truthy()?
        {
            return Err(value_error("Invalid audience"));
        }
        let not_str = |name: &Bound<'_, PyString>| -> PyResult<bool> {
            Ok(payload
                .get_item(name)?
                .is_some_and(|v| !v.is_instance_of::<PyString>()))
        };
        if not_str(intern!(py, "sub"))? {
            return Err(value_error("Subject must be a string"));
        }
        if not_str(intern!(py, "jti"))? {
            return Err(value_error("JWT ID must be a string"));
        }
    }
    Ok(())
}

/// The header as a new dict. Tokens of one kind share their header, so the dicts of the few
/// headers seen last are kept and copied.
fn header_dict<'py>(py: Python<'py>, header: &Header) -> PyResult<Bound<'py, PyDict>> {
    static HEADERS: Mutex<Vec<(String, Py<PyDict>)>> = Mutex::new(Vec::new());
    let json = header.json();
    let mut kept = HEADERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, dict)) = kept.iter().find(|(j, _)| j == json) {
        return dict.bind(py).copy();
    }
    let dict = to_dict(py, &header.to_map())?;
    // Only flat headers: a copy of a nested one would share its inner objects.
    let flat = dict
        .values()
        .iter()
        .all(|v| !v.is_instance_of::<PyDict>() && !v.is_instance_of::<PyList>());
    if flat {
        if kept.len() == KEYS_KEPT {
            kept.remove(0);
        }
        kept.push((json.to_owned(), dict.copy()?.unbind()));
    }
    Ok(dict)
}

/// A JSON value read straight into a Python object, as `json.loads` makes it.
struct PyObject(Py<PyAny>);

impl<'de> Deserialize<'de> for PyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PyVisitor)
    }
}

struct PyVisitor;

/// A Python error while building objects, as a reader's error.
fn python<E: de::Error>(e: PyErr) -> E {
    E::custom(e)
}

impl<'de> Visitor<'de> for PyVisitor {
    type Value = PyObject;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<PyObject, E> {
        Ok(Python::attach(|py| PyObject(py.None())))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            PyObject(PyBool::new(py, b).to_owned().into_any().unbind())
        }))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            let Ok(int) = n.into_pyobject(py);
            PyObject(int.into_any().unbind())
        }))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            let Ok(int) = n.into_pyobject(py);
            PyObject(int.into_any().unbind())
        }))
    }

    fn visit_u128<E: de::Error>(self, n: u128) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            let Ok(int) = n.into_pyobject(py);
            PyObject(int.into_any().unbind())
        }))
    }

    fn visit_i128<E: de::Error>(self, n: i128) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            let Ok(int) = n.into_pyobject(py);
            PyObject(int.into_any().unbind())
        }))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            PyObject(PyFloat::new(py, f).into_any().unbind())
        }))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<PyObject, E> {
        Ok(Python::attach(|py| {
            PyObject(PyString::new(py, s).into_any().unbind())
        }))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<PyObject, A::Error> {
        let list = Python::attach(|py| PyList::empty(py).unbind());
        while let Some(PyObject(item)) = seq.next_element()? {
            Python::attach(|py| list.bind(py).append(item)).map_err(python)?;
        }
        Ok(PyObject(list.into_any()))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<PyObject, A::Error> {
        let dict = Python::attach(|py| PyDict::new(py).unbind());
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let PyObject(value) = map.next_value()?;
            Python::attach(|py| dict.bind(py).set_item(claim_name(py, &key)?, value))
                .map_err(python)?;
        }
        Ok(PyObject(dict.into_any()))
    }
}

/// The names of the claims and header fields of Twilio's tokens.
const CLAIM_NAMES: [&str; 42] = [
    "jti",
    "grants",
    "iss",
    "exp",
    "nbf",
    "sub",
    "iat",
    "aud",
    "identity",
    "video",
    "room",
    "voice",
    "incoming",
    "allow",
    "outgoing",
    "application_sid",
    "params",
    "push_credential_sid",
    "endpoint_id",
    "chat",
    "service_sid",
    "deployment_role_sid",
    "data_sync",
    "task_router",
    "workspace_sid",
    "worker_sid",
    "role",
    "player",
    "scope",
    "account_sid",
    "version",
    "friendly_name",
    "policies",
    "url",
    "method",
    "query_filter",
    "post_filter",
    "alg",
    "typ",
    "cty",
    "twr",
    "kid",
];

/// `name` as a dict key: one of [`CLAIM_NAMES`] is a string made once (its hash kept), any other
/// a new string.
fn claim_name<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyString>> {
    static NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();
    let Some(i) = CLAIM_NAMES
        .iter()
        .position(|n| n.len() == name.len() && *n == name)
    else {
        return Ok(PyString::new(py, name));
    };
    let names = NAMES.get_or_init(py, || {
        CLAIM_NAMES
            .iter()
            .map(|n| PyString::intern(py, n).unbind())
            .collect()
    });
    Ok(names[i].bind(py).clone())
}

/// A JSON object as `json.loads` makes it.
fn to_dict<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(claim_name(py, key)?, to_python(py, value)?)?;
    }
    Ok(dict)
}

fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => {
                let literal = n.as_str();
                if literal.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    py.get_type::<PyInt>().call1((literal,))?
                } else {
                    // Rust and Python both round a decimal literal to the nearest double.
                    let f: f64 = literal.parse().map_err(value_error)?;
                    PyFloat::new(py, f).into_any()
                }
            }
        },
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => to_dict(py, map)?.into_any(),
    })
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(from_jwt, m)?)?;
    m.add_function(wrap_pyfunction!(access_token, m)?)?;
    Ok(())
}
