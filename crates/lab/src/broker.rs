//! rumqttd configuration, start-up and readiness.
//!
//! rumqttd's `Broker::start` blocks a thread forever and only logs listener failures, so the lab
//! assembles the same pieces itself (rumqttd 0.20 exports `Router` and `Server` for exactly
//! this): the router runs on its own thread, the MQTT-over-TCP listener is a task on the
//! caller's tokio runtime, and a listener that fails (port in use, ...) ends its task with an
//! error we can report. MQTT over WebSocket goes through the lab's own bridge to that TCP
//! listener; `ws_bridge.rs` says why rumqttd's WebSocket listener is not used. With
//! `--upstream`, one more WebSocket listener goes through the same bridge to another broker.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::time::Duration;

use rumqttd::protocol::v4::V4;
use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::front_door::{self, Door};
use crate::limits::MAX_PACKET_SIZE;
use crate::live_links::LiveLinks;
use crate::static_files::AppDir;
use crate::{faults, LabConfig, LabError, Listener};

/// How long [`start`] waits for a listener to accept connections before giving up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between readiness probes while a listener is still binding.
const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// Router settings. `RouterConfig::default()` is all zeros (nothing would ever be forwarded),
/// so every value is chosen here.
fn router_config() -> RouterConfig {
    RouterConfig {
        // Hundreds of browser tabs and tools with lots of headroom; rumqttd refuses (drops) the
        // connection beyond this. It preallocates slots of this many small entries: cheap.
        max_connections: 10_000,
        // QoS 0 messages moved to one subscriber per scheduling round. 200 matches rumqttd's
        // fixed per-connection outgoing buffer (200), so a round fills it without overshooting.
        max_outgoing_packet_count: 200,
        // Every topic filter keeps an in-memory log of up to 4 segments of 8 MiB: a subscriber may
        // lag ~32 MiB (seconds of a flood of small messages) before it skips ahead, and memory
        // per filter stays bounded. A segment must also hold at least one MAX_PACKET_SIZE packet.
        max_segment_size: 8 * 1024 * 1024,
        max_segment_count: 4,
        ..RouterConfig::default()
    }
}

/// Per-connection settings, the same for both listeners.
fn connection_settings() -> ConnectionSettings {
    ConnectionSettings {
        // CONNECT must arrive this soon after the socket (or WebSocket) opens. Browsers send it
        // at once; 10 s still frees slots held by silent sockets. (It is a u16 in rumqttd.)
        connection_timeout_ms: 10_000,
        // See MAX_PACKET_SIZE: rumqttd's sample config uses 20 KiB, far too small for the app.
        max_payload_size: MAX_PACKET_SIZE,
        // Not a QoS window: the number of packets parsed from one socket read and handed to the
        // router as one batch. Big batches mean fewer router wake-ups during a flood.
        max_inflight_count: 1_000,
        // No authentication yet: anonymous clients and any username/password are accepted.
        auth: None,
        external_auth: None,
        // Required: without it rumqttd disconnects a client that publishes to a topic no one
        // has subscribed to yet.
        dynamic_filters: true,
    }
}

fn server_settings(name: &str, listen: SocketAddr) -> ServerSettings {
    ServerSettings {
        name: name.to_owned(),
        listen,
        tls: None,
        // rumqttd sleeps this long after every accept; 0 lets a burst of clients in at once.
        next_connection_delay_ms: 0,
        connections: connection_settings(),
    }
}

/// A started lab. Dropping it closes its listening sockets. rumqttd 0.20 cannot stop its router
/// thread, and already-open connections live on as tasks of the runtime until it shuts down.
pub struct RunningBroker {
    tcp: ListenerTask,
    ws: ListenerTask,
    /// The fault-injection listener, if asked for (`LabConfig::fault_port`).
    faults: Option<ListenerTask>,
    /// The WebSocket listener in front of another broker (`LabConfig::upstream`), with that
    /// broker's `HOST:PORT`.
    upstream: Option<(ListenerTask, String)>,
    serves_app: bool,
}

impl RunningBroker {
    /// Where to connect for MQTT over TCP, with the port actually bound. A wildcard bind
    /// (0.0.0.0, ::) is reported as loopback: the address a local tool can always reach.
    pub fn tcp_addr(&self) -> SocketAddr {
        connect_addr(self.tcp.addr)
    }

    /// Where to connect for MQTT over WebSocket; see [`RunningBroker::tcp_addr`].
    pub fn ws_addr(&self) -> SocketAddr {
        connect_addr(self.ws.addr)
    }

    /// The URL a browser should open (`/mqtt` by convention; any path is accepted).
    pub fn ws_url(&self) -> String {
        format!("ws://{}/mqtt", self.ws_addr())
    }

    /// Where a browser opens the web app, if the lab serves it (`--app-dir`): the WebSocket
    /// listener's origin, so the app's default broker URL (origin + `/mqtt`) is the lab.
    pub fn app_url(&self) -> Option<String> {
        self.serves_app
            .then(|| format!("http://{}/", self.ws_addr()))
    }

