"""CJK fonts for PDFs (certificates, statements, sample lessons): fpdf2 embeds them.

Noto Sans CJK's collection index 2 is the Simplified Chinese face (index 0 is Japanese);
WenQuanYi Micro Hei is the small fallback (NOTES.md).
"""
from __future__ import annotations

import os

FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
]


def first_installed(extra: list[tuple[str, int]] | None = None) -> tuple[str, int] | None:
    """The first (path, collection index) that exists on this machine."""
    return next(((p, i) for p, i in (extra or []) + FONTS if p and os.path.exists(p)), None)
