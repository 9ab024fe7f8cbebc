"""moto's S3 server on 127.0.0.1, in its own process, for the S3 backend tests.

Run as ``python -m tests.media.s3_server``: binds a free port and prints ``PORT <n>`` once it
is listening; stops on SIGTERM.

moto (5.2) checks neither the expiry nor the signature of presigned URLs: it serves a
presigned GET long after ``X-Amz-Date + X-Amz-Expires``. Real S3 answers 403
``AccessDenied: Request has expired`` then, so this server adds exactly that rule in front
of moto (``PresignedExpiry``); everything else — buckets, multipart uploads, Range, 206,
response header overrides — is moto's own.
"""
from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Request has expired</Message></Error>")


class PresignedExpiry:
    def __init__(self, app, now=lambda: datetime.now(UTC)):
        self.app = app
        self.now = now

    def __call__(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Signature" in query:
            try:
                signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                expires = int(query["X-Amz-Expires"][0])
            except (KeyError, ValueError):
                expires, signed = -1, datetime.min.replace(tzinfo=UTC)
            if self.now() > signed + timedelta(seconds=expires):
                start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                                  ("Content-Length", str(len(EXPIRED)))])
                return [EXPIRED]
        return self.app(environ, start_response)


def main() -> None:
    app = PresignedExpiry(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
