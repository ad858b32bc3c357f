"""The service's schema and gallery index, as FaceStore creates them, and a small psql runner.

MIGRATIONS repeats Sources/FaceStore/Migrations.swift statement for statement; index_ddl repeats the partial HNSW
index of PostgresFaceRepository.prepare (its name included), with the m and ef_construction tried. Keep them in step
with the Swift sources.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

DEFAULT_MODEL = ("face-reidentification-retail-0095", "omz-2023.0-fp16", 256)

MIGRATIONS = [
    """CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE EXTENSION IF NOT EXISTS vector",
    """CREATE TABLE users (
        id text PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        birthdate date NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email IS NOT NULL",
    """CREATE TABLE faces (
        id bigserial PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        model text NOT NULL,
        embedding vector NOT NULL,
        face jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX faces_user ON faces (user_id)",
    "CREATE INDEX faces_model ON faces (model)",
    """CREATE TABLE enrollment_keys (
        req_id text PRIMARY KEY,
        model text NOT NULL,
        embedding vector NOT NULL,
        face jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
    )""",
    "CREATE INDEX enrollment_keys_expiry ON enrollment_keys (expires_at)",
    """CREATE TABLE api_keys (
        id text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('recognise', 'admin')),
        name text NOT NULL CHECK (length(name) <= 200),
        salt bytea NOT NULL,
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
    )""",
    """INSERT INTO schema_migrations (version, name)
       VALUES (1, 'pgvector'), (2, 'users, faces, enrollment keys'), (3, 'api keys')""",
]


class Model:
    """The embedder whose faces are searched: its key (name@version, as ModelIdentity.key) and dimension."""

    def __init__(self, models_dir: Path):
        manifest = models_dir / DEFAULT_MODEL[0] / "manifest.json"
        name, version, dimension = DEFAULT_MODEL
        self.source = "built-in default (no manifest found)"
        if manifest.is_file():
            data = json.loads(manifest.read_text())
            name, version = data["name"], data["version"]
            dimension = int(data["outputs"][0]["shape"][-1])
            self.source = str(manifest)
        self.name, self.version, self.dimension = name, version, dimension
        self.key = f"{name}@{version}"


def stable_hash(text: str) -> str:
    """FNV-1a, as stableHash in PgvectorCoding.swift: the per-model index name's suffix."""
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(value, "x")


def index_name(model: Model) -> str:
    return f"faces_hnsw_{stable_hash(model.key)}"


def index_ddl(model: Model, m: int, ef_construction: int) -> str:
    """The service's CREATE INDEX with the build setting tried."""
    return (f"CREATE INDEX IF NOT EXISTS {index_name(model)} ON faces "
            f"USING hnsw ((embedding::vector({model.dimension})) vector_cosine_ops) "
            f"WITH (m = {m}, ef_construction = {ef_construction}) WHERE model = '{model.key}'")


def checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
    return done


class Psql:
    """psql on DATABASE_URL: unaligned, tuples only, stopping at the first error."""

    def __init__(self, url: str, bin_dir: str):
        self.base = [f"{bin_dir}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", url]

    def run(self, *statements: str) -> subprocess.CompletedProcess:
        """The statements in one session; stdout and stderr (notices) captured."""
        command = list(self.base)
        for statement in statements:
            command += ["-c", statement]
        return checked(subprocess.run(command, capture_output=True, text=True))

    def value(self, *statements: str) -> str:
        return self.run(*statements).stdout.strip()

    def script(self, path: Path) -> subprocess.CompletedProcess:
        return checked(subprocess.run(self.base + ["-f", str(path)], capture_output=True, text=True))

    def copy_in(self, statement: str) -> subprocess.Popen:
        """A `COPY … FROM STDIN` whose data the caller writes to the process's stdin."""
        return subprocess.Popen(self.base + ["-c", statement], stdin=subprocess.PIPE)


def create_schema(psql: Psql) -> None:
    psql.run(*MIGRATIONS)
