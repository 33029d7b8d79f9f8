# SPDX-License-Identifier: GPL-2.0-or-later
"""The table of API handlers, keyed by the excerpt's operationId.

The spec routes a request (method and path) to an operation; the pipeline looks its
operationId up here; an operation the excerpt has and no handler implements answers X's
404 "Sorry, that page does not exist"."""

ENDPOINTS = {}   # operationId -> handler(sim, req) -> Response


def endpoint(operation_id):
    """Register the decorated handler(sim, req) for one operationId."""
    def register(fn):
        if operation_id in ENDPOINTS:   # two handlers for one operation is a bug here
            raise ValueError('two handlers for %s: %s and %s'
                             % (operation_id, ENDPOINTS[operation_id].__name__, fn.__name__))
        ENDPOINTS[operation_id] = fn
        return fn
    return register


def handler_for(operation_id):
    """The handler of an operationId, or None."""
    return ENDPOINTS.get(operation_id or '')
