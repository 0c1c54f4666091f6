// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// A minimal proxy: any call it has no function for runs the implementation's code with
/// DELEGATECALL, in the proxy's storage and with the proxy's msg.sender, msg.value and address.
/// The implementation's address is immutable (in code), so slot 0 is free for `count`, which
/// the Stylus test program increments when delegated to.
contract DelegateProxy {
    uint256 public count;
    address public immutable implementation;

    constructor(address implementation_) {
        implementation = implementation_;
    }

    // Empty calldata with value must reach the implementation too: no receive function.
    fallback(bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory out) = implementation.delegatecall(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }
}
