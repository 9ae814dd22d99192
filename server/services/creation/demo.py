"""The demo county's creation campaign: member units, `liaison_demo` (县人武部), a provincial 双拥模范县
standard of 8 categories and 40 items (100 points, target 90) written for 示范县, the responsibility table
with deadlines around today, evidence (small real PDFs and photos), reviews, estimates, 整改 and a trend.

Everything goes through the services (the change log, the audit log and the notifications see it all).
"""

import hashlib
import struct
import zlib
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Area, Attachment, AttachmentUploader, Campaign, Item, User
from ...models.base import utcnow
from ...models.creation import ScoreSnapshot
from .. import users as user_service
from ..actors import Actor
from ..attachments import FileStore
from ..timezone import local_today
from .access import Access
from .evidence import apply_review, create_evidence
from .items import apply_item_change
from .scoring import load_table, totals, week_of
from .standards import create_standard
from .units import create_unit

LIAISON_USERNAME = "liaison_demo"
TARGET = 90.0

# key, name, kind, area name (a township's own area)
UNITS = [
    ("rwb", "县人武部", "armed_forces", None),
    ("bd", "驻县部队", "garrison", None),
    ("tyjr", "县退役军人事务局", "department", None),
    ("xwb", "县委办公室", "department", None),
    ("xcb", "县委宣传部", "department", None),
    ("mz", "县民政局", "department", None),
    ("jy", "县教育局", "department", None),
    ("wj", "县卫健局", "department", None),
    ("rs", "县人社局", "department", None),
    ("cz", "县财政局", "department", None),
    ("zj", "县住建局", "department", None),
    ("yb", "县医保局", "department", None),
    ("cg", "城关镇", "township", "城关镇"),
    ("qs", "青山乡", "township", "青山乡"),
    ("hk", "河口镇", "township", "河口镇"),
]
TOWNS = ["cg", "qs", "hk"]

# Evidence: (title, "pdf" | "photo", review: "accepted" | "returned" | None (awaiting), comment)
A, R, S = "accepted", "returned", None


def _ev(title, kind="pdf", review=A, comment=None):
    return (title, kind, review, comment)


