from django.contrib import admin
from django.urls import path

from returns import views

app_name = "returns"
urlpatterns = [
    path("<int:pk>/create/", admin.site.admin_view(views.create_return), name="create"),
]
