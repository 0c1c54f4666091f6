//! Nitro's Stylus activation rules as a library.
//!
//! A Stylus program is deployed as code `EF F0 00` + a dictionary byte + brotli(wasm) and
//! activated by Nitro, which decompresses, validates and instruments the wasm. This crate
//! reproduces the parts that decide whether activation succeeds, so that `tidepool build`
//! refuses an undeployable contract and the local node refuses what Arbitrum would:
//!
//! - [`compress_program`], [`decompress_program`], [`is_stylus_program`], [`check_code_size`]:
//!   the code format and its size limits ([`MAX_CODE_SIZE`], [`MAX_DECOMPRESSED_SIZE`]);
//! - [`validate`]: Nitro's wasm feature set and program rules (imports, memory, entry point,
//!   start function, anti-DoS limits), and no floats;
//! - [`activate`]: both, from deployed code to the wasm and its [`ModuleInfo`];
//! - [`HOSTIOS`]: every host function with its signature, for a host to implement.
//!
//! The rules were read from Nitro's public sources (facts only; no code is taken from it).
#![warn(missing_docs)]

mod code;
pub mod costs;
pub mod fragments;
pub mod hostio;
mod validate;

pub use code::{
    check_code_size, compress_program, decompress_program, is_stylus_program, BROTLI_QUALITY,
    BROTLI_WINDOW, EMPTY_DICTIONARY, MAX_CODE_SIZE, MAX_DECOMPRESSED_SIZE, STYLUS_DICTIONARY,
    STYLUS_PREFIX,
};
pub use costs::{program_costs, ProgramCosts};
pub use hostio::{hostio, HostIo, ValType, CONSOLE_HOSTIOS, HOSTIOS, HOST_MODULE};
pub use validate::{
    limits, nitro_features, validate, ModuleInfo, ENTRYPOINT, MAX_INITIAL_PAGES, MEMORY_EXPORT,
    RESERVED_PREFIX, WASM_PAGE_SIZE,
};

