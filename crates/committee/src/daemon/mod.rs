//! `tidepool oracle run`: a committee member's daemon. Each frame, once the reference slot is
//! finalized, it builds the accounting report (and the exit report, when there are exits to
//! ask or exited validators to record) from its own beacon node(s) and RPC endpoint(s), signs
//! each once, exchanges signatures with the other members' daemons over HTTP
//! ([`exchange`]), and, once a quorum of matching signatures is held, submits if it is this
//! member's turn ([`submitter_position`]): one member per frame first, the next ones after
//! timed fallbacks, so in the normal case one transaction lands per report; every daemon stops
//! once the report is on chain.
//!
//! Safety: what a member signs is recorded on disk before anyone sees it ([`store`]), so it
//! never signs two digests for one frame, even across restarts; a signature from a peer
//! counts only once it recovers to a current member over the digest of its own data; a
//! member whose digest differs is reported with the fields that differ; nothing is sent
//! unless `submit` is on (dry run otherwise). A relay (no member key) gathers and submits.
//!
//! Missed frames need no catching up: the oracle takes only the running frame's report, which
//! covers all the time since the last applied one, so a daemon started (or restarted) in any
//! frame reports that frame.

pub mod exchange;
pub mod metrics;
pub mod preflight;
mod server;
pub mod store;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use tidepool_deploy::{
    exit_report::submit_exit_report, report as reports, Client, Deployment, PrivateKeySigner,
};
use tidepool_interfaces::IOracle;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    beacon::BeaconSource,
    exits,
    report::{self, Bunker, CommitteeError},
};
use exchange::{FrameReport, Kind, Peer, Refusal, SignedReport};
use metrics::Metrics;
use store::{SignedFrames, StoreError};

/// At most this many digests per signer and frame are held (an honest member signs one; the
/// bound keeps a misbehaving one from filling memory).
const MAX_DIGESTS_PER_SIGNER: usize = 2;

/// How a daemon runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// JSON-RPC endpoints of the chain, in order of preference (the next is used when one
    /// fails; each must report the deployment's chain id).
    pub rpc: Vec<String>,
    /// Beacon nodes' REST APIs (or saved-response directories), in order of preference; each
    /// must have the oracle's genesis.
    pub beacon: Vec<String>,
    /// The deployment.
    pub deployment: Deployment,
    /// The member's key (signs reports and pays for submissions), or a relay's (pays only).
    pub key: PrivateKeySigner,
    /// Relay mode: gather and submit, never sign.
    pub relay: bool,
    /// Where to serve signatures, metrics and health (port 0 picks one).
    pub listen: SocketAddr,
    /// Other daemons' base URLs (`http://host:port`).
    pub peers: Vec<String>,
    /// Where signed frames are recorded.
    pub data_dir: PathBuf,
    /// Send transactions; without it the daemon says what it would send (dry run).
    pub submit: bool,
    /// Time between cycles.
    pub poll: Duration,
    /// How long each member waits after the one before it in the frame's rotation.
    pub fallback: Duration,
    /// Bunker mode.
    pub bunker: Bunker,
}

/// What a report kind waits for (the `tidepool_oracle_waiting` metric's `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The chain could not be read.
    Chain,
    /// The reference slot is not finalized on the beacon chain yet.
    Finalization,
    /// Building the report failed (see the logs and endpoint errors).
    Building,
    /// Nothing to report this frame (an exit report with no exits to ask or record).
    Nothing,
    /// Fewer matching member signatures than the quorum.
    Quorum,
    /// A quorum is held; an earlier member in the rotation submits first.
    Turn,
    /// Dry run: a quorum is held and this daemon would submit now.
    DryRun,
    /// The submission failed; it is tried again after the fallback.
    Retry,
    /// The frame's report is on chain.
    Landed,
}

