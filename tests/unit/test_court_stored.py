"""A dispute package at rest: every personal value encrypted in place, and packages stored before the policy
number and the address were covered still open to the bytes that were sent."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet

from court_bridge.package import package_bytes
from court_bridge.stored import from_store, to_store
from kernel.crypto import Keyring
from tests.unit.court_package_example import package

KEYRING = Keyring.from_settings("unit-test-secret", Fernet.generate_key().decode())


def test_names_ids_phones_policy_numbers_and_the_address_are_encrypted_in_place_and_open_again():
    body = package()
    personal = [body["accident"]["place"]["address"]]
    for p in body["parties"]:
        personal += [
            p["driver"]["name"],
            p["driver"]["id_number"],
            p["driver"]["phone"],
            p["insurance"]["policy_number"],
        ]
    stored = to_store(body, KEYRING)
    text = json.dumps(stored, ensure_ascii=False)
    assert [s for s in personal if s in text] == []
    assert (
        stored["parties"][0]["vehicle"]["plate"] == body["parties"][0]["vehicle"]["plate"]
    )  # the rest readable
    assert package_bytes(from_store(stored, KEYRING)) == package_bytes(body)


def test_a_package_stored_with_the_policy_number_and_address_in_clear_opens_the_same():
    body = package()
    old = to_store(body, KEYRING)
    old["accident"]["place"]["address"] = body["accident"]["place"]["address"]
    for stored, sent in zip(old["parties"], body["parties"], strict=True):
        stored["insurance"]["policy_number"] = sent["insurance"]["policy_number"]
    assert package_bytes(from_store(old, KEYRING)) == package_bytes(body)
