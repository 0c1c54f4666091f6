//! `tidepool deposit`: the depositor's job, by hand. Reads what the guardians must attest
//! (a recent block, the deposit contract's root, the module's nonce), has the given guardian
//! keys sign it, and sends `depositBufferedEther` to the deposit guard. On the local chain the
//! guardians are the committee's dev accounts `tidepool up` prints.

use alloy_primitives::U256;
use anyhow::{Context, Result};
use tidepool_deploy::{deposit, PrivateKeySigner};

use crate::{keys::SignerArgs, oracle::ChainArgs};

/// Arguments of `tidepool deposit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Validators to deposit (32 ETH each from the pool's buffer); without it, only print
    /// what could be deposited.
    #[arg(long)]
    pub validators: Option<u64>,
    /// A guardian's private key, hex (repeat for a quorum).
    #[arg(long = "guardian-key", value_name = "HEX", hide_env_values = true)]
    pub guardian_keys: Vec<String>,
    /// Who sends the transaction (any funded account).
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// Runs `tidepool deposit`.
pub fn run(args: &Args) -> Result<()> {
    let guardians = args
        .guardian_keys
        .iter()
        .map(|k| k.trim().parse::<PrivateKeySigner>().context("--guardian-key is not a hex key"))
        .collect::<Result<Vec<_>>>()?;
    let sender = match args.validators {
        Some(_) => Some(args.signer.load()?),
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let (client, d) =
            crate::oracle::connect(&args.chain, sender.iter().cloned().collect()).await?;
        let module = deposit::module(&d)?;
        let depositable = deposit::depositable_keys(&client, module).await?;
        let seen = deposit::attestation(&client, module).await?;
        let max = tidepool_interfaces::staking_module::MAX_DEPOSITS_PER_CALL;
        println!("depositable keys now: {depositable} (at most {max} per deposit)");
        println!(
            "attestation: block {} ({}), deposit root {}, module nonce {}",
            seen.block_number, seen.block_hash, seen.deposit_root, seen.nonce
        );
        println!("  digest to sign: {}", seen.digest);
        let (Some(validators), Some(sender)) = (args.validators, sender) else {
            return Ok(());
        };
        let keys: Vec<&PrivateKeySigner> = guardians.iter().collect();
        let receipt = deposit::deposit(&client, &d, sender.address(), validators, &keys).await?;
        println!(
            "deposited {validators} validator(s) ({} ETH) in {} (gas {})",
            U256::from(validators) * U256::from(32u8),
            receipt.transaction_hash,
            receipt.gas_used
        );
        anyhow::Ok(())
    })
}
