//! `tidepool abi`: the checked-in interface files under `abi/`.
//!
//! Each contract of the table (`crates/programs`) has one export-abi binary (see README,
//! "Adding a contract") that prints its Solidity interface, merged over its programs, with
//! `--sol` and its JSON ABI with `--json`; this writes them to `abi/I<Name>.sol` and
//! `abi/<Name>.json`, or with `--check` fails if they differ.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tidepool_programs::{ContractSpec, CONTRACTS};

use crate::workspace::{cargo, Workspace, EXPORT_ABI_FEATURE};

/// The directory of generated ABI files, relative to the workspace root.
pub const ABI_DIR: &str = "abi";

/// Arguments of `tidepool abi`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare the generated files with abi/ instead of writing them; fail listing any
    /// that are stale, missing or produced by no contract.
    #[arg(long)]
    pub check: bool,
}

/// A file `tidepool abi` produces.
#[derive(Debug, PartialEq, Eq)]
struct Generated {
    path: PathBuf,
    contents: String,
}

/// Generates every contract's ABI files and writes or checks them.
pub fn run(args: &Args) -> Result<()> {
    // Checks that every contract's export-abi binary exists.
    let ws = Workspace::load()?;
    let exporters = build_exporters(&ws.root)?;
    let mut generated = Vec::new();
    for contract in &CONTRACTS {
        let exe = exporters.get(contract.abi_bin).with_context(|| {
            format!("{}: cargo built no binary {}", contract.name, contract.abi_bin)
        })?;
        generated.extend(contract_files(&ws.root, contract, exe)?);
    }
    let abi_dir = ws.root.join(ABI_DIR);
    if args.check {
        let problems = check(&abi_dir, &generated)?;
        if !problems.is_empty() {
            bail!(
                "ABI files are out of date (run `cargo run -p tidepool-cli -- abi` and commit):\n  {}",
                problems.join("\n  ")
            );
        }
        println!("abi: {} files up to date", generated.len());
        return Ok(());
    }
    fs::create_dir_all(&abi_dir).with_context(|| format!("creating {}", abi_dir.display()))?;
    for file in &generated {
        let shown = relative(&ws.root, &file.path);
        if fs::read_to_string(&file.path).ok().as_deref() == Some(file.contents.as_str()) {
            println!("abi: {shown} unchanged");
        } else {
            fs::write(&file.path, &file.contents)
                .with_context(|| format!("writing {}", file.path.display()))?;
            println!("abi: wrote {shown}");
        }
    }
    Ok(())
}

/// Builds every contract's export-abi binary in one cargo invocation and returns each
/// binary's path by name. One invocation resolves features once, so the dependencies the
/// exporters share are compiled once rather than once per contract (each `cargo run -p X
/// --features export-abi` resolved its own feature set and rebuilt them).
fn build_exporters(root: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root).args(["build", "-q", "--message-format=json-render-diagnostics"]);
    for contract in &CONTRACTS {
        cmd.args(["-p", contract.package, "--bin", contract.abi_bin])
            .args(["--features", &format!("{}/{EXPORT_ABI_FEATURE}", contract.package)]);
    }
    let output = cmd.stderr(Stdio::inherit()).output().context("running cargo")?;
    if !output.status.success() {
        bail!("building the export-abi binaries failed ({})", output.status);
    }
    let stdout = String::from_utf8(output.stdout).context("cargo's output is not UTF-8")?;
    executables(&stdout)
}

/// A line of cargo's JSON messages; only built artifacts with an executable matter here.
#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
}

/// The executables named in cargo's `--message-format=json` output, by target name.
fn executables(json_lines: &str) -> Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    for line in json_lines.lines().filter(|l| l.starts_with('{')) {
        let message: Message = serde_json::from_str(line).context("reading cargo's messages")?;
        if let (true, Some(target), Some(exe)) =
            (message.reason == "compiler-artifact", message.target, message.executable)
        {
            found.insert(target.name, exe);
        }
    }
    Ok(found)
}

