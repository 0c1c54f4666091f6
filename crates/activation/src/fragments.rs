//! Programs larger than one account's code (ArbOS 61): the compressed wasm is split into
//! *fragments*, each deployed as its own contract, and a *root* names them in order.
//!
//! - fragment code: `EF F0 01 ‖ chunk` (the chunks, concatenated, are the brotli stream);
//! - root code: `EF F0 02 ‖ dictionary byte ‖ u32 decompressed length (big-endian) ‖ N ×
//!   20-byte fragment addresses`.
//!
//! Only a root is activated; it must name between one and [`MAX_FRAGMENTS`] fragments, and
//! the stream must decompress to exactly its declared length, at most
//! [`MAX_DECOMPRESSED_SIZE`].

use std::io::Read;

use crate::{
    code::{compress_program, EMPTY_DICTIONARY, MAX_CODE_SIZE, MAX_DECOMPRESSED_SIZE},
    ActivationError,
};

/// The first bytes of a fragment's code.
pub const FRAGMENT_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x01];

/// The first bytes of a root's code.
pub const ROOT_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x02];

/// Most fragments a root may name (Nitro's `MaxFragmentCount` default, which
/// `ArbOwnerPublic.getMaxStylusContractFragments()` reports).
pub const MAX_FRAGMENTS: u8 = 2;

/// Most compressed bytes one fragment carries: an account's code less the prefix.
pub const FRAGMENT_CHUNK: usize = MAX_CODE_SIZE - FRAGMENT_PREFIX.len();

/// Bytes of a root before its addresses.
const ROOT_HEADER: usize = ROOT_PREFIX.len() + 1 + 4;

/// What a root's code says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// The brotli dictionary byte.
    pub dictionary: u8,
    /// The wasm's length once decompressed.
    pub decompressed_len: u32,
    /// The fragments' addresses, in stream order.
    pub fragments: Vec<[u8; 20]>,
}

impl Root {
    /// Parses root code.
    ///
    /// # Errors
    /// [`ActivationError::Fragments`] when `code` is not a well-formed root.
    pub fn parse(code: &[u8]) -> Result<Self, ActivationError> {
        if !is_root(code) {
            return Err(fragments_error("code is not a Stylus root (EF F0 02)"));
        }
        if code.len() < ROOT_HEADER {
            return Err(fragments_error(format!("root of {} bytes is too short", code.len())));
        }
        let addresses = &code[ROOT_HEADER..];
        if !addresses.len().is_multiple_of(20) {
            return Err(fragments_error(format!(
                "root address data of {} bytes is not whole addresses",
                addresses.len()
            )));
        }
        let mut length = [0u8; 4];
        length.copy_from_slice(&code[4..8]);
        Ok(Self {
            dictionary: code[3],
            decompressed_len: u32::from_be_bytes(length),
            fragments: addresses
                .chunks_exact(20)
                .map(|a| {
                    let mut address = [0u8; 20];
                    address.copy_from_slice(a);
                    address
                })
                .collect(),
        })
    }

    /// The root's code.
    pub fn encode(&self) -> Vec<u8> {
        let mut code = Vec::with_capacity(ROOT_HEADER + 20 * self.fragments.len());
        code.extend_from_slice(&ROOT_PREFIX);
        code.push(self.dictionary);
        code.extend_from_slice(&self.decompressed_len.to_be_bytes());
        for address in &self.fragments {
            code.extend_from_slice(address);
        }
        code
    }

    /// The wasm, from the fragments' code in the root's order, checked as activation checks
    /// it: between one and [`MAX_FRAGMENTS`] fragments, each with [`FRAGMENT_PREFIX`], the
    /// empty dictionary, and a stream that decompresses to exactly the declared length.
    ///
    /// # Errors
    /// [`ActivationError::Fragments`] for any broken rule, [`ActivationError::Decompress`]
    /// for a corrupt stream.
    pub fn assemble(&self, fragment_codes: &[&[u8]]) -> Result<Vec<u8>, ActivationError> {
        let declared = self.decompressed_len as usize;
        if declared > MAX_DECOMPRESSED_SIZE {
            return Err(fragments_error(format!(
                "declared length {declared} is over the {MAX_DECOMPRESSED_SIZE}-byte limit"
            )));
        }
        if self.fragments.is_empty() || self.fragments.len() > usize::from(MAX_FRAGMENTS) {
            return Err(fragments_error(format!(
                "{} fragments; a root names 1 to {MAX_FRAGMENTS}",
                self.fragments.len()
            )));
        }
        if fragment_codes.len() != self.fragments.len() {
            return Err(fragments_error("one code per fragment is needed"));
        }
        if self.dictionary != EMPTY_DICTIONARY {
            return Err(ActivationError::UnsupportedDictionary(self.dictionary));
        }
        let mut stream = Vec::new();
        for code in fragment_codes {
            if !is_fragment(code) {
                return Err(fragments_error("a named fragment is not Stylus fragment code"));
            }
            stream.extend_from_slice(&code[FRAGMENT_PREFIX.len()..]);
        }
        let mut wasm = Vec::with_capacity(declared);
        brotli::Decompressor::new(&stream[..], 4096)
            .take(declared as u64 + 1)
            .read_to_end(&mut wasm)
            .map_err(|e| ActivationError::Decompress(e.to_string()))?;
        if wasm.len() != declared {
            return Err(fragments_error(format!(
                "fragments decompress to {} bytes, the root declares {declared}",
                wasm.len()
            )));
        }
        Ok(wasm)
    }
}

