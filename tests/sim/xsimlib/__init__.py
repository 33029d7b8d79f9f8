# SPDX-License-Identifier: GPL-2.0-or-later
"""xsim's code, by area (tests/sim/README.md, "Layout"); tests/sim/xsim.py is the entry point
and the module tests import."""
