"""Deterministic, seeded data generator for benchmarks (sizes S, M, L).

Writes through bulk paths: COPY on PostgreSQL (executemany on SQLite, for small sizes).
Rows are built as plain tuples; column defaults declared on the models are filled in
from the metadata, so the generator follows the schema instead of repeating it.

    python -m bench.generate --size S --database-url postgresql+psycopg://postgres@127.0.0.1/ntbase_bench
"""
from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

SIZES = {
    # bases, courses, learners, enrollments, certificates, ledger entries
    "XS": dict(bases=3, courses=60, learners=500, enrollments=2_000, certificates=800, ledger=3_000,
               employers=3, big_employer=200),
    "S": dict(bases=3, courses=300, learners=5_000, enrollments=20_000, certificates=12_000, ledger=50_000,
              employers=10, big_employer=2_000),
    "M": dict(bases=30, courses=20_000, learners=100_000, enrollments=500_000, certificates=300_000,
              ledger=1_000_000, employers=30, big_employer=5_000),
    "L": dict(bases=150, courses=100_000, learners=500_000, enrollments=2_500_000, certificates=1_500_000,
              ledger=5_000_000, employers=100, big_employer=5_000),
}
# the online course whose heartbeat is benchmarked (issue #12): one learner per wrk connection
ONLINE_LEARNERS = {"XS": 64, "S": 256, "M": 256, "L": 256}
ONLINE_LESSON_SECONDS = 2 * 3600  # long enough never to complete during a run

TOPICS_PUBLIC = ["专业技术人员职业道德与诚信建设", "习近平新时代中国特色社会主义思想概论", "法治素养与依法办事",
                 "知识产权保护与运用", "专业技术人员心理健康与压力管理", "数字经济与数字化转型",
                 "生态文明建设与绿色发展", "安全生产法律法规", "人工智能通识", "长三角一体化发展战略",
                 "科研诚信与学术规范", "网络安全与个人信息保护"]
TOPICS_SPEC = ["建筑工程质量安全管理", "BIM 技术应用实务", "临床护理新进展", "医院感染防控", "会计准则最新解读",
               "税务筹划与风险管理", "中小学课堂教学设计", "职业教育教学改革", "智能制造与工业机器人",
               "新能源汽车维修技术", "水利工程施工技术", "农业种植新技术", "电子商务运营实务", "数据分析与可视化",
               "机械设计前沿", "化工安全生产", "市政道路养护", "电力系统运行与维护", "食品安全检测技术",
               "港口物流管理", "纺织新材料", "船舶设计与制造", "大数据与云计算", "医学影像诊断进展"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志红玉兰玲晨辉鹏宇浩然子涵欣怡梓轩雨桐思远嘉怡俊杰婷婷海燕晓东春梅"
TITLES = ["教授", "副教授", "高级工程师", "讲师", "主任医师", "高级会计师", "正高级教师", "工程师"]
EMPLOYERS = ["南通市第一人民医院", "南通大学附属医院", "南通市建筑设计研究院", "南通中远海运川崎船舶工程有限公司",
             "南通市教育局", "海门区人民医院", "如皋市第一中学", "启东市水利局", "南通供电公司", "通州区财政局",
             "江苏南通二建集团", "南通市农业科学研究院", "崇川区实验小学", "南通港集团", "南通市疾病预防控制中心"]
SERIES = ["engineering", "education", "health", "economics", "accounting", "agriculture", "law", "other"]
LEVELS = ["junior", "intermediate", "sub_senior", "senior"]


@dataclass
class Gen:
    engine: sa.Engine
    rng: random.Random
    sizes: dict
    now: datetime

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))


def _defaults(table: sa.Table) -> dict:
    out = {}
    for col in table.columns:
        d = col.default
        if d is None:
            continue
        if d.is_scalar:
            out[col.name] = d.arg
        elif d.is_callable:
            out[col.name] = d.arg  # called per row
    return out


