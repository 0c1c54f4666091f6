//! The beacon chain as an oracle committee member reads it: the genesis time, the finalized
//! head's slot, and the protocol's validators at a slot, from a beacon node's standard REST API
//! or from a directory of responses saved from one.
//!
//! A mainnet validators response is about 450 MB of JSON for a million validators, so it is
//! never held in memory: [`summarize`] streams it, and a node's response is first streamed to
//! a temporary file so a slow parse cannot stall the HTTP connection.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};
use serde::Deserialize;
pub use tidepool_beacon::status::ValidatorStatus;
use tidepool_beacon::PUBKEY_LENGTH;
use tidepool_deploy::deposit::DepositedKey;
use tokio::io::AsyncWriteExt;

pub mod fixtures;

/// How often [`summarize`] reports progress, in validators.
pub const PROGRESS_EVERY: u64 = 100_000;

/// Errors reading the beacon chain.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// No answer from the beacon node: refused, timed out, or the connection broke.
    #[error("beacon node at {url} is unreachable: {message}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// What went wrong, with its causes.
        message: String,
    },
    /// The beacon node answered with an HTTP error status (other than 404, see `Missing`).
    #[error("beacon node answered HTTP {status} for {url}: {body}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (the node's error message).
        body: String,
    },
    /// A file could not be read or written.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A response is not the JSON the beacon API specifies.
    #[error("invalid {what}: {message}")]
    Json {
        /// Which response.
        what: String,
        /// What is wrong with it, with its position where known.
        message: String,
    },
    /// The node or directory has no such data (HTTP 404, or no saved file).
    #[error("not found: {0}")]
    Missing(String),
}

/// The protocol's validators at one slot.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ValidatorSummary {
    /// Validators in the state, the protocol's or not.
    pub scanned: u64,
    /// The protocol's validators (see [`Ownership`]), whatever their status.
    pub validators: u64,
    /// The sum of those validators' balances, in gwei.
    pub balance_gwei: u64,
    /// Validators with the vault's withdrawal credentials that are not the protocol's: a
    /// stranger's deposit (with [`Ownership::keys`]; always 0 with [`Ownership::credentials`]).
    pub foreign: u64,
    /// Each of the protocol's validators, in the response's order (only with
    /// [`Ownership::keys`], which knows whose they are).
    pub ours: Vec<OwnValidator>,
}

/// One of the protocol's validators as the beacon chain shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnValidator {
    /// The node operator whose key it is.
    pub operator: u64,
    /// The key's index among the operator's keys.
    pub key_index: u64,
    /// Its index in the beacon chain's registry.
    pub validator_index: u64,
    /// Its status (`None`: a name this reader does not know, from a newer API).
    pub status: Option<ValidatorStatus>,
    /// Its balance, in gwei.
    pub balance_gwei: u64,
}

/// Each deposited key's `(operator, key index)`.
type KeyOwners = HashMap<[u8; PUBKEY_LENGTH], (u64, u64)>;

/// Which validators are the protocol's.
///
/// Only validators the staking module deposited are: a validator is the protocol's when its
/// public key is one of the module's deposited keys *and* its withdrawal credentials point at
/// the vault (a deposited key with other credentials was front-run, and its ether is not the
/// protocol's). Anyone can make a validator with the vault's credentials, so credentials alone
/// let a stranger add to the count: a 1-ETH deposit made the report claim more validators than
/// were deposited, and the oracle refuses such reports. [`Ownership::credentials`] keeps that
/// older rule for deployments whose module cannot list its keys.
#[derive(Clone, Debug)]
pub struct Ownership {
    credentials: [B256; 2],
    keys: Option<Arc<KeyOwners>>,
}

impl Ownership {
    /// The validators of `keys` (the module's deposited keys) whose credentials point at
    /// `vault`.
    pub fn keys(vault: Address, keys: &[DepositedKey]) -> Self {
        let keys = keys.iter().map(|k| (k.pubkey, (k.operator, k.index))).collect();
        Self { credentials: withdrawal_credentials(vault), keys: Some(Arc::new(keys)) }
    }

    /// Every validator whose credentials point at `vault` (unsafe against strangers' deposits;
    /// for deployments whose staking module does not list its keys).
    pub fn credentials(vault: Address) -> Self {
        Self { credentials: withdrawal_credentials(vault), keys: None }
    }
}

/// Withdrawal credentials that point at `vault`: 0x01 and 0x02 types (0x01/0x02, 11 zero bytes,
/// the 20-byte address).
pub fn withdrawal_credentials(vault: Address) -> [B256; 2] {
    [0x01, 0x02].map(|prefix| {
        let mut credentials = B256::ZERO;
        credentials[0] = prefix;
        credentials[12..].copy_from_slice(vault.as_slice());
        credentials
    })
}

