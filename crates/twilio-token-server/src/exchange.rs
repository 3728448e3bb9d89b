//! Token exchange: an identity provider's ID token (`Authorization: Bearer ...`) traded for a
//! Twilio access token, with no password and no user row.
//!
//! An issuers file names the providers trusted:
//!
//! ```json
//! {"issuers": [{
//!   "issuer": "https://idp.example.com/",
//!   "audiences": ["my-app"],
//!   "jwks_url": "https://idp.example.com/.well-known/jwks.json",
//!   "algorithms": ["RS256"],
//!   "identity_claim": "sub",
//!   "role": "user",
//!   "role_rules": [{"claim": "roles", "value": "support", "role": "support"}]
//! }]}
//! ```
//!
//! `jwks_file` (a JWK Set or one PEM public key) may stand for `jwks_url`. An
//! `identity_template` such as `"user_{sub}"` may stand for `identity_claim`: each `{name}` is
//! that string claim's value.
//!
//! Each issuer's identities live in a namespace of their own: they start with its
//! `identity_prefix`, by default the issuer URL's host and path written with `_`
//! (`https://idp.example.com/` gives `idp_example_com_`), so that user `u-42` of one provider
//! is never user `u-42` of another, nor password user `u-42`. Two issuers whose identities
//! could meet are refused, and a password user whose identity lies in an issuer's namespace
//! ([`Namespaces`]) is refused tokens. `"identity_prefix": ""` shares the password users'
//! namespace on purpose (the provider's users are the same people). The identity is then
//! checked by the rules of the products the role's grants are for. Optional: `leeway`
//! (seconds of clock skew on `exp`, `nbf`, `iat`; default 60), `max_lifetime` (the longest
//! from `iat` to `exp`; default 86400), `jwks_min_interval` (seconds between key fetches;
//! default 30) and `jwks_timeout` (seconds; default 5).
//!
//! Verification is strict: the issuer's algorithms only (never `none`, never HS*), a key whose
//! `kty`, `crv`, `alg` and `use` fit, `iss` exact, `aud` naming an accepted audience, `exp`
//! and `iat` required, `nbf` and `iat` not in the future; then OpenID Connect Core 3.1.3.7's
//! own: `azp` one of the audiences (required when `aud` names several), no access token
//! (`typ: at+jwt`), and a lifetime within `max_lifetime`. Each refusal names the check that
//! failed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use twilio_token::jwk::JwkSet;
use twilio_token::{Algorithm, ErrorKind, Validation, dangerous};

use crate::jwks::{self, FetchCounter, FetchPolicy, KeyCache, Source};
use crate::policy::{Policy, Role};

/// The longest ID token looked at; real ones are 1-2 KiB.
pub const MAX_ID_TOKEN: usize = 8 * 1024;

/// The longest `max_lifetime` an issuer may allow: 30 days.
const MAX_LIFETIME: u64 = 30 * 86_400;

/// One trusted issuer, as the issuers file gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerSettings {
    issuer: String,
    audiences: Vec<String>,
    jwks_url: Option<String>,
    jwks_file: Option<String>,
    #[serde(default = "default_algorithms")]
    algorithms: Vec<String>,
    #[serde(default = "default_identity_claim")]
    identity_claim: String,
    identity_template: Option<String>,
    identity_prefix: Option<String>,
    #[serde(default = "default_role")]
    role: String,
    #[serde(default)]
    role_rules: Vec<RoleRule>,
    #[serde(default = "default_leeway")]
    leeway: u64,
    #[serde(default = "default_max_lifetime")]
    max_lifetime: u64,
    #[serde(default = "default_min_interval")]
    jwks_min_interval: f64,
    #[serde(default = "default_timeout")]
    jwks_timeout: f64,
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into()]
}
fn default_identity_claim() -> String {
    "sub".into()
}
fn default_role() -> String {
    "user".into()
}
fn default_leeway() -> u64 {
    60
}
fn default_max_lifetime() -> u64 {
    86_400
}
fn default_min_interval() -> f64 {
    30.0
}
fn default_timeout() -> f64 {
    5.0
}

/// A claim rule: a token whose `claim` equals `value`, or is an array holding it, gets `role`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    claim: String,
    value: Value,
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuersFile {
    issuers: Vec<IssuerSettings>,
}

/// Where an exchanged identity comes from.
#[derive(Debug, Clone)]
enum IdentitySource {
    /// One string claim.
    Claim(String),
    /// A template whose `{claim}`s are string claims, e.g. `user_{sub}`.
    Template(String),
}

