//! `tidepool operator`: what a node operator's manager runs against the staking module —
//! listing operators and keys, and uploading validator keys from a deposit data file.
//!
//! Keys are checked here before anything is sent because nothing later can: the module
//! stores a key and its signature as given (no BLS on chain), and the beacon chain silently
//! ignores a deposit whose signature does not verify, keeping its 32 ETH.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolInterface;
use anyhow::{ensure, Context, Result};
use tidepool_beacon::{
    deposit_data::{self, DepositDataEntry, ValidDeposit},
    withdrawal_credentials, DepositKey, ForkVersion, FULL_DEPOSIT_GWEI, PUBKEY_LENGTH,
};
use tidepool_deploy::{Client, Deployment};
use tidepool_interfaces::{IPool, IStakingModule};

use crate::keys::SignerArgs;

/// Keys read per `getSigningKeys` call when listing.
const KEYS_PER_PAGE: u64 = 100;

/// Arguments of `tidepool operator`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the chain and the staking module are.
#[derive(Debug, Clone, clap::Args)]
pub struct ModuleArgs {
    /// JSON-RPC URL of the chain the staking module lives on.
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// The staking module's address (default: the module of the chain's deployment record,
    /// deployments/<chain-id>.json).
    #[arg(long, value_name = "ADDR")]
    pub module: Option<Address>,
}

impl ModuleArgs {
    /// The module: `--module`, or the one the chain's deployment record names.
    fn address(&self, client: &Client) -> Result<Address> {
        if let Some(address) = self.module {
            return Ok(address);
        }
        let d = default_record(client)?;
        d.module.map(|m| m.staking_module.address).with_context(|| {
            format!("the deployment on chain {} has no staking module of its own", d.chain_id)
        })
    }
}

/// The chain's deployment record at its default place (deployments/<chain-id>.json).
fn default_record(client: &Client) -> Result<Deployment> {
    let dir = crate::workspace::Workspace::load()?.root.join("deployments");
    let path = Deployment::path(&dir, client.chain_id());
    Deployment::load(&path)
        .with_context(|| format!("no --module given and {} cannot be read", path.display()))
}

/// Where the protocol's withdrawal vault is: keys must withdraw to it (default: the vault of
/// the chain's deployment record).
#[derive(Debug, Clone, clap::Args)]
#[group(required = false, multiple = false)]
pub struct VaultArgs {
    /// The withdrawal vault's address.
    #[arg(long, value_name = "ADDR")]
    pub withdrawal_vault: Option<Address>,
    /// Read the withdrawal vault from this pool (`getProtocolContracts`).
    #[arg(long, value_name = "ADDR")]
    pub pool: Option<Address>,
    /// Read the withdrawal vault from this deployment record.
    #[arg(long, value_name = "FILE")]
    pub deployment: Option<PathBuf>,
}

