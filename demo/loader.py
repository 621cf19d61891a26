"""The demo: 大丰's 市直部门招商引资百日竞赛 on its 43rd day, as the progress-meeting speech has it.

`build_demo(today=…)` creates one competition whose 100-day window started 42 days ago,
35 departments in four groups with quotas, 150 projects at every stage, investor visits,
and a login for every role. Counted by DOMAIN.md's rule as of `today`, the city-wide
figures are the speech's (SPEECH_FIGURES) by construction: every project follows a
profile whose counted stages are fixed (PROFILES, DEPARTMENTS); a seeded random generator
picks only dates inside the profile's bounds, names, amounts and people. So the same
figures come out whatever day it is run.

Idempotent: groups, departments and users are looked up by their natural keys, and the
dated records are built only together with the competition, in one transaction; a second
run finds the competition and writes nothing. `rebuild=True` first deletes the demo's own
records (its competition, and the projects and visits the demo logins entered). Projects
are numbered as the entry pages number them (XM-<year>-<number>, projects.services.next_code),
in the order they were registered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from competition import services as competition_services
from competition.models import DEFAULT_WEIGHTS, Competition, MetricWeight, Quota
from demo.cards import build_cards
from demo.duplicates import decide_duplicate, plan_duplicate
from demo.notifications import add_demo_notifications, delete_demo_notifications
from demo.review import add_review_examples
from departments.models import Department, DepartmentGroup, Person
from projects import services as project_services
from projects.models import (
    CodeCounter,
    Industry,
    Milestone,
    Project,
    Receipt,
    ReviewStatus,
    SourceChannel,
    Stage,
    Visit,
)
from projects.progress import refresh_progress

COMPETITION_NAME = "市直部门招商引资百日竞赛"
WINDOW_DAYS = 100
DAY_OF_WINDOW = 43  # "百日竞赛活动已经进行了40多天"
SEED = 20090815

# What the speech reports ("130多批次近400名", "开工建设项目5个, 有资金到帐的签约项目9个,
# 签订意向项目34个"), as league totals.
SPEECH_FIGURES = {
    "visit_batches": 132,
    "visitors": 396,
    "intent_projects": 34,
    "funded_projects": 9,
    "groundbreaking_projects": 5,
}
COUNT_LETTERS = {
    "I": "intent_projects",
    "S": "signed_projects",
    "F": "funded_projects",
    "G": "groundbreaking_projects",
}

# A profile: (the stage metrics the project adds inside the window, its records in date
# order). "<" marks a record dated before the window, "?" a pending one, "!" a returned one.
# A stage counts on the earliest counted record of it or a later stage, so e.g. a project
# signed before the window that breaks ground inside it adds only "G".
PROFILES: dict[str, tuple[str, str]] = {
    "groundbreaking": ("ISFG", "lead< intent signed receipt groundbreaking receipt"),
    "groundbreaking_signed_earlier": ("SFG", "lead< intent< signed receipt groundbreaking"),
    "groundbreaking_funded_earlier": (
        "G",
        "lead< intent< signed< receipt< groundbreaking receipt",
    ),
    "funded": ("ISF", "lead< intent signed receipt receipt"),
    "funded_groundbreaking_pending": ("ISF", "lead< intent signed receipt groundbreaking?"),
    "funded_signed_earlier": ("SF", "lead< intent< signed receipt"),
    "funded_signed_earlier_only": ("F", "lead< intent< signed< receipt receipt receipt?"),
    "signed": ("IS", "lead intent signed"),
    "signed_without_intent": ("IS", "lead< signed"),
    "signed_intent_earlier": ("S", "lead< intent< signed"),
    "signed_receipt_pending": ("IS", "lead< intent signed receipt?"),
    "signed_receipt_returned": ("IS", "lead< intent signed receipt!"),
    "signed_then_lost": ("IS", "lead< intent signed lost"),
    "intent": ("I", "lead intent"),
    "intent_signing_pending": ("I", "lead< intent signed?"),
    "intent_signing_returned": ("I", "lead< intent signed!"),
    "intent_then_lost": ("I", "lead intent lost"),
    "intent_pending": ("", "lead intent?"),
    "intent_returned": ("", "lead intent!"),
    "intent_earlier": ("", "lead< intent<"),
    # Funded before the window, another tranche inside it: funds_amount but no funded project.
    "later_tranche": ("", "lead< intent< signed< receipt< receipt"),
    "intent_earlier_lost": ("", "lead< intent< lost"),
    "lead": ("", "lead"),
    "lead_earlier": ("", "lead<"),
    "lead_pending": ("", "lead?"),
    "lead_returned": ("", "lead!"),
    "lead_lost": ("", "lead lost"),
}
# Leads without a further stage fill the demo up to PROJECT_COUNT, drawn with these weights.
LEAD_PROFILES = {
    "lead": 10,
    "lead_earlier": 4,
    "lead_pending": 3,
    "lead_returned": 1,
    "lead_lost": 1,
}
PROJECT_COUNT = 150

ECONOMIC, PARTY, SOCIAL, VERTICAL = "综合经济部门", "党群部门", "社会事业部门", "垂直管理部门"
GROUPS = [ECONOMIC, PARTY, SOCIAL, VERTICAL]
LEAD_WEIGHT = {ECONOMIC: 3, VERTICAL: 2, SOCIAL: 1.5, PARTY: 1}

QUOTA_FIELDS = [
    "visit_batches",
    "visitors",
    "intent_projects",
    "signed_projects",
    "funded_projects",
    "funds_amount",
    "groundbreaking_projects",
]
QUOTAS = {  # in QUOTA_FIELDS order; funds in 万元
    "major": (6, 20, 2, 1, 1, 3000, 1),
    "economic": (5, 15, 2, 1, 1, 1500, 0),
    "economic_gb": (5, 15, 2, 1, 1, 2000, 1),
    "social": (4, 12, 1, 1, 1, 1000, 0),
    "vertical": (4, 12, 1, 1, 1, 1000, 0),
    "vertical_major": (5, 15, 2, 1, 1, 2000, 0),
    "party": (3, 10, 1, 1, 1, 500, 0),
}

# (department, group, visit batches inside the window, quota, projects as "profile:flag").
# Flags: reward (奖励 eligible), near_reward (key-zone industry just under the capital
# threshold), major (≥ 5000万元, not eligible), hightech, agri, staff (a staff member's lead).
DEPARTMENTS: list[tuple[str, str, int, str, list[str]]] = [
    ("发改委", ECONOMIC, 7, "major",
     ["groundbreaking", "funded_signed_earlier:reward", "intent:major", "intent_earlier",
      "lead:major"]),
    ("经信委", ECONOMIC, 8, "major",
     ["groundbreaking:hightech", "funded_signed_earlier_only", "intent_returned:near_reward",
      "intent_earlier_lost", "lead:reward"]),
    ("商务局", ECONOMIC, 10, "major",
     ["groundbreaking", "funded", "intent_earlier_lost",
      "intent_pending:staff", "lead:staff", "lead:staff", "lead_pending:staff",
      "lead_pending:staff", "lead_returned:staff"]),
    ("财政局", ECONOMIC, 4, "economic", ["funded_signed_earlier", "intent"]),
    ("人社局", ECONOMIC, 4, "economic", ["signed", "intent_returned", "later_tranche"]),
    ("国土局", ECONOMIC, 5, "major",
     ["groundbreaking_funded_earlier", "signed_intent_earlier", "intent:reward"]),
    ("住建局", ECONOMIC, 5, "major",
     ["groundbreaking_signed_earlier", "intent", "intent_earlier"]),
    ("交通局", ECONOMIC, 4, "economic_gb", ["signed_receipt_pending"]),
    ("农委", ECONOMIC, 5, "economic", ["signed:agri", "intent_pending:agri"]),
    ("水务局", ECONOMIC, 3, "economic", ["signed_intent_earlier", "intent"]),
    ("科技局", ECONOMIC, 5, "economic",
     ["signed_intent_earlier:hightech", "intent_signing_pending:hightech"]),
    ("统计局", ECONOMIC, 3, "economic", ["intent:major", "intent_pending"]),
    ("审计局", ECONOMIC, 1, "economic", ["intent"]),
    ("物价局", ECONOMIC, 2, "economic", ["signed"]),
    ("组织部", PARTY, 3, "party", ["signed"]),
    ("宣传部", PARTY, 3, "party", ["signed_intent_earlier"]),
    ("统战部", PARTY, 5, "party", ["signed", "later_tranche"]),
    ("政法委", PARTY, 1, "party", ["intent_pending"]),
    ("总工会", PARTY, 3, "party", ["signed"]),
    ("团市委", PARTY, 3, "party", ["signed_intent_earlier", "intent"]),
    ("妇联", PARTY, 2, "party", ["intent_then_lost", "intent_pending"]),
    ("科协", PARTY, 3, "party", ["signed:hightech"]),
    ("教育局", SOCIAL, 3, "social", ["signed_intent_earlier", "intent", "intent_pending"]),
    ("卫生局", SOCIAL, 4, "social", ["signed_then_lost"]),
    ("文广新局", SOCIAL, 3, "social", ["signed"]),
    ("民政局", SOCIAL, 3, "social", ["signed_intent_earlier", "intent", "later_tranche"]),
    ("司法局", SOCIAL, 1, "social", ["intent_signing_pending"]),
    ("环保局", SOCIAL, 3, "social", ["signed_intent_earlier", "intent_returned"]),
    ("旅游局", SOCIAL, 5, "social", ["signed:major", "intent_earlier_lost", "later_tranche"]),
    ("粮食局", SOCIAL, 1, "social", ["intent_signing_returned"]),
    ("工商局", VERTICAL, 5, "vertical", ["signed_without_intent", "later_tranche"]),
    ("国税局", VERTICAL, 4, "vertical", ["signed_receipt_returned"]),
    ("地税局", VERTICAL, 4, "vertical", ["signed", "later_tranche"]),
    ("质监局", VERTICAL, 3, "vertical", ["signed_intent_earlier", "intent"]),
    ("供电公司", VERTICAL, 4, "vertical_major", ["funded_groundbreaking_pending"]),
]  # fmt: skip
OFFICE_GROUP = "竞赛办"  # an auth group carrying the admin permissions
DOMAIN_APPS = ["departments", "projects", "competition"]
VISITS_BEFORE_WINDOW = 14  # received before the window: listed, never counted


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    name: str
    note: str = ""
    departments: tuple[str, ...] = ()  # liaison_for
    department: str | None = None  # where the person works (staff)


# Demo passwords: fixed, ≥ 8 characters of four classes, unlike the usernames.
LOGINS = [
    Login("office1", "Demo-2026-Jsb1", "竞赛办", "王志刚", "竞赛办公室，可进管理后台"),
    Login("leader1", "Demo-2026-Ld01", "领导", "刘建国", "市领导，只读"),
    Login("liaison_sw", "Demo-2026-Sw01", "联络员", "孙丽", "商务局", ("商务局",), "商务局"),
    Login("liaison_fgw", "Demo-2026-Fg01", "联络员", "陈立新", "发改委", ("发改委",), "发改委"),
    Login("liaison_jxw", "Demo-2026-Jx01", "联络员", "周海燕", "经信委", ("经信委",), "经信委"),
    Login(
        "liaison_cztj",
        "Demo-2026-Ct01",
        "联络员",
        "吴卫东",
        "财政局、统计局（一人联络两个部门）",
        ("财政局", "统计局"),
        "财政局",
    ),
    Login("staff_sw", "Demo-2026-Zg01", "职工", "赵敏", "商务局职工，报送了信息", (), "商务局"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
    "曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟陆汪范金石夏顾"
)
GIVEN = (
    "建华 志刚 海燕 卫东 晓明 国平 红梅 永春 新民 建国 立新 爱华 俊杰 文斌 秀英 春华 德明 "
    "玉兰 振宇 桂芳 海峰 小兵 庆丰 宏伟 金龙 亚军 丽娟 志强 学军 长林 国庆 卫华 正清 "
    "美玲 跃进 家明 建军 冬梅 兆林 克俭 雪芹 胜利 月华 荣海 广才 敏 静 勇 军 伟 "
).split()
BRANDS = (
    "宏达 恒润 华茂 金鼎 远航 天成 瑞丰 德润 鼎盛 嘉禾 永信 润泽 新和 锦程 盛世 富源 泰和 "
    "通达 安泰 龙腾 凯盛 正和 亚泰 海纳 万顺 兴隆 博远 嘉信 恒通 长青 瑞华 天润 金海 港泰 "
    "华信 百川 联创 晨光 旭日 中天 振华 东升 科瑞 精工 永盛 裕丰 同创 汇通 蓝海 协和"
).split()
ORIGINS = {  # origin region: (weight, cities investors write before their name)
    "上海": (6, ["上海"]),
    "苏州": (3, ["苏州", "昆山", "张家港"]),
    "无锡": (2, ["无锡", "江阴"]),
    "常州": (1, ["常州"]),
    "南通": (1, ["南通"]),
    "南京": (1, ["南京"]),
    "浙江": (2, ["杭州", "宁波", "温州", "绍兴"]),
    "广东": (1, ["深圳", "东莞"]),
    "山东": (1, ["青岛"]),
    "北京": (1, ["北京"]),
    "香港": (1, ["香港"]),
    "台湾": (1, ["台湾"]),
    "韩国": (1, ["韩国"]),
    "大丰": (1, ["大丰"]),  # 以企招商: an investor already here brings the next one
}
PRODUCTS = {  # industry: [(product, high-tech)]; 三产项目多工业项目少, 低档次多高科技少
    Industry.INDUSTRIAL: [
        ("年产500套风电塔筒及法兰", False),
        ("兆瓦级风电叶片配套", True),
        ("汽车零部件精密铸造", False),
        ("年产3万吨不锈钢精密管材", False),
        ("锂电池隔膜新材料", True),
        ("光伏组件封装材料", True),
        ("纺织服装加工", False),
        ("数控机床功能部件", True),
        ("LED照明器件", True),
        ("医药中间体", True),
        ("海产品精深加工", False),
        ("木业板材加工", False),
        ("环保水处理设备", True),
        ("智能电网配电设备", True),
        ("船舶配件制造", False),
        ("差别化化纤", False),
        ("食品包装材料", False),
        ("电动工具", False),
        ("电子元器件", True),
        ("特种电缆", False),
        ("植保农机装备", False),
        ("钢结构件", False),
        ("饲料加工", False),
        ("户外家具", False),
    ],
    Industry.SERVICES: [
        ("港口物流园", False),
        ("商贸综合体", False),
        ("连锁酒店", False),
        ("电子商务产业园", False),
        ("冷链物流中心", False),
        ("汽车4S店", False),
        ("职业技能培训中心", False),
        ("民营医院", False),
        ("养老服务中心", False),
        ("麋鹿生态旅游配套", False),
        ("农产品批发市场", False),
        ("服务外包基地", True),
        ("建材家居市场", False),
        ("小额贷款公司", False),
        ("文化创意园", False),
        ("沿海滩涂观光", False),
    ],
    Industry.AGRICULTURE: [
        ("设施蔬菜基地", False),
        ("稻麦良种繁育", True),
        ("生态养殖基地", False),
        ("海水养殖", False),
        ("花卉苗木基地", False),
        ("有机大米加工", False),
    ],
}
INDUSTRY_WEIGHTS = {Industry.SERVICES: 9, Industry.INDUSTRIAL: 7, Industry.AGRICULTURE: 3}
INVESTOR_SUFFIX = {
    Industry.INDUSTRIAL: ["机械有限公司", "科技有限公司", "实业有限公司", "新材料有限公司"],
    Industry.SERVICES: ["投资管理有限公司", "置业有限公司", "物流有限公司", "商贸有限公司"],
    Industry.AGRICULTURE: ["农业发展有限公司", "生态农业有限公司"],
}
KEY_ZONES = ["经济开发区", "港经济区"]  # settings.REWARD_ZONES' defaults: 两区
ZONES = {"经济开发区": 4, "港经济区": 2, "城东新区": 3}
TOWNS = (
    "大中镇 草堰镇 白驹镇 刘庄镇 西团镇 小海镇 新丰镇 草庙镇 万盈镇 南阳镇 三龙镇 大桥镇".split()
)
SMALL_INVESTMENTS = [200, 300, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000, 3500, 4000, 4800]
CHANNEL_WEIGHTS = {
    SourceChannel.CLASSMATE: 2,
    SourceChannel.COMRADE: 1,
    SourceChannel.COLLEAGUE: 2,
    SourceChannel.INVESTOR_REFERRAL: 3,
    SourceChannel.RESIDENT_STATION: 3,
    SourceChannel.DOOR_KNOCKING: 2,
    SourceChannel.FAIR: 2,
    SourceChannel.INTERNET: 1,
}
LOST_REASONS = [
    "投资方资金链紧张，项目暂缓并转投邻市。",
    "邻市给出更优惠的土地价格，客商转投他地。",
    "跟踪服务不到位，客商三次来丰未得到答复，项目流失，已追究责任人责任。",
    "用地指标一时无法落实，投资方放弃。",
    "投资方战略调整，收缩国内投资。",
]
RETURN_REASONS = {
    "lead": ["信息过于笼统，缺少投资方名称和联系人，请补充后再报。"],
    "intent": ["意向书缺少投资方盖章，请补充。", "意向书日期与佐证材料不符，请核对。"],
    "signed": ["合同复印件不清晰，请上传合同原件扫描件。", "合同甲方不是本市主体，请核对。"],
    "receipt": ["到账凭证收款方不是项目公司，不予认定。"],
    "groundbreaking": ["开工照片不能证明实质性开工，请补充施工许可证。"],
}
VISIT_PURPOSES = [
    "考察投资环境",
    "实地考察经济开发区",
    "考察大丰港码头及物流条件",
    "洽谈合作意向",
    "商谈用地及优惠政策",
    "回访已落户企业，以商引商",
    "参加项目推介会",
]
MILESTONES = {
    "lead": Stage.LEAD,
    "intent": Stage.INTENT,
    "signed": Stage.SIGNED,
    "groundbreaking": Stage.GROUNDBREAKING,
}


@dataclass
class RecordPlan:
    kind: str  # a MILESTONES key, "receipt" or "lost"
    on: date
    status: str = ReviewStatus.VERIFIED
    amount: Decimal | None = None
    return_reason: str = ""


@dataclass
class ProjectPlan:
    department: str
    profile: str
    flag: str
    fields: dict
    records: list[RecordPlan]
    code: str = ""

    @property
    def first_on(self) -> date:
        return self.records[0].on

    @property
    def lost_on(self) -> date | None:
        return next((r.on for r in self.records if r.kind == "lost"), None)


@dataclass
class VisitPlan:
    department: str
    on: date
    persons: int
    investor_org: str
    host: str
    purpose: str
    project: ProjectPlan | None = None


@dataclass
class DemoResult:
    competition: Competition
    created: bool
    today: date
    logins: list[Login]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def day(self) -> int:
        return (self.today - self.competition.start_date).days + 1


def window_for_today(*, today: date) -> tuple[date, date]:
    """The demo competition's dates: today is day DAY_OF_WINDOW of WINDOW_DAYS."""
    start = today - timedelta(days=DAY_OF_WINDOW - 1)
    return start, start + timedelta(days=WINDOW_DAYS - 1)


