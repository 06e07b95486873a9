"""Decrypt a SOPS file encrypted for an age recipient, the way SOPS and Flux do, so the suite
can prove a committed SOPS file decrypts with its documented key (no `sops` binary needed).

Format (getsops/sops): the data key is age-encrypted per recipient under `sops.age[].enc`;
each encrypted value is `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, AES-256-GCM with
a 32-byte nonce and the value's tree path (`key:key:`) as additional data; `sops.mac` is the
encrypted, uppercase hex SHA-512 of every value in document order, its additional data the
`lastmodified` timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pyrage
import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_ENC = re.compile(
    r"^ENC\[AES256_GCM,data:(?P<data>[^,]*),iv:(?P<iv>[^,]+),tag:(?P<tag>[^,]+),"
    r"type:(?P<type>[a-z]+)\]$"
)


class SopsError(ValueError):
    pass


def identity_from_file(path: Path) -> pyrage.x25519.Identity:
    keys = [line for line in path.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-")]
    if len(keys) != 1:
        raise SopsError(f"{path}: expected one AGE-SECRET-KEY line")
    return pyrage.x25519.Identity.from_str(keys[0])


def decrypt(document: dict[str, Any], identity: pyrage.x25519.Identity) -> dict[str, Any]:
    """The plaintext document, after checking the MAC; raises SopsError otherwise."""
    metadata = document.get("sops")
    if not isinstance(metadata, dict) or not metadata.get("age"):
        raise SopsError("no sops.age metadata: the file is not encrypted for an age recipient")
    key = _data_key(metadata["age"], identity)
    plain = {k: v for k, v in document.items() if k != "sops"}
    hashed: list[bytes] = []

    def walk(value: Any, path: list[str]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, [*path, str(k)]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path) for v in value]
        if isinstance(value, str) and _ENC.match(value):
            value = _decrypt_value(value, key, "".join(f"{p}:" for p in path))
        hashed.append(_mac_bytes(value))
        return value

    result = walk(plain, [])
    digest = hashlib.sha512(b"".join(hashed)).hexdigest().upper()
    mac = _decrypt_value(metadata["mac"], key, str(metadata["lastmodified"]))
    if mac != digest:
        raise SopsError("MAC mismatch: the file was altered after encryption")
    return result


def decrypt_file(path: Path, identity: pyrage.x25519.Identity) -> dict[str, Any]:
    return decrypt(yaml.safe_load(path.read_text()), identity)


def _data_key(recipients: list[dict[str, Any]], identity: pyrage.x25519.Identity) -> bytes:
    for recipient in recipients:
        try:
            return pyrage.decrypt(recipient["enc"].encode(), [identity])
        except pyrage.DecryptError:
            continue
    raise SopsError("none of the file's age recipients is this identity")


def _decrypt_value(value: str, key: bytes, additional_data: str) -> Any:
    match = _ENC.match(value)
    if match is None:
        raise SopsError(f"not a SOPS value: {value[:20]}...")
    data = base64.b64decode(match["data"]) + base64.b64decode(match["tag"])
    text = AESGCM(key).decrypt(base64.b64decode(match["iv"]), data, additional_data.encode())
    plain = text.decode()
    kind = match["type"]
    if kind == "int":
        return int(plain)
    if kind == "float":
        return float(plain)
    if kind == "bool":
        return plain == "True"
    return plain


def _mac_bytes(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if value is None:
        return b""
    return str(value).encode()
