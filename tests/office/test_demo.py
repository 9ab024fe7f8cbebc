import sqlalchemy as sa

from ntbase.kernel.db import db
from ntbase.office.applicants.models import TitleApplication
from ntbase.office.complaints.models import Complaint


def test_demo_is_idempotent(app_ctx):
    from ntbase.demo import load_bases, load_users
    from ntbase.office.applicants import demo as applicants_demo
    from ntbase.office.complaints import demo as complaints_demo

    load_users(load_bases())
    for _ in range(2):
        complaints_demo.load()
        applicants_demo.load()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TitleApplication)) == 1


def test_cli_purges_old_bulk_jobs(app_ctx, office):
    from datetime import timedelta

    from ntbase.kernel.db import now
    from ntbase.office import bulk
    from ntbase.office.bulk.models import BulkJob

    bulk.create_job(office, "a.csv", b"code\nX\n", at=now() - timedelta(days=3))
    db.session.commit()
    result = app_ctx.test_cli_runner().invoke(args=["ntbase", "office", "purge-bulk"])
    assert result.exit_code == 0 and "1 bulk verification jobs deleted" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0
