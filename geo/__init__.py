"""Zones, coordinates and the routing of damage assessment."""
