"""Django's SQLite backend, batching bulk writes by the variable limit of the SQLite actually linked.

Django 5.2 assumes SQLite's old compile-time default of 999 variables a statement, so saving a
200-line draft splits into several INSERT and UPDATE statements. SQLite 3.32+ allows 32,766 (Debian
builds 250,000); the limit is read from the connection instead (as Django 6.0 does).
"""

import sqlite3

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
