//! `validate` on small modules written in wasm text: what Nitro accepts and each rejection.
#![allow(clippy::unwrap_used)]

use tidepool_activation::{
    activate, compress_program, validate, ActivationError, ModuleInfo, HOSTIOS, MAX_INITIAL_PAGES,
};

const ENTRY: &str = r#"(func (export "user_entrypoint") (param i32) (result i32) (i32.const 0))"#;
const MEMORY: &str = r#"(memory (export "memory") 1)"#;

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("bad test module: {e}\n{text}"))
}

/// A module with the standard memory and entry point around `body`.
fn module(body: &str) -> Vec<u8> {
    wasm(&format!("(module {body} {MEMORY} {ENTRY})"))
}

fn check(text: &str) -> Result<ModuleInfo, ActivationError> {
    validate(&wasm(text))
}

fn check_body(body: &str) -> Result<ModuleInfo, ActivationError> {
    validate(&module(body))
}

/// A function with one float in it, flagged as `op`.
fn assert_float_op(code: &str, op: &str) {
    let body = format!("(func (param i32) (result i32) {code})");
    match check_body(&body) {
        Err(ActivationError::FloatInstruction { op: found, .. }) => assert_eq!(found, op, "{code}"),
        other => panic!("{code}: expected a float instruction, got {other:?}"),
    }
}

fn invalid_message(result: Result<ModuleInfo, ActivationError>) -> String {
    match result {
        Err(ActivationError::InvalidWasm { message, .. }) => message,
        other => panic!("expected InvalidWasm, got {other:?}"),
    }
}

#[test]
fn minimal_program_passes() {
    let info = check(&format!(
        r#"(module
            (import "vm_hooks" "read_args" (func $read_args (param i32)))
            (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
            {MEMORY}
            (func (export "user_entrypoint") (param $len i32) (result i32)
                (call $read_args (i32.const 0))
                (call $write_result (i32.const 0) (local.get $len))
                (i32.const 0)))"#
    ))
    .unwrap();
    assert_eq!(info.initial_pages, 1);
    assert_eq!(info.max_pages, None);
    assert_eq!(info.functions, 1);
    assert_eq!(info.imports, ["read_args", "write_result"]);
    assert_eq!(info.exports, ["memory", "user_entrypoint"]);
    assert_eq!(info.entrypoint, 2);
    assert!(info.raw_size > 8);
}

#[test]
fn integer_code_of_every_kind_passes() {
    // The post-MVP features Nitro enables, and integer operators whose names could be mistaken
    // for floats by a careless check.
    let info = check_body(
        r#"
        (type $t (func (param i64) (result i64)))
        (table 2 funcref)
        (elem (i32.const 0) $id $id)
        (global $g (mut i64) (i64.const 7))
        (data (i32.const 16) "tidepool")
        (func $id (param i64) (result i64) (local.get 0))
        (func (param $a i32) (param $b i64) (result i64) (local $c i32)
            (memory.copy (i32.const 0) (i32.const 16) (i32.const 8))
            (memory.fill (i32.const 32) (i32.const 0) (i32.const 8))
            (local.set $c (i32.extend8_s (local.get $a)))
            (local.set $c (i32.extend16_s (local.get $c)))
            (drop (i64.extend32_s (local.get $b)))
            (drop (i64.extend_i32_u (i32.wrap_i64 (local.get $b))))
            (drop (memory.size))
            (drop (memory.grow (i32.const 0)))
            (i64.store offset=8 (i32.const 0) (i64.load (i32.const 0)))
            (i32.store8 (i32.const 0) (i32.load16_u (i32.const 2)))
            (block $out
                (br_table $out $out (local.get $a)))
            (global.set $g (i64.rotl (global.get $g) (i64.popcnt (local.get $b))))
            (select (local.get $b) (i64.const 1) (i32.eqz (local.get $c)))
            (call_indirect (type $t) (i32.const 1)))
    "#,
    )
    .unwrap();
    assert_eq!(info.functions, 3);
    assert_eq!(info.table_entries, 2);
    assert_eq!(info.element_entries, 2);
    assert_eq!(info.data_segments, 1);
    assert_eq!(info.data_bytes, 8);
    assert_eq!(info.globals, 1);
    assert_eq!(info.max_locals, 1);
}