class Writer:
    """Buffers rows per table and writes them with COPY (PostgreSQL) or executemany."""

    def __init__(self, engine: sa.Engine, metadata: sa.MetaData):
        self.engine = engine
        self.md = metadata
        self.pg = engine.dialect.name == "postgresql"

    def write(self, table_name: str, rows: list[dict]) -> None:
        if not rows:
            return
        table = self.md.tables[table_name]
        defaults = _defaults(table)
        keys = set()
        for r in rows:
            keys.update(r)
        cols = [c.name for c in table.columns if c.name in keys or c.name in defaults]
        json_cols = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}

        def value(row, c):
            if c in row:
                v = row[c]
            elif c not in defaults:
                v = None
            else:
                v = defaults[c]
                if callable(v):
                    v = v(None)
            if hasattr(v, "value") and not isinstance(v, Decimal):
                v = v.value  # enum
            if c in json_cols and v is not None and self.pg:
                v = json.dumps(v, ensure_ascii=False)
            return v

        if self.pg:
            raw = self.engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    quoted = ", ".join(f'"{c}"' for c in cols)
                    with cur.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row([value(row, c) for c in cols])
                raw.commit()
            finally:
                raw.close()
        else:
            with self.engine.begin() as conn:
                conn.execute(table.insert(), [{c: value(r, c) for c in cols} for r in rows])

    def reset_sequences(self) -> None:
        if not self.pg:
            return
        with self.engine.begin() as conn:
            for t in self.md.sorted_tables:
                if "id" in t.columns and t.columns["id"].autoincrement in (True, "auto") and \
                        isinstance(t.columns["id"].type, sa.Integer):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{t.name}\"), 0) + 1, false)")


