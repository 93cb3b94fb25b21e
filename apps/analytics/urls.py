from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.reader_page, name="reader"),
    path("export.csv", views.reader_export, name="reader_export"),
]
