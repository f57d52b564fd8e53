"""gunicorn settings for `make serve` (gunicorn --config config/gunicorn.py config.wsgi), from the environment.

GUNICORN_BIND     where to listen; 127.0.0.1:8000 by default, behind a proxy on the same machine
WEB_CONCURRENCY   worker processes; 2 × cores + 1 by default
GUNICORN_TIMEOUT  seconds a request may take before its worker is restarted (60)
FORWARDED_ALLOW_IPS  addresses of the proxies whose X-Forwarded-* headers gunicorn trusts (127.0.0.1)
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (a slow leak never grows for long)
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = ["DJANGO_SETTINGS_MODULE=" + os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.production")]

# Everything on standard output, the access log with the request id the application echoed.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
