//! `tidepool build`: wasm for every program of the table (`crates/programs`), checked the way
//! Nitro will check it and against the program's size budget.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use tidepool_activation::{
    check_code_size, compress_program, fragments, program_costs, validate, ActivationError,
    ProgramCosts, MAX_CODE_SIZE, STYLUS_PREFIX,
};

use crate::toolchain::{Toolchain, WASM_TARGET_DIR};
use crate::workspace::{Program, Workspace};

/// Arguments of `tidepool build`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Build only this contract's programs (its name in crates/programs, e.g. `pool`).
    #[arg(long, value_name = "NAME", conflicts_with = "program")]
    pub contract: Option<String>,
    /// Build only this program (e.g. `pool-accounting`).
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Tolerate a program that is valid except for being over its budget, as long as its
    /// code is at most MAX bytes: a ratchet for a known, open size problem, so that it cannot
    /// grow while it is being fixed. Its row still says so; its `.code` is written (code over
    /// the 24,576-byte limit deploys as fragments).
    #[arg(long, value_name = "NAME=MAX", value_parser = parse_known_oversize)]
    pub known_oversize: Vec<(String, usize)>,
}

fn parse_known_oversize(s: &str) -> Result<(String, usize), String> {
    let (name, max) = s.split_once('=').ok_or("expected NAME=MAX")?;
    let max = max.parse().map_err(|e| format!("MAX: {e}"))?;
    Ok((name.to_string(), max))
}

/// Whether `report`'s only problem is its budget, with its code within the tolerated ceiling.
fn tolerated(report: &Report, known_oversize: &[(String, usize)]) -> bool {
    let ceiling = known_oversize.iter().find(|(name, _)| *name == report.name).map(|(_, m)| *m);
    match (ceiling, report.compressed) {
        (Some(max), Some(size)) => report.errors.is_empty() && size <= max,
        _ => false,
    }
}

/// Builds, validates, compresses and reports; fails if any program would not deploy or is
/// over its budget.
pub fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    let programs = ws.select(args.contract.as_deref(), args.program.as_deref())?;
    let toolchain = Toolchain::detect(&ws.root)?;
    let packages: Vec<&str> = programs.iter().map(|p| p.spec.package).collect();
    eprintln!("building {} with {}", packages.join(", "), toolchain.describe());

    // One cargo run per program: features unify within a build, and one program's choice
    // (the pool turns off the SDK's reentrancy guard) must not change another's code.
    for package in &packages {
        let mut cmd = toolchain.command(&ws.root, &[package]);
        let status = cmd.status().with_context(|| format!("running {:?}", cmd.get_program()))?;
        if !status.success() {
            bail!("the wasm build of {package} failed ({status})");
        }
    }

    let out_dir = ws.root.join(WASM_TARGET_DIR);
    let wasm_opt = crate::wasm_opt::locate(&ws.root)?;
    let mut reports = Vec::with_capacity(programs.len());
    for program in &programs {
        reports.push(finish(&ws.root, &out_dir, program, &wasm_opt)?);
    }
    print!("{}", render_table(&reports));

    for r in reports.iter().filter(|r| tolerated(r, &args.known_oversize)) {
        eprintln!(
            "warning: {} is over the code-size limit (tolerated by --known-oversize)",
            r.name
        );
    }
    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !tolerated(r, &args.known_oversize))
        .flat_map(Report::problems)
        .collect();
    if !failures.is_empty() {
        bail!("not deployable:\n  {}", failures.join("\n  "));
    }
    println!("deployable code written to {WASM_TARGET_DIR}/<program>.code");
    Ok(())
}

