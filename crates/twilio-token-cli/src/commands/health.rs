//! `twilio-token health`: asks a server's `/readyz`, for container health checks and probes
//! in images that have no shell or curl.

use std::time::Duration;

use crate::Failure;

/// Arguments of `health`.
#[derive(clap::Args)]
pub struct Args {
    /// The address the server listens on (as `serve --bind`): the check asks
    /// `http://ADDRESS/readyz`, on loopback where the server listens on every address.
    #[arg(long, env = "TWILIO_TOKEN_BIND", default_value = "127.0.0.1:5000")]
    bind: std::net::SocketAddr,
    /// The URL to ask instead (any path; ready is a 200).
    #[arg(long)]
    url: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

/// Exits 0 when the server answers 200, 1 otherwise, naming what it got.
pub fn run(args: Args) -> Result<(), Failure> {
    let url = args.url.unwrap_or_else(|| readyz(args.bind));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot start the runtime: {e}")))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|e| Failure::Invalid(format!("cannot make an HTTP client: {e}")))?;
    let status = runtime
        .block_on(async { client.get(&url).send().await })
        .map_err(|e| Failure::Invalid(format!("{url}: {}", reqwest_reason(&e))))?
        .status();
    if status.is_success() {
        println!("{url}: {status}");
        Ok(())
    } else {
        Err(Failure::Invalid(format!("{url}: {status}")))
    }
}

/// `/readyz` of a server bound to `bind`; an unspecified address is reached on loopback.
fn readyz(mut bind: std::net::SocketAddr) -> String {
    if bind.ip().is_unspecified() {
        bind.set_ip(match bind {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{bind}/readyz")
}

/// Why a request failed, in a few words (reqwest's own text repeats the URL).
fn reqwest_reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::readyz;

    #[test]
    fn an_unspecified_bind_address_is_asked_on_loopback() {
        assert_eq!(
            readyz("0.0.0.0:5000".parse().unwrap()),
            "http://127.0.0.1:5000/readyz"
        );
        assert_eq!(
            readyz("[::]:8080".parse().unwrap()),
            "http://[::1]:8080/readyz"
        );
        assert_eq!(
            readyz("10.1.2.3:80".parse().unwrap()),
            "http://10.1.2.3:80/readyz"
        );
    }
}
