"""QR codes made many at a time: a family of codes built from XORs of reference codes must give,
for every address, exactly the modules segno gives it on its own, and the codes must read back."""

import secrets

import pytest
import zxingcpp
from PIL import Image

from events import qr

PREFIX = "https://dimoskopio.example/certificates/verify/"
CODE_LENGTH = len(secrets.token_urlsafe(16))


@pytest.fixture(autouse=True)
def no_families_kept():
    """Each test starts without families and leaves none behind for others."""
    qr._families.clear()
    yield
    qr._families.clear()


def random_addresses(count: int, prefix: str = PREFIX) -> list[str]:
    return [prefix + secrets.token_urlsafe(16) for _ in range(count)]


def segno_codes(addresses: list[str]) -> list[tuple[int, str]]:
    return [qr.modules(address.encode()) for address in addresses]


def decoded(code: tuple[int, str], pixels: int = 4, quiet: int = 4) -> str:
    """The text a barcode reader finds in the code drawn as black and white pixels."""
    width, cells = code
    side = (width + 2 * quiet) * pixels
    image = Image.new("L", (side, side), 255)
    for index, cell in enumerate(cells):
        if cell == "1":
            row, column = divmod(index, width)
            left, top = (column + quiet) * pixels, (row + quiet) * pixels
            image.paste(0, (left, top, left + pixels, top + pixels))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0].text


def test_a_big_batch_of_one_prefix_gets_segnos_codes_through_a_family():
    addresses = random_addresses(qr.FAMILY_FROM + 5)
    assert qr.codes(addresses) == segno_codes(addresses)
    assert (PREFIX.encode(), CODE_LENGTH) in qr._families


def test_a_small_batch_gets_segnos_codes_without_making_a_family():
    addresses = random_addresses(qr.FAMILY_FROM - 1)
    assert qr.codes(addresses) == segno_codes(addresses)
    assert not qr._families


def test_a_family_gives_segnos_code_for_the_edge_bytes_of_ascii():
    edges = ("-_0z~" * 5)[:CODE_LENGTH]
    all_high = "\x7f" * CODE_LENGTH
    all_low = "\x00" * CODE_LENGTH
    extremes = [PREFIX + edges, PREFIX + all_high, PREFIX + all_low, PREFIX + "A" * CODE_LENGTH]
    addresses = random_addresses(qr.FAMILY_FROM) + extremes
    assert qr.codes(addresses) == segno_codes(addresses)
    assert (PREFIX.encode(), CODE_LENGTH) in qr._families


def test_a_known_family_serves_a_later_small_batch_with_segnos_codes():
    qr.codes(random_addresses(qr.FAMILY_FROM))
    later = random_addresses(2)
    assert qr.codes(later) == segno_codes(later)


def test_a_non_ascii_code_in_a_big_batch_falls_back_to_segno():
    greek = "κωδικός"
    # Seven Greek letters are fourteen bytes: padded to the family's length in bytes, the code
    # shares its key with the family and only its bytes being non-ASCII keep it out of it.
    same_length = greek + "x" * (CODE_LENGTH - len(greek.encode()))
    assert len(same_length.encode()) == CODE_LENGTH
    addresses = [*random_addresses(qr.FAMILY_FROM), PREFIX + greek, PREFIX + same_length]
    assert qr.codes(addresses) == segno_codes(addresses)
    assert (PREFIX.encode(), CODE_LENGTH) in qr._families


def test_each_prefix_and_length_in_one_batch_gets_its_own_correct_code():
    other_prefix = "https://dimoskopio.example/c/"
    short = [PREFIX + secrets.token_hex(4) for _ in range(qr.FAMILY_FROM)]
    addresses = [
        *random_addresses(qr.FAMILY_FROM),
        *random_addresses(qr.FAMILY_FROM, other_prefix),
        *short,
        PREFIX + "a",
        PREFIX,
        "no-slash-at-all",
        "https://elsewhere.example/verify/" + secrets.token_urlsafe(16),
    ]
    # Interleaved, so that a code taken from the wrong family could not line up by accident.
    addresses = addresses[::2] + addresses[1::2]
    assert qr.codes(addresses) == segno_codes(addresses)
    assert {(PREFIX.encode(), CODE_LENGTH), (other_prefix.encode(), CODE_LENGTH),
            (PREFIX.encode(), 8)} <= set(qr._families)


def test_codes_made_by_a_family_read_back_as_their_addresses():
    addresses = [*random_addresses(qr.FAMILY_FROM), PREFIX + ("-_0z~" * 5)[:CODE_LENGTH]]
    codes = qr.codes(addresses)
    assert (PREFIX.encode(), CODE_LENGTH) in qr._families
    for index in (0, 17, len(addresses) - 1):
        assert decoded(codes[index]) == addresses[index]


def test_the_families_kept_are_bounded():
    for length in range(1, qr.FAMILIES_KEPT + 3):
        addresses = [PREFIX + secrets.token_hex(8)[:length] for _ in range(qr.FAMILY_FROM)]
        assert qr.codes(addresses) == segno_codes(addresses)
    assert len(qr._families) == qr.FAMILIES_KEPT
