//! The queue's events. Queue events keep Lido's names and fields, ERC-721 and ERC-4906
//! events are the standard ones, so indexers and wallets read Tidepool unchanged.

tidepool_common::solidity_events! {
    /// `requestor` locked `amountOfStETH` (as `amountOfShares` shares) in request `requestId`,
    /// whose ticket `owner` holds.
    event WithdrawalRequested(uint256 indexed requestId, address indexed requestor, address indexed owner, uint256 amountOfStETH, uint256 amountOfShares);
    /// Requests `from` to `to` were finalized with `amountOfETHLocked` wei; the pool burns
    /// their `sharesToBurn` shares.
    event WithdrawalsFinalized(uint256 indexed from, uint256 indexed to, uint256 amountOfETHLocked, uint256 sharesToBurn, uint256 timestamp);
    /// Request `requestId`, owned by `owner`, paid `amountOfETH` wei to `receiver`.
    event WithdrawalClaimed(uint256 indexed requestId, address indexed owner, address indexed receiver, uint256 amountOfETH);
    /// `amount` wei the queue held above what its finalized, unclaimed requests can claim
    /// went back to the pool's buffer; `lockedEther` wei stay, exactly what they can claim.
    event SurplusSwept(uint256 amount, uint256 lockedEther);
    /// ERC-721: ticket `tokenId` moved (minted from zero, burnt to zero on its claim).
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    /// ERC-721: `approved` may move or claim ticket `tokenId` of `owner`.
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    /// ERC-721: `operator` may (or no longer may) move and claim every ticket of `owner`.
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    /// ERC-4906: the metadata of tickets `_fromTokenId` to `_toTokenId` changed.
    event BatchMetadataUpdate(uint256 _fromTokenId, uint256 _toTokenId);
}