impl Wait {
    /// Every reason.
    pub const ALL: [Wait; 9] = [
        Wait::Chain,
        Wait::Finalization,
        Wait::Building,
        Wait::Nothing,
        Wait::Quorum,
        Wait::Turn,
        Wait::DryRun,
        Wait::Retry,
        Wait::Landed,
    ];

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Wait::Chain => "chain",
            Wait::Finalization => "finalization",
            Wait::Building => "building",
            Wait::Nothing => "nothing_to_report",
            Wait::Quorum => "quorum",
            Wait::Turn => "turn",
            Wait::DryRun => "dry_run",
            Wait::Retry => "retry",
            Wait::Landed => "landed",
        }
    }
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The signed-frames store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listening address.
    #[error("listening on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why not.
        message: String,
    },
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
}

/// The submitting order of `members` for a frame: a position per member, starting at a
/// member chosen by the hash of the reference slot and kind (so the first submitter changes
/// every frame and both reports of a frame need not fall to the same member), then ascending
/// addresses. `None` for a non-member.
pub fn submitter_position(
    members: &[Address],
    me: Address,
    ref_slot: u64,
    kind: Kind,
) -> Option<usize> {
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let n = sorted.len();
    let index = sorted.iter().position(|m| *m == me)?;
    let mut seed = [0u8; 9];
    seed[..8].copy_from_slice(&ref_slot.to_be_bytes());
    seed[8] = kind as u8;
    let start = U256::from_be_bytes(keccak256(seed).0) % U256::from(n);
    let start: usize = start.saturating_to();
    Some((index + n - start) % n)
}

/// What the HTTP side shares with the cycle.
pub(crate) struct Shared {
    chain_id: u64,
    oracle: Address,
    metrics: Metrics,
    state: Mutex<State>,
    poll: Duration,
}

#[derive(Default)]
struct State {
    /// The running frame's reference slot (0 until the first cycle reads it).
    running: u64,
    /// Current committee members.
    members: Vec<Address>,
    /// Verified signed reports of the running frame.
    held: BTreeMap<Kind, Vec<SignedReport>>,
    /// What each kind waits for, with its detail, for the health endpoint and the logs.
    waiting: BTreeMap<Kind, (Wait, String)>,
    /// When the last cycle completed.
    last_ok: Option<Instant>,
    /// The last cycle's error, if it failed.
    last_error: Option<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `signed` if it is valid, for the running frame and by a current member; returns
    /// whether it was new.
    pub(crate) fn accept(&self, signed: SignedReport) -> Result<bool, Refusal> {
        signed.verify(self.chain_id, self.oracle)?;
        let mut state = self.lock();
        let got = signed.report.ref_slot();
        if got != state.running {
            return Err(Refusal::OtherFrame { got, running: state.running });
        }
        if !state.members.contains(&signed.signer) {
            return Err(Refusal::NotMember(signed.signer));
        }
        let held = state.held.entry(signed.report.kind()).or_default();
        if held.iter().any(|h| h.signer == signed.signer && h.digest == signed.digest) {
            return Ok(false);
        }
        if held.iter().filter(|h| h.signer == signed.signer).count() >= MAX_DIGESTS_PER_SIGNER {
            return Ok(false);
        }
        held.push(signed);
        Ok(true)
    }

    /// The signed reports held for `ref_slot` (none for another frame).
    pub(crate) fn frame(&self, ref_slot: u64) -> Vec<SignedReport> {
        let state = self.lock();
        if ref_slot != state.running {
            return Vec::new();
        }
        state.held.values().flatten().cloned().collect()
    }

