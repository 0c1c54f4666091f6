//! The workspace and its programs: the table in `crates/programs` checked against what
//! `cargo metadata` says, so a program crate missing from the table (or a row without its
//! crate) stops every command that builds, exports or deploys.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tidepool_programs::{ContractSpec, ProgramSpec, CONTRACTS};

/// Where the contract crates live, relative to the workspace root.
pub const CONTRACTS_DIR: &str = "contracts";

/// The feature that builds a contract's export-abi binary.
pub const EXPORT_ABI_FEATURE: &str = "export-abi";

/// The crate an export-abi binary must use for `tidepool abi` to understand it.
pub const ABI_EXPORT_CRATE: &str = "tidepool-abi-export";

/// A program of the table, found in the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Its row of the table.
    pub spec: &'static ProgramSpec,
    /// Its contract's row.
    pub contract: &'static ContractSpec,
    /// The `cdylib` target's name, e.g. `tidepool_vault_program` (the wasm file's stem).
    pub lib_name: String,
}

impl Program {
    /// The program's name, e.g. `pool-accounting`.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }
}

/// The workspace root and the programs of the table.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace root directory.
    pub root: PathBuf,
    /// Every program, in table order.
    pub programs: Vec<Program>,
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

impl Target {
    fn is(&self, kind: &str) -> bool {
        self.kind.iter().any(|k| k == kind)
    }
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

    /// Reads `cargo metadata --format-version 1` output and checks it against the table:
    /// every program's crate is a workspace member in the table's directory with a `cdylib`
    /// target, every `cdylib` under `contracts/` is a program of the table, and every
    /// contract's export-abi binary exists.
    pub fn from_metadata(json: &str) -> Result<Self> {
        let metadata: Metadata =
            serde_json::from_str(json).context("parsing `cargo metadata` output")?;
        let root = metadata.workspace_root;
        let members: BTreeMap<&str, &Package> = metadata
            .packages
            .iter()
            .filter(|p| metadata.workspace_members.contains(&p.id))
            .map(|p| (p.name.as_str(), p))
            .collect();
        let mut problems = Vec::new();

        let mut programs = Vec::new();
        for contract in &CONTRACTS {
            for spec in contract.programs {
                let Some(package) = members.get(spec.package) else {
                    problems.push(format!(
                        "program {}: no workspace member named {} (crates/programs lists it \
                         at {})",
                        spec.name, spec.package, spec.dir
                    ));
                    continue;
                };
                if package.manifest_path.parent() != Some(root.join(spec.dir).as_path()) {
                    problems.push(format!(
                        "program {}: {} is at {}, the table says {}",
                        spec.name,
                        spec.package,
                        package.manifest_path.display(),
                        spec.dir
                    ));
                }
                match package.targets.iter().find(|t| t.is("cdylib")) {
                    Some(lib) => programs.push(Program {
                        spec,
                        contract,
                        lib_name: lib.name.replace('-', "_"),
                    }),
                    None => problems.push(format!(
                        "program {}: {} has no cdylib target",
                        spec.name, spec.package
                    )),
                }
            }
            problems.extend(check_abi_binary(contract, &members));
        }

        let contracts_dir = root.join(CONTRACTS_DIR);
        for package in members.values() {
            let under_contracts =
                package.manifest_path.parent().is_some_and(|dir| dir.starts_with(&contracts_dir));
            let builds_wasm = package.targets.iter().any(|t| t.is("cdylib"));
            let listed =
                CONTRACTS.iter().flat_map(|c| c.programs).any(|p| p.package == package.name);
            if under_contracts && builds_wasm && !listed {
                problems.push(format!(
                    "{} ({}) builds a program that the table in crates/programs does not list",
                    package.name,
                    package.manifest_path.display()
                ));
            }
        }
        if !problems.is_empty() {
            bail!("the program table and the workspace disagree:\n  {}", problems.join("\n  "));
        }
        Ok(Self { root, programs })
    }

    /// The programs of the contract named `contract`, or the program named `program`, or
    /// (neither given) all of them.
    pub fn select(&self, contract: Option<&str>, program: Option<&str>) -> Result<Vec<&Program>> {
        let names = |items: Vec<&str>| items.join(", ");
        match (contract, program) {
            (Some(_), Some(_)) => bail!("give a contract or a program, not both"),
            (Some(name), None) => {
                let selected: Vec<&Program> =
                    self.programs.iter().filter(|p| p.contract.name == name).collect();
                if selected.is_empty() {
                    bail!(
                        "no contract named `{name}`; the contracts are: {}",
                        names(CONTRACTS.iter().map(|c| c.name).collect())
                    );
                }
                Ok(selected)
            }
            (None, Some(name)) => match self.programs.iter().find(|p| p.name() == name) {
                Some(program) => Ok(vec![program]),
                None => bail!(
                    "no program named `{name}`; the programs are: {}",
                    names(self.programs.iter().map(Program::name).collect())
                ),
            },
            (None, None) => Ok(self.programs.iter().collect()),
        }
    }
}

