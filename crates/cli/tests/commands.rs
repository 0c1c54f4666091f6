//! `tidepool deploy` and `tidepool up` as a user runs them: the built binary against a local
//! node, its output and its deployment record checked. Needs `tidepool build` (CI runs it
//! first; elsewhere the tests skip with a note).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use alloy_primitives::{keccak256, Address};
use tidepool_deploy::{Client, Deployment, PrivateKeySigner};
use tidepool_interfaces::{roles::DEFAULT_ADMIN_ROLE, IPool, IStakingModule};
use tidepool_node::node::{Node, NodeConfig, NodeHandle};
use tidepool_programs::Program;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn built() -> bool {
    let ok = root().join("target/wasm").join(Program::Pool.code_file()).exists();
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "target/wasm/pool.code missing on CI");
        eprintln!("SKIPPED: run `tidepool build` first");
    }
    ok
}

fn tidepool() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidepool"));
    cmd.current_dir(root()).env_remove("TIDEPOOL_PRIVATE_KEY");
    cmd
}

fn dev_key(node: &NodeHandle, i: usize) -> String {
    format!("0x{}", alloy_primitives::hex::encode(node.chain().lock().signers()[i].to_bytes()))
}

/// A fresh node and scratch directory `name`, or `None` when the wasm is not built.
fn node_and_scratch(name: &str) -> Option<(NodeHandle, PathBuf)> {
    built().then(|| (Node::spawn(NodeConfig::ephemeral()).expect("node"), scratch(name)))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidepool-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run tidepool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn record(dir: &Path, chain_id: u64) -> Deployment {
    Deployment::load(&Deployment::path(dir, chain_id)).expect("record")
}

#[test]
fn deploy_records_the_protocol_refuses_a_live_record_and_replaces_it_when_forced() {
    let Some((node, out)) = node_and_scratch("deploy") else { return };
    let members: Vec<String> =
        (5..8).map(|i| node.chain().lock().signers()[i].address().to_string()).collect();
    let deploy = |force: bool| {
        let mut cmd = tidepool();
        cmd.args(["deploy", "--rpc", &node.url(), "--private-key", &dev_key(&node, 0), "--out"])
            .arg(&out);
        for m in &members {
            cmd.args(["--member", m]);
        }
        if force {
            cmd.arg("--force");
        }
        run(&mut cmd)
    };
    let (ok, stdout, stderr) = deploy(false);
    assert!(ok, "deploy failed: {stderr}");
    assert!(stdout.contains("cast call"), "prints a cast line: {stdout}");
    let first = record(&out, 412_346);
    assert_eq!(first.oracle.members.len(), 3);
    assert_eq!(first.oracle.quorum, 2);
    // Every recorded code hash is the built code's.
    for (name, program) in [
        ("pool", Program::Pool),
        ("oracle", Program::Oracle),
        ("withdrawalQueue", Program::WithdrawalQueue),
    ] {
        let code =
            std::fs::read(root().join("target/wasm").join(program.code_file())).expect("code");
        let (_, c) = first.contracts.iter().into_iter().find(|(n, _)| *n == name).expect("listed");
        assert_eq!(c.code_hash, keccak256(code), "{name}");
    }

    let (ok, _, stderr) = deploy(false);
    assert!(!ok, "a second deploy must refuse");
    assert!(stderr.contains("already records a deployment"), "{stderr}");
    assert_eq!(record(&out, 412_346), first, "the record is untouched");

    let (ok, _, stderr) = deploy(true);
    assert!(ok, "forced deploy failed: {stderr}");
    assert_ne!(record(&out, 412_346).contracts.pool.address, first.contracts.pool.address);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn deploy_from_a_keystore_hands_the_admin_role_over() {
    let Some((node, out)) = node_and_scratch("keystore") else { return };
    let key = node.chain().lock().signers()[3].to_bytes();
    let (deployer, _) = PrivateKeySigner::encrypt_keystore(
        &out,
        &mut rand::thread_rng(),
        key,
        "correct horse",
        Some("deployer.json"),
    )
    .expect("keystore");
    let admin: Address = node.chain().lock().signers()[4].address();
    let (ok, _, stderr) = run(tidepool()
        .args(["deploy", "--rpc", &node.url(), "--keystore"])
        .arg(out.join("deployer.json"))
        .args(["--admin", &admin.to_string(), "--out"])
        .arg(&out)
        .env("TIDEPOOL_KEYSTORE_PASSWORD", "correct horse"));
    assert!(ok, "deploy from a keystore failed: {stderr}");
    let d = record(&out, 412_346);
    assert_eq!((d.deployer, d.admin), (deployer.address(), admin));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = Client::connect(&node.url(), []).await.expect("connect");
        for target in [
            d.contracts.pool.address,
            d.contracts.withdrawal_queue.address,
            d.contracts.oracle.address,
        ] {
            let has = |account| IPool::hasRoleCall { role: DEFAULT_ADMIN_ROLE, account };
            assert!(client.view(target, has(admin)).await.expect("hasRole"));
            assert!(!client.view(target, has(d.deployer)).await.expect("hasRole"));
        }
    });
    // A wrong password is refused before anything is sent.
    let (ok, _, stderr) = run(tidepool()
        .args(["deploy", "--rpc", &node.url(), "--keystore"])
        .arg(out.join("deployer.json"))
        .args(["--out"])
        .arg(&out)
        .args(["--force"])
        .env("TIDEPOOL_KEYSTORE_PASSWORD", "wrong"));
    assert!(!ok);
    assert!(stderr.contains("decrypting"), "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(name: &str) -> Option<PathBuf> {
    let path =
        root().join(format!(".tools/node_modules/@foundry-rs/{name}-linux-amd64/bin/{name}"));
    path.is_file().then_some(path)
}

#[test]
fn up_deploys_to_a_node_that_serves_cast() {
    if !built() {
        return;
    }
    let mut child = Child(
        tidepool()
            .args(["up", "--skip-build", "--port", "0", "--web-port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tidepool up"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut url = None;
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        printed.push_str(&line);
        printed.push('\n');
        if let Some(u) = line.trim().strip_prefix("RPC URL: ") {
            url = Some(u.to_owned());
        }
        if line.starts_with("Serving") {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no RPC URL printed:\n{printed}"));
    assert!(printed.contains("Chain ID: 412346"), "{printed}");
    let pool = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("pool ").map(|a| a.trim().to_owned()))
        .unwrap_or_else(|| panic!("no pool address printed:\n{printed}"));
    let web = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("web app: ").map(str::to_owned))
        .unwrap_or_else(|| panic!("no web app line printed:\n{printed}"));

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if root().join("web/dist/index.html").is_file() {
        // The page, its config naming this deployment, and the node's JSON-RPC on its origin.
        let app = web.split_whitespace().next().expect("web app URL").to_owned();
        runtime.block_on(async {
            let http = reqwest::Client::new();
            let page = http.get(&app).send().await.expect("page").text().await.expect("html");
            assert!(page.contains("<div id=\"app\""), "{page}");
            let config: serde_json::Value = http
                .get(format!("{app}tidepool.json"))
                .send()
                .await
                .expect("config")
                .json()
                .await
                .expect("json");
            assert_eq!(config["chainId"], 412346);
            assert_eq!(config["rpcUrl"], url.as_str());
            assert_eq!(config["deployment"]["contracts"]["pool"]["address"], pool.to_lowercase());
            assert_eq!(config["devKeys"].as_array().map(Vec::len), Some(10));
            let chain: serde_json::Value = http
                .post(format!("{app}rpc"))
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#)
                .send()
                .await
                .expect("rpc")
                .json()
                .await
                .expect("json");
            assert_eq!(chain["result"], "0x64aba");
        });
    } else {
        assert!(web.contains("npm --prefix web run build"), "{web}");
    }
    let pooled = runtime.block_on(async {
        let client = Client::connect(&url, []).await.expect("connect");
        client
            .view(pool.parse().expect("address"), IPool::getTotalPooledEtherCall {})
            .await
            .expect("view")
    });
    assert_eq!(
        pooled,
        alloy_primitives::U256::from(10_000_000_000_000_000u64),
        "the initial stake"
    );
    // The printed cast line, as a user would paste it.
    match tool("cast") {
        Some(cast) => {
            let out = Command::new(cast)
                .args(["call", &pool, "getTotalPooledEther()(uint256)", "--rpc-url", &url])
                .output()
                .expect("cast");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).starts_with("10000000000000000"));
        }
        None => assert!(std::env::var_os("CI").is_none(), "cast missing on CI"),
    }
}

#[test]
fn oracle_commands_build_sign_and_submit_a_report_from_beacon_files() {
    use tidepool_committee::beacon::fixtures;
    let Some((node, out)) = node_and_scratch("oracle") else { return };
    let members: Vec<String> = (5..8).map(|i| dev_key(&node, i)).collect();
    let mut deploy = tidepool();
    deploy
        .args(["deploy", "--rpc", &node.url(), "--private-key", &dev_key(&node, 0), "--out"])
        .arg(&out)
        // An outside module (a dev account) the deployer deposits to directly: this test is
        // about the report commands.
        .args(["--staking-module", &node.chain().lock().signers()[9].address().to_string()]);
    for i in 5..8 {
        deploy.args(["--member", &node.chain().lock().signers()[i].address().to_string()]);
    }
    let (ok, _, stderr) = run(&mut deploy);
    assert!(ok, "{stderr}");
    let d = record(&out, 412_346);
    let record_path = Deployment::path(&out, 412_346);

    // Stake and one validator, then the next frame, whose reference slot follows them.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let deployer: PrivateKeySigner = dev_key(&node, 0).parse().expect("key");
    let ref_slot = runtime.block_on(async {
        let client = Client::connect(&node.url(), [deployer.clone()]).await.expect("connect");
        let pool = d.contracts.pool.address;
        let stake = IPool::submitCall { referral: Address::ZERO };
        let value = alloy_primitives::U256::from(40u8) * tidepool_deploy::ETHER;
        client.send(deployer.address(), pool, stake, value).await.expect("stake");
        let deposit = IPool::depositCall { validators: alloy_primitives::U256::from(1u8) };
        client
            .send(deployer.address(), pool, deposit, alloy_primitives::U256::ZERO)
            .await
            .expect("deposit");
        client.increase_time(86_400).await.expect("time");
        let frame = tidepool_interfaces::IOracle::getCurrentFrameCall {};
        client.view(d.contracts.oracle.address, frame).await.expect("frame")._0
    });
    let beacon = out.join("beacon");
    std::fs::create_dir_all(&beacon).expect("dir");
    std::fs::write(beacon.join("genesis.json"), fixtures::genesis_json(d.oracle.genesis_time))
        .expect("write");
    let file =
        std::fs::File::create(beacon.join(format!("validators_{ref_slot}.json"))).expect("create");
    let ours = [3u64].into_iter().collect();
    fixtures::write_validators(
        std::io::BufWriter::new(file),
        500,
        &ours,
        d.contracts.withdrawal_vault.address,
        32_002_000_000,
    )
    .expect("validators");

    let chain = |cmd: &mut Command| {
        cmd.args(["--rpc", &node.url(), "--deployment"]).arg(&record_path);
    };
    let mut status = tidepool();
    status.args(["oracle", "status"]);
    chain(&mut status);
    let (ok, stdout, stderr) = run(&mut status);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("reference slot {ref_slot}")) && stdout.contains("quorum 2"),
        "{stdout}"
    );

    let report = out.join("report.json");
    let mut build = tidepool();
    build.args(["oracle", "report", "build", "--beacon"]).arg(&beacon).arg("--out").arg(&report);
    chain(&mut build);
    let (ok, stdout, stderr) = run(&mut build);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("validators: 1 of 500 scanned, 32002000000 gwei"), "{stdout}");

    let mut signatures = Vec::new();
    for (i, key) in members.iter().enumerate().take(2) {
        let sig = out.join(format!("sig{i}.json"));
        let mut sign = tidepool();
        sign.args(["oracle", "report", "sign", "--report"])
            .arg(&report)
            .args(["--private-key", key, "--out"])
            .arg(&sig);
        chain(&mut sign);
        let (ok, _, stderr) = run(&mut sign);
        assert!(ok, "{stderr}");
        signatures.push(sig);
    }
    let submit = |sigs: &[PathBuf]| {
        let mut cmd = tidepool();
        cmd.args(["oracle", "report", "submit", "--report"])
            .arg(&report)
            .args(["--private-key", &dev_key(&node, 1)]);
        for s in sigs {
            cmd.arg("--signature").arg(s);
        }
        chain(&mut cmd);
        run(&mut cmd)
    };
    let (ok, _, stderr) = submit(&signatures[..1]);
    assert!(!ok);
    assert!(stderr.contains("1 of 2 signatures: 1 more needed"), "{stderr}");
    let (ok, stdout, stderr) = submit(&signatures);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("report for reference slot {ref_slot} accepted")), "{stdout}");
    let _ = std::fs::remove_dir_all(&out);
}

