//! `twilio-token decode TOKEN`: print a token's header and claims, verifying it when a key is
//! given.

use serde_json::{Map, Value, json};
use twilio_token::explain::{self, Duration};
use twilio_token::grants::LegacyGrant;
use twilio_token::jwk::JwkSet;
use twilio_token::key::ApiKeys;
use twilio_token::region::Region;
use twilio_token::{Algorithm, DecodingKey, ErrorKind, TokenData, Validation, dangerous};

use twilio_token_server::keys::KeysFile;

use crate::{Failure, describe};

/// Arguments of `decode`.
#[derive(clap::Args)]
pub struct Args {
    /// The token, or - to read it from standard input.
    token: String,
    /// Verify with this HMAC secret (an API key secret or auth token).
    #[arg(long, conflicts_with_all = ["public_key", "jwks", "api_keys"])]
    secret: Option<String>,
    /// Verify with the API key the token's iss names, from this keys file (the server's
    /// --api-keys: {"signing_key": "SK...", "keys": [{"sid": "SK...", "secret": "..."}, ...]}).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["public_key", "jwks"])]
    api_keys: Option<String>,
    /// Verify with the public key in this PEM file: RSA (RS256 unless --alg says otherwise),
    /// P-256 (ES256), P-384 (ES384) or Ed25519 (EdDSA).
    #[arg(long, value_name = "PEM_FILE", conflicts_with = "jwks")]
    public_key: Option<String>,
    /// Verify with the key set (JWKS) in this file or at this https URL, picking the key by
    /// the token's kid (any public-key algorithm unless --alg narrows it).
    #[arg(long, value_name = "FILE|URL")]
    jwks: Option<String>,
    /// An algorithm to accept; repeat to accept several (default HS256 with --secret).
    #[arg(long = "alg", value_name = "ALG")]
    algorithms: Vec<String>,
    /// Accept only this issuer (iss); repeat to accept several.
    #[arg(long = "iss", value_name = "ISSUER")]
    issuers: Vec<String>,
    /// Accept only tokens for this audience (aud); repeat to accept several.
    #[arg(long = "aud", value_name = "AUDIENCE")]
    audiences: Vec<String>,
    /// Seconds of clock skew to tolerate on exp and nbf.
    #[arg(long, default_value_t = 0)]
    leeway: u64,
    /// Check exp and nbf as if the clock read this Unix time.
    #[arg(long)]
    at: Option<i64>,
    /// Accept a verified token that has no exp (one that never expires); refused by default.
    #[arg(long)]
    allow_no_exp: bool,
    /// Print a summary for people (identity, grants, Region, time left) instead of JSON, with
    /// the problems Twilio would answer an access token with, each naming its error code
    /// (20103, 20106, 20157). Exits 3 when there is such a problem (warnings and notes alone
    /// exit 0), so that a script can gate on it; 1 still means the token did not verify.
    #[arg(long)]
    explain: bool,
}

