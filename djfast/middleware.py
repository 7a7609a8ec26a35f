from djfast.cache.conditional import ConditionalGetMiddleware  # noqa: F401
