//! Complete ABI files for Tidepool's Stylus contracts.
//!
//! stylus-sdk's `export-abi` prints a contract's functions, and its errors without parameter
//! names; it knows nothing of events. This crate joins that interface with the contract's
//! own lists of events and errors (from `sol!` items marked `#[sol(abi)]`, which carry
//! parameter names) into one [`JsonAbi`], printed as a Solidity interface or a JSON ABI.
//!
//! A contract crate uses it from its export-abi binary:
//!
//! ```ignore
//! // contracts/vault/src/main.rs
//! fn main() -> std::process::ExitCode {
//!     tidepool_abi_export::run(
//!         tidepool_abi_export::sdk_abi!(tidepool_vault::Vault, "vault"),
//!         tidepool_vault::abi_items::items(),
//!     )
//! }
//! ```
//!
//! where `abi_items::items()` returns an [`Items`] naming every event and error. [`generate`]
//! fails if an error the SDK lists is missing from the items, so the ABI cannot silently lose
//! one.
//!
//! This crate deliberately does not depend on stylus-sdk: enabling stylus-sdk's `export-abi`
//! feature here would switch it on for every contract in a workspace-wide build (cargo unifies
//! features), where the contracts are `no_std` and the SDK's ABI code needs `std`. The
//! [`sdk_abi!`] macro instead reads the interface in the contract's own crate, which enables
//! that feature only for its export-abi binary.
#![warn(missing_docs)]

pub mod interface;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;

use alloy_json_abi::{
    Error, Event, Fallback, Function, InternalType, JsonAbi, Param, Receive, StateMutability,
    ToSolConfig,
};
use alloy_primitives::FixedBytes;
use alloy_sol_types::{JsonAbiExt, SolError, SolEvent};

pub use alloy_json_abi;

/// Solidity version line of the generated interfaces.
pub const PRAGMA: &str = "pragma solidity ^0.8.23;";

/// Licence line of the generated interfaces.
pub const SPDX: &str = "// SPDX-License-Identifier: MIT OR Apache-2.0";

/// Why an ABI could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum AbiExportError {
    /// A line of the SDK's interface could not be read.
    #[error("export-abi line {line} `{text}`: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// A type that is neither elementary nor a declared struct.
    #[error("type `{ty}`: {reason}")]
    UnknownType {
        /// The type.
        ty: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An error the contract can return but did not list.
    #[error(
        "error {signature} is returned by the contract's functions but missing from its ABI \
         items: add it (with parameter names) to the contract's abi_items"
    )]
    MissingError {
        /// Its canonical signature.
        signature: String,
    },
    /// The same event or error listed twice, or a function declared by two parts of a
    /// merged contract.
    #[error("{kind} {signature} is declared twice")]
    Duplicate {
        /// `function`, `event` or `error`.
        kind: &'static str,
        /// Its canonical signature.
        signature: String,
    },
    /// A hand-written declaration that does not parse.
    #[error("declaration `{declaration}`: {message}")]
    Declaration {
        /// The declaration.
        declaration: String,
        /// What is wrong.
        message: String,
    },
    /// A hand-written declaration that does not match the Rust type it describes.
    #[error("declaration `{declaration}` has selector {found}, but its Rust type has {expected}")]
    SelectorMismatch {
        /// The declaration.
        declaration: String,
        /// The Rust type's selector (hex).
        expected: String,
        /// The declaration's selector (hex).
        found: String,
    },
    /// Serialising the JSON ABI failed.
    #[error("JSON serialisation: {0}")]
    Json(#[from] serde_json::Error),
}

/// A contract's events and errors with parameter names, plus what the SDK's interface cannot
/// show (`receive`, `fallback`).
#[derive(Debug, Default)]
pub struct Items {
    events: Vec<Event>,
    errors: Vec<Error>,
    receive: bool,
    fallback: Option<StateMutability>,
    problems: Vec<AbiExportError>,
}

