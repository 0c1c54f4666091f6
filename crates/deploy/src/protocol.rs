//! The whole protocol: deploy, activate, initialise, wire, seat the committee.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use tidepool_math::oracle_limits::OracleReportLimits;
use tidepool_programs::Program as Id;

use crate::{
    deposit::key_batches,
    program::{self, Activation, Placed, Program},
    record::{ContractRecord, Contracts, ModuleSetup, OracleSetup},
    Client, Deployment, Error,
};
use tidepool_interfaces::{
    roles, IDepositGuard, IOracle, IPool, IRateFeed, IStakingModule, IVault, IWithdrawalQueue,
    IWrapped,
};

/// The sanity limits the oracle starts with (Lido's mainnet values).
const DEFAULT_LIMITS: OracleReportLimits = OracleReportLimits::LIDO_DEFAULTS;

/// The beacon chain the oracle's frames follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeaconConfig {
    /// Genesis time; `None` for a development beacon chain whose frame 1 has just begun
    /// (so a first report can be made at once, covering a whole frame).
    pub genesis_time: Option<u64>,
    /// Seconds per slot (12 on Ethereum).
    pub seconds_per_slot: u64,
    /// Slots per epoch (32 on Ethereum).
    pub slots_per_epoch: u64,
    /// Frame length in epochs (225, one day, as Lido's accounting oracle).
    pub epochs_per_frame: u64,
    /// First epoch of frame 0; `None` for the current epoch (epoch 1 on a development
    /// beacon chain).
    pub initial_epoch: Option<u64>,
}

impl BeaconConfig {
    /// Ethereum mainnet's beacon chain with daily frames.
    pub const MAINNET: Self = Self {
        genesis_time: Some(1_606_824_023),
        seconds_per_slot: 12,
        slots_per_epoch: 32,
        epochs_per_frame: 225,
        initial_epoch: None,
    };

    /// A development beacon chain: mainnet's timing, genesis chosen from the chain's clock.
    pub const DEV: Self = Self { genesis_time: None, ..Self::MAINNET };

    /// Seconds in one frame.
    pub fn frame_seconds(&self) -> u64 {
        self.seconds_per_slot * self.slots_per_epoch * self.epochs_per_frame
    }

    /// `(genesis_time, initial_epoch)` for a chain whose latest block is at `now`.
    fn resolve(&self, now: u64, min_report_interval: u64) -> Result<(u64, u64), Error> {
        let epoch = self.seconds_per_slot.saturating_mul(self.slots_per_epoch);
        if epoch == 0 || self.epochs_per_frame == 0 {
            return Err(Error::Options("slots, epochs and frames must be longer than 0".into()));
        }
        // The oracle refuses it too (FrameShorterThanReportInterval); saying so here spares a
        // half-made deployment.
        let chain = tidepool_math::oracle::ChainConfig {
            genesis_time: 0,
            seconds_per_slot: self.seconds_per_slot,
            slots_per_epoch: self.slots_per_epoch,
        };
        let interval = min_report_interval;
        if !chain.frames_fit_interval(self.epochs_per_frame, interval) {
            return Err(Error::Options(format!(
                "frames of {} s are shorter than the oracle's minimum report interval ({interval} \
                 s): no report could ever be applied",
                chain.frame_seconds(self.epochs_per_frame)
            )));
        }
        match self.genesis_time {
            Some(genesis) => {
                let current = now.saturating_sub(genesis) / epoch;
                Ok((genesis, self.initial_epoch.unwrap_or(current)))
            }
            None => {
                let initial = self.initial_epoch.unwrap_or(1);
                // Ten seconds into frame 1.
                let back = (initial + self.epochs_per_frame) * epoch + 10;
                let genesis = now.checked_sub(back).ok_or_else(|| {
                    Error::Options(format!(
                        "the chain's clock ({now}) is too early for a development beacon chain"
                    ))
                })?;
                Ok((genesis, initial))
            }
        }
    }
}

