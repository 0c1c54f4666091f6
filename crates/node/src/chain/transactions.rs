//! Transactions: decoding raw ones, signing requests for dev and impersonated accounts,
//! admitting them (mined at once when their nonce is next, else queued in the pool until it
//! is), executing them and mining each into its own block.

use alloy_consensus::{
    transaction::SignerRecoverable, Header, SignableTransaction, Signed, Transaction as _,
    TxEnvelope, TxLegacy, TypedTransaction,
};
use alloy_eips::BlockNumberOrTag;
use alloy_network::TxSignerSync;
use alloy_primitives::{Signature, TxKind};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use revm::{
    context::{result::ExecutionResult, TxEnv},
    context_interface::result::{EVMError, InvalidTransaction},
    handler::ExecuteEvm,
    primitives::{Address, B256, U256},
    DatabaseCommit,
};

use super::{
    history::BlockDiff,
    pool::PooledTx,
    types::{ChainError, MinedTx},
    Chain,
};
use crate::evm::{build_evm, Ctx, FrameProfile, SPEC};

/// A transaction runs on a fresh native stack segment of [`TX_STACK_SEGMENT`] bytes unless
/// this much is left: nested Stylus frames need far more stack than a thread's default in
/// unoptimised builds (each nested call also grows its own segment, see `evm::host`).
pub(super) const TX_STACK_RED_ZONE: usize = 16 * 1024 * 1024;
/// See [`TX_STACK_RED_ZONE`].
pub(super) const TX_STACK_SEGMENT: usize = 64 * 1024 * 1024;

fn invalid_tx_message(err: &InvalidTransaction) -> String {
    match err {
        InvalidTransaction::NonceTooLow { tx, state } => {
            format!("nonce too low: transaction has {tx}, account has {state}")
        }
        InvalidTransaction::NonceTooHigh { tx, state } => {
            format!("nonce too high: transaction has {tx}, account has {state}")
        }
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance}, want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}")
        }
        InvalidTransaction::GasFloorMoreThanGasLimit { gas_floor, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {gas_floor}")
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".to_string()
        }
        InvalidTransaction::CallerGasLimitMoreThanBlock => {
            "transaction gas limit exceeds block gas limit".to_string()
        }
        other => other.to_string(),
    }
}

pub(super) fn evm_error<E: std::fmt::Debug>(err: EVMError<E, InvalidTransaction>) -> ChainError {
    match err {
        EVMError::Transaction(t) => ChainError::Invalid(invalid_tx_message(&t)),
        EVMError::Header(h) => ChainError::Invalid(h.to_string()),
        EVMError::Database(d) => ChainError::Internal(format!("{d:?}")),
        EVMError::Custom(c) => ChainError::Internal(c),
        other => ChainError::Internal(format!("{other:?}")),
    }
}

/// A placeholder signature for transactions from impersonated accounts.
fn fake_signature() -> Signature {
    Signature::new(U256::from(1), U256::from(1), false)
}

pub(super) fn tx_env_from_envelope(envelope: &TxEnvelope, from: Address) -> TxEnv {
    TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: from,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        ..Default::default()
    }
}

impl Chain {
    /// Decodes and checks a raw signed transaction and [submits](Chain::submit) it; returns
    /// its hash.
    pub fn send_raw(&mut self, raw: &[u8]) -> Result<B256, ChainError> {
        let envelope = <TxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718_exact(raw)
            .map_err(|e| ChainError::Decode(e.to_string()))?;
        let from = envelope.recover_signer().map_err(|e| ChainError::Signature(e.to_string()))?;
        self.submit(envelope, from)
    }

    /// The nonce `from`'s next transaction should have. Transactions are mined as soon as
    /// their nonce is next, so the pool only holds ones behind a gap, which geth's pending
    /// nonce leaves out too: this is the latest state's nonce.
    pub fn pending_nonce(&self, from: Address) -> Result<u64, ChainError> {
        Ok(self.account(from, self.block_number())?.nonce)
    }

