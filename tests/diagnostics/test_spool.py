"""The portraits stage keeps its serialised rows in a temporary file (``diagnostics.spool``)."""

from __future__ import annotations

import pytest

from diagnostics import spool
from diagnostics.portraits import rows_digest
from diagnostics.spool import TextSpool


def _texts(n: int) -> list[bytes]:
    # lengths from 0 up, Chinese names (several bytes a character), and a text that is only a newline
    return [("企业" * (i % 7) + f'{{"id":{i}}}').encode() if i % 11 else b"" for i in range(n)] + [b"\n"]


def test_a_spool_gives_back_every_text_in_order_across_read_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "BLOCK", 4)
    texts = _texts(30)
    kept = TextSpool(texts[:10])
    kept.extend(texts[10:])
    assert len(kept) == len(texts)
    assert list(kept) == texts
    assert kept[7:19] == texts[7:19] and kept[5:5] == [] and kept[25:99] == texts[25:]
    assert (kept[0], kept[11], kept[-1]) == (texts[0], texts[11], b"\n")
    kept.append(b"late")  # appends after reads go at the end
    assert list(kept)[-2:] == [b"\n", b"late"]
    with pytest.raises(IndexError):
        kept[len(kept)]
    kept.close()


def test_a_snapshot_digest_is_the_same_from_a_spool_as_from_memory() -> None:
    records = [{"enterprise_id": i, "assessment_id": i, "level": 1, "total": 1.0, "type_code": None,
                "size_class": "small", "percentile_cluster": 50.0, "percentile_industry": None} for i in range(31)]
    texts = _texts(30)
    assert rows_digest(records, TextSpool(texts)) == rows_digest(records, texts)
    assert rows_digest(records, TextSpool(texts[:-1] + [b"{}"])) != rows_digest(records, texts)