def expected_totals() -> dict[str, int]:
    """The city-wide stage counts the profiles of DEPARTMENTS add up to, and the batches.

    (Persons are spread over the batches to add up to the speech's figure: plan_visits.)
    """
    totals = {metric: 0 for metric in COUNT_LETTERS.values()}
    for *_, plans in DEPARTMENTS:
        for plan in plans:
            for letter in PROFILES[plan.split(":")[0]][0]:
                totals[COUNT_LETTERS[letter]] += 1
    totals["visit_batches"] = sum(row[2] for row in DEPARTMENTS)
    return totals


def build_demo(*, today: date, rebuild: bool = False) -> DemoResult:
    """Load the demo as of `today` in one transaction (see the module docstring).

    `today` must not be after the real local date: records are validated like any entry.
    """
    with transaction.atomic():
        if rebuild:
            delete_demo()
        existing = Competition.objects.filter(name=COMPETITION_NAME).first()
        if existing is not None:
            return DemoResult(competition=existing, created=False, today=today, logins=LOGINS)
        if _demo_projects().exists() or _demo_visits().exists():
            raise DemoConflict("库中已有演示项目或接待记录，但没有演示竞赛；请用 --rebuild 重建。")
        return _Builder(today=today).build()


class DemoConflict(Exception):
    """The database holds part of a demo that cannot be completed without a rebuild."""


