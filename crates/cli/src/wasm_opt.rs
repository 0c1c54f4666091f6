//! Binaryen's `wasm-opt -Oz` over each program after rustc: it removes what LLVM leaves
//! (duplicate functions, dead code behind constant branches, oversized locals), 12–18% of
//! each module. Every call into an uncached program pays per wasm byte and per function,
//! so this is gas, not only size. The version is pinned (npm's `binaryen`, installed into
//! the tools directory by `scripts/setup.sh`), so the deployable bytes are the same
//! everywhere. Only features the input already uses are enabled: the output needs nothing
//! Nitro's activation would refuse, and `tidepool build` validates it anyway.

use std::{path::PathBuf, process::Command};

use anyhow::{bail, Context, Result};

/// The binaryen release the build uses (npm `binaryen`).
pub const BINARYEN_VERSION: &str = "132.0.0";

/// The flags: smallest code; the input's bulk-memory operations (`memory.copy`/`fill`) stay
/// allowed; names and producer sections go.
const FLAGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
];

/// Where the tools live: `$TIDEPOOL_TOOLS`, or `<root>/.tools`.
fn tools_dir(root: &std::path::Path) -> PathBuf {
    std::env::var_os("TIDEPOOL_TOOLS").map_or_else(|| root.join(".tools"), PathBuf::from)
}

/// The pinned `wasm-opt`.
///
/// # Errors
/// When it is missing or another version: run `scripts/setup.sh`.
pub fn locate(root: &std::path::Path) -> Result<PathBuf> {
    let package = tools_dir(root).join("node_modules/binaryen");
    let manifest = std::fs::read_to_string(package.join("package.json")).with_context(|| {
        format!(
            "binaryen {BINARYEN_VERSION} (wasm-opt) is not installed in {}: run scripts/setup.sh",
            package.display()
        )
    })?;
    let version: serde_json::Value =
        serde_json::from_str(&manifest).context("binaryen's package.json does not parse")?;
    if version["version"] != BINARYEN_VERSION {
        bail!(
            "binaryen {} installed, {BINARYEN_VERSION} wanted: run scripts/setup.sh",
            version["version"]
        );
    }
    Ok(package.join("bin/wasm-opt"))
}

/// `wasm` optimised for size by `wasm_opt`.
///
/// # Errors
/// When wasm-opt cannot run or refuses the module.
pub fn optimize(wasm_opt: &std::path::Path, name: &str, wasm: &[u8]) -> Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("tidepool-wasm-opt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let (input, output) = (dir.join(format!("{name}.in.wasm")), dir.join(format!("{name}.wasm")));
    std::fs::write(&input, wasm).with_context(|| format!("writing {}", input.display()))?;
    let out = Command::new(wasm_opt)
        .args(FLAGS)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .with_context(|| format!("running {} (is node installed?)", wasm_opt.display()))?;
    if !out.status.success() {
        bail!(
            "wasm-opt refused {name}: {}",
            String::from_utf8_lossy(&out.stderr).lines().take(5).collect::<Vec<_>>().join("\n")
        );
    }
    let optimized =
        std::fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(optimized)
}