/// `tidepool operator` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every node operator: name, active, reward address, manager and key counters.
    List(ModuleArgs),
    /// An operator's validator keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `tidepool operator keys` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Check every key of a deposit data file (credentials, amount, roots, signature), then
    /// upload them with `addSigningKeys`, at most 50 per transaction, as the operator's
    /// manager.
    Add {
        #[command(flatten)]
        module: ModuleArgs,
        /// The node operator's id.
        #[arg(long, value_name = "ID")]
        operator: u64,
        /// The deposit data file (deposit_data-*.json, as Ethereum's deposit CLI writes it).
        #[arg(long, value_name = "FILE")]
        deposit_data: PathBuf,
        #[command(flatten)]
        vault: VaultArgs,
        /// The keys withdraw with 0x02 (compounding) credentials rather than 0x01: must be
        /// what the protocol deposits with.
        #[arg(long)]
        compounding: bool,
        /// The network's genesis fork version the keys were signed for.
        #[arg(long, value_name = "HEX", default_value = "0x00000000")]
        fork_version: ForkVersion,
        /// The operator's manager account.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// An operator's keys with their index and state (deposited, vetted or unvetted).
    List {
        #[command(flatten)]
        module: ModuleArgs,
        /// The node operator's id.
        #[arg(long, value_name = "ID")]
        operator: u64,
    },
    /// Write a deposit data file of keys derived from a seed: for the local chain's dev
    /// operator and tests only, since anyone who knows the seed has the keys.
    Generate {
        /// Text the keys derive from.
        #[arg(long, value_name = "TEXT")]
        seed: String,
        /// How many keys.
        #[arg(long, value_name = "N")]
        count: u32,
        /// The first key's index (to extend an earlier file).
        #[arg(long, value_name = "N", default_value_t = 0)]
        first: u32,
        /// Where the validators withdraw to.
        #[arg(long, value_name = "ADDR")]
        withdrawal_vault: Address,
        /// Use 0x02 (compounding) withdrawal credentials rather than 0x01.
        #[arg(long)]
        compounding: bool,
        /// The network's genesis fork version to sign for.
        #[arg(long, value_name = "HEX", default_value = "0x00000000")]
        fork_version: ForkVersion,
        /// Where to write the file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs an operator subcommand.
pub fn run(args: &Args) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        match &args.command {
            Command::List(module) => list_operators(module).await,
            Command::Keys(KeysCommand::List { module, operator }) => {
                list_keys(module, *operator).await
            }
            Command::Keys(KeysCommand::Add {
                module,
                operator,
                deposit_data,
                vault,
                compounding,
                fork_version,
                signer,
            }) => {
                let credentials = Credentials { vault, compounding: *compounding };
                add_keys(module, *operator, deposit_data, credentials, *fork_version, signer).await
            }
            Command::Keys(KeysCommand::Generate {
                seed,
                count,
                first,
                withdrawal_vault,
                compounding,
                fork_version,
                out,
            }) => {
                let credentials = withdrawal_credentials(*withdrawal_vault, *compounding);
                write_generated(seed, *first, *count, credentials, *fork_version, out)
            }
        }
    })
}

/// The withdrawal credentials `keys add` requires: the vault's, 0x01 or 0x02.
struct Credentials<'a> {
    vault: &'a VaultArgs,
    compounding: bool,
}

/// `keys generate`: writes the file and prints the keys.
fn write_generated(
    seed: &str,
    first: u32,
    count: u32,
    credentials: B256,
    fork_version: ForkVersion,
    out: &Path,
) -> Result<()> {
    let entries = generate(seed, first, count, credentials, fork_version)?;
    let json = deposit_data::to_json(&entries).context("serialising the deposit data")?;
    std::fs::write(out, json + "\n").with_context(|| format!("writing {}", out.display()))?;
    for (index, entry) in (u64::from(first)..).zip(&entries) {
        println!("key {index}: 0x{}", alloy_primitives::hex::encode(&entry.pubkey.0));
    }
    println!(
        "{} keys withdrawing to {credentials} for fork version {fork_version} written to {}",
        entries.len(),
        out.display()
    );
    Ok(())
}

/// Deposit data entries for keys `first .. first + count` of `seed`, each a full deposit
/// to `credentials` signed for `fork_version`.
///
/// # Errors
/// If `count` is zero or `first + count` passes the last key index.
pub fn generate(
    seed: &str,
    first: u32,
    count: u32,
    credentials: B256,
    fork_version: ForkVersion,
) -> Result<Vec<DepositDataEntry>> {
    ensure!(count > 0, "--count must be at least 1");
    let end = first.checked_add(count).context("--first + --count passes 2^32 keys")?;
    Ok((first..end)
        .map(|index| {
            let signed = DepositKey::from_seed(seed.as_bytes(), index).sign_deposit(
                credentials,
                FULL_DEPOSIT_GWEI,
                fork_version,
            );
            DepositDataEntry::from(&signed)
        })
        .collect())
}

