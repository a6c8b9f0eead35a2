"""The address register extract: normalising, importing and looking up addresses."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.addresses.models import Address
from scheduler.errors import InvalidInput, UnknownAddress
from scheduler.tenants.models import Municipality

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})$")
CSV_COLUMNS = ("postcode", "house_number", "addition", "street", "city", "lat", "lon")


def normalise_postcode(raw: str) -> str:
    """``'3511 ab'`` → ``'3511AB'``; raises :class:`InvalidInput` for anything else."""
    match = _POSTCODE.match(raw.strip())
    if match is None:
        raise InvalidInput(
            f"'{raw}' is not a Dutch postcode (four digits and two letters, like 3511 AB).",
            nl=f"'{raw}' is geen geldige postcode (vier cijfers en twee letters, zoals 3511 AB).",
        )
    return f"{match[1]}{match[2].upper()}"


def normalise_addition(raw: str | None) -> str:
    """House number additions compare case- and space-insensitively: ``' bis'`` → ``'BIS'``."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


@dataclass(frozen=True)
class AddressRow:
    postcode: str
    house_number: int
    addition: str
    street: str
    city: str
    lat: float
    lon: float


def parse_csv(text: str) -> list[AddressRow]:
    """Rows of a register extract with the columns of :data:`CSV_COLUMNS` (header required)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"the CSV lacks the column(s) {', '.join(missing)}")
    rows = []
    for line, rec in enumerate(reader, start=2):
        try:
            rows.append(
                AddressRow(
                    postcode=normalise_postcode(rec["postcode"]),
                    house_number=int(rec["house_number"]),
                    addition=normalise_addition(rec["addition"]),
                    street=rec["street"].strip(),
                    city=rec["city"].strip(),
                    lat=float(rec["lat"]),
                    lon=float(rec["lon"]),
                )
            )
        except (ValueError, InvalidInput) as exc:
            raise InvalidInput(f"line {line} of the CSV is not a valid address: {exc}") from exc
    return rows


def import_rows(session: Session, *, municipality: Municipality, rows: Iterable[AddressRow]) -> int:
    """Insert or update addresses; returns how many rows were written. Flushes, never commits."""
    existing = {
        (a.postcode, a.house_number, a.addition): a
        for a in session.scalars(select(Address).where(Address.municipality_id == municipality.id))
    }
    count = 0
    for row in rows:
        key = (row.postcode, row.house_number, row.addition)
        address = existing.get(key)
        if address is None:
            address = Address(municipality_id=municipality.id, **row.__dict__)
            session.add(address)
            existing[key] = address
        else:
            address.street, address.city = row.street, row.city
            address.lat, address.lon = row.lat, row.lon
        count += 1
    session.flush()
    return count


def lookup(
    session: Session,
    *,
    municipality: Municipality,
    postcode: str,
    house_number: int,
    addition: str | None = None,
) -> Address | None:
    """The register's address, or None. Without a matching addition, the bare number is used."""
    pc = normalise_postcode(postcode)
    add = normalise_addition(addition)
    candidates = session.scalars(
        select(Address).where(
            Address.municipality_id == municipality.id,
            Address.postcode == pc,
            Address.house_number == house_number,
        )
    ).all()
    for a in candidates:
        if a.addition == add:
            return a
    if add:
        return None
    return candidates[0] if len(candidates) == 1 else None


def unknown(postcode: str, house_number: int, addition: str | None) -> UnknownAddress:
    shown = f"{postcode} {house_number}{(' ' + addition) if addition else ''}"
    return UnknownAddress(
        f"We cannot find the address {shown}. Check the postcode and house number.",
        nl=f"We kunnen het adres {shown} niet vinden. Controleer de postcode en het huisnummer.",
    )
