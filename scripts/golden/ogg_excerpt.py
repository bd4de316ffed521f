#!/usr/bin/env python3
"""Copies the first pages of an Ogg file, byte for byte, and marks the last one copied end-of-stream.

The excerpt keeps the source's own page layout (which a re-encode would not): the Vorbis fixture
musicrep/audio/testdata/battle-epic_head.ogg keeps battle-epic.ogg's first audio packet on the setup header's
page. Only the last page's header-type flag gains the end-of-stream bit, and its CRC is recomputed.

    python3 scripts/golden/ogg_excerpt.py SRC.ogg PAGES OUT.ogg
    python3 scripts/golden/ogg_excerpt.py SRC.opus 180s OUT.opus

PAGES counts every page copied, the header pages included; "Ns" copies pages until the first whose granule
position reaches N seconds (Opus: 48 kHz granules less the pre-skip; Vorbis: the identification header's rate),
so the excerpt is the stream's first N seconds and at most one page more. Standard library only.
"""
import struct
import sys


def crc_table():
    t = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        t.append(r & 0xFFFFFFFF)
    return t


TABLE = crc_table()


def ogg_crc(b):
    crc = 0
    for v in b:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ TABLE[((crc >> 24) ^ v) & 0xFF]
    return crc


def main():
    src, count, out = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, "rb").read()
    pages, until = (10**9, float(count[:-1])) if count.endswith("s") else (int(count), None)
    pos, kept, offset, rate = 0, [], 0, None
    for _ in range(pages):
        if pos == len(data):
            break
        if data[pos:pos + 4] != b"OggS":
            sys.exit(f"{src}: no Ogg page at byte {pos}")
        nseg = data[pos + 26]
        size = 27 + nseg + sum(data[pos + 27:pos + 27 + nseg])
        page = bytearray(data[pos:pos + size])
        kept.append(page)
        pos += size
        body = page[27 + nseg:]
        if body.startswith(b"OpusHead"):
            rate, offset = 48000, struct.unpack("<H", body[10:12])[0]
        elif body.startswith(b"\x01vorbis"):
            rate = struct.unpack("<I", body[12:16])[0]
        granule = struct.unpack("<q", page[6:14])[0]
        if until is not None and rate and granule > 0 and granule - offset >= until * rate:
            break
    last = kept[-1]
    last[5] |= 0x04
    last[22:26] = b"\0\0\0\0"
    last[22:26] = struct.pack("<I", ogg_crc(last))
    with open(out, "wb") as f:
        for p in kept:
            f.write(p)
    granule = struct.unpack("<q", last[6:14])[0]
    print(f"{out}: {len(kept)} pages, {sum(map(len, kept))} bytes, last granule position {granule}")


if __name__ == "__main__":
    main()
