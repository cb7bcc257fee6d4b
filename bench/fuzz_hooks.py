"""Schemathesis hooks of the API fuzz (``bench/fuzz_api.py`` loads them through
``SCHEMATHESIS_HOOKS``).

Bodies drawn from the schema alone almost never make a valid write: a record's kind, its
partners and the agreement it cites must name rows that exist, and rules across fields (a
seizure on or after its operation's start, a bilateral agreement's two parties) are beyond
what a schema says. So the stateful sequences, which need a created row to go on, would
rarely get past their first step. Here every write also draws, now and then, one of a few
valid bodies (written by ``fuzz_api.py`` with ids of the database under test, in the file
named by ``FUZZ_BODIES``); links then put the id of the row just created in place of theirs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import schemathesis
from hypothesis import strategies as st

BODIES: dict[str, list[dict]] = json.loads(Path(os.environ["FUZZ_BODIES"]).read_text())


@schemathesis.hook
def before_generate_body(context, strategy):
    operation = context.operation
    valid = BODIES.get(f"{operation.method.upper()} {operation.path}")
    if not valid:
        return strategy
    return st.one_of(strategy, st.sampled_from(valid))
