from .base import *  # noqa: F403

DEBUG = True
LEDGERLINE_ENVIRONMENT = "local"