/// Reads a deposit data file and checks every entry (see
/// [`tidepool_beacon::deposit_data::validate_all`]).
///
/// # Errors
/// If the file cannot be read, is not deposit data, is empty, or any entry fails.
pub fn load_deposits(
    path: &Path,
    credentials: &B256,
    fork_version: ForkVersion,
) -> Result<Vec<ValidDeposit>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let entries = deposit_data::parse(&text).with_context(|| format!("in {}", path.display()))?;
    ensure!(!entries.is_empty(), "{} holds no keys", path.display());
    deposit_data::validate_all(&entries, credentials, fork_version)
        .with_context(|| format!("in {}", path.display()))
}

/// The `addSigningKeys` calls that upload `deposits` in order, at most the module's
/// `MAX_KEYS_PER_BATCH` keys each (`tidepool_deploy::deposit::key_batches`).
pub fn batches(
    operator: u64,
    deposits: &[ValidDeposit],
) -> Vec<IStakingModule::addSigningKeysCall> {
    tidepool_deploy::deposit::key_batches(
        operator,
        deposits.iter().map(|d| (&d.pubkey, &d.signature)),
    )
}

/// The staking module's error in a revert, when there is one: the deployment crate decodes
/// the other contracts' errors but not (yet) the module's.
fn explain(e: tidepool_deploy::Error) -> anyhow::Error {
    match e
        .revert_data()
        .and_then(|data| IStakingModule::IStakingModuleErrors::abi_decode(data).ok())
    {
        Some(decoded) => anyhow::anyhow!("{e}\nthe staking module says: {decoded:?}"),
        None => e.into(),
    }
}

async fn connect(
    module: &ModuleArgs,
    signers: Vec<tidepool_deploy::PrivateKeySigner>,
) -> Result<Client> {
    Client::connect(&module.rpc, signers)
        .await
        .with_context(|| format!("the node at {} is unreachable", module.rpc))
}

/// An operator as `getNodeOperator` returns it.
struct Operator {
    active: bool,
    name: String,
    reward_address: Address,
    manager: Address,
    total: u64,
    vetted: u64,
    deposited: u64,
    exited: u64,
}

async fn operator(client: &Client, module: Address, id: u64) -> Result<Operator> {
    let r = client
        .view(module, IStakingModule::getNodeOperatorCall { node_operator_id: U256::from(id) })
        .await
        .map_err(explain)
        .with_context(|| format!("reading node operator {id}"))?;
    Ok(Operator {
        active: r._0,
        name: r._1,
        reward_address: r._2,
        manager: r._3,
        total: r._4,
        vetted: r._5,
        deposited: r._6,
        exited: r._7,
    })
}

async fn list_operators(module: &ModuleArgs) -> Result<()> {
    let client = connect(module, Vec::new()).await?;
    let at = module.address(&client)?;
    let count =
        client.view(at, IStakingModule::getNodeOperatorsCountCall {}).await.map_err(explain)?;
    let ids = client
        .view(at, IStakingModule::getNodeOperatorIdsCall { offset: U256::ZERO, limit: count })
        .await
        .map_err(explain)?;
    println!("{} node operators in {}", ids.len(), at);
    for id in ids {
        let id = u64::try_from(id).context("an operator id past u64")?;
        let op = operator(&client, at, id).await?;
        println!(
            "  {id}: {:?} ({}) reward {} manager {}; keys: {} total, {} vetted, {} deposited, {} exited",
            op.name,
            if op.active { "active" } else { "inactive" },
            op.reward_address,
            op.manager,
            op.total,
            op.vetted,
            op.deposited,
            op.exited
        );
    }
    Ok(())
}

/// A key's state from the operator's counters: the first `deposited` keys have received
/// their deposit, the first `vetted` may receive one.
fn key_state(index: u64, vetted: u64, deposited: u64) -> &'static str {
    if index < deposited {
        "deposited"
    } else if index < vetted {
        "vetted"
    } else {
        "unvetted"
    }
}

