"""Certificate PDFs: sandboxed Jinja2 templates laid out by WeasyPrint as archival PDF/A.

WeasyPrint spends most of a lone certificate's time loading and subsetting fonts, and several
milliseconds on every box of text it lays out. So the event's text (everything but the person)
is laid out once per event and language; each person's few lines (name, number, verification
address) are set by events.pdf_text in the same fonts and drawn over it with their QR code, and
events.pdf_files writes each person's single-page PDF/A around the shared objects.
"""

import base64
import contextlib
import functools
import gc
import io
import mimetypes
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from dimoskopio.i18n import TRANSLATION_DOMAIN, localizer_for
from events import qr
from events.pdf_files import OwnPage, PageFiles
from events.pdf_text import TextBox, Typeface, drawn, wrapped

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "dimoskopio" / "static"
TEMPLATES = ROOT / "templates" / "certificates"
# Where the template's assets (fonts, logo) appear to live. The .invalid domain never resolves:
# the fetcher answers for it from the project's static folder and refuses every other address.
ASSET_ORIGIN = "https://assets.dimoskopio.invalid/"
# Archival PDF/A whose text is all mapped to Unicode, so that it can be searched and copied.
PDF_VARIANT = "pdf/a-2u"
# Certificates issued in one task and one transaction: staff see progress after each batch, and a
# restarted worker loses at most one batch.
BATCH_SIZE = 100


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


# Event pages kept by a renderer (an event's two languages, and a few events issued in turn).
EVENT_PAGES_KEPT = 8
# Names this long get smaller type when laid out whole, so that a name of the longest allowed
# fits its box in at most three lines (drawn names are measured instead: _name_lines).
NAME_SIZES = ((36, "large"), (64, "medium"))


def name_size(name: str) -> str:
    """The name's type size class in certificate.css, by its length."""
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


# Where each person's lines go (points from the page's lower left corner). They must agree with
# .name, .verify, .number and .qr in certificate.css, which lays them out when a name cannot be
# drawn (tests/unit/test_events_certificates.py compares the two).
MM = 72 / 25.4
PAGE_WIDTH_MM = 297
PAGE_HEIGHT_MM = 210
NAME_POINT_SIZES = (24, 19, 15)
NAME_BOX = TextBox(left=30 * MM, width=237 * MM, top=(PAGE_HEIGHT_MM - 65) * MM, height=24 * MM, size=24,
                   colour=(0x1B / 255,) * 3, align="center", line_height=1.15)
VERIFY_BOX = TextBox(left=(PAGE_WIDTH_MM - 22 - 90) * MM, width=90 * MM, bottom=14 * MM, size=8.5,
                     colour=(0x33 / 255,) * 3, align="right")
NUMBER_BOX = TextBox(left=22 * MM, width=150 * MM, bottom=8 * MM, size=8.5, colour=(0x33 / 255,) * 3)
QR_SIZE_MM = 28
QR_RIGHT_MM = 22
QR_BOTTOM_MM = 25
# Where lines may break: a name after its spaces and hyphens, the number line after its spaces
# only (not inside the number), the address after a slash only (never inside the code, whose
# "-" a reader would take for a hyphenation and leave out).
NAME_BREAKS = " -\u2010"
NUMBER_BREAKS = " "
ADDRESS_BREAKS = "/"


@dataclass(frozen=True)
class PersonText:
    """What a certificate prints about its person, and the title of the person's file."""

    name: str
    verify_label: str
    verify_address: str
    verify_code: str
    number_line: str
    document_title: str

    @property
    def drawn_text(self) -> str:
        """Everything drawn in the regular face."""
        return self.verify_label + self.verify_address + self.verify_code + self.number_line


@functools.lru_cache(maxsize=1)
def typefaces() -> tuple[Typeface, Typeface]:
    """The certificate's bold (names) and regular faces, for text drawn without layout."""
    return Typeface(STATIC / "fonts" / "DejaVuSans-Bold.ttf"), Typeface(STATIC / "fonts" / "DejaVuSans.ttf")


