//! Bindings of the Solidity test contracts, declared once for every test that deploys them:
//! `tests/solidity/*.sol`, compiled by the pinned solcjs into the committed
//! `tests/solidity/out/*.json` (`tests/solidity/compile.js`; `tests/solidity.rs` checks they
//! are current).
#![allow(dead_code)]

use alloy_sol_types::sol;

sol!(
    #[sol(all_derives)]
    Counter,
    "tests/solidity/out/Counter.json"
);
sol!(
    #[sol(all_derives)]
    Reverter,
    "tests/solidity/out/Reverter.json"
);
sol!(
    #[sol(all_derives)]
    ReentrancyProbe,
    "tests/solidity/out/ReentrancyProbe.json"
);
sol!(
    #[sol(all_derives)]
    DelegateProxy,
    "tests/solidity/out/DelegateProxy.json"
);
