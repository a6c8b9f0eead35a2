"""Solomon VRPTW instances in the DIMACS convention, as :class:`routing.model.Problem` values.

Durations and costs are ``floor(10 × Euclidean distance)``; time windows and service times are
multiplied by 10, so our cost divided by 10 compares with the best-known distances in
``bks.csv`` (1-decimal truncation, distance-only objective).
"""

from __future__ import annotations

import csv
import math
import pathlib
from dataclasses import dataclass

import numpy as np

from routing.model import Matrix, Problem, TimeWindow, Vehicle, Visit

DIR = pathlib.Path("/work/shared/bench/solomon")
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


@dataclass(frozen=True)
class Solomon:
    name: str
    vehicles: int
    capacity: int
    xy: list[tuple[float, float]]
    demand: list[int]
    ready: list[int]
    due: list[int]
    service: list[int]

    @property
    def klass(self) -> str:
        return self.name[:-2]

    def durations(self) -> np.ndarray:
        pts = np.array(self.xy, dtype=np.float64)
        diff = pts[:, None, :] - pts[None, :, :]
        return np.floor(10 * np.sqrt((diff**2).sum(axis=2))).astype(np.int64)

    def problem(self) -> Problem:
        d = self.durations()
        visits = tuple(
            Visit(
                id=i,
                location=i,
                duration=10 * self.service[i],
                time_windows=(TimeWindow(10 * self.ready[i], 10 * self.due[i]),),
                amount=(self.demand[i],),
            )
            for i in range(1, len(self.xy))
        )
        shift = TimeWindow(10 * self.ready[0], 10 * self.due[0])
        vehicles = tuple(
            Vehicle(id=k, start=0, end=0, shift=shift, capacity=(self.capacity,))
            for k in range(self.vehicles)
        )
        return Problem(visits, vehicles, {"car": Matrix(d)})


def load(name: str, directory: pathlib.Path = DIR) -> Solomon:
    lines = (directory / f"{name}.txt").read_text().splitlines()
    vehicles, capacity = (int(x) for x in lines[4].split())
    rows = [ln.split() for ln in lines[9:] if ln.strip()]
    cols = list(zip(*[[float(x) for x in r] for r in rows], strict=True))
    return Solomon(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        xy=list(zip(cols[1], cols[2], strict=True)),
        demand=[int(x) for x in cols[3]],
        ready=[int(x) for x in cols[4]],
        due=[int(x) for x in cols[5]],
        service=[int(x) for x in cols[6]],
    )


def names(directory: pathlib.Path = DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.txt"))


def bks(directory: pathlib.Path = DIR) -> dict[str, float]:
    with (directory / "bks.csv").open() as f:
        return {r["instance"]: float(r["bks_distance"]) for r in csv.DictReader(f)}


def gap(cost: float, best: float) -> float:
    """Percentage above the best-known distance (our cost is in tenths)."""
    return 100.0 * (cost / 10.0 - best) / best


del math
