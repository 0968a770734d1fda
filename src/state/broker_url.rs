//! The broker URL the page starts with, so that both ways of running it connect with no
//! typing:
//!
//! - served by the lab (`cargo xtask dev`, `lab --app-dir dist`) or next to a reverse proxy:
//!   the page's own origin + `/mqtt`;
//! - a debug build served by `trunk serve` (port 8080, `Trunk.toml`): trunk 0.21's WebSocket
//!   proxy does not echo the `mqtt` subprotocol, so browsers refuse a proxied `/mqtt`; the
//!   page talks to the lab's default listener on the same host, port 9001, instead.

/// `trunk serve`'s port ([serve] in Trunk.toml).
pub const TRUNK_SERVE_PORT: &str = "8080";
/// The lab's default WebSocket port (`cargo run -p lab`).
pub const LAB_WS_PORT: u16 = 9001;

/// Where the page was loaded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageOrigin<'a> {
    pub https: bool,
    /// Host name without the port (`location.hostname`).
    pub hostname: &'a str,
    /// The port, empty for the scheme's default (`location.port`).
    pub port: &'a str,
}

/// The broker URL a page from `origin` starts with; `debug_build` says whether this is a
/// development build (trunk serve builds debug).
pub fn default_broker_url(origin: Option<PageOrigin>, debug_build: bool) -> String {
    let Some(origin) = origin.filter(|o| !o.hostname.is_empty()) else {
        return format!("ws://localhost:{LAB_WS_PORT}/mqtt");
    };
    let scheme = if origin.https { "wss" } else { "ws" };
    if debug_build && origin.port == TRUNK_SERVE_PORT {
        return format!("{scheme}://{}:{LAB_WS_PORT}/mqtt", origin.hostname);
    }
    match origin.port {
        "" => format!("{scheme}://{}/mqtt", origin.hostname),
        port => format!("{scheme}://{}:{port}/mqtt", origin.hostname),
    }
}

/// `url` without user information (`ws://user:password@host/` → `ws://host/`): what may be
/// stored or shared of a broker URL.
pub fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(
        https: bool,
        hostname: &'static str,
        port: &'static str,
    ) -> Option<PageOrigin<'static>> {
        Some(PageOrigin {
            https,
            hostname,
            port,
        })
    }

    #[test]
    fn a_page_served_by_the_lab_or_a_proxy_uses_its_own_origin() {
        assert_eq!(
            default_broker_url(page(false, "127.0.0.1", "9001"), true),
            "ws://127.0.0.1:9001/mqtt"
        );
        assert_eq!(
            default_broker_url(page(true, "mqtt.example.org", ""), false),
            "wss://mqtt.example.org/mqtt"
        );
    }

    #[test]
    fn a_debug_page_from_trunk_serve_talks_to_the_lab_directly() {
        assert_eq!(
            default_broker_url(page(false, "127.0.0.1", "8080"), true),
            "ws://127.0.0.1:9001/mqtt"
        );
        // A release build hosted on port 8080 is just a page on port 8080.
        assert_eq!(
            default_broker_url(page(false, "127.0.0.1", "8080"), false),
            "ws://127.0.0.1:8080/mqtt"
        );
    }

    #[test]
    fn without_a_page_the_lab_on_localhost() {
        assert_eq!(default_broker_url(None, false), "ws://localhost:9001/mqtt");
    }

    #[test]
    fn user_information_is_cut_from_the_authority_only() {
        assert_eq!(
            without_userinfo("wss://me:s3cret@broker:8884/mqtt"),
            "wss://broker:8884/mqtt"
        );
        assert_eq!(
            without_userinfo("ws://host/mqtt?x=a@b"),
            "ws://host/mqtt?x=a@b"
        );
        assert_eq!(without_userinfo("ws://host/a@b"), "ws://host/a@b");
        assert_eq!(without_userinfo("not a url"), "not a url");
    }
}
