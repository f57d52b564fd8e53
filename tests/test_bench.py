"""The benchmark runs end to end on a tiny size: its data is built through the services and audited."""

import io

import pytest

from bench import peer, reports
from bench.pages import _row


def test_bench_reports_builds_audits_and_times_every_page_on_a_tiny_size():
    out = io.StringIO()
    differences, rows = reports.run(documents=30, adjusted=10, repeat=1, out=out)
    assert differences == []
    assert [row[0] for row in rows][:6] == [
        "Partner balances", "Partner balances, sorted by net", "Payment calendar (weeks)",
        "Payment calendar (days)", "Open documents (drill-down)", "Invoices list",
    ]  # fmt: skip
    assert all(status == 200 for _, status, *_ in rows), out.getvalue()
    assert "check_balances: 0 difference(s)" in out.getvalue()


def test_the_table_shows_the_peer_beside_ours_with_the_ratio():
    ours_only = _row("bills list, one page", "300 documents", 10, 36.0, 35.0, None, None)
    beside = _row("posted card", "10 lines", 12, 30.0, 25.0, 6, 20.0)
    assert ours_only.split() == ["bills", "list,", "one", "page", "300", "documents", "10", "36.0", "35.0"]
    assert beside.split()[-3:] == ["6", "20.0", "1.50"]


def test_each_timed_page_has_the_peer_page_doing_the_same_job():
    assert peer.counterpart("editable card", "200 lines") == ("bill update", "200 lines")
    assert peer.counterpart("posted card", "10 lines") == ("bill detail", "10 lines")
    assert peer.counterpart("invoices list, one page", "2006 documents") == ("bill list", "one page")
    assert peer.counterpart("create + post + pay (services)", "5 lines") == ("create → approve → paid", "5 lines")
    assert peer.counterpart("editable card", "500 lines") is None  # the peer's update page at 500 lines: not timed


def test_without_its_virtualenv_the_peer_is_reported_unavailable_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr(peer.sys, "executable", "/bin/false")  # `python -m venv` fails, as offline it would
    with pytest.raises(peer.PeerUnavailable):
        peer.ensure_venv(tmp_path / "venv")
