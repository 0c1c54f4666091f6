//! Stylus programs: decompression, activation checks, the activation record's format, and
//! the cache of compiled wasmi modules (one compilation per code hash).

use std::{
    collections::HashMap,
    io::Read,
    sync::{Arc, Mutex},
};

use alloy_primitives::{B256, U256};
use wasmi::{CompilationMode, Config, Engine, ExternType, Module, ValType};

use crate::{hostio, ink};

// The code format and Nitro's limits, as the shared validator declares them.
pub use tidepool_activation::{
    MAX_CODE_SIZE, MAX_DECOMPRESSED_SIZE as MAX_WASM_SIZE, STYLUS_PREFIX,
};
/// Most functions a module may define (Nitro's limit).
pub const MAX_FUNCTIONS: usize = tidepool_activation::limits::FUNCTIONS as usize;

/// Why a program cannot be activated or run.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProgramError {
    /// The code does not start with `EF F0 00`.
    #[error("code is not a Stylus program (missing EF F0 00 prefix)")]
    NotStylus,
    /// Only the empty brotli dictionary (byte 0x00) is supported.
    #[error("unsupported brotli dictionary byte {0:#04x}")]
    Dictionary(u8),
    /// Brotli data is corrupt or decompresses past the size cap.
    #[error("program does not decompress: {0}")]
    Decompress(String),
    /// The module breaks Nitro's activation rules.
    #[error("invalid program: {0}")]
    Invalid(String),
}

/// What activation learned about a module: Nitro's per-program record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationInfo {
    /// Stylus version the program was activated for.
    pub version: u16,
    /// Gas an uncached entry adds (scaled by `initCostScalar`), from the module's shape.
    pub init_cost: u16,
    /// Gas every entry adds (scaled by `cachedCostScalar`), from the module's shape.
    pub cached_init_cost: u16,
    /// Initial memory pages.
    pub footprint: u16,
    /// Nitro's estimate of the compiled program's size in bytes.
    pub asm_estimate: u32,
    /// Timestamp of activation (for `programTimeLeft`).
    pub activated_at: u64,
}

impl ActivationInfo {
    /// The record for a module `activate` accepted, activated at `activated_at`.
    pub fn new(activated: &tidepool_activation::Activated, activated_at: u64) -> Self {
        Self {
            version: ink::STYLUS_VERSION,
            init_cost: activated.costs.init_cost,
            cached_init_cost: activated.costs.cached_init_cost,
            // Validation capped the initial pages far below u16::MAX.
            footprint: u16::try_from(activated.info.initial_pages).unwrap_or(u16::MAX),
            asm_estimate: activated.costs.asm_estimate,
            activated_at,
        }
    }

    /// Packs the record into one storage word.
    pub fn encode(&self) -> U256 {
        U256::from(self.version)
            | (U256::from(self.init_cost) << 16)
            | (U256::from(self.cached_init_cost) << 32)
            | (U256::from(self.footprint) << 48)
            | (U256::from(self.asm_estimate) << 64)
            | (U256::from(self.activated_at) << 96)
            | (U256::from(1u8) << 255)
    }

    /// Unpacks a storage word; `None` when nothing was activated there.
    pub fn decode(word: U256) -> Option<Self> {
        if !word.bit(255) {
            return None;
        }
        let limbs = word.as_limbs();
        Some(Self {
            version: (limbs[0] & 0xFFFF) as u16,
            init_cost: ((limbs[0] >> 16) & 0xFFFF) as u16,
            cached_init_cost: ((limbs[0] >> 32) & 0xFFFF) as u16,
            footprint: ((limbs[0] >> 48) & 0xFFFF) as u16,
            asm_estimate: (limbs[1] & 0xFFFF_FFFF) as u32,
            activated_at: (limbs[1] >> 32) | ((limbs[2] & 0xFFFF_FFFF) << 32),
        })
    }
}

pub use tidepool_activation::{fragments, ProgramCosts};

/// Whether `code` runs as a Stylus program: a whole program (`EF F0 00`) or the root of a
/// fragmented one (`EF F0 02`). Fragments themselves (`EF F0 01`) are not runnable.
pub fn is_program_code(code: &[u8]) -> bool {
    is_stylus_program(code) || fragments::is_root(code)
}

/// The entry costs activation would store for `wasm`: Nitro's formulas over the module's
/// shape (see `tidepool_activation::costs`).
pub fn program_costs(wasm: &[u8]) -> Result<ProgramCosts, ProgramError> {
    let info =
        tidepool_activation::validate(wasm).map_err(|e| ProgramError::Invalid(e.to_string()))?;
    tidepool_activation::program_costs(&info).map_err(|e| ProgramError::Invalid(e.to_string()))
}