/// What to deploy and who gets which role.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Where `tidepool build` wrote `<name>.code`.
    pub artifacts: PathBuf,
    /// Final holder of `DEFAULT_ADMIN_ROLE` everywhere (default: the deployer). When it is
    /// another account, the deployer hands every admin role over and renounces its own.
    pub admin: Option<Address>,
    /// Receives the treasury's part of the fee (default: the admin).
    pub treasury: Option<Address>,
    /// An outside staking module (tests that stand in for it): the protocol's own module,
    /// deposit guard and deposit contract are then not deployed, and `depositor` holds the
    /// pool's `DEPOSIT_ROLE`. Default: the protocol's own module.
    pub staking_module: Option<Address>,
    /// Gets the pool's `DEPOSIT_ROLE` with an outside module (default: the admin); with the
    /// protocol's own module the deposit guard holds it.
    pub depositor: Option<Address>,
    /// The beacon deposit contract (Ethereum's on mainnet); default: deploy the local one
    /// (contracts/beacon-deposit).
    pub deposit_contract: Option<Address>,
    /// Deposit guardians (default: the committee members).
    pub guardians: Option<Vec<Address>>,
    /// Guardian signatures a deposit needs (default: a simple majority of the guardians).
    pub guardian_quorum: Option<u64>,
    /// `0x02` withdrawal credentials (compounding validators) instead of `0x01`.
    pub compounding: bool,
    /// Node operators to add, with their keys all vetted (the local chain's dev operator).
    /// The deployer manages them, so it can upload their keys.
    pub operators: Vec<OperatorSetup>,
    /// Committee members; none leaves reporting halted until the admin seats some.
    pub members: Vec<Address>,
    /// Signatures a report needs (default: a simple majority of `members`).
    pub quorum: Option<u64>,
    /// Ether the pool locks at `0x…dEaD` on initialisation (no zero-supply edge cases).
    pub initial_stake: U256,
    /// The beacon chain.
    pub beacon: BeaconConfig,
    /// The consensus version reports must carry.
    pub consensus_version: u64,
    /// The oracle's minimum report interval, in seconds (default: Lido's 12 hours). Frames
    /// must be at least this long; a shorter value lets a local chain report every minute
    /// (`tidepool up`'s short frames). The other sanity limits keep Lido's defaults.
    pub min_report_interval: u64,
}

/// Gives the oracle `options.min_report_interval` and `options.beacon`'s frames, which
/// initialisation could not (they do not fit Lido's 12-hour interval): the deployer takes the
/// two roles, sets the limits, then the frames (counted from the start of the frame running,
/// so the clock `resolve` chose is kept), and gives the roles up.
///
/// # Errors
/// The oracle's reverts, decoded.
async fn shorten_frames(
    client: &Client,
    deployer: Address,
    oracle: Address,
    options: &DeployOptions,
) -> Result<(), Error> {
    let zero = U256::ZERO;
    let roles = [roles::oracle::MANAGE_LIMITS_ROLE, roles::oracle::MANAGE_FRAME_CONFIG_ROLE];
    for role in roles {
        client
            .send(deployer, oracle, IOracle::grantRoleCall { role, account: deployer }, zero)
            .await?;
    }
    let limits =
        OracleReportLimits { min_report_interval: options.min_report_interval, ..DEFAULT_LIMITS };
    let [a, b, c, d, e] = limits.to_array().map(U256::from);
    let limits = IOracle::OracleReportLimits {
        annualBalanceIncreaseBPLimit: a,
        oneOffCLBalanceDecreaseBPLimit: b,
        appearedValidatorsPerDayLimit: c,
        simulatedShareRateDeviationBPLimit: d,
        minReportInterval: e,
    };
    client.send(deployer, oracle, IOracle::setOracleReportLimitsCall { limits }, zero).await?;
    let frames = IOracle::setFrameConfigCall { epochs_per_frame: options.beacon.epochs_per_frame };
    client.send(deployer, oracle, frames, zero).await?;
    for role in roles {
        let renounce = IOracle::renounceRoleCall { role, confirmation: deployer };
        client.send(deployer, oracle, renounce, zero).await?;
    }
    Ok(())
}

