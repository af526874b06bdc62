//! Bounded work per request: bodies that stop arriving, websockets that
//! never authenticate, a bound on open connections.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app_configured;

fn addr_of(base: &str) -> String {
    base.trim_start_matches("http://").trim_end_matches("/api").to_string()
}

/// Reads until the peer closes (or the deadline passes: a failure).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was not closed: {}", String::from_utf8_lossy(&buf));
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_a_408_and_the_connection_closes() {
    let app = spawn_app_configured(|s| s.body_timeout = Duration::from_millis(300)).await;
    let mut slow = tokio::net::TcpStream::connect(addr_of(&app.base)).await.unwrap();
    slow.write_all(b"POST /api/artifacts/ HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{").await.unwrap();
    // Others are served meanwhile.
    assert_eq!(app.get("/health").await.status, 200);
    let text = read_until_closed(&mut slow).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#"{"detail":"The request body did not arrive within 0.3 s."}"#), "{text}");
    assert_eq!(app.post("/artifacts/count", serde_json::json!({})).await.text, "0");
}

#[tokio::test]
async fn a_stalled_body_on_a_route_that_ignores_bodies_does_not_hold_the_connection() {
    let app = spawn_app_configured(|s| s.body_timeout = Duration::from_millis(300)).await;
    let mut slow = tokio::net::TcpStream::connect(addr_of(&app.base)).await.unwrap();
    slow.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\nx").await.unwrap();
    let text = read_until_closed(&mut slow).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// A websocket upgrade over a raw socket; returns the socket after the 101.
async fn open_events_socket(addr: &str) -> tokio::net::TcpStream {
    let mut ws = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /api/events/in HTTP/1.1\r\nhost: {addr}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-protocol: prefect\r\n\r\n"
    );
    ws.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(ws.read(&mut byte).await.unwrap(), 1, "closed during the handshake");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    ws
}

#[tokio::test]
async fn a_websocket_that_never_authenticates_is_closed_after_the_grace_time() {
    let app = spawn_app_configured(|s| s.ws_auth_grace = Duration::from_millis(300)).await;
    let mut ws = open_events_socket(&addr_of(&app.base)).await;
    let mut frame = [0u8; 4];
    let read = tokio::time::timeout(Duration::from_secs(10), ws.read_exact(&mut frame)).await;
    assert!(read.is_ok(), "no close frame");
    // A close frame (0x88) with code 1008, policy violation.
    assert_eq!(frame[0], 0x88);
    assert_eq!(u16::from_be_bytes([frame[2], frame[3]]), 1008);
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_and_are_served_when_one_closes() {
    let app = spawn_app_configured(|s| {
        s.max_connections = 2;
        s.workers = Some(1);
    })
    .await;
    let addr = addr_of(&app.base);
    let idle1 = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let idle2 = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third connection is accepted by the kernel but not served yet.
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    third.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 12];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read_exact(&mut buf)).await;
    assert!(early.is_err(), "served beyond the limit");
    drop(idle1);
    let text = read_until_closed(&mut third).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    drop(idle2);
}
