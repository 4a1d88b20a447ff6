"""The class report's page: ``index.html``, rendered from ``summary.json``'s data alone.

:func:`render` builds the sections that :mod:`classreport` describes, as one
self-contained page: inline CSS, matplotlib plots as PNG data URIs, and a few
lines of inline JavaScript that sort the students' table.  Every text from a
student passes through :func:`feedback.clean` and ``html.escape``.
"""
from __future__ import annotations

import base64
import collections
import html
import io

from .feedback import clean


def render(stats: dict) -> str:
    """The self-contained ``index.html`` of ``stats`` (:func:`class_statistics`)."""
    e = html.escape
    title = f"{e(clean(stats['title']))} ({e(stats['assignment'])}): class report"
    body = [f"<h1>{title}</h1>",
            "<nav>" + " · ".join(f"<a href='#{k}'>{v}</a>" for k, v in (
                ("overview", "Overview"), ("functions", "Per function"),
                ("misconceptions", "Misconceptions"), ("unexplained", "Unexplained failures"),
                ("students", "Students"))) + "</nav>",
            _overview_html(stats), _functions_html(stats), _misconceptions_html(stats),
            _unexplained_html(stats), _students_html(stats)]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<script>{_SORT_JS}</script>\n</body></html>\n")


def _overview_html(stats: dict) -> str:
    o = stats["overview"]
    status = ", ".join(f"{n} {html.escape(s)}" for s, n in o["status"].items())
    similar = (f"<a href='{stats['similar']}'>similar submissions</a>" if stats["similar"] else
               f"not computed (<code>autograder similar {html.escape(stats['assignment'])} "
               "SUBMISSIONS --out &lt;this folder&gt;/similar</code>)")
    facts = [f"{o['submissions']} submissions: {status}",
             (f"total points: mean {_fmt(o['mean'])}, median {_fmt(o['median'])}, "
              f"min {_fmt(o['min'])}, max {_fmt(o['max'])} (of {stats['max_points']:g})"),
             f"median time per submission: {_fmt(o['median_seconds'])} s",
             f"similar submissions: {similar}"]
    return ("<h2 id='overview'>Overview</h2><ul>" + "".join(f"<li>{f}</li>" for f in facts)
            + "</ul>" + _img(_histogram_png(stats), "score distribution")
            + _img(_shares_png(stats), "mean share of points per function"))


def _functions_html(stats: dict) -> str:
    parts = ["<h2 id='functions'>Per function</h2>",
             (f"<p>Cases hardest first, over the {stats['graded']} graded submissions. "
              "<i>Discrimination</i>: the point-biserial correlation of full marks on the "
              "function with the rest of the total; <span class='flag'>flagged</span> below "
              f"{stats['flag_below']:g} (a broken or too strict test?), from {stats['flag_from']} graded "
              "submissions on.</p>")]
    for f in stats["functions"]:
        r = f["discrimination"]
        disc = ("undefined (everyone or no one has full marks)" if r is None
                else f"{r:.2f}" + (" <span class='flag'>flagged</span>" if f["flagged"] else ""))
        rows = "".join(
            f"<tr><td>{html.escape(c['case'])}</td><td>{'hidden' if c['hidden'] else 'public'}</td>"
            f"<td>{c['part']}</td><td>{c['passed']}/{c['total']}</td>"
            f"<td>{_bar(c['pass_rate'])}</td></tr>" for c in f["cases"])
        parts.append(
            f"<details><summary><code>{f['function']}</code>: mean "
            f"{_pct(f['mean_share'])} of {f['max_points']:g} points, full marks "
            f"{f['full_marks']}/{f['graded']}, discrimination {disc}</summary>"
            "<table><tr><th>case</th><th>visibility</th><th>part</th><th>passed</th>"
            f"<th>pass rate</th></tr>{rows}</table></details>")
    return "\n".join(parts)


def _misconceptions_html(stats: dict) -> str:
    e = html.escape
    n = stats["graded"]
    parts = ["<h2 id='misconceptions'>Misconceptions</h2>"]
    if stats["top"]:
        parts.append(f"<h3>To re-teach (top {stats['top_n']})</h3><ol>" + "".join(
            f"<li><b>{_pct(m['share'])}</b> of the class ({m['count']} of {n}) in "
            f"<code>{m['function']}</code>: {e(m['mistake'])}</li>" for m in stats["top"])
            + "</ol>" + _img(_top_png(stats), "most common misconceptions"))
    else:
        parts.append("<p>No known mistake was diagnosed.</p>")
    by_function = collections.defaultdict(list)
    for m in stats["misconceptions"]:
        by_function[m["function"]].append(m)
    for name, found in by_function.items():
        rows = "".join(
            f"<tr><td>{e(m['mistake'])}</td><td>{m['count']}</td><td>{_pct(m['share'])}</td>"
            f"<td>{_who(m)}</td><td class='ex'>{e(m['example'])}</td></tr>" for m in found)
        parts.append(f"<h3><code>{name}</code></h3><table><tr><th>mistake</th><th>students</th>"
                     "<th>share</th><th>who (failed cases it explains)</th>"
                     f"<th>example feedback</th></tr>{rows}</table>")
    parts.append(f"<p>{stats['downstream_failures']} failed cases are downstream of another "
                 "failing function they call, and are not counted here or below.</p>")
    return "\n".join(parts)