/// A trusted issuer, checked.
#[derive(Debug, Clone)]
pub struct Issuer {
    name: String,
    validation: Validation,
    /// The audiences (client ids), which an `azp` must name.
    audiences: Vec<String>,
    /// The longest an ID token may live, from `iat` to `exp`, beyond the leeway.
    max_lifetime: u64,
    leeway: u64,
    source: Source,
    fetch: FetchPolicy,
    identity: IdentitySource,
    /// What every identity of this issuer starts with.
    prefix: String,
    role: String,
    role_rules: Vec<RoleRule>,
}

/// The prefix an issuer's identities get unless its settings name one: the URL's host and
/// path, each run of other characters than ASCII letters and digits written `_` (so that the
/// prefix keeps Voice's identity rule), ending in `_`.
pub fn default_prefix(issuer: &str) -> String {
    let place = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
    let mut prefix = String::with_capacity(place.len() + 1);
    for c in place.chars() {
        match c.is_ascii_alphanumeric() {
            true => prefix.push(c.to_ascii_lowercase()),
            false if prefix.ends_with('_') || prefix.is_empty() => {}
            false => prefix.push('_'),
        }
    }
    if !prefix.ends_with('_') {
        prefix.push('_');
    }
    prefix
}

/// Why an issuers file is refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum IssuersError {
    /// It is not JSON of the file's shape.
    Json(serde_json::Error),
    /// It lists no issuer.
    NoIssuers,
    /// An issuer's `issuer` is empty.
    EmptyIssuer,
    /// What is wrong with one issuer.
    Issuer {
        /// The issuer's `issuer`.
        issuer: String,
        /// What is wrong with it.
        problem: IssuerProblem,
    },
    /// Two issuers could give their users the same identity: each issuer with the start its
    /// identities share.
    Overlap([(String, String); 2]),
}

/// What is wrong with one issuer of an issuers file.
#[derive(Debug)]
#[non_exhaustive]
pub enum IssuerProblem {
    /// Another issuer has its name.
    ListedTwice,
    /// `audiences` is empty or holds an empty one.
    NoAudience,
    /// An algorithm that takes a shared secret.
    SharedSecretAlgorithm(String),
    /// A name that is no asymmetric algorithm's.
    UnknownAlgorithm(String),
    /// `algorithms` is empty.
    NoAlgorithm,
    /// `jwks_url` is refused.
    JwksUrl(jwks::Error),
    /// `jwks_file` cannot be read.
    JwksFileUnreadable(String, std::io::Error),
    /// `jwks_file` holds no key set.
    JwksFile(String, jwks::Error),
    /// Both or neither of `jwks_url` and `jwks_file`.
    KeySource,
    /// A role that is not in the policy.
    UnknownRole(String),
    /// Every identity of the role would begin with the prefix, which breaks a product's rule.
    PrefixBreaksRule {
        /// `identity_prefix`.
        prefix: String,
        /// The role.
        role: String,
        /// The rule it breaks.
        rule: &'static twilio_token::identity::Rule,
    },
    /// `identity_template` names no claim.
    TemplateNamesNoClaim,
    /// `leeway` is over 300 seconds.
    Leeway,
    /// `max_lifetime` is out of its range.
    MaxLifetime,
    /// A fetch timing (`jwks_min_interval` or `jwks_timeout`) is out of its range.
    FetchTiming(&'static str),
}

impl fmt::Display for IssuersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuersError::Json(e) => write!(f, "invalid issuers file: {e}"),
            IssuersError::NoIssuers => f.write_str("invalid issuers file: no issuers"),
            IssuersError::EmptyIssuer => f.write_str("an issuer's \"issuer\" is empty"),
            IssuersError::Issuer { issuer, problem } => write!(f, "issuer {issuer:?}: {problem}"),
            IssuersError::Overlap([(a, a_start), (b, b_start)]) => write!(
                f,
                "issuers {a:?} and {b:?} could give their users the same identity (identities \
                 starting {a_start:?} and {b_start:?}): give them identity_prefix values that \
                 differ and neither of which begins the other"
            ),
        }
    }
}

impl fmt::Display for IssuerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuerProblem::ListedTwice => f.write_str("is listed twice"),
            IssuerProblem::NoAudience => f.write_str("audiences must name at least one audience"),
            IssuerProblem::SharedSecretAlgorithm(a) => write!(
                f,
                "{a} is a shared-secret algorithm; an identity provider's tokens are verified with public keys"
            ),
            IssuerProblem::UnknownAlgorithm(a) => write!(
                f,
                "{a:?} is not one of RS256..RS512, PS256..PS512, ES256, ES384, EdDSA"
            ),
            IssuerProblem::NoAlgorithm => f.write_str("algorithms is empty"),
            IssuerProblem::JwksUrl(e) => write!(f, "jwks_url {e}"),
            IssuerProblem::JwksFileUnreadable(path, e) => write!(f, "jwks_file {path}: {e}"),
            IssuerProblem::JwksFile(path, e) => write!(f, "jwks_file {path}: {e}"),
            IssuerProblem::KeySource => f.write_str("give exactly one of jwks_url and jwks_file"),
            IssuerProblem::UnknownRole(role) => write!(f, "role {role:?} is not in the policy"),
            IssuerProblem::PrefixBreaksRule { prefix, role, rule } => write!(
                f,
                "identity_prefix {prefix:?} cannot start an identity of role {role:?}: {rule}"
            ),
            IssuerProblem::TemplateNamesNoClaim => {
                f.write_str("identity_template names no claim (write it like user_{sub})")
            }
            IssuerProblem::Leeway => f.write_str("leeway must be at most 300 seconds"),
            IssuerProblem::MaxLifetime => {
                write!(f, "max_lifetime must be 60..={MAX_LIFETIME} seconds")
            }
            IssuerProblem::FetchTiming(what) => write!(f, "{what} must be 0.1..=3600 seconds"),
        }
    }
}

