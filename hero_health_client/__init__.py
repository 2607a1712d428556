"""Async Python SDK for the Hero Health Public API.

    from hero_health_client import HeroClient
    from hero_health_client.generated.api.messages import send_message
    from hero_health_client.generated.models import SendMessageRequest

The hand-written names live here. Endpoint functions (one module per operation, grouped by tag) and models are
generated from openapi.yaml into ``hero_health_client.generated``.
"""

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
from .pagination import paginate
from .transport import ClientStats
from .webhooks import WebhookVerificationError, verify_webhook

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
