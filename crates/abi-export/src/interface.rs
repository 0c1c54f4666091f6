//! Reads the Solidity interface stylus-sdk's `export-abi` prints.
//!
//! The SDK prints one item per line inside `interface IName { … }`:
//! `function f(uint64 a, bytes calldata b) external view returns (uint256);`,
//! `error E(address, uint256);` (types only, no names) and, for struct types that appear in
//! signatures, `struct S {uint64 a;address b;}`. Functions are parsed with alloy's
//! human-readable ABI parser; struct-typed parameters are then expanded into tuples with
//! their fields as components, as a compiler's JSON ABI has them.

use std::collections::BTreeMap;

use alloy_json_abi::{Constructor, Function, InternalType, Param};

use crate::AbiExportError;

/// What the SDK's interface text declares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SdkInterface {
    /// Functions, in the SDK's order, with struct parameters expanded.
    pub functions: Vec<Function>,
    /// Error signatures in canonical form, e.g. `NotDeployer(address,uint64)`.
    pub errors: Vec<String>,
    /// Struct definitions by name: field parameters, themselves expanded.
    pub structs: BTreeMap<String, Vec<Param>>,
}

/// Deepest struct nesting accepted (a guard against self-referencing definitions).
const MAX_DEPTH: usize = 32;

/// Parses the SDK's interface text; `contract` is the interface name (e.g. `IVault`) that
/// struct types are qualified with.
///
/// # Errors
/// [`AbiExportError::Parse`] for a line that is not a function, error or struct
/// declaration, [`AbiExportError::UnknownType`] for a type that is neither elementary nor a
/// declared struct.
pub fn parse_interface(text: &str, contract: &str) -> Result<SdkInterface, AbiExportError> {
    let mut raw_functions = Vec::new();
    let mut raw_structs = BTreeMap::new();
    let mut errors = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let item = line.trim();
        let parse_err = |message: String| AbiExportError::Parse {
            line: number + 1,
            text: item.to_string(),
            message,
        };
        if item.is_empty()
            || item == "}"
            || item.starts_with("//")
            || item.starts_with("/*")
            || item.starts_with('*')
            || item.starts_with("pragma ")
            || item.starts_with("interface ")
        {
            continue;
        }
        if let Some(rest) = item.strip_prefix("function ") {
            let rest = rest.trim_end_matches(';');
            let function = Function::parse(rest).map_err(|e| parse_err(e.to_string()))?;
            raw_functions.push(function);
        } else if let Some(rest) = item.strip_prefix("error ") {
            errors.push(rest.trim_end_matches(';').replace(' ', ""));
        } else if let Some(rest) = item.strip_prefix("struct ") {
            let (name, fields) = parse_struct(rest).map_err(parse_err)?;
            raw_structs.insert(name, fields);
        } else {
            return Err(parse_err("expected a function, error or struct declaration".into()));
        }
    }

    let mut structs = BTreeMap::new();
    for (name, fields) in &raw_structs {
        let mut fields = fields.clone();
        for field in &mut fields {
            expand_param(field, &raw_structs, contract, 0)?;
        }
        structs.insert(name.clone(), fields);
    }
    let mut functions = raw_functions;
    for function in &mut functions {
        for param in function.inputs.iter_mut().chain(function.outputs.iter_mut()) {
            expand_param(param, &raw_structs, contract, 0)?;
        }
    }
    Ok(SdkInterface { functions, errors, structs })
}

/// Parses the SDK's constructor signature line (`constructor(address owner) payable`), if
/// it printed one.
///
/// # Errors
/// [`AbiExportError::Parse`] if the line is not a constructor.
pub fn parse_constructor(
    text: &str,
    structs: &BTreeMap<String, Vec<Param>>,
    contract: &str,
) -> Result<Option<Constructor>, AbiExportError> {
    let line = text.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut constructor = Constructor::parse(line).map_err(|e| AbiExportError::Parse {
        line: 1,
        text: line.to_string(),
        message: e.to_string(),
    })?;
    for param in &mut constructor.inputs {
        expand_param(param, structs, contract, 0)?;
    }
    Ok(Some(constructor))
}

