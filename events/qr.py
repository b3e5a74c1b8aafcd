"""QR codes of the verification addresses, many at a time.

segno takes over a millisecond per code, most of a drawn certificate's cost. But for a fixed
version, error level, mask and data length, a QR code's modules are an affine function of its
data bits over GF(2): data codewords carry the bits as they are, Reed-Solomon error correction
is linear, and the placement, the mask and the format information do not depend on the data.
So once segno has made the code of one address with its varying part zeroed, and of each
single bit of that part set, the code of any address of the same prefix and length is the XOR
of those for its bits. A batch's addresses differ only in their last segment (the certificate's
code), so a family made once serves all of them; a few addresses on their own go to segno.
"""

import threading

import segno

ERROR = "m"
# A fixed mask pattern: choosing the best of the eight for every code costs more than the rest of
# a certificate's page, and any of them reads as well at this size. A family needs it fixed too.
MASK = 4
# A family costs seven segno codes per byte of the varying part (about 150 for a certificate's
# code) and serves every later batch of the process with its prefix: made when a batch has at
# least this many addresses of one prefix and length, it pays for itself within a run or two.
FAMILY_FROM = 40
FAMILIES_KEPT = 4
_DARK = bytes.maketrans(b"\x00\x01", b"01")


def _segno(data: bytes) -> segno.QRCode:
    return segno.make(data, error=ERROR, mode="byte", micro=False, mask=MASK, boost_error=False)


def svg(address: str) -> str:
    """The address's QR code as inline SVG, sized by its container."""
    return _segno(address.encode()).svg_inline(scale=1, border=0, omitsize=True)


def modules(data: bytes) -> tuple[int, str]:
    """The QR code of the data in byte mode: its width in modules, and its modules row after row
    ("1" dark, "0" light)."""
    matrix = _segno(data).matrix
    return len(matrix), b"".join(bytes(row).translate(_DARK) for row in matrix).decode()


class Family:
    """The codes of every `prefix` followed by `length` ASCII bytes (an address's code is), as
    XORs of reference codes: one zeroed, and one per bit of the seven of each byte."""

    def __init__(self, prefix: bytes, length: int) -> None:
        self.prefix = prefix
        self.length = length
        self.width, zeroed = modules(prefix + bytes(length))
        self.zero = int(zeroed, 2)
        self.tables = []
        for position in range(length):
            flips = [int(modules(prefix + bytes(position) + bytes([1 << bit]) + bytes(length - position - 1))[1], 2)
                     ^ self.zero for bit in range(7)]
            # Every byte value's contribution, built from the value without its lowest set bit.
            table = [0] * 128
            for value in range(1, 128):
                lowest = value & -value
                table[value] = table[value ^ lowest] ^ flips[lowest.bit_length() - 1]
            self.tables.append(table)

    def modules(self, suffix: bytes) -> tuple[int, str]:
        value = self.zero
        for table, byte in zip(self.tables, suffix, strict=True):
            value ^= table[byte]
        return self.width, format(value, f"0{self.width * self.width}b")


_families: dict[tuple[bytes, int], Family] = {}
_families_lock = threading.Lock()


def _family(prefix: bytes, length: int) -> Family:
    key = (prefix, length)
    with _families_lock:
        if key not in _families:
            if len(_families) >= FAMILIES_KEPT:
                _families.pop(next(iter(_families)))
            _families[key] = Family(prefix, length)
        return _families[key]


def codes(addresses: list[str]) -> list[tuple[int, str]]:
    """Each address's QR code (as `modules` gives it), the same as segno's one by one."""
    encoded = [address.encode() for address in addresses]
    split = [data.rpartition(b"/") for data in encoded]
    groups: dict[tuple[bytes, int], int] = {}
    for head, slash, tail in split:
        groups[head + slash, len(tail)] = groups.get((head + slash, len(tail)), 0) + 1
    result = []
    for data, (head, slash, tail) in zip(encoded, split, strict=True):
        key = (head + slash, len(tail))
        if tail.isascii() and (groups[key] >= FAMILY_FROM or key in _families):
            result.append(_family(*key).modules(tail))
        else:
            result.append(modules(data))
    return result
