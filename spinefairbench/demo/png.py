"""A minimal, dependency-free PNG writer for the demo bundle's counterfactual images.

The demo bundle needs thousands of small but *valid* PNG files whose sizes
differ, so that the ``dataset`` check (paths, membership and recorded sizes)
is exercised for real.  The image data is stored in uncompressed deflate
blocks: the bytes then depend on nothing but the pixels, never on the zlib
version of the machine that builds the bundle, which keeps the demo bundle
byte-identical everywhere.

>>> data = grey_png(2, 1, bytes([0, 255]))
>>> data[:8] == PNG_SIGNATURE, len(data)
(True, 71)
>>> read_png_size(data)
(2, 1)
"""

from __future__ import annotations

import binascii
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Largest payload of one stored (uncompressed) deflate block.
_STORED_BLOCK_LIMIT = 0xFFFF


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload and the CRC-32 of type + payload."""
    crc = binascii.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def stored_zlib_stream(raw: bytes) -> bytes:
    """Wrap ``raw`` in a zlib stream made of stored deflate blocks only.

    Any zlib decoder inflates it; the output is fully determined by ``raw``.

    >>> zlib.decompress(stored_zlib_stream(b"abc"))
    b'abc'
    >>> zlib.decompress(stored_zlib_stream(b""))
    b''
    """
    blocks = []
    offsets = range(0, len(raw), _STORED_BLOCK_LIMIT) if raw else [0]
    for offset in offsets:
        block = raw[offset:offset + _STORED_BLOCK_LIMIT]
        final = offset + _STORED_BLOCK_LIMIT >= len(raw)
        blocks.append(bytes([1 if final else 0]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block)
    # 0x78 0x01: deflate, 32 KiB window, no preset dictionary, check bits valid.
    return b"\x78\x01" + b"".join(blocks) + struct.pack(">I", zlib.adler32(raw) & 0xFFFFFFFF)


def grey_png(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit greyscale PNG of ``width`` x ``height`` from row-major ``pixels``.

    >>> grey_png(0, 1, b"")
    Traceback (most recent call last):
    ...
    ValueError: PNG dimensions must be positive and match the pixel count
    """
    if width <= 0 or height <= 0 or len(pixels) != width * height:
        raise ValueError("PNG dimensions must be positive and match the pixel count")
    # Each scanline starts with filter type 0 (None).
    raw = b"".join(b"\x00" + pixels[row * width:(row + 1) * width] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", stored_zlib_stream(raw)) + _chunk(b"IEND", b"")


def read_png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (used by the tests).

    >>> read_png_size(b"GIF89a")
    Traceback (most recent call last):
    ...
    ValueError: not a PNG file
    """
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])
