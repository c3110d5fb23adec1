"""Test oracle: Python `cryptography`'s Fernet. Reads a JSON array of requests on stdin and writes a
JSON array of results ({"ok": value} or {"invalid": true}) on stdout. Bytes travel as standard base64."""
import base64
import hashlib
import json
import sys

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def multi(keys):
    return MultiFernet([Fernet(k) for k in keys])


def run(req):
    op = req["op"]
    if op == "encrypt":
        f = Fernet(req["key"])
        data = base64.b64decode(req["data"])
        if "iv" in req:
            token = f._encrypt_from_parts(data, req["now"], base64.b64decode(req["iv"]))
        else:
            token = f.encrypt_at_time(data, req["now"])
        return token.decode()
    if op == "decrypt":
        m = multi(req["keys"])
        if "ttl" in req:
            data = m.decrypt_at_time(req["token"], req["ttl"], req["now"])
        else:
            data = m.decrypt(req["token"])
        return base64.b64encode(data).decode()
    if op == "rotate":
        return multi(req["keys"]).rotate(req["token"]).decode()
    if op == "timestamp":
        return multi(req["keys"]).extract_timestamp(req["token"])
    if op == "derive":
        return base64.urlsafe_b64encode(hashlib.sha256(req["secret"].encode()).digest()).decode()
    raise ValueError("unknown op " + op)


def answer(req):
    try:
        return {"ok": run(req)}
    except InvalidToken:
        return {"invalid": True}


json.dump([answer(r) for r in json.load(sys.stdin)], sys.stdout)
