//! The control endpoint on the WebSocket ports (the embedded broker's, and the one in front of
//! `--upstream`), for browser tests that check how the page lives through a lost connection:
//!
//! `GET` or `POST /control/cut[?client=PREFIX]` cuts every live bridged connection (of both
//! ports: they share one registry), or only those whose MQTT client id starts with PREFIX
//! (concurrent tests in one page each cut only their own), and answers `200` with
//! `{"cut": N}`. The query is form-encoded, as `URLSearchParams` writes it. A connection whose
//! CONNECT has not gone through yet has no client id: only a cut without `client` reaches it.
//!
//! A cut looks like a network failure: the bridge drops the browser's TCP connection without a
//! WebSocket close frame (the page's `onclose` sees 1006, `wasClean` false) and its own
//! connection to the broker without a DISCONNECT (the broker keeps the session and sends the
//! will, as for any client that vanishes).
//!
//! The browser tests run on another origin (the test runner's server), so every answer allows
//! any origin, and a `POST` that needs a preflight gets one.

use bytes::Bytes;
use hyper::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ALLOW,
    CONTENT_TYPE,
};
use hyper::{Method, Request, Response, StatusCode};
use tracing::info;

use crate::http_server::{response, text_response, Body};
use crate::live_links::LiveLinks;

/// Every request under this prefix is the control endpoint's (never the app's files).
const PREFIX: &str = "/control/";
/// The one control so far.
const CUT: &str = "/control/cut";
const METHODS: &str = "GET, POST, OPTIONS";

/// True if the request is for the control endpoint.
pub(crate) fn is_control<B>(request: &Request<B>) -> bool {
    request.uri().path().starts_with(PREFIX)
}

/// Answers a control request: the cut, its CORS preflight, or a refusal in words.
pub(crate) fn answer<B>(request: &Request<B>, links: &LiveLinks) -> Response<Body> {
    if request.uri().path() != CUT {
        let refusal = text_response(
            StatusCode::NOT_FOUND,
            format!("no such control; the one there is: {CUT}[?client=PREFIX]\n"),
        );
        return allow_any_origin(refusal);
    }
    let answer = match *request.method() {
        Method::GET | Method::POST => {
            let prefix = client_prefix(request.uri().query());
            let cut = links.cut(prefix.as_deref());
            info!("control: cut {cut} connection(s) (client id prefix: {prefix:?})");
            let body = format!("{{\"cut\": {cut}}}\n");
            response(StatusCode::OK, "application/json", body.into())
        }
        Method::OPTIONS => preflight(request),
        _ => {
            let mut refusal = text_response(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{CUT} takes GET or POST\n"),
            );
            let headers = refusal.headers_mut();
            headers.insert(ALLOW, HeaderValue::from_static(METHODS));
            refusal
        }
    };
    allow_any_origin(answer)
}

/// The `client` query parameter, decoded; `None` when absent.
fn client_prefix(query: Option<&str>) -> Option<String> {
    let query = query?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "client")
        .map(|(_, value)| value.into_owned())
}

/// The answer to a CORS preflight (a cross-origin POST with, e.g., a JSON content type).
fn preflight<B>(request: &Request<B>) -> Response<Body> {
    // The lab's usual headers (`Connection: close` among them), with nothing to type.
    let mut answer = response(StatusCode::NO_CONTENT, "text/plain", Bytes::new());
    let headers = answer.headers_mut();
    headers.remove(CONTENT_TYPE);
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    // Whatever headers the page wants to send are fine: none of them is read.
    if let Some(asked) = request.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    answer
}

fn allow_any_origin(mut answer: Response<Body>) -> Response<Body> {
    let headers = answer.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_prefix_is_read_form_decoded() {
        assert_eq!(client_prefix(None), None);
        assert_eq!(client_prefix(Some("")), None);
        assert_eq!(client_prefix(Some("other=1")), None);
        let prefix = client_prefix(Some("x=1&client=pg%2Dtest%2F1+a"));
        assert_eq!(prefix.as_deref(), Some("pg-test/1 a"));
        assert_eq!(client_prefix(Some("client=")).as_deref(), Some(""));
    }

    #[test]
    fn a_preflight_allows_the_methods_and_the_headers_asked_for() {
        let request = Request::options(CUT)
            .header("Origin", "http://127.0.0.1:8000")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .body(())
            .expect("a valid test request");
        let answer = answer(&request, &LiveLinks::default());
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        let header = |name| answer.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header(ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
        assert_eq!(header(ACCESS_CONTROL_ALLOW_METHODS), Some(METHODS));
        assert_eq!(header(ACCESS_CONTROL_ALLOW_HEADERS), Some("content-type"));
    }

    #[test]
    fn other_methods_and_controls_are_refused_in_words() {
        let put = Request::put(CUT).body(()).expect("a valid test request");
        let answer_put = answer(&put, &LiveLinks::default());
        assert_eq!(answer_put.status(), StatusCode::METHOD_NOT_ALLOWED);
        let allow = answer_put.headers().get(ALLOW);
        assert_eq!(allow.and_then(|v| v.to_str().ok()), Some(METHODS));
        let other = Request::get("/control/other")
            .body(())
            .expect("a valid test request");
        assert!(is_control(&other));
        let answer_other = answer(&other, &LiveLinks::default());
        assert_eq!(answer_other.status(), StatusCode::NOT_FOUND);
    }
}