impl std::error::Error for IssuersError {}

/// Reads an issuers file. `read` loads a `jwks_file` (relative paths are the caller's
/// business); every role named must be in `policy`.
pub fn parse_issuers(
    text: &str,
    read: impl Fn(&str) -> std::io::Result<Vec<u8>>,
    policy: &Policy,
) -> Result<Vec<Issuer>, IssuersError> {
    let file: IssuersFile = serde_json::from_str(text).map_err(IssuersError::Json)?;
    if file.issuers.is_empty() {
        return Err(IssuersError::NoIssuers);
    }
    let mut issuers: Vec<Issuer> = Vec::with_capacity(file.issuers.len());
    for s in file.issuers {
        let name = s.issuer.clone();
        let bad = |problem: IssuerProblem| IssuersError::Issuer {
            issuer: name.clone(),
            problem,
        };
        if s.issuer.is_empty() {
            return Err(IssuersError::EmptyIssuer);
        }
        if issuers.iter().any(|i| i.name == s.issuer) {
            return Err(bad(IssuerProblem::ListedTwice));
        }
        if s.audiences.is_empty() || s.audiences.iter().any(String::is_empty) {
            return Err(bad(IssuerProblem::NoAudience));
        }
        let algorithms = s
            .algorithms
            .iter()
            .map(|a| match a.parse::<Algorithm>() {
                Ok(alg) if !alg.is_symmetric() => Ok(alg),
                Ok(_) => Err(bad(IssuerProblem::SharedSecretAlgorithm(a.clone()))),
                Err(_) => Err(bad(IssuerProblem::UnknownAlgorithm(a.clone()))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if algorithms.is_empty() {
            return Err(bad(IssuerProblem::NoAlgorithm));
        }
        let source = match (&s.jwks_url, &s.jwks_file) {
            (Some(url), None) => Source::url(url).map_err(|e| bad(IssuerProblem::JwksUrl(e)))?,
            (None, Some(path)) => {
                let text = read(path)
                    .map_err(|e| bad(IssuerProblem::JwksFileUnreadable(path.clone(), e)))?;
                Source::file(&text).map_err(|e| bad(IssuerProblem::JwksFile(path.clone(), e)))?
            }
            _ => return Err(bad(IssuerProblem::KeySource)),
        };
        let prefix = s
            .identity_prefix
            .unwrap_or_else(|| default_prefix(&s.issuer));
        for role in std::iter::once(&s.role).chain(s.role_rules.iter().map(|r| &r.role)) {
            if !policy.has_role(role) {
                return Err(bad(IssuerProblem::UnknownRole(role.clone())));
            }
            // Every identity starts with the prefix: one that breaks a product's rule would
            // make every exchange for the role fail.
            if let Err(crate::policy::Refusal::Identity(rule)) =
                policy.identity(role, &format!("{prefix}a"))
            {
                return Err(bad(IssuerProblem::PrefixBreaksRule {
                    prefix,
                    role: role.clone(),
                    rule,
                }));
            }
        }
        let identity = match s.identity_template {
            None => IdentitySource::Claim(s.identity_claim),
            Some(template) if template_claims(&template).next().is_some() => {
                IdentitySource::Template(template)
            }
            Some(_) => return Err(bad(IssuerProblem::TemplateNamesNoClaim)),
        };
        if s.leeway > 300 {
            return Err(bad(IssuerProblem::Leeway));
        }
        if !(60..=MAX_LIFETIME).contains(&s.max_lifetime) {
            return Err(bad(IssuerProblem::MaxLifetime));
        }
        let seconds = |v: f64, what: &'static str| {
            (v.is_finite() && (0.1..=3600.0).contains(&v))
                .then(|| Duration::from_secs_f64(v))
                .ok_or_else(|| bad(IssuerProblem::FetchTiming(what)))
        };
        let fetch = FetchPolicy {
            min_interval: seconds(s.jwks_min_interval, "jwks_min_interval")?,
            timeout: seconds(s.jwks_timeout, "jwks_timeout")?,
        };
        issuers.push(Issuer {
            validation: Validation::default()
                .algorithms(&algorithms)
                .issuers(&[&s.issuer])
                .audiences(&s.audiences)
                .leeway(s.leeway)
                .require_exp(true)
                .validate_iat(true)
                .max_len(MAX_ID_TOKEN),
            name: s.issuer,
            audiences: s.audiences,
            max_lifetime: s.max_lifetime,
            leeway: s.leeway,
            source,
            fetch,
            identity,
            prefix,
            role: s.role,
            role_rules: s.role_rules,
        });
    }
    Namespaces::new(&issuers, policy).check_apart()?;
    Ok(issuers)
}

/// Where each issuer's identities lie, for each role it can give: every one starts with
/// `start` (the role's template's start, then the issuer's prefix) and ends with `end` (the
/// template's end).
#[derive(Debug, Clone, Default)]
pub struct Namespaces(Vec<Namespace>);

#[derive(Debug, Clone)]
struct Namespace {
    issuer: String,
    start: String,
    end: String,
}

impl Namespace {
    fn holds(&self, identity: &str) -> bool {
        identity.len() > self.start.len() + self.end.len()
            && identity.starts_with(&self.start)
            && identity.ends_with(&self.end)
    }

    /// Whether some identity could lie in both.
    fn meets(&self, other: &Namespace) -> bool {
        (self.start.starts_with(&other.start) || other.start.starts_with(&self.start))
            && (self.end.ends_with(&other.end) || other.end.ends_with(&self.end))
    }
}

impl Namespaces {
    /// The namespaces of `issuers` under `policy`.
    pub fn new(issuers: &[Issuer], policy: &Policy) -> Self {
        let mut namespaces = Vec::new();
        for issuer in issuers {
            let roles =
                std::iter::once(&issuer.role).chain(issuer.role_rules.iter().map(|r| &r.role));
            for role in roles {
                let Some((before, after)) = policy.affixes(role) else {
                    continue;
                };
                namespaces.push(Namespace {
                    issuer: issuer.name.clone(),
                    start: format!("{before}{}", issuer.prefix),
                    end: after.to_owned(),
                });
            }
        }
        Namespaces(namespaces)
    }

    /// The issuer whose users' identities `identity` could be, if any.
    pub fn owner(&self, identity: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|n| n.holds(identity))
            .map(|n| n.issuer.as_str())
    }

    /// Refuses two issuers whose users could be given one identity.
    fn check_apart(&self) -> Result<(), IssuersError> {
        for (i, a) in self.0.iter().enumerate() {
            if let Some(b) = self.0[i + 1..]
                .iter()
                .find(|b| b.issuer != a.issuer && a.meets(b))
            {
                return Err(IssuersError::Overlap([
                    (a.issuer.clone(), a.start.clone()),
                    (b.issuer.clone(), b.start.clone()),
                ]));
            }
        }
        Ok(())
    }
}

/// The check an ID token failed, as named in the 401's body and in `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a compact JWS, bad base64url or JSON, or too large.
    Malformed,
    /// `iss` names no trusted issuer.
    Issuer,
    /// `aud` names none of the issuer's audiences, or `azp` is not one of them (required when
    /// `aud` names several).
    Audience,
    /// The algorithm is not one the issuer may use.
    Algorithm,
    /// No key has the token's `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// A claim has the wrong type or is missing (`exp`, `iat`), the token lives longer than the
    /// issuer allows, or it is an access token (`typ: at+jwt`).
    Claims,
    /// The identity claim is missing or not an identity Twilio accepts.
    Identity,
}