/// A node operator added at deployment, with deterministic dev keys (the local chain's
/// dev operator, tests and the benchmark; real operators upload their own keys with
/// `tidepool operator keys add`).
#[derive(Clone, Debug)]
pub struct OperatorSetup {
    /// Its name.
    pub name: String,
    /// Where its rewards go.
    pub reward_address: Address,
    /// Seed of its BLS keys (`tidepool_beacon::signing::DepositKey::from_seed`): public, so
    /// never for a real chain.
    pub key_seed: Vec<u8>,
    /// How many keys: each signs a 32-ETH deposit to the withdrawal vault's credentials for
    /// the genesis fork version 0x00000000, so every deposit is valid on the beacon chain.
    pub keys: u32,
}

impl OperatorSetup {
    /// Its keys, each with its deposit signed for `credentials`.
    pub fn signed_keys(
        &self,
        credentials: alloy_primitives::B256,
    ) -> Vec<tidepool_beacon::signing::SignedDeposit> {
        use tidepool_beacon::signing::{DepositKey, ForkVersion};
        (0..self.keys)
            .map(|index| {
                DepositKey::from_seed(&self.key_seed, index).sign_deposit(
                    credentials,
                    tidepool_beacon::FULL_DEPOSIT_GWEI,
                    ForkVersion::MAINNET,
                )
            })
            .collect()
    }
}

/// The local beacon deposit contract, compiled offline (contracts/beacon-deposit).
const BEACON_DEPOSIT_ARTIFACT: &str =
    include_str!("../../../contracts/beacon-deposit/out/BeaconDeposit.json");

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            artifacts: PathBuf::from("target/wasm"),
            admin: None,
            treasury: None,
            staking_module: None,
            depositor: None,
            deposit_contract: None,
            guardians: None,
            guardian_quorum: None,
            compounding: false,
            operators: Vec::new(),
            members: Vec::new(),
            quorum: None,
            // 0.01 ether: enough that rounding dust never matters, cheap on a real chain.
            initial_stake: U256::from(10_000_000_000_000_000u64),
            beacon: BeaconConfig::DEV,
            consensus_version: 1,
            min_report_interval: DEFAULT_LIMITS.min_report_interval,
        }
    }
}

impl DeployOptions {
    /// The quorum to seat, checked against the members.
    fn quorum(&self) -> Result<u64, Error> {
        let n = self.members.len() as u64;
        let quorum = self.quorum.unwrap_or(n / 2 + 1);
        let mut seen = self.members.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.members.len() {
            return Err(Error::Options("a committee member is listed twice".into()));
        }
        if n > 0 && quorum <= n / 2 {
            return Err(Error::Options(format!(
                "quorum {quorum} of {n} members is not a majority: two disjoint groups could \
                 each approve a different report"
            )));
        }
        Ok(quorum)
    }
}

