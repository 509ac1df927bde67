"""Uploaded files: checked, kept by SHA-256 content hash, and laid out as a study folder when needed.

A user's file name is never used as a storage path: blobs live at ``blobs/ab/abcdef...``; a study folder
for validation or a run is re-created from the blobs under a *safe* name (the base name reduced to
``[A-Za-z0-9._-]``, CSV table names normalised), so that problems still name the file the user knows.
Zip archives are checked before anything is written: no ``..``, no absolute path, no link, no
encrypted entry, at most MAX_ENTRIES entries and MAX_UNPACKED_BYTES unpacked (counted while reading,
not trusted from the header).
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ALLOWED = {".csv", ".xlsx", ".yaml", ".yml", ".xpt", ".sas7bdat"}
MAX_ENTRIES = 200
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed size of one entry above this (and > 1 MB) is a bomb


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is shown to the user as it is."""


@dataclass
class Upload:
    name: str       # the safe name in the study folder
    data: bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(name: str) -> str:
    """The base name, reduced to safe characters; extensions lower-case; ``Study.yml`` -> ``study.yaml``."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = ext.lower()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:80] or "file"
    if ext == "yml":
        ext = "yaml"
    if ext == "yaml":
        stem = stem.lower()
    return f"{stem}.{ext}" if ext else stem


def check_zip(data: bytes) -> list[Upload]:
    """The files of a study zip, after every safety check; raises UploadError naming the entry."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise UploadError(f"the archive could not be read ({exc})") from None
    if len(infos) > MAX_ENTRIES:
        raise UploadError(f"the archive has {len(infos)} entries; at most {MAX_ENTRIES} are accepted")
    declared = 0
    for info in infos:
        name = info.filename
        mode = info.external_attr >> 16
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise UploadError(f"unsafe archive: entry '{name}' has an absolute path")
        if ".." in parts:
            raise UploadError(f"unsafe archive: entry '{name}' points outside the archive (..)")
        if stat.S_ISLNK(mode):
            raise UploadError(f"unsafe archive: entry '{name}' is a symbolic link")
        if info.flag_bits & 0x1:
            raise UploadError(f"entry '{name}' is encrypted; upload an unencrypted archive")
        declared += info.file_size
        if declared > MAX_UNPACKED_BYTES or (info.file_size > 1024 * 1024
                                             and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise UploadError("unsafe archive: it would unpack to more than "
                              f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB (a decompression bomb?)")
    files: dict[str, bytes] = {}
    total = 0
    keep = [i for i in infos if not i.is_dir() and not _hidden(i.filename)]
    prefix = _common_folder([i.filename for i in keep])
    for info in keep:
        rel = info.filename[len(prefix):]
        if "/" in rel:          # a study is a flat folder; files in sub-folders are not part of it
            continue
        with zf.open(info) as fh:
            chunks = []
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_UNPACKED_BYTES:
                    raise UploadError("unsafe archive: it unpacks to more than "
                                      f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB (a decompression bomb?)")
                chunks.append(chunk)
        files[rel] = b"".join(chunks)
    if not files:
        raise UploadError("the archive holds no study files (CSV, XLSX, YAML, XPT, SAS7BDAT)")
    return [Upload(n, d) for n, d in files.items()]


def _hidden(name: str) -> bool:
    return any(p.startswith((".", "__MACOSX", "~$")) for p in name.split("/"))


def _common_folder(names: list[str]) -> str:
    """The one top folder every file sits in (``study/``), or ''."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""


def study_files(uploads: list[tuple[str, bytes]]) -> list[Upload]:
    """Uploaded (name, bytes) -> the study's files: one zip is opened (after the checks), names made safe,
    types checked; raises UploadError with a message for the user."""
    if not uploads:
        raise UploadError("no file was uploaded (field 'files')")
    zips = [u for u in uploads if u[0].lower().endswith(".zip")]
    if zips:
        if len(uploads) > 1:
            raise UploadError("upload one .zip of the study folder, or the study's files, not both")
        uploads = [(u.name, u.data) for u in check_zip(zips[0][1])]
    out: dict[str, Upload] = {}
    for name, data in uploads:
        safe = safe_name(name)
        ext = "." + safe.rpartition(".")[2] if "." in safe else ""
        if ext not in ALLOWED:
            raise UploadError(f"{name}: not a study file (expected {', '.join(sorted(ALLOWED))}, or one .zip)")
        if safe.lower() in {k.lower() for k in out}:
            raise UploadError(f"two files named {safe}")
        out[safe] = Upload(safe, data)
    _check_references(out)
    return list(out.values())


def _check_references(files: dict[str, Upload]) -> None:
    """Files named in study.yaml (``redcap: records/dictionary``) must be uploaded files of the study: never
    a path on the server."""
    import yaml

    own = files.get("study.yaml")
    if own is None:
        return
    try:
        data = yaml.safe_load(own.data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return                      # reported with its line by the validation
    red = data.get("redcap") if isinstance(data, dict) else None
    if not isinstance(red, dict):
        return
    for key in ("records", "dictionary"):
        ref = red.get(key)
        if ref is not None and str(ref) not in files:
            raise UploadError(f"study.yaml: redcap.{key} is '{ref}', which is not one of the uploaded files "
                              f"({', '.join(sorted(files))})")


class BlobStore:
    """Files by content hash under ``root/blobs``."""

    def __init__(self, root: Path):
        self.root = Path(root) / "blobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError("not a SHA-256 digest")
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = sha256(data)
        p = self.path(digest)
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(p)
        return digest

    def layout(self, files: list[tuple[str, str]], folder: Path, extra: dict[str, str] | None = None) -> Path:
        """Re-create a study folder from (safe name, digest) pairs; ``extra`` = name -> text to add/replace."""
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name, digest in files:
            shutil.copyfile(self.path(digest), folder / safe_name(name))
        for name, text in (extra or {}).items():
            (folder / safe_name(name)).write_text(text, encoding="utf-8")
        return folder