class Renderer:
    """One worker's renderer: the fonts and the stylesheet are loaded once and reused."""

    def __init__(self) -> None:
        self.layout = pdf_layout(TEMPLATES / "certificate.css", "certificate")
        self.event_pages: dict[str, PageFiles] = {}

    def html(self, template: str, locale_name: str, **context: Any) -> str:
        """A certificate template rendered in the sandbox, translated into the locale."""
        gettext = _gettext(locale_name)
        return _environment().get_template(template).render(lang=locale_name, _=gettext, gettext=gettext, **context)

    def pdf(self, html: str) -> bytes:
        """The HTML laid out as PDF/A."""
        return self.layout.pdf(html, pdf_variant=PDF_VARIANT, uncompressed_pdf=False)

    def certificates(self, pages: list[CertificatePage], signature: str | None) -> list[bytes]:
        """One PDF/A per person; the pages share an event, a design and a language. The event's
        text is laid out once and each person's lines are drawn over it; a person whose name is
        in a script that needs the layout engine (Arabic, say) gets a page laid out whole."""
        with _collector_paused():
            people = [self.person_text(page) for page in pages]
            bold, regular = typefaces()
            drawable = [bold.sets(person.name) and regular.sets(person.drawn_text) for person in people]
            drawn_files = iter(self._drawn(pages[0], signature, [
                person for person, fits in zip(people, drawable, strict=True) if fits]))
            files = []
            for page, person, fits in zip(pages, people, drawable, strict=True):
                files.append(next(drawn_files) if fits else self.laid_out(page, person, signature))
            return files

    def person_text(self, page: CertificatePage) -> PersonText:
        """The page's lines about its person, as printed: the name with its spaces tidied and its
        accents composed, the labels in the page's language."""
        gettext = _gettext(page.locale)
        name = unicodedata.normalize("NFC", " ".join(page.recipient_name.split()))
        address, slash, code = page.verify_url.rpartition("/")
        return PersonText(
            name=name,
            verify_label=gettext("Check this certificate at"),
            verify_address=address + slash,
            verify_code=code,
            number_line=f"{gettext('Certificate number')} {page.number} · {gettext('Issued on')} {page.issued_on}",
            document_title=f"{page.heading} · {name}",
        )

    def laid_out(self, page: CertificatePage, person: PersonText, signature: str | None) -> bytes:
        """The whole certificate laid out as one document, the QR code as SVG."""
        # segno's own SVG of a URL it encoded: markup we made, with nothing of the person's in it.
        code = Markup(qr.svg(page.verify_url))  # noqa: S704
        return self.pdf(self.html("certificate.html", page.locale, page=page, signature=signature,
                                  title=person.document_title, person=person, name_size=name_size(person.name),
                                  qr=code))

    def _event_page(self, page: CertificatePage, signature: str | None) -> PageFiles:
        """The event's page without a person; the batches of one run share it, laid out once."""
        html = self.html("certificate.html", page.locale, page=page, signature=signature, title=page.heading,
                         person=None)
        if html not in self.event_pages:
            if len(self.event_pages) >= EVENT_PAGES_KEPT:
                self.event_pages.pop(next(iter(self.event_pages)))
            self.event_pages[html] = PageFiles(self.pdf(html))
        return self.event_pages[html]

    def _drawn(self, first: CertificatePage, signature: str | None, people: list[PersonText]) -> list[bytes]:
        if not people:
            return []
        bold, regular = typefaces()
        names = bold.subset(person.name for person in people)
        texts = regular.subset(person.drawn_text for person in people)
        codes = qr.codes([person.verify_address + person.verify_code for person in people])
        own = []
        for person, (width, modules) in zip(people, codes, strict=True):
            size, name_lines = _name_lines(bold, person.name)
            verify_lines = (wrapped(person.verify_label, regular, VERIFY_BOX.size, VERIFY_BOX.width, NUMBER_BREAKS)
                            + wrapped(person.verify_address + person.verify_code, regular, VERIFY_BOX.size,
                                      VERIFY_BOX.width, ADDRESS_BREAKS))
            number_lines = wrapped(person.number_line, regular, NUMBER_BOX.size, NUMBER_BOX.width, NUMBER_BREAKS)
            drawing = b"".join((
                drawn(names, "Name", replace(NAME_BOX, size=size), name_lines),
                drawn(texts, "Text", VERIFY_BOX, verify_lines),
                drawn(texts, "Text", NUMBER_BOX, number_lines),
                qr_drawing(width, modules),
            ))
            own.append(OwnPage(person.document_title, drawing))
        return self._event_page(first, signature).files({"Name": names, "Text": texts}, own)


def _name_lines(face: Typeface, name: str) -> tuple[float, list[str]]:
    """The largest size that sets the name on one line, else on two, else the smallest size
    with as many lines as it takes."""
    for most_lines in (1, 2):
        for size in NAME_POINT_SIZES:
            lines = wrapped(name, face, size, NAME_BOX.width, NAME_BREAKS)
            if len(lines) <= most_lines:
                return size, lines
    return NAME_POINT_SIZES[-1], lines


_DARK_RUNS = re.compile("1+")


def qr_drawing(width: int, modules: str) -> bytes:
    """A QR code (events.qr.codes) drawn in PDF operators: one filled rectangle per run of dark
    modules, in module units scaled onto the page. Vector, so it prints sharp, and nothing for
    the layout engine to decode or the PDF to embed as an image."""
    module = QR_SIZE_MM * MM / width
    left = (PAGE_WIDTH_MM - QR_RIGHT_MM - QR_SIZE_MM) * MM
    rectangles = [
        b"%d %d %d 1 re" % (run.start() - row_start, width - 1 - row, run.end() - run.start())
        for row in range(width) for row_start in (row * width,)
        for run in _DARK_RUNS.finditer(modules, row_start, row_start + width)
    ]
    return (b"q 0 0 0 rg %.4f 0 0 %.4f %.3f %.3f cm\n" % (module, module, left, QR_BOTTOM_MM * MM)
            + b"\n".join(rectangles) + b"\nf Q\n")


def _gettext(locale_name: str) -> Callable[..., str]:
    localizer = localizer_for(locale_name)

    def gettext(message: str, mapping: dict[str, Any] | None = None) -> str:
        return localizer.translate(message, domain=TRANSLATION_DOMAIN, mapping=mapping)

    return gettext


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


def signature_data_uri(image: bytes | None, content_type: str | None) -> str | None:
    if not image or not content_type:
        return None
    return f"data:{content_type};base64,{base64.b64encode(image).decode()}"


def merge_pdfs(files: list[bytes]) -> bytes:
    """Several one-page certificates as one file, for printing."""
    writer = PdfWriter()
    for data in files:
        writer.add_page(PdfReader(io.BytesIO(data)).pages[0])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()

