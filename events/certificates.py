"""Certificate PDFs: sandboxed Jinja2 templates laid out by WeasyPrint as archival PDF/A.

WeasyPrint spends most of a lone certificate's time loading and subsetting fonts, and most of a
batch's time laying out text. So a batch lays out the event's text once, and the names, QR
codes and numbers of all its people as one document (fonts loaded once, one stylesheet, one font
subset); that document is then cut into one single-page PDF/A per person, with the event's text
drawn beneath, each file with its own metadata.
"""

import base64
import contextlib
import functools
import gc
import io
import mimetypes
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from dimoskopio.i18n import TRANSLATION_DOMAIN, localizer_for

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "dimoskopio" / "static"
TEMPLATES = ROOT / "templates" / "certificates"
# Where the template's assets (fonts, logo) appear to live. The .invalid domain never resolves:
# the fetcher answers for it from the project's static folder and refuses every other address.
ASSET_ORIGIN = "https://assets.dimoskopio.invalid/"
# Archival PDF/A whose text is all mapped to Unicode, so that it can be searched and copied.
PDF_VARIANT = "pdf/a-2u"
# Pages laid out as one document: large enough to pay the fixed costs rarely, small enough to
# keep the worker's memory and each batch's transaction modest.
BATCH_SIZE = 100
# A fixed QR mask pattern: choosing the best of the eight for every code costs more than the rest
# of a certificate's page, and any of them reads as well at this size.
QR_MASK = 4


@dataclass(frozen=True)
class CertificatePage:
    """What one certificate says, as plain data: the template sees nothing else."""

    locale: str
    number: str
    verify_url: str
    recipient_name: str
    heading: str
    statement: str
    title: str
    period: str
    hours: str
    place: str
    issuer_name: str
    issuer_title: str
    issued_on: str
    centre: str


class AssetFetcher(URLFetcher):
    """Serves the project's static files under ASSET_ORIGIN and data: URIs; nothing else (no
    file:// URLs, no network). A refused address stops the rendering."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(ASSET_ORIGIN):
            raise ValueError(f"certificates may only use the project's own assets, not {url}")
        path = (STATIC / url.removeprefix(ASSET_ORIGIN).split("?")[0]).resolve()
        if not path.is_relative_to(STATIC) or not path.is_file():
            raise ValueError(f"no such asset: {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": content_type})


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    """Templates run sandboxed, from plain data, with HTML escaping."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


# Event layers kept by a renderer (an event's two languages, and a few events issued in turn).
BACKGROUNDS_KEPT = 8
# Names this long get smaller type, so that every name fits its box in at most two lines.
NAME_SIZES = ((36, "large"), (64, "medium"))


def name_size(name: str) -> str:
    return next((size for longest, size in NAME_SIZES if len(name) <= longest), "small")


class PdfLayout:
    """HTML laid out as PDF with one stylesheet, through the AssetFetcher (only the project's own
    assets and data: URIs); the fetcher, the fonts and the stylesheet are loaded once and reused.
    One thread's: a font configuration must not be shared by threads rendering at once."""

    def __init__(self, stylesheet: Path, name: str) -> None:
        self.name = name
        self.fetcher = AssetFetcher()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=stylesheet.read_text(), base_url=ASSET_ORIGIN, url_fetcher=self.fetcher,
                              font_config=self.font_config)

    def pdf(self, html: str, **options: Any) -> bytes:
        """The document as PDF; `options` go to WeasyPrint's write_pdf (a PDF variant...)."""
        document = HTML(string=html, base_url=ASSET_ORIGIN, url_fetcher=self.fetcher)
        try:
            return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config, **options)
        except FatalURLFetchingError as error:
            # A BaseException in WeasyPrint: as an ordinary error it fails the task or the request
            # (and is retried, logged) instead of taking a worker thread down.
            raise RuntimeError(f"a {self.name} asset could not be loaded: {error}") from error


_layouts = threading.local()


def pdf_layout(stylesheet: Path, name: str) -> PdfLayout:
    """This thread's layout with this stylesheet, made on first use (fonts take a moment to
    load); `name` says what it lays out, in errors ("impact report")."""
    layouts: dict[Path, PdfLayout] = _layouts.__dict__.setdefault("by_stylesheet", {})
    if stylesheet not in layouts:
        layouts[stylesheet] = PdfLayout(stylesheet, name)
    return layouts[stylesheet]


