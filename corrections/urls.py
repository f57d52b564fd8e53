from django.contrib import admin
from django.urls import path

from corrections import views

app_name = "corrections"
urlpatterns = [
    path("<int:pk>/create/", admin.site.admin_view(views.create_correction), name="create"),
]
