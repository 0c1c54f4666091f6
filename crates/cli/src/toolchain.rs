//! Which toolchain builds wasm here, and the cargo command for it.
//!
//! Preferred: rustup's toolchain with the `wasm32-unknown-unknown` target. Otherwise Debian's
//! second toolchain (`rustc-web`: `/usr/bin/rustc` and `/usr/bin/cargo` with the library
//! sources, plus `rust-lld`), which `scripts/setup.sh` installs, building the standard library
//! from source with `-Zbuild-std`.
//!
//! The wasm flags live in `.cargo/config.toml` (`[target.wasm32-unknown-unknown] rustflags`);
//! a `RUSTFLAGS` variable would replace them, so it is removed for the build.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

/// The wasm target.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The cargo profile contracts are built with (root `Cargo.toml`).
pub const PROFILE: &str = "contract";

/// Target directory of wasm builds, relative to the workspace root (kept apart from the
/// native `target/` so the two toolchains do not invalidate each other's builds).
pub const WASM_TARGET_DIR: &str = "target/wasm";

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUST_SRC: &str = "/usr/lib/rustlib/src/rust/library";
const LINKER: &str = "rust-lld";

/// Cargo variable that puts a hash in the names of path packages' `cdylib` outputs (and of the
/// `rlib` built beside them), as it already does for every other library. Without it a contract
/// crate built as a contract (with its `contract` feature) and as another contract's dependency
/// (without it) writes the same `deps/` files and the same fingerprint: each build undoes the
/// other, and a second `tidepool build` recompiled eight of the eleven contracts (218 s of CPU)
/// instead of none. Rust's own bootstrap sets it for the same reason; the value only seeds the
/// hash.
const LIB_METADATA: (&str, &str) = ("__CARGO_DEFAULT_LIB_METADATA", "tidepool");

/// `-Zbuild-std` crates: `std` (a dependency, memchr, needs it) and the abort runtime.
const BUILD_STD: &str = "-Zbuild-std=std,panic_abort";

/// The config's flags minus `-Cpanic=immediate-abort`, which needs a rebuilt standard library.
const FLAGS_WITHOUT_BUILD_STD: &str =
    "-C link-arg=-zstack-size=32768 -C target-cpu=mvp -C target-feature=+bulk-memory";

/// A toolchain able to build `wasm32-unknown-unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// rustup's, with the wasm target; `build_std` when its `rust-src` component is there.
    Rustup {
        /// Whether the standard library is rebuilt (needed for immediate-abort panics).
        build_std: bool,
    },
    /// Debian's `rustc-web` toolchain, always with `-Zbuild-std`.
    Debian,
}

impl Toolchain {
    /// Finds the toolchain to use from the workspace `root` (where `rust-toolchain.toml`
    /// selects rustup's toolchain).
    pub fn detect(root: &Path) -> Result<Self> {
        if rustup_lists(root, &["target", "list", "--installed"], WASM_TARGET) {
            let build_std = rustup_lists(root, &["component", "list", "--installed"], "rust-src");
            return Ok(Self::Rustup { build_std });
        }
        let debian =
            [DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_RUST_SRC].iter().all(|p| Path::new(p).exists());
        if debian && find_on_path(LINKER).is_some() {
            return Ok(Self::Debian);
        }
        bail!(
            "no toolchain can build {WASM_TARGET}: rustup has no {WASM_TARGET} target and \
             Debian's rustc-web toolchain ({DEBIAN_RUSTC}, {DEBIAN_CARGO}, {DEBIAN_RUST_SRC}, \
             {LINKER}) is not installed. Run scripts/setup.sh, which installs what is missing."
        )
    }

    /// One line for the user.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Rustup { build_std: true } => "rustup's toolchain, rebuilding std (rust-src)",
            Self::Rustup { build_std: false } => {
                "rustup's toolchain without rust-src: prebuilt std, so no immediate-abort panics \
                 (larger wasm; `rustup component add rust-src` to fix)"
            }
            Self::Debian => "Debian's rustc-web toolchain, rebuilding std",
        }
    }

    /// The `cargo build` command for `packages`, run from `root`.
    pub fn command(&self, root: &Path, packages: &[&str]) -> Command {
        let mut cmd = match self {
            Self::Rustup { .. } => Command::new(crate::workspace::cargo()),
            Self::Debian => {
                let mut cmd = Command::new(DEBIAN_CARGO);
                // The rustup proxy comes first on PATH; cargo must use Debian's rustc.
                cmd.env("RUSTC", DEBIAN_RUSTC)
                    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", LINKER);
                cmd
            }
        };
        cmd.current_dir(root)
            .env("CARGO_TARGET_DIR", root.join(WASM_TARGET_DIR))
            .env(LIB_METADATA.0, LIB_METADATA.1)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            // scripts/test.sh lints the native build by making clippy-driver the workspace's
            // compiler; the wasm build must use its own toolchain's rustc, unwrapped.
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("CLIPPY_ARGS")
            .args(["build", "--profile", PROFILE, "--target", WASM_TARGET]);
        for package in packages {
            cmd.args(["-p", package]);
        }
        match self {
            Self::Rustup { build_std: false } => {
                cmd.env("RUSTFLAGS", FLAGS_WITHOUT_BUILD_STD);
            }
            Self::Rustup { build_std: true } | Self::Debian => {
                // The config's `-Zunstable-options -Cpanic=immediate-abort` and -Zbuild-std are
                // unstable; RUSTC_BOOTSTRAP lets a stable toolchain accept them.
                cmd.env("RUSTC_BOOTSTRAP", "1").arg(BUILD_STD);
            }
        }
        cmd
    }

    /// Where cargo leaves the wasm of library target `lib_name`.
    pub fn artifact(root: &Path, lib_name: &str) -> PathBuf {
        root.join(WASM_TARGET_DIR).join(WASM_TARGET).join(PROFILE).join(format!("{lib_name}.wasm"))
    }
}

