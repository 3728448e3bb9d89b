//! What a test of a running server needs whether the server runs in its process (this crate's
//! tests, through `support`) or as the binary (the CLI crate's tests include this file by path
//! from their `common`): the library's test keys, a raw request, the session cookie and the
//! claims of a minted token. Its parent names the `SECRET` the server under test signs with.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Map, Value, json};

/// A file of the library's test keys.
pub fn fixture(name: &str) -> Vec<u8> {
    let keys = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../twilio-token/tests/fixtures/keys"
    );
    std::fs::read(format!("{keys}/{name}")).unwrap()
}

/// The signing key of the test key `name` (`name.pem`: RSA, EC or Ed25519).
pub fn fixture_key(name: &str) -> twilio_token::EncodingKey {
    use twilio_token::EncodingKey;
    let pem = fixture(&format!("{name}.pem"));
    EncodingKey::from_rsa_pem(&pem)
        .or_else(|_| EncodingKey::from_ec_pem(&pem))
        .or_else(|_| EncodingKey::from_ed_pem(&pem))
        .unwrap()
}

/// A JWK Set of the test keys `names`, each under the kid `names[i].1`.
pub fn jwks(names: &[(&str, &str)]) -> String {
    let all: Value = serde_json::from_slice(&fixture("jwks.json")).unwrap();
    let keys: Vec<Value> = names
        .iter()
        .map(|(name, kid)| {
            let mut key = all["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kid"] == *name)
                .unwrap()
                .clone();
            key["kid"] = (*kid).into();
            key
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// A raw request on a new connection: the status code of the answer (0 if the server closed
/// the connection without one).
pub fn raw(to: SocketAddr, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(to).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// The session cookie an answer sets, as a `Cookie` header value, once its attributes are
/// checked.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Max-Age=",
        "__Host-",
    ] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// The claims of an access token the server under test minted, verified with its secret.
pub fn verify(token: &str) -> Map<String, Value> {
    twilio_token::decode::<twilio_token::Claims>(
        token,
        &twilio_token::DecodingKey::from_secret(super::SECRET.as_bytes()),
        &twilio_token::Validation::default(),
    )
    .unwrap()
    .claims
}