    /// Where the fault-injection listener is, if enabled; see [`RunningBroker::tcp_addr`].
    pub fn faults_addr(&self) -> Option<SocketAddr> {
        self.faults.as_ref().map(|faults| connect_addr(faults.addr))
    }

    /// The fault listener's base URL, `ws://HOST:PORT` (no path: append one of
    /// [`crate::FAULT_PATHS`]), if enabled.
    pub fn faults_url(&self) -> Option<String> {
        self.faults_addr().map(|addr| format!("ws://{addr}"))
    }

    /// Where to connect for MQTT over WebSocket to the upstream broker, if enabled; see
    /// [`RunningBroker::tcp_addr`].
    pub fn upstream_ws_addr(&self) -> Option<SocketAddr> {
        self.upstream
            .as_ref()
            .map(|(listener, _)| connect_addr(listener.addr))
    }

    /// The URL a browser opens to reach the upstream broker through the lab, if enabled.
    pub fn upstream_ws_url(&self) -> Option<String> {
        self.upstream_ws_addr()
            .map(|addr| format!("ws://{addr}/mqtt"))
    }

    /// The upstream broker's TCP listener (`HOST:PORT`, as given), if enabled.
    pub fn upstream_broker(&self) -> Option<&str> {
        self.upstream.as_ref().map(|(_, broker)| broker.as_str())
    }

    /// The one machine-readable line tools wait for:
    /// `LAB_READY ws=ws://HOST:PORT/mqtt tcp=HOST:PORT`, with ` faults=ws://HOST:PORT` appended
    /// when the fault listener is enabled and ` upstream=ws://HOST:PORT/mqtt` when the upstream
    /// listener is (nothing else ever changes, so parsers that split on spaces and read
    /// `key=value` keep working).
    pub fn ready_line(&self) -> String {
        let mut line = format!("LAB_READY ws={} tcp={}", self.ws_url(), self.tcp_addr());
        if let Some(url) = self.faults_url() {
            line.push_str(&format!(" faults={url}"));
        }
        if let Some(url) = self.upstream_ws_url() {
            line.push_str(&format!(" upstream={url}"));
        }
        line
    }

    /// Resolves only if a listener stops; the accept loops otherwise run forever.
    pub async fn stopped(mut self) -> LabError {
        let Self {
            tcp,
            ws,
            faults,
            upstream,
            ..
        } = &mut self;
        let upstream = upstream.as_mut().map(|(listener, _)| listener);
        tokio::select! {
            error = tcp.until_stopped() => error,
            error = ws.until_stopped() => error,
            error = until_stopped(faults.as_mut()) => error,
            error = until_stopped(upstream) => error,
        }
    }
}

/// One listener's accept loop (rumqttd's TCP server or the WebSocket bridge) running as a task;
/// aborted (listening socket closed) on drop.
struct ListenerTask {
    kind: Listener,
    addr: SocketAddr,
    handle: JoinHandle<String>,
}

impl ListenerTask {
    fn spawn<F>(kind: Listener, addr: SocketAddr, serve: F) -> Self
    where
        F: std::future::Future<Output = String> + Send + 'static,
    {
        Self {
            kind,
            addr,
            handle: tokio::spawn(serve),
        }
    }

    /// Resolves once the task ends (the accept loops otherwise run forever).
    async fn until_stopped(&mut self) -> LabError {
        let outcome = (&mut self.handle).await;
        self.stopped(outcome)
    }

    fn stopped(&self, outcome: Result<String, tokio::task::JoinError>) -> LabError {
        let reason = outcome.unwrap_or_else(|error| format!("its task failed ({error})"));
        LabError::ListenerStopped {
            listener: self.kind,
            addr: self.addr,
            reason,
        }
    }

    /// Waits until the listener accepts a TCP connection. The probe connection is closed at
    /// once; the listener just logs (quietly) that it ended before sending anything.
    async fn wait_ready(&mut self) -> Result<(), LabError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let probe = connect_addr(self.addr);
        loop {
            if self.handle.is_finished() {
                let outcome = (&mut self.handle).await;
                return Err(self.stopped(outcome));
            }
            match TcpStream::connect(probe).await {
                // A task that failed to bind has finished by now (binding is its first step);
                // check once more so a foreign listener that won the port race is not mistaken
                // for ours.
                Ok(_) if !self.handle.is_finished() => return Ok(()),
                Ok(_) => continue,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(PROBE_INTERVAL).await,
                Err(_) => {
                    return Err(LabError::NotReady {
                        listener: self.kind,
                        addr: self.addr,
                        seconds: READY_TIMEOUT.as_secs(),
                    })
                }
            }
        }
    }
}

