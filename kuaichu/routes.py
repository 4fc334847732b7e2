"""Every route of the service, from the feature handler modules."""

from __future__ import annotations

from kuaichu.api import Route
from kuaichu.handlers import (
    admin,
    anomalies,
    assessment,
    browser_sessions,
    claims,
    court,
    driver,
    eligibility,
    evidence,
    fault,
    fault_flow,
    fault_review,
    identity,
    inquiries,
    insurers,
    operations,
    pages,
    photo_uploads,
    photos,
    reports,
    staff_pages,
    supervision,
    system,
    workbench,
    zone_outlines,
)


def all_routes() -> list[Route]:
    return [
        *system.ROUTES,
        *eligibility.ROUTES,
        *fault.ROUTES,
        *identity.ROUTES,
        *browser_sessions.ROUTES,
        *reports.ROUTES,
        *evidence.ROUTES,
        *photo_uploads.ROUTES,  # before photos: its /photos/uploads/{id} must not read as a photo's variant
        *photos.ROUTES,
        *fault_flow.ROUTES,
        *fault_review.ROUTES,
        *anomalies.ROUTES,
        *admin.ROUTES,
        *operations.ROUTES,
        *insurers.ROUTES,
        *claims.ROUTES,
        *assessment.ROUTES,
        *court.ROUTES,
        *inquiries.ROUTES,
        *supervision.ROUTES,
        *pages.ROUTES,
        *workbench.ROUTES,
        *zone_outlines.ROUTES,
        *staff_pages.ROUTES,
        *driver.ROUTES,
    ]
