"""Booking domain."""
