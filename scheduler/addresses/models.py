"""The municipality's address register extract (postcode + house number → coordinates)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class Address(Base):
    __tablename__ = "address"
    __table_args__ = (
        UniqueConstraint("municipality_id", "postcode", "house_number", "addition"),
        Index("ix_address_lookup", "municipality_id", "postcode", "house_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    postcode: Mapped[str] = mapped_column(String(6))  # normalised: 3511AB
    house_number: Mapped[int]
    addition: Mapped[str] = mapped_column(String(10), default="")  # upper case; "" if none
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120))
    lat: Mapped[float]
    lon: Mapped[float]