/// Why `contract`'s export-abi binary cannot be run, if it cannot.
fn check_abi_binary(contract: &ContractSpec, members: &BTreeMap<&str, &Package>) -> Vec<String> {
    let Some(package) = members.get(contract.package) else {
        return vec![format!(
            "contract {}: its crate {} is not a workspace member",
            contract.name, contract.package
        )];
    };
    let mut problems = Vec::new();
    let bin = package.targets.iter().find(|t| t.is("bin") && t.name == contract.abi_bin);
    if !bin.is_some_and(|b| b.required_features.iter().any(|f| f == EXPORT_ABI_FEATURE)) {
        problems.push(format!(
            "contract {}: {} has no binary {} behind its `{EXPORT_ABI_FEATURE}` feature",
            contract.name, contract.package, contract.abi_bin
        ));
    }
    if !package.dependencies.iter().any(|d| d.name == ABI_EXPORT_CRATE) {
        problems.push(format!(
            "contract {}: {} does not use {ABI_EXPORT_CRATE} (see README, \"Adding a contract\")",
            contract.name, contract.package
        ));
    }
    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Metadata of a workspace at `/ws` holding every crate of the table, plus `extra`.
    fn metadata(skip: Option<&str>, extra: &[(&str, &str)]) -> String {
        let mut packages = Vec::new();
        let mut add = |name: &str, dir: &str, targets: String, deps: &str| {
            packages.push(format!(
                r#"{{"id": "{name}", "name": "{name}", "manifest_path": "/ws/{dir}/Cargo.toml",
                    "targets": [{targets}], "dependencies": [{deps}]}}"#
            ));
        };
        let lib = |name: &str, kind: &str| {
            format!(r#"{{"name": "{}", "kind": ["{kind}"]}}"#, name.replace('-', "_"))
        };
        for contract in &CONTRACTS {
            for p in contract.programs.iter().filter(|p| Some(p.package) != skip) {
                add(p.package, p.dir, lib(p.package, "cdylib"), "");
            }
            let bin = format!(
                r#"{{"name": "{}", "kind": ["bin"], "required-features": ["export-abi"]}}"#,
                contract.abi_bin
            );
            add(
                contract.package,
                &format!("contracts/{}", contract.name),
                format!("{}, {bin}", lib(contract.package, "lib")),
                r#"{"name": "tidepool-abi-export"}"#,
            );
        }
        for (name, dir) in extra {
            add(name, dir, lib(name, "cdylib"), "");
        }
        add("tidepool-math", "crates/math", lib("tidepool-math", "lib"), "");
        let ids: Vec<String> = packages
            .iter()
            .map(|p| p.split('"').nth(3).unwrap().to_string())
            .map(|id| format!("\"{id}\""))
            .collect();
        format!(
            r#"{{"packages": [{}], "workspace_root": "/ws", "workspace_members": [{}],
                "version": 1}}"#,
            packages.join(", "),
            ids.join(", ")
        )
    }

    #[test]
    fn finds_every_program_of_the_table() {
        let ws = Workspace::from_metadata(&metadata(None, &[])).unwrap();
        assert_eq!(ws.root, PathBuf::from("/ws"));
        let names: Vec<&str> = ws.programs.iter().map(Program::name).collect();
        let table: Vec<&str> = tidepool_programs::Program::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names, table);
        let vault = &ws.select(None, Some("vault")).unwrap()[0];
        assert_eq!(vault.lib_name, vault.spec.lib_name());
    }

    #[test]
    fn a_program_missing_from_the_table_or_the_workspace_is_an_error() {
        let extra = [("tidepool-stray-program", "contracts/vault/programs/stray")];
        let err = Workspace::from_metadata(&metadata(None, &extra)).unwrap_err().to_string();
        assert!(err.contains("tidepool-stray-program"), "{err}");
        assert!(err.contains("does not list"), "{err}");
        let vault = tidepool_programs::Program::Vault.spec().package;
        let err = Workspace::from_metadata(&metadata(Some(vault), &[])).unwrap_err().to_string();
        assert!(err.contains(&format!("no workspace member named {vault}")), "{err}");
    }

    #[test]
    fn the_table_matches_this_workspace() {
        Workspace::load().unwrap();
    }

    #[test]
    fn selects_by_contract_or_program() {
        let ws = Workspace::from_metadata(&metadata(None, &[])).unwrap();
        assert_eq!(ws.select(None, None).unwrap().len(), tidepool_programs::Program::ALL.len());
        let oracle: Vec<&str> =
            ws.select(Some("oracle"), None).unwrap().iter().map(|p| p.name()).collect();
        assert_eq!(oracle, ["oracle", "oracle-admin"]);
        assert_eq!(ws.select(None, Some("oracle")).unwrap().len(), 1);
        let err = ws.select(Some("nothing"), None).unwrap_err().to_string();
        assert!(err.contains("pool, vault"), "{err}");
        let err = ws.select(None, Some("nothing")).unwrap_err().to_string();
        assert!(err.contains("pool, pool-accounting"), "{err}");
        assert!(ws.select(Some("oracle"), Some("oracle")).is_err());
    }
}
