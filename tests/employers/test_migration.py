"""Migration 0008 on a fresh database (SQLite or PostgreSQL): the constraints it adds hold,
and its data step turns free-text employers into invitations where the name matches exactly."""
import importlib.util
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from ntbase.kernel.db import db
from tests.conftest import DB_KIND, create_pg_database, drop_pg_database

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0008_employers.py"


def _migration():
    spec = importlib.util.spec_from_file_location("m0010", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def migrated(make_app, tmp_path):
    url = create_pg_database() if DB_KIND == "postgres" else f"sqlite:///{tmp_path}/m.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()
    if DB_KIND == "postgres":
        drop_pg_database(url)


T = datetime(2026, 1, 5, 9)


def _user(conn, email, role="learner", employer_id=None):
    return conn.execute(sa.text(
        'INSERT INTO "user" (email, password_hash, role, display_name, is_active, password_changed_at, created_at, '
        "updated_at, employer_id) VALUES (:e, 'x', :r, '', true, :t, :t, :t, :emp) RETURNING id"),
        {"e": email, "r": role, "t": T, "emp": employer_id}).scalar_one()


def _profile(conn, user_id, employer_text, n):
    conn.execute(sa.text(
        "INSERT INTO learner_profile (user_id, real_name, id_number_enc, id_number_hash, id_number_masked, mobile, "
        "employer, profession_series, title_level, created_at, updated_at) VALUES (:u, '某某', 'x', :h, 'm', "
        "'13900000000', :emp, 'other', 'junior', :t, :t)"), {"u": user_id, "h": f"{n:064d}", "emp": employer_text, "t": T})


def _employer(conn, name, state, n):
    return conn.execute(sa.text(
        "INSERT INTO employer (name, uscc, kind, district, address, contact_name, contact_phone, state, state_reason, "
        "join_code, created_at, updated_at) VALUES (:n, :u, 'enterprise', 'chongchuan', '', 'x', '0513', :s, '', :j, "
        ":t, :t) RETURNING id"), {"n": name, "u": f"{n:018d}", "s": state, "j": f"CODE{n}", "t": T}).scalar_one()


def test_constraints_added_by_the_migration(migrated):
    with db.engine.connect() as conn:
        employer = _employer(conn, "南通某单位", "active", 1)
        conn.commit()
        _user(conn, "admin@x.cn", "employer_admin", employer)  # allowed
        conn.commit()
        for role, emp in (("employer_admin", None), ("learner", employer), ("base_staff", None)):
            with pytest.raises(IntegrityError):
                _user(conn, f"{role}-bad@x.cn", role, emp)
            conn.rollback()
        learner = _user(conn, "l@x.cn")
        conn.commit()
        with pytest.raises(IntegrityError):  # a payment is for an enrollment or a group, not neither
            conn.execute(sa.text(
                "INSERT INTO payment_intent (learner_id, amount_fen, refunded_fen, currency, provider, provider_ref, "
                "idempotency_key, state, failure_reason, description, return_path, invoice_title, invoice_taxpayer_no, "
                "created_at, updated_at) VALUES (:l, 100, 0, 'CNY', 'sandbox', 'r1', 'k1', 'pending', '', '', '/', '', "
                "'', :t, :t)"), {"l": learner, "t": T})
        conn.rollback()


def test_free_text_employers_become_invitations_where_the_name_matches(migrated):
    m = _migration()
    with db.engine.connect() as conn:
        hospital = _employer(conn, "南通市第一人民医院", "active", 2)
        _employer(conn, "南通待确认单位", "pending", 3)
        matches = []
        for i, text in enumerate(["南通市第一人民医院", " 南通市第一人民医院 ", "南通市第一人民医院东院", "南通待确认单位", ""]):
            uid = _user(conn, f"p{i}@x.cn")
            _profile(conn, uid, text, i + 10)
            matches.append(uid)
        conn.commit()
        assert m.link_profiles_to_employers(conn, T) == 2
        assert m.link_profiles_to_employers(conn, T) == 0  # once only
        conn.commit()
        rows = conn.execute(sa.text("SELECT employer_id, learner_id, state, source FROM employer_membership "
                                    "ORDER BY learner_id")).all()
        assert [tuple(r) for r in rows] == [(hospital, matches[0], "invited", "profile"),
                                            (hospital, matches[1], "invited", "profile")]
        assert conn.execute(sa.text("SELECT count(*) FROM employer_membership_event")).scalar() == 2
