//! The HTTP client: HTTP/1.1 keep-alive connections to 127.0.0.1 only, at most
//! `connections` requests in flight (a request waits for a free connection, and that wait
//! counts in its latency), every request bounded by a timeout.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

/// What a request came back with.
#[derive(Debug, Clone)]
pub enum Sent {
    Reply(Reply),
    /// No answer: `timeout` or a connection error (the label is the outcome), and when
    /// the request was sent.
    Failed(&'static str, Instant),
}

#[derive(Debug, Clone)]
pub struct Reply {
    /// When the generator began sending it (before waiting for a free connection).
    pub started: Instant,
    pub status: u16,
    pub body: Bytes,
    pub retry_after: Option<u64>,
}

impl Reply {
    /// The problem `code` of an error answer, if it has one.
    pub fn code(&self) -> Option<String> {
        if self.status < 400 {
            return None;
        }
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.get("code")?.as_str().map(str::to_owned)
    }

    pub fn json<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            anyhow::anyhow!(
                "unexpected answer ({}): {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Sent {
    /// `201`, `409 slot_unavailable`, `503 overloaded`, `timeout`, ...
    pub fn outcome(&self) -> String {
        match self {
            Sent::Reply(reply) => match reply.code() {
                Some(code) => format!("{} {code}", reply.status),
                None => reply.status.to_string(),
            },
            Sent::Failed(label, _) => (*label).to_owned(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Sent::Reply(reply) => Some(reply.status),
            Sent::Failed(..) => None,
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Sent::Reply(reply) if reply.is_success())
    }

    /// When the generator began sending the request.
    pub fn started(&self) -> Instant {
        match self {
            Sent::Reply(reply) => reply.started,
            Sent::Failed(_, started) => *started,
        }
    }

    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Sent::Reply(reply) => Some(reply),
            Sent::Failed(..) => None,
        }
    }
}

/// A pool of connections to one local server.
#[derive(Debug, Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl Http {
    /// A client of `http://127.0.0.1:{port}` with at most `connections` requests in flight.
    pub fn new(port: u16, connections: usize, timeout: Duration) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Http {
            client,
            base: format!("http://127.0.0.1:{port}"),
            permits: Arc::new(Semaphore::new(connections.max(1))),
            timeout,
        }
    }

    pub async fn get(&self, path: &str, client: Ipv4Addr) -> Sent {
        self.send(Method::GET, path, client, &[], None).await
    }

    pub async fn post<T: Serialize>(&self, path: &str, client: Ipv4Addr, body: &T) -> Sent {
        self.post_with(path, client, &[], body).await
    }

    /// GET with extra headers (a bearer ticket, say).
    pub async fn get_with(&self, path: &str, client: Ipv4Addr, headers: &[(&str, &str)]) -> Sent {
        self.send(Method::GET, path, client, headers, None).await
    }

    /// POST with extra headers (an admission token, say).
    pub async fn post_with<T: Serialize>(
        &self,
        path: &str,
        client: Ipv4Addr,
        headers: &[(&str, &str)],
        body: &T,
    ) -> Sent {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.send(Method::POST, path, client, headers, Some(bytes))
                    .await
            }
            Err(_) => Sent::Failed("client error: body", Instant::now()),
        }
    }

    /// Sends one request as the simulated client at `client` (`X-Forwarded-For`, read by
    /// a server started with `--trust-proxy`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        client: Ipv4Addr,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Sent {
        let started = Instant::now();
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("x-forwarded-for", client.to_string());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        let Ok(request) = builder.body(Full::new(Bytes::from(body.unwrap_or_default()))) else {
            return Sent::Failed("client error: request", started);
        };
        let exchange = async {
            let Ok(_permit) = self.permits.acquire().await else {
                return Sent::Failed("client error: closed", started);
            };
            let response = match self.client.request(request).await {
                Ok(response) => response,
                Err(_) => return Sent::Failed("connection error", started),
            };
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            match response.into_body().collect().await {
                Ok(body) => Sent::Reply(Reply {
                    started,
                    status,
                    body: body.to_bytes(),
                    retry_after,
                }),
                Err(_) => Sent::Failed("connection error", started),
            }
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Sent::Failed("timeout", started))
    }
}
