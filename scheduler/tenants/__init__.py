"""Tenants domain."""
