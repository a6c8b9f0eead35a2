"""Travel times between coordinates, per travel profile.

Coordinates are ``(lon, lat)`` in degrees everywhere in ``routing/`` (longitude first, as in VROOM,
OSRM and GeoJSON). A provider answers a rectangular question — every origin to every destination —
in whole seconds, so callers can ask for a full day matrix or for the two thin strips to and from
one new address.

Two providers:

- :class:`HaversineTravel` (the default): great-circle distance times a circuity factor (streets
  are not straight), at the profile's average speed, plus a fixed overhead per leg (parking and
  walking to the door). No network, vectorised with numpy.
- :class:`OsrmTravel`: asks an OSRM server's ``table`` service, in chunks; standard library only.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from routing.model import HORIZON, IntMatrix

#: Mean earth radius in metres (IUGG), the usual choice for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]


class TravelTimeError(RuntimeError):
    """A travel time provider could not answer (bad input, server error, network failure)."""


def as_points(points: npt.ArrayLike, what: str = "points") -> FloatArray:
    """Validate and convert ``(lon, lat)`` pairs to an ``(n, 2)`` float array.

    Parameters
    ----------
    points
        Anything numpy turns into shape ``(n, 2)``: ``[(lon, lat), ...]``. An empty sequence gives
        shape ``(0, 2)``.
    what
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(n, 2)``.

    Raises
    ------
    ValueError
        When the shape is wrong or a coordinate is not finite or out of range.
    """
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{what}: expected (lon, lat) pairs of shape (n, 2), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what}: coordinates must be finite")
    if (np.abs(arr[:, 0]) > 180).any() or (np.abs(arr[:, 1]) > 90).any():
        raise ValueError(f"{what}: longitude must lie in [-180, 180] and latitude in [-90, 90]")
    return arr


class TravelTimeProvider(Protocol):
    """Anything that gives travel durations in seconds between coordinates for a profile.

    Implementations must be deterministic: the same origin, destination and profile always give
    the same number, whichever other points are in the request (the insertion engine asks for
    existing legs and for legs to a new address in separate calls).

    A provider whose ``durations(a, b, p)`` always equals ``durations(b, a, p).T`` may say so
    with a class attribute ``symmetric = True``; callers may then ask for one direction only.
    """

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> IntMatrix:
        """Travel durations from every origin to every destination.

        Parameters
        ----------
        origins, destinations
            ``(n, 2)`` and ``(m, 2)`` arrays of ``(lon, lat)`` in degrees.
        profile
            Travel profile name, e.g. ``"car"``, ``"bike"``, ``"walk"``.

        Returns
        -------
        numpy.ndarray
            Non-negative int64 seconds of shape ``(n, m)``.
        """
        ...

    def matrix(self, points: npt.ArrayLike, profile: str) -> IntMatrix:
        """The square matrix between ``points`` (``durations(points, points, profile)``)."""
        return self.durations(points, points, profile)


@dataclass(frozen=True, slots=True)
class TravelProfile:
    """How one way of travelling turns straight-line distance into seconds.

    Parameters
    ----------
    speed_kmh
        Average speed over the street distance, including stops at crossings and lights.
    circuity
        Street distance divided by great-circle distance (>= 1). Road networks typically measure
        1.2-1.4; Dutch towns with dense street and cycle networks sit at the low end.
    overhead_s
        Seconds added to every leg of non-zero length: finding a parking place, locking a bike,
        walking from the car to the door. A leg between identical coordinates takes 0 seconds.
    """

    speed_kmh: float
    circuity: float = 1.3
    overhead_s: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise ValueError("speed_kmh must be a positive number")
        if not (math.isfinite(self.circuity) and self.circuity >= 1):
            raise ValueError("circuity must be at least 1")
        if self.overhead_s < 0:
            raise ValueError("overhead_s must not be negative")


#: Defaults for a Dutch municipality. ``car``: 30 km/h average in town over a 1.35 detour factor,
#: plus 5 minutes to park and walk to the door. ``bike``: 15 km/h on a dense cycle network (1.25),
#: plus 1 minute to lock and unlock. ``walk``: 4.8 km/h, 1.25, no overhead.
DEFAULT_PROFILES: Mapping[str, TravelProfile] = {
    "car": TravelProfile(speed_kmh=30.0, circuity=1.35, overhead_s=300),
    "bike": TravelProfile(speed_kmh=15.0, circuity=1.25, overhead_s=60),
    "walk": TravelProfile(speed_kmh=4.8, circuity=1.25, overhead_s=0),
}


def haversine_m(origins: npt.ArrayLike, destinations: npt.ArrayLike) -> FloatArray:
    """Great-circle distances in metres from every origin to every destination.

    Parameters
    ----------
    origins, destinations
        ``(n, 2)`` and ``(m, 2)`` arrays of ``(lon, lat)`` in degrees.

    Returns
    -------
    numpy.ndarray
        Float64 metres of shape ``(n, m)``; exactly 0 between identical coordinates.
    """
    a = np.radians(as_points(origins, "origins"))
    b = np.radians(as_points(destinations, "destinations"))
    lon1, lat1 = a[:, 0:1], a[:, 1:2]
    lon2, lat2 = b[None, :, 0], b[None, :, 1]
    # The haversine form stays accurate for the short legs of a town, where the spherical law of
    # cosines loses digits.
    h = np.sin((lat2 - lat1) * 0.5) ** 2 + np.cos(lat1) * np.cos(lat2) * (
        np.sin((lon2 - lon1) * 0.5) ** 2
    )
    out: FloatArray = (2.0 * EARTH_RADIUS_M) * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return out


@dataclass(frozen=True)
class HaversineTravel(TravelTimeProvider):
    """Travel times from great-circle distance, a circuity factor, a speed and a per-leg overhead.

    ``seconds = round(distance_m * circuity / speed) + overhead_s`` for a leg of non-zero length,
    0 for a leg between identical coordinates.

    Parameters
    ----------
    profiles
        Profile name to :class:`TravelProfile`; defaults to :data:`DEFAULT_PROFILES`.
    """

    profiles: Mapping[str, TravelProfile] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    #: Great-circle distance is the same both ways (one-way streets are not modelled).
    symmetric: ClassVar[bool] = True

    def profile(self, name: str) -> TravelProfile:
        """The parameters of profile ``name``; raises ``KeyError`` naming the known profiles."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise KeyError(f"unknown travel profile {name!r} (known: {known})") from None

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> IntMatrix:
        """Travel durations in whole seconds, shape ``(len(origins), len(destinations))``."""
        p = self.profile(profile)
        metres = haversine_m(origins, destinations)
        seconds = np.rint(metres * (p.circuity * 3.6 / p.speed_kmh)).astype(np.int64)
        if p.overhead_s:
            seconds += np.where(metres > 0.0, np.int64(p.overhead_s), np.int64(0))
        return seconds


