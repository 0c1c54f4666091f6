//! Benchmarks the streaming validators reader: writes a mainnet-sized validators response
//! (1,000,000 validators by default, `--validators N` to change) to the temporary directory,
//! times `summarize` over it, and prints the process's peak memory.
//!
//! Run it in a release build: `cargo run --release -p tidepool-committee --bin committee-bench`.

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use alloy_primitives::{address, Address};
use tidepool_committee::beacon::{fixtures, summarize, Ownership, ValidatorSummary};

/// The vault the fixture's validators point at.
const VAULT: Address = address!("7a1d000000000000000000000000000000000001");
/// Every this many validators is the vault's.
const OURS_EVERY: u64 = 97;
/// Each of the vault's validators' balance: a little over 32 ETH, as after rewards.
const OURS_BALANCE_GWEI: u64 = 32_012_345_678;

fn main() -> Result<(), Box<dyn Error>> {
    let total = parse_args()?;
    let path = std::env::temp_dir().join(format!("committee-bench-{}.json", std::process::id()));
    let _remove = RemoveOnDrop(path.clone());

    let start = Instant::now();
    let file = File::create(&path)?;
    fixtures::write_validators_with(
        BufWriter::new(file),
        total,
        |index| index.is_multiple_of(OURS_EVERY),
        VAULT,
        OURS_BALANCE_GWEI,
    )?;
    let generated = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "fixture: {total} validators, {:.1} MB ({} bytes) in {generated:.2} s -> {}",
        size as f64 / 1e6,
        size,
        path.display()
    );

    let start = Instant::now();
    let mut reports = 0u64;
    let summary =
        summarize(File::open(&path)?, &Ownership::credentials(VAULT), &mut |_| reports += 1)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "summarize: {seconds:.2} s, {:.0} validators/s, {:.0} MB/s ({reports} progress reports)",
        total as f64 / seconds,
        size as f64 / 1e6 / seconds
    );
    println!(
        "found: {} of {} validators, {} gwei",
        summary.validators, summary.scanned, summary.balance_gwei
    );

    let ours = total.div_ceil(OURS_EVERY);
    let expected = ValidatorSummary {
        scanned: total,
        validators: ours,
        balance_gwei: ours * OURS_BALANCE_GWEI,
        ..ValidatorSummary::default()
    };
    if summary != expected {
        return Err(format!("wrong summary: got {summary:?}, expected {expected:?}").into());
    }

    match peak_memory() {
        Some(peak) => println!("peak memory (VmHWM): {peak}"),
        None => println!("peak memory: unknown (no VmHWM in /proc/self/status)"),
    }
    Ok(())
}

fn parse_args() -> Result<u64, Box<dyn Error>> {
    let mut total = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--validators" => {
                let value = args.next().ok_or("--validators needs a number")?;
                total =
                    value.parse().map_err(|_| format!("--validators: not a number: {value}"))?;
            }
            "-h" | "--help" => {
                println!("usage: committee-bench [--validators N]   (default 1000000)");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other} (try --help)").into()),
        }
    }
    Ok(total)
}

/// The `VmHWM` line of `/proc/self/status` (Linux): the most resident memory the process had.
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}

/// The fixture is hundreds of megabytes: never leave it behind, even on error.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
