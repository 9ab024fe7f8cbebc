from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from ntbase import registry
from ntbase.accounts.services import create_user
from ntbase.demo import load_demo
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.i18n import compile_translations
from ntbase.kernel.jobs import jobs_of
from ntbase.kernel.uow import unit_of_work

ntbase_cli = AppGroup("ntbase", help="NTBase administration commands.")


@ntbase_cli.command("demo")
def demo_command():
    """Load the demo data (the three bases of notice §3); running it twice changes nothing."""
    with unit_of_work():
        load_demo()
    click.echo("demo data loaded")


@ntbase_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--base-id", type=int, default=None, help="Required for base_staff.")
@click.option("--employer-id", type=int, default=None, help="Required for employer_admin.")
@click.option("--name", default="")
def create_user_command(email, password, role, base_id, employer_id, name):
    """Create a staff, office, admin or employer-admin account."""
    try:
        with unit_of_work():
            user = create_user(email, password, Role(role), base_id=base_id, display_name=name,
                               employer_id=employer_id)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"created user {user.id} ({user.role.value})")


@ntbase_cli.command("i18n")
def i18n_command():
    """Merge and compile the translation catalogues."""
    for path in compile_translations(force=True):
        click.echo(f"compiled {path}")


@ntbase_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default: JOBS_WORKERS, 2).")
def worker_command(workers):
    """Run the background jobs and the periodic schedule (Huey consumer) until stopped."""
    jobs = jobs_of()
    if jobs.huey.immediate:
        raise click.ClickException("JOBS_URL=immediate runs jobs where they are enqueued: no worker needed")
    if jobs.url.startswith("memory://"):
        raise click.ClickException("JOBS_URL=memory:// is a queue inside one process: use sqlite:/// or redis://")
    n = workers or current_app.config["JOBS_WORKERS"]
    logging.getLogger("huey").setLevel(logging.INFO)
    click.echo(f"NTBase worker: {n} thread(s), scheduler on; {jobs.describe()}")
    jobs.huey.create_consumer(workers=n, worker_type="thread", periodic=True,
                              check_worker_health=True).run()


@ntbase_cli.command("run-jobs")
def run_jobs_command():
    """Run the jobs waiting in the queue once, here, and exit (where no worker runs)."""
    click.echo(f"ran {jobs_of().run_pending()} job(s)")


def register_domain_commands() -> None:
    for mod in registry.load(registry.CLI):
        mod.register(ntbase_cli)


register_domain_commands()