/// Whether `code` carries the Stylus prefix.
pub fn is_stylus_program(code: &[u8]) -> bool {
    code.len() > STYLUS_PREFIX.len() && code[..3] == STYLUS_PREFIX
}

/// Strips the prefix and dictionary byte and inflates the brotli body.
pub fn decompress_program(code: &[u8]) -> Result<Vec<u8>, ProgramError> {
    if !is_stylus_program(code) {
        return Err(ProgramError::NotStylus);
    }
    let dictionary = code[3];
    if dictionary != 0 {
        return Err(ProgramError::Dictionary(dictionary));
    }
    let mut out = Vec::new();
    // Reading one byte past the cap tells "too large" apart from "exactly at the cap".
    brotli::Decompressor::new(&code[4..], 4096)
        .take(MAX_WASM_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ProgramError::Decompress(e.to_string()))?;
    if out.len() > MAX_WASM_SIZE {
        return Err(ProgramError::Decompress(format!("more than {MAX_WASM_SIZE} bytes")));
    }
    Ok(out)
}

/// Compresses a wasm module into deployable Stylus code (prefix, empty dictionary, brotli).
pub fn compress_program(wasm: &[u8]) -> Result<Vec<u8>, ProgramError> {
    let mut out = STYLUS_PREFIX.to_vec();
    out.push(0);
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &wasm[..], &mut out, &params)
        .map_err(|e| ProgramError::Decompress(e.to_string()))?;
    Ok(out)
}

/// The wasmi engine configured with Nitro's feature set and ink table.
pub fn engine() -> Engine {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .operator_cost(ink::operator_costs())
        .compilation_mode(CompilationMode::Eager)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(false)
        .wasm_multi_value(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(false)
        .wasm_multi_memory(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .floats(false)
        .allow_start_fn(false)
        .set_max_recursion_depth(ink::MAX_STACK_DEPTH as usize / 256);
    Engine::new(&config)
}

/// A compiled program ready to instantiate.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The wasmi module.
    pub module: Module,
    /// Initial memory pages.
    pub footprint: u16,
}

/// Checks `wasm` against the activation rules and compiles it.
///
/// Feature checks (no SIMD, reference types, threads, multi-memory, floats, start function)
/// come from the engine configuration; imports, exports, memory and function counts are
/// checked here.
pub fn validate_and_compile(engine: &Engine, wasm: &[u8]) -> Result<Compiled, ProgramError> {
    if wasm.len() > MAX_WASM_SIZE {
        return Err(ProgramError::Invalid(format!(
            "module is {} bytes, more than {MAX_WASM_SIZE}",
            wasm.len()
        )));
    }
    let module = Module::new(engine, wasm).map_err(|e| ProgramError::Invalid(e.to_string()))?;
    let mut functions = 0usize;
    for import in module.imports() {
        let ExternType::Func(ty) = import.ty() else {
            return Err(ProgramError::Invalid(format!(
                "import {}.{} is not a function",
                import.module(),
                import.name()
            )));
        };
        functions += 1;
        let Some(expected) = hostio::signature(import.module(), import.name()) else {
            return Err(ProgramError::Invalid(format!(
                "unknown import {}.{}",
                import.module(),
                import.name()
            )));
        };
        if ty.params() != expected.0 || ty.results() != expected.1 {
            return Err(ProgramError::Invalid(format!(
                "import {}.{} has the wrong signature {:?} -> {:?}",
                import.module(),
                import.name(),
                ty.params(),
                ty.results()
            )));
        }
    }
    let mut footprint = None;
    let mut entry = false;
    for export in module.exports() {
        match (export.name(), export.ty()) {
            ("memory", ExternType::Memory(m)) => {
                footprint = Some(m.minimum());
            }
            ("user_entrypoint", ExternType::Func(f)) => {
                if f.params() != [ValType::I32] || f.results() != [ValType::I32] {
                    return Err(ProgramError::Invalid(
                        "user_entrypoint must have type (i32) -> i32".into(),
                    ));
                }
                entry = true;
            }
            _ => {}
        }
    }
    functions += defined_functions(wasm)?;
    if functions > MAX_FUNCTIONS {
        return Err(ProgramError::Invalid(format!(
            "{functions} functions, more than {MAX_FUNCTIONS}"
        )));
    }
    if !entry {
        return Err(ProgramError::Invalid("missing export user_entrypoint".into()));
    }
    let Some(pages) = footprint else {
        return Err(ProgramError::Invalid("missing export memory".into()));
    };
    let footprint =
        u16::try_from(pages).ok().filter(|p| *p <= ink::PAGE_LIMIT).ok_or_else(|| {
            ProgramError::Invalid(format!(
                "initial memory of {pages} pages exceeds {}",
                ink::PAGE_LIMIT
            ))
        })?;
    Ok(Compiled { module, footprint })
}

/// Number of functions the module defines (its function section), imports excluded.
fn defined_functions(wasm: &[u8]) -> Result<usize, ProgramError> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::FunctionSection(reader) =
            payload.map_err(|e| ProgramError::Invalid(e.to_string()))?
        {
            return Ok(reader.count() as usize);
        }
    }
    Ok(0)
}