impl Items {
    /// No items.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an event declared in a `sol!` block with `#[sol(abi)]`.
    #[must_use]
    pub fn event<E: JsonAbiExt<Abi = Event>>(mut self) -> Self {
        self.events.push(E::abi());
        self
    }

    /// Adds an error declared in a `sol!` block with `#[sol(abi)]`.
    #[must_use]
    pub fn error<E: JsonAbiExt<Abi = Error>>(mut self) -> Self {
        self.errors.push(E::abi());
        self
    }

    /// Adds an event from a `sol!` block without `#[sol(abi)]` (another crate's), given its
    /// Solidity declaration, e.g. `event Initialized(address indexed deployer)`. The
    /// declaration is checked against `E`'s topic, so it cannot drift from the Rust type.
    #[must_use]
    pub fn event_declared<E: SolEvent>(mut self, declaration: &str) -> Self {
        let event = self.check_declared(declaration, E::SIGNATURE_HASH.to_string());
        self.events.extend(event);
        self
    }

    /// Adds an error from a `sol!` block without `#[sol(abi)]`, given its declaration, e.g.
    /// `error NotDeployer(address caller, uint64 nonce)`, checked against `E`'s selector.
    #[must_use]
    pub fn error_declared<E: SolError>(mut self, declaration: &str) -> Self {
        let error = self.check_declared(declaration, FixedBytes(E::SELECTOR).to_string());
        self.errors.extend(error);
        self
    }

    /// `declaration` parsed, if its selector (hex) is `expected`; otherwise `None`, with the
    /// problem kept for [`generate`] to report.
    fn check_declared<T: AbiItem>(&mut self, declaration: &str, expected: String) -> Option<T> {
        let problem = match T::parse(declaration) {
            Ok(item) if item.selector_hex() == expected => return Some(item),
            Ok(item) => AbiExportError::SelectorMismatch {
                declaration: declaration.to_string(),
                expected,
                found: item.selector_hex(),
            },
            Err(e) => declaration_error(declaration, e),
        };
        self.problems.push(problem);
        None
    }

    /// Declares a `receive() external payable` (a `#[receive]` function).
    #[must_use]
    pub fn receive(mut self) -> Self {
        self.receive = true;
        self
    }

    /// Declares a `fallback() external [payable]` (a `#[fallback]` function).
    #[must_use]
    pub fn fallback(mut self, payable: bool) -> Self {
        self.fallback =
            Some(if payable { StateMutability::Payable } else { StateMutability::NonPayable });
        self
    }
}

/// What [`Items`] and [`from_parts`] need of an ABI function, event or error: reading one
/// from its Solidity declaration, its selector (an event's topic), and filing it under its
/// name once.
trait AbiItem: Sized {
    /// The item's kind as `Duplicate` names it.
    const KIND: &'static str;
    fn parse(declaration: &str) -> Result<Self, alloy_json_abi::parser::Error>;
    fn selector_hex(&self) -> String;
    fn name(&self) -> &str;
    fn signature(&self) -> String;
}

