//! Nitro's activation checks on a wasm module, plus Tidepool's own: no floats anywhere.

use std::collections::HashMap;
use std::fmt::Write as _;

use wasmparser::{
    BlockType, ElementItems, Export, ExternalKind, FuncType, FunctionBody, GlobalType, Import,
    KnownCustom, MemoryType, Name, Operator, Parser, Payload, TableType, TypeRef, Validator,
    WasmFeatures,
};

use crate::hostio::{self, HostIo, ValType, HOST_MODULE};
use crate::{ActivationError, MAX_DECOMPRESSED_SIZE};

/// The function every program exports as its entry point: `(i32 args_len) -> i32 status`.
pub const ENTRYPOINT: &str = "user_entrypoint";

/// The name the program's single memory must be exported under.
pub const MEMORY_EXPORT: &str = "memory";

/// Bytes in one wasm memory page.
pub const WASM_PAGE_SIZE: usize = 65_536;

/// Most pages a program may start with: Nitro's page limit (128 pages, 8 MiB), which bounds
/// the memory of a whole call stack, so a real program should start with very few.
pub const MAX_INITIAL_PAGES: u64 = 128;

/// Nitro's anti-DoS bounds on a module's shape (its `parse_user` limits).
pub mod limits {
    /// Defined functions (code bodies).
    pub const FUNCTIONS: u64 = 4096;
    /// Imports (enforced since ArbOS 32).
    pub const IMPORTS: u64 = 513;
    /// Exports.
    pub const EXPORTS: u64 = 1024;
    /// Globals.
    pub const GLOBALS: u64 = 32_768;
    /// Data segments.
    pub const DATA_SEGMENTS: u64 = 128;
    /// Element segments.
    pub const ELEMENT_SEGMENTS: u64 = 128;
    /// Sum of all tables' initial sizes.
    pub const TABLE_ENTRIES: u64 = 4096;
    /// Sum of all element segments' lengths.
    pub const ELEMENT_ENTRIES: u64 = 4096;
    /// Declared locals of one function (parameters not counted).
    pub const LOCALS: u64 = 348;
    /// Operators in one function body.
    pub const OPCODES_PER_FUNCTION: u64 = 65_536;
    /// Bytes in an export name or in the module name.
    pub const NAME_LEN: u64 = 512;
}

/// Exports and imports whose name starts with this are reserved for Nitro's instrumentation.
pub const RESERVED_PREFIX: &str = "stylus";

/// What [`validate`] learned about a module that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Size of the wasm in bytes.
    pub raw_size: usize,
    /// Memory pages the module starts with.
    pub initial_pages: u64,
    /// The memory's declared maximum, if any.
    pub max_pages: Option<u64>,
    /// Defined functions (not counting imports).
    pub functions: u64,
    /// Over the defined functions, the sum of each one's parameters and results.
    pub type_len: u64,
    /// Names of the imported host functions, in import order.
    pub imports: Vec<String>,
    /// Names of all exports, in module order.
    pub exports: Vec<String>,
    /// Function index of [`ENTRYPOINT`].
    pub entrypoint: u32,
    /// Globals.
    pub globals: u64,
    /// Sum of the tables' initial sizes.
    pub table_entries: u64,
    /// Data segments.
    pub data_segments: u64,
    /// Bytes of data in all data segments.
    pub data_bytes: u64,
    /// Sum of the element segments' lengths.
    pub element_entries: u64,
    /// Most declared locals of any one function.
    pub max_locals: u64,
    /// Most operators in any one function.
    pub max_function_ops: u64,
}

/// The wasm features Nitro's validator enables.
///
/// MVP plus mutable globals, sign extension, saturating float-to-int, bulk memory and floats
/// (Nitro validates floats; [`validate`] then rejects them itself). Multi-value is off: Nitro
/// enables it only for ArbOS versions before 60. SIMD, relaxed SIMD, reference types,
/// threads, tail calls, multi-memory, exceptions, memory64, extended-const, function
/// references, GC and the component model are off. `GC_TYPES` stays on as in Nitro, since
/// wasmparser needs it for the `funcref` table that `call_indirect` uses.
pub fn nitro_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
}

