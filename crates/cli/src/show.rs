//! How deployments and amounts are printed.

use alloy_primitives::U256;
use tidepool_deploy::Deployment;

/// `wei` as ether with `decimals` decimals, truncated (never shows more than there is).
pub fn ether(wei: U256, decimals: usize) -> String {
    let unit = U256::from(10u64).pow(U256::from(18u8));
    let whole = wei / unit;
    let frac = format!("{:018}", wei % unit);
    if decimals == 0 {
        return whole.to_string();
    }
    format!("{whole}.{}", &frac[..decimals.min(18)])
}

/// The contracts of `deployment`, one per line.
pub fn contracts(deployment: &Deployment) -> String {
    let mut out = String::new();
    for (name, c) in deployment.contracts.iter() {
        out.push_str(&format!("  {name:<22} {}\n", c.address));
    }
    if let Some(m) = &deployment.module {
        for (name, address) in [
            ("stakingModule", m.staking_module.address),
            ("stakingModuleRegistry", m.registry.address),
            ("depositGuard", m.deposit_guard.address),
            ("depositContract", m.deposit_contract),
        ] {
            out.push_str(&format!("  {name:<22} {address}\n"));
        }
    }
    out
}

/// Commands to paste: read the pool, stake from a key.
pub fn cast_lines(deployment: &Deployment, rpc: &str, key: Option<&str>) -> String {
    let pool = deployment.contracts.pool.address;
    let mut out =
        format!("  cast call {pool} \"getTotalPooledEther()(uint256)\" --rpc-url {rpc}\n");
    if let Some(key) = key {
        out.push_str(&format!(
            "  cast send {pool} \"submit(address)(uint256)\" 0x0000000000000000000000000000000000000000 \
             --value 1ether --private-key {key} --rpc-url {rpc}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ether_truncates() {
        let wei = U256::from(1_234_567_890_123_456_789u64);
        assert_eq!(ether(wei, 6), "1.234567");
        assert_eq!(ether(wei, 18), "1.234567890123456789");
        assert_eq!(ether(U256::from(5u8), 6), "0.000000");
        assert_eq!(ether(wei, 0), "1");
    }
}
