//! Client capability tokens: the legacy tokens of the Twilio Client SDK.

use serde_json::Value;

use crate::dialect::python_number;
use crate::error::{ErrorKind, Result, err};
use crate::jwt::{Body, Lifetime, Nbf, Payload};
use crate::key::EncodingKey;
use serde::ser::SerializeMap;

/// A capability token for Twilio Client: incoming calls, outgoing calls through an application,
/// and the event stream, each as a scope URI in the `scope` claim.
///
/// Scope strings are built exactly as twilio-python builds them: parameters sorted by name and
/// form-encoded with Python's `urlencode` (space as `+`, `/` as `%2F`, `~` kept), with the
/// application parameters encoded once inside `appParams` and again in the scope.
///
/// ```
/// use twilio_token::ClientCapabilityToken;
/// let mut capability = ClientCapabilityToken::new("ACxxxxx", "auth_token");
/// capability.allow_client_incoming("alice");
/// capability.allow_client_outgoing("APxxxxx", [("ClientName", "alice")])?;
/// let token = capability.ttl(7200).to_jwt()?;
/// # let _ = token;
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientCapabilityToken {
    account_sid: String,
    key: EncodingKey,
    life: Lifetime,
    client_name: Option<String>,
    /// In the order first granted; granting again replaces in place, like the reference's dict.
    capabilities: Vec<(&'static str, Scope)>,
}

impl ClientCapabilityToken {
    /// A token with no capabilities, signed with the account's auth token.
    pub fn new(account_sid: impl Into<String>, auth_token: impl AsRef<[u8]>) -> Self {
        ClientCapabilityToken {
            account_sid: account_sid.into(),
            key: EncodingKey::from_secret(auth_token.as_ref()),
            life: Lifetime::default(),
            client_name: None,
            capabilities: Vec::new(),
        }
    }

    /// Seconds from minting to expiry (default 3600).
    pub fn ttl(mut self, seconds: u32) -> Self {
        self.life.ttl = seconds;
        self
    }

    /// The `nbf` claim (default: the minting time).
    pub fn nbf(mut self, nbf: Nbf) -> Self {
        self.life.nbf = nbf;
        self
    }

    /// Lets the holder accept incoming connections as `client_name`.
    pub fn allow_client_incoming(&mut self, client_name: impl Into<String>) -> &mut Self {
        let client_name = client_name.into();
        let scope = Scope::new("client", "incoming", "clientName", &client_name);
        self.client_name = Some(client_name);
        self.set("incoming", scope)
    }

    /// Lets the holder call out through the TwiML application `application_sid`, passing
    /// `params` to it. Values may be strings, numbers, booleans, null or arrays of those (an
    /// array repeats the parameter, as Python's `urlencode(..., doseq=True)` does).
    pub fn allow_client_outgoing<K, V>(
        &mut self,
        application_sid: impl AsRef<str>,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<&mut Self>
    where
        K: AsRef<str>,
        V: Into<Value>,
    {
        let mut scope = Scope::new("client", "outgoing", "appSid", application_sid.as_ref());
        // The reference adds `appParams` whenever params were given, even if they encode to "".
        if let Some(encoded) = urlencode_doseq(params)? {
            scope.add_param("appParams", encoded);
        }
        Ok(self.set("outgoing", scope))
    }

    /// Lets the holder subscribe to its event stream, with optional filters (values as for
    /// [`allow_client_outgoing`](Self::allow_client_outgoing)).
    pub fn allow_event_stream<K, V>(
        &mut self,
        filters: impl IntoIterator<Item = (K, V)>,
    ) -> Result<&mut Self>
    where
        K: AsRef<str>,
        V: Into<Value>,
    {
        let mut scope = Scope::new("stream", "subscribe", "path", "/2010-04-01/Events");
        if let Some(encoded) = urlencode_doseq(filters)? {
            scope.add_param("params", encoded);
        }
        Ok(self.set("events", scope))
    }

    fn set(&mut self, name: &'static str, scope: Scope) -> &mut Self {
        match self.capabilities.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = scope,
            None => self.capabilities.push((name, scope)),
        }
        self
    }

    /// The `scope` claim.
    pub fn scope(&self) -> String {
        let uris: Vec<String> = self
            .capabilities
            .iter()
            .map(|(name, scope)| match (&self.client_name, *name) {
                // The reference adds the incoming client name to the outgoing scope at signing.
                (Some(client), "outgoing") => {
                    let mut scope = scope.clone();
                    scope.add_param("clientName", client.clone());
                    scope.to_uri()
                }
                _ => scope.to_uri(),
            })
            .collect();
        uris.join(" ")
    }

    /// Signs the token now.
    pub fn to_jwt(&self) -> Result<String> {
        self.to_jwt_at(crate::now())
    }

    /// Signs the token as if the clock read `now` (Unix seconds).
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        let body = ScopeBody(self.scope());
        Payload::new(body, &self.account_sid, None, &self.life, now)
            .sign_hs256(crate::header::PLAIN_HEADER_B64, &self.key)
    }
}

