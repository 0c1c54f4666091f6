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
    // The shared validator applies Nitro's rules (shared with the build tooling); compiling
    // then checks the module against this node's own host table and engine.
    let activated =
        tidepool_activation::activate(code).map_err(|e| ProgramError::Invalid(e.to_string()))?;
    let wasm = activated.wasm;
    let (compiled, info) = program::validate_and_compile(engine, &wasm)?;
    Ok((wasm.len(), (compiled, arbwasm::module_hash(&wasm)), info))
}
