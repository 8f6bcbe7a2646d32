"""A header check for released PNG images (the opt-in ``dataset --check-png``).

The published verifier checks only that each released image is a regular
file of the recorded size, so a file of the right length holding anything at
all passes.  :func:`check_png` reads the first 33 bytes of an image -- the
8-byte signature and the ``IHDR`` chunk that must come first -- and refuses a
file that cannot be a PNG: a wrong signature, a header cut short, a first
chunk that is not a 13-byte ``IHDR``, a damaged ``IHDR`` CRC, a zero or
oversized width or height, or header fields no decoder accepts.  It does not
decode the image data; that would cost a full read of every image.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from spinefairbench.errors import SpineFairBenchError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR_LENGTH = 13
# Signature, then the IHDR chunk: length (4), type (4), data (13), CRC (4).
HEADER_SIZE = len(PNG_SIGNATURE) + 4 + 4 + IHDR_LENGTH + 4
MAX_DIMENSION = 2**31 - 1  # PNG stores width and height as 31-bit unsigned integers

# Allowed bit depths per colour type (PNG specification, 11.2.2).
BIT_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def png_header_problem(header: bytes) -> str | None:
    """What makes ``header`` (the first bytes of a file) not a PNG header, or None.

    >>> def png(width=1, height=1, depth=8, colour=0, crc=None):
    ...     data = b"IHDR" + struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    ...     crc = zlib.crc32(data) if crc is None else crc
    ...     return PNG_SIGNATURE + struct.pack(">I", 13) + data + struct.pack(">I", crc)
    >>> png_header_problem(png()) is None
    True
    >>> png_header_problem(b"")
    'truncated PNG header (0 of 33 bytes)'
    >>> png_header_problem(b"GIF89a")
    'not a PNG file (bad signature)'
    >>> png_header_problem(PNG_SIGNATURE[:4])  # cut inside the signature: truncated, not foreign
    'truncated PNG header (4 of 33 bytes)'
    >>> png_header_problem(png()[:20])
    'truncated PNG header (20 of 33 bytes)'
    >>> png_header_problem(png(crc=0))
    'IHDR CRC mismatch'
    >>> png_header_problem(png(width=0))
    'image width and height must be greater than 0 (got 0 x 1)'
    >>> png_header_problem(png(depth=16, colour=3))
    'invalid IHDR: bit depth 16 is not allowed with colour type 3'
    """
    # A file shorter than the signature that matches as far as it goes is truncated, not foreign.
    prefix = header[:len(PNG_SIGNATURE)]
    if prefix != PNG_SIGNATURE[:len(prefix)]:
        return "not a PNG file (bad signature)"
    if len(header) < HEADER_SIZE:
        return f"truncated PNG header ({len(header)} of {HEADER_SIZE} bytes)"
    length, chunk_type = struct.unpack(">I4s", header[8:16])
    if chunk_type != b"IHDR":
        return f"first chunk is not IHDR (found {chunk_type.decode('latin-1')!r})"
    if length != IHDR_LENGTH:
        return f"IHDR chunk length is {length}, expected {IHDR_LENGTH}"
    data = header[12:29]  # chunk type and data: what the CRC covers
    (crc,) = struct.unpack(">I", header[29:33])
    if zlib.crc32(data) != crc:
        return "IHDR CRC mismatch"
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", data[4:])
    if not (width and height):
        return f"image width and height must be greater than 0 (got {width} x {height})"
    if max(width, height) > MAX_DIMENSION:
        return f"image width and height must be at most {MAX_DIMENSION} (got {width} x {height})"
    if colour not in BIT_DEPTHS:
        return f"invalid IHDR: unknown colour type {colour}"
    if depth not in BIT_DEPTHS[colour]:
        return f"invalid IHDR: bit depth {depth} is not allowed with colour type {colour}"
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        return (f"invalid IHDR: unknown compression, filter or interlace method "
                f"({compression}, {filtering}, {interlace})")
    return None


def check_png(path: Path, display: str) -> None:
    """Raise a one-line :class:`SpineFairBenchError` naming ``display`` unless ``path`` starts like a PNG."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(HEADER_SIZE)
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file: {error.strerror or error}", path=display) from None
    problem = png_header_problem(header)
    if problem is not None:
        raise SpineFairBenchError(problem, path=display)