/// Whether `rustup <args>` (run in `root`) prints a line equal to or starting with `item`.
fn rustup_lists(root: &Path, args: &[&str], item: &str) -> bool {
    let Ok(output) = Command::new("rustup").args(args).current_dir(root).output() else {
        return false;
    };
    output.status.success()
        && String::from_utf8_lossy(&output.stdout)
            .lines()
            .any(|line| line.trim() == item || line.trim().starts_with(&format!("{item}-")))
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    fn env(cmd: &Command, key: &str) -> Option<Option<String>> {
        cmd.get_envs()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    }

    #[test]
    fn debian_command_is_the_verified_one() {
        let cmd = Toolchain::Debian.command(Path::new("/ws"), &["tidepool-vault", "tidepool-pool"]);
        assert_eq!(cmd.get_program(), DEBIAN_CARGO);
        assert_eq!(
            args(&cmd),
            [
                "build",
                "--profile",
                "contract",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "tidepool-vault",
                "-p",
                "tidepool-pool",
                "-Zbuild-std=std,panic_abort"
            ]
        );
        assert_eq!(env(&cmd, "RUSTC"), Some(Some(DEBIAN_RUSTC.into())));
        assert_eq!(env(&cmd, "RUSTC_BOOTSTRAP"), Some(Some("1".into())));
        assert_eq!(
            env(&cmd, "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER"),
            Some(Some(LINKER.into()))
        );
        assert_eq!(env(&cmd, "CARGO_TARGET_DIR"), Some(Some("/ws/target/wasm".into())));
        assert_eq!(env(&cmd, "RUSTFLAGS"), Some(None));
        assert_eq!(env(&cmd, LIB_METADATA.0), Some(Some(LIB_METADATA.1.into())));
    }

    /// Contracts share one target directory, so anything but the package that differs between
    /// their commands (a variable, a flag) would make each build invalidate the shared
    /// dependencies of the one before, and a second `tidepool build` would compile again.
    #[test]
    fn contracts_are_built_by_one_command_but_for_the_package() {
        let toolchains = [
            Toolchain::Debian,
            Toolchain::Rustup { build_std: true },
            Toolchain::Rustup { build_std: false },
        ];
        for toolchain in toolchains {
            let pool = toolchain.command(Path::new("/ws"), &["tidepool-pool"]);
            let vault = toolchain.command(Path::new("/ws"), &["tidepool-vault"]);
            assert_eq!(pool.get_program(), vault.get_program(), "{toolchain:?}");
            assert_eq!(pool.get_current_dir(), vault.get_current_dir(), "{toolchain:?}");
            assert!(pool.get_envs().eq(vault.get_envs()), "{toolchain:?}");
            let renamed: Vec<String> = args(&pool)
                .into_iter()
                .map(|a| if a == "tidepool-pool" { "tidepool-vault".into() } else { a })
                .collect();
            assert_eq!(renamed, args(&vault), "{toolchain:?}");
            // The hashed output names that keep a contract built as a dependency apart from
            // the same crate built as a contract.
            assert_eq!(env(&pool, LIB_METADATA.0), Some(Some(LIB_METADATA.1.into())));
        }
    }

    #[test]
    fn rustup_without_rust_src_skips_build_std() {
        let cmd = Toolchain::Rustup { build_std: false }.command(Path::new("/ws"), &["p"]);
        assert!(!args(&cmd).iter().any(|a| a.starts_with("-Zbuild-std")));
        assert_eq!(env(&cmd, "RUSTFLAGS"), Some(Some(FLAGS_WITHOUT_BUILD_STD.into())));
        assert_eq!(env(&cmd, "RUSTC"), None);
        let with_src = Toolchain::Rustup { build_std: true }.command(Path::new("/ws"), &["p"]);
        assert!(args(&with_src).contains(&BUILD_STD.to_string()));
    }

    #[test]
    fn artifact_path() {
        assert_eq!(
            Toolchain::artifact(Path::new("/ws"), "tidepool_vault"),
            PathBuf::from("/ws/target/wasm/wasm32-unknown-unknown/contract/tidepool_vault.wasm")
        );
    }
}