/// Checks `wasm` against the rules Nitro applies when activating a Stylus program, plus
/// Tidepool's rule that no float type or instruction appears anywhere (Nitro accepts floats
/// but prices them so that any float on a code path runs out of gas).
///
/// The checks run in a fixed order, so a module breaking several rules always reports the
/// same first one: size (at most [`MAX_DECOMPRESSED_SIZE`], what Nitro decompresses), wasm
/// validity under [`nitro_features`], imports, memory, entry point,
/// start function, exports, size limits, float types, then every function body.
///
/// # Errors
/// The first [`ActivationError`] found.
pub fn validate(wasm: &[u8]) -> Result<ModuleInfo, ActivationError> {
    if wasm.len() > MAX_DECOMPRESSED_SIZE {
        return Err(ActivationError::WasmTooLarge {
            size: wasm.len(),
            limit: MAX_DECOMPRESSED_SIZE,
        });
    }
    Validator::new_with_features(nitro_features()).validate_all(wasm).map_err(|e| {
        ActivationError::InvalidWasm { message: e.message().to_string(), offset: e.offset() }
    })?;
    let module = Module::parse(wasm)?;
    module.check(wasm.len())
}

/// The parts of a module the checks need, borrowed from the wasm bytes.
#[derive(Default)]
struct Module<'a> {
    types: Vec<FuncType>,
    imports: Vec<Import<'a>>,
    /// Type index of each defined function.
    functions: Vec<u32>,
    tables: Vec<TableType>,
    memories: Vec<MemoryType>,
    globals: Vec<GlobalType>,
    exports: Vec<Export<'a>>,
    start: Option<u32>,
    element_segments: u64,
    element_entries: u64,
    data_segments: u64,
    data_bytes: u64,
    bodies: Vec<FunctionBody<'a>>,
    module_name: Option<&'a str>,
    function_names: HashMap<u32, &'a str>,
}

/// Maps a wasmparser error met after validation (so unexpected) to [`ActivationError`].
fn malformed(e: wasmparser::BinaryReaderError) -> ActivationError {
    ActivationError::InvalidWasm { message: e.message().to_string(), offset: e.offset() }
}

/// Every item of a section, in order; a section's entries are read whole or not at all.
fn items<T>(
    section: impl IntoIterator<Item = wasmparser::Result<T>>,
) -> Result<Vec<T>, ActivationError> {
    section.into_iter().map(|item| item.map_err(malformed)).collect()
}

