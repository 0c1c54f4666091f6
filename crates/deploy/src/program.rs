//! Stylus programs: the deployable code `tidepool build` writes, CREATE, and activation.

use std::path::Path;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use tidepool_programs::Program as Id;

use crate::{Client, Error};
use tidepool_activation::{decompress_program, fragments, MAX_CODE_SIZE};
use tidepool_interfaces::{IArbWasm, ARB_WASM};

/// One program's deployable code (`EF F0 00`, dictionary byte, brotli stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Which program of the table (`crates/programs`).
    pub id: Id,
    /// The code as it will sit on chain.
    pub code: Bytes,
}

impl Program {
    /// Reads `<dir>/<name>.code`, as `tidepool build` writes it.
    ///
    /// # Errors
    /// [`Error::Artifact`] if the file is missing or is not Stylus code.
    pub fn load(dir: &Path, id: Id) -> Result<Self, Error> {
        let path = dir.join(id.code_file());
        let code = std::fs::read(&path)
            .map_err(|source| Error::Artifact { path: path.clone(), source })?;
        if !code.starts_with(&[0xEF, 0xF0, 0x00]) {
            return Err(Error::Artifact {
                path,
                source: std::io::Error::other("not Stylus code (no EF F0 00 prefix)"),
            });
        }
        Ok(Self { id, code: code.into() })
    }

    /// The code hash ArbWasm activates, keccak-256 of the code.
    pub fn code_hash(&self) -> B256 {
        keccak256(&self.code)
    }

    /// Creation code that returns this program's code: the usual way Stylus code is put on
    /// chain, since a constructor cannot run before activation.
    pub fn init_code(&self) -> Bytes {
        init_code_returning(&self.code)
    }
}

/// EVM creation code whose runtime code is `code`: `PUSH2 len DUP1 PUSH1 12 PUSH1 0
/// CODECOPY PUSH1 0 RETURN`, then `code`.
///
/// # Panics
/// If `code` is longer than 65,535 bytes (far beyond the 24 KiB a chain accepts).
pub fn init_code_returning(code: &[u8]) -> Bytes {
    let [hi, lo] = u16::try_from(code.len()).expect("code longer than 64 KiB").to_be_bytes();
    let mut init = vec![0x61, hi, lo, 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend_from_slice(code);
    init.into()
}

/// A program placed on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// Its address.
    pub address: Address,
    /// The nonce the deployer created it with (the contracts' `initialize` checks it).
    pub deployer_nonce: u64,
    /// The block it was created in.
    pub block: u64,
    /// Hash of the code at `address` (a fragmented program's root code), which activation
    /// keys on.
    pub code_hash: B256,
}

/// Deploys `program` from `from` with CREATE. Code over one account's limit is deployed as
/// ArbOS 61 does it: its compressed stream in fragments (each its own CREATE), then a root
/// naming them, which is the program's address (and the one to activate).
///
/// # Errors
/// As [`Client::create`]; [`Error::Unexpected`] if the address is not `from`'s CREATE
/// address at the nonce read before sending (another transaction from `from` raced it), or
/// if the code needs more fragments than a chain allows.
pub async fn place(client: &Client, from: Address, program: &Program) -> Result<Placed, Error> {
    let (init, code_hash) = if program.code.len() > MAX_CODE_SIZE {
        let unexpected = |e: tidepool_activation::ActivationError| {
            Error::Unexpected(format!("{} cannot be split into fragments: {e}", program.id))
        };
        let chunks = fragments::split_code(&program.code).map_err(unexpected)?;
        let wasm_len = decompress_program(&program.code).map_err(unexpected)?.len();
        let mut addresses = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let (address, _) = client.create(from, init_code_returning(&chunk)).await?;
            addresses.push(address.into_array());
        }
        let root = fragments::Root {
            dictionary: tidepool_activation::EMPTY_DICTIONARY,
            decompressed_len: u32::try_from(wasm_len).map_err(|_| {
                Error::Unexpected(format!("{} decompresses to {wasm_len} bytes", program.id))
            })?,
            fragments: addresses,
        };
        let code = root.encode();
        (init_code_returning(&code), keccak256(&code))
    } else {
        (program.init_code(), program.code_hash())
    };
    let deployer_nonce = client.nonce(from).await?;
    let (address, receipt) = client.create(from, init).await?;
    if address != from.create(deployer_nonce) {
        return Err(Error::Unexpected(format!(
            "{} landed at {address}, not at the deployer's nonce {deployer_nonce}: was another \
             transaction sent from {from} at the same time?",
            program.id
        )));
    }
    let block = receipt.block_number.unwrap_or_default();
    Ok(Placed { address, deployer_nonce, block, code_hash })
}

