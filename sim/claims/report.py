"""The claims report: ``<out>/claims/report.md`` and ``report.html`` from the stored results.

The report is made only from what the runs stored (``<out>/claims/<id>.json``) and the
claim files as they are now: a claim whose file's SHA-256 differs from the one stored
with its results is flagged in its section, since its results may not answer it any
more. It holds no clock times, so the same runs give the same report.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from sim.claims.run import ClaimResult, read_result
from sim.claims.spec import LoadedClaim
from sim.runner import git_commit, versions
from sim.sweep.store import atomic_write


@dataclass
class Report:
    """The written report.

    Attributes:
        markdown: ``report.md``.
        html: ``report.html``.
        manifest: ``manifest.json``.
        changed: Ids of claims whose file changed after their results.
        missing: Ids of testable claims with no stored results.
    """

    markdown: Path
    html: Path
    manifest: Path
    changed: list[str]
    missing: list[str]


def _n(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    value = value + 0.0  # no "-0"
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _ci(low: float, high: float) -> str:
    return f"[{_n(low)}, {_n(high)}]"


def _share(result: ClaimResult | None) -> str:
    if result is None or result.robustness is None:
        return "–"
    same = round(result.robustness * len(result.draws))
    return f"{result.robustness:.0%} ({same}/{len(result.draws)})"


def _test_lines(claim: LoadedClaim, result: ClaimResult) -> list[str]:
    spec = claim.spec
    cause = (
        " + ".join(f"{w:g}×({v} − {spec.reference})" for v, w in spec.contrast.items())
        if isinstance(spec.cause, dict)
        else f"`{spec.cause}` − `{spec.reference}`"
    )
    if spec.against is not None:
        cause = f"`{spec.cause}` − {spec.against:g} (the level the claim names)"
    variants = ", ".join(f"`{m['variant']}`" for m in result.means)
    scenario = os.path.relpath(os.path.normpath(claim.file.parent / str(spec.scenario)))
    lines = [
        f"- scenario: `{scenario}` (variants {variants}; reference `{spec.reference}`)",
        f"- effect: {cause}, paired by replicate (common random numbers)",
        f"- outcome: `{spec.metric}`; claimed direction: **{spec.direction}**",
        f"- smallest effect that matters: {spec.smallest_effect:g} (in the metric's units)",
        f"- replicates per variant: {result.replicates}" + (" (--quick)" if result.quick else ""),
    ]
    if result.changes:
        changed = ", ".join(f"`{k}={v}`" for k, v in result.changes.items())
        lines.append(f"- assumptions changed in every variant: {changed}")
    return lines


def claim_section(claim: LoadedClaim, result: ClaimResult | None) -> list[str]:
    """The report's section of one claim."""
    spec = claim.spec
    lines = [f"## {spec.id} — {spec.title}", ""]
    lines += [f"> {spec.original.strip()}", ">", f"> *{spec.gloss.strip()}* (`{spec.source}`)", ""]
    lines += [f"**In the model.** {spec.meaning.strip()}", ""]
    if not spec.testable:
        lines += [f"**Not testable yet.** {spec.reason.strip()}", ""]
        return lines
    if result is None:
        lines += ["**No results yet**: run `groupsim claims " + spec.id + "`.", ""]
        return lines
    if result.sha256 != claim.sha256:
        lines += [
            f"**Warning: `{claim.file.name}` changed after these results were produced** "
            f"(SHA-256 {claim.sha256[:12]}… now, {result.sha256[:12]}… when run). The "
            "numbers below answer the claim file as it was; re-run it.",
            "",
        ]
    lines += ["**Test.**", "", *_test_lines(claim, result), ""]
    lines += ["| variant | mean | 95% CI |", "|---|---|---|"]
    lines += [
        f"| {m['variant']} | {_n(m['mean'])} | {_ci(m['low'], m['high'])} |" for m in result.means
    ]
    lines.append("")
    for figure in result.figures:
        lines += [f"![{spec.id} {Path(figure).stem}]({figure})", ""]
    d = result.default
    lines += [
        f"**Verdict: {d.verdict}.** Effect {_n(d.effect)}, 95% CI {_ci(d.low, d.high)} "
        f"over {d.replicates} replicates; in the claimed direction d = {_n(d.oriented)}, "
        f"CI {_ci(d.oriented_low, d.oriented_high)}, against a smallest effect of "
        f"{spec.smallest_effect:g}.",
        "",
        f"**Robustness.** {_share(result)} of {len(result.draws)} draws of the uncertain "
        f"behaviour parameters ({result.ranges_source}) give the same verdict.",
        "",
    ]
    if result.draws:
        names = list(result.draws[0])
        lines += [
            "| draw | " + " | ".join(f"`{n}`" for n in names) + " | d [95% CI] | verdict |",
            "|---" * (len(names) + 3) + "|",
        ]
        for i, (point, e) in enumerate(zip(result.draws, result.draw_effects, strict=True)):
            values = " | ".join(_n(float(point[n])) for n in names)
            lines.append(
                f"| {i + 1} | {values} | {_n(e.oriented)} {_ci(e.oriented_low, e.oriented_high)}"
                f" | {e.verdict} |"
            )
        lines.append("")
    lines += [f"**What the model cannot say.** {spec.cannot_say.strip()}", ""]
    return lines


