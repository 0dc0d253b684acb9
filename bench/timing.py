"""Interleaved rounds: each variant runs once per round, so drift on a shared machine hits
every variant alike, and a ratio compares samples taken side by side."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Operation = Callable[[], object]

# A sample shorter than a few scheduler time slices measures the neighbours more than the code.
MIN_SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Timings:
    """Seconds per operation: one sample per variant and round."""

    samples: dict[str, list[float]]

    def seconds(self, variant: str) -> float:
        return statistics.median(self.samples[variant])

    def ops_per_second(self, variant: str) -> float:
        return 1 / self.seconds(variant)

    def ratio(self, slower: str, faster: str) -> float:
        """How many times longer `slower` takes per operation: the median of per-round ratios."""
        pairs = zip(self.samples[slower], self.samples[faster], strict=True)
        return statistics.median(slow / fast for slow, fast in pairs)

    def gap(self, slower: str, faster: str) -> float:
        """How many seconds longer `slower` takes per operation: the median of per-round gaps."""
        pairs = zip(self.samples[slower], self.samples[faster], strict=True)
        return statistics.median(slow - fast for slow, fast in pairs)


def measure(variants: Mapping[str, Operation], rounds: int, ops: int) -> Timings:
    """Runs every variant `ops` times per round (more, in batches of `ops`, until the sample
    lasts MIN_SAMPLE_SECONDS), after one warm-up round that is discarded.

    The order rotates from round to round, so no variant always runs first or last.
    """
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds + 1):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            operation = variants[name]
            count, start = 0, time.perf_counter()
            while count == 0 or time.perf_counter() - start < MIN_SAMPLE_SECONDS:
                for _ in range(ops):
                    operation()
                count += ops
            elapsed = time.perf_counter() - start
            if round_number > 0:  # round 0 fills pools, caches and prepared statements
                samples[name].append(elapsed / count)
    return Timings(samples)