/// How activation went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// The code hash was already active at the chain's Stylus version (a second contract
    /// with the same code, or a re-run): nothing was sent.
    AlreadyActive {
        /// The active version.
        version: u16,
    },
    /// Activated now.
    Activated {
        /// The Stylus version it was activated at.
        version: u16,
        /// The data fee paid, in wei.
        data_fee: U256,
        /// Gas used by the activation transaction.
        gas_used: u64,
    },
}

/// Activates the program at `address` (code hash `code_hash`) through ArbWasm, paying the
/// data fee the chain asks for, unless that code hash is already active.
///
/// The fee is learnt by simulating the activation: a chain that wants more than was offered
/// reverts with `ProgramInsufficientValue(have, want)`. 10% is added to it, since the fee
/// follows the L1 price and may rise before the transaction lands; ArbWasm pays back what it
/// does not take.
///
/// # Errors
/// [`Error::Reverted`] with ArbWasm's error (`ProgramNotWasm`, ...); [`Error::Rpc`].
pub async fn activate(
    client: &Client,
    from: Address,
    address: Address,
    code_hash: B256,
) -> Result<Activation, Error> {
    let current = client.view(ARB_WASM, IArbWasm::stylusVersionCall {}).await?;
    match client.view(ARB_WASM, IArbWasm::codehashVersionCall { codehash: code_hash }).await {
        Ok(version) if version == current => return Ok(Activation::AlreadyActive { version }),
        // Not active, expired or older than the chain's version: activate.
        Ok(_) | Err(Error::Reverted { .. }) => {}
        Err(e) => return Err(e),
    }
    let call = IArbWasm::activateProgramCall { program: address };
    let fee = match client.call_as(Some(from), ARB_WASM, call.clone(), U256::ZERO).await {
        Ok(ret) => ret.dataFee,
        Err(e) => match e.reverted_with::<IArbWasm::ProgramInsufficientValue>() {
            Some(wanted) => wanted.want,
            None => return Err(e),
        },
    };
    let value = fee.saturating_add(fee / U256::from(10));
    let receipt = client.send(from, ARB_WASM, call.clone(), value).await?;
    // The receipt has no return data; the version is the chain's current one.
    Ok(Activation::Activated { version: current, data_fee: fee, gas_used: receipt.gas_used })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_code_copies_and_returns_the_code() {
        let init = init_code_returning(&[0xEF, 0xF0, 0x00, 0x00, 0xAA]);
        assert_eq!(&init[..3], &[0x61, 0x00, 0x05]);
        assert_eq!(init[5], 12, "code starts right after the 12-byte prefix");
        assert_eq!(&init[12..], &[0xEF, 0xF0, 0x00, 0x00, 0xAA]);
    }

    #[test]
    fn loading_refuses_missing_and_non_stylus_files() {
        let dir = std::env::temp_dir().join(format!("tidepool-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        assert!(matches!(Program::load(&dir, Id::Pool), Err(Error::Artifact { .. })));
        std::fs::write(dir.join("vault.code"), [0x60, 0x00]).expect("write");
        assert!(matches!(Program::load(&dir, Id::Vault), Err(Error::Artifact { .. })));
        std::fs::write(dir.join("oracle.code"), [0xEF, 0xF0, 0x00, 0x00, 1]).expect("write");
        let p = Program::load(&dir, Id::Oracle).expect("loads");
        assert_eq!(p.code_hash(), keccak256([0xEF, 0xF0, 0x00, 0x00, 1]));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