/// Streams a beacon-API validators response (`GET /eth/v1/beacon/states/{slot}/validators`:
/// `{"execution_optimistic":..,"finalized":..,"data":[{"index":"0","balance":"32000000000",
/// "status":"active_ongoing","validator":{"pubkey":"0x..","withdrawal_credentials":"0x01..",
/// ..}}, ..]}`) from `reader`, counting the protocol's validators (see [`Ownership`]) and
/// summing their `balance` (gwei, decimal strings).
///
/// Every status counts (pending, active, exited, withdrawn): the protocol accounts for every
/// validator it ever deposited that the beacon chain shows, as Lido does. Unknown fields are
/// ignored; `balance` and `validator.withdrawal_credentials` are required of every entry, and
/// with [`Ownership::keys`] also `index`, `status` and `validator.pubkey`.
///
/// `progress` gets the number scanned every [`PROGRESS_EVERY`] validators, and the final number
/// once at the end (not twice when the total is a multiple of [`PROGRESS_EVERY`]).
///
/// Memory stays small whatever the size: entries are visited one by one as they are parsed.
///
/// # Errors
///
/// [`BeaconError::Json`] if the document is malformed or truncated, lacks `data`, has an entry
/// without a decimal `balance` or a 32-byte hex `withdrawal_credentials` (or, with keys, lacks
/// the fields above), or if a count or the balance sum overflows `u64` (also read errors of
/// `reader`, which arrive mid-parse).
pub fn summarize<R: Read>(
    reader: R,
    ownership: &Ownership,
    progress: &mut dyn FnMut(u64),
) -> Result<ValidatorSummary, BeaconError> {
    // serde_json's reader input pulls one byte at a time, so a large buffer matters.
    let reader = BufReader::with_capacity(1 << 16, reader);
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut scan =
        Scan { ownership, summary: ValidatorSummary::default(), progress, reported: None };
    let json_error = |error: serde_json::Error| BeaconError::Json {
        what: "validators response".into(),
        message: if error.is_io() { format!("read failed: {error}") } else { error.to_string() },
    };
    ScanSeed(&mut scan, Level::Response).deserialize(&mut deserializer).map_err(json_error)?;
    deserializer.end().map_err(json_error)?;
    if scan.reported != Some(scan.summary.scanned) {
        (scan.progress)(scan.summary.scanned);
    }
    Ok(scan.summary)
}

/// The running count of a [`summarize`].
struct Scan<'a> {
    ownership: &'a Ownership,
    summary: ValidatorSummary,
    progress: &'a mut dyn FnMut(u64),
    /// The last number passed to `progress`.
    reported: Option<u64>,
}

impl Scan<'_> {
    fn add(&mut self, entry: Entry) -> Result<(), &'static str> {
        let summary = &mut self.summary;
        summary.scanned = summary.scanned.checked_add(1).ok_or("validator count overflows u64")?;
        if self.ownership.credentials.contains(&entry.validator.withdrawal_credentials.0) {
            if let Some(keys) = &self.ownership.keys {
                let pubkey = entry
                    .validator
                    .pubkey
                    .and_then(|p| p.0)
                    .ok_or("an entry's validator.pubkey is missing or not 48 bytes of hex")?;
                let Some(&(operator, key_index)) = keys.get(&pubkey) else {
                    summary.foreign =
                        summary.foreign.checked_add(1).ok_or("validator count overflows u64")?;
                    return self.tick();
                };
                summary.ours.push(OwnValidator {
                    operator,
                    key_index,
                    validator_index: entry.index.ok_or("an entry lacks index")?.0,
                    status: entry.status.ok_or("an entry lacks status")?.0,
                    balance_gwei: entry.balance.0,
                });
            }
            summary.validators =
                summary.validators.checked_add(1).ok_or("validator count overflows u64")?;
            summary.balance_gwei = summary
                .balance_gwei
                .checked_add(entry.balance.0)
                .ok_or("the sum of the protocol's validator balances overflows u64 gwei")?;
        }
        self.tick()
    }

    /// Tells `progress` every [`PROGRESS_EVERY`] validators.
    fn tick(&mut self) -> Result<(), &'static str> {
        let summary = &self.summary;
        if summary.scanned.is_multiple_of(PROGRESS_EVERY) {
            (self.progress)(summary.scanned);
            self.reported = Some(summary.scanned);
        }
        Ok(())
    }
}

/// Where the streaming reader is in a validators response.
#[derive(Clone, Copy)]
enum Level {
    /// The top-level object: only `data` is read, wherever it comes among the other fields.
    Response,
    /// The `data` array, folded into the [`Scan`] entry by entry instead of collected.
    Data,
}

/// Reads one [`Level`] of the response into the scan.
struct ScanSeed<'s, 'a>(&'s mut Scan<'a>, Level);

impl<'de> DeserializeSeed<'de> for ScanSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.1 {
            Level::Response => deserializer.deserialize_map(self),
            Level::Data => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> de::Visitor<'de> for ScanSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self.1 {
            Level::Response => "a validators response object with a `data` array",
            Level::Data => "an array of validators",
        })
    }

    /// The response object (a map anywhere else is refused, as by any seed expecting a
    /// sequence).
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        #[derive(Deserialize)]
        #[serde(field_identifier, rename_all = "snake_case")]
        enum Key {
            Data,
            #[serde(other)]
            Other,
        }
        if let Level::Data = self.1 {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        let mut seen_data = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Data if seen_data => return Err(de::Error::duplicate_field("data")),
                Key::Data => {
                    map.next_value_seed(ScanSeed(&mut *self.0, Level::Data))?;
                    seen_data = true;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen_data {
            Ok(())
        } else {
            Err(de::Error::missing_field("data"))
        }
    }

    /// The `data` array.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Level::Response = self.1 {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while let Some(entry) = seq.next_element::<Entry>()? {
            self.0.add(entry).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// The fields of a validators entry that matter; the derived visitors skip the others without
/// allocating.
#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    index: Option<Quoted>,
    balance: Quoted,
    #[serde(default)]
    status: Option<StatusName>,
    validator: EntryValidator,
}

