// End-to-end test of the depositor app against a running chain, in a system Chromium.
//
//   TIDEPOOL_APP_URL=http://127.0.0.1:4173/ TIDEPOOL_RPC=http://127.0.0.1:8547 npm run e2e
//
// Env: TIDEPOOL_APP_URL (the app, e.g. a `vite preview`; required), TIDEPOOL_RPC (the node,
// for direct reads and the admin's pause; required), CHROMIUM (default /usr/bin/chromium),
// E2E_FINALIZE_TIMEOUT_S (default 150). Dev keys and addresses come from the app's own
// ./tidepool.json (a local chain with devKeys is required). Screenshots go to test-results/.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createPublicClient, createWalletClient, getAddress, http, keccak256, parseEther, toHex, formatEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'test-results');
mkdirSync(out, { recursive: true });
const abi = (n) => JSON.parse(readFileSync(join(here, '..', '..', 'abi', `${n}.json`), 'utf8'));
const poolAbi = abi('Pool');
const queueAbi = abi('WithdrawalQueue');
const wrappedAbi = abi('Wrapped');

const APP = process.env.TIDEPOOL_APP_URL;
const RPC = process.env.TIDEPOOL_RPC;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FINALIZE_S = Number(process.env.E2E_FINALIZE_TIMEOUT_S ?? 150);
if (!APP || !RPC) {
  console.error('Set TIDEPOOL_APP_URL (the app) and TIDEPOOL_RPC (the node).');
  process.exit(2);
}
const appUrl = (hash) => new URL(`#/${hash}`, APP.endsWith('/') ? APP : `${APP}/`).toString();