async fn list_keys(module: &ModuleArgs, id: u64) -> Result<()> {
    let client = connect(module, Vec::new()).await?;
    let at = module.address(&client)?;
    let op = operator(&client, at, id).await?;
    println!(
        "node operator {id} {:?}: {} keys, {} vetted, {} deposited, {} exited",
        op.name, op.total, op.vetted, op.deposited, op.exited
    );
    let mut offset = 0;
    while offset < op.total {
        let page = client
            .view(
                at,
                IStakingModule::getSigningKeysCall {
                    node_operator_id: U256::from(id),
                    offset,
                    limit: KEYS_PER_PAGE,
                },
            )
            .await
            .map_err(explain)
            .with_context(|| format!("reading keys from {offset}"))?;
        let pubkeys = page._0.chunks_exact(PUBKEY_LENGTH);
        ensure!(
            page._0.len() % PUBKEY_LENGTH == 0 && pubkeys.len() == page._2.len(),
            "getSigningKeys returned {} key bytes for {} keys",
            page._0.len(),
            page._2.len()
        );
        if page._2.is_empty() {
            break;
        }
        for (i, pubkey) in pubkeys.enumerate() {
            let index = offset + i as u64;
            println!(
                "  {index}: 0x{} {}",
                alloy_primitives::hex::encode(pubkey),
                key_state(index, op.vetted, op.deposited)
            );
        }
        offset += page._2.len() as u64;
    }
    Ok(())
}

/// The withdrawal vault the arguments name.
async fn withdrawal_vault(vault: &VaultArgs, client: &Client) -> Result<Address> {
    match (&vault.withdrawal_vault, &vault.pool, &vault.deployment) {
        (Some(address), _, _) => Ok(*address),
        (None, Some(pool), _) => {
            let contracts = client
                .view(*pool, IPool::getProtocolContractsCall {})
                .await
                .with_context(|| format!("reading the pool's contracts from {pool}"))?;
            // (oracle, withdrawal queue, withdrawal vault, rewards vault, treasury, module)
            Ok(contracts._2)
        }
        (None, None, Some(path)) => {
            let d = Deployment::load(path)?;
            ensure!(
                d.chain_id == client.chain_id(),
                "{} records chain {}, the node is chain {}",
                path.display(),
                d.chain_id,
                client.chain_id()
            );
            Ok(d.contracts.withdrawal_vault.address)
        }
        (None, None, None) => Ok(default_record(client)
            .context("give the withdrawal vault: --withdrawal-vault, --pool or --deployment")?
            .contracts
            .withdrawal_vault
            .address),
    }
}

