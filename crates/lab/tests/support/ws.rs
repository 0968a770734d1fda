//! A raw MQTT client over WebSocket, connecting the way the browser does.

use futures_util::{SinkExt, StreamExt};
use mqttbytes::v4::Packet;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use super::Decoder;

/// A raw MQTT client over WebSocket.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub decoder: Decoder,
}

impl Client {
    /// Opens `url`, asking for the `mqtt` subprotocol as a browser does when `subprotocol` is set.
    pub async fn open(url: &str, subprotocol: bool) -> (Self, Response) {
        Self::try_open(url, subprotocol)
            .await
            .expect("WebSocket handshake")
    }

    /// [`Client::open`] for handshakes that may fail (e.g. a refused path: `Error::Http`).
    pub async fn try_open(url: &str, subprotocol: bool) -> Result<(Self, Response), Error> {
        let mut request = url.into_client_request().expect("valid ws URL");
        if subprotocol {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
        }
        let (ws, response) = connect_async(request).await?;
        let client = Self {
            ws,
            decoder: Decoder::default(),
        };
        Ok((client, response))
    }

    /// Sends one MQTT packet as one binary message.
    pub async fn send(&mut self, packet: Vec<u8>) {
        self.ws
            .send(Message::Binary(packet.into()))
            .await
            .expect("send");
    }

    pub async fn next_packet(&mut self) -> Packet {
        loop {
            if let Some(packet) = self.decoder.next_packet() {
                return packet;
            }
            match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => self.decoder.push(&bytes),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a binary message, got {other:?}"),
            }
        }
    }

    pub async fn connect(&mut self, client_id: &str) {
        self.send(super::connect(client_id, 30)).await;
        super::assert_connack_success(&self.next_packet().await);
    }
}

/// The subprotocol the server selected, if any.
pub fn subprotocol(response: &Response) -> Option<&str> {
    response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|value| value.to_str().ok())
}
