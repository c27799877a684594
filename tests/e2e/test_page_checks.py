"""The journeys' raw-code scan (conftest.raw_words) on its own: what it lets through and what it flags."""

from __future__ import annotations

from .conftest import raw_words


def test_raw_words_flags_codes_and_english_but_not_legitimate_latin():
    text = ("重庆市园区标准 (TJ-6) · cq-park · 状态 recommended · cases: 3 · 负责人 None\n"
            "联络员 l***@example.com · 91500000MA5U00000X · 下载 PDF / DOCX · SHA-256 0baa57b4b556 · "
            "b1. 建立联系机制 · /t/park/members/ · Waiting")
    assert raw_words(text) == ["None", "TJ-6", "Waiting", "cases", "cq-park", "recommended"]
    assert raw_words("第 1 版 · 2026年12月7日 · 共 4 条 · 63.6%") == []
