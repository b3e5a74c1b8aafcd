"""Certificate PDFs: a sandboxed Jinja2 template laid out by WeasyPrint as archival PDF/A.

WeasyPrint spends most of a lone certificate's time loading and subsetting fonts, so a batch of
certificates is laid out as one document (fonts loaded once, one stylesheet, one font subset)
and then cut into one single-page PDF/A per person, each with its own metadata.
"""

import base64
import functools
import io
import mimetypes
import re
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
from weasyprint.urls import URLFetcher, URLFetcherResponse

from dimoskopio.i18n import TRANSLATION_DOMAIN, localizer_for

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "dimoskopio" / "static"
TEMPLATES = ROOT / "templates" / "certificates"
# Where the template's assets (fonts, logo) appear to live. The .invalid domain never resolves:
# the fetcher answers for it from the project's static folder and refuses every other address.
ASSET_ORIGIN = "https://assets.dimoskopio.invalid/"
# Archival PDF/A whose text is all mapped to Unicode, so that it can be searched and copied.
PDF_VARIANT = "pdf/a-2u"
PRODUCER = "Dimoskopio"
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


class Renderer:
    """One worker's renderer: the fonts and the stylesheet are loaded once and reused."""

    def __init__(self) -> None:
        self.fetcher = AssetFetcher()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=(TEMPLATES / "certificate.css").read_text(), base_url=ASSET_ORIGIN,
                              url_fetcher=self.fetcher, font_config=self.font_config)

    def html(self, pages: list[CertificatePage], signature: str | None, title: str) -> str:
        locale_name = pages[0].locale

        localizer = localizer_for(locale_name)

        def gettext(message: str, mapping: dict[str, Any] | None = None) -> str:
            return localizer.translate(message, domain=TRANSLATION_DOMAIN, mapping=mapping)

        return _environment().get_template("attendance.html").render(
            pages=[{**asdict(page), "qr": qr_data_uri(page.verify_url)} for page in pages],
            signature=signature,
            title=title,
            lang=locale_name,
            _=gettext,
            gettext=gettext,
        )

    def document(self, pages: list[CertificatePage], signature: str | None, title: str) -> bytes:
        """The pages as one PDF/A document, in the order given."""
        html = HTML(string=self.html(pages, signature, title), base_url=ASSET_ORIGIN, url_fetcher=self.fetcher)
        return html.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config,
                              pdf_variant=PDF_VARIANT, uncompressed_pdf=False)

    def certificates(self, pages: list[CertificatePage], signature: str | None) -> list[bytes]:
        """One PDF/A per page, laid out together and cut apart."""
        titles = [f"{page.heading} · {page.recipient_name}" for page in pages]
        document = self.document(pages, signature, titles[0])
        return split_pdfa(document, titles)


def renderer() -> Renderer:
    """The process's renderer, made on first use (fonts take a moment to load)."""
    return _renderer()


@functools.lru_cache(maxsize=1)
def _renderer() -> Renderer:
    return Renderer()


def qr_data_uri(url: str) -> str:
    """The verification address as a QR code image (a PNG with its quiet zone)."""
    return segno.make(url, error="m", micro=False, mask=QR_MASK).png_data_uri(scale=6, border=4)


def signature_data_uri(image: bytes | None, content_type: str | None) -> str | None:
    if not image or not content_type:
        return None
    return f"data:{content_type};base64,{base64.b64encode(image).decode()}"


# --- one PDF per page -------------------------------------------------------------------------

_PAINTED = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
_XMP_TITLE = re.compile(r'(<dc:title><rdf:Alt><rdf:li xml:lang="x-default">)(.*?)(</rdf:li>)', re.S)


def _own_resources(page: Any) -> None:
    """WeasyPrint gives every page of a document one shared /Resources; each page keeps only the
    images it paints, so that its file does not carry every other person's QR code."""
    shared = page["/Resources"].get_object()
    painted = set(_PAINTED.findall(page.get_contents().get_data()))
    resources = DictionaryObject()
    for name, value in shared.items():
        if name == "/XObject":
            images = value.get_object()
            value = DictionaryObject({NameObject(key): ref for key, ref in images.items()
                                      if key[1:].encode() in painted})
        resources[NameObject(name)] = value
    page[NameObject("/Resources")] = resources


def split_pdfa(document: bytes, titles: list[str]) -> list[bytes]:
    """Each page of a PDF/A as a PDF/A of its own: the document's XMP metadata (with the page's
    title), output intent and language carried over, and a file identifier of its own."""
    reader = PdfReader(io.BytesIO(document))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    info = dict(reader.metadata or {})
    files = []
    for page, title in zip(reader.pages, titles, strict=True):
        _own_resources(page)
        writer = PdfWriter()
        writer.pdf_header = document[:8]
        writer.add_page(page)
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
    """Several certificates as one file, for printing."""
    writer = PdfWriter()
    for data in files:
        writer.append(PdfReader(io.BytesIO(data)))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()

