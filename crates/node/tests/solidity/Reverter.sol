// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// Reverts with a custom error after writing storage and logging, and catches the failures of
/// others: a test can then see which writes a revert rolled back and which survived.
contract Reverter {
    error Refused(uint256 code, address caller);

    event Touched(uint256 code);

    /// Written just before each refusal, so it must always read back as untouched.
    uint256 public touched;
    /// Failures `tryCall` caught; these writes happen after the failure and must survive it.
    uint256 public failures;
    bytes public lastRevert;

    function refuse(uint256 code) external {
        touched = code;
        emit Touched(code);
        revert Refused(code, msg.sender);
    }

    /// Lets `target` run (and write) to completion, then refuses: all of it must roll back.
    function callThenRefuse(address target, bytes calldata data, uint256 code) external {
        (bool ok,) = target.call(data);
        require(ok, "inner call failed");
        touched = code;
        revert Refused(code, msg.sender);
    }

    /// Calls `target` and records a failure instead of propagating it.
    function tryCall(address target, bytes calldata data) external returns (bool ok) {
        bytes memory out;
        (ok, out) = target.call(data);
        if (!ok) {
            failures += 1;
            lastRevert = out;
        }
    }
}