def generate(database_url: str, size: str, seed: int = 20261129, log=print) -> dict:
    """Fill an empty, migrated database. Returns counts and the sample ids the load runs use."""
    from ntbase import create_app
    from ntbase.accounts.services import create_user
    from ntbase.certificates import codes, signing
    from ntbase.kernel.db import db, now
    from ntbase.kernel.enums import Role
    from ntbase.kernel.security import (
        encrypt_pii,
        hash_password,
        id_hash,
        mask_id_number,
        mask_name,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 8192})
    sizes = SIZES[size]
    rng = random.Random(seed)
    t_start = time.perf_counter()
    sample: dict = {"size": size}
    with app.app_context():
        engine = db.engine
        w = Writer(engine, db.metadata)
        g = Gen(engine, rng, sizes, now().replace(microsecond=0))
        from ntbase.hours.policy import ensure_default_policies  # seeds policy rows

        ensure_default_policies()
        db.session.commit()
        pw = hash_password("Bench-pass-2026")

        # --- bases, teachers, locations, rooms, fee items
        bases, teachers, locations, rooms, fees = [], [], [], [], []
        t_id = l_id = r_id = f_id = 0
        for b in range(1, sizes["bases"] + 1):
            bases.append(dict(id=b, slug=f"bench{b}", name=f"南通市继续教育基地{b:03d}", name_en=f"Bench base {b}",
                              level="city" if b % 3 else "county", staff_levels=LEVELS, status="certified",
                              website=f"https://base{b}.example.invalid/", address=f"南通市崇川区工农路{b}号",
                              is_talent_base=(b % 5 == 1), scope_subjects=["public", "specialized", "elective"],
                              scope_text="公需科目、专业科目培训", terms_text="全年分期开班",
                              refund_policy="开班前 24 小时可全额退款", facilities_text="多媒体教室、实训室"))
            for _ in range(12):
                t_id += 1
                teachers.append(dict(id=t_id, base_id=b, name=g.name(), title=rng.choice(TITLES),
                                     organisation="南通大学", subjects=rng.choice(TOPICS_SPEC), bio="长期从事继续教育教学工作"))
            l_id += 1
            locations.append(dict(id=l_id, base_id=b, name="主校区", address=f"南通市崇川区工农路{b}号",
                                  facilities="多媒体、无障碍通道"))
            for k in range(4):
                r_id += 1
                rooms.append(dict(id=r_id, location_id=l_id, name=f"{k + 1}0{k + 1} 教室", seats=200))
            f_id += 1
            fees.append(dict(id=f_id, base_id=b, name="培训费", amount_fen=100 * rng.choice((100, 150, 200, 300)),
                             unit="每人", covers="授课、资料"))
        w.write("base", bases)
        w.write("teacher", teachers)
        w.write("location", locations)
        w.write("room", rooms)
        w.write("fee_item", fees)
        log(f"bases: {len(bases)}")

        # --- courses and sessions (several years, past and future)
        courses, sessions, ct, lines = [], [], [], []
        s_id = 0
        years = [g.now.year - 3, g.now.year - 2, g.now.year - 1, g.now.year, g.now.year + 1]
        course_meta = []
        for c in range(1, sizes["courses"] + 1):
            b = rng.randint(1, sizes["bases"])
            cat = rng.choices(["public", "specialized", "elective"], (3, 6, 1))[0]
            topic = rng.choice(TOPICS_PUBLIC if cat == "public" else TOPICS_SPEC)
            days = rng.choice((1, 2, 3, 4))
            year = rng.choice(years)
            start = datetime(year, rng.randint(1, 12), rng.randint(1, 28), 9, 0)
            talent = bases[b - 1]["is_talent_base"] and cat != "public" and rng.random() < 0.3
            hours = Decimal(days * (8 if talent else 6))
            price = fees[b - 1]["amount_fen"] if rng.random() < 0.85 else 0
            capacity = rng.choice((40, 60, 80, 120, 200))
            tch = rng.sample(range((b - 1) * 12 + 1, b * 12 + 1), 2)
            names = " ".join(teachers[t - 1]["name"] for t in tch)
            title = f"{topic}（{year}年第{rng.randint(1, 6)}期）"
            desc = f"本课程面向南通市专业技术人员，围绕{topic}的政策、理论与实务展开，结合安全、质量与创新案例教学。"
            room = (b - 1) * 4 + 1 + (c % 4)
            courses.append(dict(id=c, base_id=b, title=title, category=cat, mode="in_person",
                                profession_series=[], staff_levels=[], price_fen=price, hours=hours,
                                is_talent_training=talent, capacity=capacity, seats_taken=0,
                                enroll_opens_at=start - timedelta(days=60), enroll_closes_at=start - timedelta(days=1),
                                refund_policy="开班前 24 小时可全额退款", refund_cutoff_hours=24,
                                description_md=desc, description_html=f"<p>{desc}</p>", status="published",
                                location_id=(b - 1) + 1, room_id=room,
                                first_session_at=start, last_session_at=start + timedelta(days=days - 1, hours=8),
                                search_text=f"{title} {desc} {names}", published_at=start - timedelta(days=60)))
            for d in range(days):
                s_id += 1
                st = start + timedelta(days=d)
                sessions.append(dict(id=s_id, course_id=c, starts_at=st, ends_at=st + timedelta(hours=8), room_id=room))
            for t in tch:
                ct.append(dict(course_id=c, teacher_id=t))
            if price:
                lines.append(dict(course_id=c, fee_item_id=b, quantity=1, amount_fen=price))
            course_meta.append((c, b, cat, hours, capacity, start, start + timedelta(days=days - 1, hours=8), title,
                                price))
        # --- learners
        users, profiles = [], []
        nb_staff = sizes["bases"] + 1
        uid = 0
        for b in range(1, sizes["bases"] + 1):
            uid += 1
            users.append(dict(id=uid, email=f"staff{b}@bench.ntbase", password_hash=pw, role="base_staff", base_id=b,
                              display_name=f"基地{b}管理员"))
        uid += 1
        users.append(dict(id=uid, email="office@bench.ntbase", password_hash=pw, role="office", base_id=None,
                          display_name="职称办"))
        # --- employers (用人单位) and their administrators; the first is the big one whose
        # staff list is benchmarked (issue #13: 5,000 staff at size M)
        from stdnum.cn import uscc as uscc_code

        employers, employer_admins = [], []
        for k in range(1, sizes["employers"] + 1):
            body = f"91320600MA{k:07d}"
            employers.append(dict(id=k, name=EMPLOYERS[k - 1] if k <= len(EMPLOYERS) else f"南通市基准测试单位{k:03d}",
                                  uscc=body + uscc_code.calc_check_digit(body + "0"),
                                  kind="public_institution" if k % 3 else "enterprise", district="chongchuan",
                                  address="南通市崇川区", contact_name="人事科", contact_phone="0513-85000000",
                                  state="active", state_reason="基准测试数据", join_code=f"BENCH{k:03d}",
                                  confirmed_at=g.now, created_at=g.now, updated_at=g.now))
            uid += 1
            users.append(dict(id=uid, email=f"hr{k}@bench.ntbase", password_hash=pw, role="employer_admin",
                              base_id=None, employer_id=k, display_name=f"单位{k}人事"))
            employer_admins.append(uid)
        w.write("employer", employers)
        learner_ids, learner_info = [], {}
        from stdnum.cn import ric

        for i in range(sizes["learners"]):
            uid += 1
            body = f"3206{rng.randint(1, 99):02d}{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i % 1000:03d}"
            idn = body + ric.calc_check_digit(body + "0")
            nm = g.name()
            users.append(dict(id=uid, email=f"l{i}@bench.ntbase", password_hash=pw, role="learner", base_id=None,
                              display_name=nm))
            profiles.append(dict(id=i + 1, user_id=uid, real_name=nm, id_number_enc=encrypt_pii(idn),
                                 id_number_hash=id_hash(idn), id_number_masked=mask_id_number(idn),
                                 mobile=f"13{rng.randint(0, 999999999):09d}", employer=rng.choice(EMPLOYERS),
                                 profession_series=rng.choice(SERIES), title_level=rng.choice(LEVELS)))
            learner_ids.append(uid)
            learner_info[uid] = (nm, idn)
        # unique ID numbers: the keyed hash must be unique; drop duplicates deterministically
        seen = set()
        keep = []
        for p in profiles:
            if p["id_number_hash"] in seen:
                continue
            seen.add(p["id_number_hash"])
            keep.append(p)
        profiles = keep
        w.write("user", users)
        w.write("learner_profile", profiles)
        learner_ids = [p["user_id"] for p in profiles]
        log(f"learners: {len(learner_ids)} ({time.perf_counter() - t_start:.1f}s)")

        # --- current staff memberships: the big employer, then a few hundred each (one current
        # employer per learner, as the partial unique index requires)
        pool = list(learner_ids)
        rng.shuffle(pool)
        memberships, start = [], 0
        for k in range(1, sizes["employers"] + 1):
            n = min(sizes["big_employer"] if k == 1 else rng.randint(20, 400), len(pool) - start)
            for lid in pool[start:start + n]:
                memberships.append(dict(employer_id=k, learner_id=lid, state="active",
                                        department=rng.choice(("内科", "外科", "护理部", "医技科", "行政", "研发部")),
                                        source="invitation", started_on=(g.now - timedelta(days=400)).date(),
                                        responded_at=g.now, created_at=g.now, updated_at=g.now))
            start += n
        w.write("employer_membership", memberships)
        log(f"employers: {len(employers)}, memberships: {len(memberships)}")

        # --- enrollments: per course a distinct sample of learners, within capacity
        enrollments, pays = [], []
        e_id = p_id = 0
        per_course = max(1, sizes["enrollments"] // len(course_meta))
        completed = []
        seats = {}
        for (c, b, cat, hours, capacity, start, end, title, price) in course_meta:
            k = min(capacity, max(1, int(rng.gauss(per_course, per_course / 3))))
            picked = rng.sample(learner_ids, k)
            past = end < g.now
            taken = 0
            for lid in picked:
                e_id += 1
                state = "completed" if past and rng.random() < 0.9 else ("cancelled" if rng.random() < 0.05 else "confirmed")
                if not past and state == "completed":
                    state = "confirmed"
                if state == "confirmed":
                    taken += 1
                enrollments.append(dict(id=e_id, course_id=c, learner_id=lid, state=state, price_fen=price,
                                        confirmed_at=start - timedelta(days=10),
                                        completed_at=end if state == "completed" else None, source="self"))
                if price:
                    p_id += 1
                    pays.append(dict(id=p_id, enrollment_id=e_id, learner_id=lid, amount_fen=price,
                                     refunded_fen=price if state == "cancelled" else 0, provider="sandbox",
                                     provider_ref=f"sbx_bench_{p_id}", idempotency_key=f"bench-{p_id}",
                                     state="refunded" if state == "cancelled" else "succeeded", method="wechat",
                                     succeeded_at=start - timedelta(days=10)))
                if state == "completed":
                    completed.append((e_id, lid, c, b, cat, hours, start, end, title))
            seats[c] = taken
        for row in courses:
            row["seats_taken"] = seats.get(row["id"], 0)
        # --- the online course of the heartbeat row: learners from the end of the list, so the
        # dashboard and enrollment rows (which use the first learners) see the same data as before
        online_learners = learner_ids[-ONLINE_LEARNERS[size]:]
        online = online_course(len(courses) + 1, g.now, online_learners, e_id + 1, app)
        courses.append(online["course"])
        enrollments.extend(online["enrollments"])
        e_id += len(online["enrollments"])
        w.write("course", courses)
        w.write("course_session", sessions)
        w.write("course_teacher", ct)
        w.write("course_fee_line", lines)
        w.write("enrollment", enrollments)
        w.write("learning_chapter", [online["chapter"]])
        w.write("lesson", [online["lesson"]])
        w.write("payment_intent", pays)
        log(f"courses: {len(courses)}, enrollments: {len(enrollments)} ({time.perf_counter() - t_start:.1f}s)")

        # --- certificates (signed) and the matching ledger entries
        key = signing.active_key()
        db.session.commit()
        private = signing._private(key.kid)  # loaded once: signing 10^6 payloads must not reread the PEM

        def sign(payload: dict) -> tuple[str, str, str]:
            text = signing.canonical_json(dict(payload, kid=key.kid))
            return text, signing.b64u(private.sign(text.encode())), key.kid
        certs, ledger = [], []
        rng.shuffle(completed)
        cert_codes = []
        led_id = 0
        for i, (e, lid, c, b, cat, hours, start, end, title) in enumerate(completed[: sizes["certificates"]]):
            code = codes.new_code()
            nm, idn = learner_info[lid]
            payload = {"code": code, "name": mask_name(nm), "course": title, "base": bases[b - 1]["name"],
                       "category": cat, "hours": str(hours), "start": start.date().isoformat(),
                       "end": end.date().isoformat(), "issued": end.isoformat()}
            text, sig, kid = sign(payload)
            certs.append(dict(id=i + 1, code=code, enrollment_id=e, learner_id=lid, course_id=c, base_id=b,
                              holder_name=nm, holder_name_masked=mask_name(nm), holder_id_masked=mask_id_number(idn),
                              holder_id_hash=id_hash(idn), course_title=title, base_name=bases[b - 1]["name"],
                              category=cat, hours=hours, start_date=start.date(), end_date=end.date(), year=end.year,
                              issued_at=end, key_id=kid, payload=text, signature=sig, state="valid"))
            led_id += 1
            ledger.append(dict(id=led_id, learner_id=lid, year=end.year, kind="course", category=cat, hours=hours,
                               title=title, organizer=bases[b - 1]["name"], start_date=start.date(),
                               end_date=end.date(), state="accepted", source="course", enrollment_id=e,
                               certificate_id=i + 1))
            if i < 2000:
                cert_codes.append(code)
        # revoke ~1 %
        for row in certs[::100]:
            row["state"] = "revoked"
            row["revoked_at"] = g.now
            row["revoked_reason"] = "基准测试数据"
        w.write("certificate", certs)
        log(f"certificates: {len(certs)} ({time.perf_counter() - t_start:.1f}s)")

        kinds = [("conference", "specialized"), ("training_class", "specialized"), ("online_course", "public"),
                 ("online_course", "specialized"), ("self_study", "specialized"), ("transfer", "public")]
        remaining = sizes["ledger"] - len(ledger)
        w.write("ledger_entry", ledger)
        ledger_total = len(ledger)
        ledger = []
        for _ in range(max(0, remaining)):
            if len(ledger) >= 200_000:
                w.write("ledger_entry", ledger)
                ledger_total += len(ledger)
                ledger = []
            led_id += 1
            kind, cat = rng.choice(kinds)
            year = rng.choice(years[:-1])
            lid = rng.choice(learner_ids)
            row = dict(id=led_id, learner_id=lid, year=year, kind=kind, category=cat, title=f"{kind} {year}",
                       organizer="外单位", state=rng.choices(["accepted", "pending", "rejected"], (85, 10, 5))[0],
                       source="external")
            if kind in ("conference", "training_class"):
                row["days"] = Decimal(rng.choice((1, 2, 3)))
                row["level"] = rng.choice(("national", "regional", "local")) if kind == "conference" else None
            else:
                row["hours"] = Decimal(rng.choice((6, 8, 12, 24)))
                if kind == "transfer":
                    row["region"] = rng.choice(("shanghai", "zhejiang", "anhui", "jiangsu"))
            ledger.append(row)
        w.write("ledger_entry", ledger)
        ledger_total += len(ledger)
        w.reset_sequences()
        log(f"ledger: {ledger_total} ({time.perf_counter() - t_start:.1f}s)")

        # --- the kept yearly status, as the ledger's services keep it (ntbase.hours.status)
        status_rows = kept_status_rows(engine, g.now.date())
        for i in range(0, len(status_rows), 200_000):
            w.write("yearly_status", status_rows[i:i + 200_000])
        log(f"yearly status: {len(status_rows)} ({time.perf_counter() - t_start:.1f}s)")

        # a few tiny courses for the oversell hammer: future, open, 5 seats each
        sample.update(
            course_ids=[c[0] for c in course_meta if c[5] > g.now][:200] or [1],
            certificate_codes=cert_codes,
            learner_ids=learner_ids[:2000],
            dashboard_learner_ids=learner_ids[:200],
            office_email="office@bench.ntbase",
            # GET /employer/staff as this administrator: the big employer's staff list (issue #13)
            employer_admin_id=employer_admins[0] if employer_admins else None,
            employer_staff=sizes["big_employer"],
            # POST /learn/<enrollment>/lessons/<lesson>/beat: (learner id, enrollment id) pairs
            online_course_id=online["course"]["id"], online_lesson_id=online["lesson"]["id"],
            online_enrollments=[(e["learner_id"], e["id"]) for e in online["enrollments"]],
            counts=dict(bases=len(bases), courses=len(courses), learners=len(learner_ids),
                        enrollments=len(enrollments), certificates=len(certs), ledger=ledger_total,
                        employers=len(employers), memberships=len(memberships),
                        online_learners=len(online["enrollments"])),
            seconds=round(time.perf_counter() - t_start, 1),
        )
        _ = (create_user, Role, nb_staff, key)
    return sample


def online_course(course_id: int, at: datetime, learner_ids: list[int], first_enrollment_id: int, app) -> dict:
    """An online course (published, free, base 1) with one chapter and one 2-hour video lesson,
    and a confirmed enrollment for each of ``learner_ids``. The lesson's file is a short sample
    stored through ``ntbase.media`` (a heartbeat never reads it; the lesson page links it)."""
    title = "公需科目：数字经济与数字化转型（在线）"
    desc = "在线课程：视频学习，按实际观看时长计入学时。"
    course = dict(id=course_id, base_id=1, title=title, category="public", mode="online", profession_series=[],
                  staff_levels=[], price_fen=0, hours=Decimal("2.0"), is_talent_training=False,
                  capacity=max(len(learner_ids), 1), seats_taken=len(learner_ids),
                  enroll_opens_at=at - timedelta(days=30), enroll_closes_at=at + timedelta(days=300),
                  refund_policy="", refund_cutoff_hours=24, description_md=desc, description_html=f"<p>{desc}</p>",
                  status="published", search_text=f"{title} {desc}", published_at=at - timedelta(days=30))
    chapter = dict(id=1, course_id=course_id, position=1, title="第一章 数字经济概论")
    key, ctype, size, sha = store_sample_video(app)
    lesson = dict(id=1, course_id=course_id, chapter_id=1, position=1, title="数字经济概论（视频）", kind="video",
                  duration_seconds=ONLINE_LESSON_SECONDS, media_key=key, media_type=ctype, media_size=size,
                  media_sha256=sha, created_at=at, updated_at=at)
    enrollments = [dict(id=first_enrollment_id + i, course_id=course_id, learner_id=lid, state="confirmed",
                        price_fen=0, confirmed_at=at - timedelta(days=1), source="self")
                   for i, lid in enumerate(learner_ids)]
    return dict(course=course, chapter=chapter, lesson=lesson, enrollments=enrollments)


def store_sample_video(app) -> tuple[str, str, int, str]:
    """A 3-second MP4 (ffmpeg) put into the app's media storage: (key, content type, size, sha256).
    Without ffmpeg, a few placeholder bytes under the same kind of key."""
    import io
    import tempfile
    from pathlib import Path

    from ntbase.media import get_storage

    try:
        from ntbase.media.samples import make_mp4

        with tempfile.TemporaryDirectory() as tmp:
            data = Path(make_mp4(Path(tmp) / "lesson.mp4", seconds=3)).read_bytes()
    except Exception:  # noqa: BLE001 - no ffmpeg: the heartbeat does not need a playable file
        data = b"\0" * 64
    stored = get_storage(app).put(io.BytesIO(data), content_type="video/mp4")
    return stored.key, stored.content_type, stored.size, stored.sha256


def kept_status_rows(engine, today) -> list[dict]:
    """Every learner's yearly status computed with the same pure function the app uses
    (``ntbase.hours.status.compute``), from the accepted entries streamed back in id order."""
    from types import SimpleNamespace

    from ntbase.hours import status
    from ntbase.hours.models import EntryState
    from ntbase.hours.policy import load_rules

    rules, rounds = load_rules()
    rows, current, entries = [], None, []
    at = datetime.now().replace(microsecond=0)

    def flush():
        for year, values in status.compute(current, entries, [], [], rules, rounds, today).items():
            rows.append(dict(learner_id=current, year=year, updated_at=at, **values))

    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=50_000).exec_driver_sql(
            "SELECT learner_id, year, kind, category, days, hours, level, region, title FROM ledger_entry "
            "WHERE state = 'accepted' ORDER BY learner_id")
        for r in result:
            if r.learner_id != current:
                if current is not None:
                    flush()
                current, entries = r.learner_id, []
            entries.append(SimpleNamespace(year=r.year, kind=r.kind, category=r.category, days=r.days, hours=r.hours,
                                           level=r.level, region=r.region, title=r.title,
                                           state=EntryState.ACCEPTED))
        if current is not None:
            flush()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", choices=list(SIZES), default="S")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--out", help="write the sample (ids, codes) as JSON here")
    args = ap.parse_args()
    sample = generate(args.database_url, args.size, args.seed)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(sample, fh, ensure_ascii=False)
    print(json.dumps(sample["counts"]), f"{sample['seconds']}s")


if __name__ == "__main__":
    main()