/// Resolves once an optional listener stops; never without one.
async fn until_stopped(listener: Option<&mut ListenerTask>) -> LabError {
    match listener {
        Some(listener) => listener.until_stopped().await,
        None => std::future::pending().await,
    }
}

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Starts the broker on the caller's tokio runtime and returns once its listeners (two, and
/// one more each with `fault_port` and `upstream`) accept connections.
pub async fn start(config: &LabConfig) -> Result<RunningBroker, LabError> {
    let app = match &config.app_dir {
        Some(dir) => Some(Arc::new(AppDir::open(dir).await?)),
        None => None,
    };
    let serves_app = app.is_some();
    // The WebSocket listener is the lab's own: bind it now and keep it (no port race).
    let (ws_listener, ws_addr) = bind(
        Listener::WebSocket,
        SocketAddr::new(config.host, config.ws_port),
    )
    .await?;
    // Likewise the fault listener, before anything starts: a port in use fails early.
    let fault_listener = match config.fault_port {
        Some(port) => Some(bind(Listener::Faults, SocketAddr::new(config.host, port)).await?),
        None => None,
    };
    let upstream_listener = match &config.upstream {
        Some(upstream) => {
            let wanted = SocketAddr::new(config.host, upstream.ws_port);
            Some((bind(Listener::Upstream, wanted).await?, upstream))
        }
        None => None,
    };
    let tcp_addr = reserve(SocketAddr::new(config.host, config.tcp_port))?;

    let router_tx = Router::new(0, router_config()).spawn();
    let mut server = Server::new(server_settings("tcp", tcp_addr), router_tx, V4);
    let mut tcp = ListenerTask::spawn(Listener::Tcp, tcp_addr, async move {
        match server.start(LinkType::Remote).await {
            Ok(()) => "it returned without an error".to_owned(),
            Err(error) => error.to_string(),
        }
    });
    tcp.wait_ready().await?;

    // One registry for every WebSocket listener: a cut asked on either port reaches both.
    let links = LiveLinks::default();
    let door = Door {
        broker: connect_addr(tcp_addr).to_string().into(),
        app,
        links: links.clone(),
        control: config.control,
        // rumqttd 0.20 speaks MQTT 5 on a separate TCP listener only.
        refuse_mqtt5: true,
    };
    let bridge = front_door::serve(ws_listener, "WebSocket", door);
    let mut ws = ListenerTask::spawn(Listener::WebSocket, ws_addr, bridge);
    ws.wait_ready().await?;

    let upstream = match upstream_listener {
        Some(((listener, addr), upstream)) => {
            let door = Door {
                broker: upstream.broker.as_str().into(),
                app: None,
                links,
                control: config.control,
                refuse_mqtt5: false,
            };
            let bridge = front_door::serve(listener, "upstream WebSocket", door);
            let mut task = ListenerTask::spawn(Listener::Upstream, addr, bridge);
            task.wait_ready().await?;
            Some((task, upstream.broker.clone()))
        }
        None => None,
    };

    let faults = match fault_listener {
        Some((listener, addr)) => {
            let mut faults = ListenerTask::spawn(Listener::Faults, addr, faults::serve(listener));
            faults.wait_ready().await?;
            Some(faults)
        }
        None => None,
    };
    Ok(RunningBroker {
        tcp,
        ws,
        faults,
        upstream,
        serves_app,
    })
}

/// Binds one of the lab's own listeners and reports the address actually bound (port 0 → the
/// port the OS picked).
async fn bind(kind: Listener, wanted: SocketAddr) -> Result<(TcpListener, SocketAddr), LabError> {
    let listener = TcpListener::bind(wanted)
        .await
        .map_err(bind_error(kind, wanted))?;
    let addr = listener.local_addr().map_err(bind_error(kind, wanted))?;
    Ok((listener, addr))
}

/// Resolves the TCP listen address before rumqttd binds it: a port in use becomes a clear error
/// here, and port 0 becomes a concrete free port (rumqttd binds by address and cannot report
/// which port the OS picked). The test socket is dropped just before rumqttd binds; in that
/// small window another process could take the port, and the readiness check then reports
/// rumqttd's bind error instead.
fn reserve(addr: SocketAddr) -> Result<SocketAddr, LabError> {
    let socket = StdTcpListener::bind(addr).map_err(bind_error(Listener::Tcp, addr))?;
    socket.local_addr().map_err(bind_error(Listener::Tcp, addr))
}

/// Turns a bind failure into a sentence, singling out the common "port in use".
fn bind_error(listener: Listener, addr: SocketAddr) -> impl Fn(std::io::Error) -> LabError {
    move |source| match source.kind() {
        std::io::ErrorKind::AddrInUse => LabError::AddrInUse { listener, addr },
        _ => LabError::Bind {
            listener,
            addr,
            source,
        },
    }
}

/// Where to connect to reach a listener: loopback for a wildcard bind (0.0.0.0, ::).
pub(crate) fn connect_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}