#[derive(Deserialize)]
struct EntryValidator {
    #[serde(default)]
    pubkey: Option<Hex48>,
    withdrawal_credentials: Hex32,
}

/// A uint64 as the beacon API writes it: a decimal string. A bare JSON number is accepted too.
#[derive(Clone, Copy, Debug)]
struct Quoted(u64);

impl<'de> Deserialize<'de> for Quoted {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = TextVisitor {
            expecting: "a decimal uint64 string",
            parse: |s| parse_decimal(s).map(Quoted),
            from_u64: Some(Quoted),
        };
        deserializer.deserialize_any(visitor)
    }
}

/// Reads a value the beacon API writes as a string, with `parse`; with `from_u64`, a bare JSON
/// number too.
struct TextVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> Option<T>,
    from_u64: Option<fn(u64) -> T>,
}

impl<T> de::Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        (self.parse)(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        match self.from_u64 {
            Some(from_u64) => Ok(from_u64(n)),
            None => Err(E::invalid_type(de::Unexpected::Unsigned(n), &self)),
        }
    }
}

/// Digits only: `str::parse` would also take a sign, which no beacon node writes.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// 32 bytes as `0x` and 64 hex digits.
struct Hex32(B256);

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = TextVisitor {
            expecting: "32 bytes as 0x-prefixed hex",
            parse: parse_hex32,
            from_u64: None,
        };
        deserializer.deserialize_str(visitor)
    }
}

fn parse_hex32(s: &str) -> Option<Hex32> {
    parse_hex::<32>(s).map(|b| Hex32(B256::from(b)))
}

/// A status name: the status, or `None` for a name this reader does not know.
struct StatusName(Option<ValidatorStatus>);

impl<'de> Deserialize<'de> for StatusName {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = TextVisitor {
            expecting: "a status name",
            parse: |s| Some(StatusName(ValidatorStatus::from_name(s))),
            from_u64: None,
        };
        deserializer.deserialize_str(visitor)
    }
}

/// A BLS public key (`0x` and 96 hex digits), or `None` for any other string: only
/// [`Ownership::keys`] needs it, and says so if it is malformed.
struct Hex48(Option<[u8; PUBKEY_LENGTH]>);

impl<'de> Deserialize<'de> for Hex48 {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = TextVisitor {
            expecting: "a string",
            parse: |s| Some(Hex48(parse_hex::<PUBKEY_LENGTH>(s))),
            from_u64: None,
        };
        deserializer.deserialize_str(visitor)
    }
}

/// `N` bytes as `0x` and `2N` hex digits.
fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.strip_prefix("0x")?.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
    }
    Some(bytes)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Where beacon data comes from.
#[derive(Clone, Debug)]
pub enum BeaconSource {
    /// A beacon node's REST API base URL (e.g. `http://localhost:5052`).
    Url(String),
    /// A directory of saved responses: `genesis.json` (`GET /eth/v1/beacon/genesis`),
    /// `headers_finalized.json` (optional; `GET /eth/v1/beacon/headers/finalized`),
    /// `validators_<slot>.json` (`GET /eth/v1/beacon/states/<slot>/validators`).
    Dir(PathBuf),
}

/// `GET /eth/v1/beacon/genesis`.
const GENESIS_PATH: &str = "/eth/v1/beacon/genesis";
/// `GET /eth/v1/beacon/headers/finalized`.
const FINALIZED_HEADER_PATH: &str = "/eth/v1/beacon/headers/finalized";

/// `GET /eth/v1/beacon/states/{slot}/validators`.
fn validators_path(slot: u64) -> String {
    format!("/eth/v1/beacon/states/{slot}/validators")
}

/// The file of a [`BeaconSource::Dir`] holding the validators at `slot`.
fn validators_file(slot: u64) -> String {
    format!("validators_{slot}.json")
}

/// The beacon API wraps every answer in `{"data": ..}`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct Genesis {
    genesis_time: Quoted,
}

#[derive(Deserialize)]
struct HeaderData {
    header: SignedHeader,
}

#[derive(Deserialize)]
struct SignedHeader {
    message: HeaderMessage,
}

#[derive(Deserialize)]
struct HeaderMessage {
    slot: Quoted,
}

/// Gives up connecting to a node after this long: a node that does not accept a connection
/// within it is down or firewalled, and waiting longer only delays saying so.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Gives up on a small request (genesis, header) after this long.
const SMALL_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Gives up on the validators download when no byte arrives for this long. Generous because a
/// node may regenerate a historical state for minutes before it sends the first byte.
const READ_TIMEOUT: Duration = Duration::from_secs(600);
/// How much of an HTTP error's body goes into [`BeaconError::Http`].
const ERROR_BODY_LIMIT: usize = 1000;

