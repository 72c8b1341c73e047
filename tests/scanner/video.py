"""A fake camera for Chromium: YUV4MPEG2 (.y4m) video of real ticket QR codes, written in pure
Python from segno's module matrix (no Pillow needed). Chromium plays it in a loop as the camera
(--use-file-for-fake-video-capture)."""
from __future__ import annotations

from pathlib import Path

import segno

WIDTH, HEIGHT, FPS = 640, 480, 10
BACKGROUND = 96  # a grey scene around the ticket; luma in video range: 16 black .. 235 white
DARK, LIGHT = 16, 235


def blank_frame(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A scene with no code in it: a soft vertical gradient, so the preview is not a flat card."""
    rows = bytearray()
    for y in range(height):
        rows += bytes([BACKGROUND - 24 + (48 * y) // height]) * width
    return bytes(rows)


def qr_frame(payload: str, width: int = WIDTH, height: int = HEIGHT, fill: float = 0.8) -> bytes:
    """The luma plane of a frame showing `payload` as a QR code on white paper, centred."""
    matrix = segno.make(payload, error="m", micro=False).matrix
    border = 4
    modules = len(matrix) + 2 * border
    scale = int(min(width, height) * fill) // modules
    if scale < 2:
        raise ValueError("QR code too dense for the frame")
    size = modules * scale
    x0, y0 = (width - size) // 2, (height - size) // 2
    background = blank_frame(width, height)
    light_row = bytes([LIGHT]) * size
    out = bytearray(background)
    for module_row in range(modules):
        r = module_row - border
        if 0 <= r < len(matrix):
            cells = [0] * border + list(matrix[r]) + [0] * border
            line = b"".join(bytes([DARK if cell else LIGHT]) * scale for cell in cells)
        else:
            line = light_row
        for dy in range(scale):
            y = y0 + module_row * scale + dy
            out[y * width + x0:y * width + x0 + size] = line
    return bytes(out)


def write_y4m(path: Path, frames: list[bytes], width: int = WIDTH, height: int = HEIGHT, fps: int = FPS) -> Path:
    """Grey-scale frames (luma planes) as a 4:2:0 y4m with neutral chroma."""
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for luma in frames:
            assert len(luma) == width * height
            f.write(b"FRAME\n")
            f.write(luma)
            f.write(chroma)
    return path


def codes_video(path: Path, payloads: list[str], *, blank_s: float = 0.6, code_s: float = 1.0) -> Path:
    """Each payload in turn: `blank_s` of empty scene, then `code_s` of the QR code. The gap
    before each code lets the test measure from the first frame in which the code appears."""
    blank = blank_frame()
    frames: list[bytes] = []
    for payload in payloads:
        frames += [blank] * round(blank_s * FPS)
        frames += [qr_frame(payload)] * round(code_s * FPS)
    return write_y4m(path, frames)


def blank_video(path: Path) -> Path:
    return write_y4m(path, [blank_frame()] * 2)


def timeline_video(path: Path, timeline: list[tuple[float, str | None]]) -> Path:
    """`timeline`: (seconds, payload) in order, None for the empty scene; played in a loop."""
    blank = blank_frame()
    frames: list[bytes] = []
    for seconds, payload in timeline:
        frame = blank if payload is None else qr_frame(payload)
        frames += [frame] * round(seconds * FPS)
    return write_y4m(path, frames)
