"""Text set straight into PDF operators: which texts a typeface can set without a layout engine,
how lines are wrapped, what a document's font subset embeds, and where the lines are drawn."""

import io
import re
import unicodedata

import pytest
from fontTools.ttLib import TTFont

from events.certificates import ADDRESS_BREAKS, NAME_BREAKS, STATIC
from events.pdf_text import CHUNK, TextBox, Typeface, drawn, wrapped

FONT = STATIC / "fonts" / "DejaVuSans-Bold.ttf"
NAME = "Αικατερίνη-Μαργαρίτα Παπαδοπούλου-Χατζηγεωργίου"
URL = "https://dimoskopio.example/certificates/verify/Zq3-x_9KpLm0aBcDeFgHiJ"
TEXTS = ["Ελένη Μαρκάκη", "Ñúñez Ødegård", "Иван Петров", URL, "2026-000042"]
TM = re.compile(r"^1 0 0 1 (-?\d+\.\d{3}) (-?\d+\.\d{3}) Tm <([0-9a-f]*)> Tj$", re.MULTILINE)


@pytest.fixture(scope="module")
def face() -> Typeface:
    # A face of its own: the cached one of events.certificates may hold other tests' subsets.
    return Typeface(FONT)


def rejoined(text: str, lines: list[str]) -> bool:
    """Whether the lines are the text in order, with only spaces dropped where lines meet."""
    position = 0
    for number, line in enumerate(lines):
        if not text.startswith(line, position):
            return False
        position += len(line)
        if number < len(lines) - 1:
            while text[position:position + 1] == " ":
                position += 1
    return position == len(text)


@pytest.mark.parametrize("text", [
    "Ελένη Μαρκάκη", "Ἀθηνᾶ Ῥόδιος", "Ñúñez", "Ødegård", "Иван Петров", "Ґанна Їжак", URL, "O'Neil & Co.",
])
def test_the_face_sets_latin_greek_and_cyrillic(face, text):
    assert face.sets(unicodedata.normalize("NFC", text))


@pytest.mark.parametrize("text", [
    "محمد", "שלום", "王小明", unicodedata.normalize("NFD", "ά"), "a\tb", "a\nb", "Ελένη 🙂",
])
def test_the_face_refuses_scripts_that_need_shaping_decomposed_accents_controls_and_emoji(face, text):
    assert not face.sets(text)


def test_widths_add_up_and_grow_with_the_size(face):
    assert face.width("ab", 10) == pytest.approx(face.width("a", 10) + face.width("b", 10))
    assert face.width("ab", 20) == pytest.approx(2 * face.width("ab", 10))
    assert face.width("", 12) == 0


def test_a_text_that_fits_stays_one_line(face):
    assert wrapped("Ελένη Μαρκάκη", face, 20, face.width("Ελένη Μαρκάκη", 20), NAME_BREAKS) == ["Ελένη Μαρκάκη"]


def test_a_name_breaks_after_its_hyphen_and_its_space(face):
    width = face.width("Παπαδοπούλου-", 20) + 1
    lines = wrapped(NAME, face, 20, width, NAME_BREAKS)
    assert lines == ["Αικατερίνη-", "Μαργαρίτα", "Παπαδοπούλου-", "Χατζηγεωργίου"]


def test_an_address_breaks_after_a_slash(face):
    width = face.width("https://dimoskopio.example/certificates/", 12) + 1
    lines = wrapped(URL, face, 12, width, ADDRESS_BREAKS)
    assert lines[0] == "https://dimoskopio.example/certificates/"
    assert all(line.endswith("/") for line in lines[:-1])
    assert "".join(lines) == URL


def test_an_address_never_breaks_inside_its_code_even_after_a_hyphen(face):
    # A reader would take a "-" at the end of a line for a hyphenation and leave it out.
    code = URL.rpartition("/")[2]
    width = face.width("https://dimoskopio.example/certificates/verify/Zq3-", 12) + 1
    assert wrapped(URL, face, 12, width, ADDRESS_BREAKS)[-1] == code


def test_an_address_never_breaks_between_the_slashes_of_its_scheme(face):
    lines = wrapped(URL, face, 12, face.width("https://dimos", 12), ADDRESS_BREAKS)
    assert lines[0].startswith("https://")
    assert "".join(lines) == URL


@pytest.mark.parametrize("width", [8, 30, 60, 120, 250, 400])
@pytest.mark.parametrize("text", [NAME, URL, "Ann  &  Bob O'Neil", "W" * 30, "a b c d e f g h"])
def test_lines_fit_their_width_and_give_back_the_text(face, text, width):
    lines = wrapped(text, face, 14, width, NAME_BREAKS + ADDRESS_BREAKS)
    assert rejoined(text, lines)
    for line in lines:
        assert line and not line.endswith(" ")
        assert len(line) == 1 or face.width(line, 14) <= width


def test_a_word_wider_than_the_box_is_broken_inside_it(face):
    word = "Χατζηγεωργίου"
    lines = wrapped("Ι " + word, face, 20, face.width(word, 20) / 2, NAME_BREAKS)
    assert lines[0] == "Ι"
    assert len(lines) >= 3
    assert "".join(lines[1:]) == word


