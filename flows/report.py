"""The run report: counts per outcome, languages, rejections and time per stage."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("new", "updated", "unchanged", "deleted", "duplicate", "near_duplicate", "rejected")


@dataclass
class RunReport:
    source: str
    database_url: str
    counts: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    stage_runs: Counter[str] = field(default_factory=Counter)
    stage_documents: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    elapsed: float = 0.0
    flow_run_id: str | None = None

    def _tally(self, prefix: str) -> dict[str, int]:
        found = {k.split(".", 1)[1]: v for k, v in self.counts.items() if k.startswith(prefix)}
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))

    def languages(self) -> dict[str, int]:
        return self._tally("language.")

    def formats(self) -> dict[str, int]:
        """Documents read in this run, by the format that read them."""
        return self._tally("format.")

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "database_url": self.database_url,
            "flow_run_id": self.flow_run_id,
            "outcomes": {name: self.counts.get(name, 0) for name in OUTCOMES},
            "deferred": self.counts.get("deferred", 0),
            "languages": self.languages(),
            "formats": self.formats(),
            "rejected": [{"key": k, "reason": r} for k, r in self.rejected],
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "elapsed": round(self.elapsed, 3),
            "counts": dict(self.counts),
        }


def format_summary(report: dict[str, Any], limit: int = 10) -> str:
    """One screen for a person: outcomes, languages, why files were rejected, time taken."""
    outcomes = report["outcomes"]
    lines = [
        f"seedflow ingest: {report['source']}",
        "  " + "  ".join(f"{name} {outcomes[name]}" for name in OUTCOMES),
    ]
    if report["deferred"]:
        lines.append(f"  deferred {report['deferred']} (changing while read; the next run takes them)")
    if report["languages"]:
        lines.append("  languages: " + ", ".join(f"{k} {v}" for k, v in report["languages"].items()))
    if report.get("formats"):
        lines.append("  formats: " + ", ".join(f"{k} {v}" for k, v in report["formats"].items()))
    for item in report["rejected"][:limit]:
        lines.append(f"  rejected {item['key']}: {item['reason']}")
    if len(report["rejected"]) > limit:
        lines.append(f"  … and {len(report['rejected']) - limit} more rejected (seedflow export shows all)")
    lines.append(f"  store: {report['database_url']}")
    lines.append(f"  elapsed {report['elapsed']:.2f} s")
    return "\n".join(lines)
