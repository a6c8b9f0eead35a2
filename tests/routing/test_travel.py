"""Travel times: the haversine provider and the OSRM table client (against a local fake OSRM)."""

from __future__ import annotations

import json
import math
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.travel import (
    DEFAULT_PROFILES,
    EARTH_RADIUS_M,
    UNREACHABLE,
    HaversineTravel,
    OsrmTravel,
    TravelProfile,
    TravelTimeError,
    as_points,
    haversine_m,
)

lon = st.floats(min_value=3.3, max_value=7.3, allow_nan=False)
lat = st.floats(min_value=50.7, max_value=53.6, allow_nan=False)
points = st.lists(st.tuples(lon, lat), min_size=1, max_size=12)
world = st.tuples(
    st.floats(min_value=-180, max_value=180, allow_nan=False),
    st.floats(min_value=-89, max_value=89, allow_nan=False),
)

#: 36 km/h = 10 m/s, no detour, no overhead: seconds are a tenth of the metres.
TEN_M_PER_S = TravelProfile(speed_kmh=36.0, circuity=1.0, overhead_s=0)


def test_one_degree_of_latitude() -> None:
    """Hand check: one degree along a meridian is R·π/180 m; at 10 m/s that is 11,120 s."""
    metres = haversine_m([(5.0, 52.0)], [(5.0, 53.0)])
    assert metres[0, 0] == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    travel = HaversineTravel({"test": TEN_M_PER_S})
    assert travel.durations([(5.0, 52.0)], [(5.0, 53.0)], "test")[0, 0] == 11_120


def test_longitude_comes_first() -> None:
    """Points are (lon, lat): a degree of longitude at 60°N is half a degree of latitude long."""
    along_parallel = haversine_m([(10.0, 60.0)], [(11.0, 60.0)])[0, 0]
    along_meridian = haversine_m([(10.0, 60.0)], [(10.0, 61.0)])[0, 0]
    assert along_parallel == pytest.approx(along_meridian / 2, rel=1e-3)


@given(world, world)
def test_haversine_agrees_with_geopy(a: tuple[float, float], b: tuple[float, float]) -> None:
    """Our vectorised distance equals geopy's great-circle distance on the same sphere."""
    ours = haversine_m([a], [b])[0, 0]
    # geopy takes (lat, lon): swapping here checks our (lon, lat) order is honoured.
    theirs = great_circle((a[1], a[0]), (b[1], b[0]), radius=EARTH_RADIUS_M / 1000).meters
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-3)


@given(points, points, st.sampled_from(sorted(DEFAULT_PROFILES)))
@settings(max_examples=50)
def test_rectangular_is_a_block_of_the_square(
    origins: list[tuple[float, float]], destinations: list[tuple[float, float]], profile: str
) -> None:
    """durations(o, d) is the o×d block of matrix(o + d): answers do not depend on batching."""
    travel = HaversineTravel()
    rect = travel.durations(origins, destinations, profile)
    square = travel.matrix(origins + destinations, profile)
    assert rect.shape == (len(origins), len(destinations))
    assert rect.dtype == np.int64
    np.testing.assert_array_equal(rect, square[: len(origins), len(origins) :])
    for i, o in enumerate(origins):
        one = travel.durations([o], destinations[::-1], profile)[0, ::-1]
        np.testing.assert_array_equal(one, rect[i])


@given(points, st.sampled_from(sorted(DEFAULT_PROFILES)))
@settings(max_examples=50)
def test_square_matrix_symmetric_zero_diagonal_overhead(
    pts: list[tuple[float, float]], profile: str
) -> None:
    """The matrix is symmetric, 0 on the diagonal, and every move costs at least the overhead."""
    travel = HaversineTravel()
    m = travel.matrix(pts, profile)
    np.testing.assert_array_equal(m, m.T)
    assert (np.diag(m) == 0).all()
    arr = np.asarray(pts)
    moves = (arr[:, None, :] != arr[None, :, :]).any(axis=2)
    assert (m[moves] >= DEFAULT_PROFILES[profile].overhead_s).all()
    assert (m[~moves] == 0).all()