/// Compiled modules by code hash, shared by every transaction of a node.
#[derive(Clone)]
pub struct ProgramCache {
    engine: Engine,
    modules: Arc<Mutex<HashMap<B256, Arc<Compiled>>>>,
}

impl std::fmt::Debug for ProgramCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramCache").finish_non_exhaustive()
    }
}

impl Default for ProgramCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgramCache {
    /// An empty cache with a fresh engine.
    pub fn new() -> Self {
        Self { engine: engine(), modules: Arc::default() }
    }

    /// The engine modules are compiled with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled module for `code_hash`, compiling the wasm `wasm_of` gives on a miss
    /// (activation compiles every program, so a miss means a node restarted on old state).
    pub fn get_or_compile(
        &self,
        code_hash: B256,
        wasm_of: impl FnOnce() -> Result<Vec<u8>, ProgramError>,
    ) -> Result<Arc<Compiled>, ProgramError> {
        if let Some(found) = self.lock().get(&code_hash) {
            return Ok(found.clone());
        }
        let wasm = wasm_of()?;
        let compiled = validate_and_compile(&self.engine, &wasm)?;
        let compiled = Arc::new(compiled);
        self.lock().insert(code_hash, compiled.clone());
        Ok(compiled)
    }

    /// Stores a module compiled during activation.
    pub fn insert(&self, code_hash: B256, compiled: Compiled) {
        self.lock().insert(code_hash, Arc::new(compiled));
    }

    /// Number of modules compiled so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was compiled yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<B256, Arc<Compiled>>> {
        // A panic while holding the lock cannot leave the map half-written (inserts are
        // single calls), so a poisoned lock is still safe to use.
        self.modules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let info = ActivationInfo {
            version: 2,
            init_cost: 65_535,
            cached_init_cost: 12_345,
            footprint: 3,
            asm_estimate: 4_000_000_000,
            activated_at: 1_700_000_000_123,
        };
        assert_eq!(ActivationInfo::decode(info.encode()), Some(info));
        assert_eq!(ActivationInfo::decode(U256::ZERO), None);
    }

    #[test]
    fn compress_round_trips_and_rejects_garbage() {
        let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).expect("wat");
        let code = compress_program(&wasm).expect("compress");
        assert_eq!(&code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
        assert_eq!(decompress_program(&code).expect("decompress"), wasm);
        assert_eq!(decompress_program(&[0x60, 0x00]), Err(ProgramError::NotStylus));
        assert!(matches!(
            decompress_program(&[0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF]),
            Err(ProgramError::Decompress(_))
        ));
        let compiled = validate_and_compile(&engine(), &wasm).expect("valid");
        assert_eq!(compiled.footprint, 1);
    }

    #[test]
    fn activation_rules() {
        let e = engine();
        let check = |src: &str| {
            let wasm = wat::parse_str(src).expect("wat");
            validate_and_compile(&e, &wasm).map(|_| ())
        };
        assert!(check(r#"(module (memory (export "memory") 1))"#).is_err());
        assert!(check(
            r#"(module (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        )
        .is_err());
        assert!(check(r#"(module (import "env" "x" (func)) (memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).is_err());
        assert!(check(r#"(module (import "vm_hooks" "read_args" (func (param i64))) (memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).is_err());
        assert!(check(r#"(module (memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) f32.const 1 drop i32.const 0))"#).is_err());
        assert!(check(r#"(module (memory (export "memory") 200) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).is_err());
        assert!(check(r#"(module (memory (export "memory") 1) (func $s) (start $s) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).is_err());
        assert!(check(r#"(module (import "vm_hooks" "read_args" (func (param i32))) (memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#).is_ok());
    }
}
