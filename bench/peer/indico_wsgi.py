"""Indico's WSGI application for gunicorn (Indico ships indico/web/indico.wsgi, not a module).

Imported by the peer venv's gunicorn from bench/peer/ with INDICO_CONFIG set (bench.peer.run).
"""
from indico.web.flask.app import make_app

application = make_app()