def test_overhead_only_for_legs_that_move() -> None:
    """Car legs get the parking overhead; a leg to the same coordinates takes 0 seconds."""
    here, there = (5.10, 52.09), (5.11, 52.09)
    travel = HaversineTravel({"car": TravelProfile(36.0, 1.0, 300)})
    metres = haversine_m([here], [there])[0, 0]
    m = travel.matrix([here, there, here], "car")
    assert m[0, 1] == round(metres / 10) + 300
    assert m[0, 2] == 0


def test_profiles_configurable_and_defaults_sensible() -> None:
    """Defaults exist for bike, car and walk; walking is slowest, cars pay an overhead; a custom
    profile is used as given."""
    assert {"bike", "car", "walk"} <= set(DEFAULT_PROFILES)
    assert DEFAULT_PROFILES["walk"].speed_kmh < DEFAULT_PROFILES["bike"].speed_kmh
    assert DEFAULT_PROFILES["car"].overhead_s > 0
    a, b = (5.0, 52.0), (5.0, 52.1)
    slow = HaversineTravel({"x": TravelProfile(10.0, 1.0, 0)}).durations([a], [b], "x")
    fast = HaversineTravel({"x": TravelProfile(20.0, 1.0, 0)}).durations([a], [b], "x")
    detour = HaversineTravel({"x": TravelProfile(10.0, 1.5, 0)}).durations([a], [b], "x")
    assert abs(int(slow[0, 0]) - 2 * int(fast[0, 0])) <= 1
    assert abs(int(detour[0, 0]) - 1.5 * int(slow[0, 0])) <= 1


def test_bad_input_is_refused_clearly() -> None:
    """Unknown profiles, bad profile parameters and bad coordinates raise with a clear message."""
    travel = HaversineTravel()
    with pytest.raises(KeyError, match="unknown travel profile 'boat'"):
        travel.matrix([(5.0, 52.0)], "boat")
    with pytest.raises(ValueError, match="speed_kmh"):
        TravelProfile(0.0)
    with pytest.raises(ValueError, match="circuity"):
        TravelProfile(10.0, circuity=0.9)
    with pytest.raises(ValueError, match="latitude"):
        as_points([(52.0, 95.0)])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        as_points([(5.0, 52.0, 0.0)])
    assert travel.matrix([], "car").shape == (0, 0)


# --- OSRM -------------------------------------------------------------------------------------


