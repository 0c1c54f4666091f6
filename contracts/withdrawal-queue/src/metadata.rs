//! `tokenURI`: each ticket describes itself on chain, so wallets show what it is worth and
//! where it stands without any server (Lido's points to a configurable base URI).
//!
//! The JSON is written by hand and base64-encoded into a `data:` URI, the form marketplaces
//! and wallets read most widely. Amounts are shown in ETH with up to 18 decimals and also in
//! wei; times are Unix seconds with `display_type: date`.

use alloc::{string::String, vec::Vec};

use alloy_primitives::U256;

use crate::{ledger::small, QueueError, WithdrawalQueue};

const WEI_PER_ETH: u128 = 1_000_000_000_000_000_000;

impl WithdrawalQueue {
    pub(crate) fn metadata(&self, token_id: U256) -> Result<String, QueueError> {
        let (id, _) = self.live_ticket(token_id)?;
        let (steth, _) = self.range(id - 1, id)?;
        let requested = small(self.requests.getter(id).timestamp.get());
        let finalization = self.finalization(id)?;

        let mut json = Vec::with_capacity(640);
        json.extend_from_slice(b"{\"name\":\"untpETH #");
        decimal(&mut json, u128::from(id));
        json.extend_from_slice(b"\",\"description\":\"Tidepool withdrawal request #");
        decimal(&mut json, u128::from(id));
        json.extend_from_slice(b": ");
        ether(&mut json, steth);
        json.extend_from_slice(
            b" tpETH to redeem for ETH once an oracle report finalizes it.\",\"attributes\":[",
        );
        attribute(&mut json, b"Amount (ETH)", |out| ether(out, steth), true);
        attribute(&mut json, b"Amount (wei)", |out| wei(out, steth), true);
        let status: &[u8] = if finalization.is_some() { b"Finalized" } else { b"Pending" };
        attribute(&mut json, b"Status", |out| out.extend_from_slice(status), true);
        date(&mut json, b"Requested", requested);
        if let Some((finalized, hint)) = finalization {
            let claimable = self.claimable_at(id, hint)?;
            json.push(b',');
            date(&mut json, b"Finalized", finalized);
            json.push(b',');
            attribute(&mut json, b"Claimable (ETH)", |out| ether(out, claimable), true);
            attribute(&mut json, b"Claimable (wei)", |out| wei(out, claimable), false);
        }
        json.extend_from_slice(b"]}");

        let mut uri = Vec::from(&b"data:application/json;base64,"[..]);
        base64(&mut uri, &json);
        // Every byte written is ASCII.
        Ok(String::from_utf8(uri).unwrap_or_default())
    }
}

/// `{"trait_type":"<name>","value":"<value>"}`, then a comma if `more` follows.
fn attribute(out: &mut Vec<u8>, name: &[u8], value: impl FnOnce(&mut Vec<u8>), more: bool) {
    out.extend_from_slice(b"{\"trait_type\":\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\",\"value\":\"");
    value(out);
    out.extend_from_slice(b"\"}");
    if more {
        out.push(b',');
    }
}

/// `{"display_type":"date","trait_type":"<name>","value":<seconds>}`.
fn date(out: &mut Vec<u8>, name: &[u8], seconds: u64) {
    out.extend_from_slice(b"{\"display_type\":\"date\",\"trait_type\":\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\",\"value\":");
    decimal(out, u128::from(seconds));
    out.push(b'}');
}

/// `n` in decimal.
fn decimal(out: &mut Vec<u8>, mut n: u128) {
    let mut digits = [0u8; 39];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Request amounts are at most 1000 ETH and claims never exceed them, so every amount shown
/// fits `u128`; a larger one (impossible) would show as its saturated value.
fn to_u128(x: U256) -> u128 {
    u128::try_from(x).unwrap_or(u128::MAX)
}

/// `x` wei in decimal.
fn wei(out: &mut Vec<u8>, x: U256) {
    decimal(out, to_u128(x));
}

/// `x` wei as ETH: integer part, and the fraction without trailing zeros.
fn ether(out: &mut Vec<u8>, x: U256) {
    let x = to_u128(x);
    decimal(out, x / WEI_PER_ETH);
    let mut fraction = x % WEI_PER_ETH;
    if fraction == 0 {
        return;
    }
    let mut digits = [b'0'; 18];
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (fraction % 10) as u8;
        fraction /= 10;
    }
    let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |p| p + 1);
    out.push(b'.');
    out.extend_from_slice(&digits[..len]);
}

/// Standard base64 with padding.
fn base64(out: &mut Vec<u8>, input: &[u8]) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= chunk.len() { TABLE[((n >> shift) & 63) as usize] } else { b'=' });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn numbers() {
        assert_eq!(run(|o| decimal(o, 0)), "0");
        assert_eq!(run(|o| decimal(o, 1_700_000_000)), "1700000000");
        assert_eq!(run(|o| decimal(o, u128::MAX)), u128::MAX.to_string());
        assert_eq!(run(|o| ether(o, U256::from(WEI_PER_ETH * 1000))), "1000");
        assert_eq!(run(|o| ether(o, U256::from(1_500_000_000_000_000_000u128))), "1.5");
        assert_eq!(run(|o| ether(o, U256::from(100u8))), "0.0000000000000001");
        assert_eq!(run(|o| ether(o, U256::ZERO)), "0");
        assert_eq!(run(|o| wei(o, U256::from(123u8))), "123");
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        let cases: [(&[u8], &str); 5] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"{\"a\":1}", "eyJhIjoxfQ=="),
        ];
        for (input, expected) in cases {
            assert_eq!(run(|o| base64(o, input)), expected);
        }
    }
}
