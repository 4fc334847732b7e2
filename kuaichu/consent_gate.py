"""Nothing about a case leaves for insurers or the court unless every party consented to sharing it.

Messages whose report lacks that consent are parked with the reason (visible to operators) and can be
replayed once the party consents (`POST /v1/reports/{id}/consent`).
"""

from __future__ import annotations

from accident.repository import parties_without_sharing_via
from kernel.outbox import Message
from kuaichu.context import Services
from kuaichu.worker import Deliver, Park


def with_sharing_consent(deliver: Deliver) -> Deliver:
    """Checked when each message is about to leave (consent can be withdrawn after it was queued); the
    checks of messages leaving together share a round trip."""

    async def gated(services: Services, msg: Message):  # type: ignore[no-untyped-def]
        if msg.report_id is not None:
            missing = await parties_without_sharing_via(
                services.sharing_checks, report_id=msg.report_id
            )
            if missing:
                raise Park(
                    f"party {', '.join(missing)} has not consented to sharing the case (PIPL art. 23)"
                )
        return await deliver(services, msg)

    gated.__name__ = deliver.__name__
    return gated
