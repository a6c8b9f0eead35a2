"""The day state every domain plans with: a municipality-date as routing values, its locks, its
re-timing and the shifts between dates. Imports no domain service (only models), so booking,
capacity, planning and the route app all build on it.
"""
