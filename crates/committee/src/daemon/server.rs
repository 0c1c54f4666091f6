//! The daemon's HTTP side: `GET /v1/frames/{refSlot}` (the signed reports it holds),
//! `POST /v1/signatures` (a peer's signed report, counted only if valid), `GET /metrics`,
//! `GET /health`.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use tokio::sync::watch;

use super::{exchange::SignedReport, Log, Shared};

/// A signed report is a few hundred bytes (an exit report at its bound a few kilobytes).
const MAX_BODY: usize = 64 * 1024;

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

async fn frame(State(shared): State<Arc<Shared>>, Path(ref_slot): Path<u64>) -> Response {
    let held = shared.frame(ref_slot);
    match serde_json::to_value(held) {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => {
            json(StatusCode::INTERNAL_SERVER_ERROR, &serde_json::json!({ "error": e.to_string() }))
        }
    }
}

async fn signature(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let signed: SignedReport = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return json(StatusCode::BAD_REQUEST, &serde_json::json!({ "error": e.to_string() }))
        }
    };
    match shared.accept(signed) {
        Ok(new) => json(StatusCode::ACCEPTED, &serde_json::json!({ "new": new })),
        Err(refusal) => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({ "error": refusal.to_string() }),
        ),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let content = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    (StatusCode::OK, [(header::CONTENT_TYPE, content)], shared.metrics().encode()).into_response()
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let (ok, body) = shared.health();
    json(if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, &body)
}

/// Serves until `stopped` turns true.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    log: Log,
) {
    let app = Router::new()
        .route("/v1/frames/{ref_slot}", get(frame))
        .route("/v1/signatures", post(signature))
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared);
    let shutdown = async move {
        while !*stopped.borrow() {
            if stopped.changed().await.is_err() {
                return;
            }
        }
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        log(&format!("the HTTP server stopped: {e}"));
    }
}
