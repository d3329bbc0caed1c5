"""Benchmark results as a markdown report and a JSON document.

Each section of the harness returns a ``Section``: a table for people, the
raw numbers for the JSON file, and the targets it was measured against.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Target:
    """A goal from the issue: ``met`` is None when not evaluated (``--quick``)."""

    name: str
    measured: str
    goal: str
    met: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "measured": self.measured, "goal": self.goal, "met": self.met}


@dataclass
class Section:
    key: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the section did not run
    seconds: float = 0.0  # how long the section took

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "skipped": self.skipped,
            "seconds": self.seconds,
            "columns": self.columns,
            "rows": self.rows,
            "targets": [t.to_dict() for t in self.targets],
            "notes": self.notes,
            "raw": self.raw,
        }


def target(name: str, measured: str, goal: str, met: bool, evaluate: bool) -> Target:
    return Target(name, measured, goal, met if evaluate else None)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    for package in ("keras", "tensorflow", "pydantic", "yaml", "networkx"):
        info[package] = _version(package)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    from importlib import metadata

    dist = {"yaml": "PyYAML", "tensorflow": None}.get(package, package)
    names = [dist] if dist else ["tensorflow", "tensorflow-cpu"]
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|")


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _met(t: Target) -> str:
    return "not evaluated" if t.met is None else ("met" if t.met else "MISSED")


def to_markdown(sections: list[Section], info: dict[str, Any], quick: bool, elapsed: float) -> str:
    mode = "quick (tiny sizes, targets not evaluated)" if quick else "full"
    lines = [
        f"Machine: {info['cpu']}, {info['cores_available']} cores available "
        f"(load average at start {', '.join(str(x) for x in info.get('load_average', []))}); "
        f"Python {info['python']}, Keras {info['keras']}, TensorFlow {info['tensorflow']}, "
        f"pydantic {info['pydantic']}, PyYAML {info['yaml']}, networkx {info['networkx']}.",
        f"Mode: {mode}; harness wall time {elapsed:.0f} s. Times are medians of several runs; "
        "ratios compare arms measured in the same run.",
        "",
    ]
    for number, section in enumerate(sections, 1):
        lines.append(f"### {number}. {section.title}")
        lines.append("")
        if section.skipped:
            lines += [f"skipped: {section.skipped}", ""]
            continue
        if section.rows:
            lines += _table(section.columns, section.rows) + [""]
        if section.targets:
            lines += _table(["target", "measured", "goal", "result"],
                            [[t.name, t.measured, t.goal, _met(t)] for t in section.targets]) + [""]
        lines += [f"- {note}" for note in section.notes]
        if section.notes:
            lines.append("")
    return "\n".join(lines)


def write(out_dir: Path, sections: list[Section], info: dict[str, Any], quick: bool, elapsed: float) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(sections, info, quick, elapsed)
    md_path, json_path = out_dir / "results.md", out_dir / "results.json"
    md_path.write_text(markdown + "\n", encoding="utf-8")
    document = {
        "machine": info,
        "quick": quick,
        "elapsed_s": elapsed,
        "argv": sys.argv[1:],
        "sections": {s.key: s.to_dict() for s in sections},
    }
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return md_path, json_path