struct ScopeBody(String);

impl Body for ScopeBody {
    fn write<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
        map.serialize_entry("scope", &self.0)
    }
}

/// One `scope:service:privilege?params` URI.
#[derive(Debug, Clone)]
struct Scope {
    service: &'static str,
    privilege: &'static str,
    params: Vec<(&'static str, String)>,
}

impl Scope {
    fn new(service: &'static str, privilege: &'static str, key: &'static str, value: &str) -> Self {
        Scope {
            service,
            privilege,
            params: vec![(key, value.to_owned())],
        }
    }

    fn add_param(&mut self, key: &'static str, value: String) {
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
    }

    fn to_uri(&self) -> String {
        let mut params = self.params.clone();
        params.sort();
        let mut uri = format!("scope:{}:{}", self.service, self.privilege);
        for (i, (k, v)) in params.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            quote_plus(k, &mut uri);
            uri.push('=');
            quote_plus(v, &mut uri);
        }
        uri
    }
}

/// Python's `urlencode(params, doseq=True)`, or `None` when there are no params at all.
fn urlencode_doseq<K, V>(params: impl IntoIterator<Item = (K, V)>) -> Result<Option<String>>
where
    K: AsRef<str>,
    V: Into<Value>,
{
    let mut out = String::new();
    let mut any = false;
    let pair = |out: &mut String, k: &str, v: &str| {
        if !out.is_empty() {
            out.push('&');
        }
        quote_plus(k, out);
        out.push('=');
        quote_plus(v, out);
    };
    for (k, v) in params {
        any = true;
        let k = k.as_ref();
        match v.into() {
            Value::Array(items) => {
                for item in &items {
                    pair(&mut out, k, &python_str(item)?);
                }
            }
            // Python iterates a dict's keys.
            Value::Object(map) => {
                for key in map.keys() {
                    pair(&mut out, k, key);
                }
            }
            scalar => pair(&mut out, k, &python_str(&scalar)?),
        }
    }
    Ok(any.then_some(out))
}

/// Python's `str()` of a scalar JSON value.
fn python_str(v: &Value) -> Result<String> {
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => python_number(&n.to_string()).into_owned(),
        Value::Array(_) | Value::Object(_) => {
            return err(ErrorKind::Unsupported(
                "a parameter list may hold only strings, numbers, booleans and null".into(),
            ));
        }
    })
}

/// Python's `quote_plus(s, safe='')`: letters, digits and `_.-~` are kept, space becomes `+`,
/// every other UTF-8 byte becomes `%XX`.
pub(crate) fn quote_plus(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_plus_matches_python() {
        let mut out = String::new();
        quote_plus("a b/c&d=e+f~g*h_i.j-kéz", &mut out);
        assert_eq!(out, "a+b%2Fc%26d%3De%2Bf~g%2Ah_i.j-k%C3%A9z");
    }

    #[test]
    fn urlencode_doseq_matches_python() {
        let params = serde_json::json!({"b": [1, "x y"], "a": true, "n": null, "f": 1.5, "d": {"k1": 1, "k2": 2}});
        let map = params.as_object().unwrap().clone();
        assert_eq!(
            urlencode_doseq(map).unwrap().unwrap(),
            "b=1&b=x+y&a=True&n=None&f=1.5&d=k1&d=k2"
        );
        let nested = vec![("a", serde_json::json!([[1]]))];
        assert!(urlencode_doseq(nested).is_err());
    }
}
