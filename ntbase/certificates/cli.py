"""``flask ntbase keys create|rotate|list``: the Ed25519 keys that sign certificates."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ntbase.certificates import signing
from ntbase.kernel.uow import unit_of_work


def register(group) -> None:
    keys = AppGroup("keys", help="Certificate signing keys (private halves live in SIGNING_KEY_DIR).")

    @keys.command("create")
    def create_command():
        """Create a signing key when this server has none it can sign with."""
        with unit_of_work():
            key = signing.active_key(create=False)
            if key is not None:
                click.echo(f"signing key {key.kid} already in use (use 'rotate' for a new one)")
                return
            key = signing.create_key()
        click.echo(f"created signing key {key.kid}")

    @keys.command("rotate")
    def rotate_command():
        """Retire the signing key in use (it keeps verifying) and create a new one."""
        with unit_of_work():
            old = signing.active_key(create=False)
            key = signing.rotate_key()
        click.echo(f"new signing key {key.kid}" + (f"; {old.kid} retired" if old else ""))

    @keys.command("list")
    def list_command():
        """Show every public key and whether it still signs."""
        for k in signing.public_keys_document()["keys"]:
            click.echo(f"{k['kid']}  created {k['created']}  " + (f"retired {k['retired']}" if k["retired"] else "active"))

    group.add_command(keys)
