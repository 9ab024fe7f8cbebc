"""The shared kernel: what every domain may import and nothing in it imports a domain.

- ``db``: the SQLAlchemy instance, declarative base, clock, column helpers
- ``errors``: ``DomainError`` and friends, raised by services, mapped to responses in one place
- ``uow``: one unit of work per request (and per CLI command or job)
- ``events``: the in-process domain event bus
- ``history``: the state-history mixin for event tables
- ``audit``: the append-only audit log (who looked at whose data)
- ``security``: ID numbers (encrypt, keyed hash, mask), passwords
- ``tabular``: CSV/XLSX reading and writing with formula escaping and size limits
- ``api``: the /api/v1 blueprint and its OpenAPI helpers
- ``auth``: role decorators and object-level checks
- ``cache``, ``i18n``, ``forms``, ``formatting``, ``enums``, ``extensions``
"""
