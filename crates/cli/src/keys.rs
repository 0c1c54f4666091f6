//! The deployer's key: a raw private key (development) or an encrypted keystore file.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tidepool_deploy::PrivateKeySigner;

/// Where the signing key comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct SignerArgs {
    /// The deployer's private key, hex (for development chains; prefer --keystore elsewhere).
    #[arg(long, env = "TIDEPOOL_PRIVATE_KEY", hide_env_values = true, conflicts_with = "keystore")]
    pub private_key: Option<String>,
    /// An encrypted JSON keystore (as geth, cast wallet or MetaMask export it).
    #[arg(long, value_name = "FILE")]
    pub keystore: Option<PathBuf>,
    /// A file holding the keystore's password; otherwise TIDEPOOL_KEYSTORE_PASSWORD, or a
    /// prompt on the terminal.
    #[arg(long, value_name = "FILE", requires = "keystore")]
    pub password_file: Option<PathBuf>,
}

impl SignerArgs {
    /// The key these arguments name.
    pub fn load(&self) -> Result<PrivateKeySigner> {
        match (&self.private_key, &self.keystore) {
            (Some(key), _) => key
                .trim()
                .parse::<PrivateKeySigner>()
                .context("--private-key is not a 32-byte hex private key"),
            (None, Some(file)) => {
                let password = match &self.password_file {
                    Some(p) => std::fs::read_to_string(p)
                        .with_context(|| format!("reading {}", p.display()))?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned(),
                    None => match std::env::var("TIDEPOOL_KEYSTORE_PASSWORD") {
                        Ok(p) => p,
                        Err(_) => rpassword::prompt_password(format!(
                            "password for {}: ",
                            file.display()
                        ))
                        .context(
                            "reading the keystore password (or set TIDEPOOL_KEYSTORE_PASSWORD)",
                        )?,
                    },
                };
                PrivateKeySigner::decrypt_keystore(file, password)
                    .with_context(|| format!("decrypting {}", file.display()))
            }
            (None, None) => bail!("give the deployer's key: --private-key KEY or --keystore FILE"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        private_key: Option<&str>,
        keystore: Option<PathBuf>,
        password_file: Option<PathBuf>,
    ) -> SignerArgs {
        SignerArgs { private_key: private_key.map(str::to_owned), keystore, password_file }
    }

    #[test]
    fn loads_a_hex_key_and_refuses_garbage_or_nothing() {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let signer = args(Some(key), None, None).load().expect("loads");
        assert_eq!(
            signer.address(),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
                .parse::<alloy_primitives::Address>()
                .expect("address")
        );
        assert!(args(Some("0x1234"), None, None).load().is_err());
        assert!(args(None, None, None).load().is_err());
    }

    #[test]
    fn decrypts_a_keystore_with_a_password_file() {
        let dir = std::env::temp_dir().join(format!("tidepool-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut rng = rand::thread_rng();
        let (signer, _uuid) =
            PrivateKeySigner::new_keystore(&dir, &mut rng, "hunter2", Some("deployer"))
                .expect("keystore");
        std::fs::write(dir.join("password"), "hunter2\n").expect("write");
        let loaded = args(None, Some(dir.join("deployer")), Some(dir.join("password")))
            .load()
            .expect("decrypts");
        assert_eq!(loaded.address(), signer.address());
        std::fs::write(dir.join("wrong"), "hunter3").expect("write");
        assert!(args(None, Some(dir.join("deployer")), Some(dir.join("wrong"))).load().is_err());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