    /// Admits a signed transaction: mined at once when its nonce is its sender's next (and
    /// then any queued successors), queued in the pool when it is ahead, refused when behind.
    pub fn submit(&mut self, envelope: TxEnvelope, from: Address) -> Result<B256, ChainError> {
        if let Some(id) = envelope.chain_id() {
            if id != self.config.chain_id {
                return Err(ChainError::ChainId { expected: self.config.chain_id, got: id });
            }
        }
        let hash = *envelope.tx_hash();
        if self.txs.contains_key(&hash) || self.pool.get(&hash).is_some() {
            return Err(ChainError::Invalid(format!("already known: transaction {hash}")));
        }
        if envelope.nonce() > self.pending_nonce(from)? {
            if envelope.gas_limit() > self.config.block_gas_limit {
                return Err(ChainError::Invalid("exceeds block gas limit".into()));
            }
            self.pool.insert(PooledTx { envelope, from })?;
            return Ok(hash);
        }
        self.mine_tx(envelope, from)?;
        self.promote(from);
        Ok(hash)
    }

    /// Mines `from`'s queued transactions while the next one's nonce is due. One that no
    /// longer executes (funds or fees changed since it was queued) is dropped, as geth drops
    /// unexecutable transactions; its successors stay queued behind the gap it leaves.
    pub(super) fn promote(&mut self, from: Address) {
        loop {
            let Ok(nonce) = self.pending_nonce(from) else { return };
            self.pool.drop_below(from, nonce);
            let Some(next) = self.pool.take(from, nonce) else { return };
            if self.mine_tx(next.envelope, from).is_err() {
                return;
            }
        }
    }

    /// The waiting transaction with `hash`.
    pub fn pooled(&self, hash: &B256) -> Option<&PooledTx> {
        self.pool.get(hash)
    }

    /// Every waiting transaction, by sender and then nonce.
    pub fn pool(&self) -> impl Iterator<Item = &PooledTx> {
        self.pool.iter()
    }

    /// Fills, signs (dev accounts) or wraps (impersonated accounts) and
    /// [submits](Chain::submit) a request, as `eth_sendTransaction` does.
    pub fn send_request(&mut self, mut req: TransactionRequest) -> Result<B256, ChainError> {
        let from = req.from.ok_or_else(|| ChainError::Invalid("missing from".into()))?;
        let signer = self.signers.iter().find(|s| s.address() == from).cloned();
        if signer.is_none() && !self.impersonated.contains(&from) {
            return Err(ChainError::UnknownAccount(from));
        }
        if req.nonce.is_none() {
            req.nonce = Some(self.pending_nonce(from)?);
        }
        req.chain_id = Some(self.config.chain_id);
        if req.gas.is_none() {
            req.gas = Some(self.estimate_gas(req.clone(), BlockNumberOrTag::Pending, None)?);
        }
        if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
            let base = u128::from(self.next_base_fee());
            req.max_priority_fee_per_gas = Some(req.max_priority_fee_per_gas.unwrap_or(0));
            req.max_fee_per_gas = Some(base * 2 + req.max_priority_fee_per_gas.unwrap_or(0));
        }
        if req.to.is_none() {
            req.to = Some(TxKind::Create);
        }
        let typed = req
            .build_typed_tx()
            .map_err(|_| ChainError::Invalid("incomplete transaction request".into()))?;
        let envelope = match signer {
            Some(signer) => sign(&signer, typed)?,
            None => wrap_unsigned(typed),
        };
        self.submit(envelope, from)
    }

    /// Executes a checked transaction and mines it into its own block.
    fn mine_tx(&mut self, envelope: TxEnvelope, from: Address) -> Result<B256, ChainError> {
        let hash = *envelope.tx_hash();
        let number = self.block_number() + 1;
        let timestamp = self.next_block_timestamp();
        let base_fee = self.next_base_fee();
        let tx_env = tx_env_from_envelope(&envelope, from);
        let outcome = self.execute(tx_env, number, timestamp, base_fee, true)?;
        let (result, stylus_profile) = outcome;
        let gas_used = result.tx_gas_used();
        let success = result.is_success();
        let logs = result.logs().to_vec();
        let contract_address = match &result {
            ExecutionResult::Success { output, .. } => output.address().copied(),
            _ => None,
        };
        let effective_gas_price = envelope.effective_gas_price(Some(base_fee));
        let mut mined = MinedTx {
            envelope,
            from,
            block_number: number,
            block_hash: B256::ZERO,
            index: 0,
            effective_gas_price,
            success,
            gas_used,
            cumulative_gas_used: gas_used,
            contract_address,
            logs,
            first_log_index: 0,
            stylus_profile,
        };
        let receipt = mined.receipt_envelope();
        let bloom = *receipt.logs_bloom();
        let header = Header {
            parent_hash: self.latest().hash,
            number,
            timestamp,
            gas_limit: self.config.block_gas_limit,
            gas_used,
            base_fee_per_gas: Some(base_fee),
            logs_bloom: bloom,
            transactions_root: alloy_consensus::proofs::calculate_transaction_root(
                std::slice::from_ref(&mined.envelope),
            ),
            receipts_root: alloy_consensus::proofs::calculate_receipt_root(&[receipt]),
            ..Self::empty_header()
        };
        let block_hash = self.push_block(header, vec![hash]);
        mined.block_hash = block_hash;
        let logs = if self.beacon.is_some() { mined.logs.clone() } else { Vec::new() };
        self.txs.insert(hash, mined);
        self.beacon_block(number, timestamp, &logs);
        Ok(hash)
    }

    /// Runs `tx` on top of the latest state; commits when `commit` (and keeps history).
    fn execute(
        &mut self,
        tx: TxEnv,
        number: u64,
        timestamp: u64,
        base_fee: u64,
        commit: bool,
    ) -> Result<(ExecutionResult, Vec<FrameProfile>), ChainError> {
        let block = self.block_env(number, timestamp, base_fee);
        let mut cfg = self.cfg();
        // Impersonated senders may be contracts (anvil allows this too).
        cfg.disable_eip3607 = self.impersonated.contains(&tx.caller);
        let db = std::mem::take(&mut self.db);
        let ctx = Ctx::new(db, SPEC).with_block(block).with_cfg(cfg);
        let mut evm = build_evm(ctx, self.programs.clone());
        let result = stacker::maybe_grow(TX_STACK_RED_ZONE, TX_STACK_SEGMENT, || evm.transact(tx));
        let mut db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let profile = std::mem::take(&mut evm.precompiles.frames.borrow_mut().profile);
        match result {
            Ok(r) => {
                if commit {
                    self.history.push(BlockDiff::record(number, &db, &r.state));
                    db.commit(r.state);
                }
                self.db = db;
                Ok((r.result, profile))
            }
            Err(e) => {
                self.db = db;
                Err(evm_error(e))
            }
        }
    }
}

