//! Simulation: `eth_call` at any kept block, with state overrides, and gas estimation.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::TxKind;
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use revm::{
    context::{
        result::{ExecutionResult, ResultAndState},
        TxEnv,
    },
    handler::ExecuteEvm,
    primitives::U256,
    state::Bytecode,
};

use super::{
    transactions::{evm_error, TX_STACK_RED_ZONE, TX_STACK_SEGMENT},
    types::{CallOutcome, ChainError},
    Chain,
};
use crate::evm::{build_evm, Ctx, Db, SPEC};

impl Chain {
    fn call_env(&self, req: &TransactionRequest, gas_cap: u64) -> TxEnv {
        let kind = req.to.unwrap_or(TxKind::Create);
        TxEnv {
            tx_type: if req.max_fee_per_gas.is_some() { 2 } else { 0 },
            caller: req.from.unwrap_or_default(),
            gas_limit: req.gas.unwrap_or(gas_cap).min(gas_cap),
            gas_price: req.max_fee_per_gas.or(req.gas_price).unwrap_or(0),
            gas_priority_fee: req.max_priority_fee_per_gas,
            kind,
            value: req.value.unwrap_or_default(),
            data: req.input.input().cloned().unwrap_or_default(),
            nonce: 0,
            chain_id: Some(self.config.chain_id),
            access_list: req.access_list.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Executes a call without committing (eth_call).
    pub fn call(
        &mut self,
        req: TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<CallOutcome, ChainError> {
        let result = self.simulate(&req, tag, overrides)?.result;
        Ok(match result {
            ExecutionResult::Success { output, gas, .. } => CallOutcome {
                success: true,
                output: output.into_data(),
                gas_used: gas.tx_gas_used(),
            },
            ExecutionResult::Revert { output, gas, .. } => {
                CallOutcome { success: false, output, gas_used: gas.tx_gas_used() }
            }
            ExecutionResult::Halt { reason, .. } => {
                return Err(ChainError::Halted(format!("{reason:?}")));
            }
        })
    }

    /// Runs `req` as a call on the state of block `tag` (with `overrides`) and returns its
    /// result with every account and slot it loaded; nothing is committed.
    pub(super) fn simulate(
        &mut self,
        req: &TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<ResultAndState, ChainError> {
        let block = self.resolve(tag)?;
        let gas_cap = self.config.block_gas_limit;
        let tx = self.call_env(req, gas_cap);
        let mut db = self.db_at(block)?.into_owned();
        if let Some(overrides) = overrides {
            apply_overrides(&mut db, overrides)?;
        }
        let header = self
            .block(block)
            .map(|b| b.header.clone())
            .ok_or_else(|| ChainError::NotFound(format!("block {block} not found")))?;
        // Calls simulate the block after the chosen one, as geth and anvil do for "latest".
        let env = self.block_env(
            header.number + 1,
            header.timestamp + 1,
            header.base_fee_per_gas.unwrap_or(0),
        );
        let mut cfg = self.cfg();
        cfg.disable_nonce_check = true;
        cfg.disable_base_fee = true;
        cfg.disable_balance_check = tx.gas_price == 0;
        cfg.disable_block_gas_limit = true;
        // Simulations may come "from" contracts, as geth allows.
        cfg.disable_eip3607 = true;
        let ctx = Ctx::new(db, SPEC).with_block(env).with_cfg(cfg);
        let mut evm = build_evm(ctx, self.programs.clone());
        stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.transact(tx))
            .map_err(evm_error)
    }

    /// Smallest gas limit with which the call succeeds (binary search, as geth does).
    pub fn estimate_gas(
        &mut self,
        req: TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<u64, ChainError> {
        let cap = req.gas.unwrap_or(self.config.block_gas_limit).min(self.config.block_gas_limit);
        let try_gas = |chain: &mut Self, gas: u64| {
            let mut r = req.clone();
            r.gas = Some(gas);
            chain.call(r, tag, overrides.clone())
        };
        let first = try_gas(self, cap)?;
        if !first.success {
            return Err(ChainError::Reverted(first.output));
        }
        let mut lo = first.gas_used.saturating_sub(1);
        let mut hi = cap;
        // Most calls succeed with gas_used plus the 63/64 reserve; try that before searching.
        let guess = (first.gas_used * 64 / 63 + 2_300).min(cap);
        if matches!(try_gas(self, guess), Ok(o) if o.success) {
            hi = guess;
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            match try_gas(self, mid) {
                Ok(o) if o.success => hi = mid,
                _ => lo = mid,
            }
        }
        Ok(hi)
    }
}

fn apply_overrides(db: &mut Db, overrides: StateOverride) -> Result<(), ChainError> {
    for (address, o) in overrides {
        let mut info = db.cache.accounts.get(&address).map(|a| a.info.clone()).unwrap_or_default();
        if let Some(balance) = o.balance {
            info.balance = balance;
        }
        if let Some(nonce) = o.nonce {
            info.nonce = nonce;
        }
        if let Some(code) = o.code {
            let code =
                Bytecode::new_raw_checked(code).map_err(|e| ChainError::Invalid(e.to_string()))?;
            info.code_hash = code.hash_slow();
            info.code = Some(code);
        }
        db.insert_account_info(address, info);
        let internal = |e| ChainError::Internal(format!("{e:?}"));
        if let Some(state) = o.state {
            let slots = state
                .into_iter()
                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                .collect();
            db.replace_account_storage(address, slots).map_err(internal)?;
        }
        if let Some(diff) = o.state_diff {
            for (k, v) in diff {
                db.insert_account_storage(
                    address,
                    U256::from_be_bytes(k.0),
                    U256::from_be_bytes(v.0),
                )
                .map_err(internal)?;
            }
        }
    }
    Ok(())
}