impl<'a> Module<'a> {
    fn parse(wasm: &'a [u8]) -> Result<Self, ActivationError> {
        let mut m = Module::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(malformed)? {
                Payload::TypeSection(s) => m.types.extend(items(s.into_iter_err_on_gc_types())?),
                Payload::ImportSection(s) => m.imports.extend(items(s)?),
                Payload::FunctionSection(s) => m.functions.extend(items(s)?),
                Payload::TableSection(s) => m.tables.extend(items(s)?.into_iter().map(|t| t.ty)),
                Payload::MemorySection(s) => m.memories.extend(items(s)?),
                Payload::GlobalSection(s) => m.globals.extend(items(s)?.into_iter().map(|g| g.ty)),
                Payload::ExportSection(s) => m.exports.extend(items(s)?),
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::ElementSection(s) => {
                    for element in s {
                        let element = element.map_err(malformed)?;
                        m.element_segments += 1;
                        m.element_entries += u64::from(match element.items {
                            ElementItems::Functions(items) => items.count(),
                            ElementItems::Expressions(_, items) => items.count(),
                        });
                    }
                }
                Payload::DataSection(s) => {
                    for data in s {
                        let data = data.map_err(malformed)?;
                        m.data_segments += 1;
                        m.data_bytes += data.data.len() as u64;
                    }
                }
                Payload::CodeSectionEntry(body) => m.bodies.push(body),
                Payload::CustomSection(reader) => {
                    if let KnownCustom::Name(names) = reader.as_known() {
                        m.read_names(names);
                    }
                }
                Payload::UnknownSection { id, .. } => {
                    return Err(ActivationError::UnsupportedSection { id });
                }
                _ => {}
            }
        }
        Ok(m)
    }

    /// Reads the module and function names; a malformed name section is ignored, as by
    /// engines generally (it is only debug information).
    fn read_names(&mut self, names: wasmparser::NameSectionReader<'a>) {
        for name in names.into_iter().flatten() {
            match name {
                Name::Module { name, .. } => self.module_name = Some(name),
                Name::Function(map) => {
                    for naming in map.into_iter().flatten() {
                        self.function_names.insert(naming.index, naming.name);
                    }
                }
                _ => {}
            }
        }
    }

    fn check(&self, raw_size: usize) -> Result<ModuleInfo, ActivationError> {
        let imports = self.check_imports()?;
        let memory = self.check_memory()?;
        let entrypoint = self.check_entrypoint()?;
        if let Some(func) = self.start {
            return Err(ActivationError::StartFunction { function: self.describe(func) });
        }
        self.check_exports(&imports)?;
        let table_entries = self.tables.iter().map(|t| t.initial).fold(0u64, u64::saturating_add);
        limit("functions", self.functions.len() as u64, limits::FUNCTIONS)?;
        limit("exports", self.exports.len() as u64, limits::EXPORTS)?;
        limit("globals", self.globals.len() as u64, limits::GLOBALS)?;
        limit("data segments", self.data_segments, limits::DATA_SEGMENTS)?;
        limit("element segments", self.element_segments, limits::ELEMENT_SEGMENTS)?;
        limit("table entries", table_entries, limits::TABLE_ENTRIES)?;
        limit("element entries", self.element_entries, limits::ELEMENT_ENTRIES)?;
        if let Some(name) = self.module_name {
            name_len("module name", name, limits::NAME_LEN)?;
        }
        self.check_float_types()?;
        let (max_locals, max_function_ops) = self.check_bodies()?;
        Ok(ModuleInfo {
            raw_size,
            initial_pages: memory.initial,
            max_pages: memory.maximum,
            functions: self.functions.len() as u64,
            type_len: self.type_len()?,
            imports: imports.iter().map(|h| h.name.to_string()).collect(),
            exports: self.exports.iter().map(|e| e.name.to_string()).collect(),
            entrypoint,
            globals: self.globals.len() as u64,
            table_entries,
            data_segments: self.data_segments,
            data_bytes: self.data_bytes,
            element_entries: self.element_entries,
            max_locals,
            max_function_ops,
        })
    }

    /// Parameters plus results of every defined function's type, summed.
    fn type_len(&self) -> Result<u64, ActivationError> {
        let mut total = 0u64;
        for &index in &self.functions {
            let ty = self.func_type(index)?;
            total += (ty.params().len() + ty.results().len()) as u64;
        }
        Ok(total)
    }

    /// Every import must be a `vm_hooks` function from the host-function table with exactly
    /// its signature.
    fn check_imports(&self) -> Result<Vec<&'static HostIo>, ActivationError> {
        limit("imports", self.imports.len() as u64, limits::IMPORTS)?;
        let mut found = Vec::with_capacity(self.imports.len());
        for import in &self.imports {
            let (module, name) = (import.module.to_string(), import.name.to_string());
            let TypeRef::Func(type_index) = import.ty else {
                let kind = type_ref_kind(&import.ty);
                return Err(ActivationError::ImportKind { module, name, kind });
            };
            if import.module != HOST_MODULE {
                return Err(ActivationError::ImportModule { module, name });
            }
            if import.name.starts_with(RESERVED_PREFIX) {
                return Err(ActivationError::ReservedName { name });
            }
            let Some(host) = hostio::hostio(import.name) else {
                return Err(ActivationError::UnknownHostIo { name });
            };
            let ty = self.func_type(type_index)?;
            if !signature_matches(ty, host) {
                return Err(ActivationError::HostIoSignature {
                    name,
                    expected: host.signature(),
                    found: describe_type(ty),
                });
            }
            found.push(host);
        }
        Ok(found)
    }

    /// Exactly one memory, exported as `memory`, starting within the page limit.
    fn check_memory(&self) -> Result<MemoryType, ActivationError> {
        let memory = match self.memories.as_slice() {
            [] => return Err(ActivationError::MissingMemory),
            [memory] => *memory,
            more => {
                return Err(ActivationError::TooMany {
                    what: "memories",
                    count: more.len() as u64,
                    limit: 1,
                })
            }
        };
        let exported = self
            .exports
            .iter()
            .any(|e| e.name == MEMORY_EXPORT && e.kind == ExternalKind::Memory && e.index == 0);
        if !exported {
            return Err(ActivationError::MemoryNotExported);
        }
        if memory.initial > MAX_INITIAL_PAGES {
            return Err(ActivationError::TooManyPages {
                pages: memory.initial,
                limit: MAX_INITIAL_PAGES,
            });
        }
        Ok(memory)
    }

    /// `user_entrypoint` must be an exported function of type `(i32) -> i32`.
    fn check_entrypoint(&self) -> Result<u32, ActivationError> {
        let Some(export) = self.exports.iter().find(|e| e.name == ENTRYPOINT) else {
            return Err(ActivationError::MissingEntrypoint);
        };
        if export.kind != ExternalKind::Func {
            return Err(ActivationError::EntrypointNotFunction {
                kind: external_kind(export.kind),
            });
        }
        let ty = self.function_type(export.index)?;
        if ty.params() != [wasmparser::ValType::I32] || ty.results() != [wasmparser::ValType::I32] {
            return Err(ActivationError::EntrypointSignature { found: describe_type(ty) });
        }
        Ok(export.index)
    }

    /// Nitro's export rules: no reserved names, no export named like an import (it compares
    /// the part after the last `__`), names at most 512 bytes.
    fn check_exports(&self, imports: &[&HostIo]) -> Result<(), ActivationError> {
        for export in &self.exports {
            name_len("export name", export.name, limits::NAME_LEN)?;
            let last = export.name.rsplit("__").next().unwrap_or(export.name);
            if last.starts_with(RESERVED_PREFIX) {
                return Err(ActivationError::ReservedName { name: export.name.to_string() });
            }
            if imports.iter().any(|h| h.name == last) {
                return Err(ActivationError::ExportShadowsImport { name: export.name.to_string() });
            }
        }
        Ok(())
    }

    /// No float in any defined function's signature or in any global.
    fn check_float_types(&self) -> Result<(), ActivationError> {
        for (i, &type_index) in self.functions.iter().enumerate() {
            let ty = self.func_type(type_index)?;
            if ty.params().iter().chain(ty.results()).any(is_float) {
                let function = self.describe(self.imports.len() as u32 + i as u32);
                return Err(ActivationError::FloatType {
                    location: format!("signature {} of function {function}", describe_type(ty)),
                });
            }
        }
        for (i, global) in self.globals.iter().enumerate() {
            if is_float(&global.content_type) {
                return Err(ActivationError::FloatType {
                    location: format!("global {i} ({})", global.content_type),
                });
            }
        }
        Ok(())
    }

    /// Locals and operators of every body: counts within limits, no float, no bulk-memory
    /// operator Nitro does not implement. Returns the largest local and operator counts.
    fn check_bodies(&self) -> Result<(u64, u64), ActivationError> {
        let (mut max_locals, mut max_ops) = (0u64, 0u64);
        let mut scratch = String::new();
        for (i, body) in self.bodies.iter().enumerate() {
            let index = self.imports.len() as u32 + i as u32;
            let mut locals = 0u64;
            for entry in body.get_locals_reader().map_err(malformed)? {
                let (count, ty) = entry.map_err(malformed)?;
                locals += u64::from(count);
                if is_float(&ty) {
                    return Err(ActivationError::FloatType {
                        location: format!("a local of function {}", self.describe(index)),
                    });
                }
            }
            limit("locals in one function", locals, limits::LOCALS)?;
            max_locals = max_locals.max(locals);

            let mut ops = 0u64;
            let mut reader = body.get_operators_reader().map_err(malformed)?;
            while !reader.eof() {
                let offset = reader.original_position();
                let op = reader.read().map_err(malformed)?;
                ops += 1;
                if let Some(name) = unsupported_bulk_op(&op) {
                    return Err(ActivationError::UnsupportedInstruction {
                        op: name.to_string(),
                        function: self.describe(index),
                        offset,
                    });
                }
                if let Some(name) = float_op(&op, &mut scratch) {
                    return Err(ActivationError::FloatInstruction {
                        op: name,
                        function: self.describe(index),
                        offset,
                    });
                }
            }
            limit("operators in one function", ops, limits::OPCODES_PER_FUNCTION)?;
            max_ops = max_ops.max(ops);
        }
        Ok((max_locals, max_ops))
    }

    /// The type of the function at `index` in the function index space (imports first).
    fn function_type(&self, index: u32) -> Result<&FuncType, ActivationError> {
        let imported = self.imports.iter().filter_map(|i| match i.ty {
            TypeRef::Func(t) => Some(t),
            _ => None,
        });
        let type_index = imported
            .chain(self.functions.iter().copied())
            .nth(index as usize)
            .ok_or_else(|| invalid(format!("function index {index} out of bounds")))?;
        self.func_type(type_index)
    }

    fn func_type(&self, type_index: u32) -> Result<&FuncType, ActivationError> {
        self.types
            .get(type_index as usize)
            .ok_or_else(|| invalid(format!("type index {type_index} out of bounds")))
    }

    /// `12` or `12 (name)` when the name section knows it.
    fn describe(&self, function: u32) -> String {
        match self.function_names.get(&function) {
            Some(name) => format!("{function} ({name})"),
            None => function.to_string(),
        }
    }
}

