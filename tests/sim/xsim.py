#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""xsim: Twinbird's simulated X API v2 server (the project's only stand-in).

Built from X's documented shapes: shared/reference/xapi.md and X's own OpenAPI
excerpt (x-api-v2-openapi-excerpt.json, spec 2.166), which is loaded at start
and used to route requests, validate parameters, fields, expansions and JSON
bodies.  Python 3 standard library only; run with /usr/bin/python3.

Two loopback listeners: the API port (X API v2 paths, optionally HTTPS with a
generated test CA) and a control port (plain HTTP, JSON) that tests use to
create users, inject tweets and DMs, inject faults and read back what the
client did.  See tests/sim/README.md for the contract.

This file is the entry point (run it by path from anywhere) and the module tests
import; the code lives in the xsimlib package next to it (README.md, "Layout").
"""

import os
import sys

# Run by path, Python puts this folder on sys.path; imported, the importer did.  Either way
# make sure xsimlib, which lives next to this file, is found.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# The names tests and tools use as xsim.NAME (test_xsim.py: Spec, SchemaValidator,
# default_spec_path, page_token, weighted_length and the posting error texts).
from xsimlib.control import Fault  # noqa: E402
from xsimlib.endpoints import ENDPOINTS  # noqa: E402
from xsimlib.endpoints.common import page_token, parse_page_token  # noqa: E402
from xsimlib.limits import PRICES, RATE_LIMITS, Billing, RateLimiter  # noqa: E402
from xsimlib.responses import (DUPLICATE, REPLY_DELETED, REPLY_NOT_ALLOWED,  # noqa: E402
                               TOO_LONG, Response)
from xsimlib.server import main  # noqa: E402
from xsimlib.sim import DEFAULT_CONFIG, Sim  # noqa: E402
from xsimlib.spec import SchemaValidator, Spec, default_spec_path  # noqa: E402
from xsimlib.text import display_url, find_urls, guess_lang, weighted_length  # noqa: E402
from xsimlib.util import SimError, iso, parse_iso, x_escape  # noqa: E402

__all__ = ['DEFAULT_CONFIG', 'DUPLICATE', 'ENDPOINTS', 'PRICES', 'RATE_LIMITS',
           'REPLY_DELETED', 'REPLY_NOT_ALLOWED', 'TOO_LONG', 'Billing', 'Fault', 'RateLimiter',
           'Response', 'SchemaValidator', 'Sim', 'SimError', 'Spec', 'default_spec_path',
           'display_url', 'find_urls', 'guess_lang', 'iso', 'main', 'page_token',
           'parse_iso', 'parse_page_token', 'weighted_length', 'x_escape']

if __name__ == '__main__':
    sys.exit(main())
