# FaceMatrix: the two commands are `make run` and `make test`; everything else is a piece of them.
.PHONY: run test setup models build format lint clean-data

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh

models: setup
	@scripts/models.sh

build: setup
	@. scripts/lib.sh && swift build --scratch-path "$$FACEMATRIX_BUILD" -j 2

format:
	@. scripts/lib.sh && swift format format --in-place --recursive --parallel Package.swift Sources Tests

lint:
	@. scripts/lib.sh && swift format lint --strict --recursive --parallel Package.swift Sources Tests

# Deletes the private database cluster of `make run` (all enrolled users). The server must be stopped.
clean-data:
	@scripts/postgres.sh stop "$${FACEMATRIX_DATA_DIR:-.data}/postgres" || true
	rm -rf "$${FACEMATRIX_DATA_DIR:-.data}"