/// Whether `code` is a root's.
pub fn is_root(code: &[u8]) -> bool {
    code.len() > ROOT_PREFIX.len() && code.starts_with(&ROOT_PREFIX)
}

/// Whether `code` is a fragment's.
pub fn is_fragment(code: &[u8]) -> bool {
    code.len() > FRAGMENT_PREFIX.len() && code.starts_with(&FRAGMENT_PREFIX)
}

/// Splits `wasm` into fragment codes (compressed as a single-account program would be).
/// The root is made once the fragments' addresses are known: [`Root`] with the empty
/// dictionary and `wasm.len()`.
///
/// # Errors
/// [`ActivationError::Compress`] if the encoder fails, [`ActivationError::Fragments`] when
/// more than [`MAX_FRAGMENTS`] would be needed.
pub fn split(wasm: &[u8]) -> Result<Vec<Vec<u8>>, ActivationError> {
    split_code(&compress_program(wasm)?)
}

/// [`split`] for a program already compressed as one account's code (`EF F0 00`, the empty
/// dictionary, the brotli stream), which `tidepool build` writes.
///
/// # Errors
/// [`ActivationError::NotStylus`] or [`ActivationError::UnsupportedDictionary`] for other
/// code, [`ActivationError::Fragments`] when more than [`MAX_FRAGMENTS`] would be needed.
pub fn split_code(code: &[u8]) -> Result<Vec<Vec<u8>>, ActivationError> {
    if !crate::is_stylus_program(code) {
        let found = code.iter().take(FRAGMENT_PREFIX.len()).copied().collect();
        return Err(ActivationError::NotStylus { found });
    }
    if code[FRAGMENT_PREFIX.len()] != EMPTY_DICTIONARY {
        return Err(ActivationError::UnsupportedDictionary(code[FRAGMENT_PREFIX.len()]));
    }
    let stream = &code[FRAGMENT_PREFIX.len() + 1..];
    let count = fragments_needed(stream.len());
    if count > usize::from(MAX_FRAGMENTS) {
        return Err(fragments_error(format!(
            "{} compressed bytes need {count} fragments; at most {MAX_FRAGMENTS} are allowed",
            stream.len()
        )));
    }
    Ok(stream.chunks(FRAGMENT_CHUNK).map(|chunk| [&FRAGMENT_PREFIX[..], chunk].concat()).collect())
}

/// Fragments a brotli stream of `compressed` bytes needs (at least one).
pub const fn fragments_needed(compressed: usize) -> usize {
    if compressed == 0 {
        1
    } else {
        compressed.div_ceil(FRAGMENT_CHUNK)
    }
}

fn fragments_error(message: impl Into<String>) -> ActivationError {
    ActivationError::Fragments(message.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Incompressible bytes, so the stream's size is predictable.
    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn split_and_assemble_round_trip() {
        let wasm = noise(30_000);
        let fragments = split(&wasm).unwrap();
        assert_eq!(fragments.len(), 2);
        assert!(fragments.iter().all(|f| is_fragment(f) && f.len() <= MAX_CODE_SIZE));
        let root = Root {
            dictionary: EMPTY_DICTIONARY,
            decompressed_len: wasm.len() as u32,
            fragments: vec![[1; 20], [2; 20]],
        };
        let code = root.encode();
        assert!(is_root(&code));
        assert_eq!(code.len(), 8 + 40);
        assert_eq!(Root::parse(&code).unwrap(), root);
        let codes: Vec<&[u8]> = fragments.iter().map(Vec::as_slice).collect();
        assert_eq!(root.assemble(&codes).unwrap(), wasm);
    }

    #[test]
    fn activation_rules_for_roots() {
        let wasm = noise(30_000);
        let fragments = split(&wasm).unwrap();
        let codes: Vec<&[u8]> = fragments.iter().map(Vec::as_slice).collect();
        let root = |len: usize, n: usize| Root {
            dictionary: EMPTY_DICTIONARY,
            decompressed_len: len as u32,
            fragments: vec![[7; 20]; n],
        };
        // The declared length must be exact.
        assert!(root(wasm.len() - 1, 2).assemble(&codes).is_err());
        assert!(root(wasm.len() + 1, 2).assemble(&codes).is_err());
        // Zero fragments, or more than allowed.
        assert!(root(wasm.len(), 0).assemble(&[]).is_err());
        let three = [codes[0], codes[1], codes[1]];
        assert!(root(wasm.len(), 3).assemble(&three).is_err());
        // Fragments out of order corrupt the stream.
        assert!(root(wasm.len(), 2).assemble(&[codes[1], codes[0]]).is_err());
        // A classic program is not a fragment.
        let classic = compress_program(&wasm).unwrap();
        assert!(root(wasm.len(), 1).assemble(&[&classic]).is_err());
        // Over the decompressed-size limit.
        assert!(root(MAX_DECOMPRESSED_SIZE + 1, 2).assemble(&codes).is_err());
        // Malformed roots.
        assert!(Root::parse(&[0xEF, 0xF0, 0x02, 0, 0, 0]).is_err());
        assert!(Root::parse(&[0xEF, 0xF0, 0x02, 0, 0, 0, 0, 1, 9]).is_err());
        assert!(Root::parse(&classic).is_err());
    }

    #[test]
    fn too_large_for_the_fragment_limit() {
        assert_eq!(fragments_needed(FRAGMENT_CHUNK), 1);
        assert_eq!(fragments_needed(FRAGMENT_CHUNK + 1), 2);
        assert!(matches!(split(&noise(3 * FRAGMENT_CHUNK)), Err(ActivationError::Fragments(_))));
    }
}
