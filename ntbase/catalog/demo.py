"""Demo data: a full Art. 22 disclosure and a dozen courses for each of the three bases.

Idempotent: a base that already has a disclosure version keeps it; a course whose title
already exists at its base is skipped. Everything goes through the services, so the demo
obeys the same rules (fee items, hours, rooms, no overlaps) as a base's staff.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from ntbase.bases import services as bs
from ntbase.bases.models import DisclosureVersion, TrainingBase
from ntbase.catalog import services as cs
from ntbase.catalog.models import Course
from ntbase.kernel.db import db, now

DISCLOSURES = {
    "ntvu": {
        "scope": ("面向全市专业技术人员开展公需科目、专业科目和个人选修科目培训；作为市高层次人才培训基地，"
                  "承办高层次人才研修班（按每天8学时计）。", "每年3月至12月分期开班；面授课程一般安排在周五至周日，"
                  "09:00–12:00、13:30–16:30；线上课程全年开放。"),
        "fees": [("公需科目培训费", "200", "每人每期", "授课、讲义、结业考核与培训合格证明"),
                 ("专业科目培训费", "360", "每人每期", "专业授课、实训耗材、结业考核"),
                 ("高层次人才研修费", "800", "每人每期", "专家授课、案例研讨、实地考察"),
                 ("资料费", "50", "每套", "教材与学习资料"),
                 ("线上课程学习费", "120", "每人", "线上学习平台账号、课件与在线测试")],
        "refund": "开课前3天（含）申请退课的，全额退费；开课前3天内申请的，退还80%；开课后不予退费。"
                  "因基地原因取消课程的，全额退费。",
        "teachers": [("王建国", "教授", "南通职业大学", "安全生产、应急管理", "长期从事安全工程教学与研究，主持省级课题多项。"),
                     ("陈晓燕", "副教授", "南通职业大学", "人工智能、数字经济", "南通市数字经济专家库成员。"),
                     ("周海峰", "高级工程师", "南通中远海运川崎船舶工程有限公司", "智能制造、工业互联网", ""),
                     ("刘静", "副教授", "南通大学", "职业道德、心理健康", ""),
                     ("孙立新", "研究员", "南通市科学技术情报研究所", "科研管理、知识产权", "")],
        "managers": [("张慧", "继续教育学院院长", "0513-81050000"), ("李明", "教务科科长", "0513-81050001")],
        "locations": [("崇川校区", "江苏省南通市崇川区青年中路89号", "多媒体教室配投影与扩音设备；报告厅可容纳300人；"
                       "校内食堂、停车场；教学楼设无障碍通道和电梯。",
                       [("继教楼201多媒体教室", 80), ("图书馆报告厅", 300), ("智能制造实训中心", 40)])],
    },
    "ntgm": {
        "scope": ("开展公需科目培训和机械、电气、数控等专业科目培训，主要面向初级、中级专业技术人员。",
                  "每年4月至11月开班，面授课程安排在周六、周日；线上课程随时学习。"),
        "fees": [("公需科目培训费", "180", "每人每期", "授课、讲义、结业考核与培训合格证明"),
                 ("专业科目培训费", "300", "每人每期", "专业授课与实训设备使用"),
                 ("实训耗材费", "80", "每人", "实训材料与工具损耗"),
                 ("线上课程学习费", "100", "每人", "线上课件与在线测试")],
        "refund": "开课前2天申请退课的全额退费；开课后因个人原因退课的不予退费；因基地原因取消的全额退费。",
        "teachers": [("赵卫东", "高级讲师", "南通工贸技师学院", "数控加工、机械制造", ""),
                     ("钱丽", "副教授", "南通工贸技师学院", "电工电子、自动化", ""),
                     ("吴刚", "高级技师", "南通工贸技师学院", "焊接工艺、质量控制", "全国技术能手。"),
                     ("郑雪梅", "讲师", "南通工贸技师学院", "沟通技巧、公文写作", ""),
                     ("冯建华", "正高级工程师", "南通市安全生产协会", "安全生产、法律法规", "")],
        "managers": [("何平", "培训处处长", "0513-85120000"), ("许娜", "培训处干事", "0513-85120001")],
        "locations": [("学院本部", "江苏省南通市崇川区崇川路58号", "数控实训车间、电工电子实训室、多媒体教室；"
                       "提供午餐；校内停车。", [("实训楼101多媒体教室", 60), ("数控实训车间", 30), ("电工实训室", 36)])],
    },
    "ntjsjg": {
        "scope": ("面向建设行业专业技术人员开展公需科目和建筑施工、工程管理、BIM等专业科目培训。",
                  "每年3月至12月分期开班；面授一般为周末两天；线上课程全年开放。"),
        "fees": [("公需科目培训费", "220", "每人每期", "授课、讲义、结业考核与培训合格证明"),
                 ("专业科目培训费", "320", "每人每期", "专业授课、案例资料与考核"),
                 ("资料费", "40", "每套", "规范汇编与教材"),
                 ("线上课程学习费", "120", "每人", "线上课件与在线测试")],
        "refund": "开课前5天申请退课的全额退费；开课前5天内申请的退还70%；开课后不予退费。",
        "teachers": [("黄志强", "正高级工程师", "南通市建筑设计研究院", "建筑结构、质量安全", ""),
                     ("林芳", "高级工程师", "南通市建设工程质量监督站", "质量监督、绿色建筑", ""),
                     ("杨帆", "讲师", "南通市建设技工学校", "BIM技术、装配式建筑", ""),
                     ("徐国庆", "高级经济师", "南通市建设工程造价管理处", "工程造价、合同管理", ""),
                     ("马丽华", "律师", "江苏通城律师事务所", "建设法规", "")],
        "managers": [("顾建新", "培训中心主任", "0513-83560000"), ("朱琳", "教务员", "0513-83560001")],
        "locations": [("学校本部", "江苏省南通市港闸区永兴大道118号", "多媒体教室、BIM机房（60台电脑）、"
                       "建筑实训基地；食堂与停车场。", [("教学楼301", 70), ("BIM机房", 60), ("实训基地报告厅", 150)])],
    },
}

# (title, category, days, fee items [(name, qty)], talent, mode, weeks from now (negative: past), room, teachers,
#  description)
COURSES = {
    "ntvu": [
        ("专业技术人员安全生产知识培训", "public", 4, [("公需科目培训费", 1)], False, "in_person", 2, 1, [0],
         "学习《安全生产法》要点、**风险辨识**与应急处置，结合南通企业典型案例。"),
        ("人工智能与数字经济", "public", 4, [("公需科目培训费", 1)], False, "in_person", 5, 1, [1],
         "人工智能发展趋势、数字经济政策与产业应用。"),
        ("专业技术人员职业道德与诚信建设", "public", 0, [("线上课程学习费", 1)], False, "online", 3, None, [3],
         "线上课程，24学时，可随时学习，完成在线测试后结业。"),
        ("智能制造与工业互联网", "specialized", 3, [("专业科目培训费", 1), ("资料费", 1)], True, "in_person", 7, 2, [2],
         "市高层次人才研修：智能工厂、工业互联网平台与数字孪生。"),
        ("大数据分析与应用", "specialized", 3, [("专业科目培训费", 1)], False, "in_person", 9, 0, [1],
         "数据采集、清洗、可视化与行业应用。"),
        ("新能源汽车技术前沿", "specialized", 2, [("专业科目培训费", 1)], True, "in_person", 11, 2, [2],
         "动力电池、电驱动与智能网联技术。"),
        ("高层次人才创新能力提升研修班", "specialized", 5, [("高层次人才研修费", 1)], True, "in_person", 14, 1, [1, 4],
         "面向副高级以上人才：创新方法、成果转化与团队建设。"),
        ("科研项目申报与管理", "elective", 1, [("资料费", 1)], False, "in_person", 4, 0, [4],
         "各级科研项目申报要点与经费管理。"),
        ("办公软件高级应用", "elective", 0, [("线上课程学习费", 1)], False, "online", 6, None, [1],
         "表格数据处理、演示文稿设计，线上12学时。"),
        ("专利申请与知识产权保护", "elective", 1, [], False, "in_person", 8, 0, [4], "免费讲座：专利申请流程与维权。"),
        ("乡村振兴战略与实践", "public", 4, [("公需科目培训费", 1)], False, "in_person", -40, 1, [3],
         "往期课程：乡村振兴政策解读与南通实践。"),
        ("心理健康与压力管理", "elective", 1, [("资料费", 1)], False, "in_person", -30, 0, [3], "往期课程。"),
    ],
    "ntgm": [
        ("专业技术人员安全生产知识培训", "public", 4, [("公需科目培训费", 1)], False, "in_person", 3, 0, [4],
         "安全生产法律法规、**隐患排查**与事故案例分析。"),
        ("数字化转型与职业技能提升", "public", 4, [("公需科目培训费", 1)], False, "in_person", 6, 0, [1],
         "制造业数字化转型政策与技能提升路径。"),
        ("法治素养与依法履职", "public", 0, [("线上课程学习费", 1)], False, "online", 4, None, [4],
         "线上课程：宪法、民法典与依法履职。"),
        ("数控加工技术新工艺", "specialized", 3, [("专业科目培训费", 1), ("实训耗材费", 1)], False, "in_person", 8, 1,
         [0], "五轴加工、CAM编程与工艺优化。"),
        ("电工电子技术新进展", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", 10, 2, [1],
         "变频调速、PLC与电气安全。"),
        ("工业机器人操作与维护", "specialized", 3, [("专业科目培训费", 1), ("实训耗材费", 1)], False, "in_person", 12, 1,
         [0, 1], "工业机器人编程、示教与日常维护。"),
        ("焊接工艺与质量控制", "specialized", 2, [("专业科目培训费", 1), ("实训耗材费", 1)], False, "in_person", 15, 1,
         [2], "焊接工艺评定与质量检验。"),
        ("沟通技巧与团队协作", "elective", 1, [], False, "in_person", 5, 0, [3], "免费讲座。"),
        ("公文写作实务", "elective", 0, [("线上课程学习费", 1)], False, "online", 7, None, [3], "线上8学时。"),
        ("工匠精神与职业素养", "public", 4, [("公需科目培训费", 1)], False, "in_person", -38, 0, [4], "往期课程。"),
        ("液压与气动技术", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", -28, 1, [0], "往期课程。"),
    ],
    "ntjsjg": [
        ("专业技术人员安全生产知识培训", "public", 4, [("公需科目培训费", 1)], False, "in_person", 2, 2, [0],
         "建设领域**安全生产**责任制与施工现场安全管理。"),
        ("绿色低碳发展与生态文明", "public", 4, [("公需科目培训费", 1)], False, "in_person", 7, 2, [1],
         "双碳目标、绿色建筑与生态文明建设。"),
        ("建设领域法律法规", "public", 0, [("线上课程学习费", 1)], False, "online", 3, None, [4],
         "线上课程：建筑法、招标投标法与建设工程质量管理条例。"),
        ("建筑工程质量安全管理", "specialized", 2, [("专业科目培训费", 1), ("资料费", 1)], False, "in_person", 4, 0,
         [0, 1], "质量通病防治、危大工程安全管理。"),
        ("BIM技术应用", "specialized", 3, [("专业科目培训费", 1)], False, "in_person", 6, 1, [2],
         "BIM建模、碰撞检查与施工模拟（机房上机）。"),
        ("装配式建筑施工技术", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", 9, 0, [2],
         "预制构件生产、吊装与节点连接。"),
        ("建筑节能与绿色建筑", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", 11, 0, [1],
         "节能设计标准与绿色建筑评价。"),
        ("市政工程施工新技术", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", 13, 2, [0],
         "海绵城市、综合管廊施工技术。"),
        ("工程造价实务", "elective", 2, [("专业科目培训费", 1)], False, "in_person", 5, 0, [3], "清单计价与造价控制。"),
        ("建设工程合同管理", "elective", 1, [("资料费", 1)], False, "in_person", 8, 2, [3, 4], "合同订立、变更与索赔。"),
        ("建筑施工安全标准化", "specialized", 2, [("专业科目培训费", 1)], False, "in_person", -36, 0, [0], "往期课程。"),
        ("施工现场消防安全", "public", 4, [("公需科目培训费", 1)], False, "in_person", -26, 2, [1], "往期课程。"),
    ],
}
ONLINE_HOURS = {"专业技术人员职业道德与诚信建设": "24", "办公软件高级应用": "12", "法治素养与依法履职": "24",
                "公文写作实务": "8", "建设领域法律法规": "24"}
STAFF_LEVELS = {"高层次人才创新能力提升研修班": ["sub_senior", "senior"], "数控加工技术新工艺": ["junior", "intermediate"]}
SERIES = {"ntjsjg": ["engineering"], "ntgm": ["engineering"]}
# the full-refund deadline each base's refund policy states (3, 2 and 5 days before the start)
REFUND_CUTOFF_HOURS = {"ntvu": 72, "ntgm": 48, "ntjsjg": 120}


def _disclose(base: TrainingBase, spec: dict) -> None:
    base = bs.load_disclosure(base.id)
    scope_text, terms_text = spec["scope"]
    subjects = ["public", "specialized", "elective"]
    levels = ["junior", "intermediate", "sub_senior", "senior"] if base.is_talent_base else ["junior", "intermediate",
                                                                                             "sub_senior"]
    bs.update_scope(base, subjects=subjects, staff_levels=levels, scope_text=scope_text, terms_text=terms_text,
                    actor_id=None)
    for name, amount, unit, covers in spec["fees"]:
        bs.save_fee_item(base, None, name=name, amount_yuan=amount, unit=unit, covers=covers, actor_id=None)
    bs.update_refund_policy(base, refund_policy=spec["refund"], actor_id=None)
    for name, title, org, subjects_, bio in spec["teachers"]:
        bs.save_teacher(base, None, name=name, title=title, organisation=org, subjects=subjects_, bio=bio,
                        actor_id=None)
    for name, duty, contact in spec["managers"]:
        bs.save_manager(base, None, name=name, duty=duty, contact=contact, actor_id=None)
    for name, address, facilities, rooms in spec["locations"]:
        loc = bs.save_location(base, None, name=name, address=address, facilities=facilities, actor_id=None)
        for room_name, seats in rooms:
            bs.save_room(base, loc, None, name=room_name, seats=seats, actor_id=None)


def _courses(base: TrainingBase, specs: list, today: datetime) -> None:
    base = bs.load_disclosure(base.id)
    existing = set(db.session.scalars(sa.select(Course.title).where(Course.base_id == base.id)))
    fees = {f.name: f for f in base.fee_items if f.active}
    teachers = [t for t in base.teachers if t.active]
    rooms = [r for loc in base.locations if loc.active for r in loc.rooms if r.active]
    for i, (title, category, days, fee_names, talent, mode, weeks, room_idx, teacher_idx, desc) in enumerate(specs):
        if title in existing:
            continue
        # one start date per course of a base (a few days apart) keeps rooms free of overlaps
        start = (today + timedelta(weeks=weeks, days=i % 3)).replace(hour=9, minute=0, second=0, microsecond=0)
        if mode == "online":
            sessions = [cs.SessionInput(start.replace(hour=19), start.replace(hour=21), None)]
        else:
            sessions = [cs.SessionInput(start + timedelta(days=d), start + timedelta(days=d, hours=7, minutes=30),
                                        None) for d in range(days)]
        room = rooms[room_idx] if room_idx is not None else None
        capacity = min(room.seats, 60) if room else 200
        data = cs.CourseInput(
            title=title, category=category, mode=mode, sessions=sessions,
            fee_lines=[cs.FeeLineInput(fees[n].id, q) for n, q in fee_names], is_talent_training=talent,
            hours=ONLINE_HOURS.get(title), teacher_ids=[teachers[t].id for t in teacher_idx],
            room_id=room.id if room else None, capacity=capacity,
            staff_levels=STAFF_LEVELS.get(title, []), profession_series=SERIES.get(base.slug, []),
            enroll_opens_at=start - timedelta(days=45), enroll_closes_at=start - timedelta(days=1),
            refund_cutoff_hours=REFUND_CUTOFF_HOURS.get(base.slug, 24),
            description_md=desc + "\n\n- 结业考核合格者颁发培训合格证明\n- 学时计入年度继续教育学时",
        )
        course = cs.create_course(base, data)
        cs.publish_course(course, now=min(today, start - timedelta(days=45)))


def load() -> None:
    today = now()
    bases = {b.slug: b for b in db.session.scalars(sa.select(TrainingBase).where(
        TrainingBase.slug.in_(list(DISCLOSURES))))}
    for slug, spec in DISCLOSURES.items():
        base = bases.get(slug)
        if base is None:
            continue
        has_version = db.session.scalar(sa.select(sa.exists().where(DisclosureVersion.base_id == base.id)))
        if not has_version:
            _disclose(base, spec)
        _courses(base, COURSES[slug], today)
    db.session.flush()