/// Deploys the whole protocol from `deployer` (one of `client`'s signers) and returns its
/// record. `progress` hears one line per step.
///
/// Order: every program is placed first (so each address is known), then each code hash is
/// activated once (the two vaults share one), then the contracts are initialised in
/// dependency order (vaults, pool, wrapped token, rate feed, queue, then the oracle, which
/// reads the pool), the committee is seated, and finally admin roles are handed over.
///
/// # Errors
/// [`Error::Options`] for an invalid committee; [`Error::Artifact`] if a program was not
/// built; any revert, decoded ([`Error::Reverted`]).
pub async fn deploy_protocol(
    client: &Client,
    deployer: Address,
    options: &DeployOptions,
    progress: &mut dyn FnMut(String),
) -> Result<Deployment, Error> {
    let quorum = options.quorum()?;
    // Every program of the table (`crates/programs`), each loaded once (the vault is placed
    // twice).
    let programs = Id::ALL
        .iter()
        .map(|id| Program::load(&options.artifacts, *id))
        .collect::<Result<Vec<_>, _>>()?;
    let by_id = |id: Id| {
        programs
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::Unexpected(format!("program {id} missing from the program list")))
    };
    let admin = options.admin.unwrap_or(deployer);
    let treasury = options.treasury.unwrap_or(admin);
    let depositor = options.depositor.unwrap_or(admin);
    let (_, now) = client.latest_block().await?;
    let (genesis_time, initial_epoch) = options.beacon.resolve(now, options.min_report_interval)?;

    // 1. Place every program.
    let order = [
        ("poolAccounting", Id::PoolAccounting),
        ("poolAdmin", Id::PoolAdmin),
        ("pool", Id::Pool),
        ("rewardsVault", Id::Vault),
        ("withdrawalVault", Id::Vault),
        ("withdrawalQueueLedger", Id::WithdrawalQueueLedger),
        ("withdrawalQueueAdmin", Id::WithdrawalQueueAdmin),
        ("withdrawalQueue", Id::WithdrawalQueue),
        ("wrapped", Id::Wrapped),
        ("rateFeed", Id::RateFeed),
        ("oracleAdmin", Id::OracleAdmin),
        ("oracle", Id::Oracle),
        ("stakingModuleRegistry", Id::StakingModuleRegistry),
        ("stakingModule", Id::StakingModule),
        ("depositGuard", Id::DepositGuard),
    ];
    let own_module = options.staking_module.is_none();
    let order = order.into_iter().filter(|(_, id)| {
        own_module
            || !matches!(id, Id::StakingModule | Id::StakingModuleRegistry | Id::DepositGuard)
    });
    let mut placed: Vec<(&str, &Program, Placed)> = Vec::new();
    for (role_name, id) in order {
        let program = by_id(id)?;
        let at = program::place(client, deployer, program).await?;
        progress(format!(
            "placed {role_name:<22} {} ({} bytes of {id})",
            at.address,
            program.code.len()
        ));
        placed.push((role_name, program, at));
    }
    let get = |name: &str| {
        placed
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, at)| {
                (*at, ContractRecord { address: at.address, code_hash: at.code_hash })
            })
            .ok_or_else(|| Error::Unexpected(format!("{name} was not placed")))
    };

    // 2. Activate each code hash once.
    for (name, _, at) in &placed {
        match program::activate(client, deployer, at.address, at.code_hash).await? {
            Activation::AlreadyActive { version } => {
                progress(format!("activated {name:<19} already (Stylus v{version}, same code)"))
            }
            Activation::Activated { version, data_fee, gas_used } => progress(format!(
                "activated {name:<19} Stylus v{version}, data fee {data_fee} wei, {gas_used} gas"
            )),
        }
    }

    let (pool_at, pool) = get("pool")?;
    let (accounting_at, accounting) = get("poolAccounting")?;
    let (pool_admin_at, pool_admin) = get("poolAdmin")?;
    let (rewards_at, rewards_vault) = get("rewardsVault")?;
    let (withdrawal_at, withdrawal_vault) = get("withdrawalVault")?;
    let (queue_at, queue) = get("withdrawalQueue")?;
    let (ledger_at, ledger) = get("withdrawalQueueLedger")?;
    let (queue_admin_at, queue_admin) = get("withdrawalQueueAdmin")?;
    let (wrapped_at, wrapped) = get("wrapped")?;
    let (feed_at, rate_feed) = get("rateFeed")?;
    let (oracle_at, oracle) = get("oracle")?;
    let (oracle_admin_at, oracle_admin) = get("oracleAdmin")?;
    let _ = (accounting_at, pool_admin_at, ledger_at, queue_admin_at, oracle_admin_at);
    let own = if own_module {
        let deposit_contract = match options.deposit_contract {
            Some(address) => address,
            None => {
                let code = beacon_deposit_code()?;
                let (address, _) = client.create(deployer, code).await?;
                progress(format!("deployed the local beacon deposit contract at {address}"));
                address
            }
        };
        Some((
            get("stakingModule")?,
            get("stakingModuleRegistry")?,
            get("depositGuard")?,
            deposit_contract,
        ))
    } else {
        None
    };
    let staking_module = match &own {
        Some(((_, module), ..)) => module.address,
        None => options.staking_module.unwrap_or(admin),
    };

    // 3. Initialise, each contract after those it reads.
    let zero = U256::ZERO;
    for vault in [rewards_at, withdrawal_at] {
        let init =
            IVault::initializeCall { pool: pool.address, deployer_nonce: vault.deployer_nonce };
        client.send(deployer, vault.address, init, zero).await?;
    }
    progress("initialised both vaults".into());
    let init = IPool::initializeCall {
        deployer_nonce: pool_at.deployer_nonce,
        admin: deployer,
        oracle: oracle.address,
        withdrawal_queue: queue.address,
        withdrawal_vault: withdrawal_vault.address,
        rewards_vault: rewards_vault.address,
        treasury,
        staking_module,
        accounting_contract: accounting.address,
        admin_contract: pool_admin.address,
    };
    client.send(deployer, pool.address, init, options.initial_stake).await?;
    progress(format!("initialised the pool ({} wei locked at 0x…dEaD)", options.initial_stake));
    let init =
        IWrapped::initializeCall { deployer_nonce: wrapped_at.deployer_nonce, pool: pool.address };
    client.send(deployer, wrapped.address, init, zero).await?;
    let init =
        IRateFeed::initializeCall { deployer_nonce: feed_at.deployer_nonce, pool: pool.address };
    client.send(deployer, rate_feed.address, init, zero).await?;
    progress("initialised the wrapped token and the rate feed".into());
    let init = IWithdrawalQueue::initializeCall {
        deployer_nonce: queue_at.deployer_nonce,
        admin: deployer,
        pool: pool.address,
        wrapped: wrapped.address,
        ledger_contract: ledger.address,
        admin_contract: queue_admin.address,
    };
    client.send(deployer, queue.address, init, zero).await?;
    progress("initialised the withdrawal queue".into());
    // The oracle starts with Lido's limits, which frames shorter than 12 hours do not fit: it
    // is initialised with frames that do, then given the shorter interval and frames.
    let epoch_seconds = options.beacon.seconds_per_slot * options.beacon.slots_per_epoch;
    let short_frames = options.min_report_interval < DEFAULT_LIMITS.min_report_interval
        && options.beacon.frame_seconds() < DEFAULT_LIMITS.min_report_interval;
    let init_epochs = if short_frames {
        DEFAULT_LIMITS.min_report_interval.div_ceil(epoch_seconds)
    } else {
        options.beacon.epochs_per_frame
    };
    let init = IOracle::initializeCall {
        deployer_nonce: oracle_at.deployer_nonce,
        admin: deployer,
        pool: pool.address,
        admin_contract: oracle_admin.address,
        consensus_version: options.consensus_version,
        genesis_time,
        seconds_per_slot: options.beacon.seconds_per_slot,
        slots_per_epoch: options.beacon.slots_per_epoch,
        initial_epoch,
        epochs_per_frame: init_epochs,
    };
    client.send(deployer, oracle.address, init, zero).await?;
    if short_frames {
        shorten_frames(client, deployer, oracle.address, options).await?;
    }
    progress(format!(
        "initialised the oracle (frames of {} s from epoch {initial_epoch}, reports at least \
         {} s apart)",
        options.beacon.frame_seconds(),
        options.min_report_interval.min(DEFAULT_LIMITS.min_report_interval)
    ));

    // 4. Roles and the committee.
    let members_role = roles::oracle::MANAGE_MEMBERS_AND_QUORUM_ROLE;
    if !options.members.is_empty() {
        client
            .send(
                deployer,
                oracle.address,
                IOracle::grantRoleCall { role: members_role, account: deployer },
                zero,
            )
            .await?;
        for member in &options.members {
            // The final quorum at every step: a majority of the final committee is one of
            // every smaller one too (reporting is halted until the last member is seated).
            let add = IOracle::addMemberCall { member: *member, quorum };
            client.send(deployer, oracle.address, add, zero).await?;
        }
        progress(format!("seated {} committee members, quorum {quorum}", options.members.len()));
    }
    let module = match own {
        Some((module, registry, guard, deposit_contract)) => {
            let ids = ModuleIds { module, registry, guard, deposit_contract };
            let setup = deploy_module(
                client,
                deployer,
                options,
                &ids,
                (pool.address, oracle.address),
                &withdrawal_vault,
            )
            .await?;
            progress(format!(
                "initialised the staking module and the deposit guard ({} guardians, quorum {}; \
                 deposits to {deposit_contract}; the oracle applies exit reports)",
                setup.guardians.len(),
                setup.guardian_quorum
            ));
            for name in &setup.operators {
                progress(format!("added node operator {name:?} with its keys vetted"));
            }
            Some(setup)
        }
        None => None,
    };
    let depositor = module.as_ref().map_or(depositor, |m| m.deposit_guard.address);
    let grant = IPool::grantRoleCall { role: roles::pool::DEPOSIT_ROLE, account: depositor };
    client.send(deployer, pool.address, grant, zero).await?;
    progress(format!("granted DEPOSIT_ROLE to {depositor}"));
    // The queue's surplus (finalization's rounding) goes back to the pool only when the
    // admin sweeps it: a role, not anyone, because the sweep's counting costs gas per request.
    let sweep = roles::withdrawal_queue::SWEEP_SURPLUS_ROLE;
    let grant = IWithdrawalQueue::grantRoleCall { role: sweep, account: admin };
    client.send(deployer, queue.address, grant, zero).await?;
    progress(format!("granted the queue's SWEEP_SURPLUS_ROLE to {admin}"));

    // 5. Hand the admin roles over.
    if admin != deployer {
        if !options.members.is_empty() {
            let renounce = IOracle::renounceRoleCall { role: members_role, confirmation: deployer };
            client.send(deployer, oracle.address, renounce, zero).await?;
        }
        let mut targets = vec![pool.address, queue.address, oracle.address];
        if let Some(m) = &module {
            targets.extend([m.staking_module.address, m.deposit_guard.address]);
        }
        for target in targets {
            let grant = IPool::grantRoleCall { role: roles::DEFAULT_ADMIN_ROLE, account: admin };
            client.send(deployer, target, grant, zero).await?;
            let renounce =
                IPool::renounceRoleCall { role: roles::DEFAULT_ADMIN_ROLE, confirmation: deployer };
            client.send(deployer, target, renounce, zero).await?;
        }
        progress(format!("handed DEFAULT_ADMIN_ROLE to {admin}; the deployer holds no role"));
    }

    Ok(Deployment {
        chain_id: client.chain_id(),
        block: placed.first().map(|(_, _, at)| at.block).unwrap_or_default(),
        deployer,
        admin,
        treasury,
        staking_module,
        contracts: Contracts {
            pool,
            pool_accounting: accounting,
            pool_admin,
            rewards_vault,
            withdrawal_vault,
            withdrawal_queue: queue,
            withdrawal_queue_ledger: ledger,
            withdrawal_queue_admin: queue_admin,
            oracle,
            oracle_admin,
            wrapped,
            rate_feed,
        },
        oracle: OracleSetup {
            members: options.members.clone(),
            quorum,
            genesis_time,
            seconds_per_slot: options.beacon.seconds_per_slot,
            slots_per_epoch: options.beacon.slots_per_epoch,
            initial_epoch,
            epochs_per_frame: options.beacon.epochs_per_frame,
        },
        module,
    })
}

