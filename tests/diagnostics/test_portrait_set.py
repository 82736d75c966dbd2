"""Portraits kept a part at a time (``PortraitSet``): every view made from the parts equals the one made
from the whole frame, and building a cluster holds one part's nested profiles, not the cluster's."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from diagnostics.industry_map import build_industry_map, scenario_practice
from diagnostics.needs import rank_needs
from diagnostics.pilot import load_targets
from diagnostics.portraits import (
    HEAVY,
    LIGHT_COLUMNS,
    Part,
    PortraitSet,
    build_portraits,
    build_set,
    data_text,
    feed_map,
    summary,
    to_records,
)
from diagnostics.shortlist import participant_list, select_shortlist
from diagnostics.spool import FrameSpool
from diagnostics.taxonomy import load_taxonomy
from diagnostics.workbooks.enterprise_report import peer_benchmark
from tests.diagnostics.test_metamorphic import SME, cluster

TAXONOMY = load_taxonomy("nonferrous")
TARGETS = load_targets("shaoguan-nonferrous")
FEEDS = feed_map({1: SME})


def parts_of(ents: pd.DataFrame, assess: pd.DataFrame, firms: int) -> Iterator[Part]:
    """The cluster as the portraits stage reads it: ``firms`` enterprises at a time, in id order."""
    ids = sorted(ents["enterprise_id"])
    for start in range(0, len(ids), firms):
        here = set(ids[start:start + firms])
        yield (ents[ents["enterprise_id"].isin(here)], assess[assess["enterprise_id"].isin(here)], {1: SME})


def split(frame: pd.DataFrame, sizes: list[int]) -> PortraitSet:
    """A whole frame as parts of ``sizes`` rows, their profiles in a file, as the pipeline keeps them."""
    heavy = FrameSpool()
    at = 0
    for n in sizes:
        heavy.append(frame.iloc[at:at + n][list(HEAVY)])
        at += n
    return PortraitSet(frame[LIGHT_COLUMNS], heavy, sizes, columns=list(frame.columns))


@pytest.fixture(scope="module")
def whole() -> pd.DataFrame:
    ents, assess = cluster(160)
    return build_portraits(ents, assess, {1: SME}, TAXONOMY, primary=SME.code)


@pytest.mark.parametrize("firms", [1, 37, 160])
def test_built_in_parts_the_portraits_are_those_of_the_whole_cluster(whole: pd.DataFrame, firms: int) -> None:
    ents, assess = cluster(160)
    built = build_set(parts_of(ents, assess, firms), TAXONOMY, primary=SME.code, heavy=FrameSpool())
    assert len(built.sizes) == -(-160 // firms) and list(built.light.columns) == LIGHT_COLUMNS
    # (a part whose firms all lack a text, such as a group, holds it as objects, not strings: the stored
    # rows are the same)
    pd.testing.assert_frame_equal(built.frame(), whole, check_dtype=firms > 1)
    assert to_records(built.frame()) == to_records(whole)
    # the percentiles and types compare each firm with the whole cluster, not with its part
    assert built.light["percentile_cluster"].max() == 100.0 and built.light["percentile_cluster"].min() == 0.0
    texts = [data_text(r) for part in built.parts() for r in to_records(part)]
    kw: dict[str, Any] = {"enterprises_total": 160, "primary": SME.code, "feeds": FEEDS}
    assert summary(built, TAXONOMY, texts=texts, **kw) == summary(whole, TAXONOMY, **kw)
    assert summary(built.stored(), TAXONOMY, texts=texts, **kw) == summary(whole, TAXONOMY, **kw)


def test_views_read_in_parts_equal_the_views_of_the_whole_frame(whole: pd.DataFrame) -> None:
    parted = split(whole, [50, 1, 70, 39])
    assert rank_needs(parted, TAXONOMY, FEEDS, chunk_firms=16) == rank_needs(whole, TAXONOMY, FEEDS)
    assert build_industry_map(TAXONOMY, parted, TARGETS) == build_industry_map(TAXONOMY, whole, TARGETS)
    assert peer_benchmark(parted) == peer_benchmark(whole)
    shortlist = select_shortlist(parted.light, TARGETS.quotas, [c.code for c in TAXONOMY.chain_links])
    assert shortlist == select_shortlist(whole, TARGETS.quotas, [c.code for c in TAXONOMY.chain_links])
    assert shortlist["picks"]
    names: dict[str, Any] = {}
    assert participant_list(shortlist, parted, TAXONOMY, FEEDS, names) == participant_list(
        shortlist, whole, TAXONOMY, FEEDS, names)
    some = whole["enterprise_id"].iloc[[3, 60, 61, 150]].tolist()
    pd.testing.assert_frame_equal(parted.frame(some), whole[whole["enterprise_id"].isin(some)])


def test_a_view_is_the_readers_own_and_leaves_the_portraits_it_came_from_as_they_are(whole: pd.DataFrame) -> None:
    """A stage reads a view of the cached portraits and may add columns or change values in it; the cache
    (the next stage's portraits) does not change."""
    kept = split(whole, [60, 100])
    before = kept.light.copy()
    view = kept.view()
    view.light["score"] = 1.0
    view.light.loc[view.light.index[0], "total"] = -1.0
    view.light["name"] = view.light["name"].str.upper()
    del view.light["level"]
    pd.testing.assert_frame_equal(kept.light, before, check_exact=True)
    assert view.light["total"].iloc[0] == -1.0 and "score" not in kept.light
    assert view.heavy is kept.heavy and view.memo is kept.memo  # the profiles are shared, not copied


def test_a_scenario_rated_in_one_part_only_counts_as_rated_in_every_part(whole: pd.DataFrame) -> None:
    """A scenario's practice is the firm's own rating when any firm of the cluster rated it (else the
    best of its SME scenarios): a part where nobody rated it must not fall back to the SME ratings."""
    frame = whole.copy()
    rated = next(s for s in TAXONOMY.scenarios if s.sme_scenarios)
    frame["scenario_levels"] = pd.Series([{**(lv or {}), rated.code: 0} if i >= 100 else
                                          {k: v for k, v in (lv or {}).items() if k != rated.code}
                                          for i, lv in enumerate(frame["scenario_levels"])], dtype=object)
    want = scenario_practice(frame, TAXONOMY)
    assert (want[rated.code].iloc[:100] == 0).all()  # rated by the others: unrated here means 0
    pd.testing.assert_frame_equal(scenario_practice(split(frame, [100, 60]), TAXONOMY), want)
    alone = frame.assign(scenario_levels=pd.Series([{k: v for k, v in (lv or {}).items() if k != rated.code}
                                                    for lv in frame["scenario_levels"]], dtype=object))
    fallback = scenario_practice(split(alone, [100, 60]), TAXONOMY)  # nobody rated it: the SME ratings
    pd.testing.assert_frame_equal(fallback, scenario_practice(alone, TAXONOMY))
    assert fallback[rated.code].to_numpy().any()


def live_weaknesses() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, list) and o and isinstance(o[0], dict)
               and "severity" in o[0])


def test_building_a_cluster_holds_one_parts_profiles_at_a_time() -> None:
    """Once a part is built its nested profiles go to the file: when the next part is read, none of the
    earlier parts' weakness lists is still alive (a light row that kept a view of its part's columns
    kept them all, ~3 KB a firm, until the cluster was done)."""
    ents, assess = cluster(160)
    alive: list[int] = []
    before = live_weaknesses()

    def watched() -> Iterator[Part]:
        for part in parts_of(ents, assess, 40):
            alive.append(live_weaknesses() - before)
            yield part
        alive.append(live_weaknesses() - before)

    built = build_set(watched(), TAXONOMY, primary=SME.code, heavy=FrameSpool())
    assert alive == [0] * 5
    assert sum(len(w) > 0 for w in built.frame()["weaknesses"]) > 100  # the profiles are all there
    assert np.array_equal(built.light["enterprise_id"].to_numpy(), np.arange(1, 161))
