#!/usr/bin/env node
// Compiles every *.sol file of each source directory with the pinned solcjs (SOLC_VERSION,
// installed by crates/node/scripts/install-tools.sh) and writes <dir>/out/<Contract>.json:
// ABI, creation and runtime bytecode. The directories: this one (the node's test contracts)
// and contracts/beacon-deposit (the local chain's deposit contract). Rust reads those
// committed files, so `cargo test` needs no Node.js; `--check` recompiles and fails when any
// of them is stale, missing or extra.
//
// Usage: node compile.js [--check]     (TIDEPOOL_TOOLS overrides <workspace>/.tools)
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '../../../..');
const check = process.argv.includes('--check');
const pinned = fs.readFileSync(path.join(__dirname, 'SOLC_VERSION'), 'utf8').trim();
const tools = process.env.TIDEPOOL_TOOLS || path.join(root, '.tools');

let solc;
try {
  solc = require(path.join(path.resolve(tools), 'node_modules/solc'));
} catch (e) {
  console.error(`compile.js: solc not found under ${tools}; run crates/node/scripts/install-tools.sh`);
  process.exit(2);
}
const version = solc.version();
if (!version.startsWith(`${pinned}+`)) {
  console.error(`compile.js: solc ${version} installed, ${pinned} pinned; run crates/node/scripts/install-tools.sh`);
  process.exit(2);
}

// Prague is the EVM the node runs. No CBOR metadata trailer: bytecode then depends only on the
// code, not on comments or file paths, so a comment edit does not make the artifacts stale.
const settings = {
  evmVersion: 'prague',
  optimizer: { enabled: true, runs: 200 },
  metadata: { appendCBOR: false },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
function unit(here, out) {
  const files = fs.readdirSync(here).filter((f) => f.endsWith('.sol')).sort();
  const sources = {};
  for (const f of files) sources[f] = { content: fs.readFileSync(path.join(here, f), 'utf8') };
  const result = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));

  let failed = false;
  for (const e of result.errors || []) {
    console.error(e.formattedMessage || e.message);
    if (e.severity === 'error') failed = true;
  }
  if (failed) return false;

  const wanted = new Map();
  for (const source of files) {
    for (const [name, c] of Object.entries(result.contracts[source] || {})) {
      const artifact = {
        contractName: name,
        sourceName: source,
        compiler: `solc ${version}`,
        settings: { evmVersion: settings.evmVersion, optimizer: settings.optimizer, metadata: settings.metadata },
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      wanted.set(`${name}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }

  if (!check) {
    fs.mkdirSync(out, { recursive: true });
    for (const f of fs.existsSync(out) ? fs.readdirSync(out) : []) {
      if (!wanted.has(f)) fs.unlinkSync(path.join(out, f));
    }
    for (const [f, text] of wanted) fs.writeFileSync(path.join(out, f), text);
    console.error(`compile.js: wrote ${wanted.size} artifacts to ${path.relative(root, out)} with solc ${version}`);
    return true;
  }

  const problems = [];
  const present = fs.existsSync(out) ? fs.readdirSync(out) : [];
  for (const f of present) if (!wanted.has(f)) problems.push(`${path.relative(root, out)}/${f} has no source contract`);
  for (const [f, text] of wanted) {
    const p = path.join(out, f);
    if (!fs.existsSync(p)) problems.push(`${path.relative(root, out)}/${f} is missing`);
    else if (fs.readFileSync(p, 'utf8') !== text) problems.push(`${path.relative(root, out)}/${f} is stale`);
  }
  if (problems.length) {
    for (const p of problems) console.error(`compile.js: ${p}`);
    console.error('compile.js: regenerate with `node crates/node/tests/solidity/compile.js` and commit out/');
    return false;
  }
  console.error(`compile.js: ${wanted.size} artifacts in ${path.relative(root, out)} match solc ${version}`);
  return true;
}

const units = [__dirname, path.join(root, 'contracts/beacon-deposit')];
let ok = true;
for (const dir of units) ok = unit(dir, path.join(dir, 'out')) && ok;
process.exit(ok ? 0 : 1);
