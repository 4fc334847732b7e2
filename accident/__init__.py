"""Accident reports: eligibility, evidence, parties and fault from rule templates."""
