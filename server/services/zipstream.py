"""A ZIP written as it is sent: members are produced one at a time and the bytes leave between chunks, so a
bulk download holds one member's piece in memory, never the archive (the creation evidence, the recipients'
PDF archives)."""

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

CHUNK = 1024 * 1024
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_name(text: str, limit: int = 60) -> str:
    """A folder or file name any unzip accepts: no separators or control characters, no leading dots."""
    name = UNSAFE.sub("_", text or "").strip().strip(".").strip()
    return name[:limit].rstrip() or "_"


@dataclass
class Member:
    """One file of the archive: its path, its (local) date, and how to produce its bytes when its turn comes."""

    path: str
    day: date
    chunks: Callable[[], Iterable[bytes]]


class _Sink:
    """An unseekable file zipfile writes to: what it wrote is taken out between files and chunks."""

    def __init__(self):
        self.buffer = bytearray()
        self.position = 0

    def write(self, data) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def file_chunks(path) -> Iterator[bytes]:
    """A stored file in 1 MB pieces."""
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def stream_zip(members: Iterable[Member], compresslevel: int | None = None) -> Iterator[bytes]:
    """The ZIP, chunk by chunk: each member's bytes are produced only when it is written (ZIP64 throughout, so
    no size limit; the sizes go in data descriptors, as nothing is seekable)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True,
                         compresslevel=compresslevel) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.path, date_time=(*member.day.timetuple()[:3], 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info._compresslevel = compresslevel
            with archive.open(info, "w", force_zip64=True) as target:
                for chunk in member.chunks():
                    target.write(chunk)
                    if len(sink.buffer) >= CHUNK:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
