// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// The Solidity end of the Stylus <-> Solidity call chains: Stylus programs call `increment`,
/// and `bump` / `incrementThrough` call Stylus programs, so each direction and a round trip
/// run in one transaction on one journal.
contract Counter {
    uint256 public count;
    /// The answer of the Stylus program that `bump` called last.
    uint256 public lastAnswer;

    event Counted(address indexed by, uint256 count);

    function increment() external returns (uint256) {
        count += 1;
        emit Counted(msg.sender, count);
        return count;
    }

    /// Calls `program` with empty calldata and keeps its one-word answer.
    function bump(address program) external returns (uint256 answer) {
        (bool ok, bytes memory out) = program.call("");
        require(ok && out.length == 32, "program call failed");
        answer = abi.decode(out, (uint256));
        lastAnswer = answer;
    }

    /// Has `relay` (a Stylus program that calls `calldata[0:20]` with `calldata[20:]`) call
    /// `increment` back on this contract: Solidity -> Stylus -> Solidity.
    function incrementThrough(address relay) external returns (uint256) {
        (bool ok, bytes memory out) =
            relay.call(abi.encodePacked(address(this), abi.encodeCall(this.increment, ())));
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return abi.decode(out, (uint256));
    }
}