/// Prints `{"header":..,"payload":..}` or, with `--explain`, a summary; `Some(why)` when
/// `--explain` found a problem Twilio would refuse the token for (exit 3).
pub fn run(args: Args) -> Result<Option<String>, Failure> {
    let token = if args.token == "-" {
        super::read_input("-", "the token")?
    } else {
        args.token.clone()
    };
    let token = token.trim();

    let key = key(&args)?;
    let data = match key {
        Some((key, default_algorithms)) => {
            let algorithms = if args.algorithms.is_empty() {
                default_algorithms
            } else {
                args.algorithms
                    .iter()
                    .map(|a| {
                        a.parse::<Algorithm>()
                            .map_err(|_| Failure::Usage(format!("--alg: unknown algorithm {a:?}")))
                    })
                    .collect::<Result<_, _>>()?
            };
            let mut validation = Validation::default()
                .algorithms(&algorithms)
                .issuers(&args.issuers)
                .audiences(&args.audiences)
                .leeway(args.leeway)
                .require_exp(!args.allow_no_exp);
            if let Some(t) = args.at {
                validation = validation.at(t);
            }
            match &key {
                Key::One(key) => {
                    twilio_token::decode::<twilio_token::Claims>(token, key, &validation)
                }
                Key::Set(set) => {
                    twilio_token::decode::<twilio_token::Claims>(token, set, &validation)
                }
                Key::ApiKeys(keys) => {
                    twilio_token::decode::<twilio_token::Claims>(token, keys, &validation)
                }
            }
            .map_err(|e| match (&args.api_keys, e.kind()) {
                // The library's message is about kid, which a keys file does not use.
                (Some(path), ErrorKind::UnknownKey) => Failure::Invalid(format!(
                    "invalid token: no key in {path} has the token's iss {} (Twilio error 20107)",
                    unverified_iss(token)
                )),
                _ => Failure::Invalid(format!("invalid token: {}", describe(&e))),
            })?
        }
        None => {
            let data = dangerous::decode_unverified(token)
                .map_err(|e| Failure::Invalid(format!("invalid token: {}", describe(&e))))?;
            eprintln!(
                "warning: signature NOT verified (no --secret, --api-keys, --public-key or --jwks given)"
            );
            data
        }
    };
    if args.explain {
        let (summary, problems) = explain(
            &data,
            args.at.unwrap_or_else(twilio_token::now),
            args.secret.is_some() || args.api_keys.is_some(),
        );
        print!("{summary}");
        if problems > 0 {
            return Ok(Some(format!(
                "Twilio would refuse this token: {problems} problem(s) above"
            )));
        }
    } else {
        println!(
            "{}",
            json!({"header": data.header.to_map(), "payload": data.claims})
        );
    }
    Ok(None)
}

/// What a token is verified with.
enum Key {
    One(DecodingKey),
    Set(JwkSet),
    ApiKeys(ApiKeys),
}

/// The key the flags name, with the algorithms it accepts unless --alg says otherwise.
fn key(args: &Args) -> Result<Option<(Key, Vec<Algorithm>)>, Failure> {
    let key = if let Some(secret) = &args.secret {
        let key = DecodingKey::from_secret(secret.as_bytes());
        (Key::One(key), vec![Algorithm::HS256])
    } else if let Some(path) = &args.api_keys {
        (Key::ApiKeys(load_api_keys(path)?), vec![Algorithm::HS256])
    } else if let Some(path) = &args.public_key {
        let pem = std::fs::read(path)
            .map_err(|e| Failure::Invalid(format!("cannot read {path}: {e}")))?;
        let key =
            DecodingKey::from_public_pem(&pem).or_else(|_| DecodingKey::from_rsa_pem(&pem))?;
        let default = [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ]
        .into_iter()
        .filter(|a| key.fits(*a))
        .collect();
        (Key::One(key), default)
    } else if let Some(source) = &args.jwks {
        (Key::Set(load_jwks(source)?), Algorithm::ASYMMETRIC.to_vec())
    } else {
        return Ok(None);
    };
    Ok(Some(key))
}

/// The API keys in a keys file, the server's format ([`KeysFile`]). No message quotes the
/// file, which holds secrets.
fn load_api_keys(path: &str) -> Result<ApiKeys, Failure> {
    // A keys file that does not load is configuration, as for `serve`: exit 2.
    let text = super::read_input(path, "the keys file").map_err(Failure::into_usage)?;
    KeysFile::parse(&text)
        .map(|file| file.to_api_keys())
        .map_err(|e| Failure::Usage(format!("--api-keys {path}: {e}")))
}

