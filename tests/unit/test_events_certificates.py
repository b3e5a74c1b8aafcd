"""Certificate PDFs without the web layer: what the renderer may fetch, how a batch is cut into
one archival PDF/A per person, and the template sandbox."""

import base64
import dataclasses
import hashlib
import io
import re
import xml.dom.minidom

import pypdfium2
import pytest
import zxingcpp
from jinja2.exceptions import SecurityError
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import StreamObject
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from events import certificates
from events.certificates import ASSET_ORIGIN, STATIC, AssetFetcher, CertificatePage

# The logo's orange dot (#f2a541): painted on every certificate, as vector shapes.
LOGO_ORANGE = (0xF2, 0xA5, 0x41)
NAMES = ["Ελένη Μαρκάκη", "Νίκος Ψαράκης", "Ann & <Bob> O'Neil"]


def page_for(index: int, **overrides: str) -> CertificatePage:
    """A certificate's page as plain data (fields added to CertificatePage later get a filler)."""
    values = {
        "locale": "el",
        "number": f"2026-{index + 1:06d}",
        "verify_url": f"https://dimoskopio.example/certificates/verify/code-{index}-{'x' * index}",
        "recipient_name": NAMES[index % len(NAMES)],
        "heading": "Βεβαίωση παρακολούθησης",
        "statement": "παρακολούθησε την εκδήλωση",
        "title": "Εργαστήριο επιχειρηματικότητας",
        "period": "12 Μαρτίου 2026",
        "hours": "3 ώρες",
        "place": "Κέντρο Καινοτομίας",
        "issuer_name": "Μαρία Παπαδάκη",
        "issuer_title": "Προϊσταμένη",
        "issued_on": "13 Μαρτίου 2026",
        "centre": "Δημοσκόπιο",
        **overrides,
    }
    fields = {field.name: values.get(field.name, "x") for field in dataclasses.fields(CertificatePage)}
    return CertificatePage(**fields)


def signature_uri() -> str:
    image = Image.new("RGB", (240, 80), "white")
    for x in range(10, 230):
        image.putpixel((x, 40 + (x % 9) - 4), (20, 20, 60))
    output = io.BytesIO()
    image.save(output, "PNG")
    return "data:image/png;base64," + base64.b64encode(output.getvalue()).decode()


# --- the fetcher ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.org/x.png",
    "https://example.org/x.png",
    f"{ASSET_ORIGIN}../../setup.py",
    f"{ASSET_ORIGIN}%2e%2e/%2e%2e/setup.py",
    f"{ASSET_ORIGIN}fonts/../../../../etc/passwd",
    f"{ASSET_ORIGIN}fonts/",
    f"{ASSET_ORIGIN}no-such-file.png",
    "https://assets.dimoskopio.invalid.evil.example/fonts/DejaVuSans.ttf",
    "ftp://assets.dimoskopio.invalid/fonts/DejaVuSans.ttf",
])
def test_the_fetcher_refuses_everything_but_the_projects_own_assets(url):
    with pytest.raises(ValueError, match=r"\basset"):
        AssetFetcher().fetch(url)


def test_the_fetcher_serves_the_font_from_the_static_folder_and_data_uris():
    font = AssetFetcher().fetch(f"{ASSET_ORIGIN}fonts/DejaVuSans.ttf")
    assert font.read() == (STATIC / "fonts" / "DejaVuSans.ttf").read_bytes()
    assert font.headers.get_content_type() in ("font/ttf", "font/sfnt", "application/x-font-ttf")

    logo = AssetFetcher().fetch(f"{ASSET_ORIGIN}img/logo.svg")
    assert logo.headers.get_content_type() == "image/svg+xml"

    data = AssetFetcher().fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    assert data.read() == b"hello"


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd" alt="">',
    '<img src="http://example.org/x.png" alt="">',
    '<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>',
    '<style>@font-face { font-family: X; src: url(file:///usr/share/fonts/x.ttf); } p { font-family: X }</style>'
    '<p>x</p>',
], ids=["img-file", "img-network", "stylesheet-file", "font-file"])
def test_a_document_that_reaches_outside_its_assets_is_not_rendered(html):
    # WeasyPrint's fatal fetching error derives from BaseException, so that nothing on the way
    # swallows it; the fetcher's refusal is its cause.
    with pytest.raises(FatalURLFetchingError) as refused:
        HTML(string=html, base_url=ASSET_ORIGIN, url_fetcher=AssetFetcher()).write_pdf()

    assert isinstance(refused.value.__cause__, ValueError)
    assert "the project's own assets" in str(refused.value.__cause__)


# --- one file per person ----------------------------------------------------------------------


