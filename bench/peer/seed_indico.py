"""Fill the peer Indico with what bench.peer.run measures; run with Indico's own Python.

    INDICO_CONFIG=bench/peer/data/indico/indico.conf bench/peer/.venv/bin/python bench/peer/seed_indico.py

One admin user, one public category under the root with 20 conference events (a week apart,
from next month on), each with an open registration form holding Indico's standard personal
data section. Idempotent: a second run finds the category and only prints the ids.
Prints one JSON line: {"category_id": …, "events": [[event_id, regform_id], …]}.
"""
from __future__ import annotations

import json
from datetime import timedelta

CATEGORY_TITLE = "NTBase benchmark peer"
EVENTS = 20


def main() -> None:
    from indico.web.flask.app import make_app

    app = make_app()
    with app.test_request_context():
        from flask import session
        from indico.core.db import db
        from indico.modules.categories import Category
        from indico.modules.events.features.util import set_feature_enabled
        from indico.modules.events.models.events import EventType
        from indico.modules.events.operations import create_event
        from indico.modules.events.registration.models.forms import RegistrationForm
        from indico.modules.events.registration.util import create_personal_data_fields
        from indico.modules.users import User
        from indico.util.date_time import now_utc

        category = Category.query.filter_by(title=CATEGORY_TITLE, is_deleted=False).first()
        if category is None:
            user = User.query.filter_by(is_admin=True, is_deleted=False).first()
            if user is None:
                user = User(first_name="Bench", last_name="Admin", email="admin@bench.invalid", is_admin=True)
                db.session.add(user)
                db.session.flush()
            session.set_session_user(user)
            category = Category(parent=Category.get_root(), title=CATEGORY_TITLE, timezone="Asia/Shanghai",
                                description="Conferences for the NTBase/Indico comparison.", acl_entries=set())
            db.session.add(category)
            db.session.flush()
            start = now_utc(exact=False).replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=30)
            for i in range(EVENTS):
                t0 = start + timedelta(days=7 * i)
                event = create_event(category, EventType.conference, {
                    "title": f"Continuing education conference {i + 1:02d}",
                    "description": "<p>Professional development for engineers, teachers and clinicians: "
                                   "policy, practice and case studies.</p>",
                    "start_dt": t0, "end_dt": t0 + timedelta(days=1, hours=8), "timezone": "Asia/Shanghai",
                    "creator": user,
                })
                set_feature_enabled(event, "registration", True)
                regform = RegistrationForm(event=event, title="Registration", currency="CNY",
                                           start_dt=now_utc() - timedelta(days=1), end_dt=t0 - timedelta(days=1),
                                           introduction="Register to attend.", contact_info="bench@example.invalid")
                create_personal_data_fields(regform)
                db.session.add(regform)
                db.session.flush()
            db.session.commit()
        events = []
        for event in sorted(category.events, key=lambda e: e.id):
            if event.is_deleted:
                continue
            forms = [f.id for f in event.registration_forms if not f.is_deleted]
            events.append([event.id, forms[0] if forms else None])
        print(json.dumps({"category_id": category.id, "events": events}))


if __name__ == "__main__":
    main()