def delete_demo() -> None:
    """Delete the demo's own records; departments, groups and users stay."""
    Competition.objects.filter(name=COMPETITION_NAME).delete()
    _demo_projects().delete()
    _demo_visits().delete()
    delete_demo_notifications(usernames=_demo_usernames())
    # The rebuilt demo is numbered afresh: each counter starts again past the codes
    # that remain (projects.services.next_code), so no number in use is given twice.
    CodeCounter.objects.filter(prefix=project_services.CODE_PREFIX).delete()


def _demo_usernames() -> list[str]:
    return [login.username for login in LOGINS]


def _demo_projects():
    """The projects a demo login created (their codes look like any other's)."""
    created = Project.history.filter(history_type="+", history_user__username__in=_demo_usernames())
    return Project.objects.filter(pk__in=created.values("id"))


def _demo_visits():
    return Visit.objects.filter(logged_by__username__in=_demo_usernames())


class _Builder:
    def __init__(self, *, today: date):
        self.today = today
        self.start, self.end = window_for_today(today=today)
        self.rng = random.Random(SEED)
        self.used_names: set[str] = set()
        self.used_projects: set[str] = set()

    # -- planning: pure, deterministic ---------------------------------------------------

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    def person_name(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used_names and name not in {lg.name for lg in LOGINS}:
                self.used_names.add(name)
                return name

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def investor(self, industry: str) -> tuple[str, str, str]:
        """(brand, investor name, origin region)."""
        origin = self.rng.choices(list(ORIGINS), weights=[w for w, _ in ORIGINS.values()])[0]
        city = self.rng.choice(ORIGINS[origin][1])
        brand = self.rng.choice(BRANDS)
        suffix = self.rng.choice(INVESTOR_SUFFIX.get(industry, INVESTOR_SUFFIX[Industry.SERVICES]))
        return brand, f"{city}{brand}{suffix}", origin

    def project_fields(self, flag: str, *, funded: bool = False) -> dict:
        industry = {
            "reward": Industry.INDUSTRIAL,
            "near_reward": Industry.INDUSTRIAL,
            "hightech": Industry.INDUSTRIAL,
            "agri": Industry.AGRICULTURE,
            "major": Industry.SERVICES,
        }.get(flag) or self.pick(INDUSTRY_WEIGHTS)
        products = PRODUCTS[industry]
        if flag in ("reward", "hightech"):
            products = [p for p in products if p[1]]
        while True:
            product, high_tech = self.rng.choice(products)
            brand, investor, origin = self.investor(industry)
            name = f"{brand}{product}项目"
            if name not in self.used_projects:
                self.used_projects.add(name)
                break
        zone = self.pick(ZONES) if self.rng.random() < 0.7 else self.rng.choice(TOWNS)
        # Only flagged projects are major (≥ 5000万元): 小项目多大项目少.
        investment = self.rng.choices(SMALL_INVESTMENTS, weights=range(14, 0, -1))[0]
        if industry == Industry.AGRICULTURE:
            investment = min(investment, 2000)
        if funded:  # a project paying in tranches is not among the smallest
            investment = max(investment, self.rng.choice([1000, 1500, 2000, 3000]))
        capital = max(50, round(investment * self.rng.choice([0.2, 0.3, 0.4, 0.5]) / 50) * 50)
        if flag == "reward":
            zone = self.rng.choice(KEY_ZONES)
            investment = self.rng.choice([8000, 10000, 12000, 15000])
            capital = self.rng.choice([2500, 3000, 5000])
        elif flag == "near_reward":  # major, but registered capital under 2024万元
            zone, investment, capital = KEY_ZONES[0], 6000, 2000
        elif flag == "major":  # a large service project: major, never reward-eligible
            zone = "城东新区"
            investment = self.rng.choice([6000, 8000, 20000, 30000])
            capital = investment // 5
        channel = self.pick(CHANNEL_WEIGHTS)
        if flag == "staff":  # 老同学、老战友、老同事
            channel = self.rng.choice(
                [SourceChannel.CLASSMATE, SourceChannel.COMRADE, SourceChannel.COLLEAGUE]
            )
        elif origin == "大丰":
            channel = SourceChannel.INVESTOR_REFERRAL
        return {
            "name": name,
            "investor": investor,
            "industry": industry,
            "is_high_tech": high_tech,
            "planned_investment": Decimal(investment),
            "registered_capital": Decimal(capital),
            "zone": zone,
            "origin_region": origin,
            "source_channel": channel,
        }

    def records(self, steps: str, investment: Decimal) -> list[RecordPlan]:
        parsed = []
        for token in steps.split():
            before = "<" in token
            status = ReviewStatus.VERIFIED
            if token.endswith("?"):
                status = ReviewStatus.PENDING
            elif token.endswith("!"):
                status = ReviewStatus.RETURNED
            parsed.append((token.strip("<?!"), before, status))
        # Distinct days: before the window within the last 80 days, inside it up to today.
        n_before = sum(1 for _, before, _ in parsed if before)
        days = sorted(self.rng.sample(range(-80, 0), n_before)) + sorted(
            self.rng.sample(range(0, DAY_OF_WINDOW), len(parsed) - n_before)
        )
        plans = []
        for (kind, _, status), offset in zip(parsed, days, strict=True):
            plan = RecordPlan(kind=kind, on=self.day(offset), status=status)
            if kind == "receipt":  # one tranche: 10-40% of the planned investment
                share = Decimal(self.rng.choice([10, 15, 20, 25, 30, 40])) / 100
                plan.amount = max(Decimal(50), (investment * share / 10).quantize(1) * 10)
            if status == ReviewStatus.RETURNED:
                plan.return_reason = self.rng.choice(RETURN_REASONS[kind])
            plans.append(plan)
        return plans

    def plan_projects(self) -> list[ProjectPlan]:
        wanted = [(name, plan) for name, _, _, _, plans in DEPARTMENTS for plan in plans]
        lead_departments = [row[0] for row in DEPARTMENTS]
        lead_weights = [LEAD_WEIGHT[row[1]] for row in DEPARTMENTS]
        while len(wanted) < PROJECT_COUNT:
            department = self.rng.choices(lead_departments, weights=lead_weights)[0]
            wanted.append((department, self.pick(LEAD_PROFILES)))
        plans = []
        for department, spec in wanted:
            profile, _, flag = spec.partition(":")
            fields = self.project_fields(flag, funded="receipt" in PROFILES[profile][1])
            records = self.records(PROFILES[profile][1], fields["planned_investment"])
            plans.append(ProjectPlan(department, profile, flag, fields, records))
        return plans

    def plan_visits(self, projects: list[ProjectPlan], heads: dict[str, str]) -> list[VisitPlan]:
        # Persons per batch between 1 and 12 summing to the speech's figure exactly:
        # start from typical sizes, then move persons one at a time.
        batches = sum(row[2] for row in DEPARTMENTS)
        persons = self.rng.choices([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8], k=batches)
        while sum(persons) != SPEECH_FIGURES["visitors"]:
            i = self.rng.randrange(batches)
            if sum(persons) > SPEECH_FIGURES["visitors"] and persons[i] > 1:
                persons[i] -= 1
            elif sum(persons) < SPEECH_FIGURES["visitors"] and persons[i] < 12:
                persons[i] += 1
        slots = [(name, False) for name, _, n, _, _ in DEPARTMENTS for _ in range(n)]
        slots += [(self.rng.choice(DEPARTMENTS)[0], True) for _ in range(VISITS_BEFORE_WINDOW)]
        persons += [self.rng.choice([2, 3, 4]) for _ in range(VISITS_BEFORE_WINDOW)]
        visits = []
        for (department, before), count in zip(slots, persons, strict=True):
            on = self.day(
                self.rng.randrange(-30, 0) if before else self.rng.randrange(DAY_OF_WINDOW)
            )
            open_projects = [
                p
                for p in projects
                if p.department == department
                and p.first_on <= on
                and (p.lost_on is None or on <= p.lost_on)
            ]
            project = None
            if open_projects and self.rng.random() < 0.45:
                project = self.rng.choice(open_projects)
            if project is not None:
                investor = project.fields["investor"]
                purpose = f"洽谈{project.fields['name']}"
            else:
                investor = self.investor(self.pick(INDUSTRY_WEIGHTS))[1]
                purpose = self.rng.choice(VISIT_PURPOSES)
            host = heads[department] if self.rng.random() < 0.7 else self.person_name()
            visits.append(VisitPlan(department, on, count, investor, host, purpose, project))
        return sorted(visits, key=lambda v: v.on)

    # -- writing -------------------------------------------------------------------------

    def build(self) -> DemoResult:
        groups = {
            name: _get_or_create(DepartmentGroup, {"name": name}, {"order": order})
            for order, name in enumerate(GROUPS, start=1)
        }
        departments: dict[str, Department] = {}
        heads: dict[str, str] = {}
        for order, (name, group, *_rest) in enumerate(DEPARTMENTS, start=1):
            head = self.person_name()
            department = _get_or_create(
                Department, {"name": name}, {"group": groups[group], "order": order, "head": head}
            )
            departments[name] = department
            heads[name] = department.head or head
        self.responsible = {name: [self.person_name() for _ in range(3)] for name in departments}
        users = self.create_users(departments)
        competition = self.create_competition(departments)
        projects = self.plan_projects()
        duplicate = plan_duplicate(projects)  # demo/duplicates.py
        # Codes in the order projects were registered (their first record's date), of
        # that year, as the entry pages would have given them.
        for plan in sorted(projects, key=lambda p: p.first_on):
            plan.code = project_services.next_code(year=plan.first_on.year)
        saved = {plan.code: self.save_project(plan, departments, users) for plan in projects}
        for visit in self.plan_visits(projects, heads):
            logged_by = self.liaison_of(visit.department, users) or users["office1"]
            _save(
                Visit(
                    occurred_on=visit.on,
                    department=departments[visit.department],
                    investor_org=visit.investor_org,
                    persons=visit.persons,
                    host=visit.host,
                    purpose=visit.purpose,
                    project=saved[visit.project.code] if visit.project else None,
                    logged_by=logged_by,
                ),
                by=logged_by,
            )
        add_review_examples(today=self.today, departments=departments, users=users)
        # The records were saved one by one, outside the entry services: store the projects'
        # progress and have the leagues of these departments (the demo's among them: it
        # sets their quotas) recomputed after the commit, as the services would.
        refresh_progress(project.pk for project in saved.values())
        decide_duplicate(duplicate, saved, by=users["office1"])  # demo/duplicates.py
        competition_services.records_changed(
            department_ids=[d.pk for d in departments.values()], dates=None
        )
        # Cards first: the notifications below tell the office and leaders of them.
        build_cards(competition, today=self.today, usernames=_demo_usernames())
        add_demo_notifications(competition=competition, users=users, today=self.today)
        counts = {
            "departments": len(departments),
            "projects": len(projects),
            "visits": Visit.objects.filter(department__in=departments.values()).count(),
        }
        return DemoResult(
            competition=competition, created=True, today=self.today, logins=LOGINS, counts=counts
        )

    def create_users(self, departments: dict[str, Department]) -> dict:
        User = get_user_model()
        # The admin checks model permissions: office users get those of the domain apps.
        office_group = Group.objects.filter(name=OFFICE_GROUP).first()
        if office_group is None:
            office_group = _save(Group(name=OFFICE_GROUP))
            office_group.permissions.set(
                Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)
            )
        users = {}
        for login in LOGINS:
            user = User.objects.filter(username=login.username).first()
            if user is None:
                user = User(
                    username=login.username,
                    first_name=login.name,
                    is_staff=login.role == "竞赛办",  # the admin, not superuser
                )
                user.set_password(login.password)
                _save(user)
                person = _save(
                    Person(
                        user=user,
                        name=login.name,
                        department=departments[login.department] if login.department else None,
                        is_office=login.role == "竞赛办",
                        is_leader=login.role == "领导",
                    )
                )
                person.liaison_for.set([departments[name] for name in login.departments])
                if login.role == "竞赛办":
                    user.groups.add(office_group)
            users[login.username] = user
        return users

    def liaison_of(self, department: str, users: dict):
        for login in LOGINS:
            if department in login.departments:
                return users[login.username]
        return None

    def create_competition(self, departments: dict[str, Department]) -> Competition:
        competition = _save(
            Competition(
                name=COMPETITION_NAME,
                start_date=self.start,
                end_date=self.end,
                # The printed reports' 版记: the city's leadership offices get copies.
                copy_to="市委办公室、市人大常委会办公室、市政府办公室、市政协办公室",
                print_copies=60,
            )
        )
        for metric, weight in DEFAULT_WEIGHTS.items():
            _save(MetricWeight(competition=competition, metric=metric, weight=weight))
        # Quotas differ a little between departments of one kind, as negotiated ones do;
        # a generator of their own keeps them apart from the records' dates and names.
        rng = random.Random(SEED + 1)
        for name, _, _, quota, _ in DEPARTMENTS:
            targets = dict(zip(QUOTA_FIELDS, QUOTAS[quota], strict=True))
            targets["visit_batches"] = min(
                6, max(3, targets["visit_batches"] + rng.choice([-1, 0, 0, 1]))
            )
            targets["visitors"] = min(
                20, max(10, 3 * targets["visit_batches"] + rng.choice([-2, 0, 2]))
            )
            if targets["intent_projects"] == 1:
                targets["intent_projects"] = rng.choice([1, 1, 2])
            targets["funds_amount"] = min(
                3000, max(500, targets["funds_amount"] + rng.choice([-500, 0, 0, 500]))
            )
            _save(Quota(competition=competition, department=departments[name], **targets))
        return competition

    def save_project(self, plan: ProjectPlan, departments: dict, users: dict) -> Project:
        office = users["office1"]
        staff = users["staff_sw"] if plan.flag == "staff" else None
        liaison = self.liaison_of(plan.department, users)
        logged_by = staff or liaison or office
        project = _save(
            Project(
                code=plan.code,
                department=departments[plan.department],
                responsible_person=self.rng.choice(self.responsible[plan.department]),
                submitted_by=staff,
                **plan.fields,
            ),
            by=logged_by,
        )
        for record in plan.records:
            if record.kind == "lost":
                project.lost_on = record.on
                project.lost_reason = self.rng.choice(LOST_REASONS)
                _save(project, by=liaison or office)
                continue
            reviewed = {}
            if record.status != ReviewStatus.PENDING:
                when = datetime.combine(
                    record.on + timedelta(days=self.rng.randint(0, 3)), time(10)
                )
                reviewed = {
                    "reviewed_by": office,
                    "reviewed_at": min(
                        timezone.make_aware(when),
                        timezone.make_aware(datetime.combine(self.today, time(18))),
                        timezone.now(),
                    ),
                    "return_reason": record.return_reason,
                }
            common = {"project": project, "occurred_on": record.on, "status": record.status}
            if record.kind == "receipt":
                entry = Receipt(amount=record.amount, **common, **reviewed)
            else:
                entry = Milestone(stage=MILESTONES[record.kind], **common, **reviewed)
            entry.logged_by = staff if record.kind == "lead" and staff else liaison or office
            _save(entry, by=entry.logged_by)
        return project


def _save(obj, *, by=None):
    """Validate like every entry path does, then save (history records `by` as the author)."""
    obj.full_clean()
    if by is not None:
        obj._history_user = by
    obj.save()
    return obj


def _get_or_create(model, lookup: dict, defaults: dict):
    found = model.objects.filter(**lookup).first()
    return found if found is not None else _save(model(**lookup, **defaults))
