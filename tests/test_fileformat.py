import numpy as np
import pytest

from holdem.fileformat import FileFormatError, load_arrays, save_arrays


def _save(path, **kw):
    arrays = {"regret": np.arange(12, dtype=np.float32).reshape(3, 4), "rows": np.array([1, 5], np.int64)}
    return save_arrays(path, kind="checkpoint", version=2, arrays=arrays, meta={"iteration": 7}, **kw)


def test_round_trip_keeps_arrays_and_meta(tmp_path):
    path = tmp_path / "a.npz"
    checksum = _save(path)
    arrays, meta = load_arrays(path, kind="checkpoint", versions=(2,))
    assert arrays["regret"].dtype == np.float32 and arrays["regret"][2, 3] == 11
    assert meta["iteration"] == 7 and meta["checksum"] == checksum
    assert not list(tmp_path.glob(".*tmp*"))


def test_truncated_file(tmp_path):
    path = tmp_path / "a.npz"
    _save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="truncated or corrupt"):
        load_arrays(path, kind="checkpoint", versions=(2,))


def test_flipped_byte_fails_checksum(tmp_path):
    path = tmp_path / "a.npz"
    _save(path)
    raw = bytearray(path.read_bytes())
    arrays, _ = load_arrays(path, kind="checkpoint", versions=(2,))
    target = np.arange(12, dtype=np.float32).reshape(3, 4).tobytes()
    at = bytes(raw).find(target)
    assert at > 0
    raw[at + 5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match="corrupt|checksum"):
        load_arrays(path, kind="checkpoint", versions=(2,))


def test_rewritten_arrays_under_an_old_header_fail_checksum(tmp_path):
    path = tmp_path / "a.npz"
    _save(path)
    with np.load(path) as npz:
        header = npz["__header__"]
    np.savez(path, __header__=header, regret=np.ones((3, 4), np.float32), rows=np.array([1, 5], np.int64))
    with pytest.raises(FileFormatError, match="fails its checksum"):
        load_arrays(path, kind="checkpoint", versions=(2,))


def test_wrong_kind_version_and_missing(tmp_path):
    path = tmp_path / "a.npz"
    _save(path)
    with pytest.raises(FileFormatError, match="not a 'policy'"):
        load_arrays(path, kind="policy", versions=(2,))
    with pytest.raises(FileFormatError, match="format version 2"):
        load_arrays(path, kind="checkpoint", versions=(1,))
    with pytest.raises(FileFormatError, match="does not exist"):
        load_arrays(tmp_path / "none.npz", kind="checkpoint")


def test_foreign_npz_and_pickled_object_arrays_are_refused(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(FileFormatError, match="no header"):
        load_arrays(path, kind="checkpoint")
    evil = tmp_path / "evil.npz"
    np.savez(evil, __header__=np.frombuffer(b"{}", np.uint8), x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FileFormatError):
        load_arrays(evil, kind="checkpoint")
