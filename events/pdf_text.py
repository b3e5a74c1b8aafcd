"""Short lines of text set straight into PDF operators, in an embedded TrueType font.

A layout engine spends milliseconds on each box of text it lays out, which is most of the cost
of a certificate once the event's own text is laid out only once. The lines that change from
person to person (a name, a number, an address) need only a font's advance widths, breaks at
spaces, hyphens and slashes, and one glyph per character. That holds for the scripts written
left to right without shaping (Latin, Greek, Cyrillic); `Typeface.sets` says whether a text is
among them, and anything else is left to the layout engine. Pair kerning is not applied (the
layout engine applies DejaVu's): a drawn line can be a fraction of a millimetre wider.
"""

import hashlib
import io
import threading
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

# Latin, Greek and Cyrillic with their extensions, and general punctuation: scripts whose
# characters each map to one glyph, left to right, once composed (NFC).
REPERTOIRE = (
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x052F),
    (0x1E00, 0x1EFF), (0x1F00, 0x1FFE), (0x2010, 0x2027), (0x2030, 0x205E),
)
# A subset holds every character of each run of this many code points that its texts touch (a
# Greek name brings in the Greek alphabet's runs): a few kilobytes more per file, and a subset
# is made once for many batches instead of once per batch. Subsets kept per typeface:
CHUNK = 32
SUBSETS_KEPT = 16
# Tables a document's subset leaves out: outlines and metrics are all it needs (no hinting, no
# layout tables: nothing here shapes text).
_DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx", "VDMX", "LTSH", "gasp")


def _in_repertoire(codepoint: int) -> bool:
    """A character of REPERTOIRE drawn as one glyph on its own: no combining marks, controls
    or formatting characters."""
    return (any(first <= codepoint <= last for first, last in REPERTOIRE)
            and unicodedata.category(chr(codepoint))[0] not in "MC")


