# The two commands of the README: `make demo` and `make test`. Both set up first.
.PHONY: setup demo test bench clean

setup:
	@scripts/setup.sh

demo: setup
	LECTERN_HOME=$${LECTERN_HOME:-lectern-data} .venv/bin/lectern ingest samples/
	LECTERN_HOME=$${LECTERN_HOME:-lectern-data} .venv/bin/lectern status
	LECTERN_HOME=$${LECTERN_HOME:-lectern-data} .venv/bin/lectern ask "What happens to the potential energy when the object falls?"

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/ingest.py

clean:
	rm -rf lectern-data
