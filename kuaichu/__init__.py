"""Composition root: settings, app factory, CLI, migrations and worker wiring."""
