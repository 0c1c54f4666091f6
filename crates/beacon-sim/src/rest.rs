//! The beacon-node REST API over a [`BeaconChain`], in the JSON shapes of Ethereum's
//! beacon-APIs: every uint64 a decimal string, answers wrapped in `{"data": ..}` with
//! `execution_optimistic` and `finalized` where the spec has them, errors as
//! `{"code": .., "message": ..}`.
//!
//! Served: `GET /eth/v1/beacon/genesis`, `/eth/v1/beacon/headers/{block_id}`,
//! `/eth/v1/beacon/states/{state_id}/validators` (`id` and `status` filters, comma-separated
//! or repeated), `/eth/v1/beacon/states/{state_id}/validators/{validator_id}`,
//! `/eth/v1/beacon/states/{state_id}/finality_checkpoints`, `/eth/v1/node/version`,
//! `/eth/v1/node/syncing` and `/eth/v1/config/spec`.
//!
//! State and block ids: `head`, `genesis`, `finalized`, `justified` or a slot number; a
//! 0x-prefixed root is accepted but never found (the roots are synthetic and not indexed).

use std::future::Future;
use std::sync::Arc;

use alloy_primitives::{FixedBytes, B256};
use axum::{
    extract::{Path, RawQuery, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::chain::{BeaconChain, StateId, StateView, ValidatorId, ValidatorView};
use crate::status::StatusFilter;

/// `version` of `/eth/v1/node/version`.
pub const VERSION: &str = concat!("tidepool-beacon-sim/v", env!("CARGO_PKG_VERSION"));

/// How the server reaches the chain: the node keeps its simulation inside its own locked
/// chain, tests keep one behind a mutex. `None` while the simulation is off.
pub trait BeaconAccess: Clone + Send + Sync + 'static {
    /// Runs `f` on the chain, holding whatever lock guards it.
    fn read<R>(&self, f: impl FnOnce(Option<&BeaconChain>) -> R) -> R;
}

impl BeaconAccess for Arc<std::sync::Mutex<BeaconChain>> {
    fn read<R>(&self, f: impl FnOnce(Option<&BeaconChain>) -> R) -> R {
        // A poisoned lock still holds a consistent chain: every mutation is one call.
        let guard = self.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(Some(&guard))
    }
}

/// The API's routes over `access`.
pub fn router<A: BeaconAccess>(access: A) -> Router {
    Router::new()
        .route("/eth/v1/beacon/genesis", get(genesis::<A>))
        .route("/eth/v1/beacon/headers/{block_id}", get(header_of::<A>))
        .route("/eth/v1/beacon/states/{state_id}/validators", get(validators::<A>))
        .route("/eth/v1/beacon/states/{state_id}/validators/{validator_id}", get(validator::<A>))
        .route("/eth/v1/beacon/states/{state_id}/finality_checkpoints", get(finality::<A>))
        .route("/eth/v1/node/version", get(version))
        .route("/eth/v1/node/syncing", get(syncing::<A>))
        .route("/eth/v1/config/spec", get(spec::<A>))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(access)
}

/// Serves the API on `listener` until `shutdown` completes.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve<A: BeaconAccess>(
    listener: tokio::net::TcpListener,
    access: A,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(access)).with_graceful_shutdown(shutdown).await
}

/// An error answer: `{"code": status, "message": ..}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn missing(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    fn off() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "the beacon simulation is not configured")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.status.as_u16(), "message": self.message });
        (self.status, [(header::CONTENT_TYPE, "application/json")], body.to_string())
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// A uint64 as the API writes it: a decimal string.
#[derive(Debug, Clone, Copy)]
struct Quoted(u64);

impl Serialize for Quoted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

fn json_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn to_response<T: Serialize>(value: &T) -> ApiResult {
    serde_json::to_vec(value)
        .map(json_response)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// Runs `f` on the configured chain, or answers 503.
fn with_chain<A: BeaconAccess>(access: &A, f: impl FnOnce(&BeaconChain) -> ApiResult) -> ApiResult {
    access.read(|chain| chain.map_or_else(|| Err(ApiError::off()), f))
}

fn parse_slot(id: &str, what: &str) -> Result<u64, ApiError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(format!("invalid {what} id: {id}")));
    }
    id.parse().map_err(|_| ApiError::bad(format!("invalid {what} id: {id}")))
}

/// A `state_id` or `block_id`.
fn parse_state_id(id: &str, what: &str) -> Result<StateId, ApiError> {
    match id {
        "head" => Ok(StateId::Head),
        "genesis" => Ok(StateId::Genesis),
        "finalized" => Ok(StateId::Finalized),
        "justified" => Ok(StateId::Justified),
        _ if id.starts_with("0x") => {
            if id.parse::<B256>().is_err() {
                return Err(ApiError::bad(format!("invalid {what} id: {id}")));
            }
            Err(ApiError::missing(format!("{what} {id} not found (roots are not indexed)")))
        }
        _ => parse_slot(id, what).map(StateId::Slot),
    }
}

