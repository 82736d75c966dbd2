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
  code, level, target, severity}`` per scenario rated below its target (``diagnostics.recommend``: the
  taxonomy's ``scenario_targets`` by size class); which scenarios each feeds is
  ``weakness_feeds(w, feed_map(definitions))`` (kept once per snapshot, not 33 times per row); items
  that do not apply to the enterprise are never weaknesses;
- ``severity`` of a weak indicator = (target - score) / target, in (0, 1]: 1 means nothing scored;
- ``need`` = mean severity over every scored indicator of the enterprise's assessments (strong or
  fine indicators count 0): the share of the "way to target" still to go;
- ``percentile_cluster`` = 100 x (average rank - 1) / (n - 1) of the total among the cluster's assessed
  enterprises: 0 is the lowest, 100 the highest, ties share the mid rank, a lone enterprise gets 100;
  ``percentile_industry`` the same among those with the same GB/T 4754 class (None without a class).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast, overload

import numpy as np
import pandas as pd

from diagnostics import expr
from diagnostics.canonical import dump_bytes, jsonable, jsonable_dict
from diagnostics.industry_codes import lookup
from diagnostics.questionnaire import Questionnaire
from diagnostics.recommend import scenario_targets
from diagnostics.size_class import SIZE_ORDER, UNKNOWN, size_text
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
# the nested profiles: most of a portrait's memory (~3 KB a firm as Python objects), read by few steps, so
# kept a part at a time (``PortraitSet``); the rest of a portrait is its "light" row
HEAVY = ("dimensions", "strengths", "weaknesses", "scenario_levels", "modules")
LIGHT_COLUMNS = [c for c in PORTRAIT_COLUMNS if c not in HEAVY]


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
        "scenarios": [(s.scenario or s.id) for s in q.scenario_questions()],
    }