/// Runs the contract's export-abi binary for both formats.
fn contract_files(root: &Path, contract: &ContractSpec, exe: &Path) -> Result<Vec<Generated>> {
    let sol = export(root, contract, exe, "--sol")?;
    let json = export(root, contract, exe, "--json")?;
    let interface = interface_name(&sol).with_context(|| {
        format!("{}: the Solidity output declares no `interface I<Name>`", contract.name)
    })?;
    let name = &interface[1..];
    let dir = root.join(ABI_DIR);
    Ok(vec![
        Generated { path: dir.join(format!("{interface}.sol")), contents: sol },
        Generated { path: dir.join(format!("{name}.json")), contents: json },
    ])
}

fn export(root: &Path, contract: &ContractSpec, exe: &Path, flag: &str) -> Result<String> {
    let output = Command::new(exe)
        .current_dir(root)
        .arg(flag)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !output.status.success() {
        bail!("{}: `{} {flag}` failed ({})", contract.name, contract.abi_bin, output.status);
    }
    String::from_utf8(output.stdout)
        .with_context(|| format!("{}: output is not UTF-8", contract.name))
}

/// `interface IVault {` → `IVault`.
fn interface_name(sol: &str) -> Option<String> {
    let line = sol.lines().find_map(|l| l.strip_prefix("interface "))?;
    let name: String =
        line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$').collect();
    (name.len() > 1 && name.starts_with('I')).then_some(name)
}

/// Differences between `generated` and the directory: stale, missing, and orphaned files
/// (`.sol`/`.json` files no contract produces).
fn check(abi_dir: &Path, generated: &[Generated]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for file in generated {
        let name = file_name(&file.path);
        match fs::read_to_string(&file.path) {
            Ok(existing) if existing == file.contents => {}
            Ok(_) => problems.push(format!("{ABI_DIR}/{name} is stale")),
            Err(_) => problems.push(format!("{ABI_DIR}/{name} is missing")),
        }
    }
    let expected: BTreeSet<String> = generated.iter().map(|f| file_name(&f.path)).collect();
    if abi_dir.is_dir() {
        let mut orphans = Vec::new();
        for entry in
            fs::read_dir(abi_dir).with_context(|| format!("reading {}", abi_dir.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let generated_kind = name.ends_with(".sol") || name.ends_with(".json");
            if generated_kind && !expected.contains(&name) {
                orphans.push(format!("{ABI_DIR}/{name} is produced by no contract"));
            }
        }
        orphans.sort();
        problems.extend(orphans);
    }
    Ok(problems)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_interface_name() {
        let sol = "// SPDX\npragma solidity ^0.8.23;\n\ninterface IVault {\n}\n";
        assert_eq!(interface_name(sol).as_deref(), Some("IVault"));
        assert_eq!(interface_name("interface IPool is IERC20 {").as_deref(), Some("IPool"));
        assert_eq!(interface_name("contract Vault {}"), None);
        assert_eq!(interface_name("interface Vault {}"), None);
    }

    #[test]
    fn executables_come_from_built_artifacts_only() {
        let lines = [
            r#"{"reason":"compiler-artifact","target":{"name":"tidepool-math"},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"tidepool-pool-abi"},"executable":"/t/debug/tidepool-pool-abi"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        let found = executables(&lines).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["tidepool-pool-abi"], PathBuf::from("/t/debug/tidepool-pool-abi"));
        assert!(executables("{not json").is_err());
    }

    #[test]
    fn check_reports_stale_missing_and_orphaned() {
        let dir = std::env::temp_dir().join(format!("tidepool-abi-check-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("IVault.sol"), "same").unwrap();
        fs::write(dir.join("Vault.json"), "old").unwrap();
        fs::write(dir.join("IGone.sol"), "x").unwrap();
        fs::write(dir.join("README.md"), "not generated").unwrap();
        let generated = [
            Generated { path: dir.join("IVault.sol"), contents: "same".into() },
            Generated { path: dir.join("Vault.json"), contents: "new".into() },
            Generated { path: dir.join("Pool.json"), contents: "[]".into() },
        ];
        let problems = check(&dir, &generated).unwrap();
        assert_eq!(
            problems,
            [
                "abi/Vault.json is stale",
                "abi/Pool.json is missing",
                "abi/IGone.sol is produced by no contract"
            ]
        );
        fs::write(dir.join("Vault.json"), "new").unwrap();
        fs::write(dir.join("Pool.json"), "[]").unwrap();
        fs::remove_file(dir.join("IGone.sol")).unwrap();
        assert!(check(&dir, &generated).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