/// Implements [`AbiItem`] with the inherent methods the three alloy-json-abi types share.
macro_rules! impl_item {
    ($($ty:ident => $kind:literal),+) => {$(
        impl AbiItem for $ty {
            const KIND: &'static str = $kind;
            fn parse(declaration: &str) -> Result<Self, alloy_json_abi::parser::Error> {
                $ty::parse(declaration)
            }
            fn selector_hex(&self) -> String {
                self.selector().to_string()
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn signature(&self) -> String {
                $ty::signature(self)
            }
        }
    )+};
}

impl_item!(Function => "function", Event => "event", Error => "error");

/// Files `items` under their names in `by_name`, refusing a signature already `seen`.
fn file_once<T: AbiItem>(
    seen: &mut BTreeSet<(&'static str, String)>,
    items: Vec<T>,
    by_name: &mut BTreeMap<String, Vec<T>>,
) -> Result<(), AbiExportError> {
    for item in items {
        let signature = item.signature();
        if !seen.insert((T::KIND, signature.clone())) {
            return Err(AbiExportError::Duplicate { kind: T::KIND, signature });
        }
        by_name.entry(item.name().to_string()).or_default().push(item);
    }
    Ok(())
}

fn declaration_error(declaration: &str, e: impl fmt::Display) -> AbiExportError {
    AbiExportError::Declaration { declaration: declaration.to_string(), message: e.to_string() }
}

/// A contract's complete ABI.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractAbi {
    /// Contract name as the SDK knows it (the storage struct's), e.g. `Vault`.
    pub name: String,
    /// Everything in it.
    pub abi: JsonAbi,
    /// The program serving each function, by the function's signature (`setFee(uint16,uint16)`
    /// → `pool-admin`), where the parts named one ([`SdkAbi::program`]).
    pub served_by: BTreeMap<String, String>,
}

impl ContractAbi {
    /// The interface's name, `I` + [`Self::name`].
    pub fn interface_name(&self) -> String {
        format!("I{}", self.name)
    }

    /// The Solidity interface: licence, pragma, then structs, errors, events, `receive`,
    /// `fallback` and functions, each group sorted by name, each function after a
    /// `/// Served by: <program>` line when its program is known. A constructor, which
    /// interfaces cannot declare, appears only in the JSON ABI.
    pub fn to_solidity(&self) -> String {
        let body = self.abi.to_sol(&self.interface_name(), Some(ToSolConfig::new()));
        let body = self.note_programs(&body);
        format!(
            "{SPDX}\n// Generated by `tidepool abi` from the contract's Rust source: do not edit.\n\
             {PRAGMA}\n\n{body}\n"
        )
    }

    /// `body` with a `/// Served by:` line before each function whose program is known. The
    /// interface prints its functions last, one per line, in [`JsonAbi::functions`]'s order,
    /// so the `n`-th `function` line is the `n`-th function (its name is checked anyway).
    fn note_programs(&self, body: &str) -> String {
        let mut functions = self.abi.functions();
        let mut out = String::with_capacity(body.len());
        for line in body.split_inclusive('\n') {
            let item = line.trim_start();
            if let Some(rest) = item.strip_prefix("function ") {
                let program = functions
                    .next()
                    .filter(|f| rest.starts_with(&format!("{}(", f.name)))
                    .and_then(|f| self.served_by.get(&f.signature()));
                if let Some(program) = program {
                    let indent = &line[..line.len() - item.len()];
                    out.push_str(&format!("{indent}/// Served by: {program}\n"));
                }
            }
            out.push_str(line);
        }
        out
    }

    /// The JSON ABI: the standard array of items, pretty-printed, with a final newline.
    ///
    /// # Errors
    /// [`AbiExportError::Json`] if serialisation fails.
    pub fn to_json(&self) -> Result<String, AbiExportError> {
        Ok(serde_json::to_string_pretty(&self.abi)? + "\n")
    }
}

/// Builds the ABI from the SDK's interface text and constructor line (`name` being the
/// SDK's contract name) and the contract's items.
///
/// # Errors
/// Any problem recorded by [`Items`], a parse error in the SDK's text, a duplicate item, or
/// an error in the SDK's list missing from the items.
pub fn from_sdk_output(
    name: &str,
    interface_text: &str,
    constructor_text: &str,
    items: Items,
) -> Result<ContractAbi, AbiExportError> {
    from_parts(name, &[(interface_text.to_string(), None)], constructor_text, items)
}

/// [`from_sdk_output`] over the interface texts of several parts, each with the program
/// serving its functions, if named.
fn from_parts(
    name: &str,
    parts: &[(String, Option<&str>)],
    constructor_text: &str,
    items: Items,
) -> Result<ContractAbi, AbiExportError> {
    if let Some(problem) = items.problems.into_iter().next() {
        return Err(problem);
    }
    let iface_name = format!("I{name}");
    let interface_text: String = parts.iter().map(|(text, _)| text.as_str()).collect();
    let iface = interface::parse_interface(&interface_text, &iface_name)?;
    // The parser reads one function per `function` line, in order: so many per part.
    let programs = parts.iter().flat_map(|(text, program)| {
        let count = text.lines().filter(|l| l.trim_start().starts_with("function ")).count();
        std::iter::repeat_n(*program, count)
    });
    let served_by: BTreeMap<String, String> = iface
        .functions
        .iter()
        .zip(programs)
        .filter_map(|(function, program)| Some((function.signature(), program?.to_string())))
        .collect();
    let constructor = interface::parse_constructor(constructor_text, &iface.structs, &iface_name)?;

    let mut abi = JsonAbi::new();
    abi.constructor = constructor;
    abi.receive = items.receive.then_some(Receive { state_mutability: StateMutability::Payable });
    abi.fallback = items.fallback.map(|state_mutability| Fallback { state_mutability });
    let mut seen = BTreeSet::new();
    file_once(&mut seen, iface.functions, &mut abi.functions)?;
    file_once(&mut seen, items.events, &mut abi.events)?;
    file_once(&mut seen, items.errors, &mut abi.errors)?;
    for signature in iface.errors {
        if !seen.contains(&("error", signature.clone())) {
            return Err(AbiExportError::MissingError { signature });
        }
    }
    fill_internal_types(&mut abi);
    Ok(ContractAbi { name: name.to_string(), abi, served_by })
}

/// Gives every parameter without an `internalType` its ABI type as one (`"uint256"`), as
/// Solidity compilers write JSON ABIs; struct parameters already carry `struct I<Name>.<S>`.
fn fill_internal_types(abi: &mut JsonAbi) {
    fn fill(param: &mut Param) {
        if param.internal_type.is_none() {
            param.internal_type =
                Some(InternalType::Other { contract: None, ty: param.ty.clone() });
        }
        param.components.iter_mut().for_each(fill);
    }
    if let Some(constructor) = &mut abi.constructor {
        constructor.inputs.iter_mut().for_each(fill);
    }
    for function in abi.functions.values_mut().flatten() {
        function.inputs.iter_mut().chain(function.outputs.iter_mut()).for_each(fill);
    }
    for error in abi.errors.values_mut().flatten() {
        error.inputs.iter_mut().for_each(fill);
    }
    for event in abi.events.values_mut().flatten() {
        for input in &mut event.inputs {
            if input.internal_type.is_none() {
                input.internal_type =
                    Some(InternalType::Other { contract: None, ty: input.ty.clone() });
            }
            input.components.iter_mut().for_each(fill);
        }
    }
}

/// A formatting function of stylus-sdk's `GenerateAbi` trait.
pub type FmtFn = fn(&mut fmt::Formatter<'_>) -> fmt::Result;

/// What stylus-sdk's `export-abi` knows of a program type: its `GenerateAbi` implementation
/// as values, and the program that serves its functions. Build it with [`sdk_abi!`].
#[derive(Clone, Copy)]
pub struct SdkAbi {
    /// `GenerateAbi::NAME`, e.g. `Vault`.
    pub name: &'static str,
    /// `GenerateAbi::fmt_abi`: the interface.
    pub fmt_abi: FmtFn,
    /// `GenerateAbi::fmt_constructor_signature`.
    pub fmt_constructor: FmtFn,
    /// The deployed program serving these functions (its name in `crates/programs`), for the
    /// interface's `/// Served by:` notes.
    pub program: Option<&'static str>,
}

impl fmt::Debug for SdkAbi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkAbi")
            .field("name", &self.name)
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

/// The [`SdkAbi`] of a program type, e.g. `sdk_abi!(tidepool_vault::Vault, "vault")` (the
/// second argument, the program's name, may be left out). Expands in the calling crate,
/// which must depend on `stylus_sdk` with its `export-abi` feature on.
#[macro_export]
macro_rules! sdk_abi {
    ($contract:ty, $program:expr) => {
        $crate::SdkAbi { program: Some($program), ..$crate::sdk_abi!($contract) }
    };
    ($contract:ty) => {
        $crate::SdkAbi {
            name: <$contract as ::stylus_sdk::abi::GenerateAbi>::NAME,
            fmt_abi: <$contract as ::stylus_sdk::abi::GenerateAbi>::fmt_abi,
            fmt_constructor:
                <$contract as ::stylus_sdk::abi::GenerateAbi>::fmt_constructor_signature,
            program: None,
        }
    };
}

/// An [`SdkAbi`] part that declares struct `$ty` and the structs inside it. The SDK's
/// printer declares the structs of return types only, so a struct that is only ever a
/// parameter (the oracle's `ReportData`, the queue's `PermitInput`) is added as a part of
/// its own, named like the contract. Expands in the export-abi binary, which depends on
/// `stylus_sdk` with `export-abi`.
#[macro_export]
macro_rules! parameter_structs {
    ($name:expr, $ty:ty) => {{
        fn declare(f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
            for item in <$ty as ::stylus_sdk::abi::export::internal::InnerTypes>::inner_types() {
                writeln!(f, "\n    {}", item.name)?;
            }
            Ok(())
        }
        fn no_constructor(_: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
            Ok(())
        }
        $crate::SdkAbi {
            name: $name,
            fmt_abi: declare,
            fmt_constructor: no_constructor,
            program: None,
        }
    }};
}

/// [`from_sdk_output`] with the interface printed by the SDK.
///
/// # Errors
/// As [`from_sdk_output`].
pub fn generate(sdk: &SdkAbi, items: Items) -> Result<ContractAbi, AbiExportError> {
    generate_merged(sdk.name, std::slice::from_ref(sdk), items)
}

/// The ABI of one contract whose functions are served by several Stylus programs: the pool,
/// and the programs its fallback delegatecalls. The result is named `name` and lists the
/// functions of every part (a function declared by two parts is an error: the first would
/// shadow the second), each with the program serving it, the constructor of the first and
/// `items`.
///
/// # Errors
/// As [`from_sdk_output`].
pub fn generate_merged(
    name: &str,
    parts: &[SdkAbi],
    items: Items,
) -> Result<ContractAbi, AbiExportError> {
    let interfaces: Vec<(String, Option<&str>)> =
        parts.iter().map(|part| (Printer(part.fmt_abi).to_string(), part.program)).collect();
    let constructor =
        parts.first().map(|part| Printer(part.fmt_constructor).to_string()).unwrap_or_default();
    from_parts(name, &interfaces, &constructor, items)
}

/// Displays what one of the SDK's formatting functions writes.
struct Printer(FmtFn);

impl fmt::Display for Printer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

const USAGE: &str = "usage: <contract>-abi [--sol | --json | --name]
  --sol   print the Solidity interface (default)
  --json  print the JSON ABI
  --name  print the contract name";

/// The export-abi binary's `main`: prints the contract's Solidity interface (`--sol`, the
/// default), JSON ABI (`--json`) or name (`--name`) to stdout.
///
/// Returns failure, with the reason on stderr, for bad arguments or an incomplete ABI.
pub fn run(sdk: SdkAbi, items: Items) -> ExitCode {
    run_merged(sdk.name, &[sdk], items)
}

/// [`run`] for a contract split across several programs; see [`generate_merged`].
pub fn run_merged(name: &str, parts: &[SdkAbi], items: Items) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["--sol"] => Mode::Sol,
        ["--json"] => Mode::Json,
        ["--name"] => Mode::Name,
        ["--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let output = generate_merged(name, parts, items).and_then(|abi| match mode {
        Mode::Sol => Ok(abi.to_solidity()),
        Mode::Json => abi.to_json(),
        Mode::Name => Ok(format!("{}\n", abi.name)),
    });
    match output {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                eprintln!("error: writing the ABI: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

enum Mode {
    Sol,
    Json,
    Name,
}
