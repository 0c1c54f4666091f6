//! Test and benchmark fixtures: a beacon chain the tests make up, written in the shapes a
//! beacon node answers with, and a tiny beacon node serving saved answers.

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use alloy_primitives::Address;

use super::{validators_file, FINALIZED_HEADER_PATH, GENESIS_PATH};

/// The beacon chain's "never" epoch (`FAR_FUTURE_EPOCH`).
const FAR_FUTURE_EPOCH: u64 = u64::MAX;
/// 32 ETH in gwei: every other validator's balance.
const OTHERS_BALANCE_GWEI: u64 = 32_000_000_000;
/// The effective balance cap of 0x00/0x01 validators.
const MAX_EFFECTIVE_BALANCE_GWEI: u64 = 32_000_000_000;

/// Writes a validators response (`GET /eth/v1/beacon/states/{slot}/validators`) with `total`
/// validators, indices `0..total`, to `out`.
///
/// Validators whose index is in `ours` get 0x01 withdrawal credentials for `vault` and balance
/// `ours_balance_gwei` each; their statuses cycle through pending, active, exiting, exited and
/// withdrawn, all of which count. The others get 32 ETH and credentials that must *not* count,
/// by index modulo 3: 0x00 (BLS) credentials whose last 20 bytes are `vault`'s; 0x01 for an
/// address one bit away from `vault`; 0x02 for an unrelated address.
///
/// Deterministic (pubkeys derived from the index), compact like a node's answer and about 430
/// bytes a validator like mainnet's. Buffered: a million validators take a few seconds.
///
/// # Errors
///
/// Write errors of `out`.
pub fn write_validators(
    out: impl Write,
    total: u64,
    ours: &BTreeSet<u64>,
    vault: Address,
    ours_balance_gwei: u64,
) -> io::Result<()> {
    write_validators_with(out, total, |index| ours.contains(&index), vault, ours_balance_gwei)
}

/// [`write_validators`] with a predicate choosing the vault's validators, for large fixtures
/// where a set of indices would be wasteful (e.g. `|index| index % 97 == 0`).
///
/// # Errors
///
/// Write errors of `out`.
pub fn write_validators_with(
    out: impl Write,
    total: u64,
    mut is_ours: impl FnMut(u64) -> bool,
    vault: Address,
    ours_balance_gwei: u64,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    out.write_all(br#"{"execution_optimistic":false,"finalized":true,"data":["#)?;
    let mut near_miss = vault;
    near_miss[19] ^= 1;
    let mut line = Vec::with_capacity(512);
    for index in 0..total {
        line.clear();
        let mut random = SplitMix(index);
        let mut credentials = [0u8; 32];
        let (status, balance) = if is_ours(index) {
            credentials[0] = 0x01;
            credentials[12..].copy_from_slice(vault.as_slice());
            (OUR_STATUSES[(index % OUR_STATUSES.len() as u64) as usize], ours_balance_gwei)
        } else {
            match index % 3 {
                0 => credentials[12..].copy_from_slice(vault.as_slice()),
                1 => {
                    credentials[0] = 0x01;
                    credentials[12..].copy_from_slice(near_miss.as_slice());
                }
                _ => {
                    credentials[0] = 0x02;
                    let mut other = [0u8; 20];
                    random.fill(&mut other);
                    if other == vault.into_array() {
                        other[0] ^= 1;
                    }
                    credentials[12..].copy_from_slice(&other);
                }
            }
            // Most of mainnet is active; a few exited ones keep the other branches exercised.
            let status =
                if random.next().is_multiple_of(16) { Status::Exited } else { Status::Active };
            (status, OTHERS_BALANCE_GWEI)
        };
        let mut pubkey = [0u8; 48];
        random.fill(&mut pubkey);
        // Compressed BLS points have the top bit set (and mainnet's mostly start 0x8-0xb).
        pubkey[0] = 0x80 | (pubkey[0] & 0x3f);
        let effective = (balance - balance % 1_000_000_000).min(MAX_EFFECTIVE_BALANCE_GWEI);
        let epochs = status.epochs(index);

        if index > 0 {
            line.push(b',');
        }
        write!(line, r#"{{"index":"{index}","balance":"{balance}","status":"{}","#, status.name())?;
        line.extend_from_slice(br#""validator":{"pubkey":""#);
        push_hex(&mut line, &pubkey);
        line.extend_from_slice(br#"","withdrawal_credentials":""#);
        push_hex(&mut line, &credentials);
        write!(
            line,
            concat!(
                r#"","effective_balance":"{}","slashed":false,"#,
                r#""activation_eligibility_epoch":"{}","activation_epoch":"{}","#,
                r#""exit_epoch":"{}","withdrawable_epoch":"{}"}}}}"#
            ),
            effective, epochs[0], epochs[1], epochs[2], epochs[3]
        )?;
        out.write_all(&line)?;
    }
    out.write_all(b"]}")?;
    out.flush()
}

/// Validator statuses of the beacon API, as the fixtures use them.
#[derive(Clone, Copy)]
enum Status {
    Pending,
    Active,
    Exiting,
    Exited,
    Withdrawn,
}

/// The vault's validators cycle through every status: all of them count.
const OUR_STATUSES: [Status; 5] =
    [Status::Active, Status::Pending, Status::Exiting, Status::Exited, Status::Withdrawn];

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending_queued",
            Status::Active => "active_ongoing",
            Status::Exiting => "active_exiting",
            Status::Exited => "exited_unslashed",
            Status::Withdrawn => "withdrawal_done",
        }
    }

    /// Activation eligibility, activation, exit and withdrawable epochs fitting the status.
    fn epochs(self, index: u64) -> [u64; 4] {
        let activated = index / 64;
        let exit = 200_000 + index % 1_000;
        match self {
            Status::Pending => [300_000, FAR_FUTURE_EPOCH, FAR_FUTURE_EPOCH, FAR_FUTURE_EPOCH],
            Status::Active => [activated, activated + 4, FAR_FUTURE_EPOCH, FAR_FUTURE_EPOCH],
            Status::Exiting | Status::Exited | Status::Withdrawn => {
                [activated, activated + 4, exit, exit + 256]
            }
        }
    }
}

/// A small deterministic generator (SplitMix64), so fixtures need no `rand`.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Appends `0x` and the lowercase hex of `bytes`.
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"0x");
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0xf)]);
    }
}

