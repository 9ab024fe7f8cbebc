"""Formatting shared by pages, PDFs and notices: hours, absolute links."""
from __future__ import annotations

from decimal import Decimal

from flask import current_app, has_request_context, request


def public_base_url() -> str:
    """Base URL for links that leave the site (QR codes, PDFs, share links)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return "http://127.0.0.1:5000"


def format_yuan(fen: int | None) -> str:
    """Integer fen as ¥1,234.50 (pages, messages and notices alike)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


def format_hours(value) -> str:
    if value is None:
        return ""
    d = Decimal(value).quantize(Decimal("0.1"))
    return f"{d.normalize():f}" if d == d.to_integral() else f"{d:f}"
