# champion: two commands set everything up.
#   make demo   install, benchmark the bundled example suites on the bundled models
#   make test   install, run the tests
#   make docs   install, build the documentation site into site/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# llama-cpp-python is compiled from source. A native build can emit AMX/AVX-512
# kernels that crash on some CPUs, so the install always builds it portable.
PORTABLE_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF

# llama.cpp reports the CPU features it was compiled with.
define LLAMA_BUILD_IS_PORTABLE
import sys, llama_cpp
info = llama_cpp.llama_print_system_info().decode()
native = [f for f in ("AVX512", "AMX") if f in info]
print("llama.cpp build:", "native (" + ", ".join(native) + ")" if native else "portable")
sys.exit(1 if native else 0)
endef
export LLAMA_BUILD_IS_PORTABLE

DEMO_SUITES := examples/destination-city.yaml examples/order-number.yaml \
	examples/ticket-triage.yaml examples/sentiment.yaml examples/job-posting-grading.json

.PHONY: install system-deps demo test screenshots lint docs bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(PORTABLE_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -e '.[local,dev,ray,docs]'
	# pip's wheel cache ignores CMAKE_ARGS: a llama-cpp-python built natively
	# earlier on this machine would be reused. Check what was built; rebuild if native.
	$(BIN)/python -c "$$LLAMA_BUILD_IS_PORTABLE" || ( \
		CMAKE_ARGS="$(PORTABLE_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir \
		--force-reinstall --no-deps "llama-cpp-python==$$($(BIN)/python -c \
		'import importlib.metadata as m; print(m.version("llama_cpp_python"))')" && \
		$(BIN)/python -c "$$LLAMA_BUILD_IS_PORTABLE" )
	# LiteLLM's bundled price map (list prices for cost_usd). champion reads the
	# JSON file and never imports litellm, so its dependencies are not needed.
	$(BIN)/python -m pip install --quiet --no-deps 'litellm==1.110.2'
	touch $@

DEMO_DB := sqlite:///.champion/demo.db
# Summaries graded by the grading task's champion (docs/judges.md).
JUDGED_DEMO := examples/posting-summary.yaml
GRADING_TASK := job_posting_summary_grading

# Race (the default): every model screened once, the survivors certified on 3 batches.
# Then the grading task's champion, when a bundled model qualified, is promoted and
# judges the bundled models' summaries; otherwise the demo says why no judge is available.
demo: install
	@start=$$(date +%s); \
	$(BIN)/champion run $(DEMO_SUITES) -m builtin --repeats 3 \
		--db $(DEMO_DB) --json out/demo.json --report out/demo.html && \
	{ $(BIN)/champion promote $(GRADING_TASK) --db $(DEMO_DB) 2>/dev/null || true; } && \
	if why=$$($(BIN)/champion validate $(JUDGED_DEMO) --db $(DEMO_DB) 2>&1 >/dev/null); then \
		$(BIN)/champion run $(JUDGED_DEMO) -m builtin --repeats 2 --db $(DEMO_DB) \
			--json out/demo.posting-summary.json --report out/demo.posting-summary.html; \
	else echo "$(JUDGED_DEMO) not run: $${why#error: }"; fi && \
	echo "demo took $$(( $$(date +%s) - start )) s; HTML reports: out/demo.<task>.html"

# The tests start a real PostgreSQL server and drive a real headless Chromium:
# Debian's postgresql and chromium packages (installed when missing, as root).
system-deps:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@command -v chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install system-deps
	$(BIN)/python -m pytest -q

# The dashboard tests take their screenshots in a temporary folder; this runs the
# same browser flow with docs/ as the folder, to update docs/*.png on purpose.
screenshots: install system-deps
	CHAMPION_SCREENSHOTS="$(CURDIR)/docs" $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/web/test_dashboard.py tests/web/test_workflow_pages.py

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# The documentation site (MkDocs, Material theme), built offline: nothing is fetched.
# CI passes DOCS_FLAGS=--strict, which fails on any broken link or reference.
DOCS_FLAGS ?=
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build $(DOCS_FLAGS)

bench: install
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) .champion out site .pytest_cache .mypy_cache .ruff_cache
