"""Bytes on the wire between sandbox processes: length-prefixed frames and a strict value codec.

Frames: ``<u32 header length><header JSON><u64 body length><body bytes>``. Every reader takes a byte cap, so a
peer (possibly untrusted) can never make the reader allocate more than the cap.

The value codec carries plain Python values between the untrusted candidate process and the judge process:
None, bool, int (any size), float (exact via repr, nan/inf included), str, bytes, complex, list, tuple, dict,
set and frozenset. The encoder accepts only exact builtin types (``type(x) is int``, never a subclass), and the
decoder builds only builtin objects, so an object with a rigged ``__eq__`` (the "AlwaysEqual" hack) can never
reach the code that compares values: the judge only ever sees values it constructed itself.
"""

from __future__ import annotations

import json
import os
import struct

from verifiers._sandbox.limits import PACKED_SIZE, Limits

__all__ = ["WireError", "encode_value", "decode_value", "write_frame", "read_frame", "pack_frame", "unpack_frame",
           "read_blob", "pack_job", "unpack_job"]

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class WireError(Exception):
    """Malformed, oversized or truncated data from a peer."""


# ----------------------------------------------------------------------------------------------- value codec
def _enc(x, depth: int):
    if depth > 200:
        raise WireError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float:
        return {"f": repr(x)}
    if t is list:
        return [_enc(v, depth + 1) for v in x]
    if t is tuple:
        return {"t": [_enc(v, depth + 1) for v in x]}
    if t is dict:
        return {"d": [[_enc(k, depth + 1), _enc(v, depth + 1)] for k, v in x.items()]}
    if t is set or t is frozenset:
        return {"s" if t is set else "fs": [_enc(v, depth + 1) for v in x]}
    if t is bytes:
        return {"b": x.hex()}
    if t is complex:
        return {"c": [repr(x.real), repr(x.imag)]}
    raise WireError(f"cannot send a value of type {t.__name__!r} (only plain builtin values)")


def encode_value(x) -> bytes:
    """Plain value -> bytes. Raises WireError for anything that is not an exact builtin value."""
    return json.dumps(_enc(x, 0), separators=(",", ":")).encode()


def _float(s) -> float:
    if type(s) is not str or len(s) > 40:
        raise WireError("bad float")
    return float(s)


def _dec(x, depth: int):
    if depth > 200:
        raise WireError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is list:
        return [_dec(v, depth + 1) for v in x]
    if t is not dict or len(x) != 1:
        raise WireError("malformed value")
    (tag, v), = x.items()
    if tag == "f":
        return _float(v)
    if tag == "b" and type(v) is str:
        return bytes.fromhex(v)
    if type(v) is not list:
        raise WireError("malformed value")
    if tag == "t":
        return tuple(_dec(e, depth + 1) for e in v)
    if tag == "d":
        if not all(type(p) is list and len(p) == 2 for p in v):
            raise WireError("malformed dict")
        return {_dec(k, depth + 1): _dec(e, depth + 1) for k, e in v}
    if tag == "s":
        return {_dec(e, depth + 1) for e in v}
    if tag == "fs":
        return frozenset(_dec(e, depth + 1) for e in v)
    if tag == "c" and len(v) == 2:
        return complex(_float(v[0]), _float(v[1]))
    raise WireError(f"unknown value tag {tag!r}")


def decode_value(data: bytes):
    """Bytes from a peer -> a plain value built here. Raises WireError for anything malformed."""
    try:
        return _dec(json.loads(data), 0)
    except (ValueError, TypeError, RecursionError) as err:  # JSON errors, unhashable keys, deep nesting
        raise WireError(f"malformed value: {type(err).__name__}") from None


# ----------------------------------------------------------------------------------------------- frames
def pack_frame(header: dict, body: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return _U32.pack(len(head)) + head + _U64.pack(len(body)) + body


def pack_job(limits: Limits, uid: int, code: bytes, stdin: bytes = b"") -> bytes:
    """What a jailed process needs to start: its uid, its limits, its code and its stdin (fixed binary layout, so
    the freshly forked process parses it without JSON or validation)."""
    return _U64.pack(uid) + limits.pack() + _U64.pack(len(code)) + code + stdin


def unpack_job(data: bytes) -> tuple[int, Limits, bytes, bytes]:
    """(uid, limits, code, stdin) of a job; WireError if it is not one."""
    head = 8 + PACKED_SIZE
    if len(data) < head + 8:
        raise WireError("truncated job")
    (uid,) = _U64.unpack_from(data)
    (n,) = _U64.unpack_from(data, head)
    if len(data) < head + 8 + n:
        raise WireError("truncated job")
    return uid, Limits.unpack(data[8:head]), data[head + 8:head + 8 + n], data[head + 8 + n:]


def read_blob(fd: int, limit: int = 1 << 30) -> bytes:
    """The whole content of a memfd, read with pread (offset-independent: a retried run reads it all again)."""
    size = os.fstat(fd).st_size
    if size > limit:
        raise WireError(f"blob of {size} bytes is over the {limit} byte cap")
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def unpack_frame(data: bytes) -> tuple[dict, bytes, bytes]:
    """(header, body, the bytes after the frame) of a frame at the start of `data`; WireError if it is not one."""
    view = memoryview(data)
    try:
        (n,) = _U32.unpack(view[:4])
        header = json.loads(bytes(view[4:4 + n]))
        (m,) = _U64.unpack(view[4 + n:12 + n])
    except (struct.error, ValueError, RecursionError):
        raise WireError("malformed frame") from None
    if type(header) is not dict or len(view) < 12 + n + m:
        raise WireError("malformed or truncated frame")
    return header, bytes(view[12 + n:12 + n + m]), bytes(view[12 + n + m:])


def write_frame(fd, header: dict, body: bytes = b"") -> None:
    """Write one frame to a file descriptor or a socket (blocking, handles short writes)."""
    if not isinstance(fd, int):
        fd.sendall(pack_frame(header, body))  # a socket: honours its timeout
        return
    view = memoryview(pack_frame(header, body))
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd, n: int) -> bytes:
    read = (lambda k: os.read(fd, k)) if isinstance(fd, int) else fd.recv
    chunks, left = [], n
    while left:
        chunk = read(min(left, 1 << 20))
        if not chunk:
            raise WireError("peer closed the channel mid-frame" if chunks or left != n else "peer closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd, max_header: int = 1 << 20, max_body: int = 1 << 26) -> tuple[dict, bytes]:
    """Read one frame from a file descriptor or socket.

    WireError when the peer closed, announced more than the caps, or sent malformed JSON."""
    (n,) = _U32.unpack(_read_exact(fd, 4))
    if n > max_header:
        raise WireError(f"header of {n} bytes is over the {max_header} byte cap")
    try:
        header = json.loads(_read_exact(fd, n))
    except (ValueError, RecursionError):
        raise WireError("malformed frame header") from None
    if type(header) is not dict:
        raise WireError("frame header is not an object")
    (m,) = _U64.unpack(_read_exact(fd, 8))
    if m > max_body:
        raise WireError(f"body of {m} bytes is over the {max_body} byte cap")
    return header, _read_exact(fd, m)
