//! The deployable code format: `EF F0 00`, a dictionary byte, then brotli-compressed wasm.

use std::io::Read;

use crate::ActivationError;

/// The first bytes of every Stylus program's code (an EOF-style marker EVM code cannot start
/// with, since `0xEF` is reserved by EIP-3541).
pub const STYLUS_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x00];

/// Dictionary byte meaning "plain brotli, no shared dictionary".
pub const EMPTY_DICTIONARY: u8 = 0x00;

/// Dictionary byte of Nitro's built-in Stylus dictionary (not produced or accepted here).
pub const STYLUS_DICTIONARY: u8 = 0x01;

/// Largest code an account may hold (EIP-170), so the largest deployable compressed program.
pub use tidepool_programs::MAX_CODE_SIZE;

/// Largest wasm Nitro decompresses for activation (its `MaxWasmSize` default).
pub const MAX_DECOMPRESSED_SIZE: usize = 128 * 1024;

/// Brotli quality used for programs: the maximum, as cargo-stylus and Nitro use.
pub const BROTLI_QUALITY: i32 = 11;

/// Brotli window (log2 bytes): brotli's default, as Nitro uses.
pub const BROTLI_WINDOW: i32 = 22;

/// Compresses a wasm module into deployable code: [`STYLUS_PREFIX`], [`EMPTY_DICTIONARY`],
/// then brotli (quality 11) of `wasm`.
///
/// Sizes are not checked here, so that a build can still report them: the result may exceed
/// [`MAX_CODE_SIZE`] (see [`check_code_size`]) and `wasm` may exceed
/// [`MAX_DECOMPRESSED_SIZE`] (see [`crate::validate`]).
///
/// # Errors
/// [`ActivationError::Compress`] if the encoder fails.
pub fn compress_program(wasm: &[u8]) -> Result<Vec<u8>, ActivationError> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW,
        size_hint: wasm.len(),
        ..Default::default()
    };
    let mut code = Vec::with_capacity(wasm.len() / 2 + 4);
    code.extend_from_slice(&STYLUS_PREFIX);
    code.push(EMPTY_DICTIONARY);
    brotli::BrotliCompress(&mut &wasm[..], &mut code, &params)
        .map_err(|e| ActivationError::Compress(e.to_string()))?;
    Ok(code)
}

/// Recovers the wasm from deployable code.
///
/// # Errors
/// [`ActivationError::NotStylus`] without [`STYLUS_PREFIX`] and a dictionary byte,
/// [`ActivationError::UnsupportedDictionary`] for any dictionary but [`EMPTY_DICTIONARY`],
/// [`ActivationError::Decompress`] for a corrupt stream and
/// [`ActivationError::DecompressedTooLarge`] past [`MAX_DECOMPRESSED_SIZE`].
pub fn decompress_program(code: &[u8]) -> Result<Vec<u8>, ActivationError> {
    if !is_stylus_program(code) {
        let found = code.iter().take(STYLUS_PREFIX.len()).copied().collect();
        return Err(ActivationError::NotStylus { found });
    }
    let (dictionary, compressed) = (code[STYLUS_PREFIX.len()], &code[STYLUS_PREFIX.len() + 1..]);
    if dictionary != EMPTY_DICTIONARY {
        return Err(ActivationError::UnsupportedDictionary(dictionary));
    }
    let limit = MAX_DECOMPRESSED_SIZE;
    let mut wasm = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it" without decoding more.
    brotli::Decompressor::new(compressed, 4096)
        .take(limit as u64 + 1)
        .read_to_end(&mut wasm)
        .map_err(|e| ActivationError::Decompress(e.to_string()))?;
    if wasm.len() > limit {
        return Err(ActivationError::DecompressedTooLarge { limit });
    }
    Ok(wasm)
}

/// Whether `code` starts with [`STYLUS_PREFIX`] followed by a dictionary byte.
pub fn is_stylus_program(code: &[u8]) -> bool {
    code.len() > STYLUS_PREFIX.len() && code.starts_with(&STYLUS_PREFIX)
}

/// Checks that deployable code fits one account.
///
/// # Errors
/// [`ActivationError::CodeTooLarge`] past [`MAX_CODE_SIZE`].
pub fn check_code_size(code: &[u8]) -> Result<(), ActivationError> {
    if code.len() > MAX_CODE_SIZE {
        return Err(ActivationError::CodeTooLarge { size: code.len(), limit: MAX_CODE_SIZE });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let wasm: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let code = compress_program(&wasm).unwrap();
        assert_eq!(&code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
        assert!(code.len() < wasm.len());
        assert!(is_stylus_program(&code));
        assert_eq!(decompress_program(&code).unwrap(), wasm);
        check_code_size(&code).unwrap();
    }

    #[test]
    fn empty_wasm_round_trips() {
        let code = compress_program(&[]).unwrap();
        assert_eq!(decompress_program(&code).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn rejects_non_stylus_code() {
        assert!(!is_stylus_program(&[0x60, 0x80, 0x60, 0x40]));
        assert!(!is_stylus_program(&STYLUS_PREFIX)); // no dictionary byte
        let err = decompress_program(&[0x60, 0x80, 0x60, 0x40]).unwrap_err();
        assert_eq!(err, ActivationError::NotStylus { found: vec![0x60, 0x80, 0x60] });
        assert!(err.to_string().contains("EF F0 00"), "{err}");
        assert!(matches!(decompress_program(&[]), Err(ActivationError::NotStylus { .. })));
    }

    #[test]
    fn rejects_other_dictionaries() {
        let mut code = compress_program(b"\0asm").unwrap();
        code[3] = STYLUS_DICTIONARY;
        assert_eq!(decompress_program(&code), Err(ActivationError::UnsupportedDictionary(1)));
    }

    #[test]
    fn rejects_corrupt_stream() {
        let code = [0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(decompress_program(&code), Err(ActivationError::Decompress(_))));
    }

    #[test]
    fn caps_decompressed_size() {
        let at_limit = vec![0u8; MAX_DECOMPRESSED_SIZE];
        let code = compress_program(&at_limit).unwrap();
        assert_eq!(decompress_program(&code).unwrap().len(), MAX_DECOMPRESSED_SIZE);

        // Anything larger stops at the cap, without decompressing it all.
        let bomb = compress_program(&vec![0u8; 4 * MAX_DECOMPRESSED_SIZE]).unwrap();
        assert_eq!(
            decompress_program(&bomb),
            Err(ActivationError::DecompressedTooLarge { limit: MAX_DECOMPRESSED_SIZE })
        );
    }

    #[test]
    fn code_size_limit() {
        assert!(check_code_size(&vec![0; MAX_CODE_SIZE]).is_ok());
        assert_eq!(
            check_code_size(&vec![0; MAX_CODE_SIZE + 1]),
            Err(ActivationError::CodeTooLarge { size: MAX_CODE_SIZE + 1, limit: MAX_CODE_SIZE })
        );
    }
}
