"""The local photo store on real files under tmp_path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from accident.storage import LocalPhotoStore, PhotoStore, relative_key
from kernel.errors import NotFound

DATA = os.urandom(700_000)  # more than two stream chunks
SHA = hashlib.sha256(DATA).hexdigest()


def test_local_store_satisfies_the_photo_store_interface(tmp_path: Path) -> None:
    store: PhotoStore = LocalPhotoStore(tmp_path)
    assert store is not None


async def test_an_original_is_stored_content_addressed_and_byte_for_byte(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    assert await store.put_original(SHA, DATA) is True
    path = tmp_path / "originals" / SHA[:2] / SHA[2:4] / SHA
    assert path == store.path_for(SHA) and path.read_bytes() == DATA
    assert await store.read(SHA) == DATA and await store.size(SHA) == len(DATA)


async def test_storing_the_same_bytes_twice_writes_once(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    assert await store.put_original(SHA, DATA) is True
    first = store.path_for(SHA).stat()
    assert await store.put_original(SHA, DATA) is False
    second = store.path_for(SHA).stat()
    assert (first.st_ino, first.st_mtime_ns) == (second.st_ino, second.st_mtime_ns)
    assert [p.name for p in store.path_for(SHA).parent.iterdir()] == [SHA]


async def test_bytes_that_do_not_match_their_hash_are_not_stored(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    with pytest.raises(ValueError, match="do not match"):
        await store.put_original(SHA, DATA + b"tampered")
    assert await store.size(SHA) is None


async def test_a_failed_write_leaves_neither_a_half_file_nor_a_temp_file(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    target = store.path_for(SHA, "preview")
    target.mkdir(
        parents=True
    )  # a directory in the way makes the final rename fail, as a crash would
    with pytest.raises(OSError):
        await store.put_derivative(SHA, "preview", b"jpeg bytes")
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


async def test_derivatives_are_stored_beside_the_originals_and_replaced(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    await store.put_derivative(SHA, "thumbnail", b"old")
    await store.put_derivative(SHA, "thumbnail", b"new")
    assert await store.read(SHA, "thumbnail") == b"new"
    assert store.path_for(SHA, "thumbnail") == tmp_path / relative_key(SHA, "thumbnail")
    assert relative_key(SHA, "thumbnail").endswith(f"{SHA}.thumbnail.jpg")


async def test_a_stored_file_streams_back_in_chunks(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    await store.put_original(SHA, DATA)
    chunks = [chunk async for chunk in store.stream(SHA)]
    assert len(chunks) == 3 and b"".join(chunks) == DATA


async def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    assert await store.size(SHA, "preview") is None
    with pytest.raises(NotFound):
        await store.read(SHA)
    with pytest.raises(NotFound):
        _ = [chunk async for chunk in store.stream(SHA)]


@pytest.mark.parametrize("bad", ["../../etc/passwd", SHA.upper(), SHA[:-1], ""])
def test_a_key_that_is_not_a_sha256_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        relative_key(bad)