fn state<'a>(chain: &'a BeaconChain, id: &str) -> Result<StateView<'a>, ApiError> {
    let id = parse_state_id(id, "state")?;
    chain.state(id).map_err(|e| ApiError::missing(e.to_string()))
}

async fn genesis<A: BeaconAccess>(State(access): State<A>) -> ApiResult {
    with_chain(&access, |chain| {
        let config = chain.config();
        to_response(&json!({ "data": {
            "genesis_time": Quoted(config.genesis_time),
            // No genesis validators: the registry starts empty.
            "genesis_validators_root": B256::ZERO,
            "genesis_fork_version": FixedBytes::<4>::from(config.fork_version.0),
        }}))
    })
}

async fn header_of<A: BeaconAccess>(
    State(access): State<A>,
    Path(block_id): Path<String>,
) -> ApiResult {
    with_chain(&access, |chain| {
        let slot = match parse_state_id(&block_id, "block")? {
            StateId::Head => chain.head_slot(),
            StateId::Genesis => 0,
            StateId::Finalized => chain.config().start_slot(chain.finalized_epoch()),
            StateId::Justified => chain.config().start_slot(chain.justified_epoch()),
            StateId::Slot(slot) if slot > chain.head_slot() => {
                return Err(ApiError::missing(format!("block at slot {slot} not found")))
            }
            StateId::Slot(slot) => slot,
        };
        let finalized = chain.config().epoch_of(slot) <= chain.finalized_epoch();
        let parent = slot.checked_sub(1).map_or(B256::ZERO, BeaconChain::block_root);
        to_response(&json!({
            "execution_optimistic": false,
            "finalized": finalized,
            "data": {
                "root": BeaconChain::block_root(slot),
                "canonical": true,
                "header": {
                    "message": {
                        "slot": Quoted(slot),
                        "proposer_index": Quoted(chain.proposer_index(slot)),
                        "parent_root": parent,
                        "state_root": BeaconChain::state_root(slot),
                        "body_root": BeaconChain::body_root(slot),
                    },
                    // Unsigned: the simulation has no proposer keys.
                    "signature": FixedBytes::<96>::ZERO,
                }
            }
        }))
    })
}

/// A validators entry.
#[derive(Serialize)]
struct Entry {
    index: Quoted,
    balance: Quoted,
    status: &'static str,
    validator: EntryValidator,
}

#[derive(Serialize)]
struct EntryValidator {
    pubkey: FixedBytes<48>,
    withdrawal_credentials: B256,
    effective_balance: Quoted,
    slashed: bool,
    activation_eligibility_epoch: Quoted,
    activation_epoch: Quoted,
    exit_epoch: Quoted,
    withdrawable_epoch: Quoted,
}

impl From<&ValidatorView> for Entry {
    fn from(v: &ValidatorView) -> Self {
        Self {
            index: Quoted(v.index),
            balance: Quoted(v.balance_gwei),
            status: v.status.as_str(),
            validator: EntryValidator {
                pubkey: FixedBytes(v.pubkey),
                withdrawal_credentials: v.withdrawal_credentials,
                effective_balance: Quoted(v.effective_balance_gwei),
                slashed: v.slashed,
                activation_eligibility_epoch: Quoted(v.epochs.activation_eligibility),
                activation_epoch: Quoted(v.epochs.activation),
                exit_epoch: Quoted(v.epochs.exit),
                withdrawable_epoch: Quoted(v.epochs.withdrawable),
            },
        }
    }
}

/// The `{"execution_optimistic":false,"finalized":..,"data":..}` wrapper.
#[derive(Serialize)]
struct Wrapped<T> {
    execution_optimistic: bool,
    finalized: bool,
    data: T,
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or_else(|| ApiError::bad("bad query escape"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| ApiError::bad("bad escape"))?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::bad("query is not UTF-8"))
}

/// The `id` and `status` filters, each comma-separated and repeatable; empty when absent.
fn filters(query: Option<&str>) -> Result<(Vec<ValidatorId>, Vec<StatusFilter>), ApiError> {
    let (mut ids, mut statuses) = (Vec::new(), Vec::new());
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value)?;
        let values = value.split(',').map(str::trim).filter(|v| !v.is_empty());
        match decode(key)?.as_str() {
            "id" => {
                for v in values {
                    ids.push(v.parse::<ValidatorId>().map_err(|e| ApiError::bad(e.to_string()))?);
                }
            }
            "status" => {
                for v in values {
                    statuses.push(
                        v.parse().map_err(|e: crate::status::UnknownStatus| {
                            ApiError::bad(e.to_string())
                        })?,
                    );
                }
            }
            _ => {}
        }
    }
    Ok((ids, statuses))
}

