"""gunicorn's settings for `make serve` (and the load run in bench/), read from the environment.

Threaded workers (gthread): a client that reads slowly holds one thread of a worker, not the
worker, and the worker keeps answering the arbiter while a long download streams, so `timeout`
restarts only a worker that is stuck, never one sending a large file to a slow reader. Behind a
buffering proxy (nginx's default `proxy_buffering on`) slow clients are the proxy's business and
the threads are freed as fast as the proxy reads (README, "Production"). Two threads a worker by
default: the pages are CPU-bound, and more threads made the slowest requests slower under load
(bench/RESULTS.md).
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
