//! The workspace and its contracts, as `cargo metadata` describes them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Where the contract crates live, relative to the workspace root.
pub const CONTRACTS_DIR: &str = "contracts";

/// The feature that builds a contract's export-abi binary.
pub const EXPORT_ABI_FEATURE: &str = "export-abi";

/// The crate an export-abi binary must use for `tidepool abi` to understand it.
pub const ABI_EXPORT_CRATE: &str = "tidepool-abi-export";

/// A contract crate: a workspace member under `contracts/` with a `cdylib` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Directory name under `contracts/`, e.g. `vault`: the name used on the command line
    /// and for `target/wasm/<name>.wasm`.
    pub name: String,
    /// Cargo package, e.g. `tidepool-vault`.
    pub package: String,
    /// Library target name, e.g. `tidepool_vault` (the wasm file's stem).
    pub lib_name: String,
    /// The binary that prints the ABI, if the crate has one behind the `export-abi` feature.
    pub abi_bin: Option<String>,
    /// Whether the crate depends on [`ABI_EXPORT_CRATE`] (so its binary takes `--sol` and
    /// `--json` rather than printing stylus-sdk's bare interface).
    pub uses_abi_export: bool,
}

/// The workspace root and its contracts, sorted by name.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace root directory.
    pub root: PathBuf,
    /// Contract crates, sorted by name.
    pub contracts: Vec<Contract>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_root: PathBuf,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    #[serde(default)]
    features: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    #[serde(default, rename = "required-features")]
    required_features: Vec<String>,
}

/// The cargo to run: the one that launched us when run through `cargo run`, else `cargo`.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

impl Workspace {
    /// Reads the workspace around the current directory with `cargo metadata`.
    pub fn load() -> Result<Self> {
        let output = Command::new(cargo())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .stderr(Stdio::inherit())
            .output()
            .context("running `cargo metadata`")?;
        if !output.status.success() {
            bail!("`cargo metadata` failed ({})", output.status);
        }
        let json = String::from_utf8(output.stdout).context("`cargo metadata` output")?;
        Self::from_metadata(&json)
    }

    /// Reads `cargo metadata --format-version 1` output.
    pub fn from_metadata(json: &str) -> Result<Self> {
        let metadata: Metadata =
            serde_json::from_str(json).context("parsing `cargo metadata` output")?;
        let contracts_dir = metadata.workspace_root.join(CONTRACTS_DIR);
        let mut contracts = Vec::new();
        for package in &metadata.packages {
            if !metadata.workspace_members.contains(&package.id) {
                continue;
            }
            let Some(dir) = package.manifest_path.parent() else { continue };
            if !dir.starts_with(&contracts_dir) {
                continue;
            }
            let Some(lib) = package.targets.iter().find(|t| t.kind.iter().any(|k| k == "cdylib"))
            else {
                continue;
            };
            let abi_bin = package
                .features
                .contains_key(EXPORT_ABI_FEATURE)
                .then(|| {
                    package.targets.iter().find(|t| {
                        t.kind.iter().any(|k| k == "bin")
                            && t.required_features.iter().any(|f| f == EXPORT_ABI_FEATURE)
                    })
                })
                .flatten()
                .map(|t| t.name.clone());
            contracts.push(Contract {
                name: dir_name(dir)?,
                package: package.name.clone(),
                lib_name: lib.name.replace('-', "_"),
                abi_bin,
                uses_abi_export: package.dependencies.iter().any(|d| d.name == ABI_EXPORT_CRATE),
            });
        }
        contracts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { root: metadata.workspace_root, contracts })
    }

    /// All contracts, or the one named (by directory or package name).
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&Contract>> {
        if self.contracts.is_empty() {
            bail!("no contract crates (members with a cdylib target under {CONTRACTS_DIR}/)");
        }
        let Some(name) = name else { return Ok(self.contracts.iter().collect()) };
        match self.contracts.iter().find(|c| c.name == name || c.package == name) {
            Some(contract) => Ok(vec![contract]),
            None => bail!(
                "no contract named `{name}`; the contracts are: {}",
                self.contracts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

fn dir_name(dir: &Path) -> Result<String> {
    dir.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("contract directory {} has no UTF-8 name", dir.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn metadata() -> String {
        let package = |name: &str, dir: &str, kinds: &str, abi: bool| {
            let features = if abi { r#"{"export-abi": []}"# } else { "{}" };
            let deps = if abi { r#"[{"name": "tidepool-abi-export"}]"# } else { "[]" };
            let bin = if abi {
                format!(
                    r#",{{"name": "{name}-abi", "kind": ["bin"], "required-features": ["export-abi"]}}"#
                )
            } else {
                String::new()
            };
            format!(
                r#"{{"id": "{name}", "name": "{name}", "manifest_path": "/ws/{dir}/Cargo.toml",
                    "targets": [{{"name": "{lib}", "kind": {kinds}}}{bin}],
                    "features": {features}, "dependencies": {deps}}}"#,
                lib = name.replace('-', "_")
            )
        };
        format!(
            r#"{{"packages": [{}, {}, {}, {}], "workspace_root": "/ws",
                "workspace_members": ["tidepool-vault", "tidepool-withdrawal-queue", "tidepool-math", "tidepool-stub"],
                "version": 1}}"#,
            package("tidepool-vault", "contracts/vault", r#"["lib", "cdylib"]"#, true),
            package(
                "tidepool-withdrawal-queue",
                "contracts/withdrawal-queue",
                r#"["cdylib"]"#,
                false
            ),
            package("tidepool-math", "crates/math", r#"["lib"]"#, false),
            package("tidepool-stub", "contracts/stub", r#"["lib"]"#, false),
        )
    }

    #[test]
    fn finds_contracts_under_contracts_dir() {
        let ws = Workspace::from_metadata(&metadata()).unwrap();
        assert_eq!(ws.root, PathBuf::from("/ws"));
        assert_eq!(
            ws.contracts,
            [
                Contract {
                    name: "vault".into(),
                    package: "tidepool-vault".into(),
                    lib_name: "tidepool_vault".into(),
                    abi_bin: Some("tidepool-vault-abi".into()),
                    uses_abi_export: true,
                },
                Contract {
                    name: "withdrawal-queue".into(),
                    package: "tidepool-withdrawal-queue".into(),
                    lib_name: "tidepool_withdrawal_queue".into(),
                    abi_bin: None,
                    uses_abi_export: false,
                },
            ]
        );
    }

    #[test]
    fn selects_by_directory_or_package() {
        let ws = Workspace::from_metadata(&metadata()).unwrap();
        assert_eq!(ws.select(None).unwrap().len(), 2);
        assert_eq!(ws.select(Some("vault")).unwrap()[0].package, "tidepool-vault");
        assert_eq!(ws.select(Some("tidepool-vault")).unwrap()[0].name, "vault");
        let err = ws.select(Some("pool")).unwrap_err().to_string();
        assert!(err.contains("vault, withdrawal-queue"), "{err}");
    }
}