/// The cells of the rows of the table whose header starts with `header`.
fn table(file: &str, header: &str) -> Vec<Vec<String>> {
    file.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells = l.trim().trim_matches('|').split('|');
            cells.map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

/// A gas figure as printed: thousands separated, possibly negative.
fn gas(cell: &str) -> i64 {
    cell.replace(',', "").parse().expect("a gas figure")
}

/// The gas column `col` of every row of the Operations table for `operation`.
fn gas_cells(file: &str, operation: &str, col: usize) -> Vec<i64> {
    table(file, "| operation | condition | cached |")
        .iter()
        .filter(|row| row[0] == operation)
        .map(|row| gas(&row[col]))
        .collect()
}

#[test]
fn bench_measures_every_operation_and_keeps_hand_written_text() {
    if !built() {
        return;
    }
    let dir = scratch("bench");
    let out = dir.join("BENCHMARKS.md");
    std::fs::write(&out, "# Benchmarks\n\n## Analysis\n\nhand-written\n").expect("seed");
    let mut cmd = tidepool();
    cmd.args(["bench", "--skip-build", "--batch", "1,12", "--holders", "1,3"])
        .args(["--checkpoints", "1,3", "--out"])
        .arg(&out);
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stderr}");
    let file = std::fs::read_to_string(&out).expect("written");
    assert!(file.contains("## Analysis\n\nhand-written"), "hand-written text kept");
    assert!(file.contains(stdout.trim()), "the file holds what was printed");
    assert!(file.contains("-- bench --batch 1,12 --holders 1,3 --checkpoints 1,3"));

    let operations = [
        ("submit", 2),
        ("transfer", 2),
        ("transferShares", 2),
        ("approve", 2),
        ("transferFrom", 1),
        ("permit", 2),
        ("wrap", 2),
        ("unwrap", 2),
        ("ERC-4626 deposit", 1),
        ("ERC-4626 mint", 1),
        ("ERC-4626 redeem", 1),
        ("ERC-4626 withdraw", 1),
        ("requestWithdrawals", 3),
        ("finalize", 2),
        ("claimWithdrawals", 3),
        ("claimWithdrawal", 1),
        ("submitReport", 5),
        ("depositBufferedEther", 2),
    ];
    for (operation, rows) in operations {
        let cached = gas_cells(&file, operation, 2);
        let uncached = gas_cells(&file, operation, 3);
        assert_eq!(cached.len(), rows, "{operation} rows");
        for (c, u) in cached.iter().zip(&uncached) {
            // Cached pricing saves the entry cost of every program the transaction enters.
            assert!(*c > 21_000 && c < u, "{operation}: cached {c}, uncached {u}");
        }
    }
    // One checkpoint per batch, whatever its size.
    let finalize = gas_cells(&file, "finalize", 2);
    assert_eq!(finalize[0], finalize[1], "finalize gas depends on the batch size");
    // A report never touches balances: more holders move its gas by well under 1%.
    let reports: Vec<i64> = table(&file, "| holders |").iter().map(|row| gas(&row[1])).collect();
    assert_eq!(reports.len(), 2);
    assert!(reports[0].abs_diff(reports[1]) * 100 < reports[0].unsigned_abs(), "{reports:?}");
    // The gas split: the parts of every row add up to its total, and wasm runs in each.
    let split: Vec<Vec<i64>> = table(&file, "| operation | condition | total |")
        .iter()
        .map(|row| row[2..].iter().map(|c| gas(c)).collect())
        .collect();
    assert_eq!(split.len(), operations.iter().map(|(_, rows)| rows).sum::<usize>());
    for row in &split {
        assert_eq!(row.len(), 7, "{row:?}");
        assert_eq!(row[0], row[1..].iter().sum::<i64>(), "{row:?}");
        assert!(row[5] > 0, "no wasm ran: {row:?}");
    }
    for name in Program::ALL.map(Program::name) {
        assert!(file.contains(&format!("| {name} |")), "size of {name}");
    }
}