/// `Name {type a;type b;}` → the name and its fields (types may still name structs).
fn parse_struct(rest: &str) -> Result<(String, Vec<Param>), String> {
    let (name, body) = rest.split_once('{').ok_or("a struct declaration needs `{`")?;
    let body = body.trim().strip_suffix('}').ok_or("a struct declaration ends with `}`")?;
    let name = name.trim();
    if !is_identifier(name) {
        return Err(format!("bad struct name `{name}`"));
    }
    let mut fields = Vec::new();
    for field in body.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let param = Param::parse(field).map_err(|e| format!("field `{field}`: {e}"))?;
        fields.push(param);
    }
    Ok((name.to_string(), fields))
}

/// Rewrites a parameter whose type names a struct into `tuple` with the struct's fields as
/// components (keeping array suffixes), recursively, and checks every other type is
/// elementary.
fn expand_param(
    param: &mut Param,
    structs: &BTreeMap<String, Vec<Param>>,
    contract: &str,
    depth: usize,
) -> Result<(), AbiExportError> {
    if depth > MAX_DEPTH {
        return Err(AbiExportError::UnknownType {
            ty: param.ty.clone(),
            reason: "structs nested too deeply (self-referencing?)",
        });
    }
    let (base, suffix) = split_array_suffix(&param.ty);
    if let Some(fields) = structs.get(base) {
        let mut components = fields.clone();
        for component in &mut components {
            expand_param(component, structs, contract, depth + 1)?;
        }
        param.internal_type = Some(InternalType::Struct {
            contract: Some(contract.to_string()),
            ty: param.ty.clone(),
        });
        param.ty = format!("tuple{suffix}");
        param.components = components;
    } else if base == "tuple" {
        for component in &mut param.components {
            expand_param(component, structs, contract, depth + 1)?;
        }
    } else if !is_elementary(base) {
        return Err(AbiExportError::UnknownType {
            ty: param.ty.clone(),
            reason: "neither an elementary type nor a struct the interface declares",
        });
    }
    Ok(())
}

