"""A synthetic gallery shaped like the service's, its probes, and its loading by binary COPY.

Users own 1, 2 or 3 faces (half, 30 % and 20 % of them); the vectors are drawn as `shapes` says. A genuine probe is
a stored face moved to a cosine of 0.6-0.8 with it (uniform); an impostor probe a face of someone not enrolled.
Rows are loaded in order, so the gallery of N faces is the first N rows, and a larger size only appends.
"""
from __future__ import annotations

import struct

import numpy as np

from shapes import unit

FACES_PER_USER, SHARES = np.array([1, 2, 3]), np.array([0.5, 0.3, 0.2])
PROBE_COSINE = (0.6, 0.8)
BATCH = 20_000
# A stored face's metadata (FaceMetadata: the detection and the quality), of the size the service writes.
FACE_JSON = (b'{"detection":{"box":{"x":367.47,"y":78.99,"width":248.89,"height":349.29},"confidence":0.99973,'
             b'"landmarks":{"leftEye":{"x":445.31,"y":214.71},"rightEye":{"x":551.66,"y":214.21},'
             b'"nose":{"x":497.68,"y":277.7},"mouthLeft":{"x":435.55,"y":324.8},"mouthRight":{"x":557.15,"y":320.54}}},'
             b'"quality":{"confidence":0.99973,"face_size":248.89,"interocular_distance":106.36,"sharpness":1514.31,'
             b'"roll":-0.27,"yaw":-1.19,"frontal_score":0.979}}')


def face_owners(size: int, rng: np.random.Generator) -> np.ndarray:
    """The user index of each of `size` faces: consecutive runs of 1-3 faces."""
    counts = rng.choice(FACES_PER_USER, size=size, p=SHARES)
    return np.repeat(np.arange(size), counts)[:size]


def generate(path: str, size: int, shape, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The gallery's unit vectors (float32, written to `path` as .npy) and each face's user index."""
    rng = np.random.default_rng(seed)
    owners = face_owners(size, rng)
    gallery = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(size, shape.dimension))
    people = np.zeros((1, shape.dimension))
    for start in range(0, size, 100_000):
        part = owners[start:start + 100_000]
        first = part[0]
        # A person whose faces straddle two parts stays the same person.
        carried = people[-1:] if start and owners[start - 1] == first else people[:0]
        people = np.vstack([carried, shape.people(rng, part[-1] - first + 1 - len(carried))])
        gallery[start:start + len(part)] = shape.faces(rng, people[part - first])
    gallery.flush()
    return gallery, owners


def probes(gallery: np.ndarray, genuine: int, impostors: int, shape, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`genuine` stored faces moved to a cosine of 0.6-0.8 with themselves, then `impostors` strangers; the moved
    face of each (-1 for an impostor)."""
    rng = np.random.default_rng(seed)
    source = np.sort(rng.choice(len(gallery), size=genuine, replace=False))
    faces = np.asarray(gallery[source], dtype=np.float64)
    noise = shape.noise(rng, genuine)
    noise = unit(noise - np.sum(noise * faces, axis=1, keepdims=True) * faces)
    cosine = rng.uniform(*PROBE_COSINE, size=(genuine, 1))
    moved = cosine * faces + np.sqrt(1 - cosine ** 2) * noise
    vectors = np.vstack([moved, shape.strangers(rng, impostors)]).astype(np.float32)
    return vectors, np.concatenate([source, np.full(impostors, -1)])


def user_id(index) -> str:
    """A service-shaped user id (usr_ and 32 hex digits) for a user index."""
    return f"usr_{index:032x}"


def copy_stream(psql, statement: str, batches) -> None:
    """Runs a binary COPY FROM STDIN fed with the encoded `batches`."""
    process = psql.copy_in(statement)
    process.stdin.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    for batch in batches:
        process.stdin.write(batch)
    process.stdin.write(struct.pack(">h", -1))
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(f"{statement} failed")


def user_rows(first: int, last: int) -> bytes:
    """COPY binary rows (id, name, birthdate) for users first..<last."""
    row = np.dtype([("n", ">i2"), ("l1", ">i4"), ("id", "S36"), ("l2", ">i4"), ("name", "S19"), ("l3", ">i4"),
                    ("birthdate", ">i4")])
    rows = np.zeros(last - first, dtype=row)
    rows["n"], rows["l1"], rows["l2"], rows["l3"] = 3, 36, 19, 4
    rows["id"] = [user_id(i).encode() for i in range(first, last)]
    rows["name"] = [f"Gallery user {i:06d}"[-19:].encode() for i in range(first, last)]
    rows["birthdate"] = -10_000 + np.arange(first, last) % 15_000  # days from 2000-01-01
    return rows.tobytes()


def face_rows(vectors: np.ndarray, owners: np.ndarray, model_key: str) -> bytes:
    """COPY binary rows (user_id, model, embedding, face) for the faces `vectors` of users `owners`."""
    dimension, model = vectors.shape[1], model_key.encode()
    row = np.dtype([("n", ">i2"), ("l1", ">i4"), ("user", "S36"), ("l2", ">i4"), ("model", f"S{len(model)}"),
                    ("l3", ">i4"), ("dim", ">i2"), ("unused", ">i2"), ("vector", ">f4", (dimension,)),
                    ("l4", ">i4"), ("jsonb", "u1"), ("json", f"S{len(FACE_JSON)}")])
    rows = np.zeros(len(vectors), dtype=row)
    rows["n"], rows["l1"], rows["l2"], rows["model"] = 4, 36, len(model), model
    rows["l3"], rows["dim"], rows["vector"] = 4 + 4 * dimension, dimension, vectors
    rows["l4"], rows["jsonb"], rows["json"] = 1 + len(FACE_JSON), 1, FACE_JSON
    rows["user"] = [user_id(i).encode() for i in owners]
    return rows.tobytes()


def load(psql, gallery: np.ndarray, owners: np.ndarray, start: int, stop: int, model_key: str) -> None:
    """Appends faces start..<stop, with the users whose first face is among them, by binary COPY."""
    first_user = owners[start] + (1 if start and owners[start - 1] == owners[start] else 0)
    last_user = owners[stop - 1] + 1
    copy_stream(psql, "COPY users (id, name, birthdate) FROM STDIN (FORMAT binary)",
                (user_rows(u, min(u + BATCH, last_user)) for u in range(first_user, last_user, BATCH)))
    copy_stream(psql, "COPY faces (user_id, model, embedding, face) FROM STDIN (FORMAT binary)",
                (face_rows(gallery[i:min(i + BATCH, stop)], owners[i:min(i + BATCH, stop)], model_key)
                 for i in range(start, stop, BATCH)))
