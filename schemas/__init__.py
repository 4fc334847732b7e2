"""Pydantic models of every HTTP body, webhook and court payload."""