/// The module's placed programs and the deposit contract.
struct ModuleIds {
    module: (Placed, ContractRecord),
    registry: (Placed, ContractRecord),
    guard: (Placed, ContractRecord),
    deposit_contract: Address,
}

/// The local deposit contract's creation code, from its artifact.
fn beacon_deposit_code() -> Result<alloy_primitives::Bytes, Error> {
    let artifact: serde_json::Value = serde_json::from_str(BEACON_DEPOSIT_ARTIFACT)
        .map_err(|e| Error::Unexpected(format!("the deposit contract's artifact: {e}")))?;
    let hex = artifact["bytecode"].as_str().ok_or_else(|| {
        Error::Unexpected("the deposit contract's artifact has no bytecode".into())
    })?;
    hex.parse().map_err(|e| Error::Unexpected(format!("the deposit contract's bytecode: {e}")))
}

/// Initialises the module and the guard, seats the guardians, lets the oracle apply exit
/// reports (`REPORT_EXITS_ROLE`; the oracle finds the module through the pool) and adds
/// `options.operators` with every key vetted.
async fn deploy_module(
    client: &Client,
    deployer: Address,
    options: &DeployOptions,
    ids: &ModuleIds,
    (pool, oracle): (Address, Address),
    withdrawal_vault: &ContractRecord,
) -> Result<ModuleSetup, Error> {
    let zero = U256::ZERO;
    let ((module_at, module), (_, registry), (guard_at, guard)) =
        (ids.module, ids.registry, ids.guard);
    let init = IStakingModule::initializeCall {
        admin: deployer,
        deployer_nonce: module_at.deployer_nonce,
        pool,
        deposit_contract: ids.deposit_contract,
        withdrawal_vault: withdrawal_vault.address,
        compounding: options.compounding,
        registry_contract: registry.address,
    };
    client.send(deployer, module.address, init, zero).await?;
    let init = IDepositGuard::initializeCall {
        admin: deployer,
        deployer_nonce: guard_at.deployer_nonce,
        pool,
        staking_module: module.address,
        deposit_contract: ids.deposit_contract,
    };
    client.send(deployer, guard.address, init, zero).await?;
    let guardians = options.guardians.clone().unwrap_or_else(|| options.members.clone());
    let n = guardians.len() as u64;
    let guardian_quorum = options.guardian_quorum.unwrap_or(n / 2 + 1);
    if guardian_quorum == 0 {
        return Err(Error::Options("a guardian quorum must be at least 1".into()));
    }
    for guardian in &guardians {
        let add = IDepositGuard::addGuardianCall {
            guardian: *guardian,
            quorum: U256::from(guardian_quorum),
        };
        client.send(deployer, guard.address, add, zero).await?;
    }
    let grant = IStakingModule::grantRoleCall {
        role: roles::staking_module::REPORT_EXITS_ROLE,
        account: oracle,
    };
    client.send(deployer, module.address, grant, zero).await?;
    let credentials =
        client.view(module.address, IStakingModule::getWithdrawalCredentialsCall {}).await?;
    let mut operators = Vec::new();
    if !options.operators.is_empty() {
        for role in [
            roles::staking_module::MANAGE_NODE_OPERATOR_ROLE,
            roles::staking_module::SET_VETTED_KEYS_ROLE,
        ] {
            let grant = IStakingModule::grantRoleCall { role, account: deployer };
            client.send(deployer, module.address, grant, zero).await?;
        }
        for (id, op) in (0u64..).zip(&options.operators) {
            let add = IStakingModule::addNodeOperatorCall {
                name: op.name.clone(),
                reward_address: op.reward_address,
                manager: deployer,
            };
            client.send(deployer, module.address, add, zero).await?;
            let keys = op.signed_keys(credentials);
            for batch in key_batches(id, keys.iter().map(|k| (&k.pubkey, &k.signature))) {
                client.send(deployer, module.address, batch, zero).await?;
            }
            let vet = IStakingModule::setNodeOperatorVettedKeysCall {
                node_operator_id: U256::from(id),
                vetted_keys: keys.len() as u64,
            };
            client.send(deployer, module.address, vet, zero).await?;
            operators.push(op.name.clone());
        }
    }
    let credentials =
        client.view(module.address, IStakingModule::getWithdrawalCredentialsCall {}).await?;
    Ok(ModuleSetup {
        staking_module: module,
        registry,
        deposit_guard: guard,
        deposit_contract: ids.deposit_contract,
        withdrawal_credentials: credentials,
        guardians,
        guardian_quorum,
        operators,
    })
}