def summary_rows(claims: list[LoadedClaim], out: str | Path) -> list[dict[str, str]]:
    """One row per testable claim: effect, CI, verdict, robustness share."""
    rows = []
    for claim in claims:
        if not claim.spec.testable:
            continue
        result = read_result(out, claim.id)
        if result is None:
            rows.append(
                {
                    "claim": claim.id,
                    "title": claim.spec.title,
                    "metric": str(claim.spec.metric),
                    "effect": "–",
                    "95% CI": "–",
                    "smallest": _n(claim.spec.smallest_effect),
                    "verdict": "not run",
                    "robustness": "–",
                }
            )
            continue
        d = result.default
        rows.append(
            {
                "claim": claim.id,
                "title": claim.spec.title,
                "metric": f"{claim.spec.metric} ({claim.spec.direction})",
                "effect": _n(d.effect),
                "95% CI": _ci(d.low, d.high),
                "smallest": _n(claim.spec.smallest_effect),
                "verdict": d.verdict
                + (" (file changed since)" if result.sha256 != claim.sha256 else ""),
                "robustness": _share(result),
            }
        )
    return rows


def write_report(claims: list[LoadedClaim], out: str | Path = "results") -> Report:
    """Write ``report.md``, ``report.html`` and ``manifest.json`` under ``<out>/claims/``.

    Args:
        claims: Every claim to report, testable or not, in order.
        out: The results folder.
    """
    root = Path(out) / "claims"
    root.mkdir(parents=True, exist_ok=True)
    results = {c.id: read_result(out, c.id) for c in claims if c.spec.testable}
    changed = [
        i for i, r in results.items() if r is not None and r.sha256 != _by_id(claims, i).sha256
    ]
    missing = [i for i, r in results.items() if r is None]
    rows = summary_rows(claims, out)
    quick = any(r.quick for r in results.values() if r is not None)
    lines = [
        "# The book claims: what the model says",
        "",
        "Each claim was declared in `claims/<id>.yaml` before any run. Verdict rule: with d "
        "the effect (cause − reference, paired by replicate) in the claimed direction and "
        "[lo, hi] its 95% CI, *supported* when lo > smallest effect, *not supported* when "
        "hi < smallest effect, *inconclusive* otherwise. Robustness: share of draws of the "
        "uncertain behaviour parameters giving the same verdict (docs/claims.md).",
        "",
    ]
    if quick:
        lines += ["*Run with `--quick`: fewer replicates, smaller worlds, fewer draws.*", ""]
    headers = ["claim", "title", "metric", "effect", "95% CI", "smallest", "verdict", "robustness"]
    lines += ["| " + " | ".join(headers) + " |", "|---" * len(headers) + "|"]
    lines += ["| " + " | ".join(row[h] for h in headers) + " |" for row in rows]
    lines.append("")
    untestable = [c for c in claims if not c.spec.testable]
    if untestable:
        lines += ["**Not testable yet**", "", "| claim | title | reason |", "|---|---|---|"]
        lines += [
            f"| {c.id} | {c.spec.title} | {' '.join(c.spec.reason.split())} |" for c in untestable
        ]
        lines.append("")
    for claim in claims:
        lines += claim_section(claim, results.get(claim.id))
    text = "\n".join(lines)
    markdown_path = root / "report.md"
    atomic_write(markdown_path, text)
    html_path = root / "report.html"
    atomic_write(html_path, to_html(text))
    manifest = {
        "claims": {
            c.id: {
                "file": str(c.file),
                "sha256_now": c.sha256,
                "sha256_of_results": None if results.get(c.id) is None else results[c.id].sha256,
                "testable": c.spec.testable,
            }
            for c in claims
        },
        "changed_since_results": changed,
        "missing_results": missing,
        "versions": versions(),
        "git_commit": git_commit(),
    }
    manifest_path = root / "manifest.json"
    atomic_write(manifest_path, json.dumps(manifest, indent=2, default=str))
    return Report(markdown_path, html_path, manifest_path, changed, missing)


def _by_id(claims: list[LoadedClaim], claim_id: str) -> LoadedClaim:
    return next(c for c in claims if c.id == claim_id)


def to_html(text: str) -> str:
    """The report's markdown as a standalone HTML page."""
    import markdown

    body = markdown.markdown(text, extensions=["tables"])
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "img{max-width:100%}blockquote{color:#444;border-left:3px solid #ccc;padding-left:1em}"
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Book claims</title>"
        f"<style>{style}</style></head><body>\n{body}\n</body></html>\n"
    )
