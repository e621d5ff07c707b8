"""Image bombs as real headers with (almost) no pixel data: the size check must happen before decoding."""
from __future__ import annotations

import struct
import zlib


def png(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width x height (RGB, 8 bit); the IDAT holds a few bytes only."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def jpeg(width: int, height: int) -> bytes:
    """A baseline JPEG: SOI, an SOF0 declaring width x height with 3 components, SOS, a few bytes, EOI."""
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    sos = b"\xff\xda" + struct.pack(">HB", 12, 3) + b"\x01\x00\x02\x11\x03\x11" + b"\x00\x3f\x00"
    return b"\xff\xd8" + sof0 + sos + b"\x00" * 32 + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    """An extended WebP: VP8X canvas width x height and a lossless VP8L bitstream header of the same size."""
    bits = (width - 1) | ((height - 1) << 14)
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 16
    vp8x = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body


BOMBS = {
    "webp-16000x16000": webp(16000, 16000),
    "jpeg-65000x65000": jpeg(65000, 65000),
    "png-400-megapixels": png(20000, 20000),
    "png-100-megapixels": png(10000, 10000),
}
