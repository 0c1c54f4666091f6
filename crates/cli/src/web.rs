//! The staking web app (`web/`), served by `tidepool up` beside the chain, on one origin:
//! - the built page (`web/dist`, from `npm run build`);
//! - `/tidepool.json`: the chain and deployment the page works against, and on the local
//!   chain the dev keys its "dev account" mode signs with (the app's contract with its
//!   server, `web/README.md`);
//! - `/rpc`: the node's JSON-RPC, forwarded. The node sends no CORS headers and the page makes
//!   no request beyond its own origin, so its reads and its dev-account transactions go
//!   through here; a wallet gets the node's own URL (`rpcUrl`) when it adds the chain.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, Result};
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use tower_http::services::ServeDir;

/// A JSON-RPC batch from the page is a few kilobytes; `eth_sendRawTransaction` with the
/// largest calldata the app sends well under this.
const MAX_RPC_BODY: usize = 1024 * 1024;

/// What the page is served with.
pub struct WebApp {
    /// The built page: `web/dist`.
    pub dist: PathBuf,
    /// The document served as `/tidepool.json`.
    pub config: serde_json::Value,
    /// The node's JSON-RPC URL, which `/rpc` forwards to.
    pub rpc: String,
}

impl WebApp {
    /// The page as `npm run build` leaves it under the workspace root, or why it cannot be
    /// served: `Err` names the missing build and how to make it.
    pub fn dist(root: &Path) -> Result<PathBuf, String> {
        let dist = root.join("web/dist");
        if dist.join("index.html").is_file() {
            Ok(dist)
        } else {
            Err(format!(
                "the web app is not built ({} has no index.html): scripts/build.sh builds it \
                 when Node.js and npm are installed, or by hand: npm --prefix web ci && npm \
                 --prefix web run build",
                dist.display()
            ))
        }
    }

    /// `/tidepool.json` for a chain: its id, the node's URL for wallets, the deployment
    /// record, and the dev keys when there are any (a local chain only: they sign in the
    /// page).
    pub fn config(
        chain_id: u64,
        rpc_url: &str,
        deployment: serde_json::Value,
        dev_keys: &[String],
    ) -> serde_json::Value {
        let mut config = serde_json::json!({
            "chainId": chain_id,
            "rpcPath": "/rpc",
            "rpcUrl": rpc_url,
            "chainName": "Tidepool local",
            "deployment": deployment,
        });
        if !dev_keys.is_empty() {
            config["devKeys"] = serde_json::json!(dev_keys);
        }
        config
    }
}

struct Shared {
    /// `/tidepool.json`, serialised once (a clone is a reference count).
    config: Bytes,
    rpc: String,
    client: reqwest::Client,
}

async fn config(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")],
        shared.config.clone(),
    )
        .into_response()
}

/// Forwards one JSON-RPC request (or batch) to the node and its answer back unchanged.
async fn rpc(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let sent = shared
        .client
        .post(&shared.rpc)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) => {
            return (StatusCode::BAD_GATEWAY, format!("the node did not answer: {e}"))
                .into_response()
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match answer.bytes().await {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            (StatusCode::BAD_GATEWAY, format!("the node's answer broke off: {e}")).into_response()
        }
    }
}

/// Serves `app` on `host:port` (0 picks a free port) until the runtime stops; returns the
/// address it listens on.
///
/// # Errors
/// If the port cannot be bound or `app.config` does not serialise.
pub async fn serve(host: IpAddr, port: u16, app: WebApp) -> Result<SocketAddr> {
    let shared = Arc::new(Shared {
        config: serde_json::to_vec(&app.config).context("serialising tidepool.json")?.into(),
        rpc: app.rpc,
        client: reqwest::Client::new(),
    });
    let router = Router::new()
        .route("/tidepool.json", get(config))
        .route("/rpc", post(rpc).layer(DefaultBodyLimit::max(MAX_RPC_BODY)))
        .fallback_service(ServeDir::new(&app.dist))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("binding the web app to {host}:{port}"))?;
    let addr = listener.local_addr().context("reading the web app's address")?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("web app: serving stopped: {e}");
        }
    });
    Ok(addr)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn config_carries_dev_keys_only_when_there_are_some() {
        let deployment = serde_json::json!({ "chainId": 412346, "contracts": {} });
        let local =
            WebApp::config(412346, "http://127.0.0.1:8547", deployment.clone(), &["0x01".into()]);
        assert_eq!(local["rpcPath"], "/rpc");
        assert_eq!(local["rpcUrl"], "http://127.0.0.1:8547");
        assert_eq!(local["deployment"], deployment);
        assert_eq!(local["devKeys"][0], "0x01");
        let elsewhere = WebApp::config(1, "https://rpc.example", deployment, &[]);
        assert!(elsewhere.get("devKeys").is_none());
    }

    #[test]
    fn an_unbuilt_page_is_named_with_how_to_build_it() {
        let root = std::env::temp_dir().join(format!("tidepool-web-{}", std::process::id()));
        let err = WebApp::dist(&root).unwrap_err();
        assert!(err.contains("npm --prefix web run build"), "{err}");
        std::fs::create_dir_all(root.join("web/dist")).unwrap();
        std::fs::write(root.join("web/dist/index.html"), "<!doctype html>").unwrap();
        assert_eq!(WebApp::dist(&root).unwrap(), root.join("web/dist"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn serves_the_page_its_config_and_forwards_rpc() {
        // A stand-in node answering every POST with a fixed JSON-RPC result.
        let node = Router::new().route(
            "/",
            post(|body: Bytes| async move {
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                serde_json::json!({ "jsonrpc": "2.0", "id": request["id"], "result": "0x64f2ba" })
                    .to_string()
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let node_url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, node).await });

        let dist = std::env::temp_dir().join(format!("tidepool-web-dist-{}", std::process::id()));
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html><title>Tidepool</title>").unwrap();
        let config = WebApp::config(412346, &node_url, serde_json::json!({}), &[]);
        let app = WebApp { dist: dist.clone(), config, rpc: node_url };
        let addr = serve("127.0.0.1".parse().unwrap(), 0, app).await.unwrap();
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();

        let page = client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("<title>Tidepool</title>"));
        let config: serde_json::Value =
            client.get(format!("{base}/tidepool.json")).send().await.unwrap().json().await.unwrap();
        assert_eq!(config["chainId"], 412346);
        let answer: serde_json::Value = client
            .post(format!("{base}/rpc"))
            .body(r#"{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":[]}"#)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["id"], 7);
        assert_eq!(answer["result"], "0x64f2ba");
        let missing = client.get(format!("{base}/nothing.js")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        std::fs::remove_dir_all(&dist).unwrap();
    }
}