impl BeaconSource {
    /// Parses a CLI argument: `http://` or `https://` is a URL, anything else a directory.
    pub fn parse(s: &str) -> Self {
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            BeaconSource::Url(s.to_owned())
        } else {
            BeaconSource::Dir(PathBuf::from(s))
        }
    }

    /// `genesis_time` from `/eth/v1/beacon/genesis`
    /// (`{"data":{"genesis_time":"1606824023","genesis_validators_root":"0x..",
    /// "genesis_fork_version":"0x00000000"}}`), or a directory's `genesis.json`.
    ///
    /// # Errors
    ///
    /// [`BeaconError::Unreachable`], [`BeaconError::Http`] or [`BeaconError::Missing`] (404)
    /// from a node, [`BeaconError::Io`] for an unreadable `genesis.json`, and
    /// [`BeaconError::Json`] if the answer lacks `data.genesis_time`.
    pub async fn genesis_time(&self) -> Result<u64, BeaconError> {
        let what = "genesis response";
        let (bytes, what) = match self {
            BeaconSource::Url(base) => get_small(base, GENESIS_PATH, what).await?,
            BeaconSource::Dir(dir) => {
                let path = dir.join("genesis.json");
                let what = format!("{what} {}", path.display());
                let bytes = tokio::fs::read(&path)
                    .await
                    .map_err(|source| BeaconError::Io { path, source })?;
                (bytes, what)
            }
        };
        let genesis: Envelope<Genesis> = parse_json(&bytes, &what)?;
        Ok(genesis.data.genesis_time.0)
    }

    /// The finalized head's slot from `/eth/v1/beacon/headers/finalized`
    /// (`{"data":{"root":"0x..","canonical":true,"header":{"message":{"slot":"123",..},
    /// "signature":"0x.."}}}`); `Ok(None)` for a directory without `headers_finalized.json`.
    ///
    /// # Errors
    ///
    /// As [`BeaconSource::genesis_time`], for the header.
    pub async fn finalized_slot(&self) -> Result<Option<u64>, BeaconError> {
        let what = "finalized header response";
        let (bytes, what) = match self {
            BeaconSource::Url(base) => get_small(base, FINALIZED_HEADER_PATH, what).await?,
            BeaconSource::Dir(dir) => {
                let path = dir.join("headers_finalized.json");
                match tokio::fs::read(&path).await {
                    Ok(bytes) => (bytes, format!("{what} {}", path.display())),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(source) => return Err(BeaconError::Io { path, source }),
                }
            }
        };
        let header: Envelope<HeaderData> = parse_json(&bytes, &what)?;
        Ok(Some(header.data.header.message.slot.0))
    }

    /// The protocol's validators in the state at `slot` (`GET
    /// /eth/v1/beacon/states/{slot}/validators`), as [`summarize`] counts them; `progress` as
    /// there.
    ///
    /// A node's answer is streamed to a temporary file in [`std::env::temp_dir`] first (it is
    /// removed afterwards, also on error), so the download runs at network speed and the
    /// parse, on a blocking thread, at disk speed. A directory's `validators_<slot>.json` is
    /// read directly.
    ///
    /// # Errors
    ///
    /// [`BeaconError::Missing`] naming the slot if the node answers 404 or the directory has no
    /// file for it; [`BeaconError::Unreachable`] if the node cannot be reached or the download
    /// breaks off; [`BeaconError::Http`] for other error statuses; [`BeaconError::Io`] for file
    /// errors; [`BeaconError::Json`] as [`summarize`].
    pub async fn validators(
        &self,
        slot: u64,
        ownership: &Ownership,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ValidatorSummary, BeaconError> {
        match self {
            BeaconSource::Url(base) => {
                let url = format!("{}{}", base.trim_end_matches('/'), validators_path(slot));
                let download = download_validators(base, &url, slot).await?;
                let what = format!("validators response for slot {slot} from {url}");
                summarize_file(
                    download.path.clone(),
                    Some(download),
                    slot,
                    ownership,
                    what,
                    progress,
                )
                .await
            }
            BeaconSource::Dir(dir) => {
                let path = dir.join(validators_file(slot));
                let what = format!("validators response {}", path.display());
                summarize_file(path, None, slot, ownership, what, progress).await
            }
        }
    }
}

fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, BeaconError> {
    serde_json::from_slice(bytes)
        .map_err(|error| BeaconError::Json { what: what.into(), message: error.to_string() })
}

fn http_client(url: &str, timeout: Option<Duration>) -> Result<reqwest::Client, BeaconError> {
    // A client per call, not a shared one: a pooled connection is bound to the runtime that
    // opened it, and callers (tests especially) may use several runtimes. Three calls a run
    // make the set-up cost irrelevant.
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("tidepool-committee/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT);
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|error| BeaconError::Unreachable {
        url: url.into(),
        message: format!("cannot set up an HTTP client: {}", error_chain(&error)),
    })
}

/// GETs `url`, turning connection failures and error statuses into [`BeaconError`]s.
async fn get(
    url: &str,
    timeout: Option<Duration>,
    missing: impl FnOnce() -> String,
) -> Result<reqwest::Response, BeaconError> {
    let response = http_client(url, timeout)?
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| unreachable(url, &error))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(BeaconError::Missing(missing()));
    }
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let mut body = body.trim().to_owned();
        if body.len() > ERROR_BODY_LIMIT {
            let mut end = ERROR_BODY_LIMIT;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.truncate(end);
            body.push('…');
        }
        return Err(BeaconError::Http { url: url.into(), status: status.as_u16(), body });
    }
    Ok(response)
}

/// The body of a small answer, and what it is for error messages (naming the URL).
async fn get_small(base: &str, path: &str, what: &str) -> Result<(Vec<u8>, String), BeaconError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let missing = || format!("{what} on the beacon node at {base} (HTTP 404 for {url})");
    let response = get(&url, Some(SMALL_REQUEST_TIMEOUT), missing).await?;
    let bytes = response.bytes().await.map_err(|error| unreachable(&url, &error))?;
    Ok((bytes.to_vec(), format!("{what} from {url}")))
}

