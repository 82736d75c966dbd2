"""A deterministic synthetic cluster: enterprises and answers with a realistic spread.

Demos, tests and benchmarks need hundreds to a hundred thousand enterprises that look like a real
cluster: many small firms and a few large ones, most at levels 1-2, a handful of chain leaders, several
firms per group, answers that hang together (a firm that networks its devices also collects data).
Each enterprise gets a latent maturity in [0, 1]; every answer is drawn around it. Same seed, same
cluster, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diagnostics.answers import decode
from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.scoring import apply_logic, compiled
from diagnostics.size_class import size_class_array
from diagnostics.uscc import make_uscc

_ALNUM = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PREFIX = {"ceramics": ("景德镇", "360200"), "nonferrous": ("韶关", "440200")}
_WORDS = ("华瓷", "景盛", "御窑", "青花", "玉风", "昌南", "浮梁", "瑶里", "高岭", "红叶", "金昌", "望龙", "宏达",
          "恒泰", "鑫源", "丹霞", "曲江", "南岭", "粤北", "韶钢", "凡口", "大宝", "翁源", "始兴", "乳源", "仁化")
_SUFFIX = {"ceramics": ("陶瓷有限公司", "瓷业有限公司", "陶瓷科技有限公司", "艺术瓷厂", "窑业有限公司"),
           "nonferrous": ("有色金属有限公司", "冶炼有限公司", "矿业有限公司", "新材料有限公司", "金属制品有限公司")}
_INDUSTRY_CODES = {"ceramics": ("3074", "3075", "3071", "3072", "3073", "3079"),
                   "nonferrous": ("3212", "3211", "3251", "3252", "3232", "3240", "0912", "3231")}
_REGIONS = {"ceramics": ("珠山区", "昌江区", "浮梁县", "乐平市"),
            "nonferrous": ("浈江区", "武江区", "曲江区", "仁化县", "翁源县")}


@dataclass
class SyntheticEnterprise:
    uscc: str
    name: str
    industry: str
    industry_code: str
    region: str
    chain_links: list[str]
    employees: int
    revenue_10k: float
    size_class: str
    tags: list[str]
    group_name: str | None
    pilot_willing: bool
    maturity: float
    extra: dict[str, Any] = field(default_factory=dict)


# Size tiers of a cluster (share of firms, employees range, revenue per head range in 万元). A real
# above-scale cluster has a few large firms and many small ones; drawing the tier first and the figures
# inside its bounds makes every tier appear (even at a few hundred firms) and keeps the statistics
# bureau's classification (diagnostics.size_class) the judge of the class.
_TIERS = (("large", 0.04, (1000, 6000), (45.0, 90.0)),
          ("medium", 0.18, (300, 999), (12.0, 60.0)),
          ("small", 0.53, (20, 299), (16.0, 40.0)),
          ("micro", 0.25, (5, 19), (5.0, 14.0)))


def _chain_links(rng: np.random.Generator, chain_links: list[str], k: int) -> list[str]:
    """``k`` adjacent links of the chain: firms run neighbouring stages (mining with beneficiation, body
    preparation with forming), not a random scatter."""
    k = max(1, min(k, len(chain_links)))
    start = int(rng.integers(0, len(chain_links) - k + 1))
    return chain_links[start:start + k]


def synth_enterprises(n: int, industry: str, chain_links: list[str], *, seed: int = 0,
                      start: int = 0) -> list[SyntheticEnterprise]:
    """``n`` enterprises of one industry; ``start`` offsets the serial so two clusters never collide.

    Every tier of size appears; chain leaders are the large firms and the biggest medium ones (about 8 %);
    leaders and mature firms are mostly willing to join a pilot; each firm runs one to three adjacent
    chain links (large firms more).
    """
    rng = np.random.default_rng([seed, start, len(industry)])
    tier_idx = np.searchsorted(np.cumsum([t[1] for t in _TIERS]), rng.random(n), side="right")
    tier_idx = np.minimum(tier_idx, len(_TIERS) - 1)
    if n >= 20:  # at least a few large firms in any demo cluster worth the name
        tier_idx[: max(2, n // 40)] = 0
        rng.shuffle(tier_idx)
    lo = np.array([_TIERS[t][2][0] for t in tier_idx], dtype=float)
    hi = np.array([_TIERS[t][2][1] for t in tier_idx], dtype=float)
    employees = np.round(lo * (hi / lo) ** rng.random(n)).astype(int)
    per_lo = np.array([_TIERS[t][3][0] for t in tier_idx])
    per_hi = np.array([_TIERS[t][3][1] for t in tier_idx])
    revenue = np.round(employees * (per_lo + (per_hi - per_lo) * rng.random(n)), 1)  # 万元
    sizes = size_class_array(employees, revenue)
    maturity = np.clip(rng.beta(2.0, 3.2, n) + 0.25 * (np.log10(employees) - 2) / 2, 0, 1)
    order = np.argsort(-revenue, kind="stable")
    n_leaders = max(1, int(round(n * 0.08)))
    leaders = set(order[:n_leaders].tolist())  # the largest firms lead their chain links
    city, division = _PREFIX.get(industry, ("示范", "110000"))
    out: list[SyntheticEnterprise] = []
    for i in range(n):
        serial = start + i
        org = "".join(_ALNUM[(serial * 7 + k * 13 + seed) % 31] for k in range(5)) + f"{serial:04d}"[-4:]
        uscc = make_uscc(f"91{division}{org[:8]}{_ALNUM[serial % 31]}")
        word = _WORDS[serial % len(_WORDS)] + _WORDS[(serial // len(_WORDS) + 3) % len(_WORDS)]
        suffix = _SUFFIX.get(industry, ("有限公司",))[serial % 5 if industry in _SUFFIX else 0]
        tags = []
        if i in leaders:
            tags.append("chain_leader")
        if rng.random() < 0.12 + 0.3 * maturity[i]:
            tags.append("srdi")
        if sizes[i] == "large" and rng.random() < 0.5:
            tags.append("listed")
        k = 1 + int(rng.random() < 0.35) + int(sizes[i] == "large" and rng.random() < 0.6)
        links = _chain_links(rng, chain_links, k)
        willing = rng.random() < (0.85 if i in leaders else 0.45 + 0.4 * maturity[i])
        out.append(SyntheticEnterprise(
            uscc=uscc, name=f"{city}{word}{suffix}" + (f"（{serial}）" if serial >= len(_WORDS) ** 2 else ""),
            industry=industry, industry_code=str(rng.choice(_INDUSTRY_CODES.get(industry, ("3074",)))),
            region=str(rng.choice(_REGIONS.get(industry, ("示范区",)))), chain_links=links,
            employees=int(employees[i]), revenue_10k=float(revenue[i]), size_class=str(sizes[i]), tags=tags,
            group_name=f"{_WORDS[serial % 7]}集团" if rng.random() < 0.15 else None,
            pilot_willing=bool(willing), maturity=float(maturity[i]),
        ))
    return out


def synth_answers(q: Questionnaire, maturity: np.ndarray, *, seed: int = 0,
                  given: Mapping[str, Sequence[Any]] | None = None) -> list[dict[str, Any]]:
    """Clean answers for ``len(maturity)`` enterprises, drawn around each one's maturity.

    Generated column by column (one numpy draw per question); ``given`` fixes whole columns (e.g. the
    segments a module asks about, set to the firm's own chain links so the answers agree with the
    register). Skip logic is applied afterwards by the engine's own rules so stored answers never hold a
    skipped question; required questions are always answered.
    """
    n = len(maturity)
    rng = np.random.default_rng([seed, 7919])
    fleet = np.round(rng.lognormal(3.5, 0.9, n)).astype(int) + 1
    columns: dict[str, list[Any]] = {}
    for question in q.questions():
        if question.formula or question.type in ("text", "evidence"):
            continue
        columns[question.id] = _draw(question, maturity, fleet, rng)
    for qid, values in (given or {}).items():
        columns[qid] = list(values)
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for qid, values in columns.items():
        for row, value in zip(rows, values, strict=True):
            if value is not None:
                row[qid] = value
    return _drop_skipped(q, rows)


def _draw(question: Question, m: np.ndarray, fleet: np.ndarray, rng: np.random.Generator) -> list[Any]:
    n = len(m)
    noise = rng.normal(0, 0.18, n)
    skipped = rng.random(n) < (0.0 if question.required else 0.5)
    t = question.type
    if t in ("single", "level"):
        k = len(question.options)
        idx = np.clip(np.round((m + noise) * (k - 1)), 0, k - 1).astype(int)
        codes = [int(o.code) if t == "level" else o.code for o in question.options]
        return [None if s else codes[i] for i, s in zip(idx, skipped, strict=True)]
    if t == "multi":
        normal = [o.code for o in question.options if not o.exclusive]
        exclusive = next((o.code for o in question.options if o.exclusive), None)
        picks = rng.random((n, len(normal))) < np.clip(m + noise, 0.02, 0.98)[:, None]
        out: list[Any] = []
        fallback = rng.integers(0, len(normal), n)
        for r in range(n):
            chosen = [c for c, p in zip(normal, picks[r], strict=True) if p]
            if not chosen:  # nothing picked: "none of these", else one option (a required answer is never blank)
                chosen = [exclusive] if exclusive else [normal[int(fallback[r])]]
            out.append(None if skipped[r] else chosen)
        return out
    if t == "number":
        if question.bands:
            lo = np.array([b.min if b.min is not None else (question.min or 0.0) for b in question.bands])
            hi = np.array([b.max if b.max is not None else lo[j] + 10 for j, b in enumerate(question.bands)])
            j = np.clip(np.round((m + noise) * (len(lo) - 1)), 0, len(lo) - 1).astype(int)
            values = lo[j] + (hi[j] - lo[j]) * rng.random(n) * 0.999
        elif "total" in question.id:
            values = fleet.astype(float)
        else:
            values = np.floor(fleet * np.clip(m + noise, 0, 1))
        if question.max is not None:
            values = np.minimum(values, question.max)
        if question.min is not None:
            values = np.maximum(values, question.min)
        if question.integer:
            values = np.round(values)
        return [None if s else round(float(v), 2) for v, s in zip(values, skipped, strict=True)]
    if t == "yesno":
        yes = rng.random(n) < np.clip(m + noise, 0.05, 0.95)
        return [None if s else bool(y) for y, s in zip(yes, skipped, strict=True)]
    return [None] * n


def _drop_skipped(q: Questionnaire, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not any(qq.relevant for qq in q.questions()):
        return rows
    _, applied = apply_logic(compiled(q), decode(q, rows))
    for qid, mask in applied.items():
        for r in np.nonzero(~mask)[0]:
            rows[r].pop(qid, None)
    return rows