def test_a_subset_has_a_glyph_for_every_character_and_shows_text_as_glyph_ids(face):
    font = face.subset(TEXTS)
    for text in TEXTS:
        assert set(text) <= set(font.glyph_ids)
        shown = font.shown(text)
        assert re.fullmatch(rb"<(?:[0-9a-f]{4})*>", shown)
        assert len(shown) == 2 + 4 * len(text)
        assert [int(shown[i:i + 4], 16) for i in range(1, len(shown) - 1, 4)] == [font.glyph_ids[c] for c in text]


def test_a_subsets_program_has_each_characters_outline_and_stated_width(face):
    font = face.subset(TEXTS)
    program = TTFont(io.BytesIO(font.program))
    full = TTFont(FONT)
    order = program.getGlyphOrder()
    units = program["head"].unitsPerEm
    assert len(font.widths) == len(order)
    full_cmap = full.getBestCmap()
    for character in set("".join(TEXTS)):
        name = order[font.glyph_ids[character]]
        assert program["hmtx"].metrics[name][0] * 1000 / units == pytest.approx(font.widths[font.glyph_ids[character]])
        original = full_cmap[ord(character)]
        assert program["hmtx"].metrics[name][0] == full["hmtx"].metrics[original][0]
        glyph, original_glyph = program["glyf"][name], full["glyf"][original]
        assert glyph.numberOfContours == original_glyph.numberOfContours
        coordinates, ends, _ = glyph.getCoordinates(program["glyf"])
        original_coordinates, original_ends, _ = original_glyph.getCoordinates(full["glyf"])
        assert list(coordinates) == list(original_coordinates), character
        assert list(ends) == list(original_ends)


def test_a_subsets_cmap_maps_each_glyph_back_to_its_character(face):
    font = face.subset(TEXTS)
    blocks = re.findall(rb"beginbfchar\n(.*?)\nendbfchar", font.to_unicode(), re.DOTALL)
    pairs = [re.fullmatch(rb"<([0-9a-f]{4})> <([0-9a-f]+)>", entry).groups() for block in blocks
             for entry in block.split(b"\n")]
    assert len(pairs) == len(font.glyph_ids)
    mapped = {int(glyph, 16): bytes.fromhex(code.decode()).decode("utf-16-be") for glyph, code in pairs}
    assert mapped == {glyph: character for character, glyph in font.glyph_ids.items()}


def test_texts_in_the_same_runs_share_one_cached_subset_with_a_six_letter_tag(face):
    assert ord("a") // CHUNK == ord("z") // CHUNK
    font = face.subset(["abc"])
    assert face.subset(["xyz"]) is font
    assert face.subset(["cab", "a"]) is font
    assert face.subset(["Ελένη"]) is not font
    assert re.fullmatch("[A-Z]{6}", font.tag)


def test_a_subsets_objects_are_a_type0_font_and_its_four_parts(face):
    bodies = face.subset(TEXTS).objects(10)
    assert len(bodies) == 5
    assert b"/Subtype /Type0" in bodies[0]
    assert b"/DescendantFonts [11 0 R]" in bodies[0]
    assert b"/ToUnicode 14 0 R" in bodies[0]
    assert b"/FontDescriptor 12 0 R" in bodies[1]
    assert b"/FontFile2 13 0 R" in bodies[2]


def lines_drawn(face: Typeface, box: TextBox, lines: list[str]) -> list[tuple[float, float]]:
    operators = drawn(face.subset(lines), "F1", box, lines).decode()
    assert operators.startswith("BT /F1 ")
    assert operators.endswith("ET\n")
    found = TM.findall(operators)
    assert len(found) == operators.count(" Tm ") == len(lines)
    return [(float(x), float(y)) for x, y, _ in found]


def test_centred_lines_are_centred_in_the_box(face):
    box = TextBox(left=100, width=400, size=18, colour=(0, 0, 0), align="center", top=500, height=120)
    lines = ["Ελένη Μαρκάκη", "W", "Παπαδοπούλου-Χατζηγεωργίου"]
    for (x, _), line in zip(lines_drawn(face, box, lines), lines, strict=True):
        assert x + face.width(line, 18) / 2 == pytest.approx(box.left + box.width / 2, abs=0.01)


def test_lines_on_a_bottom_stack_up_from_it(face):
    box = TextBox(left=50, width=300, size=14, colour=(0.1, 0.2, 0.3), line_height=1.2, bottom=80)
    positions = lines_drawn(face, box, ["one", "two", "three"])
    assert [x for x, _ in positions] == [50, 50, 50]
    baselines = [y for _, y in positions]
    assert baselines == sorted(baselines, reverse=True)
    assert baselines[-1] > box.bottom
    assert baselines[0] - baselines[1] == pytest.approx(1.2 * 14, abs=0.002)


def test_lines_in_a_box_of_a_given_height_are_centred_vertically(face):
    box = TextBox(left=0, width=300, size=16, colour=(0, 0, 0), top=400, height=200)
    baselines = [y for _, y in lines_drawn(face, box, ["one", "two"])]
    assert baselines[0] < box.top
    assert baselines[-1] > box.top - box.height
    # The ink box from the first line's ascent to the last line's descent is as far from the top as
    # from the bottom.
    above = box.top - (baselines[0] + face.ascent * box.size)
    below = (baselines[-1] - face.descent * box.size) - (box.top - box.height)
    assert above == pytest.approx(below, abs=0.002)
