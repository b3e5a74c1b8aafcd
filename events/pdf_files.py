"""Many single-page PDF/A files drawn over one laid-out page, written without re-reading it.

The laid-out page (with its fonts, images and colour profile) is read once and turned into
numbered PDF objects once; each file then repeats those bytes and adds only its own few
objects: its page, its drawing, its metadata. Writing a file is joining bytes, not copying an
object tree, which is what makes hundreds of files cheap.
"""

import hashlib
import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

from events.pdf_text import FontSubset, stream

_XMP_TITLE = re.compile(r'(<dc:title><rdf:Alt><rdf:li xml:lang="x-default">)(.*?)(</rdf:li>)', re.S)
# The comment after the header marks the file as binary (four bytes above 127, as PDF/A asks).
_BINARY_MARK = b"%\xe2\xe3\xcf\xd3\n"


def text_string(text: str) -> bytes:
    """A PDF text string: printable ASCII as a literal (dates and language tags stay readable as
    such), anything else as UTF-16 with its byte order mark, in hex."""
    if text.isascii() and text.isprintable():
        return b"(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode() + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"


class _Renumbered:
    """Objects of a read PDF copied as numbered object bodies, references renumbered from 1."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self._numbers: dict[int, int] = {}
        self._pending: list[tuple[int, PdfObject]] = []

    def reference(self, indirect: IndirectObject) -> int:
        if indirect.idnum not in self._numbers:
            self.bodies.append(b"")
            self._numbers[indirect.idnum] = len(self.bodies)
            self._pending.append((len(self.bodies), indirect.get_object()))
        return self._numbers[indirect.idnum]

    def add(self, body: bytes) -> int:
        self.bodies.append(body)
        return len(self.bodies)

    def syntax(self, value: PdfObject) -> bytes:
        """The value in PDF syntax, with what it refers to queued for copying."""
        if isinstance(value, IndirectObject):
            return b"%d 0 R" % self.reference(value)
        if isinstance(value, StreamObject):
            entries = DictionaryObject({key: item for key, item in value.items() if key != "/Length"})
            # The stream's bytes exactly as read, still encoded by the filters its entries name.
            data = value._data
            return (self.syntax(entries)[:-2] + b"/Length %d>>\nstream\n" % len(data) + data + b"\nendstream")
        if isinstance(value, DictionaryObject):
            return b"<<" + b"".join(self.syntax(key) + b" " + self.syntax(item) + b"\n"
                                    for key, item in value.items()) + b">>"
        if isinstance(value, ArrayObject):
            return b"[" + b" ".join(self.syntax(item) for item in value) + b"]"
        output = io.BytesIO()
        value.write_to_stream(output)
        return output.getvalue()

    def copy_pending(self) -> None:
        while self._pending:
            number, value = self._pending.pop()
            self.bodies[number - 1] = self.syntax(value)


@dataclass(frozen=True)
class OwnPage:
    """What one file adds: its title and the drawing over the shared page (PDF operators that
    may use the fonts named when the files were asked for)."""

    title: str
    drawing: bytes


class PageFiles:
    """Single-page PDF/A files, each drawing the one page of `base` (a PDF/A) beneath a drawing
    of its own, and carrying over the base's language, output intent and metadata with a title
    and a file identifier of its own."""

    def __init__(self, base: bytes) -> None:
        reader = PdfReader(io.BytesIO(base))
        root = reader.trailer["/Root"]
        page = reader.pages[0]
        self.header = base[:base.index(b"\n") + 1] + _BINARY_MARK
        self.xmp = root["/Metadata"].get_object().get_data().decode()
        # The document information's text entries (WeasyPrint writes nothing else there).
        self.info = {key: str(value) for key, value in (reader.metadata or {}).items() if isinstance(value, str)}
        self.lang = str(root.get("/Lang", ""))
        objects = _Renumbered()
        form = {
            b"/Type": b"/XObject", b"/Subtype": b"/Form", b"/BBox": objects.syntax(page.mediabox),
            b"/Resources": objects.syntax(page["/Resources"]),
        }
        if "/Group" in page:
            form[b"/Group"] = objects.syntax(page["/Group"])
        self.underlay = objects.add(stream(page.get_contents().get_data(), compress=True, extra=b" ".join(
            key + b" " + value for key, value in form.items()).decode("latin-1")))
        self.page_boxes = b" ".join(key.encode() + b" " + objects.syntax(page[key])
                                    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox") if key in page)
        self.output_intents = objects.syntax(root["/OutputIntents"])
        objects.copy_pending()
        self.shared = objects.bodies

    def files(self, fonts: dict[str, FontSubset], pages: list[OwnPage]) -> list[bytes]:
        """One file per page; each page's drawing may use these fonts by their names."""
        bodies = list(self.shared)
        font_entries = []
        for name, font in fonts.items():
            font_entries.append(f"/{name} {len(bodies) + 1} 0 R".encode())
            bodies.extend(font.objects(len(bodies) + 1))
        shared, offsets = _framed(bodies, 1, len(self.header))
        shared = self.header + shared
        resources = b"<</XObject <</Underlay %d 0 R>> /Font <<%s>>>>" % (self.underlay, b" ".join(font_entries))
        return [self._file(shared, offsets, len(bodies), resources, page) for page in pages]

    def _file(self, shared: bytes, offsets: list[int], count: int, resources: bytes, page: OwnPage) -> bytes:
        contents = b"q /Underlay Do Q\n" + page.drawing
        identifier = hashlib.md5(contents + page.title.encode(), usedforsecurity=False).hexdigest().encode()
        xmp, titles = _XMP_TITLE.subn(lambda found: found[1] + escape(page.title) + found[3], self.xmp, count=1)
        if titles != 1:
            # PDF/A needs the XMP title to match the document information's.
            raise ValueError("the laid-out page's XMP metadata has no title to replace")
        info = {**self.info, "/Title": page.title}
        catalog, pages, page_number, content, metadata, info_number = range(count + 1, count + 7)
        own = [
            b"<</Type /Catalog /Pages %d 0 R /Metadata %d 0 R /OutputIntents %s%s>>" % (
                pages, metadata, self.output_intents, b" /Lang " + text_string(self.lang) if self.lang else b""),
            b"<</Type /Pages /Kids [%d 0 R] /Count 1>>" % page_number,
            b"<</Type /Page /Parent %d 0 R %s /Resources %s /Contents %d 0 R>>" % (
                pages, self.page_boxes, resources, content),
            stream(contents, compress=True),
            stream(xmp.encode(), compress=False, extra="/Type /Metadata /Subtype /XML"),
            b"<<" + b" ".join(key.encode() + b" " + text_string(value) for key, value in info.items()) + b">>",
        ]
        framed, own_offsets = _framed(own, count + 1, len(shared))
        output = [shared, framed]
        position = len(shared) + len(framed)
        entries = b"".join(b"%010d 00000 n \n" % offset for offset in offsets + own_offsets)
        output.append(b"xref\n0 %d\n0000000000 65535 f \n" % (count + 7) + entries)
        output.append(b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n" % (
            count + 7, catalog, info_number, identifier, identifier, position))
        return b"".join(output)


def _framed(bodies: list[bytes], first_number: int, position: int) -> tuple[bytes, list[int]]:
    """The bodies as numbered objects from `first_number`, written from byte `position` of the
    file, and where each object starts."""
    chunks, offsets = [], []
    for number, body in enumerate(bodies, start=first_number):
        chunk = b"%d 0 obj\n" % number + body + b"\nendobj\n"
        offsets.append(position)
        chunks.append(chunk)
        position += len(chunk)
    return b"".join(chunks), offsets
