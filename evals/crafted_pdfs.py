"""Hostile PDF files, made on the spot, and a probe that loads each one under a time and memory bound.

An uploaded report goes through ``corpus.load_report`` in the service's own process, so a file that
makes pdfium spin, allocate gigabytes or crash is a way to take the service down. Each crafted file
here attacks one part of a PDF reader: the cross-reference table, the page tree, stream decompression,
parser recursion. ``probe`` (``corpus.bounded``'s reader, which the service vets uploads with) loads a
file in a child process with an address-space limit and a timeout, so a file that escapes every bound
is measured instead of taking the test run with it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

from corpus.bounded import Probe, probe

__all__ = ["CRAFTED", "Probe", "probe", "write_crafted"]

REPORT_TEXT = (
    "Ofsted inspection of local authority children's services. Inspectors found that children in care "
    "are visited regularly and that leaders understand the experiences of children and care leavers. "
)


def _pdf(objects: list[bytes], *, xref: bool = True, startxref_override: bytes | None = None) -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog), with a correct xref unless told."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n" + (startxref_override or str(start).encode()) + b"\n%%EOF\n"
    return bytes(out)


def _text_stream(text: str, lines: int = 12) -> bytes:
    ops = b"BT /F1 10 Tf 40 780 Td 12 TL " + b" ".join(
        b"(%s) '" % text.encode("latin-1") for _ in range(lines)
    )
    ops += b" ET"
    return b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream"


def _one_page_pdf(
    *,
    kids: bytes = b"3 0 R",
    count: int = 1,
    contents: bytes | None = None,
    catalog_extra: bytes = b"",
    extra_objects: tuple[bytes, ...] = (),
) -> bytes:
    """The one-page report that each crafted PDF here varies: catalog (1), page tree (2), page (3),
    its contents (4, a few lines of report text unless given), font (5), then any extra objects.
    Each attack changes one part (what the page tree claims, the contents, the catalog), so a
    difference in outcome is that part's doing."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra,
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _text_stream(REPORT_TEXT[:90]) if contents is None else contents,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *extra_objects,
        ]
    )


def plain_report() -> bytes:
    """A small valid one-page report, the control: it must load."""
    return _one_page_pdf()


def corrupt_xref() -> bytes:
    """Every xref offset and startxref point at garbage, and the objects themselves are cut short."""
    valid = plain_report()
    body_end = valid.index(b"xref\n")
    broken = bytearray(valid[: body_end // 2])  # half the objects, cut mid-object
    broken += b"xref\n0 6\n" + b"9999999999 00000 n \n" * 6
    broken += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n987654321\n%%EOF\n"
    return bytes(broken)


def huge_page_count() -> bytes:
    """A page tree that claims two billion pages and holds one."""
    return _one_page_pdf(count=2_000_000_000)


def page_tree_cycle() -> bytes:
    """A page tree whose node lists itself as its own kid (a reader that recurses never ends)."""
    return _one_page_pdf(kids=b"2 0 R 3 0 R", count=3)


def decompression_bomb(expanded_mb: int = 1024) -> bytes:
    """A 1 MB Flate stream that inflates to ``expanded_mb`` MB of text-drawing operators."""
    compressor = zlib.compressobj(9)
    block = b"(" + b"A" * 1000 + b") Tj\n"
    chunk = block * (1024 * 1024 // len(block))
    compressed = bytearray(compressor.compress(b"BT /F1 10 Tf 40 780 Td\n"))
    for _ in range(expanded_mb):
        compressed += compressor.compress(chunk)
    compressed += compressor.compress(b"ET\n") + compressor.flush()
    stream = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(compressed) + compressed + b"\nendstream"
    )
    return _one_page_pdf(contents=stream)


def deep_nesting(depth: int = 200_000) -> bytes:
    """An object of 200,000 nested arrays (a recursive parser runs out of stack)."""
    nested = b"[" * depth + b"]" * depth
    return _one_page_pdf(catalog_extra=b" /Junk 6 0 R", extra_objects=(nested,))


def not_a_pdf() -> bytes:
    """An executable's worth of bytes under a .pdf name."""
    return b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 64


CRAFTED: dict[str, Callable[[], bytes]] = {
    "corrupt-xref": corrupt_xref,
    "huge-page-count": huge_page_count,
    "page-tree-cycle": page_tree_cycle,
    "decompression-bomb": decompression_bomb,
    "deep-nesting": deep_nesting,
    "not-a-pdf": not_a_pdf,
}


def write_crafted(folder: Path) -> list[Path]:
    """Write every crafted file into ``folder`` as ``<name>.pdf``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in CRAFTED.items():
        path = folder / f"{name}.pdf"
        path.write_bytes(make())
        paths.append(path)
    return paths
