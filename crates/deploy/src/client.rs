//! A JSON-RPC client with local signers: every transaction is estimated first (so reverts
//! come back decoded, before anything is sent), signed here and sent raw.

use std::time::Duration;

use alloy_network::{Ethereum, EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use alloy_transport::TransportError;

use crate::error::{decode_revert, Error};

/// A mined transaction's receipt.
pub type Receipt = TransactionReceipt;

/// A connection to one chain, with the keys it may sign for.
#[derive(Clone, Debug)]
pub struct Client {
    provider: DynProvider<Ethereum>,
    url: String,
    chain_id: u64,
    signers: Vec<PrivateKeySigner>,
    receipt_timeout: Duration,
}

/// A transport error as ours: a revert when the node sent revert data, else an RPC failure.
fn rpc_error(what: &str, e: TransportError) -> Error {
    match e.as_error_resp().and_then(|p| p.as_revert_data()) {
        Some(data) => Error::Reverted { what: what.to_owned(), reason: decode_revert(&data), data },
        None => Error::Rpc(format!("{what}: {e}")),
    }
}

impl Client {
    /// Connects to `url` (http, https, ws or ipc) and learns its chain id; `signers` are the
    /// keys transactions may come from (none for a read-only client).
    ///
    /// # Errors
    /// [`Error::Rpc`] if the node does not answer.
    pub async fn connect(
        url: &str,
        signers: impl IntoIterator<Item = PrivateKeySigner>,
    ) -> Result<Self, Error> {
        let signers: Vec<_> = signers.into_iter().collect();
        let provider = match signers.split_first() {
            Some((first, rest)) => {
                let mut wallet = EthereumWallet::new(first.clone());
                for s in rest {
                    wallet.register_signer(s.clone());
                }
                ProviderBuilder::new().wallet(wallet).connect(url).await.map(Provider::erased)
            }
            None => ProviderBuilder::new().connect(url).await.map(Provider::erased),
        }
        .map_err(|e| Error::Rpc(format!("connecting to {url}: {e}")))?;
        let chain_id = provider.get_chain_id().await.map_err(|e| rpc_error("eth_chainId", e))?;
        Ok(Self {
            provider,
            url: url.to_owned(),
            chain_id,
            signers,
            receipt_timeout: Duration::from_secs(120),
        })
    }

    /// The same connection, also signing for `more`.
    ///
    /// # Errors
    /// [`Error::Rpc`] if the node does not answer.
    pub async fn with_signers(
        &self,
        more: impl IntoIterator<Item = PrivateKeySigner>,
    ) -> Result<Self, Error> {
        let mut client = Self::connect(&self.url, self.signers.iter().cloned().chain(more)).await?;
        client.receipt_timeout = self.receipt_timeout;
        Ok(client)
    }

    /// The underlying provider, for anything this type does not wrap.
    pub fn provider(&self) -> &DynProvider<Ethereum> {
        &self.provider
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The chain's EIP-155 id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The addresses this client signs for, in the order given.
    pub fn accounts(&self) -> Vec<Address> {
        self.signers.iter().map(PrivateKeySigner::address).collect()
    }

    /// Calls `call` on `to` without a transaction (`eth_call` at the latest block).
    ///
    /// # Errors
    /// [`Error::Reverted`] with the decoded error; [`Error::Decode`]; [`Error::Rpc`].
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, Error> {
        self.call_as(None, to, call, U256::ZERO).await
    }

    /// `eth_call` of `call` on `to` as if sent by `from` with `value`: a simulation, which
    /// changes nothing.
    ///
    /// # Errors
    /// As [`Client::view`].
    pub async fn call_as<C: SolCall>(
        &self,
        from: Option<Address>,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<C::Return, Error> {
        self.call_at(from, to, call, value, None).await
    }

    /// [`Client::call_as`] against the state after block `block` (`None`: the latest).
    ///
    /// # Errors
    /// As [`Client::view`].
    pub async fn call_at<C: SolCall>(
        &self,
        from: Option<Address>,
        to: Address,
        call: C,
        value: U256,
        block: Option<u64>,
    ) -> Result<C::Return, Error> {
        let mut tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode())
            .with_value(value);
        if let Some(from) = from {
            tx = tx.with_from(from);
        }
        let block = block.map_or(BlockId::latest(), BlockId::number);
        let out =
            self.provider.call(tx).block(block).await.map_err(|e| rpc_error(C::SIGNATURE, e))?;
        C::abi_decode_returns(&out)
            .map_err(|source| Error::Decode { what: C::SIGNATURE.to_owned(), source })
    }

    /// Sends `call` to `to` from `from` (one of this client's signers) with `value`, and
    /// waits for its receipt.
    ///
    /// # Errors
    /// [`Error::Reverted`] if the call would revert (nothing is sent) or did;
    /// [`Error::NotMined`]; [`Error::Rpc`].
    pub async fn send<C: SolCall>(
        &self,
        from: Address,
        to: Address,
        call: C,
        value: U256,
    ) -> Result<Receipt, Error> {
        self.send_input(C::SIGNATURE, from, to, call.abi_encode().into(), value).await
    }

    /// Sends plain ether (with `data`, possibly empty) from `from` to `to`.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn transfer(
        &self,
        from: Address,
        to: Address,
        value: U256,
        data: Bytes,
    ) -> Result<Receipt, Error> {
        self.send_input("ether transfer", from, to, data, value).await
    }

    /// Sends `input` with `value` from `from` to `to`; `what` names it in errors.
    async fn send_input(
        &self,
        what: &str,
        from: Address,
        to: Address,
        input: Bytes,
        value: U256,
    ) -> Result<Receipt, Error> {
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(input)
            .with_value(value);
        self.send_request(what, tx).await
    }

    /// Deploys `init_code` from `from` with CREATE; returns the new address and the receipt.
    ///
    /// # Errors
    /// As [`Client::send`]; [`Error::Unexpected`] if the receipt names no contract.
    pub async fn create(
        &self,
        from: Address,
        init_code: Bytes,
    ) -> Result<(Address, Receipt), Error> {
        let mut tx = TransactionRequest::default().with_from(from).with_input(init_code);
        tx.to = Some(TxKind::Create);
        let receipt = self.send_request("contract creation", tx).await?;
        let address = receipt
            .contract_address
            .ok_or_else(|| Error::Unexpected("creation receipt without an address".into()))?;
        Ok((address, receipt))
    }

    /// Estimates, signs, sends and waits for `tx`; `what` names it in errors.
    ///
    /// The estimate gets 20% headroom: Stylus gas depends on what is cached, which can
    /// differ between the estimate and the block.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn send_request(
        &self,
        what: &str,
        mut tx: TransactionRequest,
    ) -> Result<Receipt, Error> {
        if tx.gas.is_none() {
            let estimate =
                self.provider.estimate_gas(tx.clone()).await.map_err(|e| rpc_error(what, e))?;
            tx.gas = Some(estimate.saturating_add(estimate / 5));
        }
        let pending =
            self.provider.send_transaction(tx.clone()).await.map_err(|e| rpc_error(what, e))?;
        let receipt = self.wait(*pending.tx_hash()).await?;
        if receipt.status() {
            return Ok(receipt);
        }
        // Mined but reverted (state moved since the estimate): replay it for the reason.
        let data = match self.provider.call(tx).await {
            Err(e) => e.as_error_resp().and_then(|p| p.as_revert_data()).unwrap_or_default(),
            Ok(_) => Bytes::new(),
        };
        Err(Error::Reverted {
            what: format!("{what} (mined in {:?})", receipt.transaction_hash),
            reason: decode_revert(&data),
            data,
        })
    }

    /// Polls for the receipt of `hash`: quickly at first (local nodes mine at once), then
    /// every half second.
    ///
    /// # Errors
    /// [`Error::NotMined`] after the timeout; [`Error::Rpc`].
    pub async fn wait(&self, hash: B256) -> Result<Receipt, Error> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let receipt = self
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| rpc_error("eth_getTransactionReceipt", e))?;
            if let Some(receipt) = receipt {
                return Ok(receipt);
            }
            if started.elapsed() > self.receipt_timeout {
                return Err(Error::NotMined { hash, seconds: self.receipt_timeout.as_secs() });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// The ether balance of `account`.
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn balance(&self, account: Address) -> Result<U256, Error> {
        self.provider.get_balance(account).await.map_err(|e| rpc_error("eth_getBalance", e))
    }

    /// The ether balance of `account` after block `at` (`None`: the latest).
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn balance_at(&self, account: Address, at: Option<u64>) -> Result<U256, Error> {
        let call = self.provider.get_balance(account);
        let call = match at {
            Some(n) => call.number(n),
            None => call,
        };
        call.await.map_err(|e| rpc_error("eth_getBalance", e))
    }

    /// The code at `account`.
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn code(&self, account: Address) -> Result<Bytes, Error> {
        self.provider.get_code_at(account).await.map_err(|e| rpc_error("eth_getCode", e))
    }

    /// The next nonce of `account`.
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn nonce(&self, account: Address) -> Result<u64, Error> {
        self.provider
            .get_transaction_count(account)
            .await
            .map_err(|e| rpc_error("eth_getTransactionCount", e))
    }

    /// The latest block's number and timestamp.
    ///
    /// # Errors
    /// [`Error::Rpc`]; [`Error::Unexpected`] if the node has no latest block.
    pub async fn latest_block(&self) -> Result<(u64, u64), Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| rpc_error("eth_getBlockByNumber", e))?
            .ok_or_else(|| Error::Unexpected("the node has no latest block".into()))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// The number and timestamp of block `number`.
    ///
    /// # Errors
    /// [`Error::Rpc`]; [`Error::Unexpected`] if there is no such block.
    pub async fn block(&self, number: u64) -> Result<(u64, u64), Error> {
        let header = self.header(number).await?;
        Ok((header.number, header.timestamp))
    }

    /// The hash of block `number`.
    ///
    /// # Errors
    /// [`Error::Rpc`]; [`Error::Unexpected`] if there is no such block.
    pub async fn block_hash(&self, number: u64) -> Result<B256, Error> {
        Ok(self.header(number).await?.hash)
    }

    async fn header(&self, number: u64) -> Result<alloy_rpc_types_eth::Header, Error> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| rpc_error("eth_getBlockByNumber", e))?
            .ok_or_else(|| Error::Unexpected(format!("the node has no block {number}")))?;
        Ok(block.header)
    }

    /// The last block at or after `from` whose timestamp is at most `time`, by binary search
    /// (timestamps never decrease), or `None` if block `from` is already later.
    ///
    /// # Errors
    /// [`Error::Rpc`].
    pub async fn last_block_at(&self, from: u64, time: u64) -> Result<Option<u64>, Error> {
        let (latest, latest_time) = self.latest_block().await?;
        if latest_time <= time {
            return Ok(Some(latest));
        }
        let (mut lo, mut hi) = (from, latest);
        if self.block(lo).await?.1 > time {
            return Ok(None);
        }
        // Invariant: block `lo` is at or before `time`, block `hi` after it.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.block(mid).await?.1 <= time {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
    }

    /// Moves the chain's clock forward by `seconds` and mines a block with the new time,
    /// with the anvil/hardhat dev methods (`evm_increaseTime`, `evm_mine`).
    ///
    /// # Errors
    /// [`Error::Rpc`] naming the method when the node does not support it (a public chain).
    pub async fn increase_time(&self, seconds: u64) -> Result<(), Error> {
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .map_err(|e| Error::Rpc(format!("evm_increaseTime (dev chains only): {e}")))?;
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(|e| Error::Rpc(format!("evm_mine (dev chains only): {e}")))?;
        Ok(())
    }

    /// The events `E` that `emitter` logged in `receipt`, in order.
    pub fn events<E: SolEvent>(receipt: &Receipt, emitter: Address) -> Vec<E> {
        receipt
            .inner
            .logs()
            .iter()
            .filter(|log| log.address() == emitter)
            .filter_map(|log| E::decode_log_data(log.data()).ok())
            .collect()
    }
}