#: Our profile names mapped to the profile names of OSRM's default set-up.
OSRM_PROFILES: Mapping[str, str] = {"car": "driving", "bike": "cycling", "walk": "foot"}

#: Duration used for a pair OSRM cannot route between (``null`` in its answer): so large that no
#: insertion or solver will use the leg, yet safe to add up in int64.
UNREACHABLE = HORIZON


@dataclass(frozen=True)
class OsrmTravel(TravelTimeProvider):
    """Travel times from an OSRM server's ``table`` service.

    Parameters
    ----------
    base_url
        E.g. ``"http://localhost:5000"``; requests go to
        ``{base_url}/table/v1/{osrm_profile}/{coordinates}?sources=..&destinations=..``.
    profiles
        Our profile name to the OSRM profile in the URL (:data:`OSRM_PROFILES` by default).
    overhead_s
        Seconds added per leg of non-zero length, per profile (OSRM knows nothing of parking).
    max_locations
        Most coordinates in one request (sources plus destinations); larger questions are split
        into chunks. OSRM's ``--max-table-size`` defaults to 100.
    timeout
        Seconds to wait for one answer.
    """

    base_url: str
    profiles: Mapping[str, str] = field(default_factory=lambda: dict(OSRM_PROFILES))
    overhead_s: Mapping[str, int] = field(default_factory=dict)
    max_locations: int = 100
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.max_locations < 2:
            raise ValueError("max_locations must be at least 2 (one source, one destination)")
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"OSRM base URL must be http(s), got {self.base_url!r}")

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> IntMatrix:
        """Travel durations in whole seconds, shape ``(len(origins), len(destinations))``.

        Raises
        ------
        KeyError
            For a profile without an OSRM counterpart.
        TravelTimeError
            When OSRM answers with an error, an unreadable body, or cannot be reached.
        """
        try:
            osrm_profile = self.profiles[profile]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise KeyError(f"unknown travel profile {profile!r} (known: {known})") from None
        src = as_points(origins, "origins")
        dst = as_points(destinations, "destinations")
        out = np.zeros((len(src), len(dst)), dtype=np.int64)
        per_side = self.max_locations // 2
        for i in range(0, len(src), per_side):
            for j in range(0, len(dst), per_side):
                a, b = src[i : i + per_side], dst[j : j + per_side]
                out[i : i + len(a), j : j + len(b)] = self._table(osrm_profile, a, b)
        overhead = self.overhead_s.get(profile, 0)
        if overhead:
            moves = (src[:, None, :] != dst[None, :, :]).any(axis=2)
            out += np.where(moves & (out < UNREACHABLE), np.int64(overhead), np.int64(0))
        return out

    def _table(self, osrm_profile: str, src: FloatArray, dst: FloatArray) -> IntMatrix:
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in np.vstack([src, dst]))
        query = urllib.parse.urlencode(
            {
                "sources": ";".join(str(k) for k in range(len(src))),
                "destinations": ";".join(str(len(src) + k) for k in range(len(dst))),
                "annotations": "duration",
            },
            safe=";",
        )
        profile = urllib.parse.quote(osrm_profile, safe="")
        url = f"{self.base_url.rstrip('/')}/table/v1/{profile}/{coords}?{query}"
        body = self._get(url)
        if body.get("code") != "Ok":
            raise TravelTimeError(f"OSRM table failed: {body.get('code')}: {body.get('message')}")
        rows = body.get("durations")
        if not isinstance(rows, list) or len(rows) != len(src):
            raise TravelTimeError("OSRM table answer has no durations of the requested shape")
        out = np.empty((len(src), len(dst)), dtype=np.int64)
        for k, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(dst):
                raise TravelTimeError("OSRM table answer has no durations of the requested shape")
            out[k] = [UNREACHABLE if x is None else round(float(x)) for x in row]
        return out

    def _get(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            # OSRM explains itself in a JSON body even on 4xx/5xx answers.
            detail = exc.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(detail)
                detail = f"{parsed.get('code')}: {parsed.get('message')}"
            except (ValueError, AttributeError):
                detail = detail[:200]
            raise TravelTimeError(f"OSRM table failed (HTTP {exc.code}): {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TravelTimeError(f"OSRM at {self.base_url} cannot be reached: {exc}") from exc
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise TravelTimeError("OSRM table answer is not JSON") from exc
        if not isinstance(parsed, dict):
            raise TravelTimeError("OSRM table answer is not a JSON object")
        return parsed
