"""`flask ntbase hours-policies` (seed the policy table) and `flask ntbase hours-assess`."""
from __future__ import annotations

import click

from ntbase.hours import status
from ntbase.hours.policy import ensure_default_policies
from ntbase.hours.services import assess_learner_year
from ntbase.kernel.uow import unit_of_work


def register(group):
    @group.command("hours-policies")
    def hours_policies():
        """Insert the seed policies (2011: 72 h; 2021: 90/24) and round 5 → 2021 if missing."""
        with unit_of_work():
            ensure_default_policies()
        click.echo("hours policies ensured")

    @group.command("hours-rebuild-status")
    def hours_rebuild_status():
        """Recompute every learner's kept yearly status from the ledger (after an upgrade)."""
        with unit_of_work():
            n = status.rebuild()
        click.echo(f"yearly status rows written: {n}")

    @group.command("hours-assess")
    @click.argument("learner_id", type=int)
    @click.argument("year", type=int)
    @click.option("--lang", default="zh", type=click.Choice(["zh", "en"]))
    def hours_assess(learner_id, year, lang):
        """Print one learner's assessment of YEAR (accepted entries), with the reasons."""
        a = assess_learner_year(learner_id, year)
        data = a.as_contract(lang)
        click.echo(f"{year}: counted {data['counted_total']} / {data['required_total']}, "
                   f"public {data['public_hours']} / {data['required_public']}, complies={data['complies']}")
        for r in data["reasons"]:
            click.echo(f"  [{r['rule']}] {r['message']}")

    return group