def _who(m: dict) -> str:
    """Each student with how many of the function's failed cases the mistake explains:
    one of many is weak evidence."""
    return ", ".join(f"{html.escape(s)} ({k}/{n})" for s, (k, n) in zip(m["students"],
                                                                       m["evidence"]))


def _unexplained_html(stats: dict) -> str:
    e = html.escape
    groups = stats["unexplained"]
    rows = "".join(
        f"<tr><td><code>{g['function']}</code></td><td>{e(g['message'])}</td><td>{g['count']}</td>"
        f"<td>{e(', '.join(g['students']))}</td></tr>" for g in groups)
    return ("<h2 id='unexplained'>Unexplained failures</h2><p>Failed cases that no known "
            "mistake explains, grouped by message (numbers masked as #): look here next, and "
            "add what you find to <code>autograder/mistakes/</code>.</p>"
            + (f"<table><tr><th>function</th><th>message</th><th>failed cases</th>"
               f"<th>students</th></tr>{rows}</table>" if groups else "<p>None.</p>"))


def _students_html(stats: dict) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td><a href='{e(s['feedback'])}'>{e(s['student'])}</a></td>"
        f"<td data-v='{s['points']}'>{s['points']:g}</td><td>{e(s['status'])}</td>"
        f"<td data-v='{len(s['lost'])}'>{e(', '.join(s['lost']))}</td></tr>"
        for s in stats["students"])
    return ("<h2 id='students'>Students</h2><p>Click a heading to sort.</p>"
            "<table id='students-table' class='sortable'><thead><tr><th>student</th>"
            f"<th>total (of {stats['max_points']:g})</th><th>status</th><th>functions lost</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _fmt(x) -> str:
    return "-" if x is None else f"{x:g}"


def _pct(share) -> str:
    return "-" if share is None else f"{100 * share:.0f}%"


def _bar(share: float) -> str:
    return (f"<span class='bar'><span style='width:{100 * share:.0f}%'></span></span> "
            f"{_pct(share)}")


def _img(uri: str | None, alt: str) -> str:
    return f"<img src='{uri}' alt='{alt}'>" if uri else ""


# ---------------------------------------------------------------- plots

def _png(draw, size=(7, 3)) -> str:
    """A data URI of the PNG that ``draw(ax)`` makes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size)
    draw(ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _histogram_png(stats: dict) -> str:
    h = stats["overview"]["histogram"]
    width = h["edges"][1] - h["edges"][0]
    return _png(lambda ax: (ax.bar(h["edges"][:-1], h["counts"], width=width, align="edge",
                                   color="#4C72B0", edgecolor="white"),
                            ax.set(title="total points", xlabel="points", ylabel="submissions")))


def _shares_png(stats: dict) -> str:
    fs = stats["functions"][::-1]
    return _png(lambda ax: (ax.barh([f["function"] for f in fs],
                                    [100 * (f["mean_share"] or 0) for f in fs], color="#55A868"),
                            ax.set(title="graded submissions' mean, % of each function's points",
                                   xlim=(0, 100))), size=(7, 0.8 + 0.25 * len(fs)))


def _top_png(stats: dict) -> str:
    top = stats["top"][::-1]
    labels = [f"{m['function']}: {m['mistake'][:50]}" for m in top]
    return _png(lambda ax: (ax.barh(labels, [100 * m["share"] for m in top], color="#C44E52"),
                            ax.set(title="% of graded submissions", xlim=(0, 100))),
                size=(9, 0.8 + 0.3 * len(top)))


_CSS = """
body{font-family:system-ui,sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{border-bottom:2px solid #4C72B0;margin-top:2em}nav a{margin:0 .3em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}th{background:#f3f5f9}code{background:#f3f3f3}
.flag{background:#C44E52;color:#fff;padding:0 .3em;border-radius:3px}
.bar{display:inline-block;width:8em;height:.7em;background:#eee}.bar span{display:block;
height:100%;background:#55A868}.ex{font-size:.85em;color:#555;max-width:30em}
.sortable th{cursor:pointer}.sortable th:hover{background:#dde3ee}img{max-width:100%;display:block}
details{margin:.3em 0}summary{cursor:pointer}
"""

# Sort a table by the clicked column: numbers by data-v, text otherwise; a second
# click on the same column reverses.  One pass over rows (fine for 1,000 students).
_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var asc = th.dataset.dir !== 'asc';
    th.closest('tr').querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = asc ? 'asc' : 'desc';
    var key = function (row) {
      var cell = row.cells[col];
      return cell.dataset.v !== undefined ? parseFloat(cell.dataset.v) : cell.textContent;
    };
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = typeof x === 'number' ? x - y : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""