const t0 = Date.now();
const results = [];
let page = null;
async function step(name, fn) {
  const start = Date.now();
  try {
    await fn();
    const ms = Date.now() - start;
    results.push({ name, ok: true, ms });
    console.log(`  ok   ${name} (${(ms / 1000).toFixed(1)} s)`);
  } catch (e) {
    const ms = Date.now() - start;
    results.push({ name, ok: false, ms });
    console.log(`  FAIL ${name} (${(ms / 1000).toFixed(1)} s): ${e instanceof Error ? e.message.split('\n')[0] : e}`);
    if (page) await page.screenshot({ path: join(out, `failure-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}
const shot = (p, name) => p.screenshot({ path: join(out, `${name}.png`), fullPage: true });

/** The page's number (rounded down, grouped) → wei, for comparisons. */
const pageWei = async (locator) => {
  const text = (await locator.innerText()).replace(/,/g, '').trim();
  return parseEther(text.split(' ')[0]);
};

// ---------------------------------------------------------------- setup
const cfgRes = await fetch(new URL('tidepool.json', APP.endsWith('/') ? APP : `${APP}/`));
if (!cfgRes.ok) throw new Error(`the app's tidepool.json answered ${cfgRes.status}`);
const cfg = await cfgRes.json();
if (!cfg.devKeys || cfg.devKeys.length < 4) throw new Error('the app serves no devKeys: the e2e needs a local chain with dev keys (TIDEPOOL_DEV_KEYS)');
const chain = { id: cfg.chainId, name: cfg.chainName, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [RPC] } } };
const client = createPublicClient({ chain, transport: http(RPC) });
const C = cfg.deployment.contracts;
const pool = getAddress(C.pool.address);
const queue = getAddress(C.withdrawalQueue.address);
const wrapped = getAddress(C.wrapped.address);
const wrappedOf = (address) => client.readContract({ address: wrapped, abi: wrappedAbi, functionName: 'balanceOf', args: [address] });
await client.getBlockNumber().catch((e) => { throw new Error(`the node at ${RPC} does not answer: ${e.message}`); });

const DEV_INDEX = Number(process.env.E2E_DEV_ACCOUNT ?? 2);
const WALLET_INDEX = Number(process.env.E2E_WALLET_ACCOUNT ?? 3);
const devAccount = privateKeyToAccount(cfg.devKeys[DEV_INDEX]);
const walletAccount = privateKeyToAccount(cfg.devKeys[WALLET_INDEX]);
const admin = privateKeyToAccount(cfg.devKeys[0]);

// Execution-layer rewards for the reports to come: the rewards vault takes anyone's ether, and
// each report moves some of it into the pool (up to the positive-rebase cap), so the share
// rate leaves 1 and the flows after the first report run where rounding shows.
const donor = privateKeyToAccount(cfg.devKeys[1]);
const donorClient = createWalletClient({ account: donor, chain, transport: http(RPC) });
await client.waitForTransactionReceipt({
  hash: await donorClient.sendTransaction({ to: getAddress(C.rewardsVault.address), value: parseEther('1') }),
});
const ONE = parseEther('1');
const etherPerShare = () => client.readContract({ address: pool, abi: poolAbi, functionName: 'getPooledEthByShares', args: [ONE] });

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
let failed = false;
try {
  // ------------------------------------------------------------ (1) dev account
  console.log(`(1) dev account ${DEV_INDEX} ${devAccount.address}`);
  const ctx1 = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await ctx1.newPage();
  page.on('pageerror', (e) => console.log(`    page error: ${e.message}`));
  await step('open the app and pick the dev account', async () => {
    await page.goto(appUrl('stake'));
    await page.getByLabel('Dev account').selectOption(String(DEV_INDEX));
    await page.getByRole('button', { name: 'Use dev account' }).click();
    await page.getByText(`Dev account ${DEV_INDEX}`).waitFor();
    await page.getByTestId('balance-tpeth').waitFor();
  });
  await step('stake 1 ETH and see the balance', async () => {
    const before = await client.readContract({ address: pool, abi: poolAbi, functionName: 'balanceOf', args: [devAccount.address] });
    await page.getByLabel('Amount to stake (ETH)').fill('1');
    await page.getByTestId('stake-receive').waitFor();
    await page.getByRole('button', { name: 'Stake', exact: true }).click();
    await page.getByText('Staked 1 ETH for tpETH').waitFor({ timeout: 60_000 });
    const after = await client.readContract({ address: pool, abi: poolAbi, functionName: 'balanceOf', args: [devAccount.address] });
    if (after < before + parseEther('0.999')) throw new Error(`the chain balance went from ${formatEther(before)} to ${formatEther(after)}`);
    await waitUntil(async () => (await pageWei(page.getByTestId('balance-tpeth'))) >= before + parseEther('0.999'), 20_000, 'the page to show the staked tpETH');
    await shot(page, '1-stake');
  });
  await step('wrap 0.5 tpETH (approve + wrap)', async () => {
    await page.getByRole('link', { name: 'Wrap' }).click();
    await page.getByLabel('tpETH to wrap').fill('0.5');
    await page.getByRole('button', { name: /^(Approve and wrap|Wrap)$/ }).click();
    const before = await wrappedOf(devAccount.address);
    await page.getByText('Wrapped 0.5 tpETH').waitFor({ timeout: 90_000 });
    const after = await wrappedOf(devAccount.address);
    if (after <= before) throw new Error(`the chain's wtpETH balance did not grow (${formatEther(before)} → ${formatEther(after)})`);
    await pageMatches('balance-wtpeth', after, 'the page to show the new wtpETH balance');
    await shot(page, '2-wrap');
  });
  await step('unwrap 0.2 wtpETH', async () => {
    const before = await wrappedOf(devAccount.address);
    await page.getByLabel('wtpETH to unwrap').fill('0.2');
    await page.getByRole('button', { name: 'Unwrap', exact: true }).click();
    await page.getByText('Unwrapped 0.2 wtpETH').waitFor({ timeout: 60_000 });
    const after = await wrappedOf(devAccount.address);
    if (after !== before - parseEther('0.2')) throw new Error(`the chain's wtpETH went ${formatEther(before)} → ${formatEther(after)}, not down by 0.2`);
    await pageMatches('balance-wtpeth', after, 'the page to show the wtpETH balance down by 0.2');
    await shot(page, '3-unwrap');
  });
  const requestsOf = async () => client.readContract({ address: queue, abi: queueAbi, functionName: 'getWithdrawalRequests', args: [devAccount.address] });
  const newest = (ids) => ids.reduce((m, x) => (x > m ? x : m), 0n);
  const tickets = [];
  await step('request withdrawals of 0.3 tpETH and 0.1 wtpETH with permits and see them pending', async () => {
    await page.getByRole('link', { name: 'Withdraw' }).click();
    for (const [token, amount] of [['tpETH', '0.3'], ['wtpETH', '0.1']]) {
      const before = await requestsOf();
      await page.getByRole('radio', { name: token, exact: true }).check();
      await page.getByLabel(`Amount to withdraw (${token})`).fill(amount);
      await page.getByRole('button', { name: 'Request withdrawal' }).click();
      await waitUntil(async () => (await requestsOf()).length === before.length + 1, 90_000, `the ${token} request on chain`);
      await page.getByText(/Requested 1 withdrawal \(with (a permit|an approval)\)/).waitFor({ timeout: 20_000 });
      const ticket = newest(await requestsOf());
      tickets.push(ticket);
      const row = page.getByTestId(`ticket-${ticket}`);
      await row.waitFor({ timeout: 20_000 });
      const status = await row.getAttribute('data-status');
      if (status !== 'pending') console.log(`    note: ticket #${ticket} was already ${status} when first seen`);
      else await row.getByText('pending').waitFor();
    }
    await shot(page, '4-withdraw-pending');
  });
  await step(`wait (up to ${FINALIZE_S} s) for the oracle to finalize both requests`, async () => {
    for (const ticket of tickets) {
      await page.locator(`[data-testid="ticket-${ticket}"][data-status="finalized"]`).waitFor({ timeout: FINALIZE_S * 1000 })
        .catch(() => { throw new Error(`request #${ticket} was not finalized within ${FINALIZE_S} s: are the oracle daemons reporting, and does the buffer cover the queue?`); });
    }
    await shot(page, '5-withdraw-finalized');
  });
  await step('claim both at once (checkpoint hints) and see the ETH arrive', async () => {
    const before = await client.getBalance({ address: devAccount.address });
    const statuses = await client.readContract({ address: queue, abi: queueAbi, functionName: 'getWithdrawalStatus', args: [tickets] });
    const nominal = statuses.reduce((sum, st) => sum + st.amountOfStETH, 0n);
    await page.getByRole('button', { name: `Claim all (${tickets.length})` }).click();
    await page.getByText(/^Claimed requests #\d+, #\d+$/).waitFor({ timeout: 60_000 });
    for (const ticket of tickets) await page.locator(`[data-testid="ticket-${ticket}"][data-status="claimed"]`).waitFor({ timeout: 20_000 });
    const after = await client.getBalance({ address: devAccount.address });
    // Gas is paid too: the gain is the claims less a little gas, and never more than they were worth.
    if (after <= before || after - before > nominal) throw new Error(`the ETH balance went ${formatEther(before)} → ${formatEther(after)} for claims of at most ${formatEther(nominal)}`);
    console.log(`    claimed ${formatEther(after - before)} ETH net of gas (requests' nominal ${formatEther(nominal)})`);
    await shot(page, '6-claimed');
  });
  await step('rewards and protocol pages render', async () => {
    await page.getByRole('link', { name: 'Rewards' }).click();
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csvPath = join(out, 'rewards.csv');
    await download.saveAs(csvPath);
    const header = readFileSync(csvPath, 'utf8').split('\r\n')[0];
    if (!header.startsWith('report_time_utc,')) throw new Error(`unexpected CSV header: ${header}`);
    await shot(page, '7-rewards');
    await page.getByRole('link', { name: 'Protocol' }).click();
    await page.getByTestId('total-pooled').waitFor();
    await page.getByRole('table', { name: 'Node operators' }).waitFor({ timeout: 20_000 });
    await shot(page, '8-protocol');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Stake' }).click();
    await shot(page, '9-stake-phone');
  });
  await ctx1.close();

  // ------------------------------------------------------------ (2) injected wallet
  console.log(`(2) injected EIP-1193 wallet (EIP-6963), account ${WALLET_INDEX} ${walletAccount.address}`);
  const ctx2 = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const signerClient = createWalletClient({ account: walletAccount, chain, transport: http(RPC) });
  await ctx2.exposeFunction('__e2eWalletSign', async (method, params) => {
    if (method === 'eth_sendTransaction') {
      const tx = params[0];
      if (getAddress(tx.from) !== walletAccount.address) throw new Error('wrong from');
      return signerClient.sendTransaction({
        to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined, gas: tx.gas ? BigInt(tx.gas) : undefined,
      });
    }
    if (method === 'eth_signTypedData_v4') {
      const typed = typeof params[1] === 'string' ? JSON.parse(params[1]) : params[1];
      const { EIP712Domain: _, ...types } = typed.types;
      return walletAccount.signTypedData({ domain: typed.domain, types, primaryType: typed.primaryType, message: typed.message });
    }
    throw new Error(`unsupported ${method}`);
  });
  await ctx2.addInitScript(({ address, chainIdHex }) => {
    const listeners = {};
    const provider = {
      isE2E: true,
      async request({ method, params }) {
        switch (method) {
          case 'eth_requestAccounts': case 'eth_accounts': return [address];
          case 'eth_chainId': return chainIdHex;
          case 'wallet_switchEthereumChain': case 'wallet_addEthereumChain': return null;
          case 'eth_sendTransaction': case 'eth_signTypedData_v4': return window.__e2eWalletSign(method, params);
          default: {
            const res = await fetch('/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? [] }) });
            const body = await res.json();
            if (body.error) { const e = new Error(body.error.message); e.code = body.error.code; e.data = body.error.data; throw e; }
            return body.result;
          }
        }
      },
      on(ev, f) { (listeners[ev] ??= []).push(f); },
      removeListener(ev, f) { listeners[ev] = (listeners[ev] ?? []).filter((x) => x !== f); },
    };
    const info = { uuid: '6f1b8a52-0e2e-4c3a-9d1e-e2e000000001', name: 'E2E Wallet', icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"%3E%3Crect width="8" height="8" fill="%23f60"/%3E%3C/svg%3E', rdns: 'test.e2e.wallet' };
    window.__e2eEmit = (ev, data) => (listeners[ev] ?? []).forEach((f) => f(data));
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
    window.addEventListener('eip6963:requestProvider', announce);
    announce();
  }, { address: walletAccount.address, chainIdHex: toHex(cfg.chainId) });
  page = await ctx2.newPage();
  page.on('pageerror', (e) => console.log(`    page error: ${e.message}`));
  await step('connect the announced wallet', async () => {
    await page.goto(appUrl('stake'));
    await page.getByRole('button', { name: 'Connect E2E Wallet' }).click();
    await page.getByText('E2E Wallet').first().waitFor();
    await page.getByTestId('balance-tpeth').waitFor();
  });
  await step('react to the wallet changing chains', async () => {
    await page.evaluate(() => window.__e2eEmit('chainChanged', '0x1'));
    await page.getByText(`Your wallet is on chain 1, not ${cfg.chainId}`).waitFor({ timeout: 5_000 }).catch(() => { throw new Error('no wrong-chain warning after chainChanged'); });
    await page.getByRole('button', { name: 'Switch network' }).waitFor();
    await page.evaluate((id) => window.__e2eEmit('chainChanged', id), toHex(cfg.chainId));
    await page.getByRole('button', { name: 'Switch network' }).waitFor({ state: 'detached', timeout: 5_000 });
  });
  await step('stake 0.25 ETH through the wallet', async () => {
    const before = await client.readContract({ address: pool, abi: poolAbi, functionName: 'balanceOf', args: [walletAccount.address] });
    await page.getByLabel('Amount to stake (ETH)').fill('0.25');
    await page.getByRole('button', { name: 'Stake', exact: true }).click();
    await page.getByText('Staked 0.25 ETH for tpETH').waitFor({ timeout: 60_000 });
    await waitUntil(async () => (await pageWei(page.getByTestId('balance-tpeth'))) >= before + parseEther('0.249'), 20_000, 'the page to show the staked tpETH');
    await shot(page, '10-wallet-stake');
  });
  await step('request the whole balance through the wallet with a typed-data permit, at a share rate above 1', async () => {
    // A report has been applied since the rewards were paid in (the finalization above
    // waited for one), so shares and ether no longer convert 1:1: asking for the whole
    // balance is where a permit for exactly the amount must still cover the shares taken.
    const rate = await etherPerShare();
    if (rate <= ONE) throw new Error(`the share rate is still ${formatEther(rate)} ETH per share`);
    await page.getByRole('link', { name: 'Withdraw' }).click();
    await page.getByRole('button', { name: 'Use the whole tpETH balance' }).click();
    const balance = await client.readContract({ address: pool, abi: poolAbi, functionName: 'balanceOf', args: [walletAccount.address] });
    await page.getByRole('button', { name: 'Request withdrawal' }).click();
    await page.getByText('Requested 1 withdrawal (with a permit)').waitFor({ timeout: 60_000 });
    const left = await client.readContract({ address: pool, abi: poolAbi, functionName: 'sharesOf', args: [walletAccount.address] });
    if (left > 1n) throw new Error(`${left} shares left after requesting the whole balance of ${formatEther(balance)} tpETH`);
    console.log(`    requested ${formatEther(balance)} tpETH at ${formatEther(rate)} ETH per share; ${left} share(s) left`);
    await shot(page, '11-wallet-withdraw');
  });
  await ctx2.close();

  // ------------------------------------------------------------ (3) paused staking
  console.log('(3) paused staking (admin: dev account 0)');
  const adminClient = createWalletClient({ account: admin, chain, transport: http(RPC) });
  const send = async (functionName, args = []) => {
    const { request } = await client.simulateContract({ account: admin, address: pool, abi: poolAbi, functionName, args });
    const hash = await adminClient.writeContract(request);
    const r = await client.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new Error(`${functionName} reverted`);
  };
  const PAUSE = keccak256(toHex('STAKING_PAUSE_ROLE'));
  const CONTROL = keccak256(toHex('STAKING_CONTROL_ROLE'));
  const ctx3 = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await ctx3.newPage();
  try {
    await step('pause staking as the admin and see the message', async () => {
      for (const role of [PAUSE, CONTROL]) {
        const has = await client.readContract({ address: pool, abi: poolAbi, functionName: 'hasRole', args: [role, admin.address] });
        if (!has) await send('grantRole', [role, admin.address]);
      }
      if (!(await client.readContract({ address: pool, abi: poolAbi, functionName: 'isStakingPaused' }))) await send('pauseStaking');
      await page.goto(appUrl('stake'));
      await page.getByTestId('staking-paused').waitFor({ timeout: 20_000 });
      await page.getByText('Staking is paused').first().waitFor();
      if (!(await page.getByLabel('Amount to stake (ETH)').isDisabled())) throw new Error('the stake form is not disabled while paused');
      await shot(page, '12-paused');
    });
  } finally {
    await step('resume staking', async () => {
      if (await client.readContract({ address: pool, abi: poolAbi, functionName: 'isStakingPaused' })) await send('resumeStaking');
      await page.getByTestId('staking-paused').waitFor({ state: 'detached', timeout: 30_000 });
    });
  }
  await ctx3.close();
} catch {
  failed = true;
} finally {
  await browser.close();
}

/** Waits until the page's (rounded-down) balance is the chain's value, within 1e-5 ETH. */
async function pageMatches(testId, wei, what) {
  await waitUntil(async () => {
    const shown = await pageWei(page.getByTestId(testId));
    const d = shown > wei ? shown - wei : wei - shown;
    return d < 10n ** 13n;
  }, 20_000, `${what} (${formatEther(wei)})`);
}

async function waitUntil(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { if (await cond()) return; } catch { /* not there yet */ }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const total = ((Date.now() - t0) / 1000).toFixed(1);
const passed = results.filter((r) => r.ok).length;
console.log(`\n${failed ? 'FAILED' : 'passed'}: ${passed}/${results.length} steps in ${total} s; screenshots in ${out}`);
process.exit(failed ? 1 : 0);
