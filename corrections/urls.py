app_name = "corrections"
urlpatterns = []
