"""The address register extract and geocoding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from scheduler.addresses.service import (
    import_rows,
    lookup,
    normalise_addition,
    normalise_postcode,
    parse_csv,
)
from scheduler.demo import DemoSize, create_municipality
from scheduler.errors import InvalidInput, OutsideServiceArea
from scheduler.geocoding import GeopyGeocoder, RegisterGeocoder, check_service_area, distance_km

CSV = """postcode,house_number,addition,street,city,lat,lon
3511 ab,12,,Oudegracht,Utrecht,52.0901,5.1201
3511AB,12,a,Oudegracht,Utrecht,52.0902,5.1202
3512cd,3, bis ,Nieuwegracht,Utrecht,52.0880,5.1250
"""


@pytest.mark.parametrize(
    ("raw", "expected"), [("3511 ab", "3511AB"), (" 3511AB ", "3511AB"), ("9999zz", "9999ZZ")]
)
def test_postcodes_are_normalised(raw: str, expected: str) -> None:
    """Spaces and case do not matter: '3511 ab' is 3511AB."""
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["0511AB", "3511", "3511 A", "AB3511", "35111AB", ""])
def test_invalid_postcodes_are_refused_with_a_clear_message(raw: str) -> None:
    """Anything but four digits (not starting with 0) and two letters is refused."""
    with pytest.raises(InvalidInput) as err:
        normalise_postcode(raw)
    assert "3511 AB" in err.value.detail_nl


def test_additions_compare_loosely() -> None:
    """House number additions ignore case, spaces and dashes."""
    assert normalise_addition(" bis ") == normalise_addition("BIS") == "BIS"
    assert normalise_addition("-a") == "A"
    assert normalise_addition(None) == ""


def test_csv_import_and_lookup(session: Session) -> None:
    """Imported rows are found by postcode and number; an addition picks the exact address."""
    m = create_municipality(session, size=DemoSize(experts=1, addresses=0))
    rows = parse_csv(CSV)
    assert import_rows(session, municipality=m, rows=rows) == 3
    bare = lookup(session, municipality=m, postcode="3511ab", house_number=12)
    with_a = lookup(session, municipality=m, postcode="3511 AB", house_number=12, addition="A")
    assert bare is not None and bare.lat == pytest.approx(52.0901)  # the one without addition
    assert with_a is not None and with_a.lat == pytest.approx(52.0902)
    assert lookup(session, municipality=m, postcode="3511AB", house_number=12, addition="Z") is None
    bis = lookup(session, municipality=m, postcode="3512CD", house_number=3, addition="bis")
    assert bis is not None and bis.street == "Nieuwegracht"
    # Only one address at 3512CD 3, so a caller who leaves out the addition still finds it.
    assert lookup(session, municipality=m, postcode="3512CD", house_number=5) is None
    # Importing again updates rather than duplicates.
    assert import_rows(session, municipality=m, rows=rows) == 3
    assert lookup(session, municipality=m, postcode="3512CD", house_number=3) is not None


def test_csv_errors_name_the_line() -> None:
    """A broken row is refused with its line number; a missing column is named."""
    with pytest.raises(InvalidInput, match="line 2"):
        parse_csv("postcode,house_number,addition,street,city,lat,lon\n3511AB,x,,S,U,52,5\n")
    with pytest.raises(InvalidInput, match="lon"):
        parse_csv("postcode,house_number,addition,street,city,lat\n")


def test_service_area(session: Session) -> None:
    """Points within the radius are accepted; points outside get OutsideServiceArea."""
    m = create_municipality(session, size=DemoSize(experts=1, addresses=10))
    check_service_area(m, m.center_lat + 0.01, m.center_lon)
    with pytest.raises(OutsideServiceArea):
        check_service_area(m, 52.37, 4.89)  # Amsterdam, ~35 km away
    assert distance_km(52.0907, 5.1214, 52.3676, 4.9041) == pytest.approx(34.4, abs=0.5)


class FakeNominatim:
    """Stands in for geopy's Nominatim: answers one postcode, records the query."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []

    def geocode(self, query: dict[str, str], addressdetails: bool = False) -> object:
        self.queries.append(query)
        if query["postalcode"] != "3584CS":
            return None
        raw = {"address": {"road": "Heidelberglaan", "city": "Utrecht"}}
        return SimpleNamespace(latitude=52.085, longitude=5.175, raw=raw)


def test_geopy_geocoder_falls_back_after_the_register(session: Session) -> None:
    """The register answers first; the geopy geocoder only for addresses it lacks."""
    m = create_municipality(session, size=DemoSize(experts=1, addresses=0))
    import_rows(session, municipality=m, rows=parse_csv(CSV))
    fake = FakeNominatim()
    geo = GeopyGeocoder(fake)
    found = geo.locate(session, m, "3512 cd", 3, "BIS")
    assert found is not None and found.street == "Nieuwegracht" and fake.queries == []
    remote = geo.locate(session, m, "3584 cs", 8)
    assert remote is not None and remote.street == "Heidelberglaan" and remote.postcode == "3584CS"
    assert fake.queries == [{"postalcode": "3584CS", "street": "8", "country": "nl"}]
    assert geo.locate(session, m, "1011AB", 1) is None
    assert RegisterGeocoder().locate(session, m, "3584CS", 8) is None
