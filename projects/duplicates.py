"""Likely duplicates (疑似重复): one investor or one project entered twice.

Two departments often follow the same investor (a classmate in one bureau, a resident
station of another) and each enters the project; or a liaison enters a visit another
department logged already. The forms warn before saving, and the office lists the open
pairs to decide which department gets the credit (projects.credit).

The matching is pure functions over plain rows (`Candidate`): `investor_key` and
`name_key` normalise a name, `matches` compares one new or edited record with the rows
it is given. No database normalises full-width letters or company suffixes this way, and
doing it in Python for every stored project takes 0.6 s for 20,000 of them (measured on
this machine): so each project stores its keys (Project.investor_key and name_key,
indexed) and projects.duplicate_lookup reads only the rows that share one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# Company forms, longest first: "股份有限公司" before "有限公司" before "公司". Stripped
# from the end again and again ("控股集团有限公司" loses all three). English forms are
# matched after case folding and the removal of spaces and punctuation.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "总公司",
    "分公司",
    "公司",
    "集团",
    "股份",
    "控股",
    "corporation",
    "holdings",
    "limited",
    "company",
    "group",
    "corp",
    "coltd",
    "ltd",
    "inc",
    "co",
)
# A leading (or, from "（上海）" before the company form, trailing) province or city
# name says where the company is registered, not who it is: 上海华为技术 and 华为技术
# are one investor. The provinces, the four municipalities and the cities of the speech's
# resident stations (上海, 苏南); with 省 or 市 when written.
REGIONS = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "镇江",
    "杭州",
    "宁波",
    "深圳",
    "广州",
)
_REGION_FORMS = sorted(
    {form for region in REGIONS for form in (region, region + "省", region + "市")},
    key=len,
    reverse=True,
)
# A project name's generic ending: "新能源电池项目" and "新能源电池" are one project.
NAME_SUFFIXES = ("建设项目", "项目")
# A key this short matches too much to mean anything ("某", "a"): stripped to it (or to
# nothing: "有限公司", "上海"), a name has no key and matches nothing.
MIN_KEY_LENGTH = 2
# The stored keys' column length (Project.investor_key, name_key; Visit.investor_key).
# NFKC can lengthen a name ("㍿" is "株式会社"): a key is cut to fit, never refused.
MAX_KEY_LENGTH = 200


def _plain(text: str) -> str:
    """NFKC (full-width letters and digits become half-width), case folded, with every
    space, punctuation mark and symbol removed (Unicode categories Z*, P*, S*, C*)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPSC")


def _strip_suffixes(key: str, suffixes: Iterable[str]) -> str:
    suffixes = tuple(suffixes)
    changed = True
    while changed:
        changed = False
        for suffix in suffixes:
            if key.endswith(suffix):
                key, changed = key[: -len(suffix)], True
                break
    return key


def _strip_region(key: str) -> str:
    for form in _REGION_FORMS:
        if key.startswith(form):
            key = key[len(form) :]
            break
    for form in _REGION_FORMS:
        if key.endswith(form):
            return key[: -len(form)]
    return key


def investor_key(name: str) -> str:
    """The investor's name as compared: width, case, spaces and punctuation, company forms
    (有限公司, 集团…) and region names (上海, 江苏省…) do not tell two investors apart.

    "" when nothing distinctive is left (an empty name, a single character).
    """
    key = _strip_suffixes(_plain(name), COMPANY_SUFFIXES)
    key = _strip_region(key)
    key = _strip_suffixes(key, COMPANY_SUFFIXES)  # "某某集团（上海）有限公司"
    return key[:MAX_KEY_LENGTH] if len(key) >= MIN_KEY_LENGTH else ""


def name_key(name: str) -> str:
    """A project's name as compared: width, case, spaces, punctuation and a trailing
    "项目" aside. "" when nothing distinctive is left."""
    key = _strip_suffixes(_plain(name), NAME_SUFFIXES)
    return key[:MAX_KEY_LENGTH] if len(key) >= MIN_KEY_LENGTH else ""


@dataclass(frozen=True)
class Candidate:
    """A record compared: a project (name and investor) or a visit (investor and date)."""

    pk: int | None
    department_id: int
    name: str = ""
    investor: str = ""
    occurred_on: date | None = None


@dataclass(frozen=True)
class Match:
    """A stored record that looks like the one being entered, and why."""

    record: Candidate
    same_investor: bool
    same_name: bool

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(
            r for r, on in (("investor", self.same_investor), ("name", self.same_name)) if on
        )


def matches(new: Candidate, stored: Iterable[Candidate]) -> list[Match]:
    """The stored projects that look like `new`, a project being entered.

    A stored project matches when its investor has the same `investor_key` (in any
    department: one investor entered twice), or its name the same `name_key` in another
    department (two departments claiming one project). `new` itself (same pk) never
    matches. Investor matches first, then by pk.
    """
    investor, name = investor_key(new.investor), name_key(new.name)
    found = []
    for other in stored:
        if new.pk is not None and other.pk == new.pk:
            continue
        same_investor = bool(investor) and investor_key(other.investor) == investor
        same_name = (
            bool(name) and other.department_id != new.department_id and name_key(other.name) == name
        )
        if same_investor or same_name:
            found.append(Match(record=other, same_investor=same_investor, same_name=same_name))
    return sorted(found, key=lambda m: (not m.same_investor, m.record.pk or 0))


def visit_matches(new: Candidate, stored: Iterable[Candidate]) -> list[Match]:
    """The stored visits that look like `new`, a visit being entered: the same investor
    (`investor_key`) received on the same day by another department (two departments
    logging one reception). A second reception by the same department is its own batch."""
    investor = investor_key(new.investor)
    if not investor:
        return []
    return [
        Match(record=other, same_investor=True, same_name=False)
        for other in stored
        if other.pk != new.pk
        and other.department_id != new.department_id
        and other.occurred_on == new.occurred_on
        and investor_key(other.investor) == investor
    ]