/// Streams the validators at `slot` from `url` into a new temporary file.
async fn download_validators(base: &str, url: &str, slot: u64) -> Result<TempFile, BeaconError> {
    let missing = || format!("validators at slot {slot} on the beacon node at {base} (HTTP 404)");
    let mut response = get(url, None, missing).await?;
    let (temp, file) = TempFile::create(slot)?;
    let io_error = |source| BeaconError::Io { path: temp.path.clone(), source };
    // Large writes: every write of a tokio file is a trip to the blocking pool.
    let mut writer = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
    while let Some(chunk) = response.chunk().await.map_err(|error| unreachable(url, &error))? {
        writer.write_all(&chunk).await.map_err(io_error)?;
    }
    writer.flush().await.map_err(io_error)?;
    Ok(temp)
}

/// Runs [`summarize`] over the file at `path` on a blocking thread, relaying its progress to
/// `progress` on this task (it is not `'static`, so it cannot go to the thread itself).
/// `temp`, if any, is removed once the file is read, even if the caller stops waiting.
async fn summarize_file(
    path: PathBuf,
    temp: Option<TempFile>,
    slot: u64,
    ownership: &Ownership,
    what: String,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ValidatorSummary, BeaconError> {
    let (sender, receiver) = std::sync::mpsc::channel::<u64>();
    let job_path = path.clone();
    let ownership = ownership.clone();
    let job = tokio::task::spawn_blocking(move || {
        let _temp = temp;
        let file = File::open(&job_path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => BeaconError::Missing(format!(
                "validators at slot {slot} (no file {})",
                job_path.display()
            )),
            _ => BeaconError::Io { path: job_path.clone(), source },
        })?;
        summarize(file, &ownership, &mut |scanned| {
            // The receiver only goes away if the caller stopped waiting; nobody to tell then.
            let _ = sender.send(scanned);
        })
    });
    // The sender is dropped when the job ends, which ends this loop.
    let mut receiver = receiver;
    loop {
        let relay = tokio::task::spawn_blocking(move || {
            let next = receiver.recv();
            (receiver, next)
        });
        let (back, next) = relay.await.map_err(|error| join_error(&path, error))?;
        receiver = back;
        match next {
            Ok(scanned) => progress(scanned),
            Err(_) => break,
        }
    }
    match job.await.map_err(|error| join_error(&path, error))? {
        Err(BeaconError::Json { message, .. }) => Err(BeaconError::Json { what, message }),
        other => other,
    }
}

fn join_error(path: &Path, error: tokio::task::JoinError) -> BeaconError {
    match error.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(error) => BeaconError::Io {
            path: path.to_owned(),
            source: io::Error::other(format!("reading was cancelled: {error}")),
        },
    }
}

fn unreachable(url: &str, error: &reqwest::Error) -> BeaconError {
    // reqwest's own message repeats the URL and says little ("error sending request"); the
    // causes say what happened.
    let causes = std::error::Error::source(error).map_or_else(|| error.to_string(), error_chain);
    let message = if error.is_body() || error.is_decode() {
        format!("the response broke off: {causes}")
    } else if error.is_timeout() && !causes.contains("timed out") {
        format!("timed out: {causes}")
    } else {
        causes
    };
    BeaconError::Unreachable { url: url.into(), message }
}

/// An error and its causes, which is where hyper says whether a connection was refused, timed
/// out or failed TLS.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_message = cause.to_string();
        if !message.contains(&cause_message) {
            message.push_str(": ");
            message.push_str(&cause_message);
        }
        source = cause.source();
    }
    message
}

