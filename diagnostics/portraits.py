"""Classified, graded portraits (分类分级画像) of a cluster's enterprises.

A portrait says, for one enterprise, what the bureau needs to group and compare it: its size, chain
position and tags; the assessment that speaks for it (verified on site beats self-assessed, then the
newest); its dimension profile; its strengths and weaknesses (each weakness with how far below target
it is, and which scenarios it feeds); where it stands among its peers; and a type from the taxonomy's
``portrait_types`` (first rule that matches wins; the rules live in the taxonomy file, not here).

Inputs are plain DataFrames (see ``diagnostics.store.cluster_data`` for how they are read):

- ``enterprises``: enterprise_id, uscc, name, industry_code, region, size_class, chain_links (list),
  tags (list), group_name, pilot_willing;
- ``assessments``: one row per (enterprise, questionnaire code): assessment_id, enterprise_id,
  questionnaire_code, questionnaire_version_id, trusted, total, level, band_level, dimension_scores,
  indicator_scores, scenario_levels (dicts as stored).

``build_portraits`` returns one row per enterprise with a primary-questionnaire assessment, columns
``PORTRAIT_COLUMNS``. Definitions of terms used there:

- ``weaknesses``: ``{q, code, score, target, severity}`` per weak indicator and ``{q, kind: "scenario",
  code, level, target, severity}`` per scenario rated below its ``target_level``; which scenarios each
  feeds is ``weakness_feeds(w, feed_map(definitions))`` (kept once per snapshot, not 33 times per row);
- ``severity`` of a weak indicator = (target - score) / target, in (0, 1]: 1 means nothing scored;
- ``need`` = mean severity over every scored indicator of the enterprise's assessments (strong or
  fine indicators count 0): the share of the "way to target" still to go;
- ``percentile_cluster`` = 100 x (average rank - 1) / (n - 1) of the total among the cluster's assessed
  enterprises: 0 is the lowest, 100 the highest, ties share the mid rank, a lone enterprise gets 100;
  ``percentile_industry`` the same among those with the same GB/T 4754 class (None without a class).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from diagnostics import expr
from diagnostics.canonical import dumps, jsonable, jsonable_dict
from diagnostics.questionnaire import Questionnaire
from diagnostics.taxonomy import Taxonomy

EPS = 1e-9
ENTERPRISE_COLUMNS = ["enterprise_id", "uscc", "name", "industry_code", "region", "size_class", "chain_links",
                      "tags", "group_name", "pilot_willing"]
ASSESSMENT_COLUMNS = ["assessment_id", "enterprise_id", "questionnaire_code", "questionnaire_version_id", "trusted",
                      "total", "level", "band_level", "dimension_scores", "indicator_scores", "scenario_levels"]
# columns of the ``portraits`` table itself; everything else of a portrait goes into its ``data`` JSON
ROW_COLUMNS = ["enterprise_id", "assessment_id", "level", "total", "type_code", "size_class", "percentile_cluster",
               "percentile_industry"]
DATA_COLUMNS = ["uscc", "name", "industry_code", "region", "chain_links", "positions", "tags", "chain_leader", "srdi",
                "listed", "group_name", "pilot_willing", "questionnaire_version_id", "trusted", "band_level",
                "dimensions", "strengths", "weaknesses", "scenario_levels", "modules", "need"]
PORTRAIT_COLUMNS = ROW_COLUMNS + DATA_COLUMNS


def _indicator_plan(q: Questionnaire) -> dict[str, Any]:
    scored_dims = {d.code for d in q.dimensions if d.scored}
    inds = [(ind, d.code in scored_dims) for d in q.dimensions for ind in d.indicators]
    return {
        "codes": [ind.code for ind, _ in inds],
        "scored": np.array([s for _, s in inds], dtype=bool),
        "target": np.array([q.indicator_target(ind) for ind, _ in inds], dtype=float),
        "max": np.array([ind.max_score for ind, _ in inds], dtype=float),
        "strength_ratio": q.strength_ratio,
        "dims": [(d.code, d.max_score) for d in q.dimensions if d.scored],
        "scenario_targets": {(s.scenario or s.id): s.target_level for s in q.scenario_questions()
                             if s.target_level},
    }


def _profile(group: pd.DataFrame, q: Questionnaire) -> pd.DataFrame:
    """Weaknesses, strengths, need and dimension profile for assessments of one questionnaire version."""
    plan = _indicator_plan(q)
    codes = plan["codes"]
    mat = pd.DataFrame.from_records(list(group["indicator_scores"]), columns=codes).to_numpy(dtype=float)
    mat = np.nan_to_num(mat, nan=0.0)
    target, imax, scored = plan["target"], plan["max"], plan["scored"]
    weak = (mat < target - EPS) & scored & (target > 0)
    strong = (mat >= imax * plan["strength_ratio"] - EPS) & scored & (imax > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        severity = np.where(weak, (target - mat) / np.where(target > 0, target, 1.0), 0.0)
    severity = np.round(np.clip(severity, 0.0, 1.0), 4)
    n_scored = max(int(scored.sum()), 1)
    qcode = q.code
    weaknesses, strengths, sev_sum, dims = [], [], severity.sum(axis=1), []
    for r, levels in enumerate(group["scenario_levels"]):
        w = [{"q": qcode, "code": codes[j], "score": round(float(mat[r, j]), 4),
              "target": round(float(target[j]), 4), "severity": float(severity[r, j])}
             for j in np.nonzero(weak[r])[0]]
        for scen, tgt in plan["scenario_targets"].items():
            lv = int((levels or {}).get(scen, 0) or 0)
            if lv < tgt:
                w.append({"q": qcode, "kind": "scenario", "code": scen, "level": lv, "target": tgt,
                          "severity": round((tgt - lv) / tgt, 4)})
        weaknesses.append(w)
        strengths.append([{"q": qcode, "code": codes[j], "score": round(float(mat[r, j]), 4),
                           "max": round(float(imax[j]), 4)} for j in np.nonzero(strong[r])[0]])
    for scores in group["dimension_scores"]:
        dims.append({code: {"score": round(float((scores or {}).get(code, 0.0)), 4), "max": mx,
                            "share": round(float((scores or {}).get(code, 0.0)) / mx, 4) if mx else 0.0}
                     for code, mx in plan["dims"]})
    return pd.DataFrame({"weaknesses": weaknesses, "strengths": strengths, "sev_sum": sev_sum,
                         "n_scored": n_scored, "dimensions": dims}, index=group.index)


def percentile(values: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """Mid-rank percentile (0 lowest .. 100 highest) of ``values``, within ``groups`` when given."""
    if groups is None:
        ranks = values.rank(method="average")
        n = pd.Series(len(values), index=values.index)
    else:
        ranks = values.groupby(groups, dropna=True).rank(method="average")
        n = values.groupby(groups, dropna=True).transform("size")
    out = np.where(n > 1, 100.0 * (ranks - 1) / (n - 1).clip(lower=1), 100.0)
    return pd.Series(np.round(out, 2), index=values.index).where(ranks.notna())


def classify(frame: pd.DataFrame, taxonomy: Taxonomy) -> pd.Series:
    """The taxonomy portrait type of each row (first matching rule wins; None when none matches)."""
    n = len(frame)
    columns = {
        "level": expr.VectorColumn("number", frame["level"].to_numpy(dtype=float)),
        "total": expr.VectorColumn("number", frame["total"].to_numpy(dtype=float)),
        "percentile_cluster": expr.VectorColumn("number", frame["percentile_cluster"].to_numpy(dtype=float)),
        "percentile_industry": expr.VectorColumn("number", frame["percentile_industry"].to_numpy(dtype=float)),
        "size": expr.VectorColumn("code", frame["size_class"].to_numpy(dtype=object)),
        "chain_leader": expr.VectorColumn("bool", frame["chain_leader"].to_numpy(dtype=np.int8)),
        "srdi": expr.VectorColumn("bool", frame["srdi"].to_numpy(dtype=np.int8)),
    }
    out = np.full(n, None, dtype=object)
    free = np.ones(n, dtype=bool)
    for pt in taxonomy.portrait_types:
        hit = np.asarray(expr.parse(pt.rule).evaluate_vector(columns, n), dtype=bool) & free
        out[hit] = pt.code
        free &= ~hit
    return pd.Series(out, index=frame.index, dtype=object)


def build_portraits(enterprises: pd.DataFrame, assessments: pd.DataFrame, definitions: Mapping[int, Questionnaire],
                    taxonomy: Taxonomy, *, primary: str) -> pd.DataFrame:
    """One portrait per enterprise that has an assessment of the ``primary`` questionnaire."""
    if assessments.empty:
        return pd.DataFrame(columns=PORTRAIT_COLUMNS)
    parts = [_profile(g, definitions[int(cast(int, vid))])
             for vid, g in assessments.groupby("questionnaire_version_id")]
    prof = assessments.join(pd.concat(parts))
    main = prof[prof["questionnaire_code"] == primary].set_index("enterprise_id")
    extra = prof[prof["questionnaire_code"] != primary]
    ents = enterprises.set_index("enterprise_id").loc[lambda d: d.index.isin(main.index)]
    main = main.loc[ents.index]
    weaknesses = {eid: list(w) for eid, w in main["weaknesses"].items()}
    strengths = {eid: list(s) for eid, s in main["strengths"].items()}
    levels = {eid: dict(sorted((lv or {}).items())) for eid, lv in main["scenario_levels"].items()}
    sev = main["sev_sum"].astype(float).copy()
    cnt = main["n_scored"].astype(float).copy()
    modules: dict[int, dict[str, Any]] = {eid: {} for eid in main.index}
    row: Any  # an itertuples row: its fields are the profile columns, typed only at run time
    for row in extra.itertuples(index=False):
        eid = row.enterprise_id
        if eid not in modules:
            continue
        weaknesses[eid] = weaknesses[eid] + list(row.weaknesses)
        strengths[eid] = strengths[eid] + list(row.strengths)
        levels[eid] = {**levels[eid], **{k: v for k, v in sorted((row.scenario_levels or {}).items())}}
        sev[eid] += row.sev_sum
        cnt[eid] += row.n_scored
        modules[eid][row.questionnaire_code] = {"assessment_id": int(row.assessment_id), "total": float(row.total),
                                                "level": int(row.level), "trusted": bool(row.trusted)}
    link_pos = {c.code: c.position for c in taxonomy.chain_links}
    tags = ents["tags"].map(lambda t: sorted(t or []))
    out = pd.DataFrame({
        "enterprise_id": ents.index.astype(int),
        "assessment_id": main["assessment_id"].astype(int).to_numpy(),
        "level": main["level"].astype(int).to_numpy(),
        "total": main["total"].astype(float).round(4).to_numpy(),
        "size_class": ents["size_class"].fillna("unknown").to_numpy(),
        "uscc": ents["uscc"].to_numpy(), "name": ents["name"].to_numpy(),
        "industry_code": ents["industry_code"].to_numpy(), "region": ents["region"].to_numpy(),
        "chain_links": ents["chain_links"].map(lambda c: sorted(c or [])).to_numpy(),
        "positions": ents["chain_links"].map(
            lambda c: sorted({link_pos[x] for x in c or [] if x in link_pos})).to_numpy(),
        "tags": tags.to_numpy(),
        "chain_leader": tags.map(lambda t: "chain_leader" in t).to_numpy(dtype=bool),
        "srdi": tags.map(lambda t: "srdi" in t).to_numpy(dtype=bool),
        "listed": tags.map(lambda t: "listed" in t).to_numpy(dtype=bool),
        "group_name": ents["group_name"].to_numpy(), "pilot_willing": ents["pilot_willing"].astype(bool).to_numpy(),
        "questionnaire_version_id": main["questionnaire_version_id"].astype(int).to_numpy(),
        "trusted": main["trusted"].astype(bool).to_numpy(), "band_level": main["band_level"].astype(int).to_numpy(),
        "dimensions": main["dimensions"].to_numpy(),
        "strengths": [strengths[e] for e in ents.index],
        "weaknesses": [sorted(weaknesses[e], key=lambda w: (-w["severity"], w["q"], w["code"])) for e in ents.index],
        "scenario_levels": [levels[e] for e in ents.index],
        "modules": [modules[e] for e in ents.index],
        "need": np.round((sev / cnt.clip(lower=1)).to_numpy(dtype=float), 4),
    })
    out["percentile_cluster"] = percentile(out["total"])
    out["percentile_industry"] = percentile(out["total"], out["industry_code"])
    out["type_code"] = classify(out, taxonomy)
    return out.sort_values("enterprise_id", kind="stable").reset_index(drop=True)[PORTRAIT_COLUMNS]


NESTED = {"chain_links", "positions", "tags", "dimensions", "strengths", "weaknesses", "scenario_levels", "modules"}


def feed_map(definitions: Mapping[int, Questionnaire]) -> dict[str, list[str]]:
    """``"<questionnaire>:<indicator>"`` -> the scenario codes its weakness feeds (newest version wins)."""
    out: dict[str, list[str]] = {}
    for _, q in sorted(definitions.items()):
        for ind in q.indicators():
            if ind.feeds:
                out[f"{q.code}:{ind.code}"] = sorted(ind.feeds)
    return dict(sorted(out.items()))


def weakness_feeds(weakness: Mapping[str, Any], feeds: Mapping[str, list[str]]) -> list[str]:
    """The scenario codes a weakness feeds: a scenario shortfall feeds its own scenario, a weak
    indicator what its definition's ``feeds`` say (``feed_map``, kept once per snapshot, not per row)."""
    if weakness.get("kind") == "scenario":
        return [weakness["code"]]
    return list(feeds.get(f"{weakness['q']}:{weakness['code']}", []))


