"""Aan Huis routing engine: problem model, travel times, solver, insertion checks, VROOM JSON.

A pure library: it imports no database, web framework, settings or scheduler code.
"""