impl Refusal {
    /// Every refusal, in `/metrics` order.
    pub const ALL: [Refusal; 11] = [
        Refusal::Malformed,
        Refusal::Issuer,
        Refusal::Audience,
        Refusal::Algorithm,
        Refusal::UnknownKey,
        Refusal::Signature,
        Refusal::Expired,
        Refusal::NotYetValid,
        Refusal::IssuedInFuture,
        Refusal::Claims,
        Refusal::Identity,
    ];

    /// The check's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Issuer => "issuer",
            Refusal::Audience => "audience",
            Refusal::Algorithm => "algorithm",
            Refusal::UnknownKey => "unknown_kid",
            Refusal::Signature => "signature",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::IssuedInFuture => "issued_in_future",
            Refusal::Claims => "claims",
            Refusal::Identity => "identity",
        }
    }

    fn of(kind: &ErrorKind) -> Refusal {
        match kind {
            ErrorKind::InvalidIssuer => Refusal::Issuer,
            ErrorKind::InvalidAudience => Refusal::Audience,
            ErrorKind::AlgorithmNotAllowed(_) => Refusal::Algorithm,
            ErrorKind::UnknownKey => Refusal::UnknownKey,
            ErrorKind::InvalidSignature => Refusal::Signature,
            ErrorKind::Expired => Refusal::Expired,
            ErrorKind::NotYetValid => Refusal::NotYetValid,
            ErrorKind::IssuedInFuture => Refusal::IssuedInFuture,
            ErrorKind::InvalidClaim(_) | ErrorKind::MissingExpiry => Refusal::Claims,
            _ => Refusal::Malformed,
        }
    }
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// The token failed a check; the message says how, without quoting the token.
    Refused(Refusal, String),
    /// The issuer's keys cannot be had right now.
    KeysUnavailable,
}

