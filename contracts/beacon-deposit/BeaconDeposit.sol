// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title The beacon deposit contract of Tidepool's local chain.
/// @notice Ethereum's deposit contract interface and checks, for chains that have none (the
/// local node): a deposit carries a 48-byte BLS public key, 32-byte withdrawal credentials,
/// a 96-byte signature and the SSZ root of that DepositData, which must match what the
/// contract computes; at least 1 ETH, in whole gwei. Each deposit's root is appended to an
/// incremental Merkle tree of depth 32 whose root (with the count mixed in) is
/// `get_deposit_root()`. `crates/beacon` computes the same roots in Rust, and the node's tests
/// check the two agree. Written for Tidepool from the consensus specification.
contract BeaconDeposit {
    uint256 private constant DEPTH = 32;
    uint256 private constant MAX_DEPOSITS = 2 ** DEPTH - 1;

    /// @notice One per deposit; `amount` and `index` are 8-byte little-endian, as on Ethereum.
    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);

    error InvalidPubkeyLength(uint256 length);
    error InvalidWithdrawalCredentialsLength(uint256 length);
    error InvalidSignatureLength(uint256 length);
    error DepositTooLow(uint256 value);
    error DepositNotInGwei(uint256 value);
    error DepositTooHigh(uint256 value);
    error DepositDataRootMismatch(bytes32 given, bytes32 computed);
    error DepositTreeFull();

    bytes32[DEPTH] private branch;
    bytes32[DEPTH] private zeroHashes;
    uint256 private depositCount;

    constructor() {
        for (uint256 h = 0; h + 1 < DEPTH; h++) {
            zeroHashes[h + 1] = sha256(abi.encodePacked(zeroHashes[h], zeroHashes[h]));
        }
    }

    /// @notice The tree's root with the deposit count mixed in.
    function get_deposit_root() external view returns (bytes32) {
        bytes32 node;
        uint256 size = depositCount;
        for (uint256 h = 0; h < DEPTH; h++) {
            if (size & 1 == 1) {
                node = sha256(abi.encodePacked(branch[h], node));
            } else {
                node = sha256(abi.encodePacked(node, zeroHashes[h]));
            }
            size /= 2;
        }
        return sha256(abi.encodePacked(node, littleEndian64(uint64(depositCount)), bytes24(0)));
    }

    /// @notice The number of deposits, 8 bytes little-endian.
    function get_deposit_count() external view returns (bytes memory) {
        return abi.encodePacked(littleEndian64(uint64(depositCount)));
    }

    /// @notice Deposits `msg.value` for the validator `pubkey`.
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        if (withdrawal_credentials.length != 32) {
            revert InvalidWithdrawalCredentialsLength(withdrawal_credentials.length);
        }
        if (signature.length != 96) revert InvalidSignatureLength(signature.length);
        if (msg.value < 1 ether) revert DepositTooLow(msg.value);
        if (msg.value % 1 gwei != 0) revert DepositNotInGwei(msg.value);
        uint256 gweiAmount = msg.value / 1 gwei;
        if (gweiAmount > type(uint64).max) revert DepositTooHigh(msg.value);
        if (depositCount >= MAX_DEPOSITS) revert DepositTreeFull();

        bytes8 amount = littleEndian64(uint64(gweiAmount));
        emit DepositEvent(
            pubkey,
            withdrawal_credentials,
            abi.encodePacked(amount),
            signature,
            abi.encodePacked(littleEndian64(uint64(depositCount)))
        );

        bytes32 pubkeyRoot = sha256(abi.encodePacked(pubkey, bytes16(0)));
        bytes32 signatureRoot = sha256(
            abi.encodePacked(
                sha256(abi.encodePacked(signature[:64])),
                sha256(abi.encodePacked(signature[64:], bytes32(0)))
            )
        );
        bytes32 node = sha256(
            abi.encodePacked(
                sha256(abi.encodePacked(pubkeyRoot, withdrawal_credentials)),
                sha256(abi.encodePacked(amount, bytes24(0), signatureRoot))
            )
        );
        if (node != deposit_data_root) revert DepositDataRootMismatch(deposit_data_root, node);

        depositCount += 1;
        uint256 size = depositCount;
        for (uint256 h = 0; h < DEPTH; h++) {
            if (size & 1 == 1) {
                branch[h] = node;
                return;
            }
            node = sha256(abi.encodePacked(branch[h], node));
            size /= 2;
        }
        // Unreachable: the count is below 2^32, so one of its low 32 bits is set.
        assert(false);
    }

    /// @notice ERC-165: itself and the deposit contract interface.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0x85640907;
    }

    function littleEndian64(uint64 value) private pure returns (bytes8 out) {
        uint64 v = value;
        uint64 r = 0;
        for (uint256 i = 0; i < 8; i++) {
            r = (r << 8) | (v & 0xff);
            v >>= 8;
        }
        out = bytes8(r);
    }
}