async fn add_keys(
    module: &ModuleArgs,
    id: u64,
    path: &Path,
    credentials: Credentials<'_>,
    fork_version: ForkVersion,
    signer: &SignerArgs,
) -> Result<()> {
    let key = signer.load()?;
    let from = key.address();
    let client = connect(module, vec![key]).await?;
    let at = module.address(&client)?;
    let vault = withdrawal_vault(credentials.vault, &client).await?;
    let credentials = withdrawal_credentials(vault, credentials.compounding);
    // Every key is checked before the first transaction, so a bad file sends nothing.
    let deposits = load_deposits(path, &credentials, fork_version)?;
    println!(
        "{}: {} keys, signatures verified for withdrawal credentials {credentials} and fork version {fork_version}",
        path.display(),
        deposits.len()
    );

    let op = operator(&client, at, id).await?;
    ensure!(
        op.manager == from,
        "node operator {id} ({:?}) is managed by {}, not by {from}",
        op.name,
        op.manager
    );
    // A known key would revert its whole batch; naming every one up front saves a
    // half-uploaded file.
    let mut known = Vec::new();
    for (index, d) in deposits.iter().enumerate() {
        let pubkey = Bytes::copy_from_slice(&d.pubkey);
        if client
            .view(at, IStakingModule::isSigningKeyKnownCall { pubkey })
            .await
            .map_err(explain)?
        {
            known.push(format!("entry {index} (0x{})", alloy_primitives::hex::encode(d.pubkey)));
        }
    }
    ensure!(
        known.is_empty(),
        "the staking module already holds {} of these keys; remove them from the file: {}",
        known.len(),
        known.join(", ")
    );

    let mut sent = 0usize;
    for call in batches(id, &deposits) {
        let count = call.count as usize;
        let receipt =
            client.send(from, at, call, U256::ZERO).await.map_err(explain).with_context(|| {
                format!(
                    "adding entries {sent}..{} of {}; entries before {sent} were added",
                    sent + count,
                    path.display()
                )
            })?;
        println!(
            "  entries {sent}..{} ({count} keys) added in {} (block {}, {} gas)",
            sent + count,
            receipt.transaction_hash,
            receipt.block_number.unwrap_or_default(),
            receipt.gas_used
        );
        sent += count;
    }
    let after = operator(&client, at, id).await?;
    println!(
        "node operator {id} {:?} now has {} keys ({} vetted, {} deposited)",
        after.name, after.total, after.vetted, after.deposited
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use tidepool_beacon::SIGNATURE_LENGTH;

    const VAULT: Address = address!("00000000000000000000000000000000000000aa");

    #[test]
    fn generated_files_pass_validation() {
        let credentials = withdrawal_credentials(VAULT, false);
        let entries =
            generate("dev operator", 0, 3, credentials, ForkVersion::MAINNET).expect("generates");
        let dir = std::env::temp_dir().join(format!("tidepool-operator-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("deposit_data.json");
        std::fs::write(&file, deposit_data::to_json(&entries).expect("json")).expect("write");
        let deposits = load_deposits(&file, &credentials, ForkVersion::MAINNET).expect("valid");
        assert_eq!(deposits.len(), 3);
        // Other credentials or another network are refused, naming what the file holds.
        let err = load_deposits(&file, &withdrawal_credentials(VAULT, true), ForkVersion::MAINNET)
            .expect_err("refused");
        assert!(format!("{err:#}").contains(&credentials.to_string()), "{err:#}");
        assert!(load_deposits(&file, &credentials, ForkVersion([0, 0, 0, 1])).is_err());
        std::fs::write(&file, "[]").expect("write");
        assert!(load_deposits(&file, &credentials, ForkVersion::MAINNET).is_err());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn generation_continues_where_an_earlier_file_ended() {
        let credentials = withdrawal_credentials(VAULT, true);
        let all = generate("seed", 0, 4, credentials, ForkVersion::MAINNET).expect("generates");
        let tail = generate("seed", 2, 2, credentials, ForkVersion::MAINNET).expect("generates");
        assert_eq!(all[2..], tail[..]);
        assert!(generate("seed", u32::MAX, 2, credentials, ForkVersion::MAINNET).is_err());
        assert!(generate("seed", 0, 0, credentials, ForkVersion::MAINNET).is_err());
    }

    #[test]
    fn keys_go_out_in_batches_of_at_most_fifty_in_file_order() {
        let credentials = withdrawal_credentials(VAULT, false);
        let deposits: Vec<ValidDeposit> = (0..120u8)
            .map(|i| ValidDeposit {
                pubkey: [i; PUBKEY_LENGTH],
                withdrawal_credentials: credentials,
                amount_gwei: FULL_DEPOSIT_GWEI,
                signature: [i; SIGNATURE_LENGTH],
                deposit_data_root: B256::ZERO,
            })
            .collect();
        let calls = batches(7, &deposits);
        assert_eq!(calls.iter().map(|c| c.count).collect::<Vec<_>>(), [50, 50, 20]);
        assert!(calls.iter().all(|c| c.node_operator_id == U256::from(7)));
        let last = &calls[2];
        assert_eq!(last.pubkeys.len(), 20 * PUBKEY_LENGTH);
        assert_eq!(last.signatures.len(), 20 * SIGNATURE_LENGTH);
        assert_eq!(last.pubkeys[..PUBKEY_LENGTH], [100; PUBKEY_LENGTH]);
        assert_eq!(
            last.signatures[SIGNATURE_LENGTH..2 * SIGNATURE_LENGTH],
            [101; SIGNATURE_LENGTH]
        );
        assert!(batches(7, &[]).is_empty());
    }

    #[test]
    fn key_states_follow_the_counters() {
        let states: Vec<_> = (0..5).map(|i| key_state(i, 3, 1)).collect();
        assert_eq!(states, ["deposited", "vetted", "vetted", "unvetted", "unvetted"]);
    }
}