/// Who an exchanged token is for.
#[derive(Debug)]
pub struct Exchanged<'p> {
    /// The Twilio identity, from the issuer's identity claim, as the role's template makes it.
    pub identity: String,
    /// The policy role, from the issuer's rules.
    pub role: &'p Role,
    /// The token's `name` claim, the user's display name: never an identity, but what
    /// Twilio's React video app sends as `user_identity`.
    pub name: Option<String>,
}

/// The trusted issuers with their key caches.
pub struct Exchanger {
    issuers: Vec<(Issuer, Arc<KeyCache>)>,
    count_fetch: FetchCounter,
}

impl std::fmt::Debug for Exchanger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchanger")
            .field("issuers", &self.issuers.len())
            .finish()
    }
}

impl Exchanger {
    /// An exchanger for these issuers; `count_fetch` hears of each key fetch (ok or not). An
    /// issuer whose keys come from the URL they came from in `previous`, fetched the same way,
    /// keeps the keys fetched there: a reload costs the providers nothing, and a provider that
    /// is down then does not turn exchanges away.
    pub fn new(
        issuers: &[Issuer],
        count_fetch: FetchCounter,
        previous: Option<&Exchanger>,
    ) -> Result<Self, crate::jwks::Error> {
        let client = crate::jwks::client()?;
        let kept = |issuer: &Issuer| {
            previous?
                .issuers
                .iter()
                .find(|(_, cache)| cache.serves(&issuer.source, issuer.fetch))
                .map(|(_, cache)| Arc::clone(cache))
        };
        Ok(Exchanger {
            issuers: issuers
                .iter()
                .map(|i| {
                    let cache = kept(i).unwrap_or_else(|| {
                        KeyCache::new(i.source.clone(), client.clone(), i.fetch)
                    });
                    (i.clone(), cache)
                })
                .collect(),
            count_fetch,
        })
    }

    /// Verifies `token` and says who it is for: the role of `policy` that the issuer's rules
    /// pick, and the identity that role's tokens carry (refused when a product's identity rule
    /// forbids it, or the policy has no such role).
    pub async fn exchange<'p>(
        &self,
        token: &str,
        policy: &'p Policy,
    ) -> Result<Exchanged<'p>, ExchangeError> {
        let refused = |r: Refusal, why: &str| ExchangeError::Refused(r, why.to_owned());
        let refusal = |e: twilio_token::Error| {
            let why = match e.kind() {
                ErrorKind::MissingExpiry => {
                    "the token has no exp claim: exp is required (an ID token must expire)".into()
                }
                _ => e.to_string(),
            };
            ExchangeError::Refused(Refusal::of(e.kind()), why)
        };
        if token.len() > MAX_ID_TOKEN {
            return Err(refused(
                Refusal::Malformed,
                "the token is larger than 8 KiB",
            ));
        }
        // The unverified `iss` only picks whose keys to try; the verification checks it again.
        let peek = dangerous::decode_unverified(token).map_err(refusal)?;
        let iss = peek.claims.get("iss").and_then(Value::as_str);
        let Some((issuer, cache)) = self
            .issuers
            .iter()
            .find(|(i, _)| Some(i.name.as_str()) == iss)
        else {
            return Err(refused(
                Refusal::Issuer,
                "the token's issuer (iss) is not trusted here",
            ));
        };
        let keys = cache
            .keys(&self.count_fetch)
            .await
            .map_err(|_| ExchangeError::KeysUnavailable)?;
        let data =
            match twilio_token::decode::<twilio_token::Claims>(token, &*keys, &issuer.validation) {
                Ok(data) => data,
                // The provider may have rotated its keys since they were fetched: one more try,
                // if a fetch now brings the kid.
                Err(e) if *e.kind() == ErrorKind::UnknownKey => {
                    match cache
                        .refresh_for_unknown_kid(&keys, &self.count_fetch)
                        .await
                    {
                        Some(fresh) if fresh_has_kid(&fresh, &peek.header.kid) => {
                            twilio_token::decode::<twilio_token::Claims>(
                                token,
                                &*fresh,
                                &issuer.validation,
                            )
                            .map_err(refusal)?
                        }
                        _ => return Err(refusal(e)),
                    }
                }
                Err(e) => return Err(refusal(e)),
            };
        let claims = data.claims;
        issuer.check_id_token(&data.header, &claims, twilio_token::now())?;
        let identity_refused = |why: &dyn std::fmt::Display| {
            ExchangeError::Refused(Refusal::Identity, why.to_string())
        };
        let role = policy
            .role(issuer.role_for(&claims))
            .map_err(|refusal| identity_refused(&refusal))?;
        let identity = identity(&claims, &issuer.identity, &issuer.prefix)
            .map_err(|why| identity_refused(&why))?;
        let identity = role
            .identity(&identity)
            .map_err(|refusal| identity_refused(&refusal))?
            .into_owned();
        let name = match claims.get("name") {
            Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
            _ => None,
        };
        Ok(Exchanged {
            identity,
            role,
            name,
        })
    }
}