#[test]
fn every_host_function_can_be_imported() {
    let imports: String = HOSTIOS
        .iter()
        .map(|h| {
            let ty = |tys: &[tidepool_activation::ValType]| {
                tys.iter().map(|t| format!(" {t}")).collect::<String>()
            };
            format!(
                r#"(import "vm_hooks" "{}" (func (param{}) (result{})))"#,
                h.name,
                ty(h.params),
                ty(h.results)
            )
        })
        .collect();
    let info = check_body(&imports).unwrap();
    assert_eq!(info.imports.len(), 42);
}

#[test]
fn activate_decompresses_and_validates() {
    let wasm = module("");
    let activated = activate(&compress_program(&wasm).unwrap()).unwrap();
    assert_eq!(activated.wasm, wasm);
    assert_eq!(activated.info.initial_pages, 1);

    let mut bad = wasm.clone();
    bad.truncate(bad.len() - 1);
    let code = compress_program(&bad).unwrap();
    assert!(matches!(activate(&code), Err(ActivationError::InvalidWasm { .. })));
}

// ---- floats ----

#[test]
fn rejects_float_instructions() {
    assert_float_op("(drop (f32.add (f32.const 1) (f32.const 2))) (i32.const 0)", "F32Const");
    assert_float_op("(drop (f64.load (i32.const 0))) (i32.const 0)", "F64Load");
    assert_float_op(
        "(i32.trunc_sat_f64_s (f64.reinterpret_i64 (i64.const 0)))",
        "F64ReinterpretI64",
    );
    assert_float_op("(i32.reinterpret_f32 (f32.convert_i32_s (local.get 0)))", "F32ConvertI32S");
    assert_float_op(
        "(f32.store (i32.const 0) (f32.demote_f64 (f64.const 0))) (i32.const 0)",
        "F64Const",
    );
    assert_float_op(
        "(i32.const 0) (f64.promote_f32 (f32.load (i32.const 0))) (f64.store) (i32.const 0)",
        "F32Load",
    );
    assert_float_op("(f64.lt (f64.load (i32.const 8)) (f64.load (i32.const 0)))", "F64Load");
}

#[test]
fn rejects_each_float_operator_kind() {
    // Each sequence is fed from integers, so the named operator is the first float seen.
    for (code, op) in [
        ("(i32.trunc_sat_f32_u (f32.reinterpret_i32 (local.get 0)))", "F32ReinterpretI32"),
        (
            "(i32.const 0) (i64.const 0) (f64.reinterpret_i64) (f64.store) (i32.const 0)",
            "F64ReinterpretI64",
        ),
        ("(i64.const 1) (f64.convert_i64_u) (i64.trunc_f64_s) (i32.wrap_i64)", "F64ConvertI64U"),
        ("(f32.const 0) (i32.trunc_f32_s)", "F32Const"),
    ] {
        assert_float_op(code, op);
    }
}

#[test]
fn rejects_float_block_type() {
    assert_float_op("(block (result f32) (unreachable)) (drop) (i32.const 0)", "Block");
}

#[test]
fn rejects_float_local_param_and_global() {
    let local = check_body("(func (local f64))").unwrap_err();
    assert!(
        matches!(&local, ActivationError::FloatType { location } if location.contains("local"))
    );
    let param = check_body("(func (param f32))").unwrap_err();
    assert!(
        matches!(&param, ActivationError::FloatType { location } if location.contains("(f32) -> ()"))
    );
    let global = check_body("(global f64 (f64.const 0))").unwrap_err();
    assert!(
        matches!(&global, ActivationError::FloatType { location } if location.contains("global 0"))
    );
    assert!(global.to_string().contains("unbounded ink"), "{global}");
}

#[test]
fn names_the_function_holding_a_float() {
    let err = validate(&wasm(&format!(
        r#"(module {MEMORY} {ENTRY} (func $uses_floats (drop (f32.const 1))))"#
    )))
    .unwrap_err();
    assert!(err.to_string().contains("function 1 (uses_floats)"), "{err}");
}

// ---- imports ----

