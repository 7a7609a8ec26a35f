"""djfast: C kernels for Django's hottest paths, behind Django's own APIs.

- ``djfast.middleware.GZipMiddleware`` / ``CompressionMiddleware``: response compression
- ``djfast.csv.StreamingCSV``: streaming CSV responses
- ``djfast.bulk.BulkInserter``: buffered bulk inserts
- ``djfast.cache.make_key`` and ``djfast.cache.backends``: cache keys and key validation
"""

__version__ = "0.1.0"