# category → items: (number, content, points, rule, evidence required, metric, lead, cooperating,
#                    deadline in days from today, status, office estimate, loss notes, evidence)
STANDARD = [
    ("组织领导", 10, [
        ("1.1", "县委、县政府将双拥工作纳入国民经济和社会发展规划及年度工作要点", 2,
         "未纳入发展规划扣1分；未列入年度工作要点扣1分", "发展规划、年度工作要点文件", None, "xwb", ["tyjr"], -30,
         "done", 2, None, [_ev("“十四五”规划双拥工作章节"), _ev("2026年县委县政府工作要点")]),
        ("1.2", "成立由县委书记任组长的双拥创建攻坚行动领导小组，每季度至少专题研究一次双拥工作", 2,
         "未成立领导小组扣2分；专题研究少于4次，每少1次扣0.5分", "成立文件、常委会会议纪要", None, "xwb", ["tyjr"],
         -20, "done", 2, None, [_ev("创建攻坚行动领导小组成立文件"), _ev("县委常委会研究双拥工作会议纪要")]),
        ("1.3", "双拥办机构健全、专职人员固定，双拥工作经费列入财政预算并逐年增长", 2,
         "机构或人员不落实扣1分；经费未列入预算或未增长扣1分", "编制文件、预算批复", None, "tyjr", ["cz"], -10,
         "done", 1.5, "工作经费较上年未增长，扣0.5分", [_ev("2026年双拥工作经费预算批复")]),
        ("1.4", "建立军地联席会议、每日例会和每周向领导小组专题汇报制度", 2,
         "制度缺一项扣0.5分；有制度未落实扣1分", "制度文件、例会记录、专题汇报材料", None, "tyjr", ["rwb"], 2,
         "in_progress", 1.5, None, [_ev("每日例会记录（11月）", review=S)]),
        ("1.5", "双拥工作纳入各乡镇、各部门年度目标考核，实行严格奖惩", 2, "未纳入年度考核扣2分",
         "考核办法、考核结果通报", None, "xwb", [], 25, "in_progress", 2, None, []),
    ]),
    ("拥军优属", 15, [
        ("2.1", "积极协调解决部队在战备训练、营房建设、物资保障等方面的实际困难", 3,
         "部队合理诉求每有1件未解决扣1分", "军地协调会议纪要、解决事项清单", None, "rwb", ["bd", "zj", "cz"], -3,
         "in_progress", 2.5, None, [_ev("军地协调会议纪要（第三季度）"), _ev("营区道路改造完工照片", "photo", S)]),
        ("2.2", "落实随军家属就业安置和军人子女入学入托优待政策，解决好官兵“三后”问题", 2,
         "随军家属未安置每人扣0.5分；子女入学优待未落实扣1分", "安置名册、入学优待审批表", None, "rs",
         ["jy", "rwb"], 10, "in_progress", 2, None, [_ev("随军家属就业安置名册", review=S)]),
        ("2.3", "“八一”、春节等重要节日走访慰问驻县部队和优抚对象，走访慰问全覆盖", 3,
         "按走访覆盖率计分：覆盖率 × 3分", "走访慰问记录、照片", "coverage", "tyjr", ["mz", *TOWNS], 85,
         "in_progress", None, None, []),
        ("2.4", "为现役军人家庭悬挂光荣牌、送立功喜报，做到应挂尽挂", 2, "漏挂1户扣0.2分",
         "光荣牌悬挂台账、照片", None, "tyjr", TOWNS, -15, "done", 2, None,
         [_ev("光荣牌悬挂台账"), _ev("光荣牌悬挂照片（城关镇）", "photo")]),
        ("2.5", "落实军人军属、退役军人和其他优抚对象优待证发放和交通、游览等优待", 2,
         "优待证发放率低于95%扣1分；优待项目未落实扣1分", "发放台账、优待公示", None, "tyjr", [], 40,
         "in_progress", 2, None, []),
        ("2.6", "支持国防动员、民兵预备役建设和兵员征集，全面完成征兵任务", 3,
         "未完成征兵任务扣3分；民兵整组不达标扣1分", "征兵工作总结、民兵整组点验材料", None, "rwb", ["jy"], 3,
         "pending_review", 3, None, [_ev("2026年征兵工作总结", review=S), _ev("民兵整组点验照片", "photo", S)]),
    ]),
    ("政策法规落实", 20, [
        ("3.1", "重点优抚对象抚恤补助标准自然增长机制落实到位，按时足额发放", 4,
         "未按标准发放扣4分；发放不及时扣1分", "发放花名册、银行代发凭证", None, "tyjr", ["cz"], -25, "done", 4,
         None, [_ev("2026年抚恤补助发放花名册"), _ev("银行代发凭证")]),
        ("3.2", "优抚对象医疗保障落实到位，实行“一站式”结算", 3, "未实行“一站式”结算扣2分",
         "医疗保障政策文件、结算台账", None, "yb", ["wj", "tyjr"], 12, "in_progress", 3, None, []),
        ("3.3", "全面完成退役士兵安置和军队转业干部接收安置任务", 4, "未完成安置任务每人扣1分",
         "安置计划、安置名单、报到证明", None, "tyjr", ["rs"], 30, "in_progress", 4, None, []),
        ("3.4", "开展自主就业退役士兵职业技能培训，落实就业创业扶持政策", 3, "培训率低于80%扣1分",
         "培训台账、创业扶持资金拨付凭证", None, "rs", ["tyjr"], 20, "in_progress", 2.5, None,
         [_ev("退役士兵技能培训签到表", review=R, comment="缺少培训现场照片和结业证明，请补充")]),
        ("3.5", "县光荣院划转县退役军人事务局管理，提高集中供养服务水平", 3, "未完成划转扣3分",
         "划转文件、光荣院管理制度", None, "mz", ["tyjr"], -8, "in_progress", 1.5,
         "划转文件尚未印发，光荣院仍由民政局管理", []),
        ("3.6", "开展“送温暖”活动，加大对困难优抚对象的应急性、临时性救助力度", 3, "救助不及时每例扣0.5分",
         "救助台账、送温暖活动记录", None, "mz", ["tyjr"], 45, "in_progress", 3, None, []),
    ]),
    ("退役军人服务保障", 12, [
        ("4.1", "退役军人服务中心（站）建设达标，“两站一中心”实现“五有”全覆盖", 3, "每个服务站不达标扣0.5分",
         "建设验收材料、照片", None, "tyjr", TOWNS, -5, "done", 3, None,
         [_ev("退役军人服务站验收照片（青山乡）", "photo")]),
        ("4.2", "退役军人和优抚对象困难诉求及时解决", 3, "按解决率计分：解决率 × 3分", "困难诉求台账",
         "difficulty_resolution", "tyjr", ["mz"], 60, "in_progress", None, None, []),
        ("4.3", "困难诉求限期办结", 2, "按期办结率 × 2分", "办结记录", "difficulty_on_time", "tyjr", [], 60,
         "in_progress", None, None, []),
        ("4.4", "退役军人信息采集和档案管理规范，数据准确完整", 2, "信息采集率低于98%扣1分", "信息采集台账",
         None, "tyjr", TOWNS, 15, "in_progress", 2, None, []),
        ("4.5", "做好退役军人思想政治工作和权益维护，矛盾纠纷及时化解", 2, "发生越级上访的每例扣1分",
         "工作记录、调处台账", None, "tyjr", [], 35, "in_progress", 2, None, []),
    ]),
    ("拥政爱民", 17, [
        ("5.1", "驻县部队积极参加抗洪抢险、火灾扑救等急难险重任务", 5, "有任务未参加的扣2分",
         "任务记录、表彰材料", None, "bd", ["rwb"], -12, "done", 5, None, [_ev("2026年抗洪抢险任务记录")]),
        ("5.2", "部队支援地方经济建设和乡村振兴，开展结对帮扶", 3, "无帮扶项目扣2分", "帮扶协议、项目照片",
         None, "bd", ["rwb", "cg"], 20, "in_progress", 3, None, []),
        ("5.3", "组织官兵开展学雷锋便民志愿服务活动", 3, "全年少于4次扣1分", "活动记录、照片", None, "rwb",
         ["bd"], 5, "in_progress", 3, None, [_ev("学雷锋志愿服务活动照片", "photo")]),
        ("5.4", "协助开展学生军训和少年军校建设", 3, "学生军训覆盖率低于90%扣1分", "军训计划、少年军校挂牌照片",
         None, "rwb", ["jy"], 1, "in_progress", 3, None, [_ev("少年军校挂牌照片", "photo", S)]),
        ("5.5", "部队官兵遵守驻地法规，维护群众利益，军民纠纷及时化解", 3, "发生军民纠纷未及时化解扣2分",
         "纠纷调处记录", None, "bd", ["rwb"], 50, "in_progress", 3, None, []),
    ]),
    ("军民共建", 8, [
        ("6.1", "开展军地共建文明单位、共建社区（村）活动", 2, "未开展扣2分", "共建协议、活动记录", None, "xcb",
         ["bd", "cg"], 28, "in_progress", 2, None, []),
        ("6.2", "推进军民融合发展项目落地", 2, "无项目扣1分", "项目清单", None, "cz", ["rwb"], 40, "not_started",
         2, None, []),
        ("6.3", "开展科技拥军、智力拥军，军地人才双向培养", 2, "未开展扣1分", "培训记录", None, "rwb", ["rs", "jy"],
         -2, "in_progress", 1, "人才双向培养只有计划，缺少培训实施记录", []),
        ("6.4", "设立涉军维权工作站，开展法律拥军", 2, "未设立扣2分", "设立文件、工作台账", None, "tyjr", [], -18,
         "done", 2, None, [_ev("涉军维权工作站设立文件")]),
    ]),
    ("宣传教育", 10, [
        ("7.1", "打造六组双拥示范点位", 2, "每少1组扣0.5分", "点位照片、建设方案", None, "xcb", [*TOWNS, "bd"], 14,
         "in_progress", 1.5, None, [_ev("城关镇双拥广场示范点照片", "photo", S)]),
        ("7.2", "制作一部双拥电视专题片，搞好一组系列报道", 2, "未制作专题片扣1分", "专题片、报道清单", None,
         "xcb", [], 35, "in_progress", 2, None, []),
        ("7.3", "广播电视、网络新媒体开设双拥专栏，宣传双拥模范先进事迹", 2, "未开设专栏扣1分",
         "专栏截图、报道清单", None, "xcb", ["tyjr"], -6, "done", 2, None, [_ev("县融媒体中心双拥专栏截图", "photo")]),
        ("7.4", "设置双拥公益广告牌、宣传栏，抓好一批环境宣传", 2, "主要街道无双拥宣传扣1分", "照片", None, "zj",
         ["xcb", "cg"], 3, "in_progress", 1.5, None, []),
        ("7.5", "组织双拥工作先进单位和先进个人评选表彰", 2, "未组织扣2分", "表彰决定", None, "tyjr", ["xwb"], 75,
         "not_started", 2, None, []),
    ]),
    ("国防教育与双拥氛围", 8, [
        ("8.1", "开展一次全民国防教育系列活动", 2, "未开展扣2分", "活动方案、照片", None, "rwb", ["xcb", "jy"], 9,
         "in_progress", 1.5, None, [_ev("全民国防教育日活动方案", review=S)]),
        ("8.2", "成立爱国拥军志愿者组织，常态化开展拥军活动", 2, "未成立扣2分", "成立文件、活动记录", None,
         "tyjr", [], 20, "in_progress", 2, None, []),
        ("8.3", "国防教育纳入中小学教育和干部教育培训", 2, "未纳入扣1分", "教学计划、培训课表", None, "jy",
         ["xwb"], -10, "done", 2, None, [_ev("中小学国防教育教学计划")]),
        ("8.4", "创建档案资料齐全规范，分类归档", 2, "档案缺项每项扣0.2分", "档案目录", None, "tyjr", [], 70,
         "in_progress", 1.5, None, []),
    ]),
]
# Rectifications ordered from loss notes: item number → (owner, deadline in days from today)
RECTIFICATIONS = {"3.5": ("mz", 7), "6.3": ("rwb", 6)}
# The estimated total of past weeks (oldest first): the dashboard's trend up to this week.
HISTORY = [58.0, 63.5, 68.0, 72.5, 76.0, 79.5, 82.0, 84.0]


