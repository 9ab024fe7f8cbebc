from __future__ import annotations

import click
from flask.cli import AppGroup

from ntbase.db import DomainError, db
from ntbase.enums import Role

ntbase_cli = AppGroup("ntbase", help="NTBase administration commands.")


@ntbase_cli.command("demo")
def demo_command():
    """Load the demo data (the three bases of notice §3); running it twice changes nothing."""
    from ntbase.demo import load_demo

    load_demo()
    db.session.commit()
    click.echo("demo data loaded")


@ntbase_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--base-id", type=int, default=None, help="Required for base_staff.")
@click.option("--name", default="")
def create_user_command(email, password, role, base_id, name):
    """Create a staff, office or admin account."""
    from ntbase.accounts.services import create_user

    try:
        user = create_user(email, password, Role(role), base_id=base_id, display_name=name)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(f"created user {user.id} ({user.role.value})")


@ntbase_cli.command("i18n")
def i18n_command():
    """Merge and compile the translation catalogues."""
    from ntbase.i18n import compile_translations

    for path in compile_translations(force=True):
        click.echo(f"compiled {path}")


def register(group):
    """Let domains add subcommands: ``ntbase.<domain>.cli`` exposing ``register(group)``."""
    return group


def _load_domain_commands():
    import importlib

    for path in ("ntbase.enrollment.cli", "ntbase.certificates.cli", "ntbase.hours.cli",
                 "ntbase.office.cli"):
        try:
            mod = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
        mod.register(ntbase_cli)


_load_domain_commands()
