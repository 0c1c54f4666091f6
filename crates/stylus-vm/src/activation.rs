//! Activation checks: the one place that decides whether deployed code may become a program.
//!
//! Decompression and Nitro's module rules live in `program`; this facade is where the
//! workspace's shared `tidepool-activation` validator plugs in, so the node and the build
//! tooling reject exactly the same modules.

use alloy_primitives::{keccak256, B256};
use wasmi::Engine;

use crate::program::{self, ActivationInfo, Compiled, ProgramError};

/// Decompresses and validates `code`, returning the wasm length, the compiled module with its
/// module hash, and the activation record to store (its entry costs computed as Nitro does;
/// `activated_at` is left for the caller).
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
    let wasm = tidepool_activation::decompress_program(code)
        .map_err(|e| ProgramError::Invalid(e.to_string()))?;
    check_wasm(engine, wasm)
}

/// [`check`] for decompressed wasm (a fragmented program's, assembled from its fragments).
pub fn check_wasm(
    engine: &Engine,
    wasm: Vec<u8>,
) -> Result<(usize, (Compiled, B256), ActivationInfo), ProgramError> {
    // The shared validator applies Nitro's rules (shared with the build tooling); compiling
    // then checks the module against this node's own host table and engine.
    let activated = tidepool_activation::activate_wasm(wasm)
        .map_err(|e| ProgramError::Invalid(e.to_string()))?;
    let info = ActivationInfo::new(&activated, 0);
    let wasm = activated.wasm;
    let compiled = program::validate_and_compile(engine, &wasm)?;
    Ok((wasm.len(), (compiled, module_hash(&wasm)), info))
}

/// Module hash recorded at activation: keccak256 of the decompressed wasm.
pub fn module_hash(wasm: &[u8]) -> B256 {
    keccak256(wasm)
}
