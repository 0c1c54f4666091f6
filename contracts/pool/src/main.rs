//! Prints the pool's Solidity interface (`--features export-abi`).
fn main() {
    tidepool_pool::print_from_args();
}