/// Optimises one built program (`wasm-opt -Oz`), checks it and writes `<name>.wasm`, and
/// `<name>.code` when deployable
/// (a stale `.code` is removed otherwise, so nothing undeployable is left to deploy). Code
/// over its budget but within Nitro's limit is still written: it deploys, and the build
/// fails on the budget anyway.
fn finish(root: &Path, out_dir: &Path, program: &Program, wasm_opt: &Path) -> Result<Report> {
    let artifact = Toolchain::artifact(root, &program.lib_name);
    let linked = fs::read(&artifact).with_context(|| format!("reading {}", artifact.display()))?;
    let wasm = crate::wasm_opt::optimize(wasm_opt, program.name(), &linked)?;
    let (report, code) = assess(program.name(), program.spec.budget, &wasm);
    let wasm_path = out_dir.join(format!("{}.wasm", program.name()));
    fs::write(&wasm_path, &wasm).with_context(|| format!("writing {}", wasm_path.display()))?;
    let code_path = out_dir.join(format!("{}.code", program.name()));
    match code {
        Some(code) if report.errors.is_empty() => fs::write(&code_path, code)
            .with_context(|| format!("writing {}", code_path.display()))?,
        _ if code_path.exists() => fs::remove_file(&code_path)
            .with_context(|| format!("removing stale {}", code_path.display()))?,
        _ => {}
    }
    Ok(report)
}

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Report {
    /// Program name.
    pub name: String,
    /// wasm bytes.
    pub raw: usize,
    /// Deployable code bytes (prefix, dictionary byte, brotli), when compressible.
    pub compressed: Option<usize>,
    /// The program's budget of deployable code bytes (`crates/programs`).
    pub budget: usize,
    /// Initial memory pages, when the module is valid.
    pub pages: Option<u64>,
    /// Bytes of data segments and element entries, when the module is valid: every call pays
    /// about 0.75 gas for each.
    pub data_bytes: Option<u64>,
    /// Entry costs Nitro would store at activation, when the module is valid.
    pub costs: Option<ProgramCosts>,
    /// Accounts the code takes: 1, or the fragments (plus a root) ArbOS 61 deploys code over
    /// 24,576 bytes as.
    pub fragments: usize,
    /// Why it would not deploy: the validation error and the code-size error, if any.
    pub errors: Vec<ActivationError>,
}

impl Report {
    /// Budget minus code size (negative when over), when compressible.
    pub fn headroom(&self) -> Option<i64> {
        let signed = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.compressed.map(|c| signed(self.budget) - signed(c))
    }

    /// Whether the code is bigger than the budget.
    pub fn over_budget(&self) -> bool {
        self.headroom().is_some_and(|h| h < 0)
    }

    /// Every reason the build fails on this program, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> =
            self.errors.iter().map(|e| format!("{}: {e}", self.name)).collect();
        if let (true, Some(size)) = (self.over_budget(), self.compressed) {
            problems.push(format!(
                "{}: {size} bytes of code, over its budget of {} bytes (crates/programs)",
                self.name, self.budget
            ));
        }
        problems
    }
}

