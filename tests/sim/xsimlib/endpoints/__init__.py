# SPDX-License-Identifier: GPL-2.0-or-later
"""X API v2 endpoints, one handler function per OpenAPI operationId (see registry.py):
users.py (lookups, timelines, follows), posts.py (post lookups, create, delete, reposts,
likes), dms.py (DM events and sends), activity.py (Activity API subscriptions and stream).
Importing this package fills the table."""

from . import activity, dms, posts, users  # each registers its handlers
from .registry import ENDPOINTS, endpoint, handler_for

__all__ = ['ENDPOINTS', 'endpoint', 'handler_for', 'activity', 'dms', 'posts', 'users']
