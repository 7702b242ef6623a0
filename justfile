# Ironstar tasks: `just` lists them. Each wraps a package script, so `bun run …` works the same without just.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @just --list

# Serve from source, rebuild web/ on change, restart on src/ change, reload open pages
dev:
    bun run dev

# Unit and integration tests, including the compiled-binary test (SKIP_BINARY_TEST=1 skips that one)
test *args:
    bun test {{args}}

# Browser tests with the system Chromium
e2e:
    bun run e2e

# Bundle web/ and compile the one-file executable to dist/ironstar
build:
    bun run build

# Benchmarks (each prints markdown tables)
bench *names:
    bun run bench {{names}}

# Format the tree
fmt:
    bunx biome format --write .

# Lint, formatting check and type check
lint:
    bunx biome check .
    bunx tsc --noEmit -p .

# Remove build output (keeps data/)
clean:
    rm -rf dist .build

# Build, then write dist/ironstar.sha256 for the release page
release: build
    cd dist && sha256sum ironstar > ironstar.sha256 && cat ironstar.sha256