def _png(seed: bytes, width: int = 48, height: int = 32) -> bytes:
    """A small solid-colour PNG (a stand-in photo), its colour from the seed."""
    colour = hashlib.sha256(seed).digest()[:3]
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _pdf(seed: bytes) -> bytes:
    """A one-page PDF (a stand-in document) with a valid cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = b"%PDF-1.4\n% " + hashlib.sha256(seed).hexdigest().encode() + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _store(store: FileStore, data: bytes, content_type: str, uploader_id: int) -> str:
    sha = hashlib.sha256(data).hexdigest()
    store.put(sha, data)
    if db.session.get(Attachment, sha) is None:
        db.session.add(Attachment(sha256=sha, content_type=content_type, size=len(data), uploader_id=uploader_id))
    if db.session.get(AttachmentUploader, (sha, uploader_id)) is None:
        db.session.add(AttachmentUploader(sha256=sha, user_id=uploader_id))  # who sent it may name it
    db.session.flush()
    return sha


def seed_creation_demo(admin: Actor, reviewer: Actor, county_id: int, zone: str, password: str) -> None:
    """Load the demo campaign (the caller checked there is none yet)."""
    today = local_today(zone)
    areas = dict(db.session.execute(select(Area.name, Area.id)).all())
    units = {key: create_unit(admin, name, kind, areas.get(area) if area else None, position=index,
                              commit=False).id
             for index, (key, name, kind, area) in enumerate(UNITS, start=1)}
    liaison = user_service.create_user(LIAISON_USERNAME, "赵志刚（县人武部联络员）", password, "liaison", county_id,
                                       unit_id=units["rwb"])
    liaison_actor = Actor(liaison.id, "liaison", county_id, "", device_id="seed-demo")
    campaign = db.session.execute(select(Campaign).order_by(Campaign.starts_on.desc())).scalars().first()
    metric = {"coverage": f"campaign_coverage:{campaign.id}" if campaign else None}
    categories = [{"name": name, "max_points": points, "items": [{
        "number": number, "content": content, "points": item_points, "rule": rule, "evidence_required": evidence,
        "metric": metric.get(bound, bound), "lead_unit_id": units[lead],
        "cooperating_unit_ids": [units[u] for u in cooperating], "deadline": today + timedelta(days=due),
        "milestones": [],
    } for (number, content, item_points, rule, evidence, bound, lead, cooperating, due, *_rest) in items]}
        for name, points, items in STANDARD]
    standard = create_standard(admin, f"{today.year}年省级双拥模范县考评标准（示范县细化）", TARGET, categories,
                               period_start=date(today.year, 1, 1), period_end=date(today.year + 1, 12, 31),
                               commit=False)
    items = {i.number: i for i in db.session.execute(select(Item).where(Item.standard_id == standard.id)).scalars()}
    store = FileStore(current_app.config["ATTACHMENTS_DIR"])
    office, own = Access(reviewer), Access(liaison_actor)
    for _name, _points, rows in STANDARD:
        for number, *_head, lead, _coop, _due, status, estimate, loss_notes, evidence in rows:
            item = items[number]
            for title, kind, review, comment in evidence:
                uploader = own if lead == "rwb" else office
                data = (_pdf if kind == "pdf" else _png)(f"{number}:{title}".encode())
                content_type = "application/pdf" if kind == "pdf" else "image/png"
                sha = _store(store, data, content_type, uploader.actor.user_id)
                piece = create_evidence(uploader, {"item_id": item.id, "sha256": sha, "title": title})
                if review is not None:
                    apply_review(office, piece, "accept" if review == A else "return", comment)
            changes = {"status": status}
            if estimate is not None:
                changes["estimated_score"] = estimate
            if loss_notes:
                changes["loss_notes"] = loss_notes
            if number in RECTIFICATIONS:
                owner, due = RECTIFICATIONS[number]
                changes.update(rectification_unit_id=units[owner], rectification_deadline=today + timedelta(days=due),
                               status="needs_fix")
            apply_item_change(reviewer, office, item, changes)
            if lead == "rwb":  # the lead unit's liaison scores its own item
                apply_item_change(liaison_actor, own, item, {"self_score": estimate or item.points})
    db.session.flush()
    this_week = week_of(today)
    for weeks_ago, estimated in zip(range(len(HISTORY), 0, -1), HISTORY, strict=True):
        db.session.add(ScoreSnapshot(standard_id=standard.id, week=this_week - timedelta(weeks=weeks_ago),
                                     estimated_total=estimated, categories={}, recorded_at=utcnow()))
    db.session.commit()
    estimated, _ = totals(load_table(zone))
    current_app.logger.info("creation demo: %d items, estimated %.1f of 100 (target %.0f)", len(items), estimated,
                            TARGET)


def demo_users() -> tuple[User | None, User | None]:
    admin = db.session.execute(select(User).where(User.username == "admin_demo")).scalar_one_or_none()
    reviewer = db.session.execute(select(User).where(User.username == "reviewer_demo")).scalar_one_or_none()
    return admin, reviewer
