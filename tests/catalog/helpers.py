"""Catalog test helpers: a base with a complete Art. 22 disclosure, course inputs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.kernel.db import db, now


@dataclass
class Disclosed:
    base: object
    fee: object  # 公需科目培训费 ¥200
    fee2: object  # 资料费 ¥50
    teacher: object
    teacher2: object
    room: object  # 60 seats
    room2: object  # 40 seats
    location: object


def disclose(base, actor_id=None, prefix="") -> Disclosed:
    """Fill in the four parts through the services (each save is a version)."""
    bs.update_scope(base, subjects=["public", "specialized"], staff_levels=["junior", "intermediate"],
                    scope_text="公需科目与专业科目培训", terms_text="每年3月至11月，周末开班", actor_id=actor_id)
    fee = bs.save_fee_item(base, None, name="公需科目培训费", amount_yuan="200", unit="每人",
                           covers="授课、讲义、考核", actor_id=actor_id)
    fee2 = bs.save_fee_item(base, None, name="资料费", amount_yuan="50.00", unit="每套", covers="教材",
                            actor_id=actor_id)
    bs.update_refund_policy(base, refund_policy="开课前3天可全额退费", actor_id=actor_id)
    teacher = bs.save_teacher(base, None, name=prefix + "王建国", title="副教授", organisation="南通大学",
                              subjects="安全生产", bio="", actor_id=actor_id)
    teacher2 = bs.save_teacher(base, None, name=prefix + "李敏", title="高级工程师", organisation="南通建工",
                               subjects="工程质量", bio="", actor_id=actor_id)
    bs.save_manager(base, None, name="陈主任", duty="教务", contact="0513-1234567", actor_id=actor_id)
    loc = bs.save_location(base, None, name="主校区", address="南通市崇川区青年中路89号",
                           facilities="多媒体教室、无障碍通道", actor_id=actor_id)
    room = bs.save_room(base, loc, None, name="A101", seats=60, actor_id=actor_id)
    room2 = bs.save_room(base, loc, None, name="A102", seats=40, actor_id=actor_id)
    db.session.flush()
    return Disclosed(base, fee, fee2, teacher, teacher2, room, room2, loc)


def day(offset_days: int, hour: int = 9, minute: int = 0) -> datetime:
    return (now() + timedelta(days=offset_days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def course_input(d: Disclosed, *, title="专业技术人员安全生产知识培训", days=2, start_day=30, hours=None,
                 category="public", mode="in_person", fee_qty=1, capacity=30, room=None, **kw) -> cs.CourseInput:
    room = room or d.room
    sessions = [cs.SessionInput(day(start_day + i, 9), day(start_day + i, 17), None) for i in range(days)]
    values = dict(title=title, category=category, mode=mode, sessions=sessions,
                  fee_lines=[cs.FeeLineInput(d.fee.id, fee_qty)] if fee_qty else [], hours=hours,
                  teacher_ids=[d.teacher.id], room_id=room.id if mode != "online" else None, capacity=capacity,
                  description_md="安全生产法律法规与**应急处置**")
    values.update(kw)
    return cs.CourseInput(**values)


def published_course(d: Disclosed, **kw):
    c = cs.create_course(d.base, course_input(d, **kw))
    cs.publish_course(c)
    db.session.flush()
    return c


def as_user(login, user, client=None):
    """login(user), also forgetting the user Flask-Login cached on ``g``: the tests keep one
    app context open across requests, so ``g`` outlives a request."""
    from flask import g

    c = login(user, client)
    g.pop("_login_user", None)
    return c
