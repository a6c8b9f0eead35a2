"""Capacity domain."""
