// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// What a lending protocol or vault does with a deposited token, in miniature: pull it with
/// `transferFrom`, insist on having received at least the amount asked (fee-on-transfer and
/// rounding tokens break that assumption in many integrations), then give back what arrived.
/// The end-to-end tests run it against the Stylus pool and wrapped tokens.
contract Integrator {
    /// The token delivered less than asked.
    error Shortfall(uint256 asked, uint256 received);
    /// The token returned false.
    error TransferFailed();

    event RoundTrip(address indexed token, address indexed from, uint256 asked, uint256 received);

    /// Pulls `amount` of `token` from the caller, checks it arrived in full and returns it.
    function roundTrip(IERC20Like token, uint256 amount) external returns (uint256 received) {
        uint256 before = token.balanceOf(address(this));
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        received = token.balanceOf(address(this)) - before;
        if (received < amount) revert Shortfall(amount, received);
        emit RoundTrip(address(token), msg.sender, amount, received);
        if (!token.transfer(msg.sender, received)) revert TransferFailed();
    }
}
