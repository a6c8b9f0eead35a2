"""Aan Huis booking domain: tenants, services, experts, shifts, visits, offers, bookings, plans."""
