//! Activation checks: the one place that decides whether deployed code may become a program.
//!
//! Decompression and Nitro's module rules live in `program`; this facade is where the
//! workspace's shared `tidepool-activation` validator plugs in, so the node and the build
//! tooling reject exactly the same modules.

use revm::primitives::B256;
use wasmi::Engine;

use crate::{
    arbwasm,
    program::{self, ActivationInfo, Compiled, ProgramError},
};

/// Decompresses and validates `code`, returning the wasm length, the compiled module with its
/// module hash, and the activation record to store.
pub fn check(
    engine: &Engine,
    code: &[u8],
) -> Result<(usize, (Compiled, B256), ActivationInfo), ProgramError> {
    if code.len() > program::MAX_CODE_SIZE {
        return Err(ProgramError::Invalid(format!(
            "code is {} bytes, more than {}",
            code.len(),
            program::MAX_CODE_SIZE
        )));
    }
    let wasm = program::decompress_program(code)?;
    let (compiled, info) = program::validate_and_compile(engine, &wasm)?;
    Ok((wasm.len(), (compiled, arbwasm::module_hash(&wasm)), info))
}