class Typeface:
    """A TrueType font's glyphs for REPERTOIRE, its advance widths and metrics: what setting
    text needs. Each document embeds a subset of it (`subset`)."""

    def __init__(self, path: Path) -> None:
        self.program = path.read_bytes()
        font = TTFont(io.BytesIO(self.program), lazy=True)
        self.glyphs: dict[str, str] = {chr(code): name for code, name in font.getBestCmap().items()
                                       if _in_repertoire(code)}
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        # Each character's advance in ems, looked up once per character of every line set.
        self.advances: dict[str, float] = {character: metrics[name][0] / units
                                           for character, name in self.glyphs.items()}
        self.ascent = font["hhea"].ascent / units
        self.descent = -font["hhea"].descent / units
        self.line_gap = font["hhea"].lineGap / units
        head = font["head"]
        self.bbox = [round(value * 1000 / units) for value in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.italic_angle = font["post"].italicAngle
        self.bold = font["OS/2"].usWeightClass >= 600
        self.postscript_name = font["name"].getDebugName(6)
        self._subsets: dict[frozenset[int], FontSubset] = {}
        # Worker threads share the typefaces (certificates.typefaces).
        self._subsets_lock = threading.Lock()

    def sets(self, text: str) -> bool:
        """Whether every character of the text has its own glyph here."""
        return all(character in self.glyphs for character in text)

    def width(self, text: str, size: float) -> float:
        """The text's advance, in points at this size."""
        advances = self.advances
        return sum(advances[character] for character in text) * size

    def subset(self, texts: Iterable[str]) -> "FontSubset":
        """The glyphs of these texts, ready to embed in a document: whole runs of CHUNK code
        points, so that the batches of a language mostly share one subset, made once."""
        chunks = frozenset(ord(character) // CHUNK for character in set("".join(texts)) | {" "})
        with self._subsets_lock:
            if chunks not in self._subsets:
                if len(self._subsets) >= SUBSETS_KEPT:
                    self._subsets.pop(next(iter(self._subsets)))
                self._subsets[chunks] = self._subset(sorted(
                    character for character in self.glyphs if ord(character) // CHUNK in chunks))
            return self._subsets[chunks]

    def _subset(self, characters: list[str]) -> "FontSubset":
        font = TTFont(io.BytesIO(self.program), lazy=True)
        for tag in _DROPPED_TABLES:
            if tag in font:
                del font[tag]
        options = subset.Options()
        options.hinting = False
        options.notdef_outline = True
        options.recalc_timestamp = False
        options.glyph_names = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(glyphs=[self.glyphs[character] for character in characters])
        subsetter.subset(font)
        order = {name: number for number, name in enumerate(font.getGlyphOrder())}
        units = font["head"].unitsPerEm
        widths = [font["hmtx"].metrics[name][0] * 1000 / units for name in font.getGlyphOrder()]
        program = io.BytesIO()
        font.save(program)
        return FontSubset(self, {character: order[self.glyphs[character]] for character in characters},
                          widths, program.getvalue())


@dataclass(frozen=True)
class FontSubset:
    """A typeface's glyphs for one document, and the PDF objects that embed them."""

    typeface: Typeface
    glyph_ids: dict[str, int]
    widths: list[float]
    program: bytes

    def shown(self, text: str) -> bytes:
        """The text as a PDF string of two-byte glyph ids (the font's Identity-H encoding)."""
        return b"<" + "".join(f"{self.glyph_ids[character]:04x}" for character in text).encode() + b">"

    @property
    def tag(self) -> str:
        """Six capital letters that name this subset (PDF's convention for subset fonts)."""
        digest = hashlib.sha256(self.program).digest()
        return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])

    def to_unicode(self) -> bytes:
        """The CMap that maps each glyph back to its character, so that the text can be copied
        and searched (what PDF/A's "u" conformance asks for)."""
        pairs = sorted((glyph, character) for character, glyph in self.glyph_ids.items())
        blocks = []
        for start in range(0, len(pairs), 100):
            chunk = pairs[start:start + 100]
            entries = "\n".join(f"<{glyph:04x}> <{character.encode('utf-16-be').hex()}>" for glyph, character in chunk)
            blocks.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
        return (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
            + "\n".join(blocks)
            + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode()

    def objects(self, first_number: int) -> list[bytes]:
        """The font's PDF objects, numbered from `first_number`: the font itself (the one to
        name in a page's resources) first, then its descendant, descriptor, program and CMap."""
        descendant, descriptor, program, cmap = range(first_number + 1, first_number + 5)
        face = self.typeface
        name = f"/{self.tag}+{face.postscript_name}"
        widths = " ".join(f"{width:g}" for width in self.widths)
        flags = 4 | (1 << 18 if face.bold else 0)
        return [
            f"<</Type /Font /Subtype /Type0 /BaseFont {name} /Encoding /Identity-H "
            f"/DescendantFonts [{descendant} 0 R] /ToUnicode {cmap} 0 R>>".encode(),
            f"<</Type /Font /Subtype /CIDFontType2 /BaseFont {name} "
            f"/CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>> "
            f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /W [0 [{widths}]]>>".encode(),
            f"<</Type /FontDescriptor /FontName {name} /Flags {flags} "
            f"/FontBBox [{' '.join(map(str, face.bbox))}] /ItalicAngle {face.italic_angle:g} "
            f"/Ascent {round(face.ascent * 1000)} /Descent {round(-face.descent * 1000)} "
            f"/CapHeight {round(face.ascent * 1000)} /StemV {120 if face.bold else 80} "
            f"/FontFile2 {program} 0 R>>".encode(),
            stream(self.program, compress=True, extra=f"/Length1 {len(self.program)}"),
            stream(self.to_unicode(), compress=True),
        ]


def stream(data: bytes, compress: bool, extra: str = "") -> bytes:
    """A PDF stream object's body."""
    if compress:
        data = zlib.compress(data, 6)
        extra = f"/Filter /FlateDecode {extra}"
    return f"<</Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def _pieces(text: str, breaks: str) -> list[str]:
    pieces, start = [], 0
    for position, character in enumerate(text):
        # Not between the two slashes of "https://".
        if character in breaks and not (character == "/" and text[position + 1:position + 2] == "/"):
            pieces.append(text[start:position + 1])
            start = position + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def wrapped(text: str, typeface: Typeface, size: float, width: float, breaks: str) -> list[str]:
    """The text in lines no wider than `width` points, broken after any of the `breaks`
    characters (a space there is swallowed by the break), and inside a word only where that
    word alone is wider than a line."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text, breaks):
        if typeface.width((line + piece).rstrip(" "), size) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip(" "))
        line = ""
        for character in piece:
            if line and typeface.width((line + character).rstrip(" "), size) > width:
                lines.append(line.rstrip(" "))
                line = ""
            line += character
    if line.strip() or not lines:
        lines.append(line.rstrip(" "))
    return [line.lstrip(" ") for line in lines]


@dataclass(frozen=True)
class TextBox:
    """Where lines of text go, in points from the page's lower left corner: a box `width`
    wide whose left edge is at `left`, and either its top and height (lines centred in it
    vertically) or its bottom (lines stacked up from it)."""

    left: float
    width: float
    size: float
    colour: tuple[float, float, float]
    align: str = "left"
    line_height: float | None = None
    top: float | None = None
    height: float | None = None
    bottom: float | None = None


def drawn(font: FontSubset, resource: str, box: TextBox, lines: list[str]) -> bytes:
    """PDF operators that draw the lines in the box, as CSS would place them: line boxes of
    `line_height` times the size (the font's own ascent, descent and gap when None), the glyphs
    centred in each, the lines aligned left, centre or right."""
    face = font.typeface
    content = (face.ascent + face.descent) * box.size
    pitch = box.line_height * box.size if box.line_height else content + face.line_gap * box.size
    stacked = pitch * len(lines)
    top = box.bottom + stacked if box.bottom is not None else box.top - (box.height - stacked) / 2
    red, green, blue = box.colour
    operators = [f"BT /{resource} {box.size:g} Tf {red:.4f} {green:.4f} {blue:.4f} rg"]
    for number, line in enumerate(lines):
        baseline = top - number * pitch - (pitch - content) / 2 - face.ascent * box.size
        spare = box.width - face.width(line, box.size)
        x = box.left + {"left": 0, "center": spare / 2, "right": spare}[box.align]
        operators.append(f"1 0 0 1 {x:.3f} {baseline:.3f} Tm {font.shown(line).decode()} Tj")
    operators.append("ET")
    return "\n".join(operators).encode() + b"\n"