#[test]
fn an_operator_uploads_checked_deposit_data_and_lists_its_keys() {
    let Some((node, out)) = node_and_scratch("operator") else { return };
    let url = node.url();
    let mut deploy = tidepool();
    deploy.args(["deploy", "--rpc", &url, "--private-key", &dev_key(&node, 0), "--out"]).arg(&out);
    let (ok, stdout, stderr) = run(&mut deploy);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("stakingModule"), "the module is listed: {stdout}");
    let d = record(&out, 412_346);
    let module = d.module.clone().expect("the protocol's own module");
    let record_file = Deployment::path(&out, 412_346);

    // Governance adds an operator managed by dev account 1.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let governance: PrivateKeySigner = dev_key(&node, 0).parse().expect("key");
    let manager = node.chain().lock().signers()[1].address();
    runtime.block_on(async {
        let client = Client::connect(&url, [governance.clone()]).await.expect("connect");
        let at = module.staking_module.address;
        let role = tidepool_interfaces::roles::staking_module::MANAGE_NODE_OPERATOR_ROLE;
        let grant = IStakingModule::grantRoleCall { role, account: governance.address() };
        client.send(governance.address(), at, grant, Default::default()).await.expect("grant");
        let add = IStakingModule::addNodeOperatorCall {
            name: "cli operator".into(),
            reward_address: manager,
            manager,
        };
        client.send(governance.address(), at, add, Default::default()).await.expect("add");
    });

    let vault = d.contracts.withdrawal_vault.address.to_string();
    let generate = |file: &Path, vault: &str| {
        let mut cmd = tidepool();
        cmd.args(["operator", "keys", "generate", "--seed", "cli test", "--count", "3"])
            .args(["--withdrawal-vault", vault, "--out"])
            .arg(file);
        run(&mut cmd)
    };
    let add = |file: &Path| {
        let mut cmd = tidepool();
        cmd.args(["operator", "keys", "add", "--rpc", &url, "--operator", "0"])
            .args(["--module", &module.staking_module.address.to_string(), "--deposit-data"])
            .arg(file)
            .arg("--deployment")
            .arg(&record_file)
            .args(["--private-key", &dev_key(&node, 1)]);
        run(&mut cmd)
    };
    let list = || {
        let mut cmd = tidepool();
        cmd.args(["operator", "keys", "list", "--rpc", &url, "--operator", "0", "--module"])
            .arg(module.staking_module.address.to_string());
        run(&mut cmd)
    };

    // Keys signed for another vault are refused before anything is sent.
    let foreign = out.join("foreign.json");
    let (ok, _, stderr) = generate(&foreign, &Address::repeat_byte(0x42).to_string());
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = add(&foreign);
    assert!(!ok, "keys withdrawing elsewhere must be refused");
    assert!(stderr.to_lowercase().contains("credentials"), "{stderr}");
    let (ok, stdout, _) = list();
    assert!(ok);
    assert!(!stdout.contains("unvetted"), "nothing was uploaded: {stdout}");

    // The vault's keys go in, and are listed as not yet vetted.
    let good = out.join("good.json");
    let (ok, _, stderr) = generate(&good, &vault);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = add(&good);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = list();
    assert!(ok, "{stderr}");
    assert_eq!(stdout.matches("unvetted").count(), 3, "{stdout}");
    // The same file again: every key is already known.
    let (ok, _, stderr) = add(&good);
    assert!(!ok, "a key the module holds is refused");
    assert!(stderr.contains("already"), "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
}
