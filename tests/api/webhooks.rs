//! The webhook channel against a loopback receiver that checks what the README tells
//! receivers to check: the HMAC-SHA256 signature over `<t>.<body>`, a timestamp within
//! the replay window, and each `Cita-Message-Id` taken once. It fails the first two
//! deliveries with 500 (the worker retries) and refuses a replayed request.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Duration;
use cita::clock::{Clock, ManualClock};
use cita::notify::NotifySettings;
use cita::notify::webhook::{REPLAY_WINDOW_SECONDS, WebhookSettings};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::both_backends;
use crate::common::*;
use crate::notifications::deliver;

both_backends!(events_reach_the_receiver_signed_and_once_through_its_failures);

const SECRET: &str = "a-shared-secret-of-some-length";

#[derive(Default)]
struct Received {
    /// Every request: (status answered, message id, body).
    requests: Vec<(u16, String, Value)>,
    /// Message ids accepted (inside the replay window).
    accepted: Vec<String>,
    failures_left: usize,
}

#[derive(Clone)]
struct Receiver {
    clock: Arc<ManualClock>,
    received: Arc<Mutex<Received>>,
}

/// The receiver's side, as the README describes it.
fn verify(headers: &HeaderMap, body: &[u8], now: i64) -> Result<String, StatusCode> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(StatusCode::BAD_REQUEST)
    };
    let id = header("cita-message-id")?;
    let signature = header("cita-signature")?;
    let mut t = None;
    let mut v1 = None;
    for part in signature.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(StatusCode::BAD_REQUEST);
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: Vec<u8> = (0..v1.len() / 2)
        .filter_map(|i| u8::from_str_radix(v1.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    mac.verify_slice(&expected)
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    if (now - t).abs() > REPLAY_WINDOW_SECONDS {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(id)
}

async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = receiver.clock.now().timestamp();
    let verdict = verify(&headers, &body, now);
    let mut received = receiver.received.lock().unwrap();
    let status = match &verdict {
        Err(status) => *status,
        Ok(_) if received.failures_left > 0 => {
            received.failures_left -= 1;
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Ok(id) if received.accepted.contains(id) => StatusCode::CONFLICT,
        Ok(id) => {
            received.accepted.push(id.clone());
            StatusCode::OK
        }
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    received
        .requests
        .push((status.as_u16(), verdict.unwrap_or_default(), body));
    status
}

async fn events_reach_the_receiver_signed_and_once_through_its_failures(db: Db) {
    let received = Arc::new(Mutex::new(Received {
        failures_left: 2,
        ..Received::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = NotifySettings {
        webhook: Some(WebhookSettings {
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: SECRET.to_owned(),
        }),
        retry_base: Duration::seconds(1),
        ..NotifySettings::new(PUBLIC_URL)
    };
    let Some(app) = spawn_notifying(db, settings).await else {
        return;
    };
    let receiver = Receiver {
        clock: app.clock.clone(),
        received: received.clone(),
    };
    let router = Router::new()
        .route("/hook", post(hook))
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let booked = app
        .post_json(
            "/api/v1/appointments",
            &json!({"office_id": MADRID, "service_id": HUELLAS, "start": "2027-03-02T09:00:00+01:00",
                    "citizen": {"name": "Ana García López", "document": dni(40), "phone": "+34 600 111 222"}}),
        )
        .await
        .ok(201);
    let locator = booked["locator"].as_str().unwrap();
    // Two 500s: the booking's event is retried, then taken.
    assert_eq!(deliver(&app).await.retried, 1);
    app.clock.advance(Duration::seconds(2));
    assert_eq!(deliver(&app).await.retried, 1);
    app.clock.advance(Duration::seconds(4));
    assert_eq!(deliver(&app).await.sent, 1);
    app.post_with_token(
        &format!("/api/v1/appointments/{locator}/cancel"),
        booked["token"].as_str().unwrap(),
        &json!({}),
    )
    .await
    .ok(200);
    assert_eq!(deliver(&app).await.sent, 1);

    let (requests, accepted) = {
        let r = received.lock().unwrap();
        (r.requests.clone(), r.accepted.clone())
    };
    let statuses: Vec<u16> = requests.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
    assert_eq!(accepted.len(), 2, "each event taken once");
    // The retries carried the same message id.
    assert_eq!(requests[0].1, requests[2].1);
    let booked_event = &requests[2].2;
    assert_eq!(booked_event["event"], "booked");
    assert_eq!(booked_event["appointment"]["locator"], locator);
    assert_eq!(
        booked_event["appointment"]["start"],
        "2027-03-02T08:00:00+00:00"
    );
    assert_eq!(booked_event["appointment"]["timezone"], "Europe/Madrid");
    assert_eq!(booked_event["phone"], "+34 600 111 222");
    assert_eq!(booked_event["language"], "es");
    let text = booked_event.to_string();
    assert!(!text.contains(&dni(40)) && !text.contains("Ana"), "{text}");
    assert_eq!(requests[3].2["event"], "cancelled");
    assert_eq!(requests[3].2["appointment"]["sequence"], 1);
    // With a phone, the booking also scheduled its reminders for the SMS gateway.
    assert_eq!(app.state.booking.outbox_counts().await.unwrap().dropped, 2);

    // A captured request sent again is refused: once as a duplicate, and once its
    // timestamp is older than the window.
    let client = reqwest_like(port);
    let body = serde_json::to_vec(&requests[2].2).unwrap();
    let now = app.clock.now().timestamp();
    let signature = cita::notify::webhook::signature(SECRET, now, &body);
    assert_eq!(client(&requests[2].1, &signature, body.clone()).await, 409);
    app.clock
        .advance(Duration::seconds(REPLAY_WINDOW_SECONDS + 1));
    assert_eq!(client("another-id", &signature, body.clone()).await, 400);
    let forged = cita::notify::webhook::signature("not-the-secret-at-all", now, &body);
    assert_eq!(client("another-id", &forged, body).await, 401);
}

/// A raw signed POST to the receiver: its status.
fn reqwest_like(
    port: u16,
) -> impl Fn(&str, &str, Vec<u8>) -> std::pin::Pin<Box<dyn Future<Output = u16> + Send>> {
    move |id: &str, signature: &str, body: Vec<u8>| {
        let id = id.to_owned();
        let signature = signature.to_owned();
        Box::pin(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let head = format!(
                "POST /hook HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nCita-Message-Id: {id}\r\n\
                 Cita-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(&body).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer.split(' ').nth(1).unwrap().parse().unwrap()
        })
    }
}