#[test]
fn rejects_imports_outside_vm_hooks() {
    let err = check_body(r#"(import "env" "read_args" (func (param i32)))"#).unwrap_err();
    assert_eq!(
        err,
        ActivationError::ImportModule { module: "env".into(), name: "read_args".into() }
    );
    let console = check_body(r#"(import "console" "log_i32" (func (param i32)))"#).unwrap_err();
    assert!(console.to_string().contains("debug chains"), "{console}");
}

#[test]
fn rejects_unknown_host_function() {
    let err = check_body(r#"(import "vm_hooks" "print" (func (param i32)))"#).unwrap_err();
    assert_eq!(err, ActivationError::UnknownHostIo { name: "print".into() });
}

#[test]
fn rejects_wrong_host_signature() {
    let err = check_body(r#"(import "vm_hooks" "read_args" (func (param i64)))"#).unwrap_err();
    assert_eq!(
        err,
        ActivationError::HostIoSignature {
            name: "read_args".into(),
            expected: "(i32) -> ()".into(),
            found: "(i64) -> ()".into(),
        }
    );
    let missing_result = check_body(r#"(import "vm_hooks" "chainid" (func))"#).unwrap_err();
    assert!(matches!(missing_result, ActivationError::HostIoSignature { .. }));
}

#[test]
fn rejects_non_function_imports() {
    let err = check(&format!(
        r#"(module (import "vm_hooks" "memory" (memory 1)) (export "memory" (memory 0)) {ENTRY})"#
    ))
    .unwrap_err();
    assert!(matches!(err, ActivationError::ImportKind { kind: "memory", .. }), "{err:?}");
    let global = check_body(r#"(import "vm_hooks" "g" (global i32))"#).unwrap_err();
    assert!(matches!(global, ActivationError::ImportKind { kind: "global", .. }));
}

#[test]
fn rejects_reserved_names() {
    let import = check_body(r#"(import "vm_hooks" "stylus_ink_left" (func))"#).unwrap_err();
    assert_eq!(import, ActivationError::ReservedName { name: "stylus_ink_left".into() });
    let export = check_body(r#"(func (export "stylus_start"))"#).unwrap_err();
    assert_eq!(export, ActivationError::ReservedName { name: "stylus_start".into() });
    let suffix = check_body(r#"(func (export "my__stylus_x"))"#).unwrap_err();
    assert!(matches!(suffix, ActivationError::ReservedName { .. }));
}

#[test]
fn rejects_export_named_like_an_import() {
    let err = check_body(
        r#"(import "vm_hooks" "msg_sender" (func (param i32)))
           (func (export "msg_sender") (param i32))"#,
    )
    .unwrap_err();
    assert_eq!(err, ActivationError::ExportShadowsImport { name: "msg_sender".into() });
}

// ---- memory, entry point, start ----

#[test]
fn rejects_missing_memory() {
    assert_eq!(check(&format!("(module {ENTRY})")), Err(ActivationError::MissingMemory));
}

#[test]
fn rejects_unexported_or_misnamed_memory() {
    let plain = check(&format!("(module (memory 1) {ENTRY})"));
    assert_eq!(plain, Err(ActivationError::MemoryNotExported));
    let misnamed = check(&format!(r#"(module (memory (export "mem") 1) {ENTRY})"#));
    assert_eq!(misnamed, Err(ActivationError::MemoryNotExported));
}

#[test]
fn rejects_two_memories() {
    let message = invalid_message(check(&format!(
        r#"(module (memory (export "memory") 1) (memory 1) {ENTRY})"#
    )));
    assert!(message.contains("multiple memories"), "{message}");
}

#[test]
fn page_limit() {
    let at = check(&format!(r#"(module (memory (export "memory") {MAX_INITIAL_PAGES}) {ENTRY})"#));
    assert_eq!(at.unwrap().initial_pages, 128);
    let over = check(&format!(r#"(module (memory (export "memory") 129) {ENTRY})"#)).unwrap_err();
    assert_eq!(over, ActivationError::TooManyPages { pages: 129, limit: 128 });
    assert!(over.to_string().contains("stack-size"), "{over}");
}

#[test]
fn rejects_missing_entrypoint() {
    assert_eq!(check(&format!("(module {MEMORY})")), Err(ActivationError::MissingEntrypoint));
}

#[test]
fn rejects_wrong_entrypoint_type() {
    let err = check(&format!(
        r#"(module {MEMORY} (func (export "user_entrypoint") (param i64) (result i32) (i32.const 0)))"#
    ))
    .unwrap_err();
    assert_eq!(err, ActivationError::EntrypointSignature { found: "(i64) -> (i32)".into() });
    let global = check(&format!(
        r#"(module {MEMORY} (global (export "user_entrypoint") i32 (i32.const 0)))"#
    ));
    assert_eq!(global, Err(ActivationError::EntrypointNotFunction { kind: "global" }));
}

#[test]
fn rejects_start_function() {
    let err = check_body("(func $init) (start $init)").unwrap_err();
    assert_eq!(err, ActivationError::StartFunction { function: "0 (init)".into() });
}

// ---- features Nitro leaves off ----

#[test]
fn rejects_features_nitro_leaves_off() {
    // (feature, a module using it, the words one of which the validator's message must hold)
    let cases: [(&str, Vec<u8>, &[&str]); 8] = [
        ("SIMD", module("(func (drop (v128.const i64x2 0 0)))"), &["SIMD"]),
        (
            "reference types",
            module("(func (result externref) (ref.null extern))"),
            &["reference types"],
        ),
        (
            "multi-value",
            module("(func (result i32 i32) (i32.const 1) (i32.const 2))"),
            &["multi-value", "multiple"],
        ),
        (
            "shared memory",
            wasm(&format!(r#"(module (memory (export "memory") 1 1 shared) {ENTRY})"#)),
            &["threads"],
        ),
        ("atomics", module("(func (drop (i32.atomic.load (i32.const 0))))"), &["threads"]),
        ("tail calls", module("(func $f (return_call $f))"), &["tail call"]),
        (
            "memory64",
            wasm(&format!(r#"(module (memory (export "memory") i64 1) {ENTRY})"#)),
            &["memory64"],
        ),
        ("exceptions", module("(tag $e) (func (throw $e))"), &["exceptions"]),
    ];
    for (feature, wasm, words) in cases {
        let message = invalid_message(validate(&wasm));
        assert!(words.iter().any(|w| message.contains(w)), "{feature}: {message}");
    }
}

#[test]
fn rejects_bulk_operators_nitro_lacks() {
    let err = check_body(
        r#"(data $d "abc")
           (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)))"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ActivationError::UnsupportedInstruction { op, .. } if op == "memory.init")
    );
    let drop = check_body(r#"(data $d "abc") (func (data.drop $d))"#).unwrap_err();
    assert!(
        matches!(&drop, ActivationError::UnsupportedInstruction { op, .. } if op == "data.drop")
    );
}

#[test]
fn rejects_garbage() {
    let message = invalid_message(validate(b"\0asm\x02\0\0\0"));
    assert!(!message.is_empty());
    assert!(matches!(validate(b"not wasm"), Err(ActivationError::InvalidWasm { .. })));
}

// ---- limits ----

#[test]
fn function_limit() {
    let at: String = "(func)".repeat(4095); // plus the entry point
    assert_eq!(check_body(&at).unwrap().functions, 4096);
    let over: String = "(func)".repeat(4096);
    assert_eq!(
        check_body(&over),
        Err(ActivationError::TooMany { what: "functions", count: 4097, limit: 4096 })
    );
}

#[test]
fn locals_limit() {
    assert_eq!(check_body("(func (local i32) (local i64))").unwrap().max_locals, 2);
    let over = format!("(func {})", "(local i64)".repeat(349));
    assert_eq!(
        check_body(&over),
        Err(ActivationError::TooMany { what: "locals in one function", count: 349, limit: 348 })
    );
}

#[test]
fn table_limit() {
    let over = check_body("(table 4097 funcref)").unwrap_err();
    assert_eq!(over, ActivationError::TooMany { what: "table entries", count: 4097, limit: 4096 });
}

#[test]
fn data_segment_limit() {
    let over: String = r#"(data (i32.const 0) "x")"#.repeat(129);
    assert_eq!(
        check_body(&over),
        Err(ActivationError::TooMany { what: "data segments", count: 129, limit: 128 })
    );
}

#[test]
fn export_name_limit() {
    let long = "x".repeat(513);
    let err = check_body(&format!(r#"(func (export "{long}"))"#)).unwrap_err();
    assert_eq!(err, ActivationError::NameTooLong { what: "export name", len: 513, limit: 512 });
}

#[test]
fn size_limit() {
    // A valid module padded past 128 KiB with a custom section named "pad".
    let limit = tidepool_activation::MAX_DECOMPRESSED_SIZE;
    let mut big = module("");
    let content_len = 1 + 3 + limit; // name length, "pad", padding
    big.push(0); // custom section id
    let mut n = content_len;
    while n >= 0x80 {
        big.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    big.push(n as u8);
    big.push(3);
    big.extend(b"pad");
    big.resize(big.len() + limit, 0);
    assert_eq!(validate(&big), Err(ActivationError::WasmTooLarge { size: big.len(), limit }));
    // The same module without the padding is fine; compression refuses neither.
    assert!(validate(&module("")).is_ok());
    assert!(compress_program(&big).is_ok());
}