/// Why code or a wasm module would not deploy or activate on Arbitrum.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActivationError {
    /// The code lacks the Stylus prefix (and dictionary byte).
    #[error(
        "not a Stylus program: code must start with EF F0 00 and a dictionary byte, found {}",
        hex(found)
    )]
    NotStylus {
        /// The first bytes found instead.
        found: Vec<u8>,
    },
    /// The dictionary byte names a dictionary other than "none".
    #[error(
        "unsupported compression dictionary byte {0:#04x}: only 0x00 (no dictionary) is supported"
    )]
    UnsupportedDictionary(u8),
    /// The brotli stream is corrupt.
    #[error("brotli decompression failed: {0}")]
    Decompress(String),
    /// The encoder failed.
    #[error("brotli compression failed: {0}")]
    Compress(String),
    /// The code decompresses to more than Nitro's cap.
    #[error("code decompresses to more than {limit} bytes, Nitro's limit for a program's wasm")]
    DecompressedTooLarge {
        /// The cap.
        limit: usize,
    },
    /// The wasm itself is larger than Nitro decompresses.
    #[error("wasm is {size} bytes, over Nitro's {limit}-byte limit for a program")]
    WasmTooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The compressed code does not fit one account.
    #[error(
        "compressed program is {size} bytes, over the {limit}-byte contract size limit by {}",
        size - limit
    )]
    CodeTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The module is not valid wasm under Nitro's feature set.
    #[error(
        "invalid wasm for Nitro (MVP + mutable globals, sign extension, saturating conversions, \
         bulk memory; no SIMD, reference types, threads, multi-value, multi-memory, tail calls, \
         exceptions or memory64): {message} (at byte {offset:#x})"
    )]
    InvalidWasm {
        /// wasmparser's message.
        message: String,
        /// Byte offset in the module.
        offset: usize,
    },
    /// A section id no wasm version defines.
    #[error("unsupported wasm section id {id}")]
    UnsupportedSection {
        /// The id.
        id: u8,
    },
    /// An import that is not a function.
    #[error("import {module}.{name} is a {kind}: a program may import only host functions")]
    ImportKind {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// An import from a module other than `vm_hooks`.
    #[error(
        "import {module}.{name} is not from module \"vm_hooks\"{}",
        if module == hostio::CONSOLE_MODULE {
            " (console printing exists only on debug chains)"
        } else {
            ""
        }
    )]
    ImportModule {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// A `vm_hooks` import Nitro does not provide.
    #[error("import vm_hooks.{name} is not a Stylus host function")]
    UnknownHostIo {
        /// Import name.
        name: String,
    },
    /// A host function imported with the wrong signature.
    #[error("import vm_hooks.{name} has signature {found}, but the host function is {expected}")]
    HostIoSignature {
        /// Import name.
        name: String,
        /// Its real signature.
        expected: String,
        /// The module's.
        found: String,
    },
    /// An import or export name reserved for Nitro's instrumentation.
    #[error("name \"{name}\" is reserved: names starting with \"stylus\" belong to Nitro")]
    ReservedName {
        /// The name.
        name: String,
    },
    /// An export named like an imported host function.
    #[error("export \"{name}\" has the name of an imported host function")]
    ExportShadowsImport {
        /// The export.
        name: String,
    },
    /// No memory.
    #[error("the module defines no memory: it needs exactly one, exported as \"memory\"")]
    MissingMemory,
    /// The memory is not exported as `memory`.
    #[error("the module's memory is not exported as \"memory\"")]
    MemoryNotExported,
    /// The memory starts too large.
    #[error(
        "memory starts with {pages} pages, over Nitro's limit of {limit} \
         (link with -zstack-size=32768 to start with one page)"
    )]
    TooManyPages {
        /// Initial pages.
        pages: u64,
        /// The limit.
        limit: u64,
    },
    /// No `user_entrypoint` export.
    #[error("missing export \"user_entrypoint\" (the program's entry point)")]
    MissingEntrypoint,
    /// `user_entrypoint` is not a function.
    #[error("export \"user_entrypoint\" must be a function but is a {kind}")]
    EntrypointNotFunction {
        /// What it is.
        kind: &'static str,
    },
    /// `user_entrypoint` has the wrong type.
    #[error("export \"user_entrypoint\" has type {found}, but must be (i32) -> (i32)")]
    EntrypointSignature {
        /// Its type.
        found: String,
    },
    /// A start function.
    #[error("the module has a start function ({function}): Stylus programs may not")]
    StartFunction {
        /// The function.
        function: String,
    },
    /// Over one of Nitro's count limits.
    #[error("too many {what}: {count}, Nitro's limit is {limit}")]
    TooMany {
        /// What is counted.
        what: &'static str,
        /// How many.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A name longer than Nitro allows.
    #[error("{what} is {len} bytes long, Nitro's limit is {limit}")]
    NameTooLong {
        /// Which name.
        what: &'static str,
        /// Its length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A float type in a signature, local or global.
    #[error("float type in {location}: floats cost unbounded ink on Stylus, so none may appear")]
    FloatType {
        /// Where.
        location: String,
    },
    /// A float instruction.
    #[error(
        "float instruction {op} in function {function} (at byte {offset:#x}): floats cost \
         unbounded ink on Stylus, so none may appear"
    )]
    FloatInstruction {
        /// The operator.
        op: String,
        /// The function.
        function: String,
        /// Byte offset in the module.
        offset: usize,
    },
    /// A root or its fragments break ArbOS 61's rules for fragmented programs.
    #[error("fragmented program: {0}")]
    Fragments(String),
    /// An entry cost that does not fit Nitro's record of it ("init cost too high").
    #[error("{what} of {value} does not fit Nitro's activation record: the program is too large")]
    CostTooHigh {
        /// Which cost.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// A bulk-memory instruction Nitro's prover does not implement.
    #[error(
        "instruction {op} in function {function} (at byte {offset:#x}) is not supported by \
         Nitro (of bulk memory, only memory.copy and memory.fill are)"
    )]
    UnsupportedInstruction {
        /// The operator.
        op: String,
        /// The function.
        function: String,
        /// Byte offset in the module.
        offset: usize,
    },
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_string();
    }
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// A deployed program, decompressed and validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activated {
    /// The wasm module.
    pub wasm: Vec<u8>,
    /// What validation learned about it.
    pub info: ModuleInfo,
    /// Its entry costs.
    pub costs: ProgramCosts,
}

/// Does what Nitro's `activateProgram` checks: decompresses deployed `code`, validates the
/// wasm and computes its entry costs.
///
/// # Errors
/// Any [`decompress_program`], [`validate`] or [`program_costs`] error.
pub fn activate(code: &[u8]) -> Result<Activated, ActivationError> {
    activate_wasm(decompress_program(code)?)
}

/// [`activate`] for wasm already decompressed (a fragmented program's, assembled by
/// [`fragments::Root::assemble`]).
///
/// # Errors
/// Any [`validate`] or [`program_costs`] error.
pub fn activate_wasm(wasm: Vec<u8>) -> Result<Activated, ActivationError> {
    let info = validate(&wasm)?;
    let costs = program_costs(&info)?;
    Ok(Activated { wasm, info, costs })
}