/// Whether a refreshed set is worth a second try: it has the kid (or the token has none).
fn fresh_has_kid(set: &JwkSet, kid: &Option<std::borrow::Cow<'static, str>>) -> bool {
    kid.as_deref().is_none_or(|kid| set.has_kid(kid))
}

impl Issuer {
    /// OpenID Connect Core 3.1.3.7's checks that a JWT's are not, on a verified token: an
    /// OAuth access token (RFC 9068 `typ`) is not an ID token; with several audiences, `azp`
    /// must be present, and when present it must be one of ours; and the token may not live
    /// longer than `max_lifetime` (from `iat`, else from now), beyond the leeway.
    fn check_id_token(
        &self,
        header: &twilio_token::Header,
        claims: &Map<String, Value>,
        now: i64,
    ) -> Result<(), ExchangeError> {
        let refused = |r: Refusal, why: &str| Err(ExchangeError::Refused(r, why.to_owned()));
        let typ = header.typ.as_deref().unwrap_or("");
        if typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt") {
            return refused(
                Refusal::Claims,
                "the token is an OAuth access token (typ at+jwt), not an ID token",
            );
        }
        let several = matches!(claims.get("aud"), Some(Value::Array(aud)) if aud.len() > 1);
        match claims.get("azp") {
            None if several => {
                return refused(
                    Refusal::Audience,
                    "the token names several audiences (aud) but no authorized party (azp)",
                );
            }
            None => {}
            Some(Value::String(azp)) if self.audiences.contains(azp) => {}
            Some(_) => {
                return refused(
                    Refusal::Audience,
                    "the token's authorized party (azp) is not one of the issuer's audiences",
                );
            }
        }
        // `exp` is there and both are numbers: the decoding checked.
        let time = |name: &str| claims.get(name).and_then(Value::as_f64);
        let lifetime = time("exp").unwrap_or(0.0) - time("iat").unwrap_or(now as f64);
        if lifetime > (self.max_lifetime + self.leeway) as f64 {
            return refused(
                Refusal::Claims,
                &format!(
                    "the token lives longer (iat to exp) than this issuer's max_lifetime of {} s",
                    self.max_lifetime
                ),
            );
        }
        Ok(())
    }

    /// The role of the first rule the claims meet, else the issuer's default role.
    fn role_for(&self, claims: &Map<String, Value>) -> &str {
        self.role_rules
            .iter()
            .find(|rule| match claims.get(&rule.claim) {
                Some(Value::Array(values)) => values.contains(&rule.value),
                Some(value) => *value == rule.value,
                None => false,
            })
            .map_or(&self.role, |rule| &rule.role)
    }
}

/// The longest identity for any product.
const MAX_IDENTITY: usize = 256;

/// Why the claims give no usable identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// The token has no string claim of that name.
    Missing(String),
    /// Empty, too long, or with control characters.
    Unusable(String),
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentityError::Missing(claim) => write!(
                f,
                "the token has no string claim {claim:?} to use as the identity"
            ),
            IdentityError::Unusable(from) => write!(
                f,
                "{from} is not a usable identity: it must be 1 to {MAX_IDENTITY} characters without control characters"
            ),
        }
    }
}

/// The names inside `{...}` of a template.
fn template_claims(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
}

