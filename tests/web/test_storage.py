"""Storage: the Alembic migration creates exactly the models' schema (SQLite and PostgreSQL); blobs by hash."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from oncoseries.web.db import Base
from oncoseries.web.store import BlobStore, UploadError, check_zip, safe_name, study_files

from .conftest import zip_bytes


def test_migration_matches_the_models(client):
    engine = client.app.state.engine
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migration_is_idempotent(client):
    from oncoseries.web.db import migrate

    migrate(client.app.state.engine)          # a second start finds the schema current
    with client.app.state.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"


def test_blob_store(tmp_path):
    store = BlobStore(tmp_path)
    d = store.put(b"abc")
    assert d == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert store.path(d).read_bytes() == b"abc" and store.put(b"abc") == d
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


@pytest.mark.parametrize("name, safe", [("Patients.CSV", "Patients.csv"), ("../../x/lesions.csv", "lesions.csv"),
                                        ("C:\\Users\\me\\Study.yml", "study.yaml"), ("my book (2).xlsx", "my_book_2.xlsx"),
                                        ("..", "file")])
def test_safe_names(name, safe):
    assert safe_name(name) == safe


def test_zip_checks_and_flattening():
    files = check_zip(zip_bytes({"study/patients.csv": b"a", "study/lesions.csv": b"b", "study/sub/x.csv": b"c",
                                 "__MACOSX/study/._patients.csv": b"junk"}))
    assert sorted(f.name for f in files) == ["lesions.csv", "patients.csv"]
    with pytest.raises(UploadError, match="no study files"):
        check_zip(zip_bytes({"a/b/c.csv": b"x", "d/e.csv": b"y"}))
    with pytest.raises(UploadError, match="not both"):
        study_files([("a.zip", b""), ("patients.csv", b"")])
    with pytest.raises(UploadError, match="two files named"):
        study_files([("patients.csv", b""), ("PATIENTS.csv", b"")])


def test_study_yaml_cannot_name_a_server_path():
    yaml_text = b"redcap:\n  records: /etc/passwd\n"
    with pytest.raises(UploadError, match="not one of the uploaded files"):
        study_files([("study.yaml", yaml_text), ("dictionary.csv", b"Variable / Field Name\n")])
    ok = study_files([("study.yaml", b"redcap:\n  records: Records.csv\n"), ("Records.csv", b"record_id\n")])
    assert sorted(f.name for f in ok) == ["Records.csv", "study.yaml"]
