//! The JSON-RPC surface: Ethereum methods wallets, `cast` and alloy-provider use, plus the
//! anvil/hardhat dev methods.
//!
//! Each namespace is a typed trait in `api` (method names, positional parameters, results),
//! implemented once over the shared chain in `server`; `convert` shapes chain values for
//! RPC and `error` maps failures to JSON-RPC codes.

mod api;
mod beacon;
mod convert;
mod error;
mod filters;
mod server;

pub use api::{
    AnvilApiServer, DebugApiServer, EthApiServer, EthFilterApiServer, EthSignApiServer,
    EthStateApiServer, EvmApiServer, Lenient, Message, NetApiServer, PersonalApiServer, Quantity,
    RpcReceipt, RpcTransaction, TxpoolApiServer, TypedDataParam, Web3ApiServer,
};
pub use beacon::{
    BeaconApiServer, BeaconConfigureParams, BeaconStatus, BeaconValidator, ValidatorParam,
};
pub use filters::FILTER_TIMEOUT;
pub use server::{Rpc, Shared, CLIENT_VERSION};

/// Builds the RPC module with every namespace over `chain`.
///
/// # Errors
///
/// A method name registered twice (a bug).
pub fn module(
    chain: Shared,
) -> Result<jsonrpsee::RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
    let rpc = Rpc::new(chain);
    let mut module = jsonrpsee::RpcModule::new(());
    module.merge(Web3ApiServer::into_rpc(rpc.clone()))?;
    module.merge(NetApiServer::into_rpc(rpc.clone()))?;
    module.merge(EthApiServer::into_rpc(rpc.clone()))?;
    module.merge(EvmApiServer::into_rpc(rpc.clone()))?;
    module.merge(AnvilApiServer::into_rpc(rpc.clone()))?;
    module.merge(EthFilterApiServer::into_rpc(rpc.clone()))?;
    module.merge(TxpoolApiServer::into_rpc(rpc.clone()))?;
    module.merge(EthSignApiServer::into_rpc(rpc.clone()))?;
    module.merge(PersonalApiServer::into_rpc(rpc.clone()))?;
    module.merge(EthStateApiServer::into_rpc(rpc.clone()))?;
    module.merge(DebugApiServer::into_rpc(rpc.clone()))?;
    module.merge(BeaconApiServer::into_rpc(rpc))?;
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_ethereum_and_dev_methods() {
        let chain = crate::chain::Chain::new(crate::chain::ChainConfig::default()).expect("chain");
        let module = module(std::sync::Arc::new(parking_lot::Mutex::new(chain))).expect("module");
        let mut names: Vec<&str> = module.method_names().collect();
        names.sort_unstable();
        let expected = [
            "anvil_dumpState",
            "anvil_impersonateAccount",
            "anvil_mine",
            "anvil_setBalance",
            "anvil_setCode",
            "anvil_setNonce",
            "anvil_setStorageAt",
            "anvil_stopImpersonatingAccount",
            "debug_traceTransaction",
            "eth_accounts",
            "eth_blobBaseFee",
            "eth_blockNumber",
            "eth_call",
            "eth_chainId",
            "eth_coinbase",
            "eth_createAccessList",
            "eth_estimateGas",
            "eth_feeHistory",
            "eth_gasPrice",
            "eth_getBalance",
            "eth_getBlockByHash",
            "eth_getBlockByNumber",
            "eth_getBlockReceipts",
            "eth_getCode",
            "eth_getFilterChanges",
            "eth_getFilterLogs",
            "eth_getLogs",
            "eth_getProof",
            "eth_getStorageAt",
            "eth_getTransactionByHash",
            "eth_getTransactionCount",
            "eth_getTransactionReceipt",
            "eth_maxPriorityFeePerGas",
            "eth_newBlockFilter",
            "eth_newFilter",
            "eth_newPendingTransactionFilter",
            "eth_sendRawTransaction",
            "eth_sendTransaction",
            "eth_sign",
            "eth_signTypedData_v4",
            "eth_syncing",
            "eth_uninstallFilter",
            "evm_increaseTime",
            "evm_mine",
            "evm_revert",
            "evm_setNextBlockTimestamp",
            "evm_snapshot",
            "hardhat_impersonateAccount",
            "hardhat_setBalance",
            "hardhat_setCode",
            "hardhat_stopImpersonatingAccount",
            "net_listening",
            "net_version",
            "personal_sign",
            "tidepool_beaconConfigure",
            "tidepool_beaconRequestExit",
            "tidepool_beaconSetOffline",
            "tidepool_beaconSlash",
            "tidepool_beaconStatus",
            "tidepool_beaconValidators",
            "txpool_content",
            "txpool_inspect",
            "txpool_status",
            "web3_clientVersion",
        ];
        assert_eq!(names, expected);
    }

    /// Parameters as anvil, hardhat and cast send them: trailing ones anvil takes and this
    /// node ignores, numbers or hex strings for times, an options object for `evm_mine`.
    #[tokio::test]
    async fn dev_methods_accept_what_tools_send() {
        let chain = crate::chain::Chain::new(crate::chain::ChainConfig::default()).expect("chain");
        let module = module(std::sync::Arc::new(parking_lot::Mutex::new(chain))).expect("module");
        let call = |method: &'static str, params: serde_json::Value| {
            let module = &module;
            async move {
                let request = serde_json::json!({
                    "jsonrpc": "2.0", "id": 1, "method": method, "params": params
                });
                let (response, _) =
                    module.raw_json_request(&request.to_string(), 1).await.expect("request");
                serde_json::from_str::<serde_json::Value>(response.get()).expect("json")
            }
        };
        let r = call("anvil_mine", serde_json::json!([2, 1])).await;
        assert_eq!(r["result"], serde_json::Value::Null, "{r}");
        let r = call("eth_blockNumber", serde_json::json!([])).await;
        assert_eq!(r["result"], "0x2", "{r}");
        let r = call("evm_increaseTime", serde_json::json!([60])).await;
        assert_eq!(r["result"], 60, "{r}");
        let r = call("evm_increaseTime", serde_json::json!(["0x3c"])).await;
        assert_eq!(r["result"], 120, "{r}");
        let r = call("evm_mine", serde_json::json!([{ "blocks": 1 }])).await;
        assert_eq!(r["result"], "0x0", "{r}");
        let r = call("evm_mine", serde_json::json!([])).await;
        assert_eq!(r["result"], "0x0", "{r}");
        let r = call("eth_getBalance", serde_json::json!(["0x01"])).await;
        assert_eq!(r["error"]["code"], -32602, "a bad address is an invalid parameter: {r}");
    }
}
