"""What every benchmark reports: figures for our way and the naive way, and how many times better."""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BenchResult:
    name: str
    goal: str
    ours: dict[str, float]
    naive: dict[str, float]
    ratio: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "goal": self.goal, "ratio": round(self.ratio, 2),
                "ours": self.ours, "naive": self.naive}


def median_ms(action: Callable[[], Any], repeat: int = 5) -> float:
    """The median wall time of `action` in milliseconds (medians resist a noisy shared machine)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def table(result: BenchResult) -> str:
    keys = sorted(set(result.ours) | set(result.naive))
    width = max(len(key) for key in keys) if keys else 6
    lines = [f"{result.name}: {result.goal}", f"{'figure':<{width}}  {'ours':>12}  {'naive':>12}"]
    for key in keys:
        ours = result.ours.get(key, "")
        naive = result.naive.get(key, "")
        lines.append(f"{key:<{width}}  {ours!s:>12}  {naive!s:>12}")
    lines.append(f"ratio (times better): {result.ratio:.2f}")
    lines.extend(result.notes)
    return "\n".join(lines)


def write_result(result: BenchResult, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.name}.json"
    path.write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    print(table(result))
    print(f"written to {path}")
    return path