    /// `(healthy, body)` for `GET /health`.
    pub(crate) fn health(&self) -> (bool, serde_json::Value) {
        let state = self.lock();
        let stale = (self.poll * 5).max(Duration::from_secs(60));
        let fresh = state.last_ok.is_some_and(|t| t.elapsed() <= stale);
        let waiting: serde_json::Map<String, serde_json::Value> = state
            .waiting
            .iter()
            .map(|(k, (w, detail))| {
                (k.label().into(), serde_json::json!({ "waiting": w.label(), "detail": detail }))
            })
            .collect();
        let body = serde_json::json!({
            "status": if fresh { "ok" } else { "failing" },
            "refSlot": state.running,
            "reports": waiting,
            "lastError": state.last_error,
            "secondsSinceLastCycle": state.last_ok.map(|t| t.elapsed().as_secs()),
        });
        (fresh, body)
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// A running daemon.
pub struct DaemonHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DaemonHandle {
    /// Where it serves.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, for peers.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its metrics, as `/metrics` serves them.
    pub fn metrics_text(&self) -> String {
        self.shared.metrics.encode()
    }

    /// What `kind` waits for now, with the detail the logs give.
    pub fn waiting(&self, kind: Kind) -> Option<(Wait, String)> {
        self.shared.lock().waiting.get(&kind).cloned()
    }

    /// Stops it (the cycle and the server) and waits until both have ended.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }

    /// Waits until it stops by itself (it does not, unless its server fails) or `stop` is
    /// called from elsewhere.
    pub async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Where a log line goes: the CLI prints it, tests collect it.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Starts a daemon: binds `config.listen`, opens the store, and runs its cycle every
/// `config.poll` until stopped.
///
/// # Errors
/// [`DaemonError::Store`] when the signed-frames store cannot be read (a member that cannot
/// remember what it signed must not sign); [`DaemonError::Listen`]; [`DaemonError::Config`]
/// without an RPC or beacon endpoint.
pub async fn spawn(config: Config, log: Log) -> Result<DaemonHandle, DaemonError> {
    if config.rpc.is_empty() || config.beacon.is_empty() {
        return Err(DaemonError::Config("give at least one RPC and one beacon endpoint".into()));
    }
    let store = SignedFrames::open(&config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| DaemonError::Listen { addr: config.listen, message: e.to_string() })?;
    let addr = listener
        .local_addr()
        .map_err(|e| DaemonError::Listen { addr: config.listen, message: e.to_string() })?;
    let shared = Arc::new(Shared {
        chain_id: config.deployment.chain_id,
        oracle: config.deployment.contracts.oracle.address,
        metrics: Metrics::new(),
        state: Mutex::new(State::default()),
        poll: config.poll,
    });
    let (stop, stopped) = watch::channel(false);
    let server =
        tokio::spawn(server::serve(listener, shared.clone(), stopped.clone(), log.clone()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| DaemonError::Config(format!("HTTP client: {e}")))?;
    let peers = config.peers.iter().map(|p| Peer::new(p, http.clone())).collect();
    let beacons = config.beacon.iter().map(|b| BeaconSource::parse(b)).collect();
    let role =
        if config.relay { "relay".to_string() } else { format!("member {}", config.key.address()) };
    log(&format!(
        "oracle daemon ({role}) serving on http://{addr}; {} peer(s); {}",
        config.peers.len(),
        if config.submit { "submitting" } else { "dry run: nothing is sent without --submit" }
    ));
    let daemon = Daemon {
        config,
        log,
        shared: shared.clone(),
        store,
        peers,
        beacons,
        active_beacon: 0,
        client: None,
        active_rpc: 0,
        frame: FrameState::default(),
    };
    let cycle = tokio::spawn(daemon.run(stopped));
    Ok(DaemonHandle { addr, shared, stop, tasks: vec![cycle, server] })
}

/// The running frame's progress, per kind; started afresh each frame.
#[derive(Default)]
struct FrameState {
    ref_slot: u64,
    /// This daemon's own report with its digest (`None`: nothing to report).
    built: HashMap<Kind, Option<(FrameReport, B256)>>,
    /// Own signature published.
    signed: BTreeSet<Kind>,
    /// Signers already reported as disagreeing.
    reported_mismatch: BTreeSet<(Kind, Address, B256)>,
    /// When a quorum was first held.
    quorum_since: HashMap<Kind, Instant>,
    /// When this daemon last tried to submit.
    tried: HashMap<Kind, Instant>,
    /// Dry runs counted once per frame.
    dry_run: BTreeSet<Kind>,
}

struct Daemon {
    config: Config,
    log: Log,
    shared: Arc<Shared>,
    store: SignedFrames,
    peers: Vec<Peer>,
    beacons: Vec<BeaconSource>,
    active_beacon: usize,
    client: Option<Client>,
    active_rpc: usize,
    frame: FrameState,
}

/// A count or slot as a gauge's value (saturating: no slot or balance comes near 2^63).
fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A cycle's failure to read the chain.
struct ChainDown(String);

impl Daemon {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        loop {
            match self.cycle().await {
                Ok(()) => {
                    let mut state = self.shared.lock();
                    state.last_ok = Some(Instant::now());
                    state.last_error = None;
                    drop(state);
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    self.shared.metrics.last_cycle.set(gauge(now));
                }
                Err(ChainDown(message)) => {
                    for kind in Kind::ALL {
                        self.wait(kind, Wait::Chain, message.clone());
                    }
                    self.shared.lock().last_error = Some(message);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = stopped.changed() => {}
            }
            if *stopped.borrow() {
                (self.log)("oracle daemon stopped");
                return;
            }
        }
    }

    fn say(&self, line: &str) {
        (self.log)(line);
    }

    /// Records what `kind` waits for; logs it when it changes.
    fn wait(&self, kind: Kind, wait: Wait, detail: String) {
        self.shared.metrics.wait(kind, wait);
        if matches!(wait, Wait::Landed | Wait::Nothing) {
            // Nothing is missing once the report is on chain or there is none to make.
            self.shared.metrics.missing.get_or_create(&Metrics::kind(kind)).set(0);
        }
        let mut state = self.shared.lock();
        let changed = state.waiting.get(&kind) != Some(&(wait, detail.clone()));
        if changed {
            state.waiting.insert(kind, (wait, detail.clone()));
            drop(state);
            self.say(&format!("{kind} report: {detail}"));
        }
    }

    /// The current RPC client, connecting (with fallback) when there is none.
    async fn client(&mut self) -> Result<Client, ChainDown> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let n = self.config.rpc.len();
        let mut errors = Vec::new();
        for step in 0..n {
            let i = (self.active_rpc + step) % n;
            let url = &self.config.rpc[i];
            match Client::connect(url, vec![self.config.key.clone()]).await {
                Ok(c) if c.chain_id() == self.config.deployment.chain_id => {
                    if step > 0 {
                        self.say(&format!("using RPC endpoint {url}"));
                    }
                    self.active_rpc = i;
                    self.client = Some(c.clone());
                    return Ok(c);
                }
                Ok(c) => {
                    self.shared.metrics.endpoint_error("rpc");
                    errors.push(format!(
                        "{url} is chain {}, the deployment chain {}",
                        c.chain_id(),
                        self.config.deployment.chain_id
                    ));
                }
                Err(e) => {
                    self.shared.metrics.endpoint_error("rpc");
                    errors.push(e.to_string());
                }
            }
        }
        Err(ChainDown(format!("waiting for an RPC endpoint: {}", errors.join("; "))))
    }

    /// Drops the client after a failure so the next cycle tries the next endpoint.
    fn rpc_failed(&mut self, e: &tidepool_deploy::Error) -> ChainDown {
        self.shared.metrics.endpoint_error("rpc");
        if matches!(e, tidepool_deploy::Error::Rpc(_)) {
            self.client = None;
            self.active_rpc = (self.active_rpc + 1) % self.config.rpc.len();
        }
        ChainDown(format!("waiting for the chain: {e}"))
    }

    async fn cycle(&mut self) -> Result<(), ChainDown> {
        let client = self.client().await?;
        let d = self.config.deployment.clone();
        let oracle = d.contracts.oracle.address;
        let read = async {
            let (ref_slot, _) = report::current_frame(&client, &d).await.map_err(|e| match e {
                CommitteeError::Chain(e) => e,
                other => tidepool_deploy::Error::Rpc(other.to_string()),
            })?;
            let members = client.view(oracle, IOracle::getMembersCall {}).await?;
            let quorum = client.view(oracle, IOracle::getQuorumCall {}).await?;
            let last = client.view(oracle, IOracle::getLastProcessingRefSlotCall {}).await?;
            let last_exit = client.view(oracle, IOracle::getLastExitRefSlotCall {}).await?;
            let balance = client.balance(self.config.key.address()).await?;
            Ok::<_, tidepool_deploy::Error>((ref_slot, members, quorum, last, last_exit, balance))
        };
        let (ref_slot, members, quorum, last, last_exit, balance) = match read.await {
            Ok(r) => r,
            Err(e) => return Err(self.rpc_failed(&e)),
        };
        let m = &self.shared.metrics;
        m.frame.set(gauge(ref_slot));
        m.last_reported.get_or_create(&Metrics::kind(Kind::Accounting)).set(gauge(last));
        m.last_reported.get_or_create(&Metrics::kind(Kind::Exits)).set(gauge(last_exit));
        let gwei = balance / U256::from(1_000_000_000u64);
        m.balance_gwei.set(gauge(gwei.saturating_to()));
        if self.frame.ref_slot != ref_slot {
            self.frame = FrameState { ref_slot, ..FrameState::default() };
            let mut state = self.shared.lock();
            state.running = ref_slot;
            state.held.clear();
        }
        self.shared.lock().members.clone_from(&members);
        let kinds: &[Kind] = if d.module.is_some() { &Kind::ALL } else { &[Kind::Accounting] };
        for &kind in kinds {
            let done = match kind {
                Kind::Accounting => last,
                Kind::Exits => last_exit,
            };
            if done >= ref_slot {
                self.wait(kind, Wait::Landed, format!("reference slot {ref_slot} is on chain"));
                continue;
            }
            if let Err(e) = self.report(&client, kind, ref_slot, &members, quorum).await {
                return Err(self.rpc_failed(&e));
            }
        }
        Ok(())
    }

    /// Builds this daemon's report of `kind`, trying each beacon source in turn.
    async fn build(
        &mut self,
        client: &Client,
        kind: Kind,
    ) -> Result<Option<FrameReport>, (Wait, String)> {
        let d = &self.config.deployment;
        let n = self.beacons.len();
        let mut last = String::new();
        for step in 0..n {
            let i = (self.active_beacon + step) % n;
            let source = &self.beacons[i];
            let mut progress = |_: u64| {};
            let built = match kind {
                Kind::Accounting => {
                    report::build(client, d, source, self.config.bunker, &mut progress)
                        .await
                        .map(|f| Some(FrameReport::Accounting(f.data)))
                }
                Kind::Exits => exits::build(client, d, source, &mut progress).await.map(|f| {
                    let empty = f.data.exitRequests.is_empty() && f.data.exitedCounts.is_empty();
                    (!empty).then_some(FrameReport::Exits(f.data))
                }),
            };
            match built {
                Ok(r) => {
                    self.active_beacon = i;
                    return Ok(r);
                }
                Err(CommitteeError::NotFinalized { ref_slot, finalized }) => {
                    return Err((
                        Wait::Finalization,
                        format!(
                            "waiting for reference slot {ref_slot} to finalize (finalized: {finalized})"
                        ),
                    ))
                }
                Err(e @ (CommitteeError::Beacon(_) | CommitteeError::GenesisMismatch { .. })) => {
                    self.shared.metrics.endpoint_error("beacon");
                    last = format!("beacon source {}: {e}", self.config.beacon[i]);
                }
                Err(CommitteeError::Chain(e)) => {
                    self.shared.metrics.endpoint_error("rpc");
                    return Err((Wait::Building, format!("building failed: {e}")));
                }
                Err(e) => return Err((Wait::Building, format!("building failed: {e}"))),
            }
        }
        Err((Wait::Building, format!("no beacon source answered; last: {last}")))
    }

    /// One cycle's work on the running frame's report of `kind`.
    async fn report(
        &mut self,
        client: &Client,
        kind: Kind,
        ref_slot: u64,
        members: &[Address],
        quorum: u64,
    ) -> Result<(), tidepool_deploy::Error> {
        let d = self.config.deployment.clone();
        let (chain_id, oracle) = (d.chain_id, d.contracts.oracle.address);
        let me = self.config.key.address();
        let member = !self.config.relay && members.contains(&me);

        // 1. This daemon's own report (a member's; a relay builds one too, to compare).
        if !self.frame.built.contains_key(&kind) {
            match self.build(client, kind).await {
                Ok(Some(r)) if r.ref_slot() != ref_slot => return Ok(()), // the frame moved on
                Ok(r) => {
                    let built = r.map(|r| {
                        let digest = r.digest(chain_id, oracle);
                        (r, digest)
                    });
                    if let Some((_, digest)) = &built {
                        self.say(&format!(
                            "{kind} report for reference slot {ref_slot} built: digest {digest}"
                        ));
                    }
                    self.frame.built.insert(kind, built);
                }
                Err((wait, detail)) => {
                    self.wait(kind, wait, detail);
                    return Ok(());
                }
            }
        }
        let built = self.frame.built.get(&kind).cloned().flatten();
        let own_digest = built.as_ref().map(|(_, digest)| *digest);

        // 2. Sign once, recorded before it is published.
        if let (true, Some((own, _))) = (member, &built) {
            if !self.frame.signed.contains(&kind) {
                self.sign_and_publish(kind, own.clone()).await;
            }
        }

        // 3. Gather from peers.
        for peer in &self.peers {
            match peer.frame(ref_slot).await {
                Ok(list) => {
                    for s in list.into_iter().filter(|s| s.report.kind() == kind) {
                        let signer = s.signer;
                        if let Err(refusal) = self.shared.accept(s) {
                            if !matches!(refusal, Refusal::OtherFrame { .. }) {
                                self.say(&format!(
                                    "refused a {kind} signature from {} (signer {signer}): {refusal}",
                                    peer.url()
                                ));
                            }
                        }
                    }
                }
                Err(_) => self.shared.metrics.endpoint_error("peer"),
            }
        }
        let held: Vec<SignedReport> =
            self.shared.lock().held.get(&kind).cloned().unwrap_or_default();

        // 4. Disagreements, once per signer and digest.
        if let Some((own, ours)) = &built {
            let ours = *ours;
            for s in held.iter().filter(|s| s.digest != ours) {
                if self.frame.reported_mismatch.insert((kind, s.signer, s.digest)) {
                    self.shared.metrics.mismatches.get_or_create(&Metrics::kind(kind)).inc();
                    self.say(&format!(
                        "DIGEST MISMATCH: {} signed {} for the {kind} report of reference slot \
                         {ref_slot}, this daemon built {ours}; fields that differ: {}",
                        s.signer,
                        s.digest,
                        own.differing_fields(&s.report).join(", ")
                    ));
                }
            }
        }

        // 5. Tally per digest; the leading digest is the one with most member signatures
        //    (this daemon's own on a tie).
        let mut tally: BTreeMap<B256, Vec<&SignedReport>> = BTreeMap::new();
        for s in held.iter().filter(|s| members.contains(&s.signer)) {
            tally.entry(s.digest).or_default().push(s);
        }
        let leading = tally
            .iter()
            .max_by_key(|(digest, v)| (v.len(), Some(**digest) == own_digest))
            .map(|(digest, v)| (*digest, v.clone()));
        let have = leading.as_ref().map_or(0, |(_, v)| v.len() as u64);
        let m = &self.shared.metrics;
        m.signatures.get_or_create(&Metrics::kind(kind)).set(gauge(have));
        m.missing.get_or_create(&Metrics::kind(kind)).set(gauge(quorum.saturating_sub(have)));
        let Some((digest, signed)) = leading.filter(|_| have >= quorum) else {
            if built.is_none() && held.is_empty() {
                self.wait(
                    kind,
                    Wait::Nothing,
                    format!("nothing to report for reference slot {ref_slot}"),
                );
                return Ok(());
            }
            let signers: BTreeSet<Address> = held.iter().map(|s| s.signer).collect();
            let missing: Vec<String> =
                members.iter().filter(|m| !signers.contains(*m)).map(ToString::to_string).collect();
            self.wait(
                kind,
                Wait::Quorum,
                format!(
                    "waiting for signatures: {have} of {quorum} match for reference slot \
                     {ref_slot}; not heard from: {}",
                    if missing.is_empty() { "nobody".into() } else { missing.join(", ") }
                ),
            );
            return Ok(());
        };

        // 6. Whose turn: members in the frame's rotation, a relay after all of them.
        let position = if member {
            submitter_position(members, me, ref_slot, kind).unwrap_or(members.len())
        } else {
            members.len()
        };
        let since = *self.frame.quorum_since.entry(kind).or_insert_with(Instant::now);
        let due = since + self.config.fallback * u32::try_from(position).unwrap_or(u32::MAX);
        if Instant::now() < due {
            self.wait(
                kind,
                Wait::Turn,
                format!(
                    "quorum held for {digest}; submitter #{position} in this frame's rotation, \
                     waiting for the earlier ones"
                ),
            );
            return Ok(());
        }
        if let Some(t) = self.frame.tried.get(&kind) {
            let retry = self.config.fallback * u32::try_from(members.len().max(1)).unwrap_or(1);
            if t.elapsed() < retry {
                return Ok(());
            }
        }
        if !self.config.submit {
            if self.frame.dry_run.insert(kind) {
                self.shared.metrics.submission(kind, "dry_run");
            }
            self.wait(
                kind,
                Wait::DryRun,
                format!(
                    "dry run: would submit {digest} with {have} signatures now (--submit sends)"
                ),
            );
            return Ok(());
        }

        // 7. Submit: a quorum of signatures, ascending by signer.
        let mut chosen: Vec<&SignedReport> = signed;
        chosen.sort_by_key(|s| s.signer);
        chosen.truncate(usize::try_from(quorum).unwrap_or(usize::MAX));
        let signatures: Vec<Bytes> = chosen.iter().map(|s| s.signature.clone()).collect();
        let report = chosen.first().map(|s| s.report.clone());
        self.frame.tried.insert(kind, Instant::now());
        let from = self.config.key.address();
        let sent = match report {
            Some(FrameReport::Accounting(data)) => {
                reports::submit(client, &d, from, data, signatures).await
            }
            Some(FrameReport::Exits(data)) => {
                submit_exit_report(client, oracle, from, data, signatures).await
            }
            None => return Ok(()),
        };
        match sent {
            Ok(receipt) => {
                self.shared.metrics.submission(kind, "accepted");
                self.say(&format!(
                    "submitted the {kind} report for reference slot {ref_slot} ({digest}): block \
                     {}, {} gas",
                    receipt.block_number.unwrap_or_default(),
                    receipt.gas_used
                ));
                self.wait(kind, Wait::Landed, format!("reference slot {ref_slot} is on chain"));
            }
            Err(e @ tidepool_deploy::Error::Reverted { .. }) => {
                self.shared.metrics.submission(kind, "reverted");
                self.wait(kind, Wait::Retry, format!("submission refused: {e}"));
            }
            Err(e) => {
                self.shared.metrics.submission(kind, "error");
                self.wait(kind, Wait::Retry, format!("submission failed: {e}"));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Signs `own` and records the signature before publishing it; when the store refuses it
    /// (this member signed another digest for the frame before a restart), publishes the
    /// earlier signature instead. Then holds it and pushes it to the peers.
    async fn sign_and_publish(&mut self, kind: Kind, own: FrameReport) {
        let d = &self.config.deployment;
        let (chain_id, oracle) = (d.chain_id, d.contracts.oracle.address);
        let ref_slot = own.ref_slot();
        // Never published unless the store takes it.
        let fresh = match SignedReport::sign(own, chain_id, oracle, &self.config.key) {
            Ok(s) => s,
            Err(e) => {
                self.say(&format!("signing failed: {e}"));
                return;
            }
        };
        let signed = match self.store.record(&fresh) {
            Ok(new) => {
                if new {
                    self.say(&format!(
                        "signed the {kind} report for reference slot {ref_slot}: {}",
                        fresh.digest
                    ));
                }
                fresh
            }
            Err(e @ StoreError::SecondDigest { .. }) => {
                let Some(before) = self.store.get(kind, ref_slot).cloned() else {
                    return;
                };
                self.shared.metrics.second_digests.inc();
                self.say(&format!(
                    "REFUSED TO SIGN: {e}; fields that differ: {}. The earlier signature stands.",
                    before.report.differing_fields(&fresh.report).join(", ")
                ));
                before
            }
            Err(e) => {
                self.say(&format!("not publishing the {kind} signature: {e}"));
                return;
            }
        };
        self.frame.signed.insert(kind);
        if let Err(refusal) = self.shared.accept(signed.clone()) {
            self.say(&format!("own signature not held: {refusal}"));
        }
        for peer in &self.peers {
            if peer.push(&signed).await.is_err() {
                self.shared.metrics.endpoint_error("peer");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_deploy::report::ReportData;

    fn shared(members: &[Address], running: u64) -> Shared {
        Shared {
            chain_id: 1,
            oracle: Address::with_last_byte(9),
            metrics: Metrics::new(),
            state: Mutex::new(State { running, members: members.to_vec(), ..State::default() }),
            poll: Duration::from_secs(1),
        }
    }

    fn signed(key: &PrivateKeySigner, ref_slot: u64, balance: u64) -> SignedReport {
        let data = ReportData {
            refSlot: U256::from(ref_slot),
            clBalanceGwei: U256::from(balance),
            ..ReportData::default()
        };
        SignedReport::sign(FrameReport::Accounting(data), 1, Address::with_last_byte(9), key)
            .expect("signs")
    }

    #[test]
    fn only_current_members_signatures_of_the_running_frame_are_held_and_bounded() {
        let member = PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).expect("key");
        let outsider = PrivateKeySigner::from_bytes(&B256::repeat_byte(2)).expect("key");
        let s = shared(&[member.address()], 31);
        assert_eq!(s.accept(signed(&member, 31, 1)), Ok(true));
        assert_eq!(s.accept(signed(&member, 31, 1)), Ok(false), "held once");
        assert_eq!(s.accept(signed(&outsider, 31, 1)), Err(Refusal::NotMember(outsider.address())));
        assert_eq!(
            s.accept(signed(&member, 63, 1)),
            Err(Refusal::OtherFrame { got: 63, running: 31 })
        );
        // A member signing many digests is held for two of them at most.
        assert_eq!(s.accept(signed(&member, 31, 2)), Ok(true));
        assert_eq!(s.accept(signed(&member, 31, 3)), Ok(false));
        assert_eq!(s.frame(31).len(), 2);
        assert!(s.frame(63).is_empty(), "another frame's are not served");
        let mut forged = signed(&member, 31, 4);
        forged.signature = signed(&member, 31, 5).signature;
        assert!(matches!(s.accept(forged), Err(Refusal::WrongSigner { .. })));
    }

    #[test]
    fn health_fails_before_the_first_cycle_and_metrics_name_every_wait_reason() {
        let s = shared(&[], 0);
        let (ok, body) = s.health();
        assert!(!ok);
        assert_eq!(body["status"], "failing");
        s.lock().last_ok = Some(Instant::now());
        assert!(s.health().0);
        s.metrics.wait(Kind::Accounting, Wait::Quorum);
        let text = s.metrics.encode();
        for w in Wait::ALL {
            let value = i64::from(w == Wait::Quorum);
            let line = format!(
                "tidepool_oracle_waiting{{kind=\"accounting\",reason=\"{}\"}} {value}",
                w.label()
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
    }

    #[test]
    fn the_rotation_gives_each_member_one_position_and_moves_with_the_frame() {
        let members: Vec<Address> = (1..=5).map(Address::with_last_byte).collect();
        let mut firsts = BTreeSet::new();
        for frame in 0..40u64 {
            let ref_slot = 31 + frame * 7_200;
            let mut positions: Vec<usize> = members
                .iter()
                .map(|m| {
                    submitter_position(&members, *m, ref_slot, Kind::Accounting).expect("member")
                })
                .collect();
            let first = members[positions.iter().position(|p| *p == 0).expect("a first")];
            firsts.insert(first);
            positions.sort_unstable();
            assert_eq!(positions, [0, 1, 2, 3, 4], "a permutation");
        }
        assert_eq!(firsts.len(), 5, "every member is first in some frame");
        let outsider = Address::with_last_byte(99);
        assert_eq!(submitter_position(&members, outsider, 31, Kind::Exits), None);
        // The order does not depend on how the members list is ordered.
        let mut shuffled = members.clone();
        shuffled.reverse();
        for m in &members {
            assert_eq!(
                submitter_position(&members, *m, 7_231, Kind::Exits),
                submitter_position(&shuffled, *m, 7_231, Kind::Exits)
            );
        }
    }
}