/// 32 bytes of hex derived from a seed, for roots and signatures.
fn fake_hex(seed: u64, len: usize) -> String {
    let mut bytes = vec![0u8; len];
    SplitMix(seed).fill(&mut bytes);
    let mut out = Vec::with_capacity(2 + 2 * len);
    push_hex(&mut out, &bytes);
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of `genesis.json` (`GET /eth/v1/beacon/genesis`) for a genesis time.
pub fn genesis_json(genesis_time: u64) -> String {
    format!(
        r#"{{"data":{{"genesis_time":"{genesis_time}","genesis_validators_root":"{}","genesis_fork_version":"0x00000000"}}}}"#,
        fake_hex(genesis_time, 32)
    )
}

/// The text of `headers_finalized.json` (`GET /eth/v1/beacon/headers/finalized`) for a
/// finalized slot.
pub fn finalized_header_json(slot: u64) -> String {
    format!(
        concat!(
            r#"{{"execution_optimistic":false,"finalized":true,"data":{{"root":"{}","canonical":true,"#,
            r#""header":{{"message":{{"slot":"{}","proposer_index":"{}","parent_root":"{}","#,
            r#""state_root":"{}","body_root":"{}"}},"signature":"{}"}}}}}}"#
        ),
        fake_hex(slot, 32),
        slot,
        slot % 1_000_000,
        fake_hex(slot.wrapping_sub(1), 32),
        fake_hex(slot ^ 0x5555, 32),
        fake_hex(slot ^ 0xaaaa, 32),
        fake_hex(slot ^ 0xffff, 96),
    )
}

/// Stops the server of [`serve`] when dropped (after the request in progress, if any).
#[derive(Debug)]
pub struct ServerGuard {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // `accept` blocks until a connection arrives: make one so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A one-thread HTTP/1.1 server on `127.0.0.1:0` serving the files of `dir` at the beacon API
/// paths of [`super::BeaconSource::Dir`] (`genesis.json` at `/eth/v1/beacon/genesis`, and so
/// on), and 404 with a beacon-node-like JSON body otherwise. Returns its base URL
/// (`http://127.0.0.1:<port>`) and a guard that stops it on drop. One connection at a time,
/// `Connection: close`: enough for tests of [`super::BeaconSource::Url`].
///
/// # Panics
///
/// If no local port can be bound (a fixture has no better way to fail).
pub fn serve(dir: PathBuf) -> (String, ServerGuard) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port for the fixture");
    let address = listener.local_addr().expect("the fixture listener's address");
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            if thread_stop.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(stream) = stream {
                // A client hanging up mid-response is the client's business.
                let _ = answer(stream, &dir);
            }
        }
    });
    (format!("http://{address}"), ServerGuard { address, stop, thread: Some(thread) })
}

/// Answers one request on `stream`.
fn answer(stream: TcpStream, dir: &Path) -> io::Result<()> {
    // A client that never finishes its request must not wedge the only thread.
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 0 && header != "\r\n" && header != "\n" {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let file = if method == "GET" { file_for(path) } else { None };
    let mut out = BufWriter::with_capacity(1 << 16, stream);
    match file.map(|name| dir.join(name)).and_then(|path| std::fs::File::open(path).ok()) {
        Some(mut file) => {
            let length = file.metadata()?.len();
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            )?;
            io::copy(&mut file, &mut out)?;
        }
        None => {
            let body = format!(r#"{{"code":404,"message":"NOT_FOUND: {path}"}}"#);
            write!(
                out,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
    }
    out.flush()
}

/// The file answering a beacon API path, if it is one the fixtures serve.
fn file_for(path: &str) -> Option<String> {
    match path {
        GENESIS_PATH => Some("genesis.json".into()),
        FINALIZED_HEADER_PATH => Some("headers_finalized.json".into()),
        _ => {
            let slot = path.strip_prefix("/eth/v1/beacon/states/")?.strip_suffix("/validators")?;
            // Digits only: nothing but a slot may reach the file name.
            super::parse_decimal(slot).map(validators_file)
        }
    }
}
