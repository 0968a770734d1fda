//! `--app-dir`: the WebSocket port also serves the built web app over plain HTTP, so the app's
//! default broker URL (its own origin + `/mqtt`) reaches the lab. WebSocket clients on that
//! port must not notice.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use lab::{LabConfig, LabError};
use support::ws::{subprotocol, Client};
use support::{guarded, start_lab, start_lab_serving};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const INDEX: &str = "<!doctype html><title>app</title>";
const WASM: &[u8] = b"\0asm\x01\0\0\0";
const SECRET: &str = "outside the app dir";

/// `<temp>/lab-app-<pid>-<name>/` holding `app/` (index.html, a.wasm) and, outside the app
/// dir, secret.txt. Removed on drop.
struct TempApp {
    root: PathBuf,
}

impl TempApp {
    fn new(name: &str) -> Self {
        let root = std::env::temp_dir().join(format!("lab-app-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("app")).expect("create the temp app dir");
        std::fs::write(root.join("app/index.html"), INDEX).expect("write index.html");
        std::fs::write(root.join("app/a.wasm"), WASM).expect("write a.wasm");
        std::fs::write(root.join("secret.txt"), SECRET).expect("write secret.txt");
        Self { root }
    }

    fn app(&self) -> PathBuf {
        self.root.join("app")
    }
}

impl Drop for TempApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    /// The value of header `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends one raw HTTP/1.1 request (the target exactly as given, unlike curl, which would
/// normalize `..`) and reads the reply to the end: the lab closes after one response.
async fn request(addr: SocketAddr, method: &str, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read the reply");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8(raw[..end].to_vec()).expect("an ASCII head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    Reply {
        status,
        head,
        body: raw[end + 4..].to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_app_files_with_their_types() {
    let app = TempApp::new("files");
    let lab = start_lab_serving(Some(app.app())).await;
    let addr = lab.ws_addr();
    assert_eq!(lab.app_url(), Some(format!("http://{addr}/")));
    guarded("HTTP requests", async {
        let index = request(addr, "GET", "/").await;
        assert_eq!(index.status, 200, "{}", index.head);
        assert_eq!(index.body, INDEX.as_bytes());
        assert!(index
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(index.header("cache-control"), Some("no-cache"));
        assert_eq!(index.header("x-content-type-options"), Some("nosniff"));

        let wasm = request(addr, "GET", "/a.wasm?v=1").await;
        assert_eq!(wasm.status, 200, "{}", wasm.head);
        assert_eq!(wasm.header("Content-Type"), Some("application/wasm"));
        assert_eq!(wasm.body, WASM);

        let head = request(addr, "HEAD", "/a.wasm").await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-length"), Some("8"));
        assert!(head.body.is_empty());

        let post = request(addr, "POST", "/").await;
        assert_eq!(post.status, 405);
        assert_eq!(post.header("allow"), Some("GET, HEAD"));
    })
    .await;
}

/// Client-side routes of the single-page app get index.html; a missing asset is a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_fall_back_to_index_html() {
    let app = TempApp::new("routes");
    let lab = start_lab_serving(Some(app.app())).await;
    guarded("SPA fallback", async {
        let route = request(lab.ws_addr(), "GET", "/some/route").await;
        assert_eq!(route.status, 200, "{}", route.head);
        assert_eq!(route.body, INDEX.as_bytes());

        let missing = request(lab.ws_addr(), "GET", "/missing.js").await;
        assert_eq!(missing.status, 404);
        assert!(missing
            .header("content-type")
            .unwrap()
            .starts_with("text/plain"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_app_dir_is_served() {
    let app = TempApp::new("escape");
    #[cfg(unix)]
    std::os::unix::fs::symlink(app.root.join("secret.txt"), app.app().join("link.txt"))
        .expect("symlink");
    let lab = start_lab_serving(Some(app.app())).await;
    guarded("path escapes", async {
        for target in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/a/../../secret.txt",
            "/link.txt",
            "/../Cargo.toml",
        ] {
            let reply = request(lab.ws_addr(), "GET", target).await;
            assert_ne!(reply.status, 200, "{target}: {}", reply.head);
            assert!(!String::from_utf8_lossy(&reply.body).contains(SECRET));
        }
    })
    .await;
}

/// The point of serving the app from the lab: the same port still speaks MQTT over WebSocket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_clients_on_the_app_port_still_reach_the_broker() {
    let app = TempApp::new("websocket");
    let lab = start_lab_serving(Some(app.app())).await;
    guarded("WebSocket CONNECT next to the app", async {
        let (mut client, response) = Client::open(&lab.ws_url(), true).await;
        assert_eq!(response.status(), 101);
        assert_eq!(subprotocol(&response), Some("mqtt"));
        client.connect("lab-app-ws").await;
    })
    .await;
}

/// Without `--app-dir`, a browser pointed at the WebSocket port learns what it is for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_app_dir_plain_http_is_told_what_the_port_is_for() {
    let lab = start_lab().await;
    guarded("plain HTTP without an app", async {
        let reply = request(lab.ws_addr(), "GET", "/").await;
        assert_eq!(reply.status, 426, "{}", reply.head);
        assert!(String::from_utf8_lossy(&reply.body).contains("--app-dir"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_app_dir_means_no_app_and_a_bad_one_is_a_clear_error() {
    assert_eq!(start_lab().await.app_url(), None);

    let app = TempApp::new("bad");
    std::fs::remove_file(app.app().join("index.html")).expect("remove index.html");
    for dir in [app.app(), app.root.join("missing")] {
        let config = LabConfig {
            ws_port: 0,
            tcp_port: 0,
            app_dir: Some(dir.clone()),
            ..LabConfig::default()
        };
        match lab::start(&config).await {
            Err(LabError::AppDir { dir: reported, .. }) => assert_eq!(reported, dir),
            Err(other) => panic!("expected AppDir, got {other}"),
            Ok(_) => panic!("the lab started with {}", dir.display()),
        }
    }
}
