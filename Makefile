# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench sandbox browser clean

# Create the environment once, and again whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# $(call apt-install,PACKAGE,TEST,WITHOUT): install a Debian package where we are root
# and TEST fails; else say loudly what happens WITHOUT it (no commas in WITHOUT).
define apt-install
	@if $(2); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get install -y -qq $(1) >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(1) >/dev/null 2>&1)) || \
		echo "WARNING: could not install $(1): $(3)"; \
	else echo "WARNING: $(1) is missing and we are not root to install it: $(3)"; fi
endef

# bubblewrap isolates student code; install it where we are root, else fall back loudly.
# Version 0.8 or later is needed to forbid user namespaces inside the sandbox.
sandbox:
	$(call apt-install,bubblewrap,command -v bwrap >/dev/null 2>&1,student code will run in a plain subprocess with rlimits only)
	@if command -v bwrap >/dev/null 2>&1 && ! bwrap --help 2>&1 | grep -q -- --disable-userns; then \
		echo "WARNING: bubblewrap $$(bwrap --version | cut -d' ' -f2) is older than 0.8;" \
		     "student code can make user namespaces inside the sandbox"; fi
	@if [ "$$(id -u)" != 0 ]; then echo "WARNING: not root: no cgroup per worker and no tmpfs" \
		"scratch dir; a submission is bounded per process only"; fi

# Debian's Chromium, for the browser test of the class report (Playwright drives it and
# never downloads a browser of its own); without it that test is skipped, saying why.
browser:
	$(call apt-install,chromium,[ -x /usr/bin/chromium ],the browser test will be skipped)

demo: $(STAMP) sandbox
	$(BIN)/python -m autograder.demo --out demo-out

test: $(STAMP) sandbox browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP) sandbox
	$(BIN)/python bench/secure_vs_inprocess.py
	$(BIN)/python bench/nbgrader_vs_autograder.py
	$(BIN)/python bench/soak.py
	$(BIN)/python bench/similar.py

clean:
	rm -rf $(VENV) demo-out build *.egg-info
