// The node's acceptance checks with viem and ethers v6: event and block filters (viem's
// createContractEventFilter/getFilterChanges, ethers' contract.on), queued nonces,
// concurrent sends from one key, state at an old block, and dev-account signing.
// Usage: node js_check.cjs URL (with NODE_PATH at the installed node_modules).
"use strict";
const assert = require("node:assert/strict");
const path = require("node:path");
const viem = require("viem");
const { privateKeyToAccount, nonceManager } = require("viem/accounts");
const ethers = require("ethers");

const artifact = require(path.join(__dirname, "..", "solidity", "out", "Counter.json"));
// The standard dev mnemonic's accounts 2 to 5 (the node's dev accounts of those indexes).
const KEYS = [
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
];

function ok(what) {
  console.log(`${what}: ok`);
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkViem(url) {
  const transport = viem.http(url);
  const chain = viem.defineChain({
    id: 412346,
    name: "tidepool",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const client = viem.createPublicClient({ chain, transport, pollingInterval: 50 });
  const key = privateKeyToAccount(KEYS[0]);
  const wallet = viem.createWalletClient({ chain, transport, account: key });
  const abi = artifact.abi;
  const receipt = await client.waitForTransactionReceipt({
    hash: await wallet.deployContract({ abi, bytecode: artifact.bytecode }),
  });
  const address = receipt.contractAddress;
  const deployedAt = receipt.blockNumber;

  const events = await client.createContractEventFilter({ address, abi, eventName: "Counted" });
  const blocks = await client.createBlockFilter();
  for (let i = 0; i < 2; i++) {
    const hash = await wallet.writeContract({ address, abi, functionName: "increment" });
    await client.waitForTransactionReceipt({ hash });
  }
  const logs = await client.getFilterChanges({ filter: events });
  assert.deepEqual(logs.map((l) => l.args.count), [1n, 2n]);
  assert.equal(logs[0].args.by, key.address);
  assert.deepEqual(await client.getFilterChanges({ filter: events }), []);
  ok("viem: createContractEventFilter/getFilterChanges");
  assert.equal((await client.getFilterChanges({ filter: blocks })).length, 2);
  ok("viem: createBlockFilter");
  assert.equal(await client.uninstallFilter({ filter: events }), true);
  await assert.rejects(client.getFilterChanges({ filter: events }), /filter not found/);
  ok("viem: uninstallFilter");

  // Queued nonces: sent last to first.
  const queuer = privateKeyToAccount(KEYS[1]);
  const nonce = await client.getTransactionCount({ address: queuer.address });
  const fee = (await client.getGasPrice()) * 2n;
  const signed = (n) =>
    queuer.signTransaction({
      chainId: 412346, type: "eip1559", to: key.address, value: 1n, gas: 21000n, nonce: n,
      maxFeePerGas: fee, maxPriorityFeePerGas: 1n,
    });
  const hashes = [];
  for (const n of [nonce + 2, nonce + 1, nonce]) {
    hashes.push(await client.sendRawTransaction({ serializedTransaction: await signed(n) }));
  }
  const mined = await Promise.all(hashes.map((hash) => client.waitForTransactionReceipt({ hash })));
  const byBlock = mined.map((r, i) => [r.blockNumber, [nonce + 2, nonce + 1, nonce][i]]);
  byBlock.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(byBlock.map((x) => x[1]), [nonce, nonce + 1, nonce + 2]);
  ok("viem: queued nonces mined in order");

  // Concurrent sends from one key with viem's nonce manager.
  const managed = viem.createWalletClient({
    chain, transport, account: privateKeyToAccount(KEYS[1], { nonceManager }),
  });
  const sends = await Promise.all(
    Array.from({ length: 6 }, () => managed.sendTransaction({ to: key.address, value: 1n })),
  );
  const receipts = await Promise.all(sends.map((hash) => client.waitForTransactionReceipt({ hash })));
  assert.ok(receipts.every((r) => r.status === "success"));
  ok("viem: six concurrent sends all mined");

  // Old state.
  await client.request({ method: "anvil_mine", params: ["0x3e8"] });
  const old = await client.readContract({ address, abi, functionName: "count", blockNumber: deployedAt });
  assert.equal(old, 0n);
  assert.equal(await client.readContract({ address, abi, functionName: "count" }), 2n);
  ok("viem: readContract 1,000 blocks back");

  // Signing with a dev account the node holds (a JSON-RPC account).
  const [dev] = await client.request({ method: "eth_accounts" });
  const rpcWallet = viem.createWalletClient({ chain, transport, account: dev });
  const message = "tidepool";
  const signature = await rpcWallet.signMessage({ message });
  assert.ok(await viem.verifyMessage({ address: dev, message, signature }));
  const typed = {
    domain: { name: "Tidepool", version: "1", chainId: 412346, verifyingContract: address },
    types: { Mail: [{ name: "to", type: "address" }, { name: "contents", type: "string" }] },
    primaryType: "Mail",
    message: { to: key.address, contents: "hello" },
  };
  const typedSig = await rpcWallet.signTypedData(typed);
  assert.ok(await viem.verifyTypedData({ address: dev, ...typed, signature: typedSig }));
  ok("viem: personal_sign and eth_signTypedData_v4 by a dev account");
}

async function checkEthers(url) {
  const provider = new ethers.JsonRpcProvider(url, { chainId: 412346, name: "tidepool" }, {
    pollingInterval: 100, staticNetwork: true,
  });
  const signer = await provider.getSigner(0);
  const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, signer);
  const deployed = await factory.deploy();
  await deployed.waitForDeployment();
  const deployedAt = (await deployed.deploymentTransaction().wait()).blockNumber;
  const counter = deployed.connect(signer);

  // contract.on polls a log filter (eth_newFilter, eth_getFilterChanges).
  const heard = new Promise((resolve) => {
    counter.on("Counted", (by, count) => resolve([by, count]));
  });
  await new Promise((r) => setTimeout(r, 300)); // the subscription installs its filter
  await (await counter.increment()).wait();
  const [by, count] = await withTimeout(heard, 10000, "ethers: contract.on");
  assert.equal(by, await signer.getAddress());
  assert.equal(count, 1n);
  await counter.removeAllListeners();
  ok("ethers: contract.on receives the event");

  // Queued nonces.
  const wallet = new ethers.Wallet(KEYS[2], provider);
  const nonce = await provider.getTransactionCount(wallet.address);
  const fee = (await provider.getFeeData()).gasPrice * 2n;
  const signed = (n) =>
    wallet.signTransaction({
      chainId: 412346, type: 2, to: signer.address, value: 1n, gasLimit: 21000n, nonce: n,
      maxFeePerGas: fee, maxPriorityFeePerGas: 1n,
    });
  const queued = [];
  for (const n of [nonce + 1, nonce]) {
    queued.push(await provider.broadcastTransaction(await signed(n)));
  }
  const mined = await Promise.all(queued.map((tx) => tx.wait()));
  assert.ok(mined[0].blockNumber > mined[1].blockNumber, "nonce order");
  ok("ethers: queued nonce mined after the gap fills");

  // Concurrent sends with ethers' NonceManager.
  const managed = new ethers.NonceManager(new ethers.Wallet(KEYS[3], provider));
  const sent = await Promise.all(
    Array.from({ length: 6 }, () => managed.sendTransaction({ to: signer.address, value: 1n })),
  );
  const receipts = await Promise.all(sent.map((tx) => tx.wait()));
  assert.ok(receipts.every((r) => r.status === 1));
  ok("ethers: six concurrent sends all mined");

  // Old state.
  await provider.send("anvil_mine", ["0x3e8"]);
  assert.equal(await counter.count({ blockTag: deployedAt }), 0n);
  assert.equal(await counter.count(), 1n);
  ok("ethers: call 1,000 blocks back");

  // Signing with the node's dev key.
  const signature = await signer.signMessage("tidepool");
  assert.equal(ethers.verifyMessage("tidepool", signature), signer.address);
  const domain = { name: "Tidepool", version: "1", chainId: 412346 };
  const types = { Mail: [{ name: "to", type: "address" }, { name: "contents", type: "string" }] };
  const value = { to: wallet.address, contents: "hello" };
  const typedSig = await signer.signTypedData(domain, types, value);
  assert.equal(ethers.verifyTypedData(domain, types, value, typedSig), signer.address);
  ok("ethers: personal_sign and eth_signTypedData_v4 by a dev account");
  provider.destroy();
}

(async () => {
  const url = process.argv[2];
  await checkViem(url);
  await checkEthers(url);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
