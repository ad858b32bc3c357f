# FaceMatrix: the two commands are `make run` and `make test`; everything else is a piece of them.
# The recipes source scripts/lib.sh, which needs bash (dash has no BASH_SOURCE).
SHELL := /bin/bash

.PHONY: run test test-unit setup models build format lint clean-data bench-pipeline bench-http bench-accuracy bench-gallery calibrate fuzz soak triton bench-load bench-inference bench-quantized bench-profile

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# The fast tests alone: no database, no models (seconds once built).
test-unit: setup
	@. scripts/lib.sh && swift build --build-tests --scratch-path "$$FACEMATRIX_BUILD" -j 2 && \
		swift test --skip-build --scratch-path "$$FACEMATRIX_BUILD" --filter FaceMatrixUnitTests

setup:
	@scripts/setup.sh

models: setup
	@scripts/models.sh

build: setup
	@. scripts/lib.sh && swift build --scratch-path "$$FACEMATRIX_BUILD" -j 2

format:
	@. scripts/lib.sh && swift format format --in-place --recursive --parallel Package.swift Sources Tests bench fuzz

# A real Triton Inference Server (2.51, from the pinned nvidia-pytriton wheel) serving the models on this CPU, on
# 127.0.0.1, port TRITON_HTTP_PORT (8000; gRPC +1, metrics +2), in the foreground; for FACEMATRIX_INFERENCE=triton.
triton: models
	@scripts/triton.sh

# Formatting, and the code metrics: maintainability index per file, cyclomatic complexity per function.
lint: setup
	@scripts/lint.sh

# Pipeline speed per stage, images/s with 1 and 2 callers, ratio to ONNX Runtime alone → bench/results/.
bench-pipeline: models
	@. scripts/lib.sh && swift build -c release --scratch-path "$$FACEMATRIX_BUILD" -j 2 --product FaceMatrixBench && \
		FACEMATRIX_MODEL_DIR="$$FACEMATRIX_MODELS" "$$FACEMATRIX_BUILD/release/FaceMatrixBench"

# ONNX Runtime session options one at a time, and OpenVINO's time per row by batch size (the most micro-batching
# could save), per network, BENCH_INFERENCE_RUNS (100) runs each → bench/results/inference-options-*.{json,md}.
bench-inference: models
	@. scripts/lib.sh && "$$FACEMATRIX_VENV/bin/python" bench/inference_options.py "$$FACEMATRIX_MODELS" \
		"bench/results/inference-options-$$(date -u +%Y%m%dT%H%M)" --runs $${BENCH_INFERENCE_RUNS:-100}

# Does a quantized embedder pay? INT8 / FP16-weight copies (`python -m facematrix_models quantize`) against FP32:
# latency per runtime, cosine to FP32, LFW accuracy through `facematrix evaluate` (~15 min) → bench/results/.
bench-quantized: models
	@. scripts/lib.sh && swift build -c release --scratch-path "$$FACEMATRIX_BUILD" -j 2 --product facematrix && \
		PYTHONPATH=tools "$$FACEMATRIX_VENV/bin/python" bench/quantized-embedder.py

# Recognition latency through HTTP per runtime (HTTP_BACKENDS: openvino onnxruntime triton; p50/p95, req/s at
# HTTP_CLIENTS 1 4 8), the ratios between runtimes and Triton's batching statistics → bench/results/.
bench-http: models
	@bench/http-recognise.sh

# Re-calibrates the default model's thresholds on the shared LFW folds and measures them on held-out folds
# (tools/calibration/, bench/results/lfw-evaluation*.json and .svg).
calibrate: models
	@. scripts/lib.sh && swift build -c release --scratch-path "$$FACEMATRIX_BUILD" -j 2 --product facematrix && \
		FACEMATRIX_ROOT="$(CURDIR)" FACEMATRIX_MODEL_DIR="$$FACEMATRIX_MODELS" "$$FACEMATRIX_BUILD/release/facematrix" evaluate \
		--report bench/results/lfw-evaluation.json --plot bench/results/lfw-evaluation.svg \
		--calibration tools/calibration/face-reidentification-retail-0095.json | tee bench/results/lfw-evaluation-summary.json && \
		scripts/models.sh

# The original system's FRR/FAR protocol through the HTTP API, next to the offline figures (bench/results/).
bench-accuracy: models
	@bench/accuracy.sh

# Gallery search p50/p99 and recall@1 at 10k/100k/1M faces per HNSW setting, on a throw-away PostgreSQL → bench/results/.
bench-gallery: setup
	@bench/gallery-scaling.sh

# Availability soak: recognise_user at SOAK_RATE req/s (5) for SOAK_DURATION (30m) with k6, the service's RSS and
# descriptors sampled; pass/fail verdict → bench/results/soak-*.{json,md}.
soak: models
	@bench/soak.sh

# Where the service's CPU goes under load (perf): inference runtime, own pipeline, decoding, HTTP + JSON,
# PostgreSQL, Swift runtime + libc, kernel; PROFILE_VUS (8) for PROFILE_SECONDS (30) → bench/results/profile-*.
bench-profile: models
	@bench/profile.sh

# The original system's k6 load profile: constant VUs 4, 8, 12 (LOAD_VUS), 60 s each → bench/results/load-*.{json,md}.
bench-load: models
	@bench/load.sh

# Coverage-guided fuzzing of the image pipeline (libFuzzer + AddressSanitizer), FUZZ_SECONDS (default 600).
fuzz: setup
	@scripts/fuzz.sh $${FUZZ_SECONDS:-600}

# Deletes the private database cluster of `make run` (all enrolled users). The server must be stopped.
clean-data:
	@scripts/postgres.sh stop "$${FACEMATRIX_DATA_DIR:-.data}/postgres" || true
	rm -rf "$${FACEMATRIX_DATA_DIR:-.data}"