/// Validates and compresses `wasm`: the report, and the deployable code when there is one.
/// Compression runs even for an invalid module so that the table still shows its size.
pub fn assess(name: &str, budget: usize, wasm: &[u8]) -> (Report, Option<Vec<u8>>) {
    let validation = validate(wasm);
    let costs = validation.as_ref().map_err(Clone::clone).and_then(program_costs);
    let code = compress_program(wasm);
    // Code over one account deploys as fragments (ArbOS 61), up to the chain's limit.
    let fragments = code.as_ref().map_or(1, |c| {
        if c.len() > MAX_CODE_SIZE {
            fragments::fragments_needed(c.len() - STYLUS_PREFIX.len() - 1)
        } else {
            1
        }
    });
    let size = code.as_ref().map_err(Clone::clone).and_then(|c| check_code_size(c)).or_else(|e| {
        if fragments <= usize::from(fragments::MAX_FRAGMENTS) {
            Ok(())
        } else {
            Err(e)
        }
    });
    // A cost error only matters for a module that validated; otherwise it repeats that error.
    let cost_error = validation.as_ref().ok().and(costs.as_ref().err());
    let errors = [validation.as_ref().err(), cost_error, code.as_ref().err(), size.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let info = validation.as_ref().ok();
    let report = Report {
        name: name.to_string(),
        raw: wasm.len(),
        compressed: code.as_ref().ok().map(Vec::len),
        budget,
        pages: info.map(|info| info.initial_pages),
        data_bytes: info.map(|info| info.data_bytes + info.element_entries),
        costs: costs.ok(),
        fragments,
        errors,
    };
    (report, code.ok())
}

/// The size table, one line per program.
pub fn render_table(reports: &[Report]) -> String {
    const COLUMNS: usize = 10;
    let header = [
        "program",
        "raw bytes",
        "brotli bytes",
        "budget",
        "headroom",
        "pages",
        "data bytes",
        "entry cached",
        "uncached",
        "status",
    ];
    let rows: Vec<[String; COLUMNS]> = reports
        .iter()
        .map(|r| {
            let mut reasons: Vec<String> = r.errors.iter().map(short_reason).collect();
            if r.over_budget() {
                reasons.push("over budget".into());
            }
            let split = if r.fragments > 1 && r.errors.is_empty() {
                format!(" (deploys as {} fragments and a root)", r.fragments)
            } else {
                String::new()
            };
            [
                r.name.clone(),
                thousands(r.raw),
                r.compressed.map_or("-".into(), thousands),
                thousands(r.budget),
                r.headroom().map_or("-".into(), signed_thousands),
                r.pages.map_or("-".into(), |p| p.to_string()),
                r.data_bytes.map_or("-".into(), |d| thousands(d as usize)),
                r.costs.map_or("-".into(), |c| thousands(c.cached_entry_gas() as usize)),
                r.costs.map_or("-".into(), |c| thousands(c.uncached_entry_gas() as usize)),
                if reasons.is_empty() {
                    format!("ok{split}")
                } else {
                    format!("FAIL: {}{split}", reasons.join(", "))
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; COLUMNS]| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let padded = if i == 0 || i == COLUMNS - 1 {
                format!("{cell:<width$}")
            } else {
                format!("{cell:>width$}")
            };
            out.push_str(&padded);
            out.push_str(if i == COLUMNS - 1 { "\n" } else { "  " });
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out
}

/// A one-line reason for the table; the full message follows the table.
fn short_reason(e: &ActivationError) -> String {
    match e {
        ActivationError::CodeTooLarge { .. } => {
            format!("code over {} fragments", fragments::MAX_FRAGMENTS)
        }
        ActivationError::WasmTooLarge { .. } => "wasm over 128 KiB".into(),
        ActivationError::FloatInstruction { .. } | ActivationError::FloatType { .. } => {
            "uses floats".into()
        }
        ActivationError::TooManyPages { pages, .. } => format!("{pages} memory pages"),
        ActivationError::InvalidWasm { .. } => "invalid wasm for Nitro".into(),
        _ => "not activatable".into(),
    }
}

/// `-1234` → `-1,234`.
pub fn signed_thousands(n: i64) -> String {
    let digits = thousands(usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX));
    if n < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// `12345` → `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tidepool_activation::MAX_CODE_SIZE;

    use super::*;

    /// A valid program: one page, the entry point, no imports.
    const GOOD: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
        0x03, 0x02, 0x01, 0x00, // function 0 has type 0
        0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1
        0x07, 0x1c, 0x02, // exports: 2
        0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, // "memory" memory 0
        0x0f, b'u', b's', b'e', b'r', b'_', b'e', b'n', b't', b'r', b'y', b'p', b'o', b'i', b'n',
        b't', 0x00, 0x00, // "user_entrypoint" func 0
        0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // code: i32.const 0, end
    ];

    #[test]
    fn good_module_is_deployable() {
        let (report, code) = assess("tiny", MAX_CODE_SIZE, GOOD);
        assert_eq!(report.errors, []);
        assert_eq!(report.pages, Some(1));
        assert_eq!(report.raw, GOOD.len());
        let code = code.unwrap();
        assert_eq!(report.compressed, Some(code.len()));
        assert_eq!(tidepool_activation::decompress_program(&code).unwrap(), GOOD);
    }

    #[test]
    fn invalid_module_still_reports_its_size() {
        let mut no_entry = GOOD.to_vec();
        // Rename the export so the entry point is missing.
        let at = no_entry.windows(4).position(|w| w == b"user").unwrap();
        no_entry[at] = b'x';
        let (report, code) = assess("broken", MAX_CODE_SIZE, &no_entry);
        assert_eq!(report.errors, [ActivationError::MissingEntrypoint]);
        assert_eq!(report.pages, None);
        assert!(report.compressed.is_some() && code.is_some());
        let table = render_table(&[report]);
        assert!(table.contains("FAIL: not activatable"), "{table}");
    }

    const COSTS: ProgramCosts =
        ProgramCosts { cached_init_cost: 916, init_cost: 1_000, asm_estimate: 600_000 };

    #[test]
    fn a_program_over_one_account_deploys_as_fragments() {
        // Incompressible data, so the code is about as large as the module.
        let mut x = 7u32;
        let noise: String = (0..30_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                format!("\\{:02x}", (x >> 16) as u8)
            })
            .collect();
        let wat = format!(
            r#"(module (memory (export "memory") 1 1) (data (i32.const 0) "{noise}")
               (func (export "user_entrypoint") (param i32) (result i32) local.get 0))"#
        );
        let wasm = wat::parse_str(wat).unwrap();
        let (report, code) = assess("big", 64 * 1024, &wasm);
        assert_eq!(report.errors, []);
        assert_eq!(report.fragments, 2);
        assert!(code.unwrap().len() > MAX_CODE_SIZE);
        assert!(render_table(&[report]).contains("ok (deploys as 2 fragments and a root)"));
    }

    #[test]
    fn table_layout() {
        let reports = [
            Report {
                name: "vault".into(),
                raw: 8527,
                compressed: Some(3226),
                budget: 8_192,
                pages: Some(1),
                data_bytes: Some(1_200),
                costs: Some(COSTS),
                fragments: 1,
                errors: vec![],
            },
            Report {
                name: "rate-feed".into(),
                raw: 9000,
                compressed: Some(4200),
                budget: 4_096,
                pages: Some(1),
                data_bytes: Some(80),
                costs: Some(COSTS),
                fragments: 1,
                errors: vec![],
            },
            Report {
                name: "pool".into(),
                raw: 90_000,
                compressed: Some(30_000),
                budget: 32_768,
                pages: Some(1),
                data_bytes: Some(2_000),
                costs: Some(COSTS),
                fragments: 2,
                errors: vec![],
            },
            Report {
                name: "withdrawal-queue".into(),
                raw: 140_000,
                compressed: Some(30_000),
                budget: MAX_CODE_SIZE,
                pages: None,
                data_bytes: None,
                costs: None,
                fragments: 2,
                errors: vec![
                    ActivationError::WasmTooLarge { size: 140_000, limit: 131_072 },
                    ActivationError::CodeTooLarge { size: 30_000, limit: MAX_CODE_SIZE },
                ],
            },
        ];
        assert_eq!(
            render_table(&reports),
            "\
program           raw bytes  brotli bytes  budget  headroom  pages  data bytes  entry cached  uncached  status
vault                 8,527         3,226   8,192     4,966      1       1,200         1,268    11,100  ok
rate-feed             9,000         4,200   4,096      -104      1          80         1,268    11,100  FAIL: over budget
pool                 90,000        30,000  32,768     2,768      1       2,000         1,268    11,100  ok (deploys as 2 fragments and a root)
withdrawal-queue    140,000        30,000  24,576    -5,424      -           -             -         -  FAIL: wasm over 128 KiB, code over 2 fragments, over budget
"
        );
        assert_eq!(
            reports[1].problems(),
            ["rate-feed: 4200 bytes of code, over its budget of 4096 bytes (crates/programs)"]
        );
        assert!(reports[0].problems().is_empty());
    }

    #[test]
    fn known_oversize_tolerates_only_size_within_its_ceiling() {
        let over = |size| Report {
            name: "pool".into(),
            raw: 1,
            compressed: Some(size),
            budget: MAX_CODE_SIZE,
            pages: Some(1),
            data_bytes: None,
            costs: None,
            fragments: 2,
            errors: vec![],
        };
        let known = vec![("pool".to_string(), 30_000)];
        assert!(tolerated(&over(30_000), &known));
        assert!(!tolerated(&over(30_001), &known), "the ceiling is a ratchet");
        assert!(!tolerated(&over(25_000), &[]), "nothing is tolerated by default");
        assert!(!tolerated(&over(25_000), &[("vault".to_string(), 30_000)]));
        let mut invalid = over(25_000);
        invalid.errors.push(ActivationError::MissingEntrypoint);
        assert!(!tolerated(&invalid, &known), "any other problem still fails");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(24_576), "24,576");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(signed_thousands(-1_234), "-1,234");
        assert_eq!(signed_thousands(12), "12");
    }

    /// The programs `tidepool build` last wrote (the test command builds before testing)
    /// are within their budgets; skipped when nothing is built, except on CI.
    #[test]
    fn built_programs_are_within_their_budgets() {
        let ws = Workspace::load().unwrap();
        let out_dir = ws.root.join(WASM_TARGET_DIR);
        for program in &ws.programs {
            let path = out_dir.join(format!("{}.wasm", program.name()));
            let Ok(wasm) = fs::read(&path) else {
                assert!(std::env::var_os("CI").is_none(), "{} missing on CI", path.display());
                eprintln!("SKIPPED: {} missing; run `tidepool build` first", path.display());
                continue;
            };
            let (report, _) = assess(program.name(), program.spec.budget, &wasm);
            assert!(report.problems().is_empty(), "{:?}", report.problems());
        }
    }
}