fn find(state: &StateView<'_>, id: ValidatorId) -> Option<ValidatorView> {
    match id {
        ValidatorId::Index(i) => state.get(i),
        ValidatorId::Pubkey(pubkey) => state.find(&pubkey),
    }
}

async fn validators<A: BeaconAccess>(
    State(access): State<A>,
    Path(state_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (ids, statuses) = filters(query.as_deref())?;
    with_chain(&access, |chain| {
        let state = state(chain, &state_id)?;
        let passes =
            |v: &ValidatorView| statuses.is_empty() || statuses.iter().any(|f| f.matches(v.status));
        let mut entries: Vec<Entry> = Vec::new();
        if ids.is_empty() {
            entries.reserve(state.len() as usize);
            entries.extend(state.iter().filter(|v| passes(v)).map(|v| Entry::from(&v)));
        } else {
            // Unknown ids are left out, as beacon nodes do; duplicates are answered once.
            let mut found: Vec<ValidatorView> =
                ids.iter().filter_map(|id| find(&state, *id)).filter(|v| passes(v)).collect();
            found.sort_by_key(|v| v.index);
            found.dedup_by_key(|v| v.index);
            entries.extend(found.iter().map(Entry::from));
        }
        // About 400 bytes an entry, written in one pass.
        let mut bytes = Vec::with_capacity(64 + entries.len() * 420);
        let wrapped =
            Wrapped { execution_optimistic: false, finalized: state.finalized(), data: entries };
        serde_json::to_writer(&mut bytes, &wrapped)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(json_response(bytes))
    })
}

async fn validator<A: BeaconAccess>(
    State(access): State<A>,
    Path((state_id, validator_id)): Path<(String, String)>,
) -> ApiResult {
    let id: ValidatorId = validator_id
        .parse()
        .map_err(|e: crate::chain::BadValidatorId| ApiError::bad(e.to_string()))?;
    with_chain(&access, |chain| {
        let state = state(chain, &state_id)?;
        let view = find(&state, id)
            .ok_or_else(|| ApiError::missing(format!("validator {validator_id} not found")))?;
        to_response(&Wrapped {
            execution_optimistic: false,
            finalized: state.finalized(),
            data: Entry::from(&view),
        })
    })
}

async fn finality<A: BeaconAccess>(
    State(access): State<A>,
    Path(state_id): Path<String>,
) -> ApiResult {
    with_chain(&access, |chain| {
        let state = state(chain, &state_id)?;
        // Checkpoints as of the state's epoch: justified one epoch back, finalized two.
        let epoch = state.epoch();
        let checkpoint = |epoch: u64| {
            json!({
                "epoch": Quoted(epoch),
                "root": BeaconChain::block_root(chain.config().start_slot(epoch)),
            })
        };
        to_response(&json!({
            "execution_optimistic": false,
            "finalized": state.finalized(),
            "data": {
                "previous_justified": checkpoint(epoch.saturating_sub(2)),
                "current_justified": checkpoint(epoch.saturating_sub(1)),
                "finalized": checkpoint(epoch.saturating_sub(2)),
            }
        }))
    })
}

async fn version() -> ApiResult {
    to_response(&json!({ "data": { "version": VERSION } }))
}

async fn syncing<A: BeaconAccess>(State(access): State<A>) -> ApiResult {
    with_chain(&access, |chain| {
        to_response(&json!({ "data": {
            "head_slot": Quoted(chain.head_slot()),
            "sync_distance": Quoted(0),
            "is_syncing": false,
            "is_optimistic": false,
            "el_offline": false,
        }}))
    })
}

async fn spec<A: BeaconAccess>(State(access): State<A>) -> ApiResult {
    with_chain(&access, |chain| {
        let c = chain.config();
        to_response(&json!({ "data": {
            "CONFIG_NAME": "tidepool-local",
            "PRESET_BASE": "mainnet",
            "SECONDS_PER_SLOT": c.seconds_per_slot.to_string(),
            "SLOTS_PER_EPOCH": c.slots_per_epoch.to_string(),
            "GENESIS_FORK_VERSION": FixedBytes::<4>::from(c.fork_version.0),
            "MIN_GENESIS_TIME": c.genesis_time.to_string(),
            "GENESIS_DELAY": "0",
            "MAX_EFFECTIVE_BALANCE": crate::config::MIN_ACTIVATION_BALANCE_GWEI.to_string(),
            "MIN_ACTIVATION_BALANCE": crate::config::MIN_ACTIVATION_BALANCE_GWEI.to_string(),
            "MAX_EFFECTIVE_BALANCE_ELECTRA":
                crate::config::MAX_EFFECTIVE_BALANCE_COMPOUNDING_GWEI.to_string(),
            "MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA":
                crate::config::MIN_SLASHING_PENALTY_QUOTIENT.to_string(),
            "SHARD_COMMITTEE_PERIOD": "0",
            "MIN_VALIDATOR_WITHDRAWABILITY_DELAY": c.withdrawable_delay_epochs.to_string(),
        }}))
    })
}