def to_records(portraits: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for the ``portraits`` table: the indexed columns plus a JSON ``data`` dict.

    Scalars are made plain here; the nested columns are built from plain, rounded Python values by
    ``build_portraits`` (or read back from JSON), so they are passed through as they are.
    """
    records = []
    for rec in portraits[PORTRAIT_COLUMNS].to_dict(orient="records"):
        row = {c: jsonable(rec[c]) for c in ROW_COLUMNS}
        row["data"] = {c: (rec[c] if c in NESTED else jsonable(rec[c])) for c in DATA_COLUMNS}
        records.append(row)
    return records


def from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The inverse of ``to_records`` (what downstream flows read back from the store)."""
    if not records:
        return pd.DataFrame(columns=PORTRAIT_COLUMNS)
    flat = [{**{c: r.get(c) for c in ROW_COLUMNS}, **{c: (r.get("data") or {}).get(c) for c in DATA_COLUMNS}}
            for r in records]
    df = pd.DataFrame.from_records(flat, columns=PORTRAIT_COLUMNS)
    for col in ("chain_leader", "srdi", "listed", "pilot_willing", "trusted"):
        df[col] = df[col].fillna(False).astype(bool)
    df["need"] = df["need"].astype(float)
    df["total"] = df["total"].astype(float)
    return df.sort_values("enterprise_id", kind="stable").reset_index(drop=True)


def data_texts(records: list[dict[str, Any]]) -> list[str]:
    """Each record's ``data`` as canonical JSON text: hashed for the digest and stored as it is."""
    return [dumps(r["data"], plain=True) for r in records]


def rows_digest(records: list[dict[str, Any]], texts: list[str]) -> str:
    """SHA-256 over every row: its indexed columns and its ``data`` text, in enterprise order."""
    h = hashlib.sha256()
    for rec, text in zip(records, texts, strict=True):
        h.update(dumps({c: rec[c] for c in ROW_COLUMNS}).encode("utf-8"))
        h.update(b"\t")
        h.update(text.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def summary(portraits: pd.DataFrame, taxonomy: Taxonomy, *, enterprises_total: int, primary: str,
            feeds: Mapping[str, list[str]], records: list[dict[str, Any]] | None = None,
            texts: list[str] | None = None) -> dict[str, Any]:
    """The portraits snapshot payload: distributions the dashboard draws, plus a digest of every row.

    ``rows_digest`` ties the snapshot to the exact portrait rows, so a change in any one enterprise's
    portrait makes a new snapshot, while the payload itself stays small. Pass the ``records`` and
    ``texts`` already made for storing, to serialise 10 000 rows once, not twice.
    """
    df = portraits
    records = records if records is not None else to_records(df)
    sizes = ["large", "medium", "small", "micro", "unknown"]
    levels = sorted({0, 1, 2, 3, 4} | set(df["level"].astype(int)))

    def _count(frame: pd.DataFrame, col: str, keys: list[Any]) -> dict[str, int]:
        counts = frame[col].value_counts()
        return {str(k): int(counts.get(k, 0)) for k in keys}

    type_codes = [t.code for t in taxonomy.portrait_types]
    types = [{"code": t.code, "name": t.name.model_dump(), "count": int((df["type_code"] == t.code).sum())}
             for t in taxonomy.portrait_types]
    types.append({"code": None, "name": {"zh": "未分类", "en": "Unclassified"},
                  "count": int(df["type_code"].isna().sum())})
    dims: dict[str, list[float]] = {}
    for profile in df["dimensions"]:
        for code, d in (profile or {}).items():
            dims.setdefault(code, []).append(d["share"])
    return jsonable_dict({
        "primary": primary,
        "taxonomy": f"{taxonomy.code}@{taxonomy.version}",
        "enterprises": enterprises_total,
        "assessed": len(df),
        "not_assessed": enterprises_total - len(df),
        "trusted": int(df["trusted"].sum()) if len(df) else 0,
        "levels": _count(df, "level", levels),
        "levels_by_size": {s: _count(df[df["size_class"] == s], "level", levels) for s in sizes
                           if (df["size_class"] == s).any()},
        "types": types,
        "types_by_size": {s: _count(df[df["size_class"] == s], "type_code", type_codes) for s in sizes
                          if (df["size_class"] == s).any()},
        "mean_total": round(float(df["total"].mean()), 4) if len(df) else None,
        "dimension_mean_share": {k: round(float(np.mean(v)), 4) for k, v in sorted(dims.items())},
        "feeds": dict(feeds),
        "rows_digest": rows_digest(records, texts if texts is not None else data_texts(records)),
    })
