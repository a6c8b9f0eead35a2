"""Use cases that span domains: capacity changes that re-plan, disruption, bookings that notify.

They sit above the domains (``scheduler/<domain>/``), which never import them, and above the day
state (``scheduler/day/``), which every domain builds on. The architecture test holds the order.
"""
