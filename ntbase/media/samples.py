"""Small real lesson files made on this machine: a few seconds of MP4 and WebM (ffmpeg's
``testsrc`` picture and ``sine`` tone) and a short PDF (fpdf2). Tests use them, and the demo
loader can make its online lessons from them; each stays well under 300 KB.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

from ntbase.kernel import fonts

FFMPEG_TIMEOUT_SECONDS = 120


class SampleToolMissing(RuntimeError):
    pass


def ffmpeg_path() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise SampleToolMissing("ffmpeg not found: install Debian's ffmpeg (scripts/system-deps.sh)")
    return path


@lru_cache(maxsize=1)
def _encoders() -> str:
    done = subprocess.run([ffmpeg_path(), "-hide_banner", "-encoders"], capture_output=True, text=True,
                          timeout=FFMPEG_TIMEOUT_SECONDS, check=True)
    return done.stdout


def has_encoder(name: str) -> bool:
    return any(line.split()[1:2] == [name] for line in _encoders().splitlines() if line.strip())


def mp4_video_codec() -> str:
    """H.264 where ffmpeg has libx264 (Debian's has), else MPEG-4 part 2."""
    return "libx264" if has_encoder("libx264") else "mpeg4"


def _run(args: list[str]) -> None:
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS)


def _sources(seconds: float, size: str, rate: int, sample_rate: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={sample_rate}:duration={seconds}"]


def make_mp4(path: str | os.PathLike, *, seconds: float = 3, size: str = "320x180", rate: int = 15) -> Path:
    codec = mp4_video_codec()
    video = (["-c:v", "libx264", "-preset", "veryfast", "-crf", "32", "-pix_fmt", "yuv420p"]
             if codec == "libx264" else ["-c:v", "mpeg4", "-q:v", "10", "-pix_fmt", "yuv420p"])
    _run([*_sources(seconds, size, rate, 22050), *video, "-c:a", "aac", "-b:a", "32k",
          "-movflags", "+faststart", "-shortest", os.fspath(path)])
    return Path(path)


def make_webm(path: str | os.PathLike, *, seconds: float = 3, size: str = "320x180", rate: int = 15) -> Path:
    audio = ["-c:a", "libopus", "-b:a", "32k"] if has_encoder("libopus") else ["-c:a", "libvorbis", "-q:a", "0"]
    _run([*_sources(seconds, size, rate, 48000), "-c:v", "libvpx", "-b:v", "120k", "-deadline", "realtime",
          "-cpu-used", "8", *audio, "-shortest", os.fspath(path)])
    return Path(path)


def _cjk_font() -> tuple[str, int] | None:
    return fonts.first_installed()  # the same font choice as certificates


def make_pdf(path: str | os.PathLike, *, title: str = "NTBase sample lesson", pages: int = 2,
             lines: tuple[str, ...] = ()) -> Path:
    """A short A4 PDF; Chinese lines are written only when a CJK font is installed."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creator("NTBase")
    pdf.set_title(title)
    font = _cjk_font()
    if font:
        pdf.add_font("cjk", "", font[0], collection_font_number=font[1])
        family = "cjk"
    else:
        family = "helvetica"
        lines = tuple(line for line in lines if line.isascii())
    body = lines or ("Lesson material for an online course.",)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font(family, "", 20)
        pdf.cell(0, 14, title if family == "cjk" or title.isascii() else "NTBase", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 12)
        for line in body:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 10, f"{n} / {pages}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(os.fspath(path))
    return Path(path)


def make_samples(folder: str | os.PathLike) -> dict[str, Path]:
    """``{"mp4": …, "webm": …, "pdf": …}`` written into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "mp4": make_mp4(folder / "sample.mp4"),
        "webm": make_webm(folder / "sample.webm"),
        "pdf": make_pdf(folder / "sample.pdf", lines=("Lesson material for an online course.",
                                                      "在线课程的学习资料。")),
    }
