//! EIP-2612 permits signed off-chain, for either Tidepool token (or any token with EIP-5267).

use alloy_primitives::{Address, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;

use crate::{Client, Error};
use tidepool_interfaces::{
    eip712::{self, Permit},
    IPool,
};

/// A signature split the way `permit(owner, spender, value, deadline, v, r, s)` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermitSignature {
    /// 27 or 28.
    pub v: u8,
    /// The signature's `r`.
    pub r: B256,
    /// The signature's `s`.
    pub s: B256,
}

/// Signs a permit of `owner` for `spender` to spend `value` of `token` until `deadline`,
/// at the owner's current nonce, in the domain the token reports through EIP-5267.
///
/// # Errors
/// The token's views' errors; [`Error::Signer`] if the key cannot sign.
pub async fn sign(
    client: &Client,
    token: Address,
    owner: &PrivateKeySigner,
    spender: Address,
    value: U256,
    deadline: U256,
) -> Result<PermitSignature, Error> {
    let fields = client.view(token, IPool::eip712DomainCall {}).await?;
    let nonce = client.view(token, IPool::noncesCall { owner: owner.address() }).await?;
    let domain = eip712::domain(fields._1, fields._2, fields._3, fields._4);
    let permit = Permit { owner: owner.address(), spender, value, nonce, deadline };
    let signature = owner
        .sign_hash_sync(&permit.eip712_signing_hash(&domain))
        .map_err(|e| Error::Signer(e.to_string()))?;
    Ok(PermitSignature {
        v: 27 + u8::from(signature.v()),
        r: signature.r().into(),
        s: signature.s().into(),
    })
}
