"""How the synthetic embeddings are drawn: where people lie, and how one person's faces differ.

`random`: isotropic. A person is a random direction c on the unit sphere, each of their faces
normalise(sqrt(0.7) c + sqrt(0.3) n) with fresh isotropic noise n: two faces of one person at cosine ~0.7, two people
at 0 +- 0.06 (256 dimensions). The hardest case for a graph index: nothing in the data but the planted neighbours.

`lfw-like`: the default model's own statistics. A person is mu + A z, a face of theirs normalise(person + B z'), where
mu is the mean of the model's embeddings of the shared LFW photos, A A^T their between-person covariance and B B^T
the within-person one (pooled over the people with two photos or more). Two people then lie at 0.01 +- 0.10 (LFW:
0.005 +- 0.094) and two faces of one person at ~0.68 (LFW: 0.66), in the directions the model really uses.

A genuine probe moves a stored face by a face-to-face difference (`noise`) to a cosine of 0.6-0.8 with it; an
impostor probe is a face of a person who is not enrolled (`strangers`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def square_root(covariance: np.ndarray) -> np.ndarray:
    """F with F F^T = the covariance (its negative eigenvalues, from estimation noise, set to 0)."""
    values, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.clip(values, 0, None))


class Isotropic:
    name = "random"
    same_person = 0.7

    def __init__(self, dimension: int):
        self.dimension = dimension
        self.facts = {"kind": "isotropic unit vectors", "same_person_cosine": self.same_person}

    def people(self, rng, count: int) -> np.ndarray:
        return unit(rng.standard_normal((count, self.dimension)))

    def faces(self, rng, people: np.ndarray) -> np.ndarray:
        noise = unit(rng.standard_normal(people.shape))
        return unit(np.sqrt(self.same_person) * people + np.sqrt(1 - self.same_person) * noise)

    def noise(self, rng, count: int) -> np.ndarray:
        return rng.standard_normal((count, self.dimension))

    def strangers(self, rng, count: int) -> np.ndarray:
        return unit(rng.standard_normal((count, self.dimension)))


class LFWLike(Isotropic):
    name = "lfw-like"

    def __init__(self, dimension: int, embeddings: Path):
        super().__init__(dimension)
        records = json.loads(embeddings.read_text())
        x = unit(np.array([r["embedding"]["values"] for r in records], dtype=np.float64))
        if x.shape[1] != dimension:
            raise ValueError(f"{embeddings} holds {x.shape[1]}-dimensional embeddings, not {dimension}")
        names, person, counts = np.unique([r["identity"] for r in records], return_inverse=True, return_counts=True)
        means = np.zeros((len(names), dimension))
        np.add.at(means, person, x)
        means /= counts[:, None]
        several = counts[person] >= 2
        # A face's distance to its person's mean photo, corrected for that mean's own noise.
        correction = np.sqrt(counts / np.maximum(counts - 1, 1))[person]
        residual = ((x - means[person]) * correction[:, None])[several]
        within = residual.T @ residual / len(residual)
        self.mean = x.mean(axis=0)
        self.between, self.within = square_root(np.cov(x.T) - within), square_root(within)
        self.facts = {"kind": "Gaussian with the default model's LFW mean and covariances", "from": str(embeddings),
                      "photos": len(x), "people": len(names), "people_with_two_or_more": int((counts >= 2).sum())}

    def people(self, rng, count: int) -> np.ndarray:
        return self.mean + rng.standard_normal((count, self.dimension)) @ self.between.T

    def faces(self, rng, people: np.ndarray) -> np.ndarray:
        return unit(people + rng.standard_normal(people.shape) @ self.within.T)

    def noise(self, rng, count: int) -> np.ndarray:
        return rng.standard_normal((count, self.dimension)) @ self.within.T

    def strangers(self, rng, count: int) -> np.ndarray:
        return self.faces(rng, self.people(rng, count))


def cosine_facts(shape, rng) -> dict:
    """The drawn data's genuine (two faces of one person) and impostor (two people) cosines."""
    people = shape.people(rng, 2000)
    one, two = shape.faces(rng, people), shape.faces(rng, people)
    genuine, impostor = np.sum(one * two, axis=1), (one[:1000] @ two[1000:].T).ravel()
    q = lambda v: {p: round(float(np.percentile(v, int(p[1:]))), 3) for p in ("p5", "p50", "p95")}
    return {"genuine_pair_cosine": q(genuine), "impostor_pair_cosine": {**q(impostor),
                                                                         "std": round(float(impostor.std()), 4)}}