def image_streams(reader: PdfReader) -> dict[str, StreamObject]:
    """Every image stream the file holds, wherever it is (not only where a page points), by a
    hash of its pixels."""
    found = {}
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            value = reader.get_object(number)
        except Exception:  # noqa: S112 - free entries of the cross-reference table
            continue
        if isinstance(value, StreamObject) and value.get("/Subtype") == "/Image":
            found[hashlib.sha256(value.get_data()).hexdigest()] = value
    return found


def rendered(pdf: bytes) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    return document[0].render(scale=2).to_pil().convert("RGB")


def painted_with(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels of the image have about this colour."""
    colours = image.getcolors(maxcolors=image.width * image.height)
    return sum(count for count, pixel in colours
               if all(abs(channel - wanted) <= tolerance for channel, wanted in zip(pixel, colour, strict=True)))


@pytest.fixture(scope="module")
def batch() -> tuple[list[CertificatePage], list[bytes]]:
    pages = [page_for(index) for index in range(3)]
    return pages, certificates.renderer().certificates(pages, signature_uri())


def test_each_file_of_a_batch_holds_one_page_and_only_its_own_qr_code(batch):
    pages, files = batch
    assert len(files) == 3
    readers = [PdfReader(io.BytesIO(data)) for data in files]
    assert [len(reader.pages) for reader in readers] == [1, 1, 1]

    # Images the files hold, wherever in the file: the signature is in every one; nothing else
    # may be shared, and a file holds at most one image of its own (its QR code, were it drawn as
    # an image rather than in vector operators).
    images = [set(image_streams(reader)) for reader in readers]
    shared = set.intersection(*images)
    own = [found - shared for found in images]
    assert len(shared) == 1, f"only the signature is in every file, not {len(shared)} images (others' QR codes?)"
    assert all(len(found) <= 1 for found in own), own
    assert not (own[0] & own[1] or own[0] & own[2] or own[1] & own[2]), "no file holds another's image"

    for page, data in zip(pages, files, strict=True):
        picture = rendered(data)
        assert [code.text for code in zxingcpp.read_barcodes(picture)] == [page.verify_url], (
            "each file paints one QR code: its own")
        assert painted_with(picture, LOGO_ORANGE) > 50, "the logo is painted"


def test_each_file_names_only_its_own_person(batch):
    pages, files = batch
    for page, data in zip(pages, files, strict=True):
        text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert page.recipient_name in text and page.number in text
        others = [other for other in pages if other is not page]
        assert not any(other.recipient_name in text or other.number in text for other in others)


def test_each_file_is_a_pdfa_2u_with_its_own_title_and_identifier(batch):
    pages, files = batch
    identifiers = set()
    for page, data in zip(pages, files, strict=True):
        assert data.startswith(b"%PDF-1.7")
        reader = PdfReader(io.BytesIO(data))
        root = reader.trailer["/Root"]
        assert "/OutputIntents" in root and len(root["/OutputIntents"]) >= 1
        assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
        assert root["/Lang"] == "el"
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert re.search(r'pdfaid:part(="2"|>2<)', xmp) and re.search(r'pdfaid:conformance(="U"|>U<)', xmp)
        # Well-formed XML, with the title's & and < escaped.
        parsed = xml.dom.minidom.parseString(xmp.encode())  # noqa: S318 - our own renderer's output
        [title] = parsed.getElementsByTagName("dc:title")
        title_text = "".join(node.data for node in title.getElementsByTagName("rdf:li")[0].childNodes)
        assert title_text == f"{page.heading} · {page.recipient_name}"
        assert reader.metadata.title == title_text
        identifier = reader.trailer["/ID"]
        assert len(identifier) == 2 and bytes(identifier[0].original_bytes)
        identifiers.add(bytes(identifier[0].original_bytes))
    assert len(identifiers) == 3, "each file has an identifier of its own"


def test_a_lone_certificate_without_a_signature_holds_no_image_but_maybe_its_qr_code():
    [data] = certificates.renderer().certificates([page_for(0)], None)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert len(image_streams(reader)) <= 1
    assert [code.text for code in zxingcpp.read_barcodes(rendered(data))] == [page_for(0).verify_url]


# --- the sandbox ------------------------------------------------------------------------------


def test_the_template_sandbox_refuses_to_reach_python_internals():
    environment = certificates._environment()

    with pytest.raises(SecurityError):
        environment.from_string("{{ ''.__class__.__mro__ }}").render()
    with pytest.raises(SecurityError):
        environment.from_string("{{ ().__class__.__bases__[0].__subclasses__() }}").render()
    # A single unsafe attribute is undefined (empty), and anything done with it is refused.
    assert environment.from_string("{{ ''.__class__ }}").render() == ""
    assert environment.from_string("{{ 'a{0.__class__}'.format(1) }}").render() == "a"


def test_what_people_typed_is_printed_as_text_never_as_markup_or_template_code():
    name = '<img src="file:///etc/passwd"> {{ 7 * 7 }}'
    [data] = certificates.renderer().certificates([page_for(0, recipient_name=name)], None)

    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert name in text
