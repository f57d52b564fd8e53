from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("corrections/", include("corrections.urls")),
    path("returns/", include("returns.urls")),
    path("", admin.site.urls),
]