fn invalid(message: String) -> ActivationError {
    ActivationError::InvalidWasm { message, offset: 0 }
}

fn limit(what: &'static str, count: u64, limit: u64) -> Result<(), ActivationError> {
    if count > limit {
        return Err(ActivationError::TooMany { what, count, limit });
    }
    Ok(())
}

fn name_len(what: &'static str, name: &str, limit: u64) -> Result<(), ActivationError> {
    if name.len() as u64 > limit {
        return Err(ActivationError::NameTooLong { what, len: name.len() as u64, limit });
    }
    Ok(())
}

fn is_float(ty: &wasmparser::ValType) -> bool {
    matches!(ty, wasmparser::ValType::F32 | wasmparser::ValType::F64)
}

fn to_host_type(ty: &wasmparser::ValType) -> Option<ValType> {
    match ty {
        wasmparser::ValType::I32 => Some(ValType::I32),
        wasmparser::ValType::I64 => Some(ValType::I64),
        wasmparser::ValType::F32 => Some(ValType::F32),
        wasmparser::ValType::F64 => Some(ValType::F64),
        _ => None,
    }
}

fn signature_matches(ty: &FuncType, host: &HostIo) -> bool {
    let same = |wasm: &[wasmparser::ValType], want: &[ValType]| {
        wasm.len() == want.len() && wasm.iter().zip(want).all(|(w, h)| to_host_type(w) == Some(*h))
    };
    same(ty.params(), host.params) && same(ty.results(), host.results)
}

