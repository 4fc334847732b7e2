"""The documents an insurer may request on its line (a closed list, PRODUCT.md "Documents"), and when a
requested item counts as received. PURE."""

from __future__ import annotations

from typing import Any

# kind → (Chinese, English) as a driver reads it
DOCUMENT_NAMES: dict[str, tuple[str, str]] = {
    "id_card": ("身份证", "ID card"),
    "driving_licence": ("驾驶证", "driving licence"),
    "vehicle_licence": ("行驶证", "vehicle licence"),
    "repair_invoice": ("维修发票", "repair invoice"),
    "bank_account": ("银行账户信息", "bank account details"),
    "other": ("其他材料", "other document"),
}
# Sensitive personal information (个人信息保护法 art. 28: identity documents, financial accounts): handed to the
# insurer only with the driver's separate consent (art. 29), given per line and kind before the upload.
SENSITIVE_KINDS = frozenset({"id_card", "bank_account"})


def item_in(r: Any) -> bool:
    """A requested item counts: uploaded, or — an item asked on paper — confirmed received by the insurer."""
    return r["paper_received_at"] is not None if r["on_paper"] else r["document_id"] is not None
