from django.urls import path

from einvoicing import views

app_name = "einvoicing"
urlpatterns = [
    path("<int:pk>/pdf/", views.pdf_view, name="pdf"),
    path("<int:pk>/peppol.xml", views.ubl_view, name="ubl"),
    path("<int:pk>/send/", views.send_view, name="send"),
]
