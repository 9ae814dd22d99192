#!/usr/bin/env python3
"""Write NAME.br and NAME.gz beside each compressible file of the built PWA, once, at install time.

nginx then answers `/assets/*` with the smallest copy the phone accepts (brotli_static / gzip_static) and
spends no CPU per request. Run it after every build: `python deploy/precompress.py pwa/dist/assets`. Uses
`brotli`, which the server already installs (flask-compress). Files smaller than 1 KiB, and copies that
would not be smaller, are left out; stale copies of files that changed are rewritten.
"""

import gzip
import sys
from pathlib import Path

import brotli

SUFFIXES = {".js", ".mjs", ".css", ".html", ".json", ".webmanifest", ".svg", ".txt", ".map", ".xml"}
MIN_BYTES = 1024


def precompress(folder: Path) -> tuple[int, int, int]:
    """(files compressed, bytes before, bytes of the brotli copies)."""
    count = before = after = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in SUFFIXES:
            continue
        data = path.read_bytes()
        if len(data) < MIN_BYTES:
            continue
        copies = {".br": brotli.compress(data, quality=11),
                  ".gz": gzip.compress(data, compresslevel=9, mtime=0)}
        for suffix, packed in copies.items():
            target = path.with_name(path.name + suffix)
            if len(packed) < len(data):
                target.write_bytes(packed)
            elif target.exists():
                target.unlink()
        count += 1
        before += len(data)
        after += min(len(copies[".br"]), len(data))
    return count, before, after


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: precompress.py FOLDER   (e.g. pwa/dist/assets)", file=sys.stderr)
        return 2
    count, before, after = precompress(Path(argv[1]))
    print(f"precompressed {count} files: {before / 1024:.0f} KiB → {after / 1024:.0f} KiB with brotli")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