class Renderer:
    """One worker's renderer: the fonts and the stylesheet are loaded once and reused."""

    def __init__(self) -> None:
        self.layout = PdfLayout(TEMPLATES / "certificate.css", "certificate")
        self.backgrounds: dict[str, bytes] = {}

    def html(self, template: str, locale_name: str, **context: Any) -> str:
        localizer = localizer_for(locale_name)

        def gettext(message: str, mapping: dict[str, Any] | None = None) -> str:
            return localizer.translate(message, domain=TRANSLATION_DOMAIN, mapping=mapping)

        return _environment().get_template(template).render(lang=locale_name, _=gettext, gettext=gettext, **context)

    def background(self, html: str) -> bytes:
        """The event's layer; the batches of one run share it, laid out once."""
        if html not in self.backgrounds:
            if len(self.backgrounds) >= BACKGROUNDS_KEPT:
                self.backgrounds.pop(next(iter(self.backgrounds)))
            self.backgrounds[html] = self.pdf(html)
        return self.backgrounds[html]

    def pdf(self, html: str) -> bytes:
        return self.layout.pdf(html, pdf_variant=PDF_VARIANT, uncompressed_pdf=False)

    def certificates(self, pages: list[CertificatePage], signature: str | None) -> list[bytes]:
        """One PDF/A per person. The pages share an event, a design and a language: the event's
        text is laid out once, every person's name, QR code and number together in one document,
        and each of its pages is cut out with the event's text drawn beneath."""
        with _collector_paused():
            return self._certificates(pages, signature)

    def _certificates(self, pages: list[CertificatePage], signature: str | None) -> list[bytes]:
        first = pages[0]
        titles = [f"{page.heading} · {page.recipient_name}" for page in pages]
        background = self.background(self.html("background.html", first.locale, page=first, signature=signature,
                                                title=first.heading))
        people = self.pdf(self.html("people.html", first.locale, title=titles[0], pages=[
            {**asdict(page), "name_size": name_size(page.recipient_name)} for page in pages
        ]))
        return split_pdfa(people, titles, background, [qr_drawing(page.verify_url) for page in pages])


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Layout makes hundreds of thousands of short-lived objects; Python's cycle collector
    scanning them over and over mid-batch costs more than collecting once afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_renderers = threading.local()


def renderer() -> Renderer:
    """This thread's renderer, made on first use (fonts take a moment to load). One per thread:
    a font configuration must not be shared by web or worker threads rendering at once."""
    if not hasattr(_renderers, "renderer"):
        _renderers.renderer = Renderer()
    return _renderers.renderer


# Where the QR code goes on the page (certificate.css leaves this corner free above the address).
MM = 72 / 25.4
QR_SIZE_MM = 28
QR_RIGHT_MM = 22
QR_BOTTOM_MM = 25
PAGE_WIDTH_MM = 297


def qr_drawing(url: str) -> bytes:
    """The verification address as a QR code drawn in PDF operators: one filled rectangle per
    run of dark modules, in points from the page's lower left corner. Vector, so it prints
    sharp, and nothing for the layout engine to decode or the PDF to embed as an image."""
    matrix = segno.make(url, error="m", micro=False, mask=QR_MASK).matrix
    module = QR_SIZE_MM * MM / len(matrix)
    left = (PAGE_WIDTH_MM - QR_RIGHT_MM - QR_SIZE_MM) * MM
    top = (QR_BOTTOM_MM + QR_SIZE_MM) * MM
    rectangles = []
    for row_number, row in enumerate(matrix):
        y = top - (row_number + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            rectangles.append(f"{left + start * module:.3f} {y:.3f} {(column - start) * module:.3f} {module:.3f} re")
    return ("q 0 0 0 rg\n" + "\n".join(rectangles) + "\nf Q\n").encode()


def signature_data_uri(image: bytes | None, content_type: str | None) -> str | None:
    if not image or not content_type:
        return None
    return f"data:{content_type};base64,{base64.b64encode(image).decode()}"


# --- one PDF per page -------------------------------------------------------------------------

_XMP_TITLE = re.compile(r'(<dc:title><rdf:Alt><rdf:li xml:lang="x-default">)(.*?)(</rdf:li>)', re.S)


def _underlay(background: bytes) -> StreamObject:
    """The background's one page as a form XObject, to be drawn first on every page."""
    page = PdfReader(io.BytesIO(background)).pages[0]
    form = StreamObject()
    form.set_data(page.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): page.mediabox,
        NameObject("/Resources"): page["/Resources"],
    })
    return form


def split_pdfa(document: bytes, titles: list[str], background: bytes, drawings: list[bytes]) -> list[bytes]:
    """Each page of a PDF/A as a PDF/A of its own, the background page drawn beneath it and the
    page's drawing (its QR code) over it: the document's XMP metadata (with the page's title),
    output intent and language carried over, and a file identifier of its own."""
    reader = PdfReader(io.BytesIO(document))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    info = dict(reader.metadata or {})
    underlay = _underlay(background)
    files = []
    for page, title, drawing in zip(reader.pages, titles, drawings, strict=True):
        writer = PdfWriter()
        writer.pdf_header = document[:8]
        written = writer.add_page(page)
        resources = written["/Resources"]
        images = resources.get("/XObject", DictionaryObject()).get_object()
        images[NameObject("/Underlay")] = writer._add_object(underlay.clone(writer))
        resources[NameObject("/XObject")] = images
        contents = StreamObject()
        contents.set_data(b"q /Underlay Do Q\nq\n" + written.get_contents().get_data() + b"\nQ\n" + drawing)
        written.replace_contents(contents)
        written.compress_content_streams()
        catalog = writer._root_object
        metadata = StreamObject()
        titled = _XMP_TITLE.sub(lambda found, title=title: found[1] + escape(title) + found[3], xmp, count=1)
        metadata.set_data(titled.encode())
        metadata.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
        catalog[NameObject("/Metadata")] = writer._add_object(metadata)
        catalog[NameObject("/OutputIntents")] = root["/OutputIntents"].clone(writer)
        if "/Lang" in root:
            catalog[NameObject("/Lang")] = root["/Lang"].clone(writer)
        writer.add_metadata({**info, "/Title": title})
        writer.generate_file_identifiers()
        output = io.BytesIO()
        writer.write(output)
        files.append(output.getvalue())
    return files


def merge_pdfs(files: list[bytes]) -> bytes:
    """Several one-page certificates as one file, for printing."""
    writer = PdfWriter()
    for data in files:
        writer.add_page(PdfReader(io.BytesIO(data)).pages[0])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()

