//! What debuggers and wallets ask about execution beyond its result: a mined transaction's
//! call tree replayed under geth's `callTracer` (`debug_traceTransaction`), and the access
//! list a call would use (`eth_createAccessList`).

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

use alloy_eips::{
    eip2930::{AccessList, AccessListItem},
    BlockNumberOrTag,
};
use alloy_primitives::TxKind;
use alloy_rpc_types_eth::{state::StateOverride, AccessListResult, TransactionRequest};
use alloy_rpc_types_trace::geth::{CallConfig, CallFrame};
use revm::{
    context::result::ExecutionResult,
    handler::ExecuteEvm,
    inspector::InspectEvm,
    primitives::{Address, B256, U256},
    DatabaseCommit,
};

use super::{
    transactions::{evm_error, tx_env_from_envelope, TX_STACK_RED_ZONE, TX_STACK_SEGMENT},
    types::ChainError,
    Chain,
};
use crate::evm::{
    arbwasm, arbwasmcache, build_evm, build_traced_evm, clear_logs, offset_log_indices, CallTracer,
    Ctx, SPEC,
};

/// Most rounds `eth_createAccessList` runs: each round runs the call with the list found so
/// far, and the list only grows, so it settles within a few (geth has no bound; this one
/// only guards against a call whose path keeps changing).
const ACCESS_LIST_ROUNDS: usize = 8;

impl Chain {
    /// The call tree of mined transaction `hash`, as geth's `callTracer` reports it: the
    /// transaction replayed on its block's parent state after the block's earlier
    /// transactions. Stylus program frames are CALL frames like any other. `config` is
    /// geth's: `onlyTopCall` keeps the transaction's frame alone, `withLog` adds each
    /// frame's logs.
    pub fn trace_transaction(
        &self,
        hash: B256,
        config: CallConfig,
    ) -> Result<CallFrame, ChainError> {
        let tx = self
            .tx(&hash)
            .ok_or_else(|| ChainError::NotFound(format!("transaction {hash} not found")))?;
        let block = self
            .block(tx.block_number)
            .ok_or_else(|| ChainError::NotFound(format!("block {} not found", tx.block_number)))?;
        let header = &block.header;
        let mut db = self.db_at(tx.block_number.saturating_sub(1))?.into_owned();
        let env =
            self.block_env(header.number, header.timestamp, header.base_fee_per_gas.unwrap_or(0));
        let mut cfg = self.cfg();
        // The sender may have been an impersonated contract when the transaction was mined.
        cfg.disable_eip3607 = true;
        for earlier in block.txs.iter().take_while(|h| **h != hash) {
            let Some(earlier) = self.tx(earlier) else { continue };
            let ctx = Ctx::new(db, SPEC).with_block(env.clone()).with_cfg(cfg.clone());
            let mut evm = build_evm(ctx, self.programs.clone());
            let tx_env = tx_env_from_envelope(&earlier.envelope, earlier.from);
            let result =
                stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.transact(tx_env));
            db = std::mem::take(&mut evm.ctx.journaled_state.database);
            db.commit(result.map_err(evm_error)?.state);
        }
        let tracer = Rc::new(RefCell::new(CallTracer::default()));
        let ctx = Ctx::new(db, SPEC).with_block(env).with_cfg(cfg);
        let mut evm = build_traced_evm(ctx, self.programs.clone(), tracer.clone());
        let tx_env = tx_env_from_envelope(&tx.envelope, tx.from);
        let gas_limit = tx_env.gas_limit;
        let result =
            stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.inspect_tx(tx_env))
                .map_err(evm_error)?;
        drop(evm);
        let tracer = Rc::try_unwrap(tracer)
            .map_err(|_| ChainError::Internal("tracer still shared after the replay".into()))?
            .into_inner();
        let mut frame = tracer
            .into_frame()
            .ok_or_else(|| ChainError::Internal(format!("transaction {hash} entered no frame")))?;
        // As geth: the transaction's frame shows the transaction's gas limit and the gas its
        // receipt reports (intrinsic gas included, refund deducted).
        frame.gas = U256::from(gas_limit);
        frame.gas_used = U256::from(result.result.tx_gas_used());
        if config.with_log.unwrap_or(false) {
            offset_log_indices(&mut frame, tx.first_log_index);
        } else {
            clear_logs(&mut frame);
        }
        if config.only_top_call.unwrap_or(false) {
            frame.calls.clear();
        }
        Ok(frame)
    }

    /// The access list of `req` at block `tag` (`eth_createAccessList`): every account and
    /// storage slot the call loads, found by running it with the list found so far until the
    /// list stops growing, and the gas it uses with that list.
    ///
    /// The list is read from the transaction's journal rather than from opcodes, so slots a
    /// Stylus program reads or writes through its host I/Os are in it too. As geth, slots are
    /// listed for every account; an account without slots is left out when it is warm anyway
    /// (the sender, the recipient or created contract, the block's coinbase, precompiles), and
    /// the node's own bookkeeping in ArbWasm and ArbWasmCache (which no transaction pays for)
    /// is never listed. A call that reverts or halts still answers, with `error` set.
    pub fn create_access_list(
        &mut self,
        mut req: TransactionRequest,
        tag: BlockNumberOrTag,
        overrides: Option<StateOverride>,
    ) -> Result<AccessListResult, ChainError> {
        let block = self.resolve(tag)?;
        let from = req.from.unwrap_or_default();
        let recipient = match req.to.unwrap_or(TxKind::Create) {
            TxKind::Call(to) => to,
            TxKind::Create => from.create(self.account(from, block)?.nonce),
        };
        let coinbase = self.block_env(0, 0, 0).beneficiary;
        let precompiles = crate::evm::Precompiles::new(self.programs.clone());
        let warm = |a: &Address| {
            *a == from
                || *a == recipient
                || *a == coinbase
                || revm::handler::PrecompileProvider::<Ctx>::warm_addresses(&precompiles)
                    .contains(a)
        };
        let mut list = req.access_list.clone().unwrap_or_default();
        let mut rounds = 0;
        loop {
            req.access_list = Some(list.clone());
            let run = self.simulate(&req, BlockNumberOrTag::Number(block), overrides.clone())?;
            let mut found: BTreeMap<Address, Vec<B256>> = BTreeMap::new();
            for item in &list.0 {
                found.entry(item.address).or_default().extend(&item.storage_keys);
            }
            for (address, account) in &run.state {
                if *address == arbwasm::ADDRESS || *address == arbwasmcache::ADDRESS {
                    continue;
                }
                let slots: Vec<B256> = account.storage.keys().map(|k| B256::from(*k)).collect();
                if slots.is_empty() && warm(address) {
                    continue;
                }
                found.entry(*address).or_default().extend(slots);
            }
            let next = AccessList(
                found
                    .into_iter()
                    .map(|(address, mut storage_keys)| {
                        storage_keys.sort_unstable();
                        storage_keys.dedup();
                        AccessListItem { address, storage_keys }
                    })
                    .collect(),
            );
            rounds += 1;
            if next == list || rounds == ACCESS_LIST_ROUNDS {
                let error = match &run.result {
                    ExecutionResult::Success { .. } => None,
                    ExecutionResult::Revert { .. } => Some("execution reverted".to_string()),
                    ExecutionResult::Halt { reason, .. } => Some(format!("{reason:?}")),
                };
                return Ok(AccessListResult {
                    access_list: next,
                    gas_used: U256::from(run.result.tx_gas_used()),
                    error,
                });
            }
            list = next;
        }
    }
}
