"""Every route of the service, from the feature handler modules."""

from __future__ import annotations

from kuaichu.api import Route
from kuaichu.handlers import (
    admin,
    assessment,
    claims,
    court,
    eligibility,
    fault,
    fault_flow,
    fault_review,
    identity,
    inquiries,
    insurers,
    operations,
    pages,
    photos,
    reports,
    supervision,
    system,
)


def all_routes() -> list[Route]:
    return [
        *system.ROUTES,
        *eligibility.ROUTES,
        *fault.ROUTES,
        *identity.ROUTES,
        *reports.ROUTES,
        *photos.ROUTES,
        *fault_flow.ROUTES,
        *fault_review.ROUTES,
        *admin.ROUTES,
        *operations.ROUTES,
        *insurers.ROUTES,
        *claims.ROUTES,
        *assessment.ROUTES,
        *court.ROUTES,
        *inquiries.ROUTES,
        *supervision.ROUTES,
        *pages.ROUTES,
    ]