def fake_osrm_seconds(a: tuple[float, float], b: tuple[float, float], profile: str) -> float | None:
    """What the fake server answers: a tenth of the haversine metres (slower when cycling),
    with one decimal as OSRM does, and no route at all to or from longitude 0."""
    if a[0] == 0.0 or b[0] == 0.0:
        return None
    factor = {"driving": 1.0, "cycling": 3.0, "foot": 10.0}[profile]
    return round(float(haversine_m([a], [b])[0, 0]) / 10 * factor, 1)


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers /table/v1/{profile}/{coords}?sources=..&destinations=.. like osrm-routed."""

    requests: list[tuple[str, int, int]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def answer(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        if len(parts) != 5 or parts[1:3] != ["table", "v1"]:
            self.answer(400, {"code": "InvalidUrl", "message": f"URL string malformed: {url}"})
            return
        profile = parts[3]
        if profile not in ("driving", "cycling", "foot"):
            self.answer(400, {"code": "InvalidService", "message": "Service profile not found"})
            return
        coords = [tuple(map(float, c.split(","))) for c in parts[4].split(";")]
        query = urllib.parse.parse_qs(url.query)
        if query.get("annotations") != ["duration"]:
            self.answer(400, {"code": "InvalidOptions", "message": "annotations"})
            return
        if any(abs(c[1]) > 85 for c in coords):
            self.answer(400, {"code": "InvalidQuery", "message": "Coordinate is invalid: 1"})
            return
        src = [int(i) for i in query["sources"][0].split(";")]
        dst = [int(i) for i in query["destinations"][0].split(";")]
        self.requests.append((profile, len(src), len(dst)))
        if len(coords) > 6:
            self.answer(400, {"code": "TooBig", "message": "Too many table coordinates"})
            return
        durations = [[fake_osrm_seconds(coords[i], coords[j], profile) for j in dst] for i in src]
        self.answer(200, {"code": "Ok", "durations": durations})


@pytest.fixture
def osrm() -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    """A fake OSRM on a free local port; yields its base URL and the requests it saw."""
    seen: list[tuple[str, int, int]] = []
    handler = type("Handler", (FakeOsrm,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


A, B, C = (5.10, 52.09), (5.12, 52.10), (5.08, 52.07)


def test_osrm_table_maps_profiles_and_rounds(osrm: tuple[str, list[tuple[str, int, int]]]) -> None:
    """Our profiles go to OSRM's (car→driving, bike→cycling), sources and destinations select the
    rectangle, and the one-decimal seconds are rounded to whole seconds."""
    url, seen = osrm
    travel = OsrmTravel(url)
    car = travel.durations([A, B], [B, C, A], "car")
    bike = travel.durations([A], [B], "bike")
    expected = [[round(fake_osrm_seconds(o, d, "driving") or 0) for d in (B, C, A)] for o in (A, B)]
    np.testing.assert_array_equal(car, expected)
    assert bike[0, 0] == round(fake_osrm_seconds(A, B, "cycling") or 0)
    assert seen == [("driving", 2, 3), ("cycling", 1, 1)]


@given(st.lists(st.tuples(lon, lat), min_size=1, max_size=9), st.integers(2, 6))
@settings(max_examples=15, deadline=None)
def test_osrm_chunks_large_requests(pts: list[tuple[float, float]], max_locations: int) -> None:
    """A question larger than max_locations is split into requests within the limit, and the
    pieces add up to the same matrix as the haversine-based fake computes directly."""
    server_seen: list[tuple[str, int, int]] = []
    handler = type("Handler", (FakeOsrm,), {"requests": server_seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        travel = OsrmTravel(
            f"http://127.0.0.1:{server.server_address[1]}", max_locations=max_locations
        )
        m = travel.matrix(pts, "car")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    # Coordinates travel in the URL with 6 decimals (about 0.1 m); the fake computes from those.
    sent = [(float(f"{x:.6f}"), float(f"{y:.6f}")) for x, y in pts]
    expected = [[round(fake_osrm_seconds(a, b, "driving") or 0) for b in sent] for a in sent]
    np.testing.assert_array_equal(m, expected)
    assert all(s + d <= max_locations for _, s, d in server_seen)
    assert sum(s * d for _, s, d in server_seen) == len(pts) ** 2


def test_osrm_error_answer_raises_clearly(osrm: tuple[str, list[tuple[str, int, int]]]) -> None:
    """An OSRM error (HTTP 400 with code and message) becomes a TravelTimeError quoting both."""
    url, _ = osrm
    with pytest.raises(TravelTimeError, match=r"HTTP 400.*InvalidQuery: Coordinate is invalid"):
        OsrmTravel(url).durations([(5.0, 52.0)], [(5.0, 86.0)], "car")
    with pytest.raises(TravelTimeError, match="TooBig"):
        OsrmTravel(url, max_locations=8).durations([A] * 4, [B] * 4, "car")
    with pytest.raises(KeyError, match="unknown travel profile 'boat'"):
        OsrmTravel(url).durations([A], [B], "boat")
    with pytest.raises(TravelTimeError, match="Service profile not found"):
        OsrmTravel(url, profiles={"car": "tram"}).durations([A], [B], "car")


def test_osrm_unreachable_server_raises_clearly() -> None:
    """A server that is not there gives a TravelTimeError naming the URL, not a raw OSError."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    port = server.server_address[1]
    server.server_close()  # the port is now closed: connecting is refused
    with pytest.raises(TravelTimeError, match=f"127.0.0.1:{port} cannot be reached"):
        OsrmTravel(f"http://127.0.0.1:{port}", timeout=5).durations([A], [B], "car")


def test_osrm_no_route_and_overhead(osrm: tuple[str, list[tuple[str, int, int]]]) -> None:
    """A pair OSRM cannot route (null) becomes UNREACHABLE; the per-profile overhead is added to
    legs that move and not to a leg to the same coordinates."""
    url, _ = osrm
    travel = OsrmTravel(url, overhead_s={"car": 300})
    m = travel.durations([A, (0.0, 52.0)], [A, B], "car")
    assert m[0, 0] == 0
    assert m[0, 1] == round(fake_osrm_seconds(A, B, "driving") or 0) + 300
    assert (m[1] == UNREACHABLE).all()
