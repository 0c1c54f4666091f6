// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// Puts an EVM frame between a Stylus program and a call back into it, to see whether the
/// program counts itself reentered (Nitro's `msg_reentrant`: another frame *called* at the
/// same acting address is open, whatever kind of code runs in it).
///
/// The program is expected to answer empty calldata with its reentrancy flag as one word, and
/// to call `calldata[0:20]` with `calldata[20:]` otherwise.
contract ReentrancyProbe {
    /// Calls `program` with `data` and returns its answer; bubbles a revert unchanged.
    function relay(address program, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory out) = program.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }

    /// The program's flag when called from here, and when it calls itself back through here.
    function probe(address program) external returns (bool direct, bool reentered) {
        direct = flag(program, "");
        bytes memory back = abi.encodeCall(this.relay, (program, ""));
        (bool ok, bytes memory out) = program.call(abi.encodePacked(address(this), back));
        require(ok, "program call failed");
        reentered = abi.decode(abi.decode(out, (bytes)), (uint256)) != 0;
    }

    function flag(address program, bytes memory data) private returns (bool) {
        (bool ok, bytes memory out) = program.call(data);
        require(ok && out.length == 32, "program call failed");
        return abi.decode(out, (uint256)) != 0;
    }
}
