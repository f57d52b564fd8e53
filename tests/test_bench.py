"""The benchmark runs end to end on a tiny size: its data is built through the services and audited."""

import io

from bench import reports


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
