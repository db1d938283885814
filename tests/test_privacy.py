import errno
import os
import stat

import pandas as pd
import pytest

from konsel_analysis.errors import UserError
from konsel_analysis.privacy import (
    find_personal_data,
    load_or_create_secret_key,
    pseudonymize,
    suppress_small_cells,
)


def test_secret_key_is_created_once_readable_by_owner_only(tmp_path):
    key = load_or_create_secret_key(tmp_path)
    path = tmp_path / ".konsel_secret_key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret_key(tmp_path) == key


@pytest.mark.parametrize(
    "content", ["", "\n", "ab" * 31 + "\n", "zz" * 32 + "\n", "ab" * 33 + "\n"]
)
def test_an_empty_short_or_edited_key_stops_the_run(tmp_path, content):
    # An empty key (a full disk when it was first written) would make every published
    # pseudonym an HMAC anyone with household ids can recompute.
    (tmp_path / ".konsel_secret_key").write_text(content)
    with pytest.raises(UserError, match=r"pseudonym key .* is damaged .* restore it"):
        load_or_create_secret_key(tmp_path)


def test_a_full_disk_while_the_key_is_written_leaves_no_key_and_says_so(tmp_path, monkeypatch):
    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(UserError, match="cannot write the pseudonym key .*No space left"):
        load_or_create_secret_key(tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the key nor its temporary file
    monkeypatch.undo()
    assert len(load_or_create_secret_key(tmp_path)) == 32  # the next run makes a whole key


def test_a_key_made_by_another_run_meanwhile_is_the_one_used(tmp_path, monkeypatch):
    other = "cd" * 32
    real_link = os.link

    def racing_link(src, dst):  # the other run's key lands between our check and our link
        (tmp_path / ".konsel_secret_key").write_text(other + "\n")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    assert load_or_create_secret_key(tmp_path) == bytes.fromhex(other)
    assert [p.name for p in tmp_path.iterdir()] == [".konsel_secret_key"]


def test_pseudonyms_are_stable_keyed_and_do_not_show_the_id():
    a = pseudonymize(["R00000001", "R00000002"], b"a" * 32)
    assert list(pseudonymize(["R00000001", "R00000002"], b"a" * 32)) == list(a)
    assert pseudonymize(["R00000001"], b"b" * 32)[0] != a[0]
    assert a[0] != a[1]
    assert all(p.startswith("RT-") and len(p) == 13 and "0000" not in p for p in a)


def test_cells_from_fewer_than_five_households_are_blanked():
    table = pd.DataFrame({"desa": ["x", "y"], "households": [4, 5], "share_pkh": [0.5, 0.2]})
    out = suppress_small_cells(table, "households", ["share_pkh"])
    assert out.loc[0, "share_pkh"] is None and out.loc[0, "households"] is None
    assert out.loc[1, "share_pkh"] == 0.2 and out.loc[1, "households"] == 5
    assert out.loc[0, "desa"] == "x"


def test_leak_scan_names_the_file_but_not_the_value(tmp_path):
    (tmp_path / "ok.html").write_text("<p>RT-c395b36527 lantai tanah</p>")
    (tmp_path / "nik.csv").write_text("a,7405014101800001,b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "name.html").write_text("<td>Wa Ode Lakidende</td>")
    found = find_personal_data(tmp_path, ["7405014101800001"], ["Wa Ode Lakidende"])
    assert found == [f"{tmp_path / 'nik.csv'}: NIK", f"{tmp_path / 'sub' / 'name.html'}: name"]
