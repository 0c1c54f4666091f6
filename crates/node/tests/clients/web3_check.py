"""The node's acceptance checks with web3.py: event and block filters, queued nonces,
concurrent sends from one key, and state at an old block. Usage: web3_check.py URL"""

import json
import pathlib
import sys
from concurrent.futures import ThreadPoolExecutor

from web3 import Web3
from web3.exceptions import Web3RPCError

# The standard dev mnemonic's account 1 (the node's second dev account).
KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ARTIFACT = pathlib.Path(__file__).resolve().parent.parent / "solidity" / "out" / "Counter.json"


def check(what, ok, detail=""):
    if not ok:
        raise SystemExit(f"web3.py: {what} failed {detail}")
    print(f"web3.py: {what}: ok")


def main(url):
    w3 = Web3(Web3.HTTPProvider(url))
    artifact = json.loads(ARTIFACT.read_text())
    sender = w3.eth.accounts[1]
    Counter = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(Counter.constructor().transact({"from": sender}))
    counter = w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])
    deployed_at = receipt.blockNumber

    # Filters: new entries once each, the block filter, removal.
    events = counter.events.Counted.create_filter(from_block="latest")
    blocks = w3.eth.filter("latest")
    for _ in range(2):
        tx = counter.functions.increment().transact({"from": sender})
        w3.eth.wait_for_transaction_receipt(tx)
    entries = events.get_new_entries()
    check("create_filter/get_new_entries", [e.args["count"] for e in entries] == [1, 2], entries)
    check("entries reported once", events.get_new_entries() == [])
    check("block filter", len(blocks.get_new_entries()) == 2)
    check("uninstall", w3.eth.uninstall_filter(events.filter_id))
    try:
        w3.eth.get_filter_changes(events.filter_id)
        check("removed filter errors", False)
    except Web3RPCError as e:
        check("removed filter errors", "filter not found" in str(e), e)

    # Queued nonces: the two later transactions wait until the first arrives.
    account = w3.eth.account.from_key(KEY)
    nonce = w3.eth.get_transaction_count(account.address)
    fee = w3.eth.gas_price * 2

    def signed(n):
        tx = {"to": sender, "value": 1, "gas": 21000, "gasPrice": fee, "nonce": n,
              "chainId": w3.eth.chain_id}
        return account.sign_transaction(tx).raw_transaction

    hashes = [w3.eth.send_raw_transaction(signed(n)) for n in (nonce + 2, nonce + 1, nonce)]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=10) for h in hashes]
    order = sorted(receipts, key=lambda r: r.blockNumber)
    check("queued nonces mined in order",
          [w3.eth.get_transaction(r.transactionHash).nonce for r in order]
          == [nonce, nonce + 1, nonce + 2])

    # Concurrent sends from one key.
    nonce = w3.eth.get_transaction_count(account.address)
    raws = [signed(nonce + i) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        hashes = list(pool.map(w3.eth.send_raw_transaction, raws))
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=10) for h in hashes]
    check("six concurrent sends all mined", all(r.status == 1 for r in receipts))

    # Old state: the count at the deployment block after 1,000 more blocks.
    w3.provider.make_request("anvil_mine", [1000])
    old = counter.functions.count().call(block_identifier=deployed_at)
    check("eth_call 1,000 blocks back", old == 0 and counter.functions.count().call() == 2)


if __name__ == "__main__":
    main(sys.argv[1])