/// The identity the claims give: `prefix`, then one claim's value or a template filled with
/// them (in one pass: a claim's value that holds `{name}` stays as it is).
fn identity(
    claims: &Map<String, Value>,
    source: &IdentitySource,
    prefix: &str,
) -> Result<String, IdentityError> {
    let claim = |name: &str| match claims.get(name) {
        // Empty, it would give every such user one identity.
        Some(Value::String(value)) if value.is_empty() => {
            Err(IdentityError::Unusable(format!("claim {name:?} (empty)")))
        }
        Some(Value::String(value)) => Ok(value.as_str()),
        _ => Err(IdentityError::Missing(name.to_owned())),
    };
    let mut identity = prefix.to_owned();
    let from = match source {
        IdentitySource::Claim(name) => {
            identity.push_str(claim(name)?);
            format!("claim {name:?}")
        }
        IdentitySource::Template(template) => {
            let mut rest = template.as_str();
            while let Some((text, after)) = rest.split_once('{') {
                identity.push_str(text);
                match after.split_once('}') {
                    Some((name, after)) => {
                        identity.push_str(claim(name)?);
                        rest = after;
                    }
                    None => {
                        identity.push('{');
                        rest = after;
                    }
                }
            }
            identity.push_str(rest);
            format!("identity_template {template:?}")
        }
    };
    if identity.is_empty()
        || identity.chars().count() > MAX_IDENTITY
        || identity.chars().any(char::is_control)
    {
        return Err(IdentityError::Unusable(from));
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_keeps_the_key_caches_of_the_urls_it_still_fetches_from() {
        let issuers = |url: &str, interval: u64| {
            parse(&format!(
                r#"{{"issuers": [{{"issuer": "https://idp.example.com/", "audiences": ["app"],
                    "jwks_url": "{url}", "algorithms": ["RS256"], "jwks_min_interval": {interval}}}]}}"#
            ))
            .unwrap()
        };
        let count: FetchCounter = Arc::new(|_| {});
        let exchanger = |url, interval, previous| {
            Exchanger::new(&issuers(url, interval), Arc::clone(&count), previous).unwrap()
        };
        let cache = |e: &Exchanger| Arc::clone(&e.issuers[0].1);
        let first = exchanger("https://idp.example.com/jwks", 30, None);
        let reloaded = exchanger("https://idp.example.com/jwks", 30, Some(&first));
        assert!(Arc::ptr_eq(&cache(&first), &cache(&reloaded)));
        let moved = exchanger("https://idp.example.com/keys", 30, Some(&first));
        assert!(!Arc::ptr_eq(&cache(&first), &cache(&moved)));
        let slower = exchanger("https://idp.example.com/jwks", 60, Some(&first));
        assert!(!Arc::ptr_eq(&cache(&first), &cache(&slower)));
        let fresh = exchanger("https://idp.example.com/jwks", 30, None);
        assert!(!Arc::ptr_eq(&cache(&first), &cache(&fresh)));
    }

    fn policy() -> Policy {
        Policy::from_json(
            r#"{"roles":{"user":{"grants":[]},"support":{"grants":[{"voice":{}}]},
                "agent":{"grants":[],"identity_template":"agent_{identity}"}}}"#,
            86400,
        )
        .unwrap()
    }

    fn parse(text: &str) -> Result<Vec<Issuer>, String> {
        let missing = |_: &str| Err(std::io::Error::other("no such file"));
        parse_issuers(text, missing, &policy()).map_err(|e| e.to_string())
    }

    #[test]
    fn bad_issuers_files_name_the_problem() {
        let ok = r#"{"issuers":[{"issuer":"https://idp","audiences":["app"],"jwks_url":"https://idp/jwks"}]}"#;
        assert_eq!(parse(ok).unwrap().len(), 1);
        for (text, needle) in [
            (r#"{"issuers":[]}"#, "no issuers"),
            (
                r#"{"issuers":[{"issuer":"i","audiences":[],"jwks_url":"https://idp/jwks"}]}"#,
                "audiences",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"http://idp/jwks"}]}"#,
                "https",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"]}]}"#,
                "exactly one of jwks_url",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_file":"k.json"}]}"#,
                "jwks_file k.json: no such file",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","algorithms":["HS256"]}]}"#,
                "shared-secret",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","algorithms":["none"]}]}"#,
                "\"none\" is not",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","role":"admin"}]}"#,
                "role \"admin\"",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","leeway":3600}]}"#,
                "leeway",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","jwks_timeout":0}]}"#,
                "jwks_timeout",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","max_lifetime":0}]}"#,
                "max_lifetime must be 60..=2592000",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x","max_lifetime":3153600000}]}"#,
                "max_lifetime",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audience":["a"]}]}"#,
                "audience",
            ),
            (
                r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x"},{"issuer":"i","audiences":["b"],"jwks_url":"https://y"}]}"#,
                "listed twice",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn rules_pick_the_role_and_identities_are_checked() {
        let issuer = parse(r#"{"issuers":[{"issuer":"i","audiences":["a"],"jwks_url":"https://x",
            "role_rules":[{"claim":"roles","value":"support","role":"support"},{"claim":"tier","value":2,"role":"support"}]}]}"#)
            .unwrap()
            .remove(0);
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            issuer.role_for(&claims(serde_json::json!({"roles": ["a", "support"]}))),
            "support"
        );
        assert_eq!(
            issuer.role_for(&claims(serde_json::json!({"tier": 2}))),
            "support"
        );
        assert_eq!(
            issuer.role_for(&claims(serde_json::json!({"roles": "admin"}))),
            "user"
        );

        let c = claims(serde_json::json!({"sub": "alice_1", "email": "alice@example.com", "n": 5}));
        let from = |name: &str| IdentitySource::Claim(name.into());
        let template = |t: &str| IdentitySource::Template(t.into());
        assert_eq!(identity(&c, &from("sub"), "").unwrap(), "alice_1");
        assert_eq!(
            identity(&c, &from("email"), "").unwrap(),
            "alice@example.com"
        );
        assert_eq!(
            identity(&c, &from("n"), ""),
            Err(IdentityError::Missing("n".into()))
        );
        assert!(identity(&c, &from("missing"), "").is_err());
        assert_eq!(
            identity(&c, &template("user_{sub}"), "").unwrap(),
            "user_alice_1"
        );
        assert_eq!(
            identity(&c, &template("{sub}-{email}"), "").unwrap(),
            "alice_1-alice@example.com"
        );
        assert_eq!(
            identity(&c, &template("user_{missing}"), ""),
            Err(IdentityError::Missing("missing".into()))
        );
        let long = claims(serde_json::json!({"sub": "a".repeat(250)}));
        assert!(identity(&long, &from("sub"), "").is_ok());
        let e = identity(&long, &template("user_{sub}_xxxx"), "").unwrap_err();
        assert!(e.to_string().contains("identity_template"), "{e}");
    }

    #[test]
    fn each_issuer_has_a_namespace_of_its_own() {
        assert_eq!(
            default_prefix("https://idp.example.com/"),
            "idp_example_com_"
        );
        assert_eq!(
            default_prefix("https://login.microsoftonline.com/9188040d-6c67/v2.0"),
            "login_microsoftonline_com_9188040d_6c67_v2_0_"
        );
        assert_eq!(default_prefix("http://127.0.0.1:8080"), "127_0_0_1_8080_");
        let issuer = |name: &str, extra: &str| {
            format!(r#"{{"issuer":"{name}","audiences":["a"],"jwks_url":"https://x"{extra}}}"#)
        };
        let file = |issuers: &[String]| format!(r#"{{"issuers":[{}]}}"#, issuers.join(","));
        let claims = serde_json::json!({"sub": "u-42", "nick": "{sub}"});
        let claims = claims.as_object().unwrap();
        let two = parse(&file(&[
            issuer("https://a.example/", ""),
            issuer("https://b.example/", r#","identity_prefix":"bee_""#),
        ]))
        .unwrap();
        let of = |i: &Issuer| identity(claims, &i.identity, &i.prefix).unwrap();
        assert_eq!(of(&two[0]), "a_example_u-42");
        assert_eq!(of(&two[1]), "bee_u-42");
        // One pass: a claim's value that looks like a placeholder stays as it is.
        let nick = IdentitySource::Template("{nick}_{sub}".into());
        assert_eq!(identity(claims, &nick, "").unwrap(), "{sub}_u-42");
        let empty = serde_json::json!({"sub": ""});
        assert!(
            identity(
                empty.as_object().unwrap(),
                &IdentitySource::Claim("sub".into()),
                "p_"
            )
            .is_err()
        );

        let namespaces = Namespaces::new(&two, &policy());
        assert_eq!(
            namespaces.owner("a_example_alice"),
            Some("https://a.example/")
        );
        assert_eq!(namespaces.owner("bee_x"), Some("https://b.example/"));
        assert_eq!(
            namespaces.owner("bee_"),
            None,
            "the prefix alone is no identity"
        );
        assert_eq!(namespaces.owner("alice"), None);

        // Issuers whose identities could meet are refused; so is an explicit shared prefix.
        for (a, b) in [
            ("", r#","identity_prefix":"a_example_""#),
            (r#","identity_prefix":"x_""#, r#","identity_prefix":"x_y_""#),
            (r#","identity_prefix":"""#, r#","identity_prefix":"""#),
            // Through a role's template: agent_ + x_ meets agent_x_.
            (
                r#","identity_prefix":"x_","role":"agent""#,
                r#","identity_prefix":"agent_x_""#,
            ),
        ] {
            let e = parse(&file(&[
                issuer("https://a.example/", a),
                issuer("https://b.example/", b),
            ]))
            .unwrap_err();
            assert!(e.contains("same identity"), "{a} {b}: {e}");
        }
        // A prefix that breaks a product's rule for one of the issuer's roles.
        let e = parse(&file(&[issuer(
            "https://a.example/",
            r#","identity_prefix":"a.b:","role":"support""#,
        )]))
        .unwrap_err();
        assert!(e.contains("identity_prefix \"a.b:\""), "{e}");
    }
}
