"""Addresses domain."""
