"""Async Python SDK for the Hero Health Public API.

    from hero_health_client import HeroClient

    async with HeroClient() as hero:  # HERO_API_KEY, HERO_PRACTICE_GROUP_ID from the environment
        sent = await hero.messages.send_message(patient_id="943", message_type="sms", message_string="Hello")

The public names live here; models and enums are in ``hero_health_client.types``. The client's groups, endpoint
functions and models are generated from openapi.yaml into ``hero_health_client.generated``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import MOCK_URL, PRODUCTION_URL, STAGING_URL, HeroClient
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    FieldError,
    GDPRRestrictionError,
    HeroAPIError,
    HeroError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseValidationError,
    ServerError,
    ValidationError,
)
from .generated._spec_info import SPEC_SHA256, SPEC_VERSION
from .limits import RateLimit, RateLimiter, SlidingWindowLimiter
from .transport import ClientStats

if TYPE_CHECKING:
    from .pagination import paginate
    from .webhooks import WebhookVerificationError, verify_webhook

# Loaded on first use: webhooks.py imports the event models, which a service that only calls Hero never needs.
_LAZY = {
    "paginate": "pagination",
    "WebhookVerificationError": "webhooks",
    "verify_webhook": "webhooks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hero_health_client' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "MOCK_URL",
    "PRODUCTION_URL",
    "SPEC_SHA256",
    "SPEC_VERSION",
    "STAGING_URL",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "ClientClosedError",
    "ClientStats",
    "FieldError",
    "GDPRRestrictionError",
    "HeroAPIError",
    "HeroClient",
    "HeroError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RequestValidationError",
    "ResponseValidationError",
    "ServerError",
    "SlidingWindowLimiter",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "paginate",
    "verify_webhook",
]
