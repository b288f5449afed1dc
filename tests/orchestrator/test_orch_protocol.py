"""Framing: round trips, byte-at-a-time feeding, and every kind of bad input as a ProtocolError."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.protocol import (
    PROTOCOL_VERSION,
    READ_SLACK,
    FrameDecoder,
    MessageType,
    ProtocolError,
    encode,
)


def _result_frame(batch_id: int = 7) -> bytes:
    payload = {"rows": np.arange(10, dtype=np.int32), "vals": np.ones((3, 4), dtype=np.float32),
               "scalar": np.float64(2.5), "nested": {"x": [1, 2, {"y": np.zeros(2, dtype=np.uint8)}]}}
    return encode(MessageType.RESULT, batch_id=batch_id, payload=payload)


def test_round_trip_with_numpy_arrays() -> None:
    [msg] = FrameDecoder().feed(_result_frame())
    assert msg["v"] == PROTOCOL_VERSION and msg["t"] == "result" and msg["batch_id"] == 7
    payload = msg["payload"]
    assert payload["rows"].dtype == np.int32 and payload["rows"].tolist() == list(range(10))
    assert payload["vals"].shape == (3, 4) and payload["vals"].dtype == np.float32
    assert payload["scalar"] == 2.5
    assert payload["nested"]["x"][2]["y"].dtype == np.uint8


def test_arrays_decode_without_copy() -> None:
    [msg] = FrameDecoder().feed(_result_frame())
    rows = msg["payload"]["rows"]
    base = rows
    while isinstance(base, np.ndarray):
        base = base.base
    assert isinstance(base, bytes) and not rows.flags.writeable


def test_non_contiguous_and_zero_dim_arrays() -> None:
    arr = np.arange(20, dtype=np.int64).reshape(4, 5)[:, ::2]
    [msg] = FrameDecoder().feed(encode("result", batch_id=1, payload={"a": arr, "z": np.array(3.0)}))
    assert np.array_equal(msg["payload"]["a"], arr)
    assert msg["payload"]["z"].shape == () and msg["payload"]["z"] == 3.0


def test_one_byte_at_a_time() -> None:
    parts = [_result_frame(1), encode("heartbeat"), _result_frame(2)]
    ends = [sum(len(p) for p in parts[:k + 1]) for k in range(len(parts))]
    frames = b"".join(parts)
    decoder, got = FrameDecoder(), []
    for i in range(len(frames)):
        got.extend(decoder.feed(frames[i:i + 1]))
        assert len(got) == sum(end <= i + 1 for end in ends)
        assert decoder.buffered == (i + 1 not in ends)
    assert [m["t"] for m in got] == ["result", "heartbeat", "result"]
    assert [got[0]["batch_id"], got[2]["batch_id"]] == [1, 2]
    assert not decoder.buffered


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4000), min_size=0, max_size=12))
def test_any_split_of_the_stream_yields_the_same_messages(cuts: list[int]) -> None:
    stream = b"".join(encode("result", batch_id=i, payload={"a": np.arange(i * 50)}) for i in range(6))
    decoder, got, pos = FrameDecoder(), [], 0
    for cut in sorted({min(c, len(stream)) for c in cuts}) + [len(stream)]:
        got.extend(decoder.feed(stream[pos:cut]))
        pos = cut
    assert [m["batch_id"] for m in got] == list(range(6))
    assert all(np.array_equal(m["payload"]["a"], np.arange(m["batch_id"] * 50)) for m in got)


GARBAGE = [b"\xc1", b"\xc1\xc1 garbage \xff", b"\x07", b"\xa3abc", b"\x93\x01\x02\x03"]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_is_a_protocol_error(garbage: bytes) -> None:
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(garbage)


def test_messages_before_bad_bytes_are_kept() -> None:
    with pytest.raises(ProtocolError) as info:
        FrameDecoder().feed(_result_frame(3) + b"\xc1")
    assert [m["batch_id"] for m in info.value.messages] == [3]


def test_oversized_frame_is_rejected_from_its_header() -> None:
    decoder = FrameDecoder(max_frame_bytes=1 << 16)
    frame = encode("result", batch_id=1, payload={"a": np.zeros(1 << 20, dtype=np.uint8)})
    with pytest.raises(ProtocolError, match="exceeds|max_bin_len"):
        for i in range(0, len(frame), 4096):
            decoder.feed(frame[i:i + 4096])
    assert decoder.bytes_fed <= (1 << 16) + READ_SLACK + 4096


def test_unknown_type_wrong_version_and_non_map() -> None:
    with pytest.raises(ProtocolError, match="unknown message type"):
        FrameDecoder().feed(msgpack.packb({"v": PROTOCOL_VERSION, "t": "bogus"}))
    with pytest.raises(ProtocolError, match="version"):
        FrameDecoder().feed(msgpack.packb({"v": PROTOCOL_VERSION + 1, "t": "ready"}))
    with pytest.raises(ProtocolError, match="not a map"):
        FrameDecoder().feed(msgpack.packb([1, 2]))


def test_object_arrays_refuse_to_encode() -> None:
    with pytest.raises(TypeError):
        encode("result", payload={"a": np.array([object()])})


class _Owner:
    """A delivery's owner that records the slots it was asked to release."""

    def __init__(self) -> None:
        self.released: list[int | None] = []

    def settle(self, delivery: object, reason: str | None) -> None:
        delivery.settled = True  # type: ignore[attr-defined]

    def release_slot(self, delivery: object) -> None:
        self.released.append(delivery.slot)  # type: ignore[attr-defined]
        delivery.slot = None  # type: ignore[attr-defined]


def _arena_delivery(owner: _Owner) -> tuple[object, np.ndarray]:
    from orchestrator.job import Delivery, WorkerInfo

    arena = np.arange(10.0)
    payload = {"values": arena[2:8], "nested": [arena[:2]], "count": 3}
    return Delivery(owner, WorkerInfo(worker_id=1, slot=0), [5], payload, {}, 0, slot=1), arena


def test_a_copy_made_elsewhere_is_adopted_only_while_the_delivery_is_still_detachable() -> None:
    from orchestrator.job import private_copy, view_bytes

    owner = _Owner()
    delivery, arena = _arena_delivery(owner)
    assert view_bytes(delivery.payload) == 8 * 8, "the arena views, not the plain count"
    copy = private_copy(delivery.payload)
    delivery.pin()
    assert not delivery.adopt(copy) and owner.released == [], "a thread reads the arena: the slot stays leased"
    assert np.shares_memory(delivery.payload["values"], arena)
    delivery.unpin()
    assert delivery.adopt(copy) and owner.released == [1]
    arena[:] = -1
    assert delivery.payload["values"].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert delivery.payload["nested"][0].tolist() == [0.0, 1.0] and view_bytes(delivery.payload) == 0

    settled, _ = _arena_delivery(owner)
    settled.complete()
    assert not settled.adopt(private_copy(settled.payload)), "settled meanwhile: the copy is dropped"
