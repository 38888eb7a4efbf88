"""A minimal FastCGI client (responder role) so benchmarks can talk to ``mapserv`` run by ``spawn-fcgi``."""

from __future__ import annotations

import socket
import struct

_HEADER = struct.Struct("!BBHHBx")
BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def _record(kind: int, content: bytes, request_id: int = 1) -> bytes:
    padding = -len(content) % 8
    return _HEADER.pack(1, kind, request_id, len(content), padding) + content + b"\0" * padding


def _pair(name: bytes, value: bytes) -> bytes:
    def size(n: int) -> bytes:
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)

    return size(len(name)) + size(len(value)) + name + value


class FastCgiClient:
    """One connection per request (mapserv closes it after each answer, keep-alive off)."""

    def __init__(self, host: str, port: int):
        self.address = (host, port)

    def get(self, params: dict[str, str]) -> bytes:
        """Send a GET with these CGI parameters; returns the raw CGI answer (headers + body)."""
        payload = b"".join(_pair(k.encode(), v.encode()) for k, v in params.items())
        message = (
            _record(BEGIN, struct.pack("!HB5x", 1, 0))
            + _record(PARAMS, payload)
            + _record(PARAMS, b"")
            + _record(STDIN, b"")
        )
        with socket.create_connection(self.address) as sock:
            sock.sendall(message)
            return self._read(sock)

    @staticmethod
    def _read(sock) -> bytes:
        out = bytearray()
        buffer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return bytes(out)
            buffer += chunk
            while len(buffer) >= 8:
                _v, kind, _rid, length, padding = _HEADER.unpack(buffer[:8])
                if len(buffer) < 8 + length + padding:
                    break
                content, buffer = buffer[8 : 8 + length], buffer[8 + length + padding :]
                if kind == STDOUT:
                    out += content
                elif kind == END:
                    return bytes(out)