/// `(i32, i64) -> (i32)`, the notation of [`HostIo::signature`].
fn describe_type(ty: &FuncType) -> String {
    let join = |tys: &[wasmparser::ValType]| {
        tys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    format!("({}) -> ({})", join(ty.params()), join(ty.results()))
}

fn type_ref_kind(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) => "function",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}

fn external_kind(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func => "function",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

/// Bulk-memory operators Nitro's validator accepts but its prover cannot run (it implements
/// only `memory.copy` and `memory.fill`), so activation fails on them.
fn unsupported_bulk_op(op: &Operator<'_>) -> Option<&'static str> {
    Some(match op {
        Operator::MemoryInit { .. } => "memory.init",
        Operator::DataDrop { .. } => "data.drop",
        Operator::TableInit { .. } => "table.init",
        Operator::ElemDrop { .. } => "elem.drop",
        Operator::TableCopy { .. } => "table.copy",
        _ => return None,
    })
}

/// The operator's name if it touches a float: any operator whose name mentions `F32`/`F64`
/// (arithmetic, comparisons, conversions, reinterpretations, loads, stores, constants), or a
/// block or typed `select` whose type is a float.
///
/// wasmparser's derived `Debug` output starts with the operator's variant name and prints
/// value types as `F32`/`F64`, and no integer operator's output contains either, so the check
/// reads that text instead of listing some seventy variants. The unit tests pin it down.
fn float_op(op: &Operator<'_>, scratch: &mut String) -> Option<String> {
    let block_float = match op {
        Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
            matches!(blockty, BlockType::Type(t) if is_float(t))
        }
        Operator::TypedSelect { ty } => is_float(ty),
        _ => false,
    };
    scratch.clear();
    // Writing to a String cannot fail.
    let _ = write!(scratch, "{op:?}");
    let name_len = scratch.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(scratch.len());
    let name = &scratch[..name_len];
    (block_float || name.contains("F32") || name.contains("F64")).then(|| name.to_string())
}
