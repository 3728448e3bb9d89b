//! Who a request comes from: its TCP peer or, when that peer is a proxy the operator trusts
//! (`--trusted-proxies`), the address the proxy says it forwards for.
//!
//! Behind a load balancer every connection comes from the balancer, so the login limits, the
//! per-client connection cap and the logs would otherwise lump every client into one address.
//! Only a trusted peer's `X-Forwarded-For` (or, without it, `Forwarded`) is read, from the
//! right: each proxy appends the address it was reached from, so the rightmost address that
//! is not itself a trusted proxy is the client's; what stands left of it, the client wrote. A
//! client that is not a trusted proxy cannot choose its address by sending the header.
//!
//! Likewise the [`Scheme`] the client used is `http` (this server speaks no TLS), unless a
//! trusted proxy says, in `X-Forwarded-Proto` or `Forwarded`'s `proto=`, that it took the
//! request over https.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

/// A client's address, IPv4-mapped IPv6 addresses written as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(IpAddr);

impl From<IpAddr> for ClientAddress {
    fn from(ip: IpAddr) -> Self {
        ClientAddress(ip.to_canonical())
    }
}

impl ClientAddress {
    /// The address.
    pub fn ip(self) -> IpAddr {
        self.0
    }

    /// What per-address limits count it as: an IPv4 address itself, an IPv6 address by its
    /// /64 (one host commonly holds a whole /64, and would otherwise have 2^64 addresses to
    /// spread its guesses over).
    pub fn limit_key(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(_) => self.0,
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        }
    }
}

/// As the listener resolved it for a request through a trusted proxy ([`crate::serve`]);
/// any other request's (and one handed to the router directly, as a test's `oneshot`) is its
/// peer's.
impl<S: Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts.extensions.get::<ClientAddress>().copied();
        Ok(resolved.unwrap_or_else(|| {
            let peer = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>();
            peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.0.ip()).into()
        }))
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The scheme a client reached the server with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Plain http: a direct connection, or a trusted proxy's that says nothing else.
    #[default]
    Http,
    /// https, ended at a trusted proxy.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// As the listener resolved it for a request through a trusted proxy; any other is plain
/// http.
impl<S: Sync> FromRequestParts<S> for Scheme {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Scheme>()
            .copied()
            .unwrap_or_default())
    }
}

/// The proxies whose forwarding headers are believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// An item of a trusted proxies list that is neither an address nor a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAProxy {
    /// The item, as written.
    pub item: String,
}

impl std::fmt::Display for NotAProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not an address or CIDR range", self.item)
    }
}

impl std::error::Error for NotAProxy {}

impl FromStr for TrustedProxies {
    type Err = NotAProxy;

    /// `CIDR[,CIDR...]`; a bare address stands for itself alone.
    fn from_str(list: &str) -> Result<Self, NotAProxy> {
        let nets = list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| NotAProxy { item: item.into() })
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies(nets))
    }
}

