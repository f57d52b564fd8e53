from django.contrib import admin
from django.urls import include, path

from api.api import api
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("corrections/", include("corrections.urls")),
    path("returns/", include("returns.urls")),
    path("documents/", include("einvoicing.urls")),
    path("api/v1/", api.urls),
    path("", admin.site.urls),
]
