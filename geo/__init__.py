"""Zones, coordinates, reference data and the pure routing decision (nearest assessor) that `assessment` uses."""