/// A downloaded response in the temporary directory, removed on drop.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn create(slot: u64) -> Result<(TempFile, File), BeaconError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path =
                dir.join(format!("tidepool-validators-{slot}-{}-{n}.json", std::process::id()));
            // create_new: a file left by a crashed run with the same pid is never overwritten
            // or removed by us; the next number is tried instead.
            match File::options().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((TempFile { path }, file)),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(BeaconError::Io { path, source }),
            }
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temporary directory is not worth an error.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use alloy_primitives::address;

    use super::*;

    /// One entry of a validators response.
    fn entry(index: u64, pubkey: u8, credentials: B256, status: &str, balance: u64) -> String {
        format!(
            r#"{{"index":"{index}","balance":"{balance}","status":"{status}","validator":{{"pubkey":"0x{}","withdrawal_credentials":"{credentials}"}}}}"#,
            format!("{pubkey:02x}").repeat(48)
        )
    }

    #[test]
    fn with_keys_only_the_modules_deposited_keys_count() {
        let [ours, _] = withdrawal_credentials(VAULT);
        let other = withdrawal_credentials(Address::repeat_byte(9))[0];
        let json = format!(
            r#"{{"data":[{},{},{},{}]}}"#,
            entry(0, 0xa1, ours, "active_ongoing", 32_100_000_000),
            // A stranger's 1-ETH deposit with the vault's credentials: never activates.
            entry(1, 0xee, ours, "pending_initialized", 1_000_000_000),
            // A deposited key front-run with someone else's credentials: not ours either.
            entry(2, 0xa2, other, "active_ongoing", 33_000_000_000),
            entry(3, 0xb1, ours, "exited_unslashed", 32_000_000_000),
        );
        let keys = [
            DepositedKey { operator: 0, index: 0, pubkey: [0xa1; 48] },
            DepositedKey { operator: 0, index: 1, pubkey: [0xa2; 48] },
            DepositedKey { operator: 1, index: 0, pubkey: [0xb1; 48] },
        ];
        let summary =
            summarize(json.as_bytes(), &Ownership::keys(VAULT, &keys), &mut |_| {}).expect("ok");
        assert_eq!(summary.scanned, 4);
        assert_eq!(summary.validators, 2);
        assert_eq!(summary.balance_gwei, 64_100_000_000);
        assert_eq!(summary.foreign, 1);
        assert_eq!(
            summary.ours,
            vec![
                OwnValidator {
                    operator: 0,
                    key_index: 0,
                    validator_index: 0,
                    status: Some(ValidatorStatus::ActiveOngoing),
                    balance_gwei: 32_100_000_000,
                },
                OwnValidator {
                    operator: 1,
                    key_index: 0,
                    validator_index: 3,
                    status: Some(ValidatorStatus::ExitedUnslashed),
                    balance_gwei: 32_000_000_000,
                },
            ]
        );
        // By credentials alone, the stranger counts: the report would claim 3 validators.
        let by_credentials =
            summarize(json.as_bytes(), &Ownership::credentials(VAULT), &mut |_| {}).expect("ok");
        assert_eq!((by_credentials.validators, by_credentials.foreign), (3, 0));
        // With keys, an entry without a pubkey cannot be judged: refused, not guessed.
        let bare = format!(
            r#"{{"data":[{{"balance":"1","validator":{{"withdrawal_credentials":"{ours}"}}}}]}}"#
        );
        let error = summarize(bare.as_bytes(), &Ownership::keys(VAULT, &keys), &mut |_| {})
            .expect_err("no pubkey");
        assert!(error.to_string().contains("pubkey"), "{error}");
    }

    const VAULT: Address = address!("00000000000000000000000000000000000c0ffe");

    /// A directory in the temporary directory, removed on drop.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("tidepool-beacon-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create test dir");
            TestDir(path)
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn fixture(total: u64, ours: &BTreeSet<u64>, balance: u64) -> Vec<u8> {
        let mut out = Vec::new();
        fixtures::write_validators(&mut out, total, ours, VAULT, balance).expect("write fixture");
        out
    }

    fn summarize_bytes(json: &[u8]) -> (Result<ValidatorSummary, BeaconError>, Vec<u64>) {
        let mut reports = Vec::new();
        let result = summarize(json, &Ownership::credentials(VAULT), &mut |n| reports.push(n));
        (result, reports)
    }

    /// A validators response with one entry per (credentials, balance, status).
    fn response(entries: &[(String, &str, &str)]) -> String {
        let data: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(index, (credentials, balance, status))| {
                format!(
                    r#"{{"index":"{index}","balance":{balance},"status":"{status}","validator":{{"pubkey":"0xaa","withdrawal_credentials":"{credentials}","effective_balance":"32000000000","slashed":false}}}}"#
                )
            })
            .collect();
        format!(r#"{{"execution_optimistic":false,"finalized":true,"data":[{}]}}"#, data.join(","))
    }

    fn assert_json_error(result: Result<ValidatorSummary, BeaconError>, needle: &str) {
        match result {
            Err(BeaconError::Json { message, .. }) => {
                assert!(message.contains(needle), "{message:?} should mention {needle:?}")
            }
            other => panic!("expected a JSON error mentioning {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn credentials_layout() {
        let [eth1, compounding] = withdrawal_credentials(VAULT);
        assert_eq!(
            eth1.to_string(),
            "0x01000000000000000000000000000000000000000000000000000000000c0ffe"
        );
        assert_eq!(compounding[0], 0x02);
        assert_eq!(compounding[1..], eth1[1..]);
    }

    #[test]
    fn counts_and_sums_a_generated_state_exactly() {
        let ours: BTreeSet<u64> = (0..100_000).step_by(97).collect();
        let balance = 32_001_234_567;
        let json = fixture(100_000, &ours, balance);
        let (summary, reports) = summarize_bytes(&json);
        // Indices 0, 97, .., 97 * 1030.
        assert_eq!(ours.len(), 1031);
        assert_eq!(
            summary.expect("summarize"),
            ValidatorSummary {
                scanned: 100_000,
                validators: 1031,
                balance_gwei: 1031 * balance,
                ..ValidatorSummary::default()
            }
        );
        // Exactly once at 100,000, though that is both a multiple and the end.
        assert_eq!(reports, [100_000]);
    }

    #[test]
    fn reports_progress_every_100000_and_at_the_end() {
        let json = fixture(200_001, &BTreeSet::new(), 0);
        let (summary, reports) = summarize_bytes(&json);
        assert_eq!(
            summary.expect("summarize"),
            ValidatorSummary { scanned: 200_001, ..Default::default() }
        );
        assert_eq!(reports, [100_000, 200_000, 200_001]);

        let (summary, reports) = summarize_bytes(&fixture(0, &BTreeSet::new(), 0));
        assert_eq!(summary.expect("summarize"), ValidatorSummary::default());
        assert_eq!(reports, [0]);
    }

    #[test]
    fn both_credential_types_match_and_nothing_else_does() {
        let [eth1, compounding] = withdrawal_credentials(VAULT).map(|c| c.to_string());
        let mut bls_with_vault_tail = eth1.clone();
        bls_with_vault_tail.replace_range(2..4, "00");
        let other = withdrawal_credentials(address!("00000000000000000000000000000000000c0fff"))
            .map(|c| c.to_string());
        let mut shifted = eth1.clone();
        // The vault's bytes one position off: a match must be on the exact layout.
        shifted.replace_range(4..6, "0c");
        shifted.replace_range(62..66, "0000");
        let json = response(&[
            (eth1.clone(), r#""1""#, "active_ongoing"),
            (compounding.clone(), r#""20""#, "pending_initialized"),
            (eth1.to_uppercase().replace("0X", "0x"), r#""300""#, "exited_slashed"),
            (compounding.clone(), r#""0""#, "withdrawal_done"),
            (eth1.clone(), "4000", "active_exiting"),
            (bls_with_vault_tail, r#""50000""#, "active_ongoing"),
            (other[0].clone(), r#""600000""#, "active_ongoing"),
            (other[1].clone(), r#""7000000""#, "active_ongoing"),
            (shifted, r#""80000000""#, "active_ongoing"),
        ]);
        let (summary, reports) = summarize_bytes(json.as_bytes());
        assert_eq!(
            summary.expect("summarize"),
            ValidatorSummary {
                scanned: 9,
                validators: 5,
                balance_gwei: 4321,
                ..Default::default()
            }
        );
        assert_eq!(reports, [9]);
    }

    #[test]
    fn ignores_unknown_fields_anywhere() {
        let [eth1, _] = withdrawal_credentials(VAULT);
        let json = format!(
            r#"{{"extra":{{"data":[1,2]}},"data":[{{"validator":{{"new":[{{}}],"withdrawal_credentials":"{eth1}"}},"future":null,"balance":"7"}}],"meta":"x"}}"#
        );
        let (summary, _) = summarize_bytes(json.as_bytes());
        assert_eq!(
            summary.expect("summarize"),
            ValidatorSummary { scanned: 1, validators: 1, balance_gwei: 7, ..Default::default() }
        );
    }

    #[test]
    fn malformed_documents_are_json_errors() {
        let [eth1, _] = withdrawal_credentials(VAULT).map(|c| c.to_string());
        let good = response(&[(eth1.clone(), r#""1""#, "active_ongoing")]);
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "EOF"),
            ("[]".into(), "validators response object"),
            (r#"{"data":"#.into(), "EOF"),
            (good[..good.len() - 5].into(), "EOF"),
            (format!("{good} x"), "trailing"),
            (r#"{"finalized":true}"#.into(), "missing field `data`"),
            (r#"{"data":[],"data":[]}"#.into(), "duplicate field `data`"),
            (r#"{"data":{}}"#.into(), "array of validators"),
            (response(&[(eth1.clone(), r#""32 ETH""#, "active_ongoing")]), "32 ETH"),
            (response(&[(eth1.clone(), r#""-1""#, "active_ongoing")]), "decimal uint64"),
            (response(&[(eth1.clone(), r#""""#, "active_ongoing")]), "decimal uint64"),
            (response(&[(eth1.clone(), "null", "active_ongoing")]), "decimal uint64"),
            (response(&[(eth1.clone(), "1.5", "active_ongoing")]), "decimal uint64"),
            (response(&[(eth1[..64].into(), r#""1""#, "active_ongoing")]), "0x-prefixed hex"),
            (response(&[(eth1.replace("0x", "0y"), r#""1""#, "active_ongoing")]), "0x-prefixed"),
            (response(&[(eth1.replace('c', "g"), r#""1""#, "active_ongoing")]), "0x-prefixed"),
            (r#"{"data":[{"validator":{"withdrawal_credentials":"0x00"}}]}"#.into(), "hex"),
            (
                format!(r#"{{"data":[{{"validator":{{"withdrawal_credentials":"{eth1}"}}}}]}}"#),
                "missing field `balance`",
            ),
            (r#"{"data":[{"balance":"1","validator":{}}]}"#.into(), "withdrawal_credentials"),
        ];
        for (json, needle) in cases {
            let (result, _) = summarize_bytes(json.as_bytes());
            assert_json_error(result, needle);
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let [eth1, _] = withdrawal_credentials(VAULT).map(|c| c.to_string());
        let (result, _) = summarize_bytes(
            response(&[(eth1.clone(), r#""18446744073709551616""#, "x")]).as_bytes(),
        );
        assert_json_error(result, "decimal uint64");

        let half = format!(r#""{}""#, u64::MAX / 2 + 1);
        let json = response(&[(eth1.clone(), &half, "x"), (eth1.clone(), &half, "x")]);
        let (result, _) = summarize_bytes(json.as_bytes());
        assert_json_error(result, "overflows");

        // The largest balances that fit still sum.
        let max = format!(r#""{}""#, u64::MAX - 1);
        let json = response(&[(eth1.clone(), &max, "x"), (eth1, r#""1""#, "x")]);
        let (summary, _) = summarize_bytes(json.as_bytes());
        assert_eq!(summary.expect("summarize").balance_gwei, u64::MAX);
    }

    #[test]
    fn read_errors_are_reported() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let result = summarize(Failing, &Ownership::credentials(VAULT), &mut |_| {});
        assert_json_error(result, "disk on fire");
    }

    #[test]
    fn parses_sources() {
        assert!(
            matches!(BeaconSource::parse("http://localhost:5052"), BeaconSource::Url(u) if u == "http://localhost:5052")
        );
        assert!(matches!(BeaconSource::parse("HTTPS://node"), BeaconSource::Url(_)));
        assert!(
            matches!(BeaconSource::parse("saved/beacon"), BeaconSource::Dir(d) if d == Path::new("saved/beacon"))
        );
        assert!(matches!(BeaconSource::parse("http"), BeaconSource::Dir(_)));
    }

    #[test]
    fn futures_can_be_spawned() {
        fn send<T: Send>(_: &T) {}
        let source = BeaconSource::parse("saved");
        let mut progress = |_| {};
        send(&source.genesis_time());
        send(&source.finalized_slot());
        send(&source.validators(1, &Ownership::credentials(VAULT), &mut progress));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn directory_and_node_agree() {
        let dir = TestDir::new("agree");
        let slot = 9_876_543;
        let ours: BTreeSet<u64> = (0..100_001).filter(|i| i % 89 == 3).collect();
        let file = File::create(dir.0.join(validators_file(slot))).expect("create");
        fixtures::write_validators(file, 100_001, &ours, VAULT, 31_900_000_000).expect("write");
        std::fs::write(dir.0.join("genesis.json"), fixtures::genesis_json(1_606_824_023))
            .expect("write genesis");

        let saved = BeaconSource::Dir(dir.0.clone());
        assert_eq!(saved.genesis_time().await.expect("genesis"), 1_606_824_023);
        assert_eq!(saved.finalized_slot().await.expect("no header"), None);
        std::fs::write(dir.0.join("headers_finalized.json"), fixtures::finalized_header_json(slot))
            .expect("write header");
        assert_eq!(saved.finalized_slot().await.expect("header"), Some(slot));

        let (url, _server) = fixtures::serve(dir.0.clone());
        let node = BeaconSource::parse(&format!("{url}/"));
        assert!(matches!(node, BeaconSource::Url(_)));
        assert_eq!(node.genesis_time().await.expect("genesis"), 1_606_824_023);
        assert_eq!(node.finalized_slot().await.expect("header"), Some(slot));

        let expected = ValidatorSummary {
            scanned: 100_001,
            validators: ours.len() as u64,
            balance_gwei: ours.len() as u64 * 31_900_000_000,
            ..ValidatorSummary::default()
        };
        for source in [&saved, &node] {
            let mut reports = Vec::new();
            let summary = source
                .validators(slot, &Ownership::credentials(VAULT), &mut |n| reports.push(n))
                .await
                .expect("validators");
            assert_eq!(summary, expected, "{source:?}");
            assert_eq!(reports, [100_000, 100_001], "{source:?}");
        }

        // The download is gone once read.
        let prefix = format!("tidepool-validators-{slot}-{}-", std::process::id());
        let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .expect("read temp dir")
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[tokio::test]
    async fn missing_data_names_the_slot() {
        let dir = TestDir::new("missing");
        std::fs::write(dir.0.join("validators_5.json"), "{\"data\":[]}").expect("write");
        let (url, _server) = fixtures::serve(dir.0.clone());
        for source in [BeaconSource::Dir(dir.0.clone()), BeaconSource::Url(url)] {
            match source.validators(6, &Ownership::credentials(VAULT), &mut |_| {}).await {
                Err(error @ BeaconError::Missing(_)) => {
                    assert!(error.to_string().contains("slot 6"), "{error}")
                }
                other => panic!("expected Missing for {source:?}, got {other:?}"),
            }
            let summary = source
                .validators(5, &Ownership::credentials(VAULT), &mut |_| {})
                .await
                .expect("slot 5");
            assert_eq!(summary, ValidatorSummary::default());
        }
        // The node has no genesis.json to serve either: 404 there too.
        let (url, _server) = fixtures::serve(dir.0.clone());
        let node = BeaconSource::Url(url);
        assert!(matches!(node.genesis_time().await, Err(BeaconError::Missing(_))));
        assert!(matches!(node.finalized_slot().await, Err(BeaconError::Missing(_))));
        let saved = BeaconSource::Dir(dir.0.clone());
        assert!(matches!(saved.genesis_time().await, Err(BeaconError::Io { .. })));
    }

    #[tokio::test]
    async fn bad_saved_json_names_the_file() {
        let dir = TestDir::new("bad");
        std::fs::write(dir.0.join("validators_1.json"), "{\"data\":[{]}").expect("write");
        std::fs::write(dir.0.join("genesis.json"), "{\"data\":{}}").expect("write");
        let saved = BeaconSource::Dir(dir.0.clone());
        match saved.validators(1, &Ownership::credentials(VAULT), &mut |_| {}).await {
            Err(BeaconError::Json { what, .. }) => assert!(what.contains("validators_1.json")),
            other => panic!("expected a JSON error, got {other:?}"),
        }
        match saved.genesis_time().await {
            Err(BeaconError::Json { what, message }) => {
                assert!(message.contains("genesis_time") && what.contains("genesis.json"))
            }
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn unreachable_node_says_so() {
        let node = BeaconSource::parse("http://127.0.0.1:1");
        let error = node.genesis_time().await.expect_err("nothing listens on port 1");
        assert!(
            matches!(&error, BeaconError::Unreachable { url, .. } if url.starts_with("http://127.0.0.1:1/")),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("unreachable") && message.contains("127.0.0.1:1"), "{message}");
        let error = node
            .validators(1, &Ownership::credentials(VAULT), &mut |_| {})
            .await
            .expect_err("unreachable");
        assert!(matches!(error, BeaconError::Unreachable { .. }), "{error:?}");
    }
}
