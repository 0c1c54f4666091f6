//! Prints the vault's Solidity interface (`--features export-abi`).
fn main() {
    tidepool_vault::print_from_args();
}