/// Deploys the protocol and records it in `<dir>/<chain-id>.json`, unless that file
/// already records a deployment that is live on this chain (then nothing is sent), or
/// `force` is set. A record whose contracts are not on the chain (a restarted development
/// chain) is replaced, and `progress` says so.
///
/// # Errors
/// [`Error::AlreadyDeployed`]; [`Error::Record`] for an unreadable record; as
/// [`deploy_protocol`].
pub async fn deploy_and_record(
    client: &Client,
    deployer: Address,
    options: &DeployOptions,
    dir: &Path,
    force: bool,
    progress: &mut dyn FnMut(String),
) -> Result<(Deployment, PathBuf), Error> {
    let path = Deployment::path(dir, client.chain_id());
    if path.exists() && !force {
        let existing = Deployment::load(&path)?;
        if existing.is_live(client).await? {
            return Err(Error::AlreadyDeployed {
                path,
                chain_id: existing.chain_id,
                pool: existing.contracts.pool.address,
            });
        }
        progress(format!(
            "{} names contracts this chain does not hold (a restarted development chain?): \
             replacing it",
            path.display()
        ));
    }
    let deployment = deploy_protocol(client, deployer, options, progress).await?;
    let path = deployment.save(dir)?;
    Ok((deployment, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dev_beacon_chain_is_ten_seconds_into_frame_one() {
        let (genesis, initial) = BeaconConfig::DEV
            .resolve(10_000_000, DEFAULT_LIMITS.min_report_interval)
            .expect("resolves");
        assert_eq!(initial, 1);
        let epoch = 12 * 32;
        let elapsed = 10_000_000 - genesis;
        assert_eq!(elapsed / epoch, 1 + 225, "frame 1 starts at epoch 1 + 225");
        assert_eq!(elapsed % epoch, 10);
        assert!(matches!(
            BeaconConfig::DEV.resolve(100, DEFAULT_LIMITS.min_report_interval),
            Err(Error::Options(_))
        ));
    }

    #[test]
    fn mainnet_frames_start_at_the_current_epoch() {
        let now = 1_606_824_023 + 384 * 1000 + 5;
        assert_eq!(
            BeaconConfig::MAINNET.resolve(now, DEFAULT_LIMITS.min_report_interval).expect("ok"),
            (1_606_824_023, 1000)
        );
        let short = BeaconConfig { epochs_per_frame: 112, ..BeaconConfig::MAINNET };
        let error = short
            .resolve(1_606_824_023, DEFAULT_LIMITS.min_report_interval)
            .expect_err("12 hours is 112.5 epochs");
        assert!(error.to_string().contains("shorter than the oracle's minimum report interval"));
        assert!(BeaconConfig { epochs_per_frame: 113, ..BeaconConfig::MAINNET }
            .resolve(1_606_824_023, DEFAULT_LIMITS.min_report_interval)
            .is_ok());
        // A shorter minimum interval lets frames of minutes through (the local chain's).
        let local = BeaconConfig {
            seconds_per_slot: 2,
            slots_per_epoch: 8,
            epochs_per_frame: 4,
            ..BeaconConfig::DEV
        };
        assert!(local.resolve(1_000_000, DEFAULT_LIMITS.min_report_interval).is_err());
        assert!(local.resolve(1_000_000, 64).is_ok());
        assert!(local.resolve(1_000_000, 65).is_err());
        let zero = BeaconConfig { epochs_per_frame: 0, ..BeaconConfig::MAINNET };
        assert!(matches!(
            zero.resolve(now, DEFAULT_LIMITS.min_report_interval),
            Err(Error::Options(_))
        ));
    }

    #[test]
    fn the_quorum_must_be_a_majority_of_distinct_members() {
        let a = |n: u8| Address::with_last_byte(n);
        let options = |members: Vec<Address>, quorum| DeployOptions {
            members,
            quorum,
            ..DeployOptions::default()
        };
        assert_eq!(options(vec![a(1), a(2), a(3), a(4), a(5)], None).quorum().expect("ok"), 3);
        assert_eq!(options(vec![a(1), a(2), a(3), a(4)], None).quorum().expect("ok"), 3);
        assert!(options(vec![a(1), a(2), a(3), a(4)], Some(2)).quorum().is_err());
        assert!(options(vec![a(1), a(1), a(3)], None).quorum().is_err());
        // Above the member count is allowed: it halts reporting, as the contract allows.
        assert_eq!(options(vec![a(1)], Some(2)).quorum().expect("ok"), 2);
        assert_eq!(options(vec![], None).quorum().expect("ok"), 1);
    }
}
