from django.urls import path
app_name = "atlante"
urlpatterns = []
