"""The models and enums users name, and the ``Unset`` marker, without spelling ``generated``.

    from hero_health_client.types import MessageType, SendMessageResponse, UNSET, Unset

Every model and enum of the spec is here under its generated name. Each is imported on first use, so importing
this module costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .generated import models as _models
from .generated.types import UNSET, Response, Unset

if TYPE_CHECKING:
    from .generated.models import *  # noqa: F403

__all__ = ["UNSET", "Response", "Unset", *_models.__all__]


def __getattr__(name: str) -> Any:
    return getattr(_models, name)


def __dir__() -> list[str]:
    return sorted(__all__)
