"""deploy/: the compose file and the API's Dockerfile, checked without Docker: the three services, their ports,
health checks, restart policies and dependencies, the GPU reservation, pinned images, the Triton repository mount
(the production repository the tooling writes), and a multi-stage Dockerfile that copies only what the repository
has and runs as an unprivileged user."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from facematrix_models.build import TRITON_DIR, default_out
from facematrix_models.triton_repository import INDEX

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
# Triton's NGC release -> its core version; scripts/triton.sh serves core 2.51.0 from nvidia-pytriton 0.7.0.
TRITON_RELEASES = {"24.10": "2.51"}
PYTRITON_CORE = {"0.7.0": "2.51"}


# --- compose ------------------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$\$")


def interpolate(text: str, environment: dict[str, str]) -> str:
    """Compose's variable syntax: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $$ for a dollar."""
    def one(match):
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = environment.get(name)
        if operator in (":-", ":?") and not value:
            value = None
        if value is None and operator in (":?", "?"):
            raise KeyError(f"{name}: {argument}")
        return argument if value is None and operator in (":-", "-") else (value or "")

    return _VARIABLE.sub(one, text)


def _variables(text: str) -> set[str]:
    return {m.group(1) for m in _VARIABLE.finditer(text) if m.group(1)}


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    environment = {"HOME": str(Path.home()), "FACEMATRIX_DB_PASSWORD": "secret"}
    return yaml.safe_load(interpolate(compose_text, environment))


def _healthcheck_url(service: dict) -> str:
    test = service["healthcheck"]["test"]
    text = " ".join(test[1:]) if test[0] in ("CMD", "CMD-SHELL") else test
    return re.search(r"https?://[^\s'\"]+", text).group(0)


def _container_ports(service: dict) -> list[int]:
    return sorted(int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in service.get("ports", []))


def test_the_three_services(compose):
    assert sorted(compose["services"]) == ["api", "db", "triton"]
    for name, service in compose["services"].items():
        assert service.get("restart") in ("always", "unless-stopped"), name
        assert service["healthcheck"]["test"], name