def shared_items(columns: Sequence[np.ndarray], make: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per distinct combination of ``columns``' values, handed to every position that has it.

    A portrait's weaknesses, strengths and dimension cells take few distinct values across a cluster
    (scores are sums of discrete option points): a 60 000-firm cluster has ~1.5 M weakness items but a
    few thousand distinct ones. Built once each and shared, the portraits frame the later stages hold
    takes a fraction of the memory of one dict per item (nobody changes a portrait's items in place;
    every reader builds its own). ``make(i)`` builds the item of position ``i``; positions with equal
    values in every column get the dict of the first of them, so the values are exactly those
    ``make`` would have built for each.
    """
    n = len(columns[0]) if columns else 0
    if n == 0:
        return []
    key = np.zeros(n, dtype=np.int64)
    for col in columns:  # mixed radix over each column's distinct values, compacted after each step
        _, inv = np.unique(col, return_inverse=True)
        _, key = np.unique(key * (int(inv.max()) + 1) + inv.reshape(-1), return_inverse=True)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    protos = [make(i) for i in first.tolist()]
    return [protos[k] for k in inverse.reshape(-1).tolist()]


def weakness_order(w: Mapping[str, Any]) -> tuple[float, str, str]:
    """The order of a portrait's weaknesses: the most severe first, then by questionnaire and code."""
    return (-w["severity"], w["q"], w["code"])


def _ordered_weaknesses(n_rows: int, weak_at: tuple[np.ndarray, ...], short_at: tuple[np.ndarray, ...],
                        severity: np.ndarray, s_sev: np.ndarray, indicator_items: list[dict[str, Any]],
                        scenario_items: list[dict[str, Any]], names: list[str]) -> list[list[dict[str, Any]]]:
    """Each row's weaknesses in ``weakness_order`` order, sorted in one ``lexsort`` over all rows
    instead of a Python sort with a key function per row. ``weak_at``/``short_at``: the (rows, columns)
    of the weak indicators and short scenarios (``np.nonzero``), the items built in that order. Within
    one questionnaire ``q`` is the same for all, so the key is (row, -severity, code); the sort is
    stable, so equal keys keep indicators before scenarios, as Python's ``sorted`` over the
    concatenated list would."""
    (rows_i, cols_i), (rows_s, cols_s) = weak_at, short_at
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    row = np.concatenate([rows_i, rows_s])
    sev = np.concatenate([severity[rows_i, cols_i], s_sev[rows_s, cols_s]])
    n_ind = severity.shape[1]
    code = np.concatenate([rank[cols_i], rank[n_ind + cols_s]]) if len(names) else np.zeros(0, np.int64)
    order = np.lexsort((code, -sev, row))
    items = indicator_items + scenario_items
    flat = [items[i] for i in order.tolist()]
    bounds = np.searchsorted(row[order], np.arange(n_rows + 1)).tolist()
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _profile(group: pd.DataFrame, q: Questionnaire, taxonomy: Taxonomy | None, sizes: pd.Series) -> pd.DataFrame:
    """Weaknesses, strengths, need and dimension profile for assessments of one questionnaire version.

    The arithmetic is whole-matrix numpy (assessments x indicators, assessments x scenarios); only the
    final lists of each row's weaknesses are built per row. Not-applicable indicators (stored as None)
    and ratings are neither weaknesses nor strengths and do not count in ``need``. Scenario targets come
    from the one rule (``recommend.scenario_targets``), by each enterprise's size class.
    """
    plan = _indicator_plan(q)
    codes = plan["codes"]
    raw = pd.DataFrame.from_records(list(group["indicator_scores"]), columns=codes).to_numpy(dtype=float)
    applicable = ~np.isnan(raw)
    mat = np.nan_to_num(raw, nan=0.0)
    target, imax, scored = plan["target"], plan["max"], plan["scored"]
    weak = (mat < target - EPS) & scored & (target > 0) & applicable
    strong = (mat >= imax * plan["strength_ratio"] - EPS) & scored & (imax > 0) & applicable
    with np.errstate(divide="ignore", invalid="ignore"):
        severity = np.where(weak, (target - mat) / np.where(target > 0, target, 1.0), 0.0)
    severity = np.round(np.clip(severity, 0.0, 1.0), 4)
    n_scored = (scored & (imax > 0) & applicable).sum(axis=1)
    # scenario shortfalls: ratings below the size-class target (a missing rating counts as level 0,
    # a rating of an item that does not apply, stored as None, counts as nothing)
    scen = plan["scenarios"]
    size_codes = sizes.reindex(group["enterprise_id"]).fillna(UNKNOWN).to_numpy(dtype=object)
    uniq = sorted(set(size_codes))
    table = np.array([[scenario_targets(taxonomy, q, u).get(c, 0) for c in scen] for u in uniq],
                     dtype=float).reshape(len(uniq), len(scen))  # 0: no target, never a shortfall
    tgt = table[np.searchsorted(np.array(uniq, dtype=object), size_codes)] if len(uniq) else np.zeros((0, len(scen)))
    stored = [lv or {} for lv in group["scenario_levels"]]
    present = np.array([[c in lv for c in scen] for lv in stored], dtype=bool).reshape(len(stored), len(scen))
    # (a key-presence test per rating: None, "not applicable", must not be read as "not rated")
    lvl = pd.DataFrame.from_records(stored, columns=scen).to_numpy(dtype=float) if scen else np.zeros((len(group), 0))
    rated = np.where(present, lvl, 0.0)  # missing key: not rated (0); None: not applicable (NaN)
    short = ~np.isnan(rated) & (np.nan_to_num(rated) < tgt)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_sev = np.round(np.where(short, (tgt - np.nan_to_num(rated)) / np.where(tgt > 0, tgt, 1.0), 0.0), 4)
    qcode = q.code
    # each distinct item is built once from the values at its first position (``shared_items``); the
    # rows' lists are slices of one flat list, so a 100 000-firm cluster costs no per-row numpy calls
    n_rows = len(group)
    rmat = np.round(mat, 4)
    target_l, imax_l = np.round(target, 4).tolist(), np.round(imax, 4).tolist()
    weak_at, short_at = np.nonzero(weak), np.nonzero(short)
    rows_i, cols_i = weak_at
    rows_s, cols_s = short_at
    w_score, w_sev = rmat[rows_i, cols_i], severity[rows_i, cols_i]
    s_rated, s_tgt, s_sv = rated[rows_s, cols_s], tgt[rows_s, cols_s], s_sev[rows_s, cols_s]
    weaknesses = _ordered_weaknesses(n_rows, weak_at, short_at, severity, s_sev, shared_items(
        (cols_i, w_score, w_sev),
        lambda i: {"q": qcode, "code": codes[cols_i[i]], "score": float(w_score[i]),
                   "target": target_l[cols_i[i]], "severity": float(w_sev[i])}), shared_items(
        (cols_s, s_rated, s_tgt, s_sv),
        lambda i: {"q": qcode, "kind": "scenario", "code": scen[cols_s[i]], "level": int(np.nan_to_num(s_rated[i])),
                   "target": int(s_tgt[i]), "severity": float(s_sv[i])}),
        codes + scen)
    strong_r, strong_c = np.nonzero(strong)
    g_score = rmat[strong_r, strong_c]
    strong_items = shared_items((strong_c, g_score), lambda i: {
        "q": qcode, "code": codes[strong_c[i]], "score": float(g_score[i]), "max": imax_l[strong_c[i]]})
    bounds = np.searchsorted(strong_r, np.arange(n_rows + 1)).tolist()
    strengths = [strong_items[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    dim_codes = [code for code, _ in plan["dims"]]
    dmat = pd.DataFrame.from_records([d or {} for d in group["dimension_scores"]], columns=dim_codes)
    dvals = np.round(np.nan_to_num(dmat.to_numpy(dtype=float)), 4)
    dmax = np.array([mx for _, mx in plan["dims"]], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        dshare = np.round(np.where(dmax > 0, dvals / np.where(dmax > 0, dmax, 1.0), 0.0), 4)
    n_dims = len(dim_codes)
    grid_k = np.tile(np.arange(n_dims), n_rows)
    flat_v, flat_s = dvals.reshape(-1), dshare.reshape(-1)
    cells = shared_items((grid_k, flat_v, flat_s), lambda i: {
        "score": float(flat_v[i]), "max": float(dmax[grid_k[i]]), "share": float(flat_s[i])})
    dims = [dict(zip(dim_codes, cells[r * n_dims:(r + 1) * n_dims], strict=True)) for r in range(n_rows)]
    return pd.DataFrame({"weaknesses": weaknesses, "strengths": strengths, "sev_sum": severity.sum(axis=1),
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


def dimension_shares(dimensions: pd.Series) -> pd.DataFrame:
    """Each row's share of each dimension's maximum (firms x dimension codes, NaN where a firm's
    profile has no such dimension), columns in the order the codes first appear."""
    return pd.DataFrame.from_records([{k: v["share"] for k, v in (d or {}).items()} for d in dimensions],
                                     index=dimensions.index)


def classify(frame: pd.DataFrame, taxonomy: Taxonomy, shares: pd.DataFrame | None = None) -> pd.Series:
    """The taxonomy portrait type of each row (first matching rule wins; None when none matches).

    Rules read ``level``, ``total``, the percentiles, ``size``, ``chain_leader``, ``srdi`` and
    ``share_<dimension>`` (the share of each scored dimension's maximum, e.g. ``share_foundation``),
    from ``shares`` when given (``dimension_shares``, rows as ``frame``'s), else from its ``dimensions``.
    """
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
    # the dimension profile (share of each scored dimension's maximum): types beyond the level
    if shares is None:
        shares = dimension_shares(frame["dimensions"]) if n else pd.DataFrame(index=frame.index)
    for code in shares.columns:
        columns[f"share_{code}"] = expr.VectorColumn("number", shares[code].to_numpy(dtype=float))
    out = np.full(n, None, dtype=object)
    free = np.ones(n, dtype=bool)
    for pt in taxonomy.portrait_types:
        hit = np.asarray(expr.parse(pt.rule).evaluate_vector(columns, n), dtype=bool) & free
        out[hit] = pt.code
        free &= ~hit
    return pd.Series(out, index=frame.index, dtype=object)


def build_portraits(enterprises: pd.DataFrame, assessments: pd.DataFrame, definitions: Mapping[int, Questionnaire],
                    taxonomy: Taxonomy, *, primary: str) -> pd.DataFrame:
    """One portrait per enterprise that has an assessment of the ``primary`` questionnaire, as one frame
    (the cluster as one part of ``build_set``)."""
    return build_set([(enterprises, assessments, definitions)], taxonomy, primary=primary).frame()


Part = tuple[pd.DataFrame, pd.DataFrame, Mapping[int, Questionnaire]]


class HeavyStore(Protocol):
    """Where a ``PortraitSet`` keeps its parts' nested profiles: a list, or a ``spool.FrameSpool``."""

    def append(self, frame: pd.DataFrame) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> pd.DataFrame: ...


def build_set(parts: Iterable[Part], taxonomy: Taxonomy, *, primary: str,
              heavy: HeavyStore | None = None) -> PortraitSet:
    """The portraits of a cluster read in parts: (enterprises, their assessments, definitions) of
    disjoint sets of firms, in enterprise-id order.

    Each part is profiled as it comes and let go: its light rows stay, its nested profiles go to
    ``heavy`` (a list unless given: the pipeline gives a file, ``spool.FrameSpool``), so building a
    cluster holds one part's inputs and profiles, not the cluster's. What compares a firm with the whole
    cluster (the percentiles, and the portrait type that reads them and the dimension shares) is made
    from the light rows once every part is in."""
    store: HeavyStore = [] if heavy is None else heavy
    lights: list[pd.DataFrame] = []
    shares: list[pd.DataFrame] = []
    sizes: list[int] = []
    for ents, assess, defs in parts:
        built = _part_portraits(ents, assess, defs, taxonomy, primary=primary)
        if not len(built):
            continue
        built = built.sort_values("enterprise_id", kind="stable").reset_index(drop=True)
        shares.append(dimension_shares(built["dimensions"]))
        store.append(built[list(HEAVY)])
        # a copy: ``drop`` may give views of the part's blocks, which would keep its profiles alive
        lights.append(built.drop(columns=list(HEAVY)).copy())
        sizes.append(len(built))
        del built, ents, assess  # gone before the next part is read
    if not lights:
        return PortraitSet(pd.DataFrame(columns=LIGHT_COLUMNS), store, [], columns=PORTRAIT_COLUMNS)
    light = pd.concat(lights, ignore_index=True) if len(lights) > 1 else lights[0]
    if not light["enterprise_id"].is_monotonic_increasing:
        raise ValueError("portrait parts must come in enterprise-id order, each its own firms")
    light["percentile_cluster"] = percentile(light["total"])
    light["percentile_industry"] = percentile(light["total"], light["industry_code"])
    share = pd.concat(shares, ignore_index=True) if len(shares) > 1 else shares[0]
    light["type_code"] = classify(light, taxonomy, share)
    out = PortraitSet(light[LIGHT_COLUMNS], store, sizes, columns=PORTRAIT_COLUMNS)
    out.memo["shares"] = share
    return out


class PortraitSet:
    """A cluster's portraits, their nested profiles (``HEAVY``) kept a part at a time.

    ``light``: every other column, one row per firm in enterprise order: what compares, counts or lists
    firms (levels, totals, types, names, links). ``heavy[k]``: the ``HEAVY`` columns of the ``sizes[k]``
    rows after part ``k - 1``'s, row for row. The steps that read profiles go through ``parts`` (a
    stage then holds one part's, ~3 KB a firm, not a cluster's) or ``frame(ids)`` for the firms they
    spell out; ``frame()`` is every column of every firm, for small clusters and the web's pages.
    """

    def __init__(self, light: pd.DataFrame, heavy: HeavyStore, sizes: Sequence[int], *,
                 columns: Sequence[str]) -> None:
        if len(sizes) != len(heavy) or sum(sizes) != len(light):
            raise ValueError(f"{len(light)} portraits but parts of {list(sizes)} rows")
        self.light = light
        self.heavy = heavy
        self.sizes = list(sizes)
        self.columns = list(columns)  # a frame's columns, in order
        self.memo: dict[str, Any] = {}  # what is made once from every part (``dimension_shares``), views share it

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> PortraitSet:
        """A frame at hand as one part (its columns and index as they are; any of ``HEAVY`` may be missing)."""
        heavy = [c for c in frame.columns if c in HEAVY]
        store: list[pd.DataFrame] = [frame[heavy]] if len(frame) else []
        return cls(frame.drop(columns=heavy), store, [len(frame)] if len(frame) else [], columns=list(frame.columns))

    def view(self) -> PortraitSet:
        """The same portraits with a light frame of its own: a reader may add columns to it or change
        values, and the portraits it came from (a cache) stay as they are. A shallow copy: pandas copies a
        column on its first write (copy-on-write), so a view costs nothing until then (a deep copy was
        ~45 MB for 300 000 firms, in every stage after the portraits)."""
        out = PortraitSet(self.light.copy(deep=False), self.heavy, self.sizes, columns=self.columns)
        out.memo = self.memo
        return out

    def stored(self) -> PortraitSet:
        """The same portraits, their light rows in ``stored_form`` (what a cold read of them gives)."""
        out = PortraitSet(stored_form(self.light), self.heavy, self.sizes, columns=self.columns)
        out.memo = self.memo
        return out

    def __len__(self) -> int:
        return len(self.light)

    @property
    def empty(self) -> bool:
        return len(self.light) == 0

    def _join(self, light: pd.DataFrame, heavy: pd.DataFrame, columns: Sequence[str] | None) -> pd.DataFrame:
        part = light.copy()
        for c in heavy.columns if columns is None else columns:
            part[c] = heavy[c].to_numpy()
        return part[[c for c in self.columns if c in part.columns]]

    def parts(self, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Runs of consecutive rows, each with its nested profiles (``columns`` of them; default all)."""
        at = 0
        for k, n in enumerate(self.sizes):
            yield self._join(self.light.iloc[at:at + n], self.heavy[k], columns)
            at += n

    def frame(self, ids: Iterable[int] | None = None) -> pd.DataFrame:
        """Every column of every firm, or of the firms ``ids`` names (reading only the parts they are in)."""
        if ids is None:
            got = list(self.parts())
        else:
            wanted = self.light["enterprise_id"].isin(list(ids)).to_numpy()
            got, at = [], 0
            for k, n in enumerate(self.sizes):
                here = wanted[at:at + n]
                if here.any():
                    got.append(self._join(self.light.iloc[at:at + n][here], self.heavy[k].iloc[here], None))
                at += n
        if not got:
            return pd.DataFrame(columns=self.columns)
        return pd.concat(got) if len(got) > 1 else got[0]

    def dimension_shares(self) -> pd.DataFrame:
        """``dimension_shares`` of every firm, rows as ``light``'s (made once, a part at a time)."""
        if "shares" not in self.memo:
            got, at = [], 0
            for k, n in enumerate(self.sizes):
                got.append(dimension_shares(self.heavy[k]["dimensions"].set_axis(self.light.index[at:at + n])))
                at += n
            self.memo["shares"] = (pd.concat(got) if len(got) > 1 else got[0] if got
                                   else pd.DataFrame(index=self.light.index))
        shares: pd.DataFrame = self.memo["shares"]
        return shares


def as_set(portraits: pd.DataFrame | PortraitSet) -> PortraitSet:
    """``portraits`` as a ``PortraitSet`` (a frame at hand becomes one part)."""
    return portraits if isinstance(portraits, PortraitSet) else PortraitSet.of_frame(portraits)


def _part_portraits(enterprises: pd.DataFrame, assessments: pd.DataFrame, definitions: Mapping[int, Questionnaire],
                    taxonomy: Taxonomy, *, primary: str) -> pd.DataFrame:
    """The portraits of one part's firms, every column but the cluster-wide ones (percentiles, type)."""
    if assessments.empty:
        return pd.DataFrame()
    sizes = enterprises.set_index("enterprise_id")["size_class"]
    parts = [_profile(g, definitions[int(cast(int, vid))], taxonomy, sizes)
             for vid, g in assessments.groupby("questionnaire_version_id")]
    prof = assessments.join(pd.concat(parts))
    main = prof[prof["questionnaire_code"] == primary].set_index("enterprise_id")
    extra = prof[prof["questionnaire_code"] != primary]
    ents = enterprises.set_index("enterprise_id").loc[lambda d: d.index.isin(main.index)]
    main = main.loc[ents.index]
    eids = ents.index.tolist()
    at = {eid: i for i, eid in enumerate(eids)}
    # lists of the primary assessment's profile, row i = enterprise eids[i]; the modules' assessments
    # (a minority of firms) are merged in below with plain list and dict operations
    weaknesses = main["weaknesses"].tolist()
    strengths = main["strengths"].tolist()
    levels = [dict(sorted((lv or {}).items())) for lv in main["scenario_levels"].tolist()]
    sev = main["sev_sum"].astype(float).tolist()
    cnt = main["n_scored"].astype(float).tolist()
    modules: list[dict[str, Any]] = [{} for _ in eids]
    merged: set[int] = set()
    cols = ["enterprise_id", "weaknesses", "strengths", "scenario_levels", "sev_sum", "n_scored", "questionnaire_code",
            "assessment_id", "total", "level", "trusted"]
    for eid, weak, strong, lv, s_sum, n_sc, qcode, aid, total, level, trusted in zip(
            *(extra[c].tolist() for c in cols), strict=True):
        i = at.get(eid)
        if i is None:
            continue
        weaknesses[i] = weaknesses[i] + list(weak)
        strengths[i] = strengths[i] + list(strong)
        levels[i] = {**levels[i], **dict(sorted((lv or {}).items()))}
        sev[i] += s_sum
        cnt[i] += n_sc
        modules[i][qcode] = {"assessment_id": int(aid), "total": float(total), "level": int(level),
                             "trusted": bool(trusted)}
        merged.add(i)
    for i in merged:  # each assessment's own list is in order already (``_ordered_weaknesses``)
        weaknesses[i] = sorted(weaknesses[i], key=weakness_order)
    link_pos = {c.code: c.position for c in taxonomy.chain_links}
    tags = shared_codes(ents["tags"].map(lambda t: sorted(t or [])))
    out = pd.DataFrame({
        "enterprise_id": ents.index.astype(int),
        "assessment_id": main["assessment_id"].astype(int).to_numpy(),
        "level": main["level"].astype(int).to_numpy(),
        "total": main["total"].astype(float).round(4).to_numpy(),
        "size_class": ents["size_class"].fillna(UNKNOWN).to_numpy(),
        "uscc": ents["uscc"].to_numpy(), "name": ents["name"].to_numpy(),
        "industry_code": ents["industry_code"].to_numpy(), "region": ents["region"].to_numpy(),
        "chain_links": shared_codes(ents["chain_links"].map(lambda c: sorted(c or []))).to_numpy(),
        "positions": shared_codes(ents["chain_links"].map(
            lambda c: sorted({link_pos[x] for x in c or [] if x in link_pos}))).to_numpy(),
        "tags": tags.to_numpy(),
        "chain_leader": tags.map(lambda t: "chain_leader" in t).to_numpy(dtype=bool),
        "srdi": tags.map(lambda t: "srdi" in t).to_numpy(dtype=bool),
        "listed": tags.map(lambda t: "listed" in t).to_numpy(dtype=bool),
        "group_name": ents["group_name"].to_numpy(), "pilot_willing": ents["pilot_willing"].astype(bool).to_numpy(),
        "questionnaire_version_id": main["questionnaire_version_id"].astype(int).to_numpy(),
        "trusted": main["trusted"].astype(bool).to_numpy(), "band_level": main["band_level"].astype(int).to_numpy(),
        "dimensions": main["dimensions"].to_numpy(),
        "strengths": strengths,
        "weaknesses": weaknesses,
        "scenario_levels": levels,
        "modules": modules,
        "need": np.round(np.array(sev, dtype=float) / np.clip(np.array(cnt, dtype=float), 1, None), 4),
    })
    return out


NESTED = {"chain_links", "positions", "tags", "dimensions", "strengths", "weaknesses", "scenario_levels", "modules"}


def feed_map(definitions: Mapping[int, Questionnaire]) -> dict[str, list[str]]:
    """``"<questionnaire>:<indicator>"`` -> the scenario codes its weakness feeds (newest version wins)."""
    out: dict[str, list[str]] = {}
    for _, q in sorted(definitions.items()):
        for ind in q.indicators():
            if ind.feeds:
                out[f"{q.code}:{ind.code}"] = sorted(ind.feeds)
    return dict(sorted(out.items()))


class PortraitRecords(Sequence[dict[str, Any]]):
    """Rows for the ``portraits`` table, kept as the plain columns they are made of: row ``i`` (its
    indexed columns, and its ``data`` dict) is made when it is read. Held as two dicts a row, a
    60 000-firm cluster's rows took 53 MB beside its frame at the portraits stage's peak, while each
    is only read once or twice (its text, its table row) and the cached light rows are made from the
    columns themselves (``from_records``). Rows of some columns only (``LIGHT_COLUMNS``) give the
    ``data`` of those."""

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the list it stands for

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self.columns = columns
        self._n = len(columns[ROW_COLUMNS[0]])

    def __len__(self) -> int:
        return self._n

    def row(self, i: int) -> dict[str, Any]:
        c = self.columns
        return {**{k: c[k][i] for k in ROW_COLUMNS}, "data": {k: c[k][i] for k in DATA_COLUMNS if k in c}}

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self.row(i) for i in range(*index.indices(self._n))]
        i = index + self._n if index < 0 else index
        if not 0 <= i < self._n:
            raise IndexError(index)
        return self.row(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PortraitRecords):
            return self.columns == other.columns
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented



def record_columns(records: Sequence[dict[str, Any]], names: Sequence[str] = PORTRAIT_COLUMNS
                   ) -> dict[str, list[Any]]:
    """Rows as lists of the columns ``names``: a new dict, the columns of records kept as columns
    themselves (not copied, and not to be changed), else gathered from each row and its ``data``."""
    if isinstance(records, PortraitRecords):
        return {c: records.columns[c] for c in names}
    datas = [r.get("data") or {} for r in records]
    return {c: [r.get(c) for r in records] if c in ROW_COLUMNS else [d.get(c) for d in datas] for c in names}


def to_records(portraits: pd.DataFrame, names: Sequence[str] = PORTRAIT_COLUMNS) -> PortraitRecords:
    """Rows for the ``portraits`` table: the indexed columns plus a JSON ``data`` dict (of the columns
    ``names``: ``LIGHT_COLUMNS`` for rows without their nested profiles).

    Scalars are made plain here; the nested columns are built from plain, rounded Python values by
    ``build_portraits`` (or read back from JSON), so they are passed through as they are.
    """
    return PortraitRecords({c: _record_values(c, portraits[c]) for c in names})


def _record_values(name: str, column: pd.Series) -> list[Any]:
    """One column as its rows store it: nested values as built, scalars made plain (``_plain``)."""
    return column.tolist() if name in NESTED else _plain(column)


def _plain(column: pd.Series) -> list[Any]:
    """A scalar column as canonical Python values, converted a column at a time (``tolist`` unwraps
    numpy scalars; only floats and objects still need ``jsonable``'s rounding and NaN rule)."""
    values = column.tolist()
    if column.dtype.kind in "biu":
        return values
    return [jsonable(v) for v in values]


def from_records(records: Sequence[dict[str, Any]], names: Sequence[str] = PORTRAIT_COLUMNS) -> pd.DataFrame:
    """The inverse of ``to_records`` (what downstream flows read back from the store), of the columns
    ``names``.

    Built a column at a time: a flat dict per row first (29 keys each) took twice the memory at the
    portraits stage's peak (82 against 37 MB for 60 000 rows) and 1.5 s against 1.0 s. Records kept as
    columns give theirs."""
    if not records:
        return pd.DataFrame(columns=list(names))
    columns = record_columns(records, names)
    df = pd.DataFrame({c: _stored_column(c, columns[c]) for c in names}, columns=list(names))
    return df.sort_values("enterprise_id", kind="stable").reset_index(drop=True)


FLAGS = ("chain_leader", "srdi", "listed", "pilot_willing", "trusted")


def _stored_column(name: str, values: list[Any]) -> pd.Series:
    """A column of rows read back (``from_records``), from its stored values: codes shared
    (``REPEATED``: a new list, not the records' own), flags as booleans, totals and needs as floats."""
    column = pd.Series(one_of_each(values) if name in REPEATED else values)
    if name in FLAGS:
        return column.fillna(False).astype(bool)
    if name in ("need", "total"):
        return column.astype(float)
    return column


def stored_form(light: pd.DataFrame) -> pd.DataFrame:
    """``light`` as reading its stored rows back gives it: ``from_records(to_records(light))``, made a
    column at a time. The portraits stage keeps this as the later stages' cache, so a stage reads the
    same frame whether the portraits were just built or read cold, without holding the cluster's rows
    as records (~100 MB for 300 000 firms) beside two frames while it is made."""
    if not light["enterprise_id"].is_monotonic_increasing:
        raise ValueError("portrait rows must be in enterprise-id order")
    if len(light) == 0:
        return pd.DataFrame(columns=list(light.columns))
    columns = {c: _stored_column(c, _record_values(c, light[c])) for c in light.columns}
    return pd.DataFrame(columns, columns=list(light.columns))


SHARED = ("weaknesses", "strengths")
# columns whose values repeat across a cluster: a few codes, or lists of a few codes (the 100k demo's
# 60 000-firm cluster has 4-21 distinct values in each)
REPEATED = ("type_code", "size_class", "industry_code", "region", "group_name", "chain_links", "positions", "tags")


def shared_codes(column: pd.Series) -> pd.Series:
    """The column with equal codes or code lists made one object (``one_of_each``), of the same type."""
    return pd.Series(one_of_each(column.tolist()), index=column.index, dtype=column.dtype)


def one_of_each(values: list[Any]) -> list[Any]:
    """``values`` with equal ones made one object: decoded or read row by row, each row's code is a string
    and each code list a list of its own (~60-160 bytes a cell). Shared, the REPEATED columns of a
    60 000-firm frame shrink from ~41 to ~4 MB; such a frame stays in a lane's cache for the later
    stages. Values are compared with their type (so 1, 1.0 and True stay apart); a list stands for
    itself by its items."""
    one = value_sharer()
    return [one(value) for value in values]


def value_sharer() -> Callable[[Any], Any]:
    """``one_of_each`` a value at a time: the first of equal values for each value, as it comes (a cold
    read shares codes as it decodes them, and never holds the copies)."""
    seen: dict[Any, Any] = {}

    def one(value: Any) -> Any:
        try:
            return seen.setdefault((type(value), tuple(value) if isinstance(value, list) else value), value)
        except TypeError:  # an unhashable item: left as it is
            return value

    return one


def item_sharer() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that makes equal weakness, strength and dimension items of decoded rows one object.

    JSON decoding builds a dict per item: a 40 000-firm snapshot read back held ~1 M weakness dicts
    (~760 MB as a frame, most of it those dicts) where a few thousand distinct ones exist. Applied to
    each row's ``data`` as it is decoded (the duplicates' memory is then reused by the next row's), rows
    read back take the memory of rows just built (``shared_items``), in the web app's frame cache as in
    the pipeline's. Items are flat (scalar values); one that is not is left as it is.
    """
    seen: dict[Any, dict[str, Any]] = {}
    keep = seen.setdefault

    def one(item: Any) -> Any:
        try:
            return keep(tuple(item.items()), item)
        except (AttributeError, TypeError):  # not a dict of scalars: kept as decoded
            return item

    def share(data: dict[str, Any]) -> dict[str, Any]:
        for col in SHARED:
            items = data.get(col)
            if items:
                try:  # the whole list at once; item by item only when one is not a dict of scalars
                    data[col] = [keep(tuple(w.items()), w) for w in items]
                except (AttributeError, TypeError):
                    data[col] = [one(w) for w in items]
        dims = data.get("dimensions")
        if isinstance(dims, dict) and dims:
            data["dimensions"] = {k: one(v) for k, v in dims.items()}
        return data

    return share


DIGEST_ROWS = 10_000  # rows whose indexed columns are serialised at once for the digest


def data_text(record: dict[str, Any]) -> bytes:
    """A record's ``data`` as canonical JSON, UTF-8: hashed for the digest and stored as it is.

    Bytes, not ``str``: a portrait holds Chinese names, so its text as a Python string takes two bytes a
    character (a 60 000-firm cluster's 200 M characters were ~400 MB while they waited to be stored);
    ``save_portraits`` decodes them a chunk at a time, and the pipeline keeps them in a file meanwhile
    (``diagnostics.spool``)."""
    return dump_bytes(record["data"], plain=True)


def data_texts(records: Sequence[dict[str, Any]]) -> list[bytes]:
    """Every record's ``data_text``."""
    return [data_text(r) for r in records]


def rows_digest(records: Sequence[dict[str, Any]] | pd.DataFrame, texts: Sequence[bytes]) -> str:
    """SHA-256 over every row: its indexed columns and its ``data`` text, in enterprise order.

    ``records``: the rows, or the frame they are made of (``to_records``: a light frame in
    ``stored_form`` will do, its indexed columns are those of its rows)."""
    if len(records) != len(texts):
        raise ValueError(f"{len(records)} portrait rows but {len(texts)} data texts")
    h = hashlib.sha256()
    # the indexed columns of all rows as one canonical array (they are plain values already), then the
    # data texts: the array's text is hashed a run of rows at a time (the same bytes: "[" + the rows'
    # texts joined by "," + "]"), not built whole (~70 MB for 300 000 firms)
    whole = None if isinstance(records, pd.DataFrame) else record_columns(records, ROW_COLUMNS)
    h.update(b"[")
    for start in range(0, len(records), DIGEST_ROWS):
        end = start + DIGEST_ROWS
        columns = (to_records(cast(pd.DataFrame, records).iloc[start:end], ROW_COLUMNS).columns if whole is None
                   else {c: v[start:end] for c, v in whole.items()})
        if start:
            h.update(b",")
        h.update(dump_bytes([list(v) for v in zip(*(columns[c] for c in ROW_COLUMNS), strict=True)],
                            plain=True)[1:-1])
    h.update(b"]")
    # then the texts one at a time, newline-separated: the same bytes as hashing them joined, without
    # building that joined copy (200 MB and 0.6 s for a 60 000-firm cluster)
    for text in texts:
        h.update(b"\n")
        h.update(text)
    return h.hexdigest()


AXES: dict[str, dict[str, str]] = {
    "industry_code": {"zh": "行业小类（GB/T 4754）", "en": "Industry class (GB/T 4754)"},
    "chain_link": {"zh": "产业链环节", "en": "Chain link"},
    "position": {"zh": "链上位置", "en": "Chain position"},
    "size_class": {"zh": "企业规模", "en": "Size class"},
    "tag": {"zh": "企业标签（链主、专精特新、上市）", "en": "Tags (chain leader, SRDI, listed)"},
    "region": {"zh": "所在区县", "en": "Region"},
}
POSITION_NAMES = {"upstream": {"zh": "上游", "en": "Upstream"}, "midstream": {"zh": "中游", "en": "Midstream"},
                  "downstream": {"zh": "下游", "en": "Downstream"}}
TAG_NAMES = {"chain_leader": {"zh": "链主/骨干企业", "en": "Chain leader"}, "srdi": {"zh": "专精特新", "en": "SRDI"},
             "listed": {"zh": "上市企业", "en": "Listed"}, "": {"zh": "无上述标签", "en": "None of these"}}


def _axis_frame(df: pd.DataFrame, axis: str) -> pd.DataFrame:
    """(enterprise row, axis value) pairs: list-valued axes are exploded, so a firm in two links counts
    once in each link."""
    base = df[["level", "type_code", "total"]].copy()
    if axis == "chain_link":
        vals = df["chain_links"]
    elif axis == "position":
        vals = df["positions"]
    elif axis == "tag":
        vals = df["tags"].map(lambda t: [x for x in (t or []) if x in TAG_NAMES] or [""])
    else:
        vals = df[axis].fillna(UNKNOWN if axis == "size_class" else "")
    base["value"] = vals.to_numpy()
    if axis in ("chain_link", "position", "tag"):
        base = base.explode("value").dropna(subset=["value"])
    return base


def cross_tabs(portraits: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """分类 x 分级: for each classification axis, per value the firms by level and by portrait type.

    Axes: industry class, chain link, chain position, size class, tags (chain leader / 专精特新 / listed)
    and region. Built with pandas cross-tabulations (no loop over enterprises); names, not codes, ride
    along for the pages and workbooks.
    """
    levels = [0, 1, 2, 3, 4]
    type_codes = [t.code for t in taxonomy.portrait_types]
    link_names = {c.code: c.name.model_dump() for c in taxonomy.chain_links}
    link_order = {c.code: i for i, c in enumerate(taxonomy.chain_links)}
    out: dict[str, Any] = {}
    for axis, axis_name in AXES.items():
        frame = _axis_frame(portraits, axis) if len(portraits) else pd.DataFrame(columns=["value", "level"])
        rows: list[dict[str, Any]] = []
        if len(frame):
            by_level = pd.crosstab(frame["value"], frame["level"].astype(int))
            by_type = pd.crosstab(frame["value"], frame["type_code"].fillna(""))
            mean = frame.groupby("value")["total"].mean()
            values = list(by_level.index)
            if axis == "chain_link":
                values.sort(key=lambda v: link_order.get(v, 99))
            elif axis == "size_class":
                values.sort(key=lambda v: SIZE_ORDER.index(v) if v in SIZE_ORDER else 99)
            elif axis == "tag":
                values.sort(key=lambda v: list(TAG_NAMES).index(v))
            for v in values:
                rows.append({
                    "value": v, "name": _value_name(axis, v, link_names),
                    "n": int(by_level.loc[v].sum()),
                    "levels": {str(lv): int(by_level.loc[v].get(lv, 0)) for lv in levels},
                    "types": {t: int(by_type.loc[v].get(t, 0)) for t in type_codes},
                    "mean_total": round(float(mean.loc[v]), 4),
                })
        out[axis] = {"name": axis_name, "rows": rows}
    return jsonable_dict(out)


def _value_name(axis: str, value: str, link_names: Mapping[str, Any]) -> dict[str, Any]:
    if axis == "chain_link":
        return dict(link_names.get(value, {"zh": value}))
    if axis == "position":
        return POSITION_NAMES.get(value, {"zh": value, "en": value})
    if axis == "size_class":
        return size_text(value)
    if axis == "tag":
        return TAG_NAMES.get(value, {"zh": value, "en": value})
    if axis == "industry_code":
        entry = lookup(value) if value else None
        return {"zh": f"{value} {entry.name_zh}", "en": f"{value} {entry.name_en}"} if entry else {
            "zh": value or "未填", "en": value or "not given"}
    return {"zh": value or "未填", "en": value or "not given"}


def summary(portraits: pd.DataFrame | PortraitSet, taxonomy: Taxonomy, *, enterprises_total: int, primary: str,
            feeds: Mapping[str, list[str]], texts: Sequence[bytes] | None = None) -> dict[str, Any]:
    """The portraits snapshot payload: distributions the dashboard draws, plus a digest of every row.

    ``rows_digest`` ties the snapshot to the exact portrait rows, so a change in any one enterprise's
    portrait makes a new snapshot, while the payload itself stays small. Pass the ``texts`` already
    made for storing, to serialise 10 000 rows once, not twice (the indexed columns hashed are then
    those of the light rows).
    """
    portrait_set = as_set(portraits)
    df = portrait_set.light
    rows: Sequence[dict[str, Any]] | pd.DataFrame = df
    if texts is None:
        rows = to_records(portrait_set.frame())
        texts = data_texts(rows)
    sizes = list(SIZE_ORDER)
    levels = sorted({0, 1, 2, 3, 4} | set(df["level"].astype(int)))

    def _count(frame: pd.DataFrame, col: str, keys: list[Any]) -> dict[str, int]:
        counts = frame[col].value_counts()
        return {str(k): int(counts.get(k, 0)) for k in keys}

    type_codes = [t.code for t in taxonomy.portrait_types]
    by_size = df[["size_class", "level", "type_code"]]  # the counts by size filter these, not every column
    types = [{"code": t.code, "name": t.name.model_dump(), "count": int((df["type_code"] == t.code).sum())}
             for t in taxonomy.portrait_types]
    types.append({"code": None, "name": {"zh": "未分类", "en": "Unclassified"},
                  "count": int(df["type_code"].isna().sum())})
    shares = portrait_set.dimension_shares()  # the mean over the firms whose profile has the dimension
    dims = {str(code): shares[code].dropna().to_numpy(dtype=float) for code in shares.columns}
    return jsonable_dict({
        "primary": primary,
        "taxonomy": f"{taxonomy.code}@{taxonomy.version}",
        "enterprises": enterprises_total,
        "assessed": len(df),
        "not_assessed": enterprises_total - len(df),
        "trusted": int(df["trusted"].sum()) if len(df) else 0,
        "levels": _count(df, "level", levels),
        "levels_by_size": {s: _count(by_size[by_size["size_class"] == s], "level", levels) for s in sizes
                           if (df["size_class"] == s).any()},
        "types": types,
        "types_by_size": {s: _count(by_size[by_size["size_class"] == s], "type_code", type_codes) for s in sizes
                          if (df["size_class"] == s).any()},
        "cross_tabs": cross_tabs(df, taxonomy),
        "type_descriptions": {t.code: t.description.model_dump() if t.description else None
                              for t in taxonomy.portrait_types},
        "mean_total": round(float(df["total"].mean()), 4) if len(df) else None,
        "dimension_mean_share": {k: round(float(np.mean(v)), 4) for k, v in sorted(dims.items())},
        "feeds": dict(feeds),
        "rows_digest": rows_digest(rows, texts),
    })