/// `Foo[2][]` → (`Foo`, `[2][]`).
fn split_array_suffix(ty: &str) -> (&str, &str) {
    match ty.find('[') {
        Some(at) => (&ty[..at], &ty[at..]),
        None => (ty, ""),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Solidity's elementary ABI types: `address bool string bytes function`, `bytes1`…`bytes32`,
/// `uint8`…`uint256` and `int8`…`int256` in steps of 8.
fn is_elementary(ty: &str) -> bool {
    let sized = |digits: &str, ok: &dyn Fn(u32) -> bool| {
        !digits.is_empty() && !digits.starts_with('0') && digits.parse::<u32>().is_ok_and(ok)
    };
    match ty {
        "address" | "bool" | "string" | "bytes" | "function" => true,
        _ => {
            if let Some(n) = ty.strip_prefix("bytes") {
                sized(n, &|n| (1..=32).contains(&n))
            } else if let Some(n) = ty.strip_prefix("uint").or_else(|| ty.strip_prefix("int")) {
                sized(n, &|n| n % 8 == 0 && (8..=256).contains(&n))
            } else {
                false
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_json_abi::StateMutability;

    const VAULT: &str = "\
interface IVault {
    function initialize(address pool, uint64 deployer_nonce) external;

    function pool() external view returns (address);

    function deposit(uint256[] memory amounts, bytes calldata data) external payable returns (uint256, bool);

    error NotPool(address);

    error InsufficientVaultBalance(uint256, uint256);

    error ZeroPoolAddress();
}
";

    #[test]
    fn reads_functions_and_errors() {
        let iface = parse_interface(VAULT, "IVault").unwrap();
        let names: Vec<_> = iface.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["initialize", "pool", "deposit"]);
        let init = &iface.functions[0];
        assert_eq!(init.signature(), "initialize(address,uint64)");
        assert_eq!(init.inputs[1].name, "deployer_nonce");
        assert_eq!(init.state_mutability, StateMutability::NonPayable);
        assert_eq!(iface.functions[1].state_mutability, StateMutability::View);
        assert_eq!(iface.functions[1].outputs[0].ty, "address");
        let deposit = &iface.functions[2];
        assert_eq!(deposit.state_mutability, StateMutability::Payable);
        assert_eq!(deposit.inputs[0].ty, "uint256[]");
        assert_eq!(deposit.inputs[1].ty, "bytes");
        assert_eq!(deposit.outputs.len(), 2);
        assert_eq!(
            iface.errors,
            ["NotPool(address)", "InsufficientVaultBalance(uint256,uint256)", "ZeroPoolAddress()"]
        );
        assert!(iface.structs.is_empty());
    }

    #[test]
    fn expands_structs_into_tuples() {
        let text = "\
interface IOracle {
    function submitReport(ReportData calldata data, bytes[] memory signatures) external;

    function batches(Frame[] memory frames) external pure returns (Frame[2] memory);

    struct Inner {uint8 kind;bytes32 tag;}

    struct ReportData {uint256 refSlot;Inner inner;uint256[] batches;bool isBunkerMode;}

    struct Frame {uint64 start; uint64 _end;}
}";
        let iface = parse_interface(text, "IOracle").unwrap();
        let submit = &iface.functions[0];
        let data = &submit.inputs[0];
        assert_eq!(data.ty, "tuple");
        assert_eq!(data.name, "data");
        assert_eq!(
            data.internal_type,
            Some(InternalType::Struct {
                contract: Some("IOracle".into()),
                ty: "ReportData".into()
            })
        );
        let fields: Vec<_> = data.components.iter().map(|c| (&*c.name, &*c.ty)).collect();
        assert_eq!(
            fields,
            [
                ("refSlot", "uint256"),
                ("inner", "tuple"),
                ("batches", "uint256[]"),
                ("isBunkerMode", "bool")
            ]
        );
        assert_eq!(data.components[1].components.len(), 2);
        assert_eq!(
            submit.signature(),
            "submitReport((uint256,(uint8,bytes32),uint256[],bool),bytes[])"
        );

        let batches = &iface.functions[1];
        assert_eq!(batches.inputs[0].ty, "tuple[]");
        assert_eq!(batches.outputs[0].ty, "tuple[2]");
        assert_eq!(
            batches.outputs[0].internal_type,
            Some(InternalType::Struct { contract: Some("IOracle".into()), ty: "Frame[2]".into() })
        );
        assert_eq!(batches.signature(), "batches((uint64,uint64)[])");
        assert_eq!(iface.structs["Frame"][1].name, "_end");
    }

    #[test]
    fn rejects_unknown_types_and_lines() {
        let unknown = parse_interface("function f(Missing m) external;", "I").unwrap_err();
        assert!(matches!(unknown, AbiExportError::UnknownType { ref ty, .. } if ty == "Missing"));
        let odd = parse_interface("interface I {\n    modifier m();\n}", "I").unwrap_err();
        assert!(matches!(odd, AbiExportError::Parse { line: 2, .. }), "{odd:?}");
        let bad = parse_interface("function (uint256) external;", "I").unwrap_err();
        assert!(matches!(bad, AbiExportError::Parse { .. }));
        let recursive = parse_interface("struct A {A a;}\nfunction f(A a) external;", "I");
        assert!(matches!(recursive, Err(AbiExportError::UnknownType { .. })));
    }

    #[test]
    fn elementary_types() {
        for ty in [
            "address", "bool", "string", "bytes", "bytes1", "bytes32", "uint8", "uint256", "int128",
        ] {
            assert!(is_elementary(ty), "{ty}");
        }
        for ty in ["bytes0", "bytes33", "uint7", "uint264", "uint08", "int", "Foo", "tuple"] {
            assert!(!is_elementary(ty), "{ty}");
        }
        assert_eq!(split_array_suffix("Foo[2][]"), ("Foo", "[2][]"));
    }

    #[test]
    fn constructor_line() {
        let structs = BTreeMap::new();
        assert_eq!(parse_constructor("", &structs, "I").unwrap(), None);
        let c = parse_constructor("constructor(address owner) payable\n", &structs, "I").unwrap();
        let c = c.unwrap();
        assert_eq!(c.inputs[0].name, "owner");
        assert_eq!(c.state_mutability, StateMutability::Payable);
    }
}