fn sign(signer: &PrivateKeySigner, typed: TypedTransaction) -> Result<TxEnvelope, ChainError> {
    Ok(match typed {
        TypedTransaction::Legacy(tx) => TxEnvelope::Legacy(sign_one(signer, tx)?),
        TypedTransaction::Eip2930(tx) => TxEnvelope::Eip2930(sign_one(signer, tx)?),
        TypedTransaction::Eip1559(tx) => TxEnvelope::Eip1559(sign_one(signer, tx)?),
        TypedTransaction::Eip7702(tx) => TxEnvelope::Eip7702(sign_one(signer, tx)?),
        TypedTransaction::Eip4844(_) => {
            return Err(ChainError::Invalid("blob transactions are not supported".into()))
        }
    })
}

/// One transaction of any type signed by `signer`: what every arm of [`sign`] does.
fn sign_one<T: SignableTransaction<Signature>>(
    signer: &PrivateKeySigner,
    mut tx: T,
) -> Result<Signed<T>, ChainError> {
    let sig =
        signer.sign_transaction_sync(&mut tx).map_err(|e| ChainError::Signature(e.to_string()))?;
    Ok(tx.into_signed(sig))
}

fn wrap_unsigned(typed: TypedTransaction) -> TxEnvelope {
    let sig = fake_signature();
    match typed {
        TypedTransaction::Legacy(tx) => TxEnvelope::Legacy(tx.into_signed(sig)),
        TypedTransaction::Eip2930(tx) => TxEnvelope::Eip2930(tx.into_signed(sig)),
        TypedTransaction::Eip1559(tx) => TxEnvelope::Eip1559(tx.into_signed(sig)),
        TypedTransaction::Eip7702(tx) => TxEnvelope::Eip7702(tx.into_signed(sig)),
        TypedTransaction::Eip4844(_) => {
            TxEnvelope::Legacy(Signed::new_unhashed(TxLegacy::default(), sig))
        }
    }
}
