"""Certificate PDFs without the web layer: what the renderer may fetch, how a batch becomes one
archival PDF/A per person (drawn over the event's laid-out page, or laid out whole), and the
template sandbox."""

import base64
import dataclasses
import hashlib
import io
import re
import unicodedata
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


# --- drawn lines and laid-out pages ------------------------------------------------------------

MM_PX = 2 * 72 / 25.4  # pixels per millimetre at the scale `rendered` uses


def ink_box(image: Image.Image, left_mm: float, top_mm: float, right_mm: float, bottom_mm: float
            ) -> tuple[float, float, float, float] | None:
    """Where the dark pixels are inside this part of the page, in millimetres."""
    crop = image.crop((round(left_mm * MM_PX), round(top_mm * MM_PX), round(right_mm * MM_PX),
                       round(bottom_mm * MM_PX))).convert("L").point(lambda value: 255 if value < 128 else 0)
    box = crop.getbbox()
    if box is None:
        return None
    return (left_mm + box[0] / MM_PX, top_mm + box[1] / MM_PX, left_mm + box[2] / MM_PX, top_mm + box[3] / MM_PX)


@pytest.mark.parametrize("name", ["Ελένη Μαρκάκη", "Αικατερίνη-Μαργαρίτα Παπαδοπούλου-Χατζηγεωργίου",
                                  "Jean-Baptiste O'Connor"])
def test_drawn_lines_land_where_the_template_lays_them_out(name):
    # The drawn layer's boxes (certificates.NAME_BOX...) and certificate.css must agree: the same
    # page drawn and laid out whole puts the name, the address and the number in the same place.
    renderer = certificates.renderer()
    page = page_for(0, recipient_name=name,
                    verify_url="https://dimoskopio.heraklion.gr/certificates/verify/Xq3kP0aZ9rT1bW7nY5cV2e")
    [drawn] = renderer.certificates([page], None)
    laid_out = renderer.laid_out(page, renderer.person_text(page), None)
    drawn_image, laid_out_image = rendered(drawn), rendered(laid_out)

    for area in [(25, 60, 272, 95), (150, 182, 280, 200), (15, 198, 140, 206)]:  # name, address, number
        ours, theirs = ink_box(drawn_image, *area), ink_box(laid_out_image, *area)
        assert ours is not None and theirs is not None
        assert all(abs(a - b) < 1.5 for a, b in zip(ours, theirs, strict=True)), (area, ours, theirs)


def test_a_long_name_wraps_inside_its_box_and_stays_whole_as_text():
    name = "Μαρία-Ελευθερία Κωνσταντινοπούλου-Παπαγεωργακοπούλου Χατζηδημητρίου-Αναστασοπούλου"
    [data] = certificates.renderer().certificates([page_for(0, recipient_name=name)], None)

    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert all(part in text for part in re.split(r"[ -]", name))
    left, top, right, bottom = ink_box(rendered(data), 20, 63, 277, 92)
    assert left >= 29 and right <= 268, "within the name's 237 mm"
    assert bottom - top > 12, "two lines"
    assert abs((top + bottom) / 2 - 77) < 1.5, "centred on the name's box, 65 to 89 mm from the top"


def test_a_name_in_a_script_that_needs_shaping_gets_its_page_laid_out_whole():
    # Arabic joins its letters and runs right to left: the layout engine sets it, and the batch's
    # other people still get the drawn page, each in its place in the batch.
    names = ["Ελένη Μαρκάκη", "محمد العلي", "Νίκος Ψαράκης", "Ζωή " + unicodedata.normalize("NFD", "Ψαράκη")]
    pages = [page_for(index, recipient_name=name) for index, name in enumerate(names)]
    files = certificates.renderer().certificates(pages, None)

    drawn = []
    for page, data in zip(pages, files, strict=True):
        reader = PdfReader(io.BytesIO(data))
        drawn.append("/Underlay" in reader.pages[0]["/Resources"].get("/XObject", {}))
        assert [code.text for code in zxingcpp.read_barcodes(rendered(data))] == [page.verify_url]
        assert page.number in reader.pages[0].extract_text()
    assert drawn == [True, False, True, True], "the decomposed accent is composed and drawn"
    assert "Ψαράκη" in PdfReader(io.BytesIO(files[3])).pages[0].extract_text()


def test_each_file_is_well_formed_with_every_font_embedded(batch):
    _, files = batch
    for data in files:
        reader = PdfReader(io.BytesIO(data), strict=True)
        start = int(data.rsplit(b"startxref", 1)[1].split()[0])
        assert data[start:].startswith(b"xref\n")
        entries = data[start:].split(b"\n")[3:3 + int(reader.trailer["/Size"]) - 1]
        for number, entry in enumerate(entries, start=1):
            assert data[int(entry[:10]):].startswith(b"%d 0 obj" % number)
        page = reader.pages[0]
        fonts = list(page["/Resources"]["/Font"].values()) + list(
            page["/Resources"]["/XObject"]["/Underlay"]["/Resources"]["/Font"].values())
        assert len(fonts) == 4, "the event's regular and bold, and the drawn lines' bold and regular"
        for font in fonts:
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor and "/ToUnicode" in font.get_object()
