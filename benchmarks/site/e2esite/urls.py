from django.urls import path

from e2esite import views

urlpatterns = [
    path("cached/", views.cached_page),
    path("unique/", views.unique_page),
    path("api/big/", views.api_big),
    path("api/small/", views.api_small),
    path("export.csv", views.export_csv),
    path("bulk/", views.bulk),
]