def test_api_service(compose):
    api = compose["services"]["api"]
    assert (COMPOSE.parent / api["build"]["context"]).resolve() == ROOT
    assert (ROOT / api["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert _container_ports(api) == [8080]
    env = api["environment"]
    assert env["FACEMATRIX_INFERENCE"] == "triton"
    triton = urlsplit(env["FACEMATRIX_TRITON_URL"])
    assert (triton.scheme, triton.hostname, triton.port) == ("http", "triton", 8000)
    assert urlsplit(_healthcheck_url(api))[1:3] == ("127.0.0.1:8080", "/health/ready")
    assert api["depends_on"] == {"db": {"condition": "service_healthy"},
                                 "triton": {"condition": "service_healthy"}}


def test_database_url_names_the_db_service(compose):
    db = compose["services"]["db"]
    url = urlsplit(compose["services"]["api"]["environment"]["DATABASE_URL"])
    assert url.scheme in ("postgres", "postgresql")
    assert (url.hostname, url.port) == ("db", 5432)
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.password == db["environment"]["POSTGRES_PASSWORD"]
    assert url.path == "/" + db["environment"]["POSTGRES_DB"]


def test_db_service(compose):
    db = compose["services"]["db"]
    assert re.fullmatch(r"pgvector/pgvector:\d+\.\d+\.\d+-pg\d+", db["image"]), db["image"]
    volume, target = db["volumes"][0].split(":")[:2]
    assert volume in compose["volumes"] and target == "/var/lib/postgresql/data"
    test = db["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test)
    assert "ports" not in db  # reachable on the compose network only


def test_triton_service(compose):
    triton = compose["services"]["triton"]
    image, tag = triton["image"].rsplit(":", 1)
    assert image == "nvcr.io/nvidia/tritonserver" and tag != "latest"
    release = re.fullmatch(r"(\d\d\.\d\d)-py3", tag).group(1)
    assert TRITON_RELEASES[release] == PYTRITON_CORE[_pinned("nvidia-pytriton")]  # the CPU server's core
    assert triton["command"][0] == "tritonserver" and "--model-repository=/models" in triton["command"]
    assert _container_ports(triton) == [8000, 8001, 8002]
    assert all(str(p).startswith("127.0.0.1:") for p in triton["ports"])
    assert urlsplit(_healthcheck_url(triton))[1:3] == ("127.0.0.1:8000", "/v2/health/ready")
    [device] = triton["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"] and device["count"] in (1, "all")


def _pinned(package: str) -> str:
    text = (ROOT / "tools" / "triton-requirements.txt").read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)", text, re.MULTILINE).group(1)


def test_triton_mounts_the_production_repository(compose, models_dir, monkeypatch):
    """The mount's default is where the tooling writes the production repository (with the default cache)."""
    source, target, mode = compose["services"]["triton"]["volumes"][0].split(":")
    assert (target, mode) == ("/models", "ro")
    monkeypatch.delenv("FACEMATRIX_CACHE", raising=False)
    assert Path(source).expanduser() == default_out() / TRITON_DIR
    production = models_dir / TRITON_DIR / INDEX
    assert production.is_file()  # `make models` wrote it (the session fixture built the models)
    assert '"target": "production"' in production.read_text()


def test_every_variable_is_documented(compose_text):
    readme = (DEPLOY / "README.md").read_text()
    for name in _variables(compose_text) - {"HOME"}:
        assert name in readme, name
    with pytest.raises(KeyError, match="FACEMATRIX_DB_PASSWORD"):
        interpolate(compose_text, {"HOME": "/root"})  # no default password


# --- Dockerfile ---------------------------------------------------------------------------------------------

def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in joined.splitlines() if line.strip()]


def _stages(instructions) -> list[list[tuple[str, str]]]:
    stages = []
    for instruction in instructions:
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


@pytest.fixture(scope="module")
def stages() -> list:
    return _stages(_instructions(DOCKERFILE.read_text()))


def test_dockerfile_is_multi_stage_with_pinned_bases(stages):
    assert len(stages) >= 2
    names = []
    for stage in stages:
        words = stage[0][1].split()
        image = words[0]
        assert ":" in image and not image.endswith(":latest"), image
        names.append(words[2] if len(words) == 3 and words[1].upper() == "AS" else None)
    assert re.fullmatch(r"swift:6\.\d+(\.\d+)?-bookworm", stages[0][0][1].split()[0])
    assert stages[-1][0][1].split()[0] == "debian:bookworm-slim"
    for stage in stages[1:]:
        for _, args in (i for i in stage if i[0] == "COPY" and "--from=" in i[1]):
            assert re.search(r"--from=(\S+)", args).group(1) in names


def test_dockerfile_copies_only_what_the_repository_has(stages):
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for stage in stages:
        for _, args in (i for i in stage if i[0] == "COPY" and "--from=" not in i[1]):
            *sources, _ = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") not in ignored, source
    runs = " ".join(args for stage in stages for kind, args in stage if kind == "RUN")
    for script in re.findall(r"scripts/[\w-]+\.sh", runs):
        assert (ROOT / script).stat().st_mode & 0o111, script


def test_runtime_stage(stages):
    final = stages[-1]
    kinds = [kind for kind, _ in final]
    users = [args.strip() for kind, args in final if kind == "USER"]
    assert users and users[-1] not in ("root", "0") and kinds.index("USER") < kinds.index("CMD")
    assert "8080" in [args.strip() for kind, args in final if kind == "EXPOSE"]
    healthcheck = next(args for kind, args in final if kind == "HEALTHCHECK")
    assert "http://127.0.0.1:8080/health/ready" in healthcheck
    cmd = next(args for kind, args in final if kind == "CMD")
    assert '"/app/facematrix"' in cmd and '"serve"' in cmd


def test_build_stage_builds_the_product_and_its_resources(stages):
    runs = " ".join(args for kind, args in stages[0] if kind == "RUN")
    product = re.search(r"--product (\S+)", runs).group(1)
    assert re.search(rf'\.executable\(name: "{product}"', (ROOT / "Package.swift").read_text())
    bundle = re.search(r'bundleName = "([^"]+)"', (ROOT / "Sources/FaceMatrixServer/TryItPage.swift").read_text())
    assert f"release/{bundle.group(1)} /app/" in runs  # beside the binary, where the server looks for it
    assert "scripts/setup.sh" in runs and "scripts/models.sh" in runs and "-c release" in runs
