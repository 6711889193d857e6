//! The webhook channel: one JSON POST per event to a configured URL (an SMS gateway, an
//! office's own system), signed so the receiver knows it comes from cita and is fresh.
//!
//! Verification, for receivers: the `Cita-Signature` header is `t=<unix seconds>,v1=<hex>`
//! where `<hex>` is HMAC-SHA256, keyed with the shared secret, over `<t>.<body>` (the
//! timestamp, a dot, the raw body bytes). Recompute it, compare in constant time, refuse
//! a `t` more than [`REPLAY_WINDOW_SECONDS`] away from your clock, and remember the
//! `Cita-Message-Id` of what you accepted within that window: a retry of a message you
//! took (its answer was lost) carries the same id and must be ignored.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use super::mail::SendError;

/// The freshness a receiver should demand of a signature's timestamp.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;
/// How long one POST may take at most; never more than half a worker's lease.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// Where events go and the secret they are signed with.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `https://…` (or `http://` on a private network).
    pub url: String,
    /// Shared with the receiver; never logged.
    pub secret: String,
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length: this never fails.
    let hex: String = match hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
        Err(_) => String::new(),
    };
    format!("t={timestamp},v1={hex}")
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP(S) client shared by a worker's posts.
#[derive(Clone)]
pub struct Webhook {
    client: HttpsClient,
    settings: WebhookSettings,
    timeout: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").finish_non_exhaustive()
    }
}

impl Webhook {
    pub fn new(settings: &WebhookSettings, timeout: Duration) -> Result<Webhook, String> {
        let uri: hyper::Uri = settings
            .url
            .parse()
            .map_err(|_| "--webhook-url is not a URL".to_owned())?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err("--webhook-url must be an http:// or https:// URL".into());
        }
        if settings.secret.len() < 16 {
            return Err("--webhook-secret must be at least 16 characters".into());
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Webhook {
            client: Client::builder(TokioExecutor::new()).build(connector),
            settings: settings.clone(),
            timeout: timeout.min(WEBHOOK_TIMEOUT),
        })
    }

    /// Posts `body` signed at `timestamp`; any 2xx answer is a delivery.
    pub async fn post(
        &self,
        message_id: &str,
        body: Vec<u8>,
        timestamp: i64,
    ) -> Result<(), SendError> {
        let transient = |summary: String| SendError {
            permanent: false,
            summary,
        };
        let request = hyper::Request::post(&self.settings.url)
            .header("content-type", "application/json")
            .header("cita-message-id", message_id)
            .header(
                "cita-signature",
                signature(&self.settings.secret, timestamp, &body),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| transient("the request could not be built".into()))?;
        let sent = tokio::time::timeout(self.timeout, async {
            let response = self.client.request(request).await?;
            let status = response.status();
            // Read the answer to its end so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok::<_, hyper_util::client::legacy::Error>(status)
        })
        .await;
        match sent {
            Ok(Ok(status)) if status.is_success() => Ok(()),
            Ok(Ok(status)) => Err(transient(format!(
                "the receiver answered {}",
                status.as_u16()
            ))),
            Ok(Err(_)) => Err(transient("the receiver could not be reached".into())),
            Err(_) => Err(transient("the receiver did not answer in time".into())),
        }
    }
}
