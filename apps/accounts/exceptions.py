from apps.core.exceptions import InvalidInputError

__all__ = ["InvalidInputError"]
