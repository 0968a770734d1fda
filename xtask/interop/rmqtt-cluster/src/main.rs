//! `interop-rmqtt-cluster NODE_ID TCP_PORT WS_PORT GRPC_PORT PEERS`: one node of an rmqtt
//! cluster on 127.0.0.1, for `cargo xtask class --cluster`. PEERS lists every node of the
//! cluster, this one included, as `ID@127.0.0.1:GRPC_PORT` separated by commas.
//!
//! The node serves MQTT on TCP_PORT and WS_PORT (anonymous clients), serves the cluster's gRPC
//! on GRPC_PORT and runs rmqtt's cluster-broadcast plugin: a PUBLISH on one node is sent to
//! every peer, each peer delivers it to its own plain subscribers and answers with its shared
//! subscribers, and the publisher's node picks one member of each `$share/G/...` group among
//! all nodes. rmqtt leaves that pick to a `SharedSubscription` (its default one supports
//! none); `RoundRobin` below is ours. Prints `RMQTT_READY` once the listeners are bound.

use std::num::NonZeroU16;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use rmqtt::context::ServerContext;
use rmqtt::net::Builder;
use rmqtt::node::Node;
use rmqtt::server::MqttServer;
use rmqtt::subscribe::SharedSubscription;
use rmqtt::types::{
    ClientId, Id, IsOnline, NodeId, SharedGroup, SubscriptionIdentifier, SubscriptionOptions,
    TopicName,
};

const USAGE: &str = "usage: interop-rmqtt-cluster NODE_ID TCP_PORT WS_PORT GRPC_PORT \
                     ID@127.0.0.1:PORT,ID@127.0.0.1:PORT,...";

/// One member of a shared group per message, in turn, among the members that are online,
/// whichever node they are connected to.
struct RoundRobin(AtomicUsize);

#[async_trait]
impl SharedSubscription for RoundRobin {
    fn is_supported(&self) -> bool {
        true
    }

    async fn choice(
        &self,
        _scx: &ServerContext,
        _group: &SharedGroup,
        _publisher: &Id,
        _topic: &TopicName,
        members: &[(
            NodeId,
            ClientId,
            SubscriptionOptions,
            Option<Vec<SubscriptionIdentifier>>,
            Option<IsOnline>,
        )],
    ) -> Option<(usize, IsOnline)> {
        let online: Vec<usize> = (0..members.len())
            .filter(|&i| members[i].4.unwrap_or(true))
            .collect();
        let turn = self.0.fetch_add(1, Ordering::Relaxed);
        match online.get(turn % online.len().max(1)) {
            Some(&i) => Some((i, true)),
            None if !members.is_empty() => Some((turn % members.len(), false)),
            None => None,
        }
    }
}

/// A listener on 127.0.0.1:`port` with room for the challenge service, which gets every
/// student's replies: rmqtt's defaults (16 in flight, 1,000 queued per session) would drop
/// them under a class of a thousand.
fn listener(name: &str, port: &str) -> rmqtt::Result<Builder> {
    Ok(Builder::new()
        .name(name)
        .laddr(format!("127.0.0.1:{port}").parse()?)
        .max_inflight(NonZeroU16::new(1024).expect("not zero"))
        .max_mqueue_len(1_000_000)
        .max_handshaking_limit(10_000)
        .backlog(4096)
        .nodelay(true))
}

#[tokio::main]
async fn main() -> rmqtt::Result<()> {
    // rmqtt's warnings and errors (a peer that does not answer, the gRPC circuit breaker
    // opening) on stderr, which xtask writes to the node's log; RUST_LOG overrides.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, tcp, ws, grpc, peers] =
        <[String; 5]>::try_from(args).map_err(|_| rmqtt::Error::msg(USAGE))?;
    let id: NodeId = id.parse().map_err(|_| rmqtt::Error::msg(USAGE))?;
    let addrs: Vec<String> = peers.split(',').map(|p| format!("\"{p}\"")).collect();
    let cluster_config = format!(
        "node_grpc_addrs = [{}]\nnode_grpc_client_timeout = \"15s\"\n",
        addrs.join(", ")
    );
    let scx = ServerContext::new()
        .node(Node::new(
            id,
            1000.0,
            1000.0,
            std::time::Duration::from_secs(2),
        ))
        .busy_check_enable(false)
        .plugins_config_map_add("rmqtt-cluster-broadcast", cluster_config)
        .build()
        .await;
    *scx.extends.shared_subscription_mut().await = Box::new(RoundRobin(AtomicUsize::new(0)));
    scx.node.start_grpc_server(
        scx.clone(),
        format!("127.0.0.1:{grpc}").parse()?,
        true,
        false,
    );
    // A cluster of one would panic on its first PUBLISH (rmqtt's MessageBroadcaster asserts
    // it has peers): one node runs alone, as the baseline.
    if peers.split(',').count() > 1 {
        rmqtt_cluster_broadcast::register(&scx, true, false).await?;
    }
    let tcp = listener("tcp", &tcp)?.bind()?.tcp()?;
    let ws = listener("ws", &ws)?.bind()?.ws()?;
    println!("RMQTT_READY node {id}");
    MqttServer::new(scx)
        .listener(tcp)
        .listener(ws)
        .build()
        .run()
        .await?;
    Ok(())
}
