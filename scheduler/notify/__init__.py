"""Notify domain."""
