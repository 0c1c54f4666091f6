//! Running the node: the HTTP JSON-RPC server over a [`Chain`], in-process or as a binary.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    thread::JoinHandle,
};

use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use parking_lot::Mutex;

use crate::{
    chain::{BeaconSettings, Chain, ChainConfig, ChainError, StateDump},
    rpc,
};

/// Everything needed to start a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Address to listen on (loopback by default).
    pub host: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Chain settings.
    pub chain: ChainConfig,
    /// State file to start from.
    pub load_state: Option<PathBuf>,
    /// State file to write when the node stops.
    pub dump_state: Option<PathBuf>,
    /// The simulated beacon chain to start with (it can also be turned on later with
    /// `tidepool_beaconConfigure`).
    pub beacon: Option<BeaconSettings>,
    /// Port of the simulated beacon chain's REST API (on `host`); 0 picks a free one, `None`
    /// serves none. It answers 503 until the simulation is on.
    pub beacon_port: Option<u16>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8547,
            chain: ChainConfig::default(),
            load_state: None,
            dump_state: None,
            beacon: None,
            beacon_port: None,
        }
    }
}

impl NodeConfig {
    /// Loopback on a free port: what end-to-end tests want.
    pub fn ephemeral() -> Self {
        Self { port: 0, ..Self::default() }
    }
}

/// Why a node could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Binding or running the server failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    /// The chain could not be built or a state file could not be used.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Registering RPC methods failed (a bug).
    #[error("rpc setup: {0}")]
    Rpc(String),
}

/// A running node. Dropping it stops the server (and writes `dump_state` if configured).
pub struct NodeHandle {
    addr: SocketAddr,
    beacon_addr: Option<SocketAddr>,
    chain: rpc::Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    dump_state: Option<PathBuf>,
}

impl std::fmt::Debug for NodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl NodeHandle {
    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port` of the beacon REST API, when [`NodeConfig::beacon_port`] asked
    /// for one.
    pub fn beacon_url(&self) -> Option<String> {
        self.beacon_addr.map(|addr| format!("http://{addr}"))
    }

    /// The chain, for in-process inspection (lock it briefly: RPC calls wait on it).
    pub fn chain(&self) -> &Arc<Mutex<Chain>> {
        &self.chain
    }

    /// Stops the server and writes the state dump if configured.
    pub fn stop(mut self) -> Result<(), NodeError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), NodeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(path) = self.dump_state.take() {
            write_state(&self.chain.lock().dump(), &path)?;
        }
        Ok(())
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("tidepool-node: {e}");
        }
    }
}

/// Writes a state dump as JSON.
pub fn write_state(dump: &StateDump, path: &std::path::Path) -> Result<(), ChainError> {
    let json = serde_json::to_vec_pretty(dump).map_err(|e| ChainError::StateFile(e.to_string()))?;
    std::fs::write(path, json)
        .map_err(|e| ChainError::StateFile(format!("{}: {e}", path.display())))
}

/// Reads a state dump written by [`write_state`].
pub fn read_state(path: &std::path::Path) -> Result<StateDump, ChainError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ChainError::StateFile(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| ChainError::StateFile(e.to_string()))
}

/// Entry points for starting nodes.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Starts a node on its own thread and runtime, returning once it accepts connections.
    /// Works from synchronous and asynchronous code alike.
    pub fn spawn(config: NodeConfig) -> Result<NodeHandle, NodeError> {
        let mut chain = Chain::new(config.chain.clone())?;
        if let Some(path) = &config.load_state {
            chain.load(read_state(path)?)?;
        }
        if let Some(settings) = &config.beacon {
            chain.beacon_configure(settings.clone())?;
        }
        let chain: rpc::Shared = Arc::new(Mutex::new(chain));
        let module = rpc::module(chain.clone()).map_err(|e| NodeError::Rpc(e.to_string()))?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let bind = SocketAddr::new(config.host, config.port);
        let beacon_bind = config.beacon_port.map(|port| SocketAddr::new(config.host, port));
        let beacon_access = BeaconRest(chain.clone());
        let thread = std::thread::Builder::new().name("tidepool-node".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(8 * 1024 * 1024)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let started = async {
                    let (addr, handle) = serve(bind, module).await?;
                    let beacon = match beacon_bind {
                        Some(bind) => Some(serve_beacon(bind, beacon_access).await?),
                        None => None,
                    };
                    std::io::Result::Ok((addr, handle, beacon))
                };
                match started.await {
                    Ok((addr, handle, beacon)) => {
                        let beacon_addr = beacon.as_ref().map(|(addr, _, _)| *addr);
                        let _ = ready_tx.send(Ok((addr, beacon_addr)));
                        let _ = stop_rx.await;
                        let _ = handle.stop();
                        handle.stopped().await;
                        if let Some((_, stop, task)) = beacon {
                            let _ = stop.send(());
                            let _ = task.await;
                        }
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
        let (addr, beacon_addr) =
            ready_rx.recv().map_err(|e| NodeError::Io(std::io::Error::other(e.to_string())))??;
        Ok(NodeHandle {
            addr,
            beacon_addr,
            chain,
            stop: Some(stop_tx),
            thread: Some(thread),
            dump_state: config.dump_state,
        })
    }
}

async fn serve(
    bind: SocketAddr,
    module: jsonrpsee::RpcModule<()>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder()
        .max_request_body_size(64 * 1024 * 1024)
        .max_response_body_size(256 * 1024 * 1024)
        .max_connections(1024)
        .build();
    let server = Server::builder().set_config(config).build(bind).await?;
    let addr = server.local_addr()?;
    Ok((addr, server.start(module)))
}

/// The beacon REST API's view of the node's chain: the simulation inside it, read under the
/// chain's lock (so a response is one consistent state).
#[derive(Clone)]
struct BeaconRest(rpc::Shared);

impl tidepool_beacon_sim::rest::BeaconAccess for BeaconRest {
    fn read<R>(&self, f: impl FnOnce(Option<&tidepool_beacon_sim::BeaconChain>) -> R) -> R {
        let chain = self.0.lock();
        f(chain.beacon().map(|sim| &sim.chain))
    }
}

/// A running beacon REST server: its address, its stop signal and its task.
type BeaconServer =
    (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>);

async fn serve_beacon(bind: SocketAddr, access: BeaconRest) -> std::io::Result<BeaconServer> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(tidepool_beacon_sim::rest::serve(listener, access, async move {
        let _ = stopped.await;
    }));
    Ok((addr, stop, task))
}