/// The token's `iss`, read without verifying, for a message; quoted, or "(none)".
fn unverified_iss(token: &str) -> String {
    let iss = dangerous::decode_unverified(token).ok().and_then(|d| {
        d.claims
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    iss.map_or_else(|| "(none)".into(), |iss| format!("{iss:?}"))
}

/// A JWK Set (or one PEM public key) from a file, or a JWK Set fetched from an https URL.
fn load_jwks(source: &str) -> Result<JwkSet, Failure> {
    use twilio_token_server::jwks::{self, Source};
    let is_url = source.starts_with("https://") || source.starts_with("http://");
    let loaded = if is_url {
        let Source::Url(url) =
            Source::url(source).map_err(|e| Failure::Usage(format!("--jwks {e}")))?
        else {
            return Err(Failure::Usage("--jwks: not a URL".into()));
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
        let client = jwks::client().map_err(|e| Failure::Invalid(e.to_string()))?;
        let timeout = std::time::Duration::from_secs(10);
        let fetched = runtime.block_on(jwks::fetch(&client, &url, timeout));
        fetched
            .map(|(set, _)| set)
            .map_err(|e| format!("{}: {e}", jwks::redacted(&url)))
    } else {
        std::fs::read(source)
            .map_err(|e| e.to_string())
            .and_then(|text| jwks::key_file(&text).map_err(|e| e.to_string()))
            .map_err(|e| format!("{source}: {e}"))
    };
    let set = loaded.map_err(|e| Failure::Invalid(format!("--jwks {e}")))?;
    for skipped in set.skipped() {
        eprintln!("warning: --jwks: {skipped}");
    }
    Ok(set)
}

/// A summary of a token for people, and how many problems Twilio would refuse it for.
/// `hmac_verified`: the token verified with an HMAC secret from the command line (which
/// sharpens the Auth Token hint).
fn explain(data: &TokenData, now: i64, hmac_verified: bool) -> (String, usize) {
    let (h, c) = (&data.header, &data.claims);
    let text =
        |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let access = h.cty.as_deref() == Some("twilio-fpa;v=1");
    let kind = match h.cty.as_deref() {
        _ if access => "access token",
        Some("twilio-pkrv;v=1") => "client validation token",
        _ if c.contains_key("scope") => "client capability token",
        _ if c.contains_key("policies") => "TaskRouter capability token",
        _ => "JWT",
    };
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<10} {value}\n"));
    line("kind", format!("{kind} ({})", h.alg));
    if let Some(iss) = text(c, "iss") {
        line("issuer", iss);
    }
    if let Some(sub) = text(c, "sub").or_else(|| text(c, "account_sid")) {
        line("account", sub);
    }
    match (&h.twr, access) {
        (Some(twr), _) if twr.parse::<Region>().is_err() => {
            line("region", format!("{twr:?} (not a Twilio Region)"))
        }
        (Some(twr), _) => line("region", twr.to_string()),
        (None, true) => line("region", "us1 (no twr header)".into()),
        (None, false) => {}
    }
    if let Some(Value::Object(grants)) = c.get("grants") {
        if let Some(identity) = text(grants, "identity") {
            line("identity", identity);
        }
        for (name, grant) in grants.iter().filter(|(k, _)| *k != "identity") {
            match LegacyGrant::successor(name) {
                Some(now) => line(
                    "grant",
                    format!("{name} {grant} (legacy name of {now}: read, never minted)"),
                ),
                None => line("grant", format!("{name} {grant}")),
            }
        }
    }
    if let Some(scope) = text(c, "scope") {
        for uri in scope.split(' ') {
            line("scope", uri.to_owned());
        }
    }
    if let Some(Value::Array(policies)) = c.get("policies") {
        for p in policies {
            line(
                "policy",
                format!(
                    "{} {}",
                    p["method"].as_str().unwrap_or("?"),
                    p["url"].as_str().unwrap_or("?")
                ),
            );
        }
    }
    let time = |k: &str| c.get(k).and_then(Value::as_f64).map(|t| t as i64);
    if let Some(nbf) = time("nbf") {
        line("valid from", utc(nbf));
    }
    if let Some(exp) = time("exp") {
        let left = exp - now;
        let when = if left > 0 {
            format!("in {}", Duration(left))
        } else {
            format!("EXPIRED {} ago", Duration(-left))
        };
        line("expires", format!("{} ({when})", utc(exp)));
    }
    let mut problems = 0;
    if access {
        for finding in explain::access_token(data, hmac_verified) {
            problems += usize::from(finding.level == explain::Level::Problem);
            line(finding.level.as_str(), finding.to_string());
        }
    }
    (out, problems)
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC` (Howard Hinnant's days-to-civil).
fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }
}