impl TrustedProxies {
    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that reached this server from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddress {
        if !self.contains(peer) {
            return peer.into();
        }
        let forwarded_for = headers.get_all("x-forwarded-for");
        let hops: Vec<Option<IpAddr>> = match forwarded_for.iter().next() {
            Some(_) => forwarded_for
                .iter()
                .flat_map(|value| value.to_str().unwrap_or("?").split(','))
                .map(parse_hop)
                .collect(),
            None => headers
                .get_all("forwarded")
                .iter()
                .flat_map(|value| value.to_str().unwrap_or("for=?").split(','))
                .map(forwarded_for_hop)
                .collect(),
        };
        // From the right: past each trusted proxy to the address it was reached from. A hop
        // that is not an address (`unknown`, garbage) ends the walk at the proxy that wrote it.
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = ip;
                    if !self.contains(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        client.into()
    }
}

impl TrustedProxies {
    /// The scheme of a request that reached this server from `peer` with `headers`: what the
    /// proxy that took it from the client says (the first value), if `peer` is trusted.
    pub fn scheme(&self, peer: IpAddr, headers: &HeaderMap) -> Scheme {
        if !self.contains(peer) {
            return Scheme::Http;
        }
        let first = |name: &str| {
            let value = headers.get(name)?.to_str().ok()?;
            value.split(',').next().map(str::trim)
        };
        let proto = first("x-forwarded-proto").or_else(|| {
            first("forwarded")?.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("proto")
                    .then(|| value.trim().trim_matches('"'))
            })
        });
        match proto {
            Some(proto) if proto.eq_ignore_ascii_case("https") => Scheme::Https,
            _ => Scheme::Http,
        }
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(bracketed) = text.strip_prefix('[') {
        return bracketed.split_once(']')?.0.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The `for=` of one `Forwarded` element (RFC 7239), e.g. `for="[2001:db8::1]:4711";proto=https`.
fn forwarded_for_hop(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        parse_hop(value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_the_rightmost_untrusted_hop_is_the_client() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        let client = |peer: &str, pairs: &[(&str, &str)]| {
            trusted.client(ip(peer), &headers(pairs)).ip().to_string()
        };
        let xff = |value| [("x-forwarded-for", value)];
        // Not a trusted peer: the header is the client's own words.
        assert_eq!(client("203.0.113.9", &xff("1.1.1.1")), "203.0.113.9");
        assert_eq!(client("10.1.2.3", &xff("1.1.1.1")), "1.1.1.1");
        // What the client wrote stands left of what the proxy appended.
        assert_eq!(client("10.1.2.3", &xff("6.6.6.6, 1.1.1.1")), "1.1.1.1");
        // Through two trusted proxies.
        assert_eq!(client("10.1.2.3", &xff("1.1.1.1, 192.0.2.7")), "1.1.1.1");
        assert_eq!(
            client(
                "10.1.2.3",
                &[
                    ("x-forwarded-for", "6.6.6.6, 1.1.1.1"),
                    ("x-forwarded-for", "10.9.9.9")
                ]
            ),
            "1.1.1.1"
        );
        // Every hop trusted: the leftmost.
        assert_eq!(client("10.1.2.3", &xff("10.0.0.5, 10.0.0.6")), "10.0.0.5");
        // A hop that is not an address: the proxy that wrote it.
        assert_eq!(client("10.1.2.3", &xff("1.1.1.1, unknown")), "10.1.2.3");
        assert_eq!(
            client("10.1.2.3", &xff("1.1.1.1, 10.0.0.9, junk")),
            "10.1.2.3"
        );
        assert_eq!(client("10.1.2.3", &xff("junk, 10.0.0.9")), "10.0.0.9");
        // No header: the peer.
        assert_eq!(client("10.1.2.3", &[]), "10.1.2.3");
        // Ports and brackets.
        assert_eq!(client("10.1.2.3", &xff("1.1.1.1:443")), "1.1.1.1");
        assert_eq!(client("10.1.2.3", &xff("[2001:db8::1]:443")), "2001:db8::1");
        assert_eq!(client("10.1.2.3", &xff("2001:db8::1")), "2001:db8::1");
        // Forwarded, when there is no X-Forwarded-For.
        let forwarded = |value| [("forwarded", value)];
        assert_eq!(
            client(
                "10.1.2.3",
                &forwarded(r#"for=6.6.6.6, for="[2001:db8::2]:4711";proto=https;by=10.1.2.3"#)
            ),
            "2001:db8::2"
        );
        assert_eq!(
            client("10.1.2.3", &forwarded("proto=https;For=1.1.1.1")),
            "1.1.1.1"
        );
        // A mapped IPv4 peer is the IPv4 address, and trusted as one.
        assert_eq!(client("::ffff:10.1.2.3", &xff("1.1.1.1")), "1.1.1.1");
    }

    #[test]
    fn only_a_trusted_proxy_says_the_request_came_over_https() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let scheme = |peer: &str, pairs: &[(&str, &str)]| trusted.scheme(ip(peer), &headers(pairs));
        assert_eq!(
            scheme("10.0.0.1", &[("x-forwarded-proto", "https")]),
            Scheme::Https
        );
        assert_eq!(
            scheme("10.0.0.1", &[("x-forwarded-proto", "HTTPS, http")]),
            Scheme::Https
        );
        assert_eq!(
            scheme("10.0.0.1", &[("x-forwarded-proto", "http")]),
            Scheme::Http
        );
        assert_eq!(
            scheme("10.0.0.1", &[("forwarded", "for=1.1.1.1;proto=https")]),
            Scheme::Https
        );
        assert_eq!(scheme("10.0.0.1", &[]), Scheme::Http);
        assert_eq!(
            scheme("192.0.2.1", &[("x-forwarded-proto", "https")]),
            Scheme::Http
        );
    }

    #[test]
    fn ranges_parse_or_name_the_bad_item_and_ipv6_clients_count_by_their_64() {
        assert!(TrustedProxies::from_str("").unwrap().is_empty());
        let trusted: TrustedProxies = "127.0.0.1,::1,fd00::/8".parse().unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(trusted.contains(ip("fd12::1")));
        let e = TrustedProxies::from_str("10.0.0.0/8,10.0.0.0/33").unwrap_err();
        assert_eq!(e.item, "10.0.0.0/33");
        assert!(
            e.to_string().contains("\"10.0.0.0/33\" is not an address"),
            "{e}"
        );
        assert!(TrustedProxies::from_str("proxy.internal").is_err());

        let key = |text: &str| ClientAddress::from(ip(text)).limit_key().to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
    }
}
