"""Every route of the service, from the feature handler modules."""

from __future__ import annotations

from kuaichu.api import Route
from kuaichu.handlers import (
    admin,
    anomalies,
    assessment,
    claims,
    court,
    eligibility,
    evidence,
    fault,
    fault_flow,
    fault_review,
    identity,
    insurers,
    pages,
    photos,
    reports,
    system,
)


def all_routes() -> list[Route]:
    return [
        *system.ROUTES,
        *eligibility.ROUTES,
        *fault.ROUTES,
        *identity.ROUTES,
        *reports.ROUTES,
        *evidence.ROUTES,
        *photos.ROUTES,
        *fault_flow.ROUTES,
        *fault_review.ROUTES,
        *anomalies.ROUTES,
        *admin.ROUTES,
        *insurers.ROUTES,
        *claims.ROUTES,
        *assessment.ROUTES,
        *court.ROUTES,
        *pages.ROUTES,
    ]
