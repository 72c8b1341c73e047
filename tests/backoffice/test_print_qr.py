"""The printing QR encoder (backoffice/printing/qr.py) against segno, the library it stands in for,
and against a decoder.

segno builds each part of a symbol with its own (slow) functions; here each part of ours is held
to segno's: the version and correction level chosen, the Reed-Solomon blocks, where every
codeword bit lands, the mask chosen and the penalty of every one of the eight masks, the format
and version information. Then ZXing reads every symbol back. The data codewords differ from
segno's in one place on purpose: segno appends a zero byte after the terminator when the data
already ends on a byte boundary (ISO/IEC 18004 7.4.10 pads to the boundary only), so whole
matrices are compared with segno's layout of *our* codewords."""
from __future__ import annotations

import random
from itertools import chain, zip_longest

import pytest
import segno
import zxingcpp
from PIL import Image
from segno import consts
from segno import encoder as segno_encoder

from backoffice.printing import qr

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:?="


def payloads(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lengths = [1, 2, 14, 15, 17, 30, 32, 62, 106, 134, 139, 142, 152, 153, 180, 230, 271, 321, 367, 400]
    out = ["".join(rng.choice(ALPHABET) for _ in range(n)) for n in lengths]
    out += ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 400))) for _ in range(count - len(out))]
    # Shapes we print: signed ticket and credential codes, pairing URLs.
    out += [f"T.{'x' * 20}-{'y' * 20}.k7Qp2Rs9.{'A' * 85}w", "C.cr0123456789abcd.k7Qp2Rs9." + "Zz09_-" * 14 + "Q",
            "https://192.168.1.20:8443/scanner/?pair=K7QH2MX9RA", "http://127.0.0.1:8000/scanner/?pair=AAAAAAAAAA"]
    return out


def codeword_bits(payload: str, symbol: qr.Symbol) -> list[int]:
    codewords = qr._codewords(payload.encode(), symbol.version, symbol.level)
    layout = qr._layout(symbol.version)
    bits = [int(b) for b in format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b")]
    return bits + [0] * (layout.data_modules - len(bits))


def segno_matrix(bits: list[int], version: int, level: int, mask: int | None = None) -> tuple[int, list[str]]:
    """segno's own functions laying out `bits`: function patterns, placement, mask choice, format
    and version information."""
    n = version * 4 + 17
    matrix = segno_encoder.make_matrix(n, n)
    segno_encoder.add_finder_patterns(matrix, n, n)
    segno_encoder.add_alignment_patterns(matrix, n, n)
    segno_encoder.add_codewords(matrix, segno_encoder.Buffer(bits), version)
    mask, matrix = segno_encoder.find_and_apply_best_mask(matrix, n, n, mask)
    segno_encoder.add_format_info(matrix, version, level, mask)
    segno_encoder.add_version_info(matrix, version)
    return mask, ["".join(map(str, row)) for row in matrix]


@pytest.mark.parametrize("seed", [1, 2])
def test_symbols_are_laid_out_and_masked_as_segno_does(seed):
    for payload in payloads(60, seed):
        symbol = qr.encode(payload)
        reference = segno.make_qr(payload, error="m", mode="byte")
        assert (symbol.version, symbol.level) == (reference.version, consts.ERROR_MAPPING[reference.error.upper()])
        mask, rows = segno_matrix(codeword_bits(payload, symbol), symbol.version, symbol.level)
        assert symbol.mask == mask, payload
        assert symbol.rows() == rows, payload


def test_every_mask_scores_what_segno_scores():
    """All eight candidates of each symbol, including lines where finder-like patterns overlap
    (segno's sequential search), which take their own path here."""
    overlapping = 0
    for payload in payloads(80, 3):
        symbol = qr.encode(payload)
        layout = qr._layout(symbol.version)
        placed = layout.place("".join(map(str, codeword_bits(payload, symbol))))
        for pattern in layout.mask_bits:
            candidate = layout.base | (placed ^ pattern)
            text = format(candidate, f"0{layout.total}b")
            rows = [text[i:i + layout.size] for i in range(0, len(text), layout.stride)]
            matrix = [bytearray(int(ch) for ch in row) for row in rows]
            assert qr.penalty(layout, candidate) == sum(segno_encoder.mask_scores(matrix, layout.size, layout.size))
            columns = ["".join(col) for col in zip(*rows)]
            overlapping += sum(1 for line in rows + columns
                               if any(line.find("1011101", i) == i and line.find("1011101", i + d) == i + d
                                      for i in range(len(line)) for d in (4, 6)))
    assert overlapping > 0, "the sample never exercised overlapping finder-like patterns"


def test_error_correction_and_interleaving_are_segnos():
    for payload in payloads(40, 4):
        symbol = qr.encode(payload)
        body = qr._data_codewords(payload.encode(), symbol.version, symbol.level)
        data_blocks, error_blocks = segno_encoder.make_blocks(
            consts.ECC[symbol.version][symbol.level],
            segno_encoder.Buffer([int(bit) for byte in body for bit in format(byte, "08b")]))
        expected = bytes(b for b in chain.from_iterable(zip_longest(*data_blocks)) if b is not None)
        expected += bytes(b for b in chain.from_iterable(zip_longest(*error_blocks)) if b is not None)
        assert qr._codewords(payload.encode(), symbol.version, symbol.level) == expected, payload


def _image(symbol: qr.Symbol, scale: int = 3) -> Image.Image:
    border = 4
    side = (symbol.size + 2 * border) * scale
    image = Image.new("L", (side, side), 255)
    pixels = image.load()
    for r, row in enumerate(symbol.rows()):
        for c, bit in enumerate(row):
            if bit == "1":
                for dy in range(scale):
                    for dx in range(scale):
                        pixels[(c + border) * scale + dx, (r + border) * scale + dy] = 0
    return image


def test_every_symbol_decodes_to_its_payload():
    for payload in payloads(120, 5):
        symbol = qr.encode(payload)
        found = zxingcpp.read_barcodes(_image(symbol), formats=zxingcpp.BarcodeFormat.QRCode)
        assert [r.text for r in found] == [payload]


def test_packed_rows_are_the_matrix_a_row_per_whole_byte():
    symbol = qr.encode("https://192.168.1.20:8443/scanner/?pair=K7QH2MX9RA")
    packed = symbol.packed_rows()
    per_row = (symbol.size + 7) // 8
    assert len(packed) == per_row * symbol.size
    for r, row in enumerate(symbol.rows()):
        bits = format(int.from_bytes(packed[r * per_row:(r + 1) * per_row], "big"), f"0{per_row * 8}b")
        assert bits[:symbol.size] == row and set(bits[symbol.size:]) <= {"0"}


def test_a_payload_too_long_for_any_version_is_refused():
    with pytest.raises(ValueError):
        qr.encode("x" * 3000)
